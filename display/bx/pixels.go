package bx

import (
	"encoding/binary"

	"lawpoint/display/dots"
)

// Picture controllers take each page as bit planes, one bit per dot, with
// 0 = lit and 1 = dark. Rows are aligned to the board, not to the area: a
// row covers every group (byte on BX-5E, 32-bit word on BX-6E) that the
// area touches, and the bits outside the area are 1 (dark).
//
//   - BX-5E: bytes, the leftmost dot in bit 7. A dual-colour row alternates
//     a red byte and a green byte for each group of 8 dots.
//   - BX-6E: little-endian 32-bit words, the leftmost dot in bit 31. The
//     whole red plane comes first, then the whole green plane.

// planeLayout describes how one page is packed.
type planeLayout struct {
	gen      int // 5 or 6
	group    int // dots per group: 8 or 32
	first    int // index of the first group the area touches
	groups   int // groups per row
	h        int
	planes   int // 1 (single colour) or 2 (dual)
	groupLen int // bytes per group: 1 or 4
}

func layoutFor(gen, x, w, h int, c Colors) planeLayout {
	l := planeLayout{gen: gen, group: 8, groupLen: 1, h: h, planes: 1}
	if gen == 6 {
		l.group, l.groupLen = 32, 4
	}
	if c == Dual {
		l.planes = 2
	}
	l.first = x / l.group
	l.groups = (x+w+l.group-1)/l.group - l.first
	return l
}

// size is the number of bytes of one page.
func (l planeLayout) size() int { return l.groups * l.groupLen * l.h * l.planes }

// planeBit tells whether colour c lights plane p (0 red, 1 green).
func planeBit(c dots.Color, p int) bool {
	if p == 0 {
		return c&dots.Red != 0
	}
	return c&dots.Green != 0
}

// packPage packs bitmap b, placed at board column x, into l.
func packPage(l planeLayout, x int, b *dots.Bitmap) []byte {
	out := make([]byte, 0, l.size())
	rowDots := l.groups * l.group
	off := x - l.first*l.group // where the area's first column falls in a row
	// rows[p] holds one row of plane p, one byte per dot: 1 dark, 0 lit.
	rows := make([][]byte, l.planes)
	for p := range rows {
		rows[p] = make([]byte, rowDots)
	}
	fill := func(p, y int) {
		r := rows[p]
		for i := range r {
			r[i] = 1
		}
		pix := b.Pix[y*b.W : (y+1)*b.W]
		for sx, c := range pix {
			if planeBit(c, p) {
				r[off+sx] = 0
			}
		}
	}
	word := func(r []byte, g int) uint32 {
		var v uint32
		for _, bit := range r[g*l.group : (g+1)*l.group] {
			v = v<<1 | uint32(bit)
		}
		return v
	}
	if l.gen == 6 {
		for p := 0; p < l.planes; p++ {
			for y := 0; y < l.h; y++ {
				fill(p, y)
				for g := 0; g < l.groups; g++ {
					out = binary.LittleEndian.AppendUint32(out, word(rows[p], g))
				}
			}
		}
		return out
	}
	for y := 0; y < l.h; y++ {
		for p := 0; p < l.planes; p++ {
			fill(p, y)
		}
		for g := 0; g < l.groups; g++ {
			for p := 0; p < l.planes; p++ {
				out = append(out, byte(word(rows[p], g)))
			}
		}
	}
	return out
}

// unpackPage is the inverse of packPage. It insists that bits outside the
// area are 1, as the manual prescribes.
func unpackPage(l planeLayout, x, w int, data []byte) (*dots.Bitmap, error) {
	if len(data) != l.size() {
		return nil, frameErr(ErrLength, "page holds %d pixel bytes, a %d-dot-high area at x=%d, %d dots wide needs %d", len(data), l.h, x, w, l.size())
	}
	b := dots.New(w, l.h)
	read := func(p, y, g int) uint32 {
		if l.gen == 6 {
			off := ((p*l.h+y)*l.groups + g) * 4
			return binary.LittleEndian.Uint32(data[off:])
		}
		return uint32(data[(y*l.groups+g)*l.planes+p])
	}
	for p := 0; p < l.planes; p++ {
		for y := 0; y < l.h; y++ {
			for g := 0; g < l.groups; g++ {
				v := read(p, y, g)
				for bit := 0; bit < l.group; bit++ {
					dark := v&(1<<(l.group-1-bit)) != 0
					sx := (l.first+g)*l.group + bit - x
					if sx < 0 || sx >= w {
						if !dark {
							return nil, frameErr(ErrBadField, "padding dot at board column %d, row %d is lit; bits outside the area must be 1", (l.first+g)*l.group+bit, y)
						}
						continue
					}
					if !dark {
						if p == 0 {
							b.Pix[y*w+sx] |= dots.Red
						} else {
							b.Pix[y*w+sx] |= dots.Green
						}
					}
				}
			}
		}
	}
	return b, nil
}
