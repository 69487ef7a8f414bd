package render

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lawpoint/display/dots"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ (then look at them before checking them in)")

// testFonts is shared by the tests so each font file is read once.
var testFonts = &Fonts{}

// face returns the installed font for size, failing the test with the
// error, which names the Debian package to install.
func face(tb testing.TB, size int) Font {
	tb.Helper()
	f, err := testFonts.Face(size)
	if err != nil {
		tb.Fatalf("the font for %d-dot rows is needed by this test: %v", size, err)
	}
	return f
}

// pagesText is the golden-file form of pages: a header line per page, then
// one line of '.', 'R', 'G', 'Y' per row of dots.
func pagesText(pages []*dots.Bitmap) string {
	var b strings.Builder
	for i, p := range pages {
		fmt.Fprintf(&b, "# page %d/%d %dx%d\n", i+1, len(pages), p.W, p.H)
		b.WriteString(p.Text())
	}
	return b.String()
}

// stack puts pages under each other with a dark row between, for review
// pictures.
func stack(pages []*dots.Bitmap) *dots.Bitmap {
	w, h := 0, 0
	for _, p := range pages {
		w = max(w, p.W)
		h += p.H + 1
	}
	out := dots.New(w, max(h-1, 0))
	y := 0
	for _, p := range pages {
		out.Blit(p, 0, y)
		y += p.H + 1
	}
	return out
}

// checkGolden compares pages with testdata/name.txt; with -update it
// rewrites the file and a round-LED picture testdata/name.png for review.
func checkGolden(t *testing.T, name string, pages []*dots.Bitmap) {
	t.Helper()
	got := pagesText(pages)
	path := filepath.Join("testdata", name+".txt")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(filepath.Join("testdata", name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := PNG(f, stack(pages), PNGOptions{Scale: 6, Round: true}); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file missing: run `go test ./display/render -run %s -update` and look at it: %v", t.Name(), err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file %s; got:\n%s", name, path, got)
	}
}

// fixedFont is a stand-in font for line-breaking tests: ASCII characters
// are 1 dot wide, everything else 2, all 1 dot high and fully lit.
type fixedFont struct{}

func (fixedFont) Name() string { return "fixed" }
func (fixedFont) Height() int  { return 1 }
func (fixedFont) Glyph(r rune) (Glyph, bool) {
	w := 2
	if r < 0x80 {
		w = 1
	}
	b := dots.New(w, 1)
	if !isSpace(r) {
		for i := range b.Pix {
			b.Pix[i] = dots.Red
		}
	}
	return Glyph{Dots: b, Advance: w}, true
}

// cellsOf shapes s (no newlines) with fixedFont.
func cellsOf(s string) []cell {
	var cs []cell
	for _, r := range s {
		g, _ := fixedFont{}.Glyph(r)
		cs = append(cs, cell{r: r, c: dots.Red, adv: g.Advance, g: g.Dots})
	}
	return cs
}

func lineString(l line) string {
	var b strings.Builder
	for _, c := range l.cells {
		b.WriteRune(c.r)
	}
	return b.String()
}
