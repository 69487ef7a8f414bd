package bx

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"lawpoint/display/dots"
)

// gbRune returns the GB2312 (EUC-CN) bytes of r, or false when r is not in
// GB2312. GBK is a superset of GB2312, so a rune is in GB2312 exactly when
// its GBK code is ASCII or one of the code points GB2312 assigns (symbols in
// rows 0xA1-0xA9, hanzi in rows 0xB0-0xF7; GBK's additions inside those rows
// are excluded).
func gbRune(r rune) ([]byte, bool) {
	if r < 0x80 {
		return []byte{byte(r)}, true
	}
	if r == utf8.RuneError {
		return nil, false
	}
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(string(r)))
	if err != nil || len(b) != 2 || !gbPair(b[0], b[1]) {
		return nil, false
	}
	return b, true
}

func gbPair(lead, trail byte) bool {
	if trail < 0xA1 || trail > 0xFE {
		return false
	}
	in := func(lo, hi byte) bool { return trail >= lo && trail <= hi }
	switch {
	case lead == 0xA1, lead == 0xA3, lead >= 0xB0 && lead <= 0xD6, lead >= 0xD8 && lead <= 0xF7:
		return true
	case lead == 0xA2:
		return in(0xB1, 0xE2) || in(0xE5, 0xEE) || in(0xF1, 0xFC)
	case lead == 0xA4:
		return in(0xA1, 0xF3)
	case lead == 0xA5:
		return in(0xA1, 0xF6)
	case lead == 0xA6:
		return in(0xA1, 0xB8) || in(0xC1, 0xD8)
	case lead == 0xA7:
		return in(0xA1, 0xC1) || in(0xD1, 0xF1)
	case lead == 0xA8:
		return in(0xA1, 0xBA) || in(0xC5, 0xE9)
	case lead == 0xA9:
		return in(0xA4, 0xEF)
	case lead == 0xD7:
		return in(0xA1, 0xF9)
	}
	return false
}

// NotInGB2312 lists the characters of text that a font-card controller's
// GB2312 fonts cannot show, each once, in order of first appearance. Invalid
// UTF-8 is listed as U+FFFD. An empty result means the text can be sent as
// text; otherwise render it as a picture (BX-5E/6E) or replace those
// characters.
func NotInGB2312(text string) []rune {
	var bad []rune
	seen := map[rune]bool{}
	for _, r := range text {
		if _, ok := gbRune(r); ok || seen[r] {
			continue
		}
		seen[r] = true
		bad = append(bad, r)
	}
	return bad
}

// TextError is returned when text cannot be sent to a font card.
type TextError struct {
	Runes []rune // the characters outside GB2312, each once
}

func (e *TextError) Error() string {
	q := make([]string, len(e.Runes))
	for i, r := range e.Runes {
		q[i] = fmt.Sprintf("%q (U+%04X)", r, r)
	}
	list := strings.Join(q, ", ")
	return fmt.Sprintf("bx: text has characters outside GB2312 that a font-card controller cannot show: %s; "+
		"replace them or send the text as a picture to a BX-5E/6E board "+
		"(文字中有字库卡无法显示的字符（不在GB2312内）：%s；请替换这些字，或改用图文控制卡以图片方式显示)", list, list)
}

func (e *TextError) Unwrap() error { return ErrInvalid }

// Run is text in one colour.
type Run struct {
	Color dots.Color
	Text  string
}

// NormalizeRuns drops empty runs and merges neighbours of the same colour:
// the form DecodeCommand returns.
func NormalizeRuns(runs []Run) []Run {
	var out []Run
	for _, r := range runs {
		if r.Text == "" {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Color == r.Color {
			out[n-1].Text += r.Text
			continue
		}
		out = append(out, r)
	}
	return out
}

// colourDigit is the digit of the \Cn escape for a colour.
func colourDigit(c dots.Color) (byte, bool) {
	switch c {
	case dots.Red:
		return '1', true
	case dots.Green:
		return '2', true
	case dots.Yellow:
		return '3', true
	}
	return 0, false
}

// encodeRuns turns coloured text into the bytes of a font-card area: a \Cn
// colour escape before each run, GB2312 text, "\n" escapes for line breaks.
func encodeRuns(runs []Run, colors Colors) ([]byte, error) {
	runs = NormalizeRuns(runs)
	var all strings.Builder
	for _, r := range runs {
		all.WriteString(r.Text)
	}
	if bad := NotInGB2312(all.String()); len(bad) > 0 {
		return nil, &TextError{Runes: bad}
	}
	var out []byte
	for _, r := range runs {
		d, ok := colourDigit(r.Color)
		if !ok {
			return nil, invalid("text colour %v cannot be shown; use red, green or yellow (文字颜色无效)", r.Color)
		}
		if colors == Single && r.Color != dots.Red {
			return nil, invalid("text colour %v on a single-colour board; use red (单色屏只能用红色)", r.Color)
		}
		out = append(out, '\\', 'C', d)
		for _, c := range r.Text {
			switch {
			case c == '\n':
				out = append(out, '\\', 'n')
			case c == '\\':
				return nil, invalid("text contains a backslash, which starts a controller escape; use the full-width '＼' instead (文字中不能有反斜杠，请改用全角'＼')")
			case c < 0x20 || c == 0x7F:
				return nil, invalid("text contains control character U+%04X; remove it (文字中有控制字符，请删除)", c)
			default:
				b, _ := gbRune(c)
				out = append(out, b...)
			}
		}
	}
	return out, nil
}

// gbDecodePair decodes one GB2312 character and checks it encodes back to
// the same bytes.
func gbDecodePair(lead, trail byte) (rune, bool) {
	s, err := simplifiedchinese.GBK.NewDecoder().Bytes([]byte{lead, trail})
	if err != nil {
		return 0, false
	}
	r, n := utf8.DecodeRune(s)
	if n != len(s) {
		return 0, false
	}
	b, ok := gbRune(r)
	if !ok || b[0] != lead || b[1] != trail {
		return 0, false
	}
	return r, true
}

// decodeRuns is the inverse of encodeRuns. Text before the first colour
// escape is red, the controllers' default colour.
func decodeRuns(b []byte) ([]Run, error) {
	var runs []Run
	cur := dots.Red
	var text []byte
	flush := func() error {
		if len(text) == 0 {
			return nil
		}
		runs = append(runs, Run{Color: cur, Text: string(text)})
		text = text[:0]
		return nil
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '\\':
			if i+1 >= len(b) {
				return nil, frameErr(ErrBadField, "text ends with a lone backslash")
			}
			switch b[i+1] {
			case 'n':
				text = append(text, '\n')
				i++
			case 'C':
				if i+2 >= len(b) {
					return nil, frameErr(ErrBadField, "colour escape cut short at text offset %d", i)
				}
				var col dots.Color
				switch b[i+2] {
				case '1':
					col = dots.Red
				case '2':
					col = dots.Green
				case '3':
					col = dots.Yellow
				default:
					return nil, frameErr(ErrBadField, "colour escape \\C%c not supported (want \\C1, \\C2 or \\C3)", b[i+2])
				}
				if err := flush(); err != nil {
					return nil, err
				}
				cur = col
				i += 2
			default:
				return nil, frameErr(ErrBadField, "escape \\%c at text offset %d not supported", b[i+1], i)
			}
		case c < 0x20 || c == 0x7F:
			return nil, frameErr(ErrBadField, "control byte %#02x at text offset %d", c, i)
		case c < 0x80:
			text = append(text, c)
		default:
			if i+1 >= len(b) || !gbPair(c, b[i+1]) {
				return nil, frameErr(ErrBadField, "byte %#02x at text offset %d does not start a GB2312 character", c, i)
			}
			r, ok := gbDecodePair(c, b[i+1])
			if !ok {
				return nil, frameErr(ErrBadField, "bytes %#02x %#02x at text offset %d are not a GB2312 character", c, b[i+1], i)
			}
			text = utf8.AppendRune(text, r)
			i++
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return NormalizeRuns(runs), nil
}
