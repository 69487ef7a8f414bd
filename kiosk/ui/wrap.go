package ui

import (
	"strings"
	"unicode/utf8"

	"lawpoint/display/render"
)

// Measurer measures text drawn in the kiosk's font.
type Measurer interface {
	// Advance is the width of s drawn at size px.
	Advance(s string, size float64) float64
}

// Wrap breaks text into lines no wider than width at size px: between any
// two characters, except that closing punctuation never starts a line,
// opening punctuation never ends one, and ASCII words and numbers (12348,
// 138****5678) stay whole when they fit. A newline always breaks. A single
// character wider than the line is put on a line of its own.
func Wrap(text string, width, size float64, m Measurer) []string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		out = append(out, wrapLine(para, width, size, m)...)
	}
	return out
}

func wrapLine(s string, width, size float64, m Measurer) []string {
	if s == "" {
		return []string{""}
	}
	// Break the paragraph into clusters that may not be split.
	var clusters []string
	rs := []rune(s)
	startCl := 0
	for i := 1; i <= len(rs); i++ {
		if i == len(rs) || canBreak(rs[i-1], rs[i]) {
			clusters = append(clusters, string(rs[startCl:i]))
			startCl = i
		}
	}
	var lines []string
	var cur strings.Builder
	w := 0.0
	for _, c := range clusters {
		cw := m.Advance(c, size)
		if cur.Len() > 0 && w+cw > width+0.01 {
			line := cur.String()
			cur.Reset()
			// Where the text separates phrases with spaces (今天 11月27日
			// 星期五 上午9:00), break at the last space of the line's second
			// half rather than inside a phrase.
			if i := strings.LastIndexByte(line, ' '); i > 0 && i < len(line)-1 && m.Advance(line[:i], size) >= width/2 {
				cur.WriteString(line[i+1:])
				line = line[:i]
			}
			lines = append(lines, strings.TrimRight(line, " "))
			c = strings.TrimLeft(c, " ")
			if cur.Len() == 0 {
				cw = m.Advance(c, size)
			}
			w = m.Advance(cur.String(), size)
		}
		if cur.Len() == 0 && cw > width+0.01 && utf8.RuneCountInString(c) > 1 {
			// A cluster wider than a line: split it by character after all.
			for _, r := range c {
				rw := m.Advance(string(r), size)
				if cur.Len() > 0 && w+rw > width+0.01 {
					lines = append(lines, cur.String())
					cur.Reset()
					w = 0
				}
				cur.WriteRune(r)
				w += rw
			}
			continue
		}
		cur.WriteString(c)
		w += cw
	}
	return append(lines, strings.TrimRight(cur.String(), " "))
}

func isWordChar(r rune) bool { return r > ' ' && r < 0x7f }

// canBreak reports whether a line may end between a and b.
func canBreak(a, b rune) bool {
	switch {
	case isWordChar(a) && isWordChar(b):
		return false
	case render.IsClosing(b) || render.IsOpening(a):
		return false
	case a == b && (a == '—' || a == '…'):
		return false
	}
	return true
}
