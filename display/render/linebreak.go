package render

import "lawpoint/display/dots"

// Characters that may not begin a line (closing punctuation, GB/T 15834 and
// common 禁则 practice) and that may not end one (opening punctuation).
const (
	closingPunct = "，。、！？；：）》」』】〕〗〉…’”％‰℃·～〃々" +
		"．，！？；：）］｝" + ",.!?;:)]}%"
	openingPunct = "（《「『【〔〖〈‘“［｛＜￥＄" + "([{"
)

var closingSet, openingSet = runeSet(closingPunct), runeSet(openingPunct)

func runeSet(s string) map[rune]bool {
	m := map[rune]bool{}
	for _, r := range s {
		m[r] = true
	}
	return m
}

// IsClosing reports whether r may not begin a line.
func IsClosing(r rune) bool { return closingSet[r] }

// IsOpening reports whether r may not end a line.
func IsOpening(r rune) bool { return openingSet[r] }

// isSpace reports whether r is a space at which a line may wrap; the space
// stays at the end of the line it follows and is not counted in its width.
func isSpace(r rune) bool { return r == ' ' || r == '\u3000' }

// isWordChar reports whether r belongs to an ASCII word or number run such
// as "12348", "3.5" or "www.12348.gov.cn", which is never split when it fits.
func isWordChar(r rune) bool { return r > ' ' && r < 0x7f }

// cell is one character ready to draw.
type cell struct {
	r   rune
	c   dots.Color
	adv int
	g   *dots.Bitmap
}

// line is a laid-out line; forced means it ends inside an unbreakable
// cluster that was wider than the line, so the 禁则 rules were relaxed.
type line struct {
	cells  []cell
	forced bool
}

// width is the line's drawn width: trailing spaces hang and do not count.
func (l line) width() int {
	w, tail := 0, 0
	for _, c := range l.cells {
		w += c.adv
		if isSpace(c.r) {
			tail += c.adv
		} else {
			tail = 0
		}
	}
	return w - tail
}

// canBreak reports whether a line may end between a and b.
func canBreak(a, b rune) bool {
	switch {
	case isWordChar(a) && isWordChar(b): // inside an ASCII word or number
		return false
	case IsClosing(b) || IsOpening(a): // 禁则
		return false
	case isSpace(b): // spaces stay with what they follow
		return false
	case a == b && (a == '—' || a == '…' || a == '⋯'): // ——, ……
		return false
	}
	return true
}

// breakParagraph splits one paragraph (no newlines) into lines no wider than
// width. It fills each line with as many unbreakable clusters as fit; a
// cluster wider than a whole line is split by character (forced), and a
// single character wider than the line gets a line of its own.
func breakParagraph(cells []cell, width int) []line {
	if len(cells) == 0 {
		return []line{{}}
	}
	var lines []line
	for start := 0; start < len(cells); {
		end, lineW, forced := start, 0, false
		for end < len(cells) {
			ce, cw, vis := clusterEnd(cells, end)
			if lineW+vis <= width {
				end, lineW = ce, lineW+cw
				continue
			}
			if end > start {
				break // the next cluster goes on the next line
			}
			// The cluster alone is wider than a line: take characters while
			// they fit, at least one; spaces hang and always fit.
			w := 0
			for end < ce && (end == start || w+cells[end].adv <= width || isSpace(cells[end].r)) {
				w += cells[end].adv
				end++
			}
			forced = end < ce
			break
		}
		lines = append(lines, line{cells: cells[start:end], forced: forced})
		start = end
	}
	return lines
}

// clusterEnd returns the end of the cluster starting at i, its full width
// and its width without trailing spaces.
func clusterEnd(cells []cell, i int) (end, w, visible int) {
	tail := 0
	for end = i; end < len(cells); end++ {
		if end > i && canBreak(cells[end-1].r, cells[end].r) {
			break
		}
		w += cells[end].adv
		if isSpace(cells[end].r) {
			tail += cells[end].adv
		} else {
			tail = 0
		}
	}
	return end, w, w - tail
}
