package render

import (
	"errors"
	"image"
	"testing"

	"lawpoint/display/dots"
)

func TestScroll(t *testing.T) {
	u := face(t, 16)
	s, err := NewScroll([]Run{{Text: "依法治国", Color: dots.Green}}, u, 32, 16)
	if err != nil {
		t.Fatal(err)
	}
	if s.Strip.W != 64 || s.Strip.H != 16 {
		t.Fatalf("strip is %dx%d, want 64x16", s.Strip.W, s.Strip.H)
	}
	if s.Frames() != 96 {
		t.Fatalf("Frames = %d, want 96 (64-dot strip through a 32-dot area)", s.Frames())
	}
	if f := s.Frame(0); f.Lit() != 0 {
		t.Errorf("frame 0 should be dark, the text waiting beyond the right edge:\n%s", f.Text())
	}
	// Frame 32: 依法 fills the area; frame 64: 治国.
	for n, want := range map[int]string{32: "依法", 64: "治国"} {
		page, _ := Layout{W: 32, H: 16, Font: u}.Pages([]Run{{Text: want, Color: dots.Green}})
		if got := s.Frame(n); !got.Equal(page[0]) {
			t.Errorf("frame %d is not %s:\n%s", n, want, got.Text())
		}
	}
	// Frame 8: the first 8 columns of 依 at the right edge.
	f8 := s.Frame(8)
	if !f8.Sub(image.Rect(24, 0, 32, 16)).Equal(s.Strip.Sub(image.Rect(0, 0, 8, 16))) || f8.Sub(image.Rect(0, 0, 24, 16)).Lit() != 0 {
		t.Errorf("frame 8 should show only the left 8 columns of 依 at the right edge:\n%s", f8.Text())
	}
	// Offsets wrap around.
	if !s.Frame(32+96).Equal(s.Frame(32)) || !s.Frame(-64).Equal(s.Frame(32)) {
		t.Error("frame offsets do not wrap around Frames")
	}
	if f := s.Frame(95); f.Sub(image.Rect(1, 0, 32, 16)).Lit() != 0 {
		t.Errorf("frame 95 should show at most the last column of 国 at the left edge:\n%s", f.Text())
	}
}

func TestScrollCentresVertically(t *testing.T) {
	s, err := NewScroll([]Run{{Text: "一\n二"}}, face(t, 16), 64, 32)
	if err != nil {
		t.Fatal(err)
	}
	// 一 + space + 二 = 40 dots; 16-dot text in a 32-dot area starts at row 8.
	if s.Strip.W != 40 {
		t.Errorf("strip width = %d, want 40 (newline becomes a space)", s.Strip.W)
	}
	if s.Strip.Sub(image.Rect(0, 0, 40, 8)).Lit() != 0 || s.Strip.Sub(image.Rect(0, 24, 40, 32)).Lit() != 0 {
		t.Errorf("text is not centred vertically:\n%s", s.Strip.Text())
	}
	if _, err := NewScroll([]Run{{Text: "法"}}, face(t, 16), 64, 8); !errors.Is(err, ErrAreaTooSmall) {
		t.Errorf("16-dot text in an 8-dot area: err = %v, want ErrAreaTooSmall", err)
	}
}
