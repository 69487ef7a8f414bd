package render

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"lawpoint/display/dots"
)

// Run is a stretch of text in one colour. The zero Color (dots.Off, which
// would be invisible) means dots.Red, the colour every board has.
type Run struct {
	Text  string
	Color dots.Color
}

// Align places each line across the area.
type Align int

const (
	Left   Align = iota // lines start at the left edge
	Center              // lines are centred
)

// ErrAreaTooSmall is wrapped when a single character (or line) does not fit
// the area at the chosen font size.
var ErrAreaTooSmall = errors.New("area too small for the font size")

// ErrTooLong is wrapped when a text needs more pages than Layout.MaxPages.
var ErrTooLong = errors.New("text too long for the area")

// Layout lays text into pages of W x H dots.
type Layout struct {
	W, H        int
	Font        Font
	LineSpacing int   // blank rows between lines, in dots
	Align       Align // Left or Center
	MaxPages    int   // 0: as many pages as the text needs
}

// LinesPerPage is how many lines fit in one page.
func (l Layout) LinesPerPage() int {
	if l.Font == nil || l.Font.Height() <= 0 || l.H < l.Font.Height() {
		return 0
	}
	return (l.H + l.LineSpacing) / (l.Font.Height() + l.LineSpacing)
}

func (l Layout) check() error {
	if l.Font == nil {
		return errors.New("render: layout has no font: get one from Fonts.Face")
	}
	if l.W <= 0 || l.H <= 0 {
		return fmt.Errorf("render: area %dx%d is empty: give the board area's width and height in dots", l.W, l.H)
	}
	if l.LineSpacing < 0 {
		return fmt.Errorf("render: line spacing %d is negative: use 0 or more dots", l.LineSpacing)
	}
	if l.LinesPerPage() == 0 {
		return fmt.Errorf("render: %w: the area is %d dots high but %s needs %d: use a smaller font size or a taller area",
			ErrAreaTooSmall, l.H, l.Font.Name(), l.Font.Height())
	}
	return nil
}

// shape turns runs into cells, one slice per paragraph (explicit newline),
// failing with a *MissingGlyphsError when the font lacks any character.
func shape(runs []Run, f Font) ([][]cell, error) {
	var missing []rune
	seen := map[rune]bool{}
	paras := [][]cell{nil}
	for ri, run := range runs {
		if !utf8.ValidString(run.Text) {
			return nil, fmt.Errorf("render: run %d is not valid UTF-8 text: convert it to UTF-8 (e.g. from GB18030) first", ri)
		}
		c := run.Color
		if c == dots.Off {
			c = dots.Red
		}
		text := strings.ReplaceAll(run.Text, "\r\n", "\n")
		text = strings.ReplaceAll(text, "\r", "\n")
		for _, r := range text {
			if r == '\n' {
				paras = append(paras, nil)
				continue
			}
			g, ok := Glyph{}, false
			if printable(r) {
				g, ok = drawable(f, r)
			}
			if !ok {
				if !seen[r] {
					seen[r] = true
					missing = append(missing, r)
				}
				continue
			}
			paras[len(paras)-1] = append(paras[len(paras)-1], cell{r: r, c: c, adv: g.Advance, g: g.Dots})
		}
	}
	if len(missing) > 0 {
		return nil, &MissingGlyphsError{Font: f.Name(), Runes: missing}
	}
	return paras, nil
}

// lines lays runs into lines of at most l.W dots.
func (l Layout) lines(runs []Run) ([]line, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	paras, err := shape(runs, l.Font)
	if err != nil {
		return nil, err
	}
	var out []line
	for _, p := range paras {
		for _, c := range p {
			if c.adv > l.W {
				return nil, fmt.Errorf("render: %w: %q is %d dots wide in %s but the area is %d dots wide: use a smaller font size or a wider area",
					ErrAreaTooSmall, c.r, c.adv, l.Font.Name(), l.W)
			}
		}
		out = append(out, breakParagraph(p, l.W)...)
	}
	// Trailing newlines do not make blank pages.
	for len(out) > 1 && len(out[len(out)-1].cells) == 0 {
		out = out[:len(out)-1]
	}
	return out, nil
}

// Lines returns the text of each line as Pages would lay it out.
func (l Layout) Lines(runs []Run) ([]string, error) {
	ls, err := l.lines(runs)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ls))
	for i, ln := range ls {
		var b strings.Builder
		for _, c := range ln.cells {
			b.WriteRune(c.r)
		}
		out[i] = b.String()
	}
	return out, nil
}

// Pages lays runs into as many W x H pages as they need. Lines are broken
// by character with the Chinese rules (see IsClosing and IsOpening), ASCII
// words and numbers are kept whole when they fit, and explicit newlines start
// a new line. The block of LinesPerPage lines is centred vertically in the
// area, at the same place on every page.
//
// It fails with a *MissingGlyphsError when the font lacks characters, with
// ErrAreaTooSmall when a character does not fit the area, and with
// ErrTooLong when MaxPages is set and exceeded.
func (l Layout) Pages(runs []Run) ([]*dots.Bitmap, error) {
	ls, err := l.lines(runs)
	if err != nil {
		return nil, err
	}
	per := l.LinesPerPage()
	n := (len(ls) + per - 1) / per
	if l.MaxPages > 0 && n > l.MaxPages {
		return nil, fmt.Errorf("render: %w: it needs %d pages of %dx%d at %s, at most %d allowed: shorten the text, use a smaller font size or allow more pages",
			ErrTooLong, n, l.W, l.H, l.Font.Name(), l.MaxPages)
	}
	lh := l.Font.Height()
	top := (l.H - (per*lh + (per-1)*l.LineSpacing)) / 2
	pages := make([]*dots.Bitmap, n)
	for p := range pages {
		page := dots.New(l.W, l.H)
		for k := 0; k < per && p*per+k < len(ls); k++ {
			ln := ls[p*per+k]
			x := 0
			if l.Align == Center {
				x = (l.W - ln.width()) / 2
			}
			drawCells(page, ln.cells, x, top+k*(lh+l.LineSpacing))
		}
		pages[p] = page
	}
	return pages, nil
}

// drawCells draws cells left to right from (x, y), clipping at the edges.
func drawCells(dst *dots.Bitmap, cells []cell, x, y int) {
	for _, c := range cells {
		g := c.g
		for gy := 0; gy < g.H; gy++ {
			dy := y + gy
			if dy < 0 || dy >= dst.H {
				continue
			}
			for gx := 0; gx < g.W; gx++ {
				dx := x + gx
				if dx < 0 || dx >= dst.W || g.Pix[gy*g.W+gx] == dots.Off {
					continue
				}
				dst.Pix[dy*dst.W+dx] = c.c
			}
		}
		x += c.adv
	}
}
