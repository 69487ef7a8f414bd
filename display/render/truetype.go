package render

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"unicode"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

	"lawpoint/display/dots"
)

// TrueType is a TrueType font rasterised at one size: each glyph is drawn
// with anti-aliasing into a cell Height dots tall and every dot at least
// half covered is lit.
type TrueType struct {
	name     string
	size     int
	baseline int // row of the baseline inside the cell
	font     *sfnt.Font

	mu    sync.Mutex // guards face (not safe for concurrent use) and cache
	face  font.Face
	buf   sfnt.Buffer
	cache map[rune]*ttGlyph
}

type ttGlyph struct {
	g  Glyph
	ok bool
}

// ttSource is a parsed font file from which faces of any size are made.
type ttSource struct {
	name string
	font *sfnt.Font
}

// LoadTrueType reads a TrueType or OpenType font (.ttf, .otf) or the first
// font of a collection (.ttc) and rasterises it at size dots per row; path
// "" means DefaultTrueTypePath.
func LoadTrueType(path string, size int) (*TrueType, error) {
	if path == "" {
		path = DefaultTrueTypePath
	}
	src, err := loadTTSource(path)
	if err != nil {
		return nil, err
	}
	return src.face(size)
}

// ParseTrueType parses font data (single font or collection; the first font
// of a collection is used) and rasterises it at size dots per row.
func ParseTrueType(data []byte, size int) (*TrueType, error) {
	src, err := parseTTSource(data)
	if err != nil {
		return nil, err
	}
	return src.face(size)
}

func loadTTSource(path string) (*ttSource, error) {
	data, err := readFont(path, "fonts-wqy-microhei")
	if err != nil {
		return nil, err
	}
	src, err := parseTTSource(data)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s: use a .ttf/.ttc font, or reinstall with `apt-get install --reinstall fonts-wqy-microhei`)", err, path)
	}
	return src, nil
}

func parseTTSource(data []byte) (*ttSource, error) {
	f, err := parseFirstFont(data)
	if err != nil {
		// x/image/font/sfnt insists that every table starts on a four-byte
		// boundary (golang/go#46384); the WenQuanYi fonts do not. Copy the
		// tables into a fresh, aligned single-font file and try again.
		packed, perr := alignTables(data)
		if perr != nil {
			return nil, fmt.Errorf("render: cannot parse TrueType font: %w", err)
		}
		f, perr = opentype.Parse(packed)
		if perr != nil {
			return nil, fmt.Errorf("render: cannot parse TrueType font: %w (after realigning its tables: %v)", err, perr)
		}
	}
	var buf sfnt.Buffer
	name, err := f.Name(&buf, sfnt.NameIDFull)
	if err != nil || name == "" {
		name = "truetype"
	}
	return &ttSource{name: name, font: f}, nil
}

func parseFirstFont(data []byte) (*sfnt.Font, error) {
	if len(data) >= 4 && string(data[:4]) == "ttcf" {
		c, err := opentype.ParseCollection(data)
		if err != nil {
			return nil, err
		}
		if c.NumFonts() == 0 {
			return nil, errors.New("the collection holds no fonts")
		}
		return c.Font(0)
	}
	return opentype.Parse(data)
}

// alignTables rebuilds the first font of data (a .ttf or .ttc) as a single
// font whose tables each start on a four-byte boundary. Table contents are
// copied unchanged; offsets inside tables are relative to their table, so
// they stay valid. Checksums are not recomputed (sfnt ignores them).
func alignTables(data []byte) ([]byte, error) {
	be := binary.BigEndian
	errShort := errors.New("font data is truncated")
	at := 0
	if len(data) >= 4 && string(data[:4]) == "ttcf" {
		if len(data) < 16 {
			return nil, errShort
		}
		if be.Uint32(data[8:]) == 0 {
			return nil, errors.New("the collection holds no fonts")
		}
		at = int(be.Uint32(data[12:]))
	}
	if at < 0 || at+12 > len(data) {
		return nil, errShort
	}
	n := int(be.Uint16(data[at+4:]))
	if n == 0 || n > 256 || at+12+16*n > len(data) {
		return nil, errShort
	}
	type rec struct{ tag, sum, off, len uint32 }
	recs := make([]rec, n)
	size := 12 + 16*n
	for i := range recs {
		p := data[at+12+16*i:]
		r := rec{be.Uint32(p), be.Uint32(p[4:]), be.Uint32(p[8:]), be.Uint32(p[12:])}
		if uint64(r.off)+uint64(r.len) > uint64(len(data)) {
			return nil, errShort
		}
		recs[i] = r
		size += (int(r.len) + 3) &^ 3
	}
	out := make([]byte, 12+16*n, size)
	copy(out, data[at:at+12])
	for i, r := range recs {
		off := len(out)
		out = append(out, data[r.off:r.off+r.len]...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
		p := out[12+16*i:]
		be.PutUint32(p, r.tag)
		be.PutUint32(p[4:], r.sum)
		be.PutUint32(p[8:], uint32(off))
		be.PutUint32(p[12:], r.len)
	}
	return out, nil
}

// referenceIdeograph is the character whose ink is centred vertically in
// the cell; every other Han character then sits in the same box.
const referenceIdeograph = '国'

func (s *ttSource) face(size int) (*TrueType, error) {
	if size < 8 || size > 256 {
		return nil, fmt.Errorf("render: TrueType size %d dots is out of range: use 8..256", size)
	}
	face, err := opentype.NewFace(s.font, &opentype.FaceOptions{Size: float64(size), DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return nil, fmt.Errorf("render: cannot make a %d-dot face of %s: %w", size, s.name, err)
	}
	t := &TrueType{name: s.name, size: size, font: s.font, face: face, cache: map[rune]*ttGlyph{}}
	// Place the baseline so that the reference ideograph's ink is centred in
	// the cell; fall back to the font's ascent when it has none.
	if b, _, ok := face.GlyphBounds(referenceIdeograph); ok {
		top, bottom := b.Min.Y.Round(), b.Max.Y.Round() // relative to baseline, top < 0
		t.baseline = -top + (size-(bottom-top))/2
	} else {
		m := face.Metrics()
		t.baseline = m.Ascent.Round() * size / max(1, (m.Ascent+m.Descent).Round())
	}
	return t, nil
}

// Name implements Font, e.g. "WenQuanYi Micro Hei 32".
func (t *TrueType) Name() string { return fmt.Sprintf("%s %d", t.name, t.size) }

// Height implements Font: the size the font was rasterised at.
func (t *TrueType) Height() int { return t.size }

// Glyph implements Font. Ink outside the cell (left of the origin, right of
// the advance, above or below the row) is clipped.
func (t *TrueType) Glyph(r rune) (Glyph, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c, ok := t.cache[r]; ok {
		return c.g, c.ok
	}
	c := &ttGlyph{}
	t.cache[r] = c
	idx, err := t.font.GlyphIndex(&t.buf, r)
	if err != nil || idx == 0 {
		return Glyph{}, false
	}
	dr, mask, mp, adv, ok := t.face.Glyph(fixed.P(0, t.baseline), r)
	if !ok {
		return Glyph{}, false
	}
	w := adv.Round()
	if w < 0 {
		w = 0
	}
	b := dots.New(w, t.size)
	if mask != nil {
		// Threshold at half coverage. A glyph whose strokes are all thinner
		// than that (a small full stop, say) keeps its best-covered dots
		// rather than vanish.
		alpha := make([]uint32, w*t.size)
		var peak uint32
		for y := dr.Min.Y; y < dr.Max.Y; y++ {
			for x := dr.Min.X; x < dr.Max.X; x++ {
				if x < 0 || x >= w || y < 0 || y >= t.size {
					continue
				}
				_, _, _, a := mask.At(mp.X+x-dr.Min.X, mp.Y+y-dr.Min.Y).RGBA()
				alpha[y*w+x] = a
				peak = max(peak, a)
			}
		}
		cut := uint32(0x8000)
		if peak < cut {
			cut = max(peak-peak/4, 1)
		}
		for i, a := range alpha {
			if a >= cut {
				b.Pix[i] = dots.Red
			}
		}
	}
	if b.Lit() == 0 && !unicode.IsSpace(r) {
		// The font maps r to an empty outline (WenQuanYi Micro Hei's ℃, for
		// one): drawing it would leave a silent blank.
		return Glyph{}, false
	}
	c.g, c.ok = Glyph{Dots: b, Advance: w}, true
	return c.g, true
}
