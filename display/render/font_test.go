package render

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseUnifont(t *testing.T) {
	// "1" as 8x16 and 国 as 16x16, in reverse order, with CRLF and a blank line.
	data := "56FD:00007FFC40044FE4410441044FE441044144412447E440044004 7FFC40040000\r\n\n" +
		"0031:000000000818280808080808083E0000\n"
	data = strings.ReplaceAll(data, " ", "")
	u, err := ParseUnifont([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if u.Len() != 2 {
		t.Fatalf("Len = %d, want 2", u.Len())
	}
	one, ok := u.Glyph('1')
	if !ok || one.Advance != 8 || one.Dots.H != 16 {
		t.Fatalf("glyph 1 = %+v, %v; want 8x16", one, ok)
	}
	// Row 5 is 0x18: ...RR...
	if got := strings.Split(one.Dots.Text(), "\n")[5]; got != "...RR..." {
		t.Errorf("row 5 of 1 = %q, want ...RR...", got)
	}
	guo, ok := u.Glyph('国')
	if !ok || guo.Advance != 16 {
		t.Fatalf("glyph 国 = %+v, %v; want 16 wide", guo, ok)
	}
	if got := strings.Split(guo.Dots.Text(), "\n")[1]; got != ".RRRRRRRRRRRRR.." {
		t.Errorf("row 1 of 国 = %q, want .RRRRRRRRRRRRR..", got)
	}
	if _, ok := u.Glyph('2'); ok {
		t.Error("glyph 2 should be missing")
	}
}

func TestParseUnifontErrors(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"0031:0000", "hex digits"},
		{"0031:00000000081828080808080808 3E0000", "hex digit"},
		{"31:000000000818280808080808083E0000", "XXXX:hexdigits"},
		{"00G1:000000000818280808080808083E0000", "code point"},
		{"D800:000000000818280808080808083E0000", "not a Unicode character"},
		{"0031:000000000818280808080808083E0000\n0031:000000000818280808080808083E0000", "twice"},
	} {
		_, err := ParseUnifont([]byte(tc.data))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseUnifont(%q) = %v, want an error about %q", tc.data, err, tc.want)
		}
	}
}

func TestMissingFontNamesPackage(t *testing.T) {
	dir := t.TempDir()
	fs := &Fonts{UnifontPath: filepath.Join(dir, "unifont.hex"), TrueTypePath: filepath.Join(dir, "wqy.ttc")}
	_, err := fs.Face(16)
	if !errors.Is(err, ErrFontMissing) || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "apt-get install unifont") {
		t.Errorf("missing unifont: err = %v, want ErrFontMissing naming `apt-get install unifont`", err)
	}
	_, err = fs.Face(32)
	if !errors.Is(err, ErrFontMissing) || !strings.Contains(err.Error(), "apt-get install fonts-wqy-microhei") {
		t.Errorf("missing TrueType: err = %v, want ErrFontMissing naming `apt-get install fonts-wqy-microhei`", err)
	}
	if _, err := fs.Face(4); err == nil {
		t.Error("size 4: want an error")
	}
}

func TestFontsPathOverride(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny.hex")
	if err := os.WriteFile(path, []byte("0031:000000000818280808080808083E0000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := (&Fonts{UnifontPath: path}).Face(16)
	if err != nil {
		t.Fatal(err)
	}
	if m := Missing(f, "11法"); len(m) != 1 || m[0] != '法' {
		t.Errorf("the override font should have only 1; Missing = %q", m)
	}
}

func TestTrueTypeFromCollection(t *testing.T) {
	f := face(t, 24)
	if !strings.Contains(f.Name(), "WenQuanYi") || f.Height() != 24 {
		t.Errorf("24-dot face is %q, %d high; want WenQuanYi Micro Hei, 24", f.Name(), f.Height())
	}
	g, ok := f.Glyph('法')
	if !ok || g.Advance != 24 || g.Dots.H != 24 {
		t.Fatalf("法 at 24 dots: %v, %dx%d advance %d", ok, g.Dots.W, g.Dots.H, g.Advance)
	}
	// A Han character fills most of its cell and stays inside it.
	if lit := g.Dots.Lit(); lit < 60 || lit > 300 {
		t.Errorf("法 lights %d of 576 dots: not a legible character", lit)
	}
	if _, err := ParseTrueType([]byte("not a font"), 24); err == nil {
		t.Error("garbage font data: want an error")
	}
}
