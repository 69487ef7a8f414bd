package app

import (
	"context"
	"io"
	"net/http"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"testing"
	"time"
)

var sink []byte

// heapFree is heap memory that is free but still held from the system;
// heapReleased is free heap memory given back to it.
func heapFree() uint64     { return sample("/memory/classes/heap/free:bytes") }
func heapReleased() uint64 { return sample("/memory/classes/heap/released:bytes") }

func sample(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func TestTrimGivesMemoryBackOnceTheKioskIsQuiet(t *testing.T) {
	tr := newTrimmer()
	sink = make([]byte, 16<<20) // a villager's session's worth of garbage
	for i := range sink {
		sink[i] = 1
	}
	sink = nil
	if tr.check() {
		t.Fatal("trimmed while the kiosk was still allocating")
	}
	released := heapReleased()
	if !tr.check() {
		t.Fatal("16 MiB allocated, then quiet: want a trim")
	}
	if got := heapReleased() - released; got < 8<<20 {
		t.Errorf("the trim gave %d KiB back to the system; want the 16 MiB of garbage", got>>10)
	}
	if free := heapFree(); free > 2<<20 {
		t.Errorf("after the trim the runtime still holds %d KiB of free heap; want it given back", free>>10)
	}
	if tr.check() {
		t.Error("trimmed again although nothing was allocated: an idle kiosk must not be woken")
	}
}

func TestMemoryPolicySetsGOGCUnlessTheEnvironmentDoes(t *testing.T) {
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })

	t.Setenv("GOGC", "")
	Memory{GCPercent: 50}.apply(quiet())
	if got := gcPercent(); got != 50 {
		t.Errorf("GOGC in force %d, want the kiosk's 50", got)
	}

	debug.SetGCPercent(100)
	t.Setenv("GOGC", "100")
	Memory{GCPercent: 50}.apply(quiet())
	if got := gcPercent(); got != 100 {
		t.Errorf("GOGC=100 set by the operator, yet %d is in force", got)
	}

	debug.SetGCPercent(100)
	t.Setenv("GOGC", "")
	Memory{}.apply(quiet())
	if got := gcPercent(); got != 100 {
		t.Errorf("the zero policy changed GOGC to %d", got)
	}
}

func TestRunTrimsAndAsksForAFrame(t *testing.T) {
	a, err := Open(context.Background(), Options{Dir: t.TempDir(), Log: quiet(), NTP: func(context.Context) bool { return true },
		Memory: Memory{Trim: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	changes := a.Services().Updates.Changes()
	select { // Open read the consultations and said so
	case <-changes:
	default:
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { cancel(); <-done }()

	sink = make([]byte, 8<<20)
	sink = nil
	select {
	case <-changes:
	case <-time.After(20 * time.Second):
		t.Fatal("no frame asked for after the kiosk went quiet: ebiten would keep the collected images' textures")
	}
	if got := a.Services().Updates.TakeOutcomes(); len(got) != 0 {
		t.Errorf("a trim handed the screens outcomes: %v", got)
	}
}

func TestPprofOnlyOnLoopback(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, addr := range []string{"0.0.0.0:0", ":6060", "192.168.1.50:6060", "[::]:0", "6060"} {
		if _, err := ServePprof(ctx, addr, quiet()); err == nil {
			t.Errorf("--pprof %s was accepted: profiles must stay on the kiosk itself", addr)
		} else if !strings.Contains(err.Error(), "--pprof") {
			t.Errorf("--pprof %s: the error does not name the flag: %v", addr, err)
		}
	}
	got, err := ServePprof(ctx, "127.0.0.1:0", quiet())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + got + "/debug/pprof/heap?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "HeapAlloc") {
		t.Errorf("heap profile: %d %.200s", resp.StatusCode, body)
	}
	cancel()
	for i := 0; ; i++ {
		if _, err := http.Get("http://" + got + "/debug/pprof/"); err != nil {
			break
		}
		if i == 100 {
			t.Fatal("the profile server still answers after its context ended")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
