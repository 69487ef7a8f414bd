package bx

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"lawpoint/display/dots"
)

func TestPackPlanesGolden(t *testing.T) {
	b := dots.New(10, 1)
	b.Set(0, 0, dots.Red)
	b.Set(1, 0, dots.Green)
	b.Set(2, 0, dots.Yellow)
	for _, c := range []struct {
		gen  int
		want string
	}{
		{5, "EB F3 FF FF"},       // red byte, green byte per 8 dots; area starts at column 3
		{6, "FFFFFFEB FFFFFFF3"}, // red plane word, then green plane word, little-endian
	} {
		lay := layoutFor(c.gen, 3, 10, 1, Dual)
		got := packPage(lay, 3, b)
		if want := unhex(t, c.want); !bytes.Equal(got, want) {
			t.Errorf("gen %d: packed %X, want %X", c.gen, got, want)
		}
		back, err := unpackPage(lay, 3, 10, got)
		if err != nil || !back.Equal(b) {
			t.Errorf("gen %d: unpacked %v (%v), want %v", c.gen, back.Text(), err, b.Text())
		}
	}
	// Single colour: only the red plane.
	s := dots.New(8, 2)
	s.Set(0, 0, dots.Red)
	s.Set(7, 1, dots.Red)
	if got := packPage(layoutFor(5, 0, 8, 2, Single), 0, s); !bytes.Equal(got, []byte{0x7F, 0xFE}) {
		t.Errorf("single colour 5E: %X, want 7FFE", got)
	}
	// A lit padding bit is refused.
	if _, err := unpackPage(layoutFor(5, 3, 10, 1, Dual), 3, 10, unhex(t, "6B F3 FF FF")); !errors.Is(err, ErrBadField) {
		t.Errorf("lit padding: %v", err)
	}
}

func TestNotInGB2312(t *testing.T) {
	got := NotInGB2312("依法治国 𠮷€乂，😀𠮷 ABC\\")
	want := []rune{'𠮷', '€', '乂', '😀'}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("NotInGB2312 = %q, want %q", got, want)
	}
	if bad := NotInGB2312("宪法宣传日：12月4日，欢迎拨打12348！"); len(bad) != 0 {
		t.Fatalf("plain text flagged: %q", bad)
	}
	e := mustEncoder(t, "bx-6k1", 64, 16, Single)
	_, err := e.Encode(TextUpdate{Areas: []TextArea{{W: 64, H: 16, Effect: EffectStatic,
		Runs: []Run{{Color: dots.Red, Text: "𠮷乂好"}}}}})
	var te *TextError
	if !errors.As(err, &te) || !reflect.DeepEqual(te.Runes, []rune{'𠮷', '乂'}) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("text error: %v", err)
	}
	if !strings.Contains(err.Error(), "GB2312") || !strings.Contains(err.Error(), "图文控制卡") {
		t.Fatalf("message should name the problem and the fix in both languages: %v", err)
	}
}

func TestTextRejects(t *testing.T) {
	k5 := mustEncoder(t, "bx-5k1", 128, 32, Single)
	area := TextArea{X: 4, W: 64, H: 16, Effect: EffectStatic, Runs: []Run{{Color: dots.Red, Text: "x"}}}
	if _, err := k5.Encode(TextUpdate{Areas: []TextArea{area}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("5K unaligned x: %v", err)
	}
	area.X = 0
	area.Runs = []Run{{Color: dots.Green, Text: "x"}}
	if _, err := k5.Encode(TextUpdate{Areas: []TextArea{area}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("green on single-colour: %v", err)
	}
	area.Runs = []Run{{Color: dots.Red, Text: `a\b`}}
	if _, err := k5.Encode(TextUpdate{Areas: []TextArea{area}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("backslash: %v", err)
	}
	area.Runs = []Run{{Color: dots.Red, Text: "x"}}
	area.W = 256
	if _, err := k5.Encode(TextUpdate{Areas: []TextArea{area}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("area outside board: %v", err)
	}
	if _, err := k5.Encode(PictureUpdate{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("picture on font card: %v", err)
	}
	if _, err := NewEncoder(mustModel(t, "bx-5k1"), 1024, 32, Dual); !errors.Is(err, ErrInvalid) {
		t.Errorf("board too wide for dual colour: %v", err)
	}
}

// 6K areas off the 8-dot grid travel in dot units (bit 15 set).
func TestText6KPixelUnits(t *testing.T) {
	e := mustEncoder(t, "bx-6k1", 96, 32, Dual)
	a := TextArea{ID: 2, X: 5, Y: 3, W: 50, H: 13, Effect: EffectScrollLeft, SingleLine: true,
		Speed: 3, Stay: 1500 * time.Millisecond, Runs: []Run{{Color: dots.Yellow, Text: "调解"}}}
	data, err := e.Data(TextUpdate{Areas: []TextArea{a}})
	if err != nil {
		t.Fatal(err)
	}
	if got := data[10:18]; !bytes.Equal(got, unhex(t, "0580 0300 3280 0D00")) {
		t.Fatalf("x,y,w,h = %X", got)
	}
	roundTrip(t, e, TextUpdate{Areas: []TextArea{a}})
}

// tester is what a round trip needs of *testing.T or *rapid.T.
type tester interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

func roundTrip(t tester, e *Encoder, cmd Command) {
	t.Helper()
	roundTripAs(t, e, cmd, cmd)
}

// roundTripAs encodes cmd with e and checks that the frame decodes to want,
// both for e's model and without it.
func roundTripAs(t tester, e *Encoder, cmd, want Command) {
	t.Helper()
	wire, err := e.Encode(cmd)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Unframe(wire)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeCommandFor(p, e.Model)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded\n %#v\nwant\n %#v", got, want)
	}
	// Without the model the header's device type (or both layouts) decides.
	if got2, err := DecodeCommand(p); err != nil || !reflect.DeepEqual(got2, want) {
		t.Fatalf("DecodeCommand without model: %#v, %v", got2, err)
	}
}

func TestFontCardCommandsRoundTrip(t *testing.T) {
	e := mustEncoder(t, "bx-5k2", 256, 64, Dual)
	sched := [48]uint8{}
	for i := range sched {
		sched[i] = uint8(i % 16)
	}
	cmds := []Command{
		Ping{}, Clear{}, Power{On: true}, Power{On: false},
		TimeSyncAt(time.Date(2025, 12, 4, 9, 30, 5, 0, time.UTC)),
		Brightness{Level: 7}, Brightness{Level: 15, Schedule: &sched},
		DeleteAreas{All: true}, DeleteAreas{IDs: []uint8{1, 3}},
		TextUpdate{Reset: true, Delete: []uint8{4}, Areas: []TextArea{
			{ID: 0, X: 0, Y: 0, W: 256, H: 16, Effect: EffectScrollLeft, SingleLine: true, Speed: 5,
				Runs: []Run{{Color: dots.Red, Text: "宪法"}, {Color: dots.Green, Text: "宣传日"}}},
			{ID: 1, X: 8, Y: 16, W: 128, H: 48, AutoWrap: true, Effect: EffectScrollUp, RunMode: RunLoopTimeout,
				Timeout: 60 * time.Second, Stay: 3 * time.Second, LineSpacing: 2,
				Runs: []Run{{Color: dots.Yellow, Text: "第一行\n第二行 12348"}}},
		}},
	}
	for _, c := range cmds {
		t.Run(c.Name(), func(t *testing.T) { roundTrip(t, e, c) })
	}
	data, _ := e.Data(TimeSyncAt(time.Date(2025, 12, 4, 9, 30, 5, 0, time.UTC)))
	if want := unhex(t, "A203010000 2520 12 04 09 30 05 04"); !bytes.Equal(data, want) {
		t.Fatalf("time sync %X, want %X", data, want)
	}
	data, _ = e.Data(Power{On: false})
	if want := unhex(t, "A300010000 02"); !bytes.Equal(data, want) {
		t.Fatalf("power off %X, want %X", data, want)
	}
}

func testPage(w, h int, c Colors, seed int) *dots.Bitmap {
	b := dots.New(w, h)
	for i := range b.Pix {
		v := dots.Color((i*7 + seed*13 + i/w) % 4)
		if c == Single {
			v &= dots.Red
		}
		b.Pix[i] = v
	}
	return b
}

func TestPictureRoundTrip(t *testing.T) {
	for _, model := range []string{"bx-5e1", "bx-6e1"} {
		for _, c := range []Colors{Single, Dual} {
			e := mustEncoder(t, model, 256, 64, c)
			area := PictureArea{ID: 1, RunMode: RunLoopTimeout, Timeout: 30 * time.Second, Related: []uint16{2, 7},
				Play: 1, X: 13, Y: 5, Pages: []Page{
					{Effect: EffectStatic, Stay: 2 * time.Second, Bitmap: testPage(70, 20, c, 1)},
					{Effect: EffectScrollRight, Speed: 3, Repeat: 2, Clear: 1, Stay: 10 * time.Millisecond, Bitmap: testPage(70, 20, c, 2)},
				}}
			t.Run(model+"/"+c.String(), func(t *testing.T) {
				roundTrip(t, e, PictureUpdate{Area: area})
				roundTrip(t, e, DeleteAreas{All: true})
				roundTrip(t, e, Brightness{Level: 3})
				roundTrip(t, e, Ping{})
			})
		}
	}
}

func TestReaderFindsFramesInNoise(t *testing.T) {
	e := mustEncoder(t, "bx-5e2", 128, 32, Dual)
	pic, _ := e.Encode(PictureUpdate{Area: PictureArea{Pages: []Page{{Effect: EffectStatic, Bitmap: testPage(128, 32, Dual, 3)}}}})
	ping, _ := e.Encode(Ping{})
	bad := append([]byte(nil), ping...)
	bad[len(bad)-2] ^= 0x40
	var stream []byte
	stream = append(stream, 0x00, 0x5A, 0x13, 0x37) // noise
	stream = append(stream, pic...)
	stream = append(stream, ping[:15]...) // a frame cut off by the next start
	stream = append(stream, 0xFF)         // still inside the cut-off frame
	stream = append(stream, ping...)
	stream = append(stream, bad...)
	stream = append(stream, 0x42)
	stream = append(stream, ping[:12]...) // cut off by the end of the stream

	for name, r := range map[string]io.Reader{
		"whole":    bytes.NewReader(stream),
		"one-byte": iotest.OneByteReader(bytes.NewReader(stream)),
		"half":     iotest.HalfReader(bytes.NewReader(stream)),
	} {
		t.Run(name, func(t *testing.T) {
			fr := NewReader(r)
			var kinds []string
			for {
				p, err := fr.Next()
				if err == io.EOF {
					break
				}
				switch {
				case err == nil:
					cmd, derr := DecodeCommand(p)
					if derr != nil {
						t.Fatal(derr)
					}
					kinds = append(kinds, cmd.Name())
				case errors.Is(err, ErrTruncated):
					kinds = append(kinds, "truncated")
				case errors.Is(err, ErrBadCRC):
					kinds = append(kinds, "bad-crc")
				default:
					t.Fatalf("unexpected error %v", err)
				}
			}
			want := []string{"picture-update", "truncated", "ping", "bad-crc", "truncated"}
			if !reflect.DeepEqual(kinds, want) {
				t.Fatalf("got %v, want %v", kinds, want)
			}
			if fr.Skipped() != 5 {
				t.Fatalf("skipped %d noise bytes, want 5", fr.Skipped())
			}
		})
	}
}

type idleReader struct{ n int }

func (r *idleReader) Read(p []byte) (int, error) { return 0, nil }

func TestReaderIdle(t *testing.T) {
	if _, err := NewReader(&idleReader{}).Next(); !errors.Is(err, ErrIdle) {
		t.Fatalf("got %v, want ErrIdle", err)
	}
}

func TestReaderTooLong(t *testing.T) {
	e := mustEncoder(t, "bx-5e1", 64, 16, Dual)
	pic, _ := e.Encode(PictureUpdate{Area: PictureArea{Pages: []Page{{Effect: EffectStatic, Bitmap: testPage(64, 16, Dual, 1)}}}})
	ping, _ := e.Encode(Ping{})
	r := NewReader(bytes.NewReader(append(pic, ping...)))
	r.SetMaxFrame(64)
	if _, err := r.Next(); !errors.Is(err, ErrTooLong) {
		t.Fatalf("got %v, want ErrTooLong", err)
	}
	if p, err := r.Next(); err != nil || len(p.Data) != 5 {
		t.Fatalf("after a long frame: %v %v", p, err)
	}
}

func TestReplies(t *testing.T) {
	reqK := Header{Family: FontCard, Dst: 1, Src: AddrPC, DeviceType: DeviceAnyFontCard}
	reqE := Header{Family: Picture, Dst: 1, Src: AddrPC, DeviceType: 0x0154}
	for _, r := range []Reply{
		ACKFor(reqK, 0x51), NACKFor(reqK, 0x51, CodeBusy),
		ACKFor(reqE, 0x0154), NACKFor(reqE, 0x0154, CodeScreenParameter),
		{Header: replyHeader(reqE, 0x0154), Group: 0xA2, Cmd: 0x99, Data: []byte{1, 2, 3, 4, 0, 9}},
	} {
		wire, err := EncodeReply(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseReply(wire)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("parsed %#v, want %#v", got, r)
		}
		if got.Header.Dst != AddrPC || got.Header.Src != 1 {
			t.Fatalf("reply addressed %#x from %#x", got.Header.Dst, got.Header.Src)
		}
		if r.IsNACK() {
			var ne *NACKError
			if err := got.Err(); !errors.As(err, &ne) || !errors.Is(err, ErrNACK) || ne.Code != r.Code {
				t.Fatalf("NACK error %v", err)
			}
		} else if got.Err() != nil {
			t.Fatalf("ACK carries error %v", got.Err())
		}
	}
	// Picture ACK as the manual lays it out: 00 A0 00 status 0000 error 0000 length 0000.
	wire, _ := EncodeReply(ACKFor(reqE, 0x0154))
	p, _ := Unframe(wire)
	if want := unhex(t, "00A000 0000 0000 0000"); !bytes.Equal(p.Data, want) {
		t.Fatalf("ACK data %X, want %X", p.Data, want)
	}
	wire, _ = EncodeReply(NACKFor(reqK, 0x51, CodeChecksum))
	p, _ = Unframe(wire)
	if want := unhex(t, "A001 05 0000"); !bytes.Equal(p.Data, want) {
		t.Fatalf("font-card NACK data %X, want %X", p.Data, want)
	}
	if msg := (&NACKError{Code: CodeChecksum}).Error(); !strings.Contains(msg, "CRC") || !strings.Contains(msg, "校验") {
		t.Fatalf("NACK message %q", msg)
	}
}

func TestWireTime(t *testing.T) {
	if got := WireTime(960, 9600); got != time.Second {
		t.Fatalf("960 bytes at 9600 baud = %v, want 1s", got)
	}
	if got := WireTime(5760, 57600); got != time.Second {
		t.Fatalf("5760 bytes at 57600 = %v", got)
	}
}

func TestLookupModel(t *testing.T) {
	for _, n := range []string{"bx-5k1", "bx-5k2", "bx-6k1", "bx-6k2", "bx-5e1", "bx-5e2", "bx-6e1", "bx-6e2", "BX-6E2", "bx6k1"} {
		if _, err := LookupModel(n); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	if _, err := LookupModel("bx-9z"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "bx-5k1") {
		t.Errorf("unknown model: %v", err)
	}
}
