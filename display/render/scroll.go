package render

import (
	"fmt"

	"lawpoint/display/dots"
)

// Scroll is one line of text for a board that scrolls it from right to
// left through an area W dots wide.
type Scroll struct {
	Strip *dots.Bitmap // the whole line, as wide as the text and as high as the area
	W     int          // width of the area it scrolls through
}

// NewScroll renders runs as a single line in an area w x h dots, the text
// vertically centred. Newlines become spaces.
func NewScroll(runs []Run, f Font, w, h int) (*Scroll, error) {
	if f == nil {
		return nil, fmt.Errorf("render: scroll has no font: get one from Fonts.Face")
	}
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("render: scroll area %dx%d is empty: give the area's width and height in dots", w, h)
	}
	if h < f.Height() {
		return nil, fmt.Errorf("render: %w: the area is %d dots high but %s needs %d: use a smaller font size or a taller area",
			ErrAreaTooSmall, h, f.Name(), f.Height())
	}
	paras, err := shape(runs, f)
	if err != nil {
		return nil, err
	}
	var cells []cell
	for i, p := range paras {
		if i > 0 {
			sp, ok := f.Glyph(' ')
			if !ok {
				return nil, &MissingGlyphsError{Font: f.Name(), Runes: []rune{' '}}
			}
			cells = append(cells, cell{r: ' ', adv: sp.Advance, g: sp.Dots})
		}
		cells = append(cells, p...)
	}
	width := 0
	for _, c := range cells {
		width += c.adv
	}
	strip := dots.New(width, h)
	drawCells(strip, cells, 0, (h-f.Height())/2)
	return &Scroll{Strip: strip, W: w}, nil
}

// Frames is the number of distinct frames in one pass: the text enters at
// the right edge and scrolls until its end has left at the left edge.
func (s *Scroll) Frames() int { return s.Strip.W + s.W }

// Frame returns the area after the text has moved n dots to the left.
// Frame 0 is empty with the text just beyond the right edge; frame W shows
// the start of the text at the left edge. n wraps around Frames.
func (s *Scroll) Frame(n int) *dots.Bitmap {
	total := s.Frames()
	n %= total
	if n < 0 {
		n += total
	}
	f := dots.New(s.W, s.Strip.H)
	// Frame column x shows strip column x+n-W.
	lo, hi := max(0, s.W-n), min(s.W, s.Strip.W+s.W-n)
	for y := 0; y < f.H && lo < hi; y++ {
		copy(f.Pix[y*f.W+lo:y*f.W+hi], s.Strip.Pix[y*s.Strip.W+lo+n-s.W:])
	}
	return f
}
