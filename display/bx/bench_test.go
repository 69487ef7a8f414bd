package bx

import (
	"bytes"
	"testing"

	"lawpoint/display/dots"
)

// legalPage stands in for rendered text: about a third of the dots lit,
// in red, green and yellow, spread pseudo-randomly (a fixed sequence) so
// that pixel bytes take all values and escapes occur as in real pages.
func legalPage(w, h int, c Colors) *dots.Bitmap {
	b := dots.New(w, h)
	s := uint32(2463534242)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			s ^= s << 13
			s ^= s >> 17
			s ^= s << 5
			if s%3 == 0 {
				col := dots.Color(1 + (s/3)%3)
				if c == Single {
					col = dots.Red
				}
				b.Set(x, y, col)
			}
		}
	}
	return b
}

type frameFigures struct {
	payload, data, wire int
}

func pictureFigures(tb testing.TB, model string, w, h int, c Colors) (frameFigures, []byte) {
	e := mustEncoder(tb, model, w, h, c)
	cmd := PictureUpdate{Area: PictureArea{Play: 1, Pages: []Page{{Effect: EffectStatic, Bitmap: legalPage(w, h, c)}}}}
	wire, err := e.Encode(cmd)
	if err != nil {
		tb.Fatal(err)
	}
	data, _ := e.Data(cmd)
	lay := layoutFor(e.Model.Generation, 0, w, h, c)
	return frameFigures{payload: lay.size(), data: len(data), wire: len(wire)}, wire
}

// TestFrameFigures pins the size of a full-board update: the dot payload is
// exactly one bit per dot per colour, and the frame adds a fixed overhead
// plus escapes.
func TestFrameFigures(t *testing.T) {
	for _, c := range []struct {
		model          string
		w, h           int
		colors         Colors
		payload, extra int // extra: unescaped bytes around the payload
	}{
		{"bx-5e1", 256, 64, Dual, 256 / 8 * 64 * 2, 8 + 16 + 3 + 2 + 4 + 22 + 2 + 4 + 13 + 2 + 1},
		{"bx-6e1", 256, 64, Dual, 256 / 8 * 64 * 2, 8 + 16 + 3 + 2 + 2 + 4 + 22 + 9 + 2 + 4 + 26 + 2 + 1},
		{"bx-5e1", 64, 16, Single, 64 / 8 * 16, 8 + 16 + 3 + 2 + 4 + 22 + 2 + 4 + 13 + 2 + 1},
		{"bx-6e1", 64, 16, Single, 64 / 8 * 16, 8 + 16 + 3 + 2 + 2 + 4 + 22 + 9 + 2 + 4 + 26 + 2 + 1},
	} {
		f, wire := pictureFigures(t, c.model, c.w, c.h, c.colors)
		if f.payload != c.payload {
			t.Errorf("%s %dx%d: payload %d, want %d", c.model, c.w, c.h, f.payload, c.payload)
		}
		raw := f.payload + c.extra
		escapes := 0
		for _, b := range wire[8 : len(wire)-1] {
			if b == 0xA6 || b == 0x5B {
				escapes++
			}
		}
		if f.wire != raw+escapes {
			t.Errorf("%s %dx%d: %d bytes on the wire, want %d unescaped + %d escapes", c.model, c.w, c.h, f.wire, raw, escapes)
		}
		t.Logf("%s %dx%d %v: payload %d B, data field %d B, wire %d B (%d escapes, %.1f%% over payload); %v at 9600 baud, %v at 57600",
			c.model, c.w, c.h, c.colors, f.payload, f.data, f.wire, escapes, 100*float64(f.wire-f.payload)/float64(f.payload),
			WireTime(f.wire, 9600), WireTime(f.wire, 57600))
	}
	k := mustEncoder(t, "bx-5k1", 64, 16, Single)
	wire, _ := k.Encode(TextUpdate{Areas: []TextArea{{W: 64, H: 16, Effect: EffectScrollLeft, SingleLine: true,
		Runs: []Run{{Color: dots.Red, Text: "法治宣传：遇到纠纷请拨打12348"}}}}})
	t.Logf("bx-5k1 64x16 text of 17 characters: wire %d B, %v at 9600 baud", len(wire), WireTime(len(wire), 9600))
}

func reportWire(b *testing.B, f frameFigures) {
	b.ReportMetric(float64(f.wire), "wire-B/update")
	b.ReportMetric(float64(f.payload), "payload-B/update")
	b.ReportMetric(float64(WireTime(f.wire, 9600).Milliseconds()), "ms@9600")
	b.ReportMetric(float64(WireTime(f.wire, 57600).Milliseconds()), "ms@57600")
}

func BenchmarkEncodePicture(b *testing.B) {
	for _, c := range []struct {
		name, model string
		w, h        int
		colors      Colors
	}{
		{"5E-256x64-dual", "bx-5e1", 256, 64, Dual},
		{"6E-256x64-dual", "bx-6e1", 256, 64, Dual},
		{"5E-64x16-single", "bx-5e1", 64, 16, Single},
	} {
		b.Run(c.name, func(b *testing.B) {
			e := mustEncoder(b, c.model, c.w, c.h, c.colors)
			cmd := PictureUpdate{Area: PictureArea{Play: 1, Pages: []Page{{Effect: EffectStatic, Bitmap: legalPage(c.w, c.h, c.colors)}}}}
			f, _ := pictureFigures(b, c.model, c.w, c.h, c.colors)
			b.SetBytes(int64(f.payload))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Encode(cmd); err != nil {
					b.Fatal(err)
				}
			}
			reportWire(b, f)
		})
	}
}

func BenchmarkDecodePicture(b *testing.B) {
	_, wire := pictureFigures(b, "bx-5e1", 256, 64, Dual)
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := NewReader(bytes.NewReader(wire)).Next()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := DecodeCommand(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeText(b *testing.B) {
	e := mustEncoder(b, "bx-6k1", 256, 64, Dual)
	cmd := TextUpdate{Areas: []TextArea{{W: 256, H: 16, Effect: EffectScrollLeft, SingleLine: true,
		Runs: []Run{{Color: dots.Red, Text: "国家宪法日"}, {Color: dots.Yellow, Text: "：弘扬宪法精神，建设法治中国。法律援助热线12348"}}}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Encode(cmd); err != nil {
			b.Fatal(err)
		}
	}
}
