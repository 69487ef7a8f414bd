package render

import (
	"testing"
	"unicode"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// gb2312 returns the characters of GB2312 rows (0xA1..0xF7) decoded from
// their EUC-CN bytes, skipping unassigned positions.
func gb2312(t *testing.T, rows ...byte) []rune {
	t.Helper()
	dec := simplifiedchinese.GBK.NewDecoder()
	var out []rune
	for _, row := range rows {
		for col := byte(0xA1); col <= 0xFE; col++ {
			if row == 0xD7 && col >= 0xFA { // row 55 ends at column 89
				continue
			}
			s, err := dec.Bytes([]byte{row, col})
			if err != nil {
				t.Fatal(err)
			}
			rs := []rune(string(s))
			if len(rs) != 1 || rs[0] == unicode.ReplacementChar || (rs[0] >= 0xE000 && rs[0] <= 0xF8FF) {
				continue // unassigned in GB2312 (GBK maps some to the private use area)
			}
			out = append(out, rs[0])
		}
	}
	return out
}

func hanziRows() []byte {
	var rows []byte
	for r := byte(0xB0); r <= 0xF7; r++ {
		rows = append(rows, r)
	}
	return rows
}

func TestGB2312Hanzi(t *testing.T) {
	hz := gb2312(t, hanziRows()...)
	if len(hz) != 6763 {
		t.Fatalf("enumerated %d GB2312 hanzi, want 6763", len(hz))
	}
	for _, r := range hz {
		if !unicode.Is(unicode.Han, r) {
			t.Fatalf("%q (U+%04X) in the hanzi rows is not Han", r, r)
		}
	}
}

// shipped is every character the renderer must draw besides the hanzi:
// GB2312 row 1 (punctuation) and row 3 (full-width ASCII), printable ASCII,
// and the punctuation the line breaker knows.
func shipped(t *testing.T) []rune {
	rs := gb2312(t, 0xA1, 0xA3)
	for r := rune(0x20); r < 0x7f; r++ {
		rs = append(rs, r)
	}
	rs = append(rs, []rune(closingPunct+openingPunct+"—")...)
	return rs
}

func checkCoverage(t *testing.T, f Font, rs []rune) {
	t.Helper()
	var missing []rune
	blank := 0
	for _, r := range rs {
		g, ok := f.Glyph(r)
		if !ok {
			missing = append(missing, r)
			continue
		}
		if g.Dots.Lit() == 0 && !isSpace(r) {
			blank++
			t.Errorf("%s draws %q (U+%04X) blank", f.Name(), r, r)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%s lacks %d of %d characters: %s", f.Name(), len(missing), len(rs), (&MissingGlyphsError{Font: f.Name(), Runes: missing}).Error())
	}
}

func TestUnifontCoversGB2312(t *testing.T) {
	u := face(t, 16)
	checkCoverage(t, u, gb2312(t, hanziRows()...))
	checkCoverage(t, u, shipped(t))
	// Hanzi are full width; ASCII half width.
	for _, c := range []struct {
		r rune
		w int
	}{{'法', 16}, {'，', 16}, {'。', 16}, {'1', 8}, {'A', 8}} {
		if g, _ := u.Glyph(c.r); g.Advance != c.w {
			t.Errorf("unifont %q advance = %d, want %d", c.r, g.Advance, c.w)
		}
	}
}

func TestTrueTypeCoversGB2312(t *testing.T) {
	for _, size := range []int{24, 32} {
		f := face(t, size)
		checkCoverage(t, f, gb2312(t, hanziRows()...))
		var known []rune
		for _, r := range shipped(t) {
			if r != '℃' {
				known = append(known, r)
			}
		}
		checkCoverage(t, f, known)
		// WenQuanYi Micro Hei maps ℃ to an empty outline: it must be
		// reported missing, never drawn blank.
		if m := Missing(f, "气温20℃"); len(m) != 1 || m[0] != '℃' {
			t.Errorf("Missing(%s, 气温20℃) = %q, want [℃]", f.Name(), m)
		}
	}
}
