package escpos

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Errors a DecodeError wraps, by kind.
var (
	// ErrTruncated: the stream ended inside a command or a character.
	ErrTruncated = errors.New("truncated ESC/POS stream")
	// ErrUnknown: a command (or control byte) this package does not know.
	ErrUnknown = errors.New("unknown ESC/POS command")
	// ErrBadText: text bytes that are not GB18030, or Chinese text sent
	// outside Chinese mode.
	ErrBadText = errors.New("text a printer would misprint")
)

// DecodeError says where a stream went wrong and what was there.
type DecodeError struct {
	Offset  int64  // where the offending command or character starts
	What    string // the command as far as it was read, e.g. "ESC 0x99"
	Problem string
	Err     error // ErrTruncated, ErrUnknown, ErrBadText or ErrInvalid
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("escpos: byte %d: %s: %s", e.Offset, e.What, e.Problem)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// maxText is the longest text run one Command holds; longer runs come as
// several commands. maxPayload bounds raster images.
const (
	maxText    = 4096
	maxPayload = 1 << 20
)

// Reader parses an ESC/POS stream into Commands. It reads only what each
// command needs, so it works on a live connection: a text run ends at the
// next command or when no more bytes have arrived yet, never waiting for
// more text. Text is decoded as GB18030 in Chinese mode (FS &); outside it,
// only ASCII is accepted. ESC @ leaves Chinese mode, as it does on the
// stricter printers, so a sender must send FS & after it.
type Reader struct {
	br      *bufio.Reader
	off     int64
	chinese bool
	dec     *encoding.Decoder
}

// NewReader reads commands from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 4096), dec: simplifiedchinese.GB18030.NewDecoder()}
}

// SetChinese sets whether Chinese mode is on before the first FS & or FS .
// (as at power-on on printers that start in it). Off by default.
func (r *Reader) SetChinese(on bool) { r.chinese = on }

// Chinese reports whether Chinese mode is on.
func (r *Reader) Chinese() bool { return r.chinese }

// Offset is how many bytes have been consumed.
func (r *Reader) Offset() int64 { return r.off }

// Next returns the next command. At the clean end of the stream it returns
// io.EOF. A malformed command returns a *DecodeError after consuming the
// bytes it covered, so the caller may go on reading; a transport error is
// returned wrapped.
func (r *Reader) Next() (Command, error) {
	start := r.off
	b, err := r.br.ReadByte()
	if err != nil {
		return Command{}, err
	}
	r.off++
	one := func(op Op) (Command, error) { return Command{Op: op, Offset: start}, nil }
	switch {
	case b == LF:
		return one(OpLF)
	case b == CR:
		return one(OpCR)
	case b == HT:
		return one(OpHT)
	case b == FF:
		return one(OpFF)
	case b == ESC:
		return r.esc(start)
	case b == GS:
		return r.gs(start)
	case b == FS:
		return r.fs(start)
	case b == DLE:
		return r.dle(start)
	case b >= 0x20 && b != 0x7f:
		r.br.UnreadByte()
		r.off--
		return r.text(start)
	}
	return Command{}, &DecodeError{Offset: start, What: fmt.Sprintf("byte 0x%02X", b), Err: ErrUnknown,
		Problem: "a control character that starts no command this package knows; the sender is out of step or sends an unsupported command"}
}

// arg reads one parameter byte of the command what.
func (r *Reader) arg(start int64, what string) (byte, error) {
	b, err := r.br.ReadByte()
	if err != nil {
		return 0, r.short(start, what, err)
	}
	r.off++
	return b, nil
}

func (r *Reader) args(start int64, what string, n int) ([]byte, error) {
	out := make([]byte, n)
	for i := range out {
		b, err := r.arg(start, what)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// payload reads n bytes of command data, growing the buffer as bytes
// arrive so a lying length does not allocate up front.
func (r *Reader) payload(start int64, what string, n int) ([]byte, error) {
	var buf bytes.Buffer
	m, err := io.CopyN(&buf, r.br, int64(n))
	r.off += m
	if err != nil {
		return nil, r.short(start, what, err)
	}
	return buf.Bytes(), nil
}

func (r *Reader) short(start int64, what string, err error) error {
	if errors.Is(err, io.EOF) {
		return &DecodeError{Offset: start, What: what, Err: ErrTruncated,
			Problem: "the stream ends inside the command; the sender stopped early or the connection dropped (resend the whole receipt)"}
	}
	return fmt.Errorf("escpos: reading %s at byte %d: %w", what, start, err)
}

func invalid(start int64, what, problem string) error {
	return &DecodeError{Offset: start, What: what, Problem: problem, Err: ErrInvalid}
}

func unknown(start int64, what, problem string) error {
	return &DecodeError{Offset: start, What: what, Problem: problem, Err: ErrUnknown}
}

// escOne are the ESC commands with one parameter byte.
var escOne = map[byte]Op{
	'!': OpPrintMode, ' ': OpRightSpacing, '-': OpUnderline, '3': OpLineSpacing,
	'E': OpBold, 'G': OpDoubleStrike, 'J': OpFeedDots, 'M': OpFont, 'R': OpCharset,
	'a': OpAlign, 'd': OpFeedLines, 't': OpCodePage, '{': OpUpsideDown,
}

func (r *Reader) esc(start int64) (Command, error) {
	c, err := r.arg(start, "ESC")
	if err != nil {
		return Command{}, err
	}
	switch c {
	case '@':
		r.chinese = false
		return Command{Op: OpInit, Offset: start}, nil
	case '2':
		return Command{Op: OpLineSpacing0, Offset: start}, nil
	case 'p':
		a, err := r.args(start, "ESC p", 3)
		if err != nil {
			return Command{}, err
		}
		return Command{Op: OpDrawer, Args: a, Offset: start}, nil
	}
	op, ok := escOne[c]
	if !ok {
		return Command{}, unknown(start, fmt.Sprintf("ESC 0x%02X", c), "an ESC command this package does not know")
	}
	n, err := r.arg(start, op.String())
	if err != nil {
		return Command{}, err
	}
	cmd := Command{Op: op, Args: []byte{n}, Offset: start}
	switch op {
	case OpAlign:
		if n > 2 && (n < 48 || n > 50) {
			return Command{}, invalid(start, cmd.String(), "alignment must be 0-2 or 48-50")
		}
	case OpFont:
		if n > 2 && (n < 48 || n > 50) {
			return Command{}, invalid(start, cmd.String(), "font must be 0-2 or 48-50")
		}
	}
	return cmd, nil
}

func (r *Reader) gs(start int64) (Command, error) {
	c, err := r.arg(start, "GS")
	if err != nil {
		return Command{}, err
	}
	switch c {
	case '!':
		n, err := r.arg(start, "GS !")
		if err != nil {
			return Command{}, err
		}
		cmd := Command{Op: OpSize, Args: []byte{n}, Offset: start}
		if n&0x88 != 0 {
			return Command{}, invalid(start, cmd.String(), "width and height multipliers are 1-8 (bits 4-6 and 0-2)")
		}
		return cmd, nil
	case 'B', 'a':
		op := map[byte]Op{'B': OpReverse, 'a': OpASB}[c]
		n, err := r.arg(start, op.String())
		if err != nil {
			return Command{}, err
		}
		return Command{Op: op, Args: []byte{n}, Offset: start}, nil
	case 'L', 'W':
		op := map[byte]Op{'L': OpLeftMargin, 'W': OpPrintWidth}[c]
		a, err := r.args(start, op.String(), 2)
		if err != nil {
			return Command{}, err
		}
		return Command{Op: op, Args: a, Offset: start}, nil
	case 'V':
		m, err := r.arg(start, "GS V")
		if err != nil {
			return Command{}, err
		}
		switch m {
		case 0, 1, 48, 49:
			return Command{Op: OpCut, Args: []byte{m}, Offset: start}, nil
		case 65, 66, 97, 98, 103, 104:
			n, err := r.arg(start, "GS V")
			if err != nil {
				return Command{}, err
			}
			return Command{Op: OpCut, Args: []byte{m, n}, Offset: start}, nil
		}
		return Command{}, invalid(start, fmt.Sprintf("GS V %d", m), "cut mode must be 0, 1, 48, 49, 65, 66, 97, 98, 103 or 104")
	case 'v':
		return r.raster(start)
	case '(':
		k, err := r.arg(start, "GS (")
		if err != nil {
			return Command{}, err
		}
		if k != 'k' {
			return Command{}, unknown(start, fmt.Sprintf("GS ( 0x%02X", k), "only GS ( k (two-dimensional codes) is supported among the GS ( commands")
		}
		return r.symbol(start)
	}
	return Command{}, unknown(start, fmt.Sprintf("GS 0x%02X", c), "a GS command this package does not know")
}

func (r *Reader) raster(start int64) (Command, error) {
	zero, err := r.arg(start, "GS v")
	if err != nil {
		return Command{}, err
	}
	if zero != '0' {
		return Command{}, unknown(start, fmt.Sprintf("GS v 0x%02X", zero), "only GS v 0 (raster bit image) is supported")
	}
	a, err := r.args(start, "GS v 0", 5)
	if err != nil {
		return Command{}, err
	}
	x, y := int(a[1])|int(a[2])<<8, int(a[3])|int(a[4])<<8
	if x*y > maxPayload {
		return Command{}, invalid(start, "GS v 0", fmt.Sprintf("a %dx%d-byte image is larger than the %d bytes accepted", x, y, maxPayload))
	}
	data, err := r.payload(start, "GS v 0", x*y)
	if err != nil {
		return Command{}, err
	}
	return Command{Op: OpRaster, Args: a, Data: data, Offset: start}, nil
}

// symbol reads GS ( k pL pH cn fn [parameters].
func (r *Reader) symbol(start int64) (Command, error) {
	p, err := r.args(start, "GS ( k", 2)
	if err != nil {
		return Command{}, err
	}
	n := int(p[0]) | int(p[1])<<8
	if n < 2 {
		return Command{}, invalid(start, fmt.Sprintf("GS ( k %d %d", p[0], p[1]), "the length pL+pH*256 must count at least cn and fn")
	}
	body, err := r.payload(start, "GS ( k", n)
	if err != nil {
		return Command{}, err
	}
	cn, fn, rest := body[0], body[1], body[2:]
	what := fmt.Sprintf("GS ( k cn=%d fn=%d", cn, fn)
	if cn != 49 {
		return Command{}, unknown(start, what, "only QR codes (cn 49) are supported; PDF417 and other symbols are not")
	}
	cmd := Command{Offset: start}
	want := 1
	switch fn {
	case 65:
		cmd.Op, want = OpQRModel, 2
		if len(rest) == 2 && (rest[0] < 49 || rest[0] > 51) {
			return Command{}, invalid(start, what, "the QR model must be 49 (model 1), 50 (model 2) or 51 (micro QR)")
		}
	case 67:
		cmd.Op = OpQRModule
		if len(rest) == 1 && (rest[0] < 1 || rest[0] > 16) {
			return Command{}, invalid(start, what, "the QR module size must be 1-16 dots")
		}
	case 69:
		cmd.Op = OpQRLevel
		if len(rest) == 1 && (rest[0] < 48 || rest[0] > 51) {
			return Command{}, invalid(start, what, "the QR error-correction level must be 48-51 (L, M, Q, H)")
		}
	case 80:
		if len(rest) < 2 || rest[0] != 48 {
			return Command{}, invalid(start, what, "QR store needs m = 48 and at least one data byte")
		}
		cmd.Op, cmd.Args, cmd.Data = OpQRStore, rest[:1], rest[1:]
		return cmd, nil
	case 81:
		cmd.Op = OpQRPrint
	case 82:
		cmd.Op = OpQRSizeInfo
	default:
		return Command{}, unknown(start, what, "a QR function this package does not know (65, 67, 69, 80, 81 and 82 are supported)")
	}
	if len(rest) != want {
		return Command{}, invalid(start, what, fmt.Sprintf("%s takes %d parameter byte(s), got %d", cmd.Op, want, len(rest)))
	}
	if (fn == 81 || fn == 82) && rest[0] != 48 {
		return Command{}, invalid(start, what, "m must be 48")
	}
	cmd.Args = rest
	return cmd, nil
}

func (r *Reader) fs(start int64) (Command, error) {
	c, err := r.arg(start, "FS")
	if err != nil {
		return Command{}, err
	}
	switch c {
	case '&':
		r.chinese = true
		return Command{Op: OpChineseOn, Offset: start}, nil
	case '.':
		r.chinese = false
		return Command{Op: OpChineseOff, Offset: start}, nil
	case '!', '-', 'C', 'W':
		op := map[byte]Op{'!': OpChineseMode, '-': OpChineseLine, 'C': OpChineseCode, 'W': OpChineseQuad}[c]
		n, err := r.arg(start, op.String())
		if err != nil {
			return Command{}, err
		}
		return Command{Op: op, Args: []byte{n}, Offset: start}, nil
	}
	return Command{}, unknown(start, fmt.Sprintf("FS 0x%02X", c), "an FS command this package does not know")
}

func (r *Reader) dle(start int64) (Command, error) {
	c, err := r.arg(start, "DLE")
	if err != nil {
		return Command{}, err
	}
	if c != EOT {
		return Command{}, unknown(start, fmt.Sprintf("DLE 0x%02X", c), "only DLE EOT (real-time status) is supported among the DLE commands")
	}
	n, err := r.arg(start, "DLE EOT")
	if err != nil {
		return Command{}, err
	}
	if n < 1 || n > 4 {
		return Command{}, invalid(start, fmt.Sprintf("DLE EOT %d", n), "the status kind must be 1-4")
	}
	return Command{Op: OpStatus, Args: []byte{n}, Offset: start}, nil
}

// gbFFFD is U+FFFD in GB18030: the one sequence that may decode to it.
var gbFFFD = []byte{0x84, 0x31, 0xa4, 0x37}

// text reads a run of printable bytes: ASCII, and GB18030 two- and
// four-byte characters in Chinese mode.
func (r *Reader) text(start int64) (Command, error) {
	var raw []byte
	for len(raw) < maxText {
		if len(raw) > 0 && r.br.Buffered() == 0 {
			break // do not wait for more text on a live stream
		}
		p, err := r.br.Peek(1)
		if err != nil {
			break
		}
		c := p[0]
		if c < 0x20 || c == 0x7f {
			break
		}
		if c < 0x80 {
			raw = append(raw, c)
			r.br.Discard(1)
			r.off++
			continue
		}
		at := r.off
		if !r.chinese {
			r.br.Discard(1)
			r.off++
			return Command{}, &DecodeError{Offset: at, What: fmt.Sprintf("text byte 0x%02X", c), Err: ErrBadText,
				Problem: "a byte above 0x7F outside Chinese mode prints as a code-page symbol, not Chinese; send FS & before Chinese text"}
		}
		n, problem := r.gbLen()
		if n == 0 {
			if len(raw) > 0 && problem == "" {
				break // return what came before; the next call reports it
			}
			if problem == "" { // the stream ended inside the character: it is all consumed
				k, _ := r.br.Discard(r.br.Buffered())
				r.off += int64(k)
				return Command{}, &DecodeError{Offset: at, What: fmt.Sprintf("text byte 0x%02X", c), Err: ErrTruncated,
					Problem: "the stream ends inside a GB18030 character; resend the whole receipt"}
			}
			r.br.Discard(1)
			r.off++
			return Command{}, &DecodeError{Offset: at, What: fmt.Sprintf("text byte 0x%02X", c), Err: ErrBadText, Problem: problem}
		}
		p, _ = r.br.Peek(n)
		raw = append(raw, p...)
		r.br.Discard(n)
		r.off += int64(n)
	}
	if len(raw) == 0 {
		return Command{}, io.EOF
	}
	s, err := r.dec.Bytes(raw)
	if err != nil || (bytes.ContainsRune(s, utf8.RuneError) && !bytes.Contains(raw, gbFFFD)) {
		return Command{}, &DecodeError{Offset: start, What: "text", Err: ErrBadText,
			Problem: "a GB18030 code with no character assigned; the printer would print a blank or a wrong glyph"}
	}
	return Command{Op: OpText, Data: raw, Text: string(s), Offset: start}, nil
}

// gbLen returns the length of the GB18030 character at the read position
// (2 or 4), or 0 with the problem ("" when the stream ends inside it).
func (r *Reader) gbLen() (int, string) {
	p, err := r.br.Peek(2)
	if len(p) < 2 {
		_ = err
		return 0, ""
	}
	lead, b2 := p[0], p[1]
	if lead == 0x80 || lead == 0xff {
		return 0, fmt.Sprintf("0x%02X cannot start a GB18030 character", lead)
	}
	switch {
	case b2 >= 0x40 && b2 <= 0xfe && b2 != 0x7f:
		return 2, ""
	case b2 >= 0x30 && b2 <= 0x39:
		p, _ = r.br.Peek(4)
		if len(p) < 4 {
			return 0, ""
		}
		if p[2] < 0x81 || p[2] > 0xfe || p[3] < 0x30 || p[3] > 0x39 {
			return 0, fmt.Sprintf("% X is not a four-byte GB18030 character", p)
		}
		return 4, ""
	}
	return 0, fmt.Sprintf("0x%02X 0x%02X is not a GB18030 character", lead, b2)
}

// Decode parses a whole stream. Consecutive text runs are joined into one
// OpText command. The first malformed command stops it: the commands before
// it are returned with the *DecodeError.
func Decode(b []byte) ([]Command, error) {
	r := NewReader(bytes.NewReader(b))
	var cmds []Command
	for {
		c, err := r.Next()
		if err == io.EOF {
			return cmds, nil
		}
		if err != nil {
			return cmds, err
		}
		cmds = appendJoined(cmds, c)
	}
}

// appendJoined appends c, joining it to a preceding text command.
func appendJoined(cmds []Command, c Command) []Command {
	if n := len(cmds); n > 0 && c.Op == OpText && cmds[n-1].Op == OpText {
		last := &cmds[n-1]
		last.Data = append(last.Data[:len(last.Data):len(last.Data)], c.Data...)
		last.Text += c.Text
		return cmds
	}
	return append(cmds, c)
}

// Join joins consecutive text commands, as Decode does.
func Join(cmds []Command) []Command {
	var out []Command
	for _, c := range cmds {
		out = appendJoined(out, c)
	}
	return out
}
