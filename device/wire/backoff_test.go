package wire

import (
	"math/rand/v2"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func TestBackoffBounds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := Backoff{
			Min: time.Duration(rapid.Int64Range(1, int64(time.Minute)).Draw(t, "min")),
			Max: time.Duration(rapid.Int64Range(1, int64(24*time.Hour)).Draw(t, "max")),
		}
		n := rapid.IntRange(-3, 10_000).Draw(t, "attempt")
		r := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 1))
		d := b.Next(n, r)
		// The documented bound: [0, min(Max, Min*2^n)], with Max below Min
		// raised to Min and a negative attempt counted as 0.
		hi := max(b.Max, b.Min)
		ceil := b.Min
		for i := 0; i < max(n, 0) && ceil < hi; i++ {
			ceil *= 2
		}
		ceil = min(ceil, hi)
		if d < 0 || d > ceil {
			t.Fatalf("%+v.Next(%d) = %v, outside [0, %v]", b, n, d, ceil)
		}
		if c := b.Ceiling(n); c != ceil {
			t.Fatalf("Ceiling(%d) = %v, want %v", n, c, ceil)
		}
	})
}

func TestBackoffCeilingGrowsAndCaps(t *testing.T) {
	b := Backoff{Min: time.Second, Max: time.Minute}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60}
	for i, w := range want {
		if got := b.Ceiling(i); got != w*time.Second {
			t.Errorf("Ceiling(%d) = %v; want %v", i, got, w*time.Second)
		}
	}
	if got := b.Ceiling(1 << 30); got != time.Minute {
		t.Errorf("Ceiling(huge) = %v; want Max, without overflow", got)
	}
	if got := (Backoff{}).Ceiling(0); got != DefaultBackoff.Min {
		t.Errorf("zero Backoff Ceiling(0) = %v; want DefaultBackoff.Min", got)
	}
}

// Full jitter: delays spread over the whole window, not bunched at its top
// (as "equal jitter" would) or at fixed instants (as no jitter would).
func TestBackoffSpread(t *testing.T) {
	b := Backoff{Min: time.Second, Max: 5 * time.Minute}
	r := rand.New(rand.NewPCG(1, 2))
	const n = 20_000
	ceil := b.Ceiling(4) // 16 s
	var buckets [10]int
	var sum time.Duration
	for range n {
		d := b.Next(4, r)
		buckets[int(d*10/(ceil+1))]++
		sum += d
	}
	for i, c := range buckets {
		if c < n/10*8/10 || c > n/10*12/10 {
			t.Errorf("decile %d holds %d of %d delays; full jitter is uniform", i, c, n)
		}
	}
	if mean := sum / n; mean < ceil*45/100 || mean > ceil*55/100 {
		t.Errorf("mean delay %v; want about half of %v", mean, ceil)
	}
	// A thousand devices losing the broker together do not come back in
	// the same second: with DefaultBackoff's first window (2 s) no 100 ms
	// slot gets more than a few percent of them.
	slots := map[time.Duration]int{}
	for range 1000 {
		slots[DefaultBackoff.Next(0, r)/(100*time.Millisecond)]++
	}
	for s, c := range slots {
		if c > 100 {
			t.Errorf("slot %v holds %d of 1000 reconnects", s*100*time.Millisecond, c)
		}
	}
}
