package chime

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWAVHeaderAndLength(t *testing.T) {
	b := WAV()
	le := binary.LittleEndian
	if string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" || string(b[12:16]) != "fmt " || string(b[36:40]) != "data" {
		t.Fatalf("header %q", b[:44])
	}
	if got := le.Uint32(b[4:8]); int(got) != len(b)-8 {
		t.Errorf("RIFF size %d, file %d bytes", got, len(b))
	}
	if le.Uint32(b[16:20]) != 16 || le.Uint16(b[20:22]) != 1 || le.Uint16(b[22:24]) != 1 {
		t.Errorf("fmt: want PCM mono: % x", b[16:24])
	}
	if got := le.Uint32(b[24:28]); got != SampleRate {
		t.Errorf("sample rate %d", got)
	}
	if le.Uint32(b[28:32]) != SampleRate*2 || le.Uint16(b[32:34]) != 2 || le.Uint16(b[34:36]) != 16 {
		t.Errorf("byte rate / align / bits: % x", b[28:36])
	}
	data := int(le.Uint32(b[40:44]))
	if data != len(b)-44 {
		t.Errorf("data size %d, file holds %d", data, len(b)-44)
	}
	samples := data / 2
	if want := int(float64(SampleRate)*Ding.Seconds()) + int(float64(SampleRate)*Dong.Seconds()); samples != want {
		t.Errorf("%d samples, want %d (%v)", samples, want, Ding+Dong)
	}
	pcm := make([]int16, samples)
	binary.Read(bytes.NewReader(b[44:]), le, pcm)
	// Two tones: count zero crossings in each part to find its pitch.
	split := int(float64(SampleRate) * Ding.Seconds())
	pitch := func(s []int16) float64 {
		n := 0
		for i := 1; i < len(s); i++ {
			if (s[i-1] < 0) != (s[i] < 0) {
				n++
			}
		}
		return float64(n) / 2 / (float64(len(s)) / SampleRate)
	}
	if hz := pitch(pcm[:split]); math.Abs(hz-DingHz) > 25 {
		t.Errorf("first tone %.0f Hz, want %v", hz, DingHz)
	}
	if hz := pitch(pcm[split:]); math.Abs(hz-DongHz) > 25 {
		t.Errorf("second tone %.0f Hz, want %v", hz, DongHz)
	}
	peak := 0
	for _, v := range pcm {
		peak = max(peak, int(v), -int(v))
	}
	if peak < 8000 || peak >= math.MaxInt16 {
		t.Errorf("peak %d: want audible and not clipped", peak)
	}
	if pcm[0] != 0 || pcm[len(pcm)-1] != 0 {
		t.Errorf("starts at %d, ends at %d: clicks", pcm[0], pcm[len(pcm)-1])
	}
}

func TestFileWrittenOnce(t *testing.T) {
	dir := t.TempDir()
	p, err := WriteFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	st1, _ := os.Stat(p)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(p, old, old)
	if _, err := WriteFile(dir); err != nil {
		t.Fatal(err)
	}
	st2, _ := os.Stat(p)
	if !st2.ModTime().Equal(old) || st1.Size() != st2.Size() {
		t.Error("an unchanged chime was written again")
	}
	os.WriteFile(p, []byte("RIFF broken"), 0o644)
	WriteFile(dir)
	if b, _ := os.ReadFile(p); !bytes.Equal(b, WAV()) {
		t.Error("a damaged chime file was not replaced")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
}

func TestPlayRunsTheCommandWithTheFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "args")
	p, err := New(dir, []string{"sh", "-c", `printf '%s\n' "$@" > ` + out, "sh", "-D", "default", "{file}"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Play(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	want := "-D\ndefault\n" + filepath.Join(dir, FileName) + "\n"
	if string(got) != want {
		t.Fatalf("player got %q, want %q", got, want)
	}
	if b, _ := os.ReadFile(p.File()); !bytes.Equal(b, WAV()) {
		t.Error("the file given to the player is not the chime")
	}
	// No {file}: appended.
	p, _ = New(dir, []string{"true"}, nil)
	if c := p.Command(); c[len(c)-1] != filepath.Join(dir, FileName) {
		t.Errorf("command %v", c)
	}
}

func TestMissingPlayerIsSilentAndLoggedOnce(t *testing.T) {
	var log bytes.Buffer
	p, err := New(t.TempDir(), []string{"no-such-player-lawpoint", "{file}"}, slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := p.Play(context.Background()); err != nil {
			t.Fatalf("a missing player is an error: %v", err)
		}
	}
	if n := strings.Count(log.String(), "no call chime"); n != 1 {
		t.Errorf("logged %d times:\n%s", n, log.String())
	}
	off, _ := New(t.TempDir(), []string{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := off.Play(context.Background()); err != nil || off.Command() != nil {
		t.Errorf("chime off: %v %v", err, off.Command())
	}
}

func TestFailingPlayerSaysWhy(t *testing.T) {
	p, _ := New(t.TempDir(), []string{"sh", "-c", "echo no sound card >&2; exit 3"}, nil)
	err := p.Play(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no sound card") {
		t.Fatalf("err %v", err)
	}
}
