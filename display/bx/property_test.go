package bx

import (
	"slices"
	"sort"
	"testing"
	"time"

	"pgregory.net/rapid"

	"lawpoint/display/dots"
)

// gbPool is every character GB2312 assigns, plus printable ASCII (without
// the escape character) and the line break.
var gbPool = func() []rune {
	var pool []rune
	for c := rune(0x20); c < 0x7F; c++ {
		if c != '\\' {
			pool = append(pool, c)
		}
	}
	pool = append(pool, '\n')
	for lead := 0xA1; lead <= 0xF7; lead++ {
		for trail := 0xA1; trail <= 0xFE; trail++ {
			if !gbPair(byte(lead), byte(trail)) {
				continue
			}
			if r, ok := gbDecodePair(byte(lead), byte(trail)); ok {
				pool = append(pool, r)
			}
		}
	}
	return pool
}()

func TestGB2312PoolSize(t *testing.T) {
	// GB2312 assigns 7445 characters (6763 hanzi, 682 other); with 95 ASCII
	// (minus the backslash) and the line break the pool holds 7540.
	if n := len(gbPool); n != 7445+94+1 {
		t.Fatalf("pool holds %d characters, want %d", n, 7445+94+1)
	}
}

func genRuns(t *rapid.T, colors Colors) []Run {
	cols := []dots.Color{dots.Red, dots.Green, dots.Yellow}
	if colors == Single {
		cols = cols[:1]
	}
	n := rapid.IntRange(0, 4).Draw(t, "runs")
	runs := make([]Run, n)
	for i := range runs {
		runs[i] = Run{
			Color: rapid.SampledFrom(cols).Draw(t, "color"),
			Text:  string(rapid.SliceOfN(rapid.SampledFrom(gbPool), 0, 12).Draw(t, "text")),
		}
	}
	return runs
}

func TestTextRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		name := rapid.SampledFrom([]string{"bx-5k1", "bx-5k2", "bx-6k1", "bx-6k2"}).Draw(t, "model")
		m, _ := LookupModel(name)
		colors := rapid.SampledFrom([]Colors{Single, Dual}).Draw(t, "colors")
		bw, bh := min(256, m.MaxWidth(colors)), min(64, m.MaxH)
		e, err := NewEncoder(m, bw, bh, colors)
		if err != nil {
			t.Fatal(err)
		}
		var u TextUpdate
		u.Reset = rapid.Bool().Draw(t, "reset")
		if rapid.Bool().Draw(t, "deleteAll") {
			u.DeleteAll = true
		} else if ids := rapid.SliceOfN(rapid.Uint8Range(0, 254), 0, 3).Draw(t, "delete"); len(ids) > 0 {
			u.Delete = ids
		}
		ids := rapid.SliceOfNDistinct(rapid.Uint8(), 1, 3, rapid.ID[uint8]).Draw(t, "ids")
		effects := []Effect{EffectStatic, EffectQuick, EffectScrollLeft, EffectScrollRight, EffectScrollUp, EffectScrollDown}
		for _, id := range ids {
			var x, w int
			if m.PixelUnits {
				x = rapid.IntRange(0, bw-1).Draw(t, "x")
				w = rapid.IntRange(1, bw-x).Draw(t, "w")
			} else {
				x = 8 * rapid.IntRange(0, bw/8-1).Draw(t, "x8")
				w = 8 * rapid.IntRange(1, (bw-x)/8).Draw(t, "w8")
			}
			y := rapid.IntRange(0, bh-1).Draw(t, "y")
			a := TextArea{
				ID: id, X: x, Y: y, W: w, H: rapid.IntRange(1, bh-y).Draw(t, "h"),
				RunMode:     rapid.Uint8Range(0, RunOnceThenBlank).Draw(t, "runMode"),
				Timeout:     time.Duration(rapid.IntRange(0, 0xFFFF).Draw(t, "timeout")) * time.Second,
				LineSpacing: rapid.Uint8().Draw(t, "spacing"),
				SingleLine:  rapid.Bool().Draw(t, "single"),
				AutoWrap:    rapid.Bool().Draw(t, "wrap"),
				Effect:      rapid.SampledFrom(effects).Draw(t, "effect"),
				Speed:       rapid.Uint8Range(0, 24).Draw(t, "speed"),
				Stay:        time.Duration(rapid.IntRange(0, 255).Draw(t, "stay")) * 500 * time.Millisecond,
				Runs:        genRuns(t, colors),
			}
			u.Areas = append(u.Areas, a)
		}
		// The runs come back normalised.
		want := u
		want.Areas = slices.Clone(u.Areas)
		for i := range want.Areas {
			want.Areas[i].Runs = NormalizeRuns(want.Areas[i].Runs)
		}
		roundTripAs(t, e, u, want)
	})
}

func TestPictureRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		name := rapid.SampledFrom([]string{"bx-5e1", "bx-5e2", "bx-6e1", "bx-6e2"}).Draw(t, "model")
		m, _ := LookupModel(name)
		colors := rapid.SampledFrom([]Colors{Single, Dual}).Draw(t, "colors")
		bw, bh := 256, 64
		e, err := NewEncoder(m, bw, bh, colors)
		if err != nil {
			t.Fatal(err)
		}
		x := rapid.IntRange(0, bw-1).Draw(t, "x")
		y := rapid.IntRange(0, bh-1).Draw(t, "y")
		w := rapid.IntRange(1, min(bw-x, 80)).Draw(t, "w")
		h := rapid.IntRange(1, min(bh-y, 24)).Draw(t, "h")
		palette := []dots.Color{dots.Off, dots.Red, dots.Green, dots.Yellow}
		if colors == Single {
			palette = palette[:2]
		}
		effects := make([]Effect, 0, len(eEffectCode))
		for k := range eEffectCode {
			effects = append(effects, k)
		}
		sort.Slice(effects, func(i, j int) bool { return effects[i] < effects[j] })
		a := PictureArea{
			ID:        rapid.Uint8().Draw(t, "id"),
			RunMode:   rapid.Uint8Range(0, RunOnceThenBlank).Draw(t, "runMode"),
			Timeout:   time.Duration(rapid.IntRange(0, 0xFFFF).Draw(t, "timeout")) * time.Second,
			RelateAll: rapid.Bool().Draw(t, "relateAll"),
			Related:   rapid.SliceOfN(rapid.Uint16(), 0, 3).Draw(t, "related"),
			Play:      rapid.Uint8Range(0, 2).Draw(t, "play"),
			X:         x, Y: y,
		}
		if len(a.Related) == 0 {
			a.Related = nil
		}
		for range rapid.IntRange(1, 3).Draw(t, "pages") {
			b := dots.New(w, h)
			for i := range b.Pix {
				b.Pix[i] = rapid.SampledFrom(palette).Draw(t, "dot")
			}
			a.Pages = append(a.Pages, Page{
				Effect: rapid.SampledFrom(effects).Draw(t, "effect"),
				Clear:  rapid.Uint8().Draw(t, "clear"),
				Speed:  rapid.Uint8().Draw(t, "speed"),
				Stay:   time.Duration(rapid.IntRange(0, 0xFFFF).Draw(t, "stay")) * 10 * time.Millisecond,
				Repeat: rapid.Uint8().Draw(t, "repeat"),
				Bitmap: b,
			})
		}
		roundTrip(t, e, PictureUpdate{Area: a})
	})
}

// Escaping: any byte string survives wrap/unescape.
func TestEscapeProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		raw := rapid.SliceOf(rapid.SampledFrom([]byte{0x00, 0x01, 0x02, 0xA5, 0xA6, 0x5A, 0x5B, 0xFF})).Draw(t, "raw")
		w := wrap(raw)
		for _, c := range w[8 : len(w)-1] {
			if c == 0xA5 || c == 0x5A {
				t.Fatalf("unescaped %#02x in %X", c, w)
			}
		}
		back, err := unescape(w[8 : len(w)-1])
		if err != nil || string(back) != string(raw) {
			t.Fatalf("unescape(%X) = %X, %v", w, back, err)
		}
	})
}
