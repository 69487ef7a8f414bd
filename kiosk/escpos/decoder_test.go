package escpos

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func ops(cmds []Command) []Op {
	var out []Op
	for _, c := range cmds {
		out = append(out, c.Op)
	}
	return out
}

func TestDecodeRoundTrip(t *testing.T) {
	b := mustBytes(t, NewEncoder(Paper80).Init().Chinese().Align(Center).Bold(true).Size(3, 3).
		Line("A003").Size(1, 1).Bold(false).Text("前面还有 2 人").LF().
		QR("https://x.cn/t/1", 6, LevelM).Feed(2).Cut())
	cmds, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []Op{OpInit, OpChineseOn, OpAlign, OpBold, OpSize, OpText, OpLF, OpSize, OpBold, OpText, OpLF,
		OpQRModel, OpQRModule, OpQRLevel, OpQRStore, OpQRPrint, OpFeedLines, OpCut}
	if got := ops(cmds); !reflect.DeepEqual(got, want) {
		t.Fatalf("ops\n got %v\nwant %v", got, want)
	}
	if cmds[4].Arg(0) != 0x22 || cmds[5].Text != "A003" || cmds[9].Text != "前面还有 2 人" {
		t.Errorf("size %v, text %q, %q", cmds[4], cmds[5].Text, cmds[9].Text)
	}
	if string(cmds[14].Data) != "https://x.cn/t/1" || cmds[12].Arg(0) != 6 || cmds[13].Arg(0) != int(LevelM) {
		t.Errorf("QR: %v %v %v", cmds[12], cmds[13], cmds[14])
	}
	if cmds[16].Arg(0) != 2 || cmds[17].Arg(0) != 66 {
		t.Errorf("feed %v cut %v", cmds[16], cmds[17])
	}
	// Offsets point at each command in the stream.
	for _, c := range cmds {
		if c.Op != OpText && c.Op != OpLF && !bytes.HasPrefix(b[c.Offset:], []byte{0}) {
			switch b[c.Offset] {
			case ESC, GS, FS:
			default:
				t.Errorf("%v at %d starts with 0x%02X", c, c.Offset, b[c.Offset])
			}
		}
	}
}

func TestDecodeAllCommands(t *testing.T) {
	in := []byte{
		ESC, '@', ESC, '!', 0x38, ESC, ' ', 2, ESC, '-', 1, ESC, '2', ESC, '3', 30, ESC, 'G', 1,
		ESC, 'J', 24, ESC, 'M', 1, ESC, 'R', 15, ESC, 'a', 49, ESC, 'd', 1, ESC, 'p', 0, 25, 250,
		ESC, 't', 0, ESC, '{', 0, GS, 'B', 1, GS, 'L', 0, 0, GS, 'W', 0x40, 0x02, GS, 'a', 0,
		GS, 'V', 1, GS, 'v', '0', 0, 1, 0, 2, 0, 0xAA, 0x55,
		GS, '(', 'k', 3, 0, 49, 82, 48,
		FS, '!', 0x0C, FS, '-', 1, FS, 'C', 0, FS, 'W', 1, FS, '&', FS, '.',
		DLE, EOT, 1, DLE, EOT, 4, CR, HT, FF,
	}
	cmds, err := Decode(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []Op{OpInit, OpPrintMode, OpRightSpacing, OpUnderline, OpLineSpacing0, OpLineSpacing, OpDoubleStrike,
		OpFeedDots, OpFont, OpCharset, OpAlign, OpFeedLines, OpDrawer, OpCodePage, OpUpsideDown, OpReverse,
		OpLeftMargin, OpPrintWidth, OpASB, OpCut, OpRaster, OpQRSizeInfo, OpChineseMode, OpChineseLine,
		OpChineseCode, OpChineseQuad, OpChineseOn, OpChineseOff, OpStatus, OpStatus, OpCR, OpHT, OpFF}
	if got := ops(cmds); !reflect.DeepEqual(got, want) {
		t.Fatalf("ops\n got %v\nwant %v", got, want)
	}
	if r := cmds[20]; !bytes.Equal(r.Data, []byte{0xAA, 0x55}) {
		t.Errorf("raster %v data % X", r, r.Data)
	}
	for _, c := range cmds {
		if s := c.String(); s == "" || strings.HasPrefix(s, "Op(") {
			t.Errorf("no name for %#v", c)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		want error
		at   int64
		says string
	}{
		{"truncated ESC", []byte{'a', ESC}, ErrTruncated, 1, "ends inside"},
		{"truncated ESC a", []byte{ESC, 'a'}, ErrTruncated, 0, "ESC a"},
		{"truncated GS V 66", []byte{GS, 'V', 66}, ErrTruncated, 0, "GS V"},
		{"truncated QR store", []byte{GS, '(', 'k', 10, 0, 49, 80, 48, 'x'}, ErrTruncated, 0, "GS ( k"},
		{"truncated DLE EOT", []byte{DLE, EOT}, ErrTruncated, 0, "DLE EOT"},
		{"truncated hanzi", []byte{FS, '&', 0xB7}, ErrTruncated, 2, "inside a GB18030"},
		{"truncated 4-byte", []byte{FS, '&', 0x95, 0x32, 0x82}, ErrTruncated, 2, "inside a GB18030"},
		{"unknown ESC", []byte{ESC, 0x99}, ErrUnknown, 0, "ESC 0x99"},
		{"unknown GS", []byte{GS, 'Z'}, ErrUnknown, 0, "GS 0x5A"},
		{"unknown FS", []byte{FS, 'x'}, ErrUnknown, 0, "FS 0x78"},
		{"unknown DLE", []byte{DLE, 0x05, 1}, ErrUnknown, 0, "DLE 0x05"},
		{"unknown control", []byte{'o', 'k', 0x07}, ErrUnknown, 2, "0x07"},
		{"pdf417", []byte{GS, '(', 'k', 3, 0, 48, 65, 0}, ErrUnknown, 0, "only QR"},
		{"bad align", []byte{ESC, 'a', 7}, ErrInvalid, 0, "alignment"},
		{"bad size", []byte{GS, '!', 0x88}, ErrInvalid, 0, "1-8"},
		{"bad cut", []byte{GS, 'V', 7}, ErrInvalid, 0, "cut mode"},
		{"bad status kind", []byte{DLE, EOT, 9}, ErrInvalid, 0, "1-4"},
		{"bad qr level", []byte{GS, '(', 'k', 3, 0, 49, 69, 60}, ErrInvalid, 0, "error-correction"},
		{"qr store empty", []byte{GS, '(', 'k', 3, 0, 49, 80, 48}, ErrInvalid, 0, "at least one"},
		{"hanzi outside chinese mode", []byte{0xB7, 0xA8}, ErrBadText, 0, "FS &"},
		{"hanzi after ESC @", []byte{FS, '&', ESC, '@', 0xB7, 0xA8}, ErrBadText, 4, "FS &"},
		{"bad trail byte", []byte{FS, '&', 0xB7, 0x20}, ErrBadText, 2, "not a GB18030"},
		{"bad lead byte", []byte{FS, '&', 0x80, 0x41}, ErrBadText, 2, "cannot start"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(c.in)
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, c.want) {
				t.Fatalf("got %v, want a DecodeError wrapping %v", err, c.want)
			}
			if de.Offset != c.at || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("got %v (offset %d), want offset %d and %q", err, de.Offset, c.at, c.says)
			}
		})
	}
}

// After a malformed command the Reader goes on with the next one.
func TestReaderContinuesAfterError(t *testing.T) {
	r := NewReader(bytes.NewReader([]byte{ESC, 0x99, 'o', 'k', LF}))
	if _, err := r.Next(); !errors.Is(err, ErrUnknown) {
		t.Fatal(err)
	}
	c, err := r.Next()
	if err != nil || c.Text != "ok" {
		t.Fatalf("%v %v", c, err)
	}
}

// A live stream that arrives a byte at a time decodes to the same commands
// once text runs are joined, and the reader never waits for more text.
func TestReaderOneByteAtATime(t *testing.T) {
	b, err := TicketReceipt(Paper58, sampleTicket())
	if err != nil {
		t.Fatal(err)
	}
	want, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader(iotest.OneByteReader(bytes.NewReader(b)))
	var got []Command
	for {
		c, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = appendJoined(got, c)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("one byte at a time:\n got %v\nwant %v", got, want)
	}
}

func TestDecodeFFFD(t *testing.T) {
	// U+FFFD itself is a valid four-byte code; unassigned codes are not.
	cmds, err := Decode(append([]byte{FS, '&'}, gbFFFD...))
	if err != nil || cmds[1].Text != "\uFFFD" {
		t.Fatalf("%v %v", cmds, err)
	}
	if _, err := Decode([]byte{FS, '&', 0xFE, 0x39, 0xFE, 0x39}); !errors.Is(err, ErrBadText) {
		t.Fatalf("unassigned code: %v", err)
	}
}
