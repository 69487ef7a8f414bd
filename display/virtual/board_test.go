package virtual

import (
	"errors"
	"strings"
	"testing"

	"lawpoint/display/bx"
	"lawpoint/display/dots"
)

func board(t *testing.T, model string, w, h int, c bx.Colors) (*Board, *bx.Encoder) {
	t.Helper()
	m, _ := bx.LookupModel(model)
	b, err := New(Config{Model: m, Width: w, Height: h, Colors: c, Fonts: fuzzFonts})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := bx.NewEncoder(m, w, h, c)
	if err != nil {
		t.Fatal(err)
	}
	return b, enc
}

func handle(t *testing.T, b *Board, frame []byte) *bx.Reply {
	t.Helper()
	p, err := bx.Unframe(frame)
	if err != nil {
		t.Fatal(err)
	}
	wire := b.Handle(p)
	if wire == nil {
		return nil
	}
	r, err := bx.ParseReply(wire)
	if err != nil {
		t.Fatal(err)
	}
	return &r
}

// The board answers as a controller would, and stays silent where a
// controller would.
func TestBoardAnswersLikeAController(t *testing.T) {
	b, enc := board(t, "bx-5e1", 64, 16, bx.Dual)
	page := dots.New(64, 16)
	page.Set(3, 3, dots.Yellow)
	up := bx.PictureUpdate{Area: bx.PictureArea{Pages: []bx.Page{{Effect: bx.EffectStatic, Bitmap: page}}}}
	fr, _ := enc.Encode(up)
	if r := handle(t, b, fr); r == nil || !r.IsACK() {
		t.Fatalf("good update: %+v", r)
	}
	if b.Bitmap().At(3, 3) != dots.Yellow || b.Bitmap().Lit() != 1 {
		t.Fatalf("board shows\n%s", b.Bitmap().Text())
	}
	// Another screen address: silence.
	other := *enc
	other.Header.Dst = 7
	fr, _ = other.Encode(bx.Ping{})
	if r := handle(t, b, fr); r != nil {
		t.Fatalf("answered a frame for address 7: %+v", r)
	}
	// Broadcast without reply: acted on, no answer.
	bc := *enc
	bc.Header.Dst = bx.AddrBroadcast
	fr, _ = bc.Encode(bx.DeleteAreas{All: true})
	if r := handle(t, b, fr); r != nil || b.Bitmap().Lit() != 0 {
		t.Fatalf("broadcast delete: reply %+v, lit %d", r, b.Bitmap().Lit())
	}
	// Another controller type: NACK with the reason.
	wrong := *enc
	wrong.Header.DeviceType = 0x0274
	fr, _ = wrong.Encode(up)
	if r := handle(t, b, fr); r == nil || !r.IsNACK() || r.Code != bx.CodeControllerType {
		t.Fatalf("wrong device type: %+v", r)
	}
	// Pages packed for one colour on a dual-colour board: NACK.
	enc1, _ := bx.NewEncoder(enc.Model, 64, 16, bx.Single)
	single := bx.PictureUpdate{Area: bx.PictureArea{Pages: []bx.Page{{Effect: bx.EffectStatic, Bitmap: dots.New(64, 16)}}}}
	fr, _ = enc1.Encode(single)
	if r := handle(t, b, fr); r == nil || r.Code != bx.CodeScreenParameter || !strings.Contains(b.LastProblem(), "colour") {
		t.Fatalf("single-colour pages: %+v, %s", r, b.LastProblem())
	}
	// A font-card frame on a picture controller: ignored.
	k, _ := bx.LookupModel("bx-5k1")
	kenc, _ := bx.NewEncoder(k, 64, 16, bx.Dual)
	fr, _ = kenc.Encode(bx.Ping{})
	if r := handle(t, b, fr); r != nil {
		t.Fatalf("answered a font-card frame: %+v", r)
	}
	if st := b.Stats(); st.Ignored != 2 || st.NACK != 2 {
		t.Fatalf("stats %+v", st)
	}
}

// An area larger than the screen is refused with ERR_SCREEN_PARA.
func TestBoardRefusesAreasOffTheScreen(t *testing.T) {
	b, _ := board(t, "bx-6k1", 64, 16, bx.Dual)
	big, _ := bx.LookupModel("bx-6k1")
	enc, _ := bx.NewEncoder(big, 128, 32, bx.Dual)
	fr, err := enc.Encode(bx.TextUpdate{Areas: []bx.TextArea{{W: 128, H: 32, Effect: bx.EffectStatic, Runs: []bx.Run{{Color: dots.Red, Text: "法"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if r := handle(t, b, fr); r == nil || r.Code != bx.CodeScreenParameter {
		t.Fatalf("oversized area: %+v", r)
	}
	var nack *bx.NACKError
	if r := handle(t, b, fr); !errors.As(r.Err(), &nack) {
		t.Fatal("reply carries no NACK error")
	}
}
