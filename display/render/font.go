package render

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"unicode"

	"lawpoint/display/dots"
)

// Default font locations, as the Debian packages install them.
const (
	DefaultUnifontPath  = "/usr/share/unifont/unifont.hex"
	DefaultTrueTypePath = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
)

// UnifontSize is the row height, in dots, drawn with GNU Unifont; every other
// size is drawn with the TrueType font.
const UnifontSize = 16

// Glyph is one character as dots.
type Glyph struct {
	// Dots is the character cell, Advance dots wide and the font's Height
	// tall, with the baseline at the same row for every glyph of a font. Lit
	// dots are dots.Red; the renderer recolours them. It is shared: do not
	// modify it.
	Dots *dots.Bitmap
	// Advance is how far the pen moves right after the glyph, in dots.
	Advance int
}

// Font draws characters as dots. Implementations are safe for concurrent use.
type Font interface {
	// Name identifies the font in errors, e.g. "unifont".
	Name() string
	// Height is the height of every glyph cell, in dots.
	Height() int
	// Glyph returns the glyph for r; ok is false when the font has none.
	Glyph(r rune) (g Glyph, ok bool)
}

// MissingGlyphsError reports the characters of a text that a font cannot
// draw. Rendering stops rather than leave a blank where a character belongs.
type MissingGlyphsError struct {
	Font  string // font name
	Runes []rune // each missing character once, in order of appearance
}

func (e *MissingGlyphsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "render: font %s has no glyph for %d character(s): ", e.Font, len(e.Runes))
	for i, r := range e.Runes {
		if i > 0 {
			b.WriteString(", ")
		}
		if unicode.IsPrint(r) {
			fmt.Fprintf(&b, "%q (U+%04X)", r, r)
		} else {
			fmt.Fprintf(&b, "U+%04X", r)
		}
	}
	b.WriteString("; remove or replace them in the text, or choose a font size whose font covers them")
	return b.String()
}

// Missing returns the characters of text that f cannot draw, each once, in
// order of appearance. Newlines are layout, not characters, and are skipped;
// other control characters are always missing, since they have no printable
// form on a board.
func Missing(f Font, text string) []rune {
	var out []rune
	seen := map[rune]bool{}
	for _, r := range text {
		if r == '\n' || seen[r] {
			continue
		}
		if !printable(r) {
			seen[r] = true
			out = append(out, r)
			continue
		}
		if _, ok := drawable(f, r); !ok {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// drawable returns r's glyph when f can draw it visibly: a glyph with no lit
// dot counts as missing unless r is a space.
func drawable(f Font, r rune) (Glyph, bool) {
	g, ok := f.Glyph(r)
	if !ok || g.Dots == nil || (g.Dots.Lit() == 0 && !unicode.IsSpace(r)) {
		return Glyph{}, false
	}
	return g, true
}

// printable reports whether r may be drawn at all: control and format
// characters, and the replacement character that stands for invalid UTF-8,
// are refused even when a font has a picture for them.
func printable(r rune) bool {
	if r == unicode.ReplacementChar {
		return false
	}
	return !unicode.IsControl(r) && !unicode.Is(unicode.Cf, r)
}

// ErrFontMissing is wrapped by the error returned when a font file is not
// installed.
var ErrFontMissing = errors.New("font file missing")

// missingFontError names the Debian package that installs path.
func missingFontError(path, pkg string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("render: %w: %s: install it with `apt-get install %s` or point the font path at a copy: %w",
			ErrFontMissing, path, pkg, err)
	}
	return fmt.Errorf("render: cannot read font %s (package %s): check the file's permissions or reinstall with `apt-get install --reinstall %s`: %w",
		path, pkg, pkg, err)
}

// Fonts loads fonts on first use and keeps them: Unifont for 16-dot rows,
// the TrueType font rasterised at each other size. The zero value uses the
// default paths. It is safe for concurrent use.
type Fonts struct {
	UnifontPath  string // "" means DefaultUnifontPath
	TrueTypePath string // "" means DefaultTrueTypePath

	mu      sync.Mutex
	unifont *Unifont
	tt      *ttSource
	faces   map[int]*TrueType
}

// Face returns the font for rows size dots tall: Unifont at 16, the
// TrueType font at any other size from 8 to 256.
func (fs *Fonts) Face(size int) (Font, error) {
	if size < 8 || size > 256 {
		return nil, fmt.Errorf("render: font size %d dots is out of range: use 16 (Unifont) or 8..256 (TrueType)", size)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if size == UnifontSize {
		if fs.unifont == nil {
			path := fs.UnifontPath
			if path == "" {
				path = DefaultUnifontPath
			}
			u, err := LoadUnifont(path)
			if err != nil {
				return nil, err
			}
			fs.unifont = u
		}
		return fs.unifont, nil
	}
	if f, ok := fs.faces[size]; ok {
		return f, nil
	}
	if fs.tt == nil {
		path := fs.TrueTypePath
		if path == "" {
			path = DefaultTrueTypePath
		}
		src, err := loadTTSource(path)
		if err != nil {
			return nil, err
		}
		fs.tt = src
	}
	f, err := fs.tt.face(size)
	if err != nil {
		return nil, err
	}
	if fs.faces == nil {
		fs.faces = map[int]*TrueType{}
	}
	fs.faces[size] = f
	return f, nil
}

// readFont reads a font file, naming the package to install when it is
// missing.
func readFont(path, pkg string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, missingFontError(path, pkg, err)
	}
	return data, nil
}
