package render

import (
	"fmt"
	"sort"
	"sync"

	"lawpoint/display/dots"
)

// Unifont is GNU Unifont read from its .hex file: one line per character,
// "XXXX:" and the glyph's 16 rows as hex digits, 32 digits for an 8x16
// half-width glyph and 64 for a 16x16 full-width one (48 and 128 for the
// rarer 12- and 32-dot-wide glyphs).
//
// Loading only indexes the file (code point → line); a glyph is decoded the
// first time it is asked for and then kept.
type Unifont struct {
	data  []byte
	runes []rune   // sorted
	offs  []uint32 // offset of the hex digits of runes[i] in data
	lens  []uint8  // number of hex digits / 16

	mu    sync.RWMutex
	cache map[rune]Glyph
}

// LoadUnifont reads and indexes a Unifont .hex file; path "" means
// DefaultUnifontPath.
func LoadUnifont(path string) (*Unifont, error) {
	if path == "" {
		path = DefaultUnifontPath
	}
	data, err := readFont(path, "unifont")
	if err != nil {
		return nil, err
	}
	u, err := ParseUnifont(data)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s: reinstall it with `apt-get install --reinstall unifont`)", err, path)
	}
	return u, nil
}

// hexVal maps an ASCII byte to its hex digit value, or 0xff.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
		t[c-'a'+'A'] = byte(c - 'a' + 10)
	}
	return t
}()

// ParseUnifont indexes Unifont .hex data, checking every line's shape. The
// data is kept, not copied: do not modify it afterwards. Blank lines are
// allowed; a code point given twice is an error.
func ParseUnifont(data []byte) (*Unifont, error) {
	u := &Unifont{data: data, cache: map[rune]Glyph{}}
	n := 0
	for _, c := range data {
		if c == '\n' {
			n++
		}
	}
	u.runes = make([]rune, 0, n+1)
	u.offs = make([]uint32, 0, n+1)
	u.lens = make([]uint8, 0, n+1)
	if len(data) > 1<<31 {
		return nil, fmt.Errorf("render: unifont data is %d bytes, too large for a .hex font: check that the right file is configured", len(data))
	}
	sorted := true
	line := 0
	for pos := 0; pos < len(data); {
		line++
		end := pos
		for end < len(data) && data[end] != '\n' {
			end++
		}
		next := end + 1
		if end > pos && data[end-1] == '\r' {
			end--
		}
		if end == pos {
			pos = next
			continue
		}
		// Code point: 4 to 6 hex digits, then ':'.
		var r rune
		i := pos
		for i < end && data[i] != ':' {
			v := hexVal[data[i]]
			if v == 0xff || i-pos >= 6 {
				return nil, fmt.Errorf("render: unifont line %d: bad code point %q: expected 4 to 6 hex digits before ':'", line, clip(data[pos:end]))
			}
			r = r<<4 | rune(v)
			i++
		}
		if i == end || i-pos < 4 {
			return nil, fmt.Errorf("render: unifont line %d: %q is not \"XXXX:hexdigits\"", line, clip(data[pos:end]))
		}
		if r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF) {
			return nil, fmt.Errorf("render: unifont line %d: U+%X is not a Unicode character", line, r)
		}
		bits := data[i+1 : end]
		switch len(bits) {
		case 32, 48, 64, 128:
		default:
			return nil, fmt.Errorf("render: unifont line %d (U+%04X): %d hex digits, expected 32 (8x16) or 64 (16x16)", line, r, len(bits))
		}
		for _, c := range bits {
			if hexVal[c] == 0xff {
				return nil, fmt.Errorf("render: unifont line %d (U+%04X): %q is not a hex digit", line, r, c)
			}
		}
		if k := len(u.runes); k > 0 && u.runes[k-1] >= r {
			sorted = false
		}
		u.runes = append(u.runes, r)
		u.offs = append(u.offs, uint32(i+1))
		u.lens = append(u.lens, uint8(len(bits)/16))
		pos = next
	}
	if !sorted {
		sort.Sort(byRune{u})
	}
	for k := 1; k < len(u.runes); k++ {
		if u.runes[k] == u.runes[k-1] {
			return nil, fmt.Errorf("render: unifont has U+%04X twice: keep one line per character", u.runes[k])
		}
	}
	return u, nil
}

func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

type byRune struct{ u *Unifont }

func (s byRune) Len() int           { return len(s.u.runes) }
func (s byRune) Less(i, j int) bool { return s.u.runes[i] < s.u.runes[j] }
func (s byRune) Swap(i, j int) {
	u := s.u
	u.runes[i], u.runes[j] = u.runes[j], u.runes[i]
	u.offs[i], u.offs[j] = u.offs[j], u.offs[i]
	u.lens[i], u.lens[j] = u.lens[j], u.lens[i]
}

// Name implements Font.
func (u *Unifont) Name() string { return "unifont" }

// Height implements Font: 16 dots.
func (u *Unifont) Height() int { return 16 }

// Len is the number of characters in the font.
func (u *Unifont) Len() int { return len(u.runes) }

// Glyph implements Font.
func (u *Unifont) Glyph(r rune) (Glyph, bool) {
	u.mu.RLock()
	g, ok := u.cache[r]
	u.mu.RUnlock()
	if ok {
		return g, true
	}
	k := sort.Search(len(u.runes), func(i int) bool { return u.runes[i] >= r })
	if k == len(u.runes) || u.runes[k] != r {
		return Glyph{}, false
	}
	digitsPerRow := int(u.lens[k]) // hex digits per row
	w := digitsPerRow * 4
	hex := u.data[u.offs[k] : int(u.offs[k])+16*digitsPerRow]
	b := dots.New(w, 16)
	for y := 0; y < 16; y++ {
		row := hex[y*digitsPerRow : (y+1)*digitsPerRow]
		for d, c := range row {
			v := hexVal[c]
			for bit := 0; bit < 4; bit++ {
				if v&(8>>bit) != 0 {
					b.Pix[y*w+d*4+bit] = dots.Red
				}
			}
		}
	}
	g = Glyph{Dots: b, Advance: w}
	u.mu.Lock()
	u.cache[r] = g
	u.mu.Unlock()
	return g, true
}
