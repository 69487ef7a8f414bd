package escpos

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"

	"lawpoint/display/render"
)

// ErrUnprintable is wrapped by errors about text a printer cannot print: a
// character its font lacks, a control byte, text that is not UTF-8.
var ErrUnprintable = errors.New("text the printer cannot print")

// ErrInvalid is wrapped by errors about a command argument out of range.
var ErrInvalid = errors.New("ESC/POS argument out of range")

// Charset is the set of characters a printer's Chinese font carries; text
// outside it is refused (or replaced, see WithReplacement).
type Charset int

// Charsets, from the smallest font to the largest.
const (
	// GBK: two-byte GB18030 codes (GBK, 21,886 characters). The font of
	// most Chinese thermal printers, and the default.
	GBK Charset = iota
	// GB2312: the 7,445 characters of GB2312 only (lead and trail bytes
	// 0xA1-0xFE). Older or cheaper printers.
	GB2312
	// GB18030: four-byte codes as well (rare characters of CJK extension
	// B and beyond). Only printers with a full GB18030 font print them.
	GB18030
)

func (c Charset) String() string {
	switch c {
	case GBK:
		return "GBK"
	case GB2312:
		return "GB2312"
	case GB18030:
		return "GB18030"
	}
	return fmt.Sprintf("Charset(%d)", int(c))
}

// gbWriter turns UTF-8 into GB18030 bytes, one checked character at a time.
type gbWriter struct {
	enc     *encoding.Encoder
	charset Charset
	replace rune // 0: refuse
	scratch [8]byte
}

func newGBWriter(cs Charset, replace rune) *gbWriter {
	return &gbWriter{enc: simplifiedchinese.GB18030.NewEncoder(), charset: cs, replace: replace}
}

// appendRune appends r in GB18030, or reports why the printer cannot print it.
func (w *gbWriter) appendRune(dst []byte, r rune) ([]byte, error) {
	if r >= 0x20 && r < 0x7f {
		return append(dst, byte(r)), nil
	}
	code, why := w.encode(r)
	if why == "" {
		return append(dst, code...), nil
	}
	control := r < 0x20 || r >= 0x7f && r < 0xa0
	if w.replace != 0 && !control { // a control is a bug upstream, never papered over
		if rc, rwhy := w.encode(w.replace); rwhy == "" {
			return append(dst, rc...), nil
		}
	}
	return dst, fmt.Errorf("%w: %U %s; remove or replace it (or pick a printer whose font carries it)", ErrUnprintable, r, why)
}

// encode returns r's GB18030 bytes, or why r cannot be printed.
func (w *gbWriter) encode(r rune) ([]byte, string) {
	switch {
	case r < 0x20 || r == 0x7f:
		return nil, "is a control character, which the printer would run as a command"
	case r < 0x7f:
		w.scratch[0] = byte(r)
		return w.scratch[:1], ""
	case r >= 0x80 && r < 0xa0:
		return nil, "is a control character"
	case r == utf8.RuneError:
		return nil, "is not valid UTF-8 (or is U+FFFD)"
	case r >= 0xe000 && r <= 0xf8ff, r >= 0xf0000:
		return nil, "is a private-use character, which no printer font carries"
	}
	var src [4]byte
	n := utf8.EncodeRune(src[:], r)
	nDst, _, err := w.enc.Transform(w.scratch[:], src[:n], true)
	if err != nil {
		return nil, "has no GB18030 code"
	}
	code := w.scratch[:nDst]
	switch {
	case len(code) == 4 && w.charset != GB18030:
		return nil, "needs a four-byte GB18030 code, which a " + w.charset.String() + " printer font lacks"
	case len(code) == 2 && w.charset == GB2312 && (code[0] < 0xa1 || code[0] > 0xf7 || code[1] < 0xa1):
		return nil, "is outside GB2312, which this printer's font is limited to"
	case len(code) != 2 && len(code) != 4:
		return nil, "has no two- or four-byte GB18030 code"
	}
	return code, ""
}

// RuneWidth is how many half-width columns r takes on a receipt: 1 for
// ASCII, 2 for every two- or four-byte GB18030 character (hanzi and Chinese
// punctuation are printed 24 dots wide, twice a 12-dot ASCII character in
// font A), 0 for controls.
func RuneWidth(r rune) int {
	switch {
	case r < 0x20 || r == 0x7f:
		return 0
	case r < 0x7f:
		return 1
	}
	return 2
}

// Width is the display width of s in half-width columns (see RuneWidth).
func Width(s string) int {
	w := 0
	for _, r := range s {
		w += RuneWidth(r)
	}
	return w
}

func isWordRune(r rune) bool { return r > ' ' && r < 0x7f }

// canBreak reports whether a line may end between a and b: not inside an
// ASCII word or number ("12348", a URL), not before closing or after opening
// punctuation (the same 禁则 the LED renderer applies), not before a space.
func canBreak(a, b rune) bool {
	switch {
	case isWordRune(a) && isWordRune(b):
		return false
	case render.IsClosing(b) || render.IsOpening(a):
		return false
	case b == ' ' || b == '\u3000':
		return false
	}
	return true
}

// Wrap splits s into lines of at most columns half-width columns, breaking
// between characters as Chinese text does, keeping ASCII words and numbers
// whole when they fit and closing punctuation off the start of a line.
// Newlines in s end lines; spaces at the end of a line are dropped. A word
// wider than a whole line is split by character.
func Wrap(s string, columns int) []string {
	if columns < 2 {
		columns = 2
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		out = append(out, wrapParagraph([]rune(para), columns)...)
	}
	return out
}

func wrapParagraph(rs []rune, columns int) []string {
	if len(rs) == 0 {
		return []string{""}
	}
	var lines []string
	var line []rune
	lineW := 0
	flush := func() {
		lines = append(lines, strings.TrimRight(string(line), " \u3000"))
		line, lineW = line[:0], 0
	}
	for i := 0; i < len(rs); {
		// The cluster [i, j): characters no line may break between.
		j, w, visible := i, 0, 0
		for ; j < len(rs); j++ {
			if j > i && canBreak(rs[j-1], rs[j]) {
				break
			}
			w += RuneWidth(rs[j])
			if rs[j] != ' ' && rs[j] != '\u3000' {
				visible = w
			}
		}
		switch {
		case lineW+visible <= columns:
			line, lineW = append(line, rs[i:j]...), lineW+w
			i = j
		case lineW > 0:
			flush()
		default: // a cluster wider than a line: split it by character
			for i < j {
				cw := RuneWidth(rs[i])
				if lineW > 0 && lineW+cw > columns {
					flush()
				}
				line, lineW = append(line, rs[i]), lineW+cw
				i++
			}
		}
	}
	if len(line) > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}
