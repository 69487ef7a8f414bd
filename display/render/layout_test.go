package render

import (
	"errors"
	"image"
	"reflect"
	"strings"
	"testing"

	"lawpoint/display/dots"
)

func TestGoldenConstitution64x16(t *testing.T) {
	// Nine characters at 16 dots on a 64x16 board: four per page.
	l := Layout{W: 64, H: 16, Font: face(t, 16)}
	pages, err := l.Pages([]Run{{Text: "宪法是国家的根本法"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 3 {
		t.Fatalf("got %d pages, want 3 (宪法是国 / 家的根本 / 法)", len(pages))
	}
	checkGolden(t, "xianfa-64x16", pages)

	// Each page is exactly the glyphs side by side, as a passer-by reads.
	u := face(t, 16)
	for p, text := range []string{"宪法是国", "家的根本", "法"} {
		want := dots.New(64, 16)
		x := 0
		for _, r := range text {
			g, _ := u.Glyph(r)
			want.Blit(g.Dots, x, 0)
			x += g.Advance
		}
		if !pages[p].Equal(want) {
			t.Errorf("page %d is not %q drawn left to right", p+1, text)
		}
	}
	// Unifont's 宪 (U+5BAA) row 2 is 7FFE: the roof's long stroke.
	if got := pages[0].Sub(image.Rect(0, 2, 16, 3)).Text(); got != ".RRRRRRRRRRRRRR.\n" {
		t.Errorf("宪 row 2 = %q, want the roof stroke .RRRRRRRRRRRRRR.", got)
	}
}

func TestGoldenFraudHotline64x32(t *testing.T) {
	// Two lines a page: the comma stays with 骗, "12348" and its full stop
	// stay together on the next line.
	l := Layout{W: 64, H: 32, Font: face(t, 16)}
	runs := []Run{{Text: "反诈骗，请拨打"}, {Text: "12348", Color: dots.Yellow}, {Text: "。"}}
	lines, err := l.Lines(runs)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"反诈骗，", "请拨打", "12348。"}; !reflect.DeepEqual(lines, want) {
		t.Fatalf("lines = %q, want %q", lines, want)
	}
	pages, err := l.Pages(runs)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 2 {
		t.Fatalf("got %d pages, want 2", len(pages))
	}
	checkGolden(t, "fanzhapian-64x32", pages)
	// The number is yellow, the rest red, nothing else.
	colours := map[dots.Color]int{}
	for _, c := range pages[1].Pix {
		colours[c]++
	}
	if colours[dots.Yellow] == 0 || colours[dots.Red] == 0 || colours[dots.Green] != 0 {
		t.Errorf("page 2 colours = %v, want yellow digits and a red full stop", colours)
	}
	for y := 0; y < 16; y++ {
		for x := 40; x < 64; x++ { // 。 follows five 8-dot digits
			if c := pages[1].At(x, y); c == dots.Yellow {
				t.Fatalf("dot (%d,%d) of the full stop is yellow", x, y)
			}
		}
	}
}

func TestGoldenHotline256x64At32(t *testing.T) {
	l := Layout{W: 256, H: 64, Font: face(t, 32), Align: Center}
	runs := []Run{{Text: "12348", Color: dots.Yellow}, {Text: "公共法律服务热线", Color: dots.Green}}
	lines, err := l.Lines(runs)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "12348") {
		t.Fatalf("lines = %q, want two lines starting with 12348", lines)
	}
	pages, err := l.Pages(runs)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "hotline-256x64-32", pages)
}

func TestGoldenEducation128x48At24(t *testing.T) {
	l := Layout{W: 128, H: 48, Font: face(t, 24), Align: Center}
	pages, err := l.Pages([]Run{{Text: "尊法学法守法用法"}})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "zunfa-128x48-24", pages)
}

func TestCentreAlignment(t *testing.T) {
	u := face(t, 16)
	pages, err := Layout{W: 64, H: 16, Font: u, Align: Center}.Pages([]Run{{Text: "法治"}})
	if err != nil {
		t.Fatal(err)
	}
	left, _ := Layout{W: 64, H: 16, Font: u}.Pages([]Run{{Text: "法治"}})
	want := dots.New(64, 16)
	want.Blit(left[0], 16, 0) // 32 dots of text centred in 64
	if !pages[0].Equal(want) {
		t.Errorf("centred 法治 is not 16 dots in from the left:\n%s", pages[0].Text())
	}
}

func TestLineSpacingAndVerticalCentring(t *testing.T) {
	// 64 high, 16-dot lines, 2 dots apart: 3 lines (52 dots) 6 dots from
	// the top.
	l := Layout{W: 16, H: 64, Font: face(t, 16), LineSpacing: 2}
	if n := l.LinesPerPage(); n != 3 {
		t.Fatalf("LinesPerPage = %d, want 3", n)
	}
	pages, err := l.Pages([]Run{{Text: "一二三四"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 2 {
		t.Fatalf("got %d pages, want 2", len(pages))
	}
	// 一 is a single horizontal stroke: its rows sit within 6..21.
	for y := 0; y < 64; y++ {
		lit := false
		for x := 0; x < 16; x++ {
			lit = lit || pages[0].At(x, y) != dots.Off
		}
		if lit && y < 6 {
			t.Errorf("row %d lit above the centred block", y)
		}
	}
}

func TestPagesErrors(t *testing.T) {
	u := face(t, 16)
	_, err := Layout{W: 64, H: 12, Font: u}.Pages([]Run{{Text: "法"}})
	if !errors.Is(err, ErrAreaTooSmall) || !strings.Contains(err.Error(), "smaller font size") {
		t.Errorf("16-dot font in a 12-dot area: err = %v, want ErrAreaTooSmall saying what to do", err)
	}
	_, err = Layout{W: 12, H: 16, Font: u}.Pages([]Run{{Text: "法"}})
	if !errors.Is(err, ErrAreaTooSmall) || !strings.Contains(err.Error(), "法") {
		t.Errorf("16-dot character in a 12-dot wide area: err = %v, want ErrAreaTooSmall naming 法", err)
	}
	_, err = Layout{W: 64, H: 16, Font: u, MaxPages: 2}.Pages([]Run{{Text: "宪法是国家的根本法"}})
	if !errors.Is(err, ErrTooLong) {
		t.Errorf("3 pages with MaxPages 2: err = %v, want ErrTooLong", err)
	}
	_, err = Layout{W: 64, H: 16, Font: u}.Pages([]Run{{Text: "法\xff"}})
	if err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("invalid UTF-8: err = %v, want a UTF-8 error", err)
	}
}

func TestMissingGlyphsAreReported(t *testing.T) {
	u := face(t, 16)
	// U+20000 (𠀀) is outside the Basic Multilingual Plane that unifont.hex
	// covers; a tab has no printable form.
	_, err := Layout{W: 64, H: 16, Font: u}.Pages([]Run{{Text: "法𠀀治\t𠀀"}})
	var me *MissingGlyphsError
	if !errors.As(err, &me) {
		t.Fatalf("err = %v, want *MissingGlyphsError", err)
	}
	if !reflect.DeepEqual(me.Runes, []rune{0x20000, '\t'}) {
		t.Errorf("missing = %U, want [U+20000 U+0009]", me.Runes)
	}
	if !strings.Contains(err.Error(), "U+20000") || !strings.Contains(err.Error(), "unifont") {
		t.Errorf("error %q should name the character and the font", err)
	}
	if got := Missing(u, "法\n治"); len(got) != 0 {
		t.Errorf("Missing(法\\n治) = %U, want none", got)
	}
}

func TestConcurrentRendering(t *testing.T) {
	// Fonts and their glyph caches are shared by goroutines (run with -race).
	done := make(chan error)
	for i := 0; i < 4; i++ {
		go func(size int) {
			f, err := testFonts.Face(size)
			if err == nil {
				_, err = Layout{W: 128, H: 64, Font: f}.Pages([]Run{{Text: "人民调解法律援助公证司法鉴定"}})
			}
			done <- err
		}([]int{16, 24, 16, 24}[i])
	}
	for i := 0; i < 4; i++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
