package display

import (
	"errors"
	"image"
	"image/color"
	"slices"
	"strings"
	"testing"
	"time"

	"lawpoint/display/bx"
	"lawpoint/display/dots"
	"lawpoint/display/render"
)

// A font card receives text; the virtual board draws it with the 16-dot
// font, so a passer-by sees exactly these dots, in these colours.
func TestRoundTripFontCardShowsTheText(t *testing.T) {
	r := newRig(t, "bx-5k1", 64, 32, bx.Dual, nil)
	ctx := testCtx(t)
	msg := Message{Runs: []bx.Run{{Color: dots.Red, Text: "宪法"}, {Color: dots.Green, Text: "守护"}, {Color: dots.Yellow, Text: "你我12348"}}}
	if err := r.board.Show(ctx, Area{}, msg); err != nil {
		t.Fatal(err)
	}
	a, ok := r.vb.Area(0)
	if !ok {
		t.Fatalf("the board holds no area 0:\n%s", r.vb.Text())
	}
	if a.X != 0 || a.Y != 0 || a.W != 64 || a.H != 32 || a.Picture {
		t.Fatalf("area is %+v, want a 64x32 text area at the origin", a)
	}
	if !slices.Equal(a.Runs, msg.Runs) {
		t.Fatalf("board holds runs %q, want %q", a.Runs, msg.Runs)
	}
	want, err := render.Layout{W: 64, H: 32, Font: face(t, 16)}.Pages([]render.Run{
		{Text: "宪法", Color: dots.Red}, {Text: "守护", Color: dots.Green}, {Text: "你我12348", Color: dots.Yellow}})
	if err != nil {
		t.Fatal(err)
	}
	sameDots(t, "what the board shows", r.vb.Bitmap(), want[0])
	sameDots(t, "the board's PNG", readPNG(t, r.png), want[0])
	// The first line holds the four red and green characters.
	if c := r.vb.Bitmap().At(4, 8); c != dots.Off && c != dots.Red {
		t.Fatalf("dot (4,8) is %v, inside a red character", c)
	}
	if !strings.Contains(r.vb.Text(), `"宪法"`) {
		t.Fatalf("board log text lacks the message:\n%s", r.vb.Text())
	}
}

// A picture controller gets pages drawn here; the virtual board unpacks
// the planes and shows the same dots, page for page.
func TestRoundTripPictureBoardsShowTheRenderedPages(t *testing.T) {
	text := "《中华人民共和国宪法》是国家的根本法，法律援助请拨打12348。"
	for _, tc := range []struct {
		model  string
		w, h   int
		colors bx.Colors
		size   int
	}{
		{"bx-5e1", 96, 32, bx.Dual, 16},
		{"bx-6e1", 96, 32, bx.Dual, 16},
		{"bx-5e2", 80, 16, bx.Single, 16},
		{"bx-6e2", 128, 64, bx.Dual, 32},
	} {
		t.Run(tc.model, func(t *testing.T) {
			r := newRig(t, tc.model, tc.w, tc.h, tc.colors, nil)
			ctx := testCtx(t)
			msg := Text(text, dots.Green)
			if err := r.board.Show(ctx, Area{}, msg); err != nil {
				t.Fatal(err)
			}
			col := dots.Green
			if tc.colors == bx.Single {
				col = dots.Red // a single-colour board shows green as its one colour
			}
			want, err := render.Layout{W: tc.w, H: tc.h, Font: face(t, tc.size), Align: render.Center}.Pages([]render.Run{{Text: text, Color: col}})
			if err != nil {
				t.Fatal(err)
			}
			a, ok := r.vb.Area(0)
			if !ok || !a.Picture {
				t.Fatalf("no picture area 0 on the board:\n%s", r.vb.Text())
			}
			if len(a.Pages) != len(want) || len(want) < 2 {
				t.Fatalf("board holds %d pages, want %d (more than one)", len(a.Pages), len(want))
			}
			for i := range want {
				sameDots(t, "page", a.Pages[i], want[i])
			}
			sameDots(t, "the board's PNG", readPNG(t, r.png), want[0])
		})
	}
}

// The same content again costs nothing on the wire.
func TestShowingTheSameAgainSendsNothing(t *testing.T) {
	for _, model := range []string{"bx-6k1", "bx-6e1"} {
		t.Run(model, func(t *testing.T) {
			r := newRig(t, model, 64, 32, bx.Dual, nil)
			ctx := testCtx(t)
			msg := Text("依法调解 化解矛盾", dots.Yellow)
			if err := r.board.Show(ctx, Area{}, msg); err != nil {
				t.Fatal(err)
			}
			if err := r.board.SetBrightness(ctx, 7); err != nil {
				t.Fatal(err)
			}
			before, frames := r.board.Stats().Bytes, r.vb.Stats().Frames
			for range 3 {
				if err := r.board.Show(ctx, Area{}, msg); err != nil {
					t.Fatal(err)
				}
				if err := r.board.SetBrightness(ctx, 7); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.board.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			if got := r.board.Stats().Bytes - before; got != 0 {
				t.Fatalf("showing the same again sent %d bytes, want 0", got)
			}
			if r.vb.Stats().Frames != frames {
				t.Fatalf("the board received %d more frames", r.vb.Stats().Frames-frames)
			}
			// A change is sent, and shows.
			if err := r.board.Show(ctx, Area{}, Text("人民调解", dots.Red)); err != nil {
				t.Fatal(err)
			}
			if r.board.Stats().Bytes == before {
				t.Fatal("a new message sent nothing")
			}
			if r.vb.State().Brightness != 7 {
				t.Fatalf("brightness %d, want 7", r.vb.State().Brightness)
			}
		})
	}
}

// Two areas on one board: a title and a scrolling line.
func TestAreasAndScrollingOnAFontCard(t *testing.T) {
	r := newRig(t, "bx-6k1", 96, 32, bx.Dual, nil)
	ctx := testCtx(t)
	top := Area{ID: 0, X: 0, Y: 0, W: 96, H: 16}
	bottom := Area{ID: 1, X: 0, Y: 16, W: 96, H: 16}
	if err := r.board.Show(ctx, top, Text("法治宣传", dots.Yellow)); err != nil {
		t.Fatal(err)
	}
	scroll := Message{Runs: []bx.Run{{Color: dots.Red, Text: "遇到纠纷找人民调解委员会"}}, Effect: bx.EffectScrollLeft, Speed: 4}
	if err := r.board.Show(ctx, bottom, scroll); err != nil {
		t.Fatal(err)
	}
	b, _ := r.vb.Area(1)
	if !b.SingleLine || b.Effect != bx.EffectScrollLeft || b.Speed != 4 {
		t.Fatalf("bottom area is %+v, want a single scrolling line at speed 4", b)
	}
	s, err := render.NewScroll([]render.Run{{Text: "遇到纠纷找人民调解委员会", Color: dots.Red}}, face(t, 16), 96, 16)
	if err != nil {
		t.Fatal(err)
	}
	want := dots.New(96, 32)
	tp, _ := render.Layout{W: 96, H: 16, Font: face(t, 16)}.Pages([]render.Run{{Text: "法治宣传", Color: dots.Yellow}})
	want.Blit(tp[0], 0, 0)
	want.Blit(s.Frame(96), 0, 16)
	sameDots(t, "board", r.vb.Bitmap(), want)
}

func TestSingleColourBoardShowsGreenAsRed(t *testing.T) {
	r := newRig(t, "bx-5k2", 64, 16, bx.Single, nil)
	ctx := testCtx(t)
	if err := r.board.Show(ctx, Area{}, Text("普法", dots.Green)); err != nil {
		t.Fatal(err)
	}
	a, _ := r.vb.Area(0)
	if len(a.Runs) != 1 || a.Runs[0].Color != dots.Red {
		t.Fatalf("runs %v, want the text in red", a.Runs)
	}
	if lit := r.vb.Bitmap().Lit(); lit == 0 {
		t.Fatal("nothing lit")
	}
}

func TestFontCardRefusesTextOutsideGB2312(t *testing.T) {
	m, _ := bx.LookupModel("bx-5k1")
	b, err := NewBoard(Config{Model: m, Width: 64, Height: 16})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Frame(Area{}, Text("陈喆说😀", dots.Red))
	if !errors.Is(err, ErrNeedsPicture) {
		t.Fatalf("got %v, want ErrNeedsPicture", err)
	}
	for _, want := range []string{"喆", "😀", "BX-5E/6E", "GB2312"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), `"陈"`) {
		t.Fatalf("error lists 陈, which is in GB2312: %v", err)
	}
	// The same text on a picture controller is drawn (Unifont has 喆).
	pm, _ := bx.LookupModel("bx-5e1")
	pb, _ := NewBoard(Config{Model: pm, Width: 64, Height: 16, Fonts: testFonts})
	if _, err := pb.Frame(Area{}, Text("陈喆", dots.Red)); err != nil {
		t.Fatalf("picture board: %v", err)
	}
}

func TestTextTooLongSaysSo(t *testing.T) {
	m, _ := bx.LookupModel("bx-5e1")
	b, _ := NewBoard(Config{Model: m, Width: 64, Height: 16, Colors: bx.Dual, Fonts: testFonts})
	_, err := b.Frame(Area{}, Message{Runs: []bx.Run{{Color: dots.Red, Text: strings.Repeat("法", 40000)}}})
	if !errors.Is(err, ErrTooLong) {
		t.Fatalf("got %v, want ErrTooLong", err)
	}
	_, err = b.Frame(Area{W: 64, H: 12}, Message{Runs: []bx.Run{{Color: dots.Red, Text: "法"}}, FontSize: 16})
	if !errors.Is(err, ErrTooLong) || !strings.Contains(err.Error(), "16-dot") {
		t.Fatalf("16-dot text in a 12-dot area: got %v", err)
	}
	k, _ := bx.LookupModel("bx-5k1")
	kb, _ := NewBoard(Config{Model: k, Width: 64, Height: 16})
	if _, err := kb.Frame(Area{W: 64, H: 8}, Text("法", dots.Red)); !errors.Is(err, ErrTooLong) {
		t.Fatalf("font card, 8-dot area: got %v", err)
	}
}

func TestPictureIsDitheredAndShown(t *testing.T) {
	r := newRig(t, "bx-6e1", 64, 32, bx.Dual, nil)
	ctx := testCtx(t)
	img := image.NewRGBA(image.Rect(0, 0, 64, 32))
	for y := 0; y < 32; y++ {
		for x := 0; x < 64; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 8), 0, 255})
		}
	}
	opts := render.PictureOptions{Dither: render.FloydSteinberg, Stretch: true}
	if err := r.board.ShowPicture(ctx, Area{}, img, opts); err != nil {
		t.Fatal(err)
	}
	opts.Palette = render.Dual
	want, err := render.Picture(img, 64, 32, opts)
	if err != nil {
		t.Fatal(err)
	}
	sameDots(t, "picture", r.vb.Bitmap(), want)
	if want.Lit() == 0 || want.Lit() == 64*32 {
		t.Fatalf("dithered picture lit %d of %d dots: not a gradient", want.Lit(), 64*32)
	}
}

func TestPowerAndClearOnAFontCard(t *testing.T) {
	r := newRig(t, "bx-5k1", 64, 16, bx.Dual, nil)
	ctx := testCtx(t)
	if err := r.board.Show(ctx, Area{}, Text("法", dots.Red)); err != nil {
		t.Fatal(err)
	}
	if err := r.board.SetPower(ctx, false); err != nil {
		t.Fatal(err)
	}
	if r.vb.Bitmap().Lit() != 0 || r.vb.State().Power {
		t.Fatal("screen still lit after power off")
	}
	if err := r.board.SetPower(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := r.board.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if len(r.vb.State().Areas) != 0 {
		t.Fatalf("areas left after clear: %s", r.vb.Text())
	}
	// After Clear the same message is sent again.
	if err := r.board.Show(ctx, Area{}, Text("法", dots.Red)); err != nil {
		t.Fatal(err)
	}
	if r.vb.Bitmap().Lit() == 0 {
		t.Fatal("message not shown again after clear")
	}
	_ = time.Second
}

// A font card is not sent a book: text beyond what its dynamic area takes
// is refused before anything goes on the line, with the fix.
func TestFontCardRefusesOverlongText(t *testing.T) {
	m, _ := bx.LookupModel("bx-5k1")
	b, err := NewBoard(Config{Model: m, Width: 64, Height: 16, Colors: bx.Single, Fonts: testFonts,
		Open: func() (Port, error) { return nil, errors.New("no line in this test") }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Frame(Area{W: 64, H: 16}, Text(strings.Repeat("宪法", 400), dots.Red))
	if !errors.Is(err, ErrTooLong) || !strings.Contains(err.Error(), "分成几条") {
		t.Fatalf("800 hanzi on a font card: %v; want ErrTooLong with the fix", err)
	}
	if _, err := b.Frame(Area{W: 64, H: 16}, Text(strings.Repeat("宪法", 100), dots.Red)); err != nil {
		t.Fatalf("200 hanzi refused: %v", err)
	}
}
