package escpos

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func mustBytes(t *testing.T, e *Encoder) []byte {
	t.Helper()
	b, err := e.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The byte sequences below are the ones the ESC/POS reference gives for
// each command.
func TestEncoderCommandBytes(t *testing.T) {
	cases := []struct {
		name string
		e    *Encoder
		want []byte
	}{
		{"init", NewEncoder(Paper58).Init(), []byte{0x1B, 0x40}},
		{"chinese on", NewEncoder(Paper58).Chinese(), []byte{0x1C, 0x26}},
		{"chinese off", NewEncoder(Paper58).NoChinese(), []byte{0x1C, 0x2E}},
		{"code page", NewEncoder(Paper58).CodePage(0), []byte{0x1B, 0x74, 0}},
		{"align centre", NewEncoder(Paper58).Align(Center), []byte{0x1B, 0x61, 1}},
		{"align right", NewEncoder(Paper58).Align(Right), []byte{0x1B, 0x61, 2}},
		{"bold on", NewEncoder(Paper58).Bold(true), []byte{0x1B, 0x45, 1}},
		{"bold off", NewEncoder(Paper58).Bold(false), []byte{0x1B, 0x45, 0}},
		{"size 1x1", NewEncoder(Paper58).Size(1, 1), []byte{0x1D, 0x21, 0x00}},
		{"size 2x2", NewEncoder(Paper58).Size(2, 2), []byte{0x1D, 0x21, 0x11}},
		{"size 3x3", NewEncoder(Paper58).Size(3, 3), []byte{0x1D, 0x21, 0x22}},
		{"size 1x2", NewEncoder(Paper58).Size(1, 2), []byte{0x1D, 0x21, 0x01}},
		{"size 8x8", NewEncoder(Paper58).Size(8, 8), []byte{0x1D, 0x21, 0x77}},
		{"feed", NewEncoder(Paper58).Feed(3), []byte{0x1B, 0x64, 3}},
		{"cut", NewEncoder(Paper58).Cut(), []byte{0x1D, 0x56, 66, 3}},
		{"lf", NewEncoder(Paper58).LF(), []byte{0x0A}},
		{"ascii", NewEncoder(Paper58).Text("A003"), []byte("A003")},
		{"hanzi", NewEncoder(Paper58).Chinese().Text("法律"), []byte{0x1C, 0x26, 0xB7, 0xA8, 0xC2, 0xC9}},
		{"newline", NewEncoder(Paper58).Line("a\nb"), []byte{'a', 0x0A, 'b', 0x0A}},
		{"fullwidth colon", NewEncoder(Paper58).Chinese().Text("："), []byte{0x1C, 0x26, 0xA3, 0xBA}},
		{"qr", NewEncoder(Paper80).QR("AB", 6, LevelM), []byte{
			0x1D, 0x28, 0x6B, 4, 0, 49, 65, 50, 0, // function 165, model 2
			0x1D, 0x28, 0x6B, 3, 0, 49, 67, 6, // function 167, 6 dots
			0x1D, 0x28, 0x6B, 3, 0, 49, 69, 49, // function 169, level M
			0x1D, 0x28, 0x6B, 5, 0, 49, 80, 48, 'A', 'B', // function 180, store
			0x1D, 0x28, 0x6B, 3, 0, 49, 81, 48, // function 181, print
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := mustBytes(t, c.e); !bytes.Equal(got, c.want) {
				t.Errorf("got % X\nwant % X", got, c.want)
			}
		})
	}
}

func TestQRLongDataLength(t *testing.T) {
	data := strings.Repeat("a", 300)
	b := mustBytes(t, NewEncoder(Paper80).QR(data, 2, LevelL))
	i := bytes.Index(b, []byte{0x1D, 0x28, 0x6B, byte(303 & 0xff), byte(303 >> 8), 49, 80, 48})
	if i < 0 {
		t.Fatalf("no store command with pL pH for 303 bytes in % X", b[:40])
	}
}

func TestEncoderRefuses(t *testing.T) {
	cases := []struct {
		name string
		e    *Encoder
		want error
		says string
	}{
		{"size 0", NewEncoder(Paper58).Size(0, 1), ErrInvalid, "1 to 8"},
		{"size 9", NewEncoder(Paper58).Size(2, 9), ErrInvalid, "1 to 8"},
		{"feed", NewEncoder(Paper58).Feed(300), ErrInvalid, "0 to 255"},
		{"align", NewEncoder(Paper58).Align(7), ErrInvalid, "Center"},
		{"hanzi outside chinese mode", NewEncoder(Paper58).Text("法"), ErrUnprintable, "Chinese()"},
		{"emoji", NewEncoder(Paper58).Chinese().Text("好😀"), ErrUnprintable, "four-byte"},
		{"ext B", NewEncoder(Paper58).Chinese().Text("𠀀"), ErrUnprintable, "four-byte"},
		{"private use", NewEncoder(Paper58).Chinese().Text("\ue000"), ErrUnprintable, "private-use"},
		{"escape in text", NewEncoder(Paper58).Chinese().Text("a\x1b@b"), ErrUnprintable, "control"},
		{"c1 control", NewEncoder(Paper58).Chinese().Text("a\u0085"), ErrUnprintable, "control"},
		{"invalid utf-8", NewEncoder(Paper58).Chinese().Text("a\xffb"), ErrUnprintable, "UTF-8"},
		{"gb2312 lacks 镕", NewEncoder(Paper58, WithCharset(GB2312)).Chinese().Text("朱镕基"), ErrUnprintable, "GB2312"},
		{"qr empty", NewEncoder(Paper58).QR("", 4, LevelM), ErrInvalid, "no data"},
		{"qr module", NewEncoder(Paper58).QR("x", 17, LevelM), ErrInvalid, "1 to 16"},
		{"qr level", NewEncoder(Paper58).QR("x", 3, 'X'), ErrInvalid, "LevelM"},
		{"qr control", NewEncoder(Paper58).QR("a\x10\x04\x01", 3, LevelM), ErrUnprintable, "percent-encode"},
		{"qr too wide", NewEncoder(Paper58).QR(strings.Repeat("x", 200), 16, LevelM), ErrInvalid, "module size"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.e.Bytes()
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("got %v, want %v saying %q", err, c.want, c.says)
			}
		})
	}
}

func TestEncoderErrorSticksAndHidesText(t *testing.T) {
	e := NewEncoder(Paper58).Init().Chinese().Text("张三丰😀13812345678").Line("more")
	_, err := e.Bytes()
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), "张") || strings.Contains(err.Error(), "138") {
		t.Errorf("the error quotes the text (it may be personal data): %v", err)
	}
	if !strings.Contains(err.Error(), "U+1F600") {
		t.Errorf("the error does not name the character: %v", err)
	}
}

func TestCharsets(t *testing.T) {
	// Four-byte characters pass only for a full GB18030 font.
	b := mustBytes(t, NewEncoder(Paper58, WithCharset(GB18030)).Chinese().Text("𠀀"))
	if want := []byte{0x1C, 0x26, 0x95, 0x32, 0x82, 0x36}; !bytes.Equal(b, want) {
		t.Errorf("U+20000 in GB18030: got % X, want % X", b, want)
	}
	// GBK (the default) carries 镕; GB2312 does not.
	if _, err := NewEncoder(Paper58).Chinese().Text("朱镕基").Bytes(); err != nil {
		t.Errorf("GBK: %v", err)
	}
	// A replacement character stands in when asked for.
	b = mustBytes(t, NewEncoder(Paper58, WithReplacement('?')).Chinese().Text("好😀"))
	if want := []byte{0x1C, 0x26, 0xBA, 0xC3, '?'}; !bytes.Equal(b, want) {
		t.Errorf("replacement: got % X, want % X", b, want)
	}
	// Control characters are never replaced: they would be commands.
	if _, err := NewEncoder(Paper58, WithReplacement('?')).Text("a\x1dV").Bytes(); !errors.Is(err, ErrUnprintable) {
		t.Errorf("control with replacement: %v", err)
	}
}

func TestPaperByName(t *testing.T) {
	for name, want := range map[string]Paper{"58": Paper58, "58mm": Paper58, "80MM": Paper80, " 80 ": Paper80} {
		if got, err := PaperByName(name); err != nil || got != want {
			t.Errorf("%q: %v %v", name, got, err)
		}
	}
	if _, err := PaperByName("76"); !errors.Is(err, ErrInvalid) {
		t.Errorf("76: %v", err)
	}
}

func TestColumnsFollowSize(t *testing.T) {
	e := NewEncoder(Paper80)
	if e.Columns() != 48 {
		t.Fatal(e.Columns())
	}
	if e.Size(3, 3).Columns() != 16 {
		t.Fatal(e.Columns())
	}
	if NewEncoder(Paper58).Size(2, 1).Columns() != 16 {
		t.Fatal("58mm at double width")
	}
}

func TestQRVersion(t *testing.T) {
	cases := []struct {
		n     int
		level Level
		v     int
	}{{14, LevelM, 1}, {15, LevelM, 2}, {62, LevelM, 4}, {63, LevelM, 5}, {17, LevelL, 1}, {7, LevelH, 1}, {666, LevelM, 20}}
	for _, c := range cases {
		if v, ok := QRVersion(c.n, c.level); !ok || v != c.v {
			t.Errorf("%d bytes at %s: version %d %v, want %d", c.n, c.level, v, ok, c.v)
		}
	}
	if _, ok := QRVersion(667, LevelM); ok {
		t.Error("667 bytes at M fit version 20?")
	}
	// A 60-byte link at M is version 4: 33 modules + 8 quiet = 41; 384/41 = 9, capped at 6.
	if m := QRModule(60, LevelM, 384, 6); m != 6 {
		t.Errorf("module %d", m)
	}
}
