package display

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"lawpoint/display/displaytest"
)

// Bytes written at one end of a real serial line arrive unchanged at the
// other, including the bytes a terminal would otherwise translate.
func TestSerialOverSocatCarriesRawBytes(t *testing.T) {
	line := displaytest.NewLine(t)
	a, err := OpenSerial(line.A, 9600)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := OpenSerial(line.B, 9600)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	msg := []byte{0xA5, 0xA5, 0x0A, 0x0D, 0x11, 0x13, 0x03, 0x00, 0xFF, 0x5A}
	if _, err := a.Write(msg); err != nil {
		t.Fatal(err)
	}
	b.SetReadTimeout(100 * time.Millisecond)
	got := readN(t, b, len(msg))
	if !bytes.Equal(got, msg) {
		t.Fatalf("got % X, want % X", got, msg)
	}
}

func TestPTYToSerial(t *testing.T) {
	m, path, err := OpenPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	p, err := OpenSerial(path, 57600)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	msg := []byte{0xA5, 0x0A, 0x0D, 0x5A, 0x03}
	if _, err := p.Write(msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(m, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("controller side got % X, want % X", got, msg)
	}
	if _, err := m.Write([]byte{0x0D, 0x0A}); err != nil {
		t.Fatal(err)
	}
	p.SetReadTimeout(100 * time.Millisecond)
	if got := readN(t, p, 2); !bytes.Equal(got, []byte{0x0D, 0x0A}) {
		t.Fatalf("driver side got % X", got)
	}
}

func TestOpenSerialMissingPortSaysWhatToDo(t *testing.T) {
	_, err := OpenSerial("/dev/ttyNOPE9", 9600)
	if err == nil || !strings.Contains(err.Error(), "no such port") {
		t.Fatalf("want a 'no such port' error, got %v", err)
	}
}

func TestWireTime(t *testing.T) {
	if got := WireTime(960, 9600); got != time.Second {
		t.Fatalf("960 bytes at 9600 8N1 = %v, want 1s", got)
	}
}

func readN(t *testing.T, p Port, n int) []byte {
	t.Helper()
	var out []byte
	buf := make([]byte, 64)
	for tries := 0; len(out) < n && tries < 50; tries++ {
		k, err := p.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, buf[:k]...)
	}
	return out
}

func TestOpenSerialOnAFileSaysItIsNotASerialDevice(t *testing.T) {
	path := t.TempDir() + "/not-a-tty"
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := OpenSerial(path, 9600)
	if err == nil || !strings.Contains(err.Error(), "not a serial device") {
		t.Fatalf("want a 'not a serial device' error, got %v", err)
	}
}
