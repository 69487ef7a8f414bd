package render

import (
	"errors"
	"testing"
)

func FuzzParseUnifont(f *testing.F) {
	f.Add([]byte("0031:000000000818280808080808083E0000\n"))
	f.Add([]byte("56FD:00007FFC40044FE4410441044FE441044144412447E4400440047FFC40040000\r\n0031:000000000818280808080808083E0000"))
	f.Add([]byte("10FFFF:000000000818280808080808083E0000\n\n\n"))
	f.Add([]byte(":\n0:"))
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := ParseUnifont(data)
		if err != nil {
			return
		}
		for i, r := range u.runes {
			if i > 64 {
				break
			}
			g, ok := u.Glyph(r)
			if !ok || g.Dots.H != 16 || g.Dots.W != g.Advance || g.Advance%4 != 0 {
				t.Fatalf("U+%04X: glyph %+v ok %v", r, g, ok)
			}
		}
	})
}

func FuzzLayout(f *testing.F) {
	f.Add("反诈骗，请拨打12348。", 64, 32, 0, false)
	f.Add("《宪法》\n\n……——", 16, 16, 2, true)
	f.Add("www.12348.gov.cn 法治", 8, 17, 1, false)
	u := face(f, 16)
	f.Fuzz(func(t *testing.T, text string, w, h, spacing int, centre bool) {
		w, h, spacing = w%300, h%100, spacing%10
		l := Layout{W: w, H: h, Font: u, LineSpacing: spacing}
		if centre {
			l.Align = Center
		}
		pages, err := l.Pages([]Run{{Text: text}})
		if err != nil {
			var me *MissingGlyphsError
			if !errors.As(err, &me) && !errors.Is(err, ErrAreaTooSmall) && err.Error() == "" {
				t.Fatalf("unexplained error %v", err)
			}
			return
		}
		if len(pages) == 0 {
			t.Fatal("no pages and no error")
		}
		for _, p := range pages {
			if p.W != w || p.H != h {
				t.Fatalf("page is %dx%d, want %dx%d", p.W, p.H, w, h)
			}
		}
		if _, err := NewScroll([]Run{{Text: text}}, u, max(w, 1), max(h, 16)); err != nil {
			t.Fatalf("scroll failed where pages worked: %v", err)
		}
	})
}
