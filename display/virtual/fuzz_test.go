package virtual

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"lawpoint/display/bx"
	"lawpoint/display/dots"
	"lawpoint/display/render"
)

var fuzzFonts = &render.Fonts{}

// Whatever arrives on the line, the virtual board neither panics nor
// answers with a frame a driver cannot parse, and answers only frames that
// were well formed.
func FuzzServe(f *testing.F) {
	for _, model := range []string{"bx-5k1", "bx-6e1", "bx-5e1"} {
		m, _ := bx.LookupModel(model)
		enc, _ := bx.NewEncoder(m, 64, 32, bx.Dual)
		for _, cmd := range []bx.Command{
			bx.Ping{}, bx.Brightness{Level: 5}, bx.DeleteAreas{All: true},
			bx.TextUpdate{Areas: []bx.TextArea{{W: 64, H: 32, Effect: bx.EffectStatic, Runs: []bx.Run{{Color: dots.Red, Text: "法治"}}}}},
			bx.PictureUpdate{Area: bx.PictureArea{Pages: []bx.Page{{Effect: bx.EffectStatic, Bitmap: dots.New(64, 32)}}}},
		} {
			if fr, err := enc.Encode(cmd); err == nil {
				f.Add(model, fr)
			}
		}
	}
	f.Fuzz(func(t *testing.T, model string, data []byte) {
		m, err := bx.LookupModel(model)
		if err != nil {
			return
		}
		b, err := New(Config{Model: m, Width: 64, Height: 32, Fonts: fuzzFonts})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		rw := struct {
			io.Reader
			io.Writer
		}{bytes.NewReader(data), &out}
		if err := b.Serve(context.Background(), rw); err != nil && !errors.Is(err, io.EOF) {
			t.Fatalf("Serve: %v", err)
		}
		st := b.Stats()
		r := bx.NewReader(&out)
		n := 0
		for {
			p, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("the board sent a bad reply: %v", err)
			}
			if _, err := bx.ReplyFromPacket(p); err != nil {
				t.Fatalf("the board sent an unparsable reply: %v", err)
			}
			n++
		}
		if n > st.ACK+st.NACK {
			t.Fatalf("%d replies for %d ACK + %d NACK", n, st.ACK, st.NACK)
		}
		_ = b.Bitmap()
		_ = b.Text()
	})
}
