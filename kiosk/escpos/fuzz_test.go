package escpos

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzDecode: any byte stream decodes without a panic, every command's
// offset moves forward, and every error is a DecodeError.
func FuzzDecode(f *testing.F) {
	t, _ := TicketReceipt(Paper58, sampleTicket())
	s, _ := BookingSlip(Paper80, sampleBooking())
	f.Add(t)
	f.Add(s)
	f.Add([]byte{GS, '(', 'k', 0xff, 0xff, 49, 80, 48})
	f.Add([]byte{GS, 'v', '0', 0, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{FS, '&', 0x95, 0x32, 0x82, 0x36, 0x84, 0x31, 0xa4, 0x37, DLE, EOT, 4})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewReader(bytes.NewReader(b))
		last := int64(-1)
		for i := 0; ; i++ {
			c, err := r.Next()
			if err == io.EOF {
				break
			}
			if r.Offset() > int64(len(b)) {
				t.Fatalf("offset %d past the end %d", r.Offset(), len(b))
			}
			if err != nil {
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("not a DecodeError: %v", err)
				}
				if errors.Is(err, ErrTruncated) && r.Offset() != int64(len(b)) {
					t.Fatalf("truncated at %d of %d", r.Offset(), len(b))
				}
				continue
			}
			if c.Offset <= last {
				t.Fatalf("offset %d after %d", c.Offset, last)
			}
			last = c.Offset
			_ = c.String()
			if i > len(b) {
				t.Fatal("more commands than bytes")
			}
		}
		cmds, _ := Decode(b)
		_ = Render(cmds, Paper58)
	})
}

// FuzzText: text is either refused with ErrUnprintable or decodes back to
// itself.
func FuzzText(f *testing.F) {
	for _, s := range []string{"法律咨询 A003", "前面还有 2 人", "😀", "a\x1bb", "\xff", "（《宪法》）", "𠀀"} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, s string, cs uint8) {
		b, err := NewEncoder(Paper80, WithCharset(Charset(cs%3))).Chinese().Text(s).Bytes()
		if err != nil {
			if !errors.Is(err, ErrUnprintable) {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		cmds, err := Decode(b)
		if err != nil {
			t.Fatalf("%q encodes to % X, which does not decode: %v", s, b, err)
		}
		got := ""
		for _, c := range cmds {
			switch c.Op {
			case OpText:
				got += c.Text
			case OpLF:
				got += "\n"
			}
		}
		if got != s {
			t.Fatalf("%q came back as %q", s, got)
		}
	})
}
