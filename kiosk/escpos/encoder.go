package escpos

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Paper is a receipt roll: its width in half-width columns of font A (12
// dots each) and in dots at 203 dpi.
type Paper struct {
	Name    string
	Columns int
	Dots    int
}

// The two roll widths kiosks use.
var (
	Paper58 = Paper{Name: "58mm", Columns: 32, Dots: 384}
	Paper80 = Paper{Name: "80mm", Columns: 48, Dots: 576}
)

// PaperByName returns Paper58 for "58" or "58mm" and Paper80 for "80" or
// "80mm".
func PaperByName(name string) (Paper, error) {
	switch strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), "mm") {
	case "58":
		return Paper58, nil
	case "80":
		return Paper80, nil
	}
	return Paper{}, fmt.Errorf("paper %q: %w: use 58mm or 80mm (the width of the printer's roll)", name, ErrInvalid)
}

// Option configures an Encoder.
type Option func(*Encoder)

// WithCharset sets the characters the printer's font carries (default GBK).
func WithCharset(c Charset) Option { return func(e *Encoder) { e.gb.charset = c } }

// WithReplacement prints r in place of every character the printer cannot
// print, instead of refusing the text. r must itself be printable, e.g. '?'
// or '□'.
func WithReplacement(r rune) Option { return func(e *Encoder) { e.gb.replace = r } }

// Encoder builds an ESC/POS stream. Its methods append one command each and
// return the Encoder, so calls chain. The first error sticks: later calls do
// nothing and Bytes returns it.
type Encoder struct {
	paper   Paper
	buf     []byte
	err     error
	gb      *gbWriter
	w, h    int // character size set by Size
	align   Alignment
	chinese bool
}

// NewEncoder returns an Encoder for paper.
func NewEncoder(p Paper, opts ...Option) *Encoder {
	e := &Encoder{paper: p, gb: newGBWriter(GBK, 0), w: 1, h: 1, buf: make([]byte, 0, 512)}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Paper is the roll the encoder lays out for.
func (e *Encoder) Paper() Paper { return e.paper }

// Columns is how many half-width characters fit on a line at the current
// character width.
func (e *Encoder) Columns() int { return e.paper.Columns / e.w }

// Bytes returns the stream, or the first error met while building it.
func (e *Encoder) Bytes() ([]byte, error) {
	if e.err != nil {
		return nil, e.err
	}
	return e.buf, nil
}

// Err is the first error met, if any.
func (e *Encoder) Err() error { return e.err }

func (e *Encoder) fail(err error) *Encoder {
	if e.err == nil {
		e.err = err
	}
	return e
}

func (e *Encoder) put(b ...byte) *Encoder {
	if e.err == nil {
		e.buf = append(e.buf, b...)
	}
	return e
}

// Init resets the printer to its power-on settings (ESC @). The printer
// leaves Chinese mode on some models, so call Chinese after it.
func (e *Encoder) Init() *Encoder {
	e.w, e.h, e.align, e.chinese = 1, 1, Left, false
	return e.put(ESC, '@')
}

// Chinese turns Chinese character mode on (FS &): from here on the printer
// reads bytes 0x81-0xFE as the first byte of a GB code. Text needs it.
func (e *Encoder) Chinese() *Encoder {
	e.chinese = true
	return e.put(FS, '&')
}

// NoChinese turns Chinese character mode off (FS .).
func (e *Encoder) NoChinese() *Encoder {
	e.chinese = false
	return e.put(FS, '.')
}

// CodePage selects the table for single-byte characters 0x80-0xFF outside
// Chinese mode (ESC t n; 0 is PC437 on most printers). Text never needs it:
// it is sent in Chinese mode.
func (e *Encoder) CodePage(n byte) *Encoder { return e.put(ESC, 't', n) }

// Align sets the alignment of the lines that follow (ESC a).
func (e *Encoder) Align(a Alignment) *Encoder {
	if a > Right {
		return e.fail(fmt.Errorf("align %d: %w: use Left, Center or Right", a, ErrInvalid))
	}
	e.align = a
	return e.put(ESC, 'a', byte(a))
}

// Bold turns emphasis on or off (ESC E).
func (e *Encoder) Bold(on bool) *Encoder {
	var n byte
	if on {
		n = 1
	}
	return e.put(ESC, 'E', n)
}

// Size sets the character width and height multipliers, 1 to 8 each
// (GS ! n, width in bits 4-7, height in bits 0-3). It applies to ASCII and
// to Chinese characters.
func (e *Encoder) Size(w, h int) *Encoder {
	if w < 1 || w > 8 || h < 1 || h > 8 {
		return e.fail(fmt.Errorf("size %dx%d: %w: width and height are 1 to 8", w, h, ErrInvalid))
	}
	e.w, e.h = w, h
	return e.put(GS, '!', byte((w-1)<<4|(h-1)))
}

// Text appends s as GB18030 text. Errors name the offending character's
// code point and position, never the text (it may be personal data). A newline in s becomes LF; any other
// control character, invalid UTF-8, and characters outside the printer's
// charset are refused with an error wrapping ErrUnprintable (or replaced,
// see WithReplacement). Non-ASCII text needs Chinese mode on.
func (e *Encoder) Text(s string) *Encoder {
	if e.err != nil {
		return e
	}
	if !e.chinese {
		for _, r := range s {
			if r >= 0x80 {
				return e.fail(fmt.Errorf("text: %w: Chinese text needs Chinese mode; call Chinese() after Init()", ErrUnprintable))
			}
		}
	}
	buf := e.buf
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f { // ASCII fast path
			buf = append(buf, c)
			i++
			continue
		}
		if c == '\n' {
			buf = append(buf, LF)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			return e.fail(fmt.Errorf("text: %w: byte %d is not valid UTF-8; pass UTF-8 text", ErrUnprintable, i))
		}
		var err error
		if buf, err = e.gb.appendRune(buf, r); err != nil {
			return e.fail(fmt.Errorf("text, character at byte %d: %w", i, err))
		}
		i += size
	}
	e.buf = buf
	return e
}

// Line appends s and a line feed.
func (e *Encoder) Line(s string) *Encoder { return e.Text(s).put(LF) }

// Wrap appends s as lines that fit the paper at the current character
// width (see Wrap), each ending with a line feed.
func (e *Encoder) Wrap(s string) *Encoder {
	for _, l := range Wrap(s, e.Columns()) {
		e.Line(l)
	}
	return e
}

// LF prints the current line and feeds one line.
func (e *Encoder) LF() *Encoder { return e.put(LF) }

// Feed prints and feeds n lines (ESC d n).
func (e *Encoder) Feed(n int) *Encoder {
	if n < 0 || n > 255 {
		return e.fail(fmt.Errorf("feed %d lines: %w: use 0 to 255", n, ErrInvalid))
	}
	return e.put(ESC, 'd', byte(n))
}

// Cut feeds the paper to the cutter and makes a partial cut (GS V 66 n,
// leaving a hinge so the receipt does not fall). Printers without a cutter
// only feed; the villager tears the paper off.
func (e *Encoder) Cut() *Encoder { return e.put(GS, 'V', 66, 3) }

// QR prints data as a QR code, model 2, with modules of module dots (1 to
// 16) and the error-correction level, through GS ( k functions 165, 167,
// 169, 180 and 181. data must be printable ASCII (a URL, a code) of at most
// 7,089 bytes, and the symbol must fit the paper: the error says which
// module size would.
func (e *Encoder) QR(data string, module int, level Level) *Encoder {
	if e.err != nil {
		return e
	}
	switch {
	case len(data) == 0:
		return e.fail(fmt.Errorf("QR: %w: no data to encode", ErrInvalid))
	case len(data) > 7089:
		return e.fail(fmt.Errorf("QR: %w: %d bytes is more than the 7,089 a printer stores; shorten the link", ErrInvalid, len(data)))
	case module < 1 || module > 16:
		return e.fail(fmt.Errorf("QR: %w: module size %d: use 1 to 16 dots", ErrInvalid, module))
	case level < LevelL || level > LevelH:
		return e.fail(fmt.Errorf("QR: %w: error-correction level %d: use LevelL, LevelM, LevelQ or LevelH", ErrInvalid, level))
	}
	for i := 0; i < len(data); i++ {
		if data[i] < 0x20 || data[i] >= 0x7f {
			return e.fail(fmt.Errorf("QR %q: %w: byte %d (0x%02X) is not printable ASCII; percent-encode the link", clip(data), ErrUnprintable, i, data[i]))
		}
	}
	w, ok := QRWidth(len(data), level)
	if !ok {
		w = 17 + 4*40 + 8 // version 40, the largest
	}
	if w*module > e.paper.Dots {
		return e.fail(fmt.Errorf("QR %q: %w: %d modules of %d dots are wider than the %d-dot %s paper; use module size %d or a shorter link",
			clip(data), ErrInvalid, w, module, e.paper.Dots, e.paper.Name, max(e.paper.Dots/w, 1)))
	}
	n := len(data) + 3
	e.put(GS, '(', 'k', 4, 0, 49, 65, 50, 0)             // function 165: model 2
	e.put(GS, '(', 'k', 3, 0, 49, 67, byte(module))      // function 167: module size
	e.put(GS, '(', 'k', 3, 0, 49, 69, byte(level))       // function 169: error correction
	e.put(GS, '(', 'k', byte(n), byte(n>>8), 49, 80, 48) // function 180: store
	e.buf = append(e.buf, data...)
	return e.put(GS, '(', 'k', 3, 0, 49, 81, 48) // function 181: print
}

// clip shortens s for an error message.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= 24 {
		return s
	}
	return string([]rune(s)[:24]) + "…"
}
