package bx

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	s = strings.ReplaceAll(s, " ", "")
	s = strings.ReplaceAll(s, "A5×8", strings.Repeat("A5", 8))
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func TestCRC16Check(t *testing.T) {
	if got := CRC16([]byte("123456789")); got != 0xBB3D {
		t.Fatalf("CRC16(123456789) = %#04x, want 0xBB3D", got)
	}
}

func mustModel(t testing.TB, name string) *Model {
	t.Helper()
	m, err := LookupModel(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustEncoder(t testing.TB, model string, w, h int, c Colors) *Encoder {
	t.Helper()
	e, err := NewEncoder(mustModel(t, model), w, h, c)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// The three frames given in the issue, plus the font-card clear frame from a
// public third-party sample (CRC 0xF851), byte for byte.
func TestGoldenFrames(t *testing.T) {
	k := mustEncoder(t, "bx-5k1", 64, 16, Single)
	e := mustEncoder(t, "bx-5e1", 64, 16, Single)
	cases := []struct {
		name string
		enc  func() ([]byte, error)
		want string
		cmd  Command
	}{
		{"5K ping", func() ([]byte, error) { return k.Encode(Ping{}) },
			"A5A5A5A5A5A5A5A5 0100 0080 000000 00 00 00 FE 02 0500 A200010000 68F8 5A", Ping{}},
		{"5K clear", func() ([]byte, error) { return k.Encode(Clear{}) },
			"A5A5A5A5A5A5A5A5 0100 0080 000000 00 00 00 FE 02 0500 A310010000 51F8 5A", Clear{}},
		{"5E ping", func() ([]byte, error) {
			e.Header.Dst = AddrBroadcastReply
			return e.Encode(Ping{})
		}, "A5×8 FEFF 0080 F0 00 FEFF 00000000 05000000 01A2000000 C686 5A", Ping{}},
		{"5E delete area 0", func() ([]byte, error) {
			e.Header.Dst = AddrBroadcast
			e.Header.DeviceType = 0x0266
			return e.Encode(DeleteAreas{IDs: []uint8{0}})
		}, "A5×8 FFFF 0080 F0 00 6602 00000000 07000000 01A7010000 0100 431D 5A", DeleteAreas{IDs: []uint8{0}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := unhex(t, c.want)
			got, err := c.enc()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("encoded\n %X\nwant\n %X", got, want)
			}
			p, err := Unframe(want)
			if err != nil {
				t.Fatal(err)
			}
			cmd, err := DecodeCommand(p)
			if err != nil {
				t.Fatal(err)
			}
			if !equalCommand(cmd, c.cmd) {
				t.Fatalf("decoded %#v, want %#v", cmd, c.cmd)
			}
			again, err := p.Encode()
			if err != nil || !bytes.Equal(again, want) {
				t.Fatalf("re-encoded packet %X (%v), want %X", again, err, want)
			}
		})
	}
}

func TestGoldenHeaderFields(t *testing.T) {
	p, err := Unframe(unhex(t, "A5A5A5A5A5A5A5A5 0100 0080 000000 00 00 00 FE 02 0500 A200010000 68F8 5A"))
	if err != nil {
		t.Fatal(err)
	}
	want := Header{Family: FontCard, Dst: 1, Src: AddrPC, DeviceType: DeviceAnyFontCard}
	if p.Header != want {
		t.Fatalf("header %+v, want %+v", p.Header, want)
	}
	p, err = Unframe(unhex(t, "A5×8 FFFF 0080 F0 00 6602 00000000 07000000 01A7010000 0100 431D 5A"))
	if err != nil {
		t.Fatal(err)
	}
	want = Header{Family: Picture, Dst: AddrBroadcast, Src: AddrPC, DeviceType: 0x0266}
	if p.Header != want {
		t.Fatalf("header %+v, want %+v", p.Header, want)
	}
	if WantsReply(p) {
		t.Fatal("a request to 0xFFFF must not ask for a reply")
	}
}

// A hand-assembled font-card text frame: area 0 at (0,0) 64x16 on a BX-5K,
// quick effect, speed 0, stay 5 s, text "\C1法治" in GB2312 (B7A8 D6CE).
func TestGoldenText5K(t *testing.T) {
	e := mustEncoder(t, "bx-5k1", 64, 16, Dual)
	area := TextArea{ID: 0, X: 0, Y: 0, W: 64, H: 16, RunMode: RunHoldLast, Timeout: 10 * time.Second,
		Effect: EffectQuick, Speed: 0, Stay: 5 * time.Second, Runs: []Run{{Color: 1, Text: "法治"}}}
	data, err := e.Data(TextUpdate{Areas: []TextArea{area}})
	if err != nil {
		t.Fatal(err)
	}
	want := unhex(t, "A306010000 00 01 2200"+ // group, cmd, reply, process, reserved, delete 0, areas 1, area length 34
		"00 0000 0000 0800 1000"+ // type, x=0 (bytes), y=0, w=8 bytes, h=16
		"00 00 01 0A00 000000"+ // id, line spacing, run mode 1, timeout 10 s, reserved
		"02 01 02 00 00 0A"+ // multi-line, manual breaks, quick, exit 0, speed 0, stay 10 x 0.5 s
		"07000000 5C4331 B7A8 D6CE") // text length 7, \C1 法治
	if !bytes.Equal(data, want) {
		t.Fatalf("data\n %X\nwant\n %X", data, want)
	}
}

func TestUnframeReasons(t *testing.T) {
	good := unhex(t, "A5×8 FEFF 0080 F0 00 FEFF 00000000 05000000 01A2000000 C686 5A")
	badCRC := append([]byte(nil), good...)
	badCRC[len(badCRC)-3] ^= 0x01
	badEsc := append(append([]byte(nil), good[:len(good)-1]...), 0xA6, 0x03, 0x5A)
	short := append([]byte(nil), good[:len(good)-1]...)
	lenMismatch := unhex(t, "A5×8 FEFF 0080 F0 00 FEFF 00000000 06000000 01A2000000 C686 5A")
	// fix up the CRC so that only the length is wrong
	raw, _ := unescape(lenMismatch[8 : len(lenMismatch)-1])
	c := CRC16(raw[:len(raw)-2])
	raw[len(raw)-2], raw[len(raw)-1] = byte(c), byte(c>>8)
	lenMismatch = wrap(raw)
	unknownCmd, _ := Pack(Header{Family: Picture, Dst: 1, Src: AddrPC, DeviceType: 0x0154}, []byte{0x01, 0xA9, 0x09, 0, 0})
	cases := []struct {
		name string
		wire []byte
		want error
	}{
		{"crc", badCRC, ErrBadCRC},
		{"escape", badEsc, ErrBadEscape},
		{"truncated", short, ErrTruncated},
		{"length", lenMismatch, ErrLength},
	}
	for _, c := range cases {
		_, err := Unframe(c.wire)
		var fe *FrameError
		if !errors.Is(err, c.want) || !errors.As(err, &fe) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	p, err := Unframe(unknownCmd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeCommand(p); !errors.Is(err, ErrUnknownCommand) {
		t.Fatalf("unknown command: got %v", err)
	}
}

func equalCommand(a, b Command) bool { return reflect.DeepEqual(a, b) }
