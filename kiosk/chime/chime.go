// Package chime is the short two-tone "ding-dong" played before a ticket
// call is read out. The sound is generated here (16-bit PCM WAV), written
// once to the data folder, and played by an external player (aplay from
// Debian's alsa-utils by default). No player: the kiosk stays silent and
// says so once in its log.
package chime

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// The chime's sound.
const (
	SampleRate = 22050 // Hz, mono, 16-bit
	DingHz     = 660.0 // the first tone
	DongHz     = 550.0 // the second, lower
	Ding       = 350 * time.Millisecond
	Dong       = 650 * time.Millisecond
	FileName   = "chime.wav"
)

// DefaultCommand plays the file with ALSA's aplay.
var DefaultCommand = []string{"aplay", "-q", "{file}"}

// WAV is the chime as a RIFF/WAVE file: 660 Hz then 550 Hz, each with a
// 5 ms attack and an exponential decay (a struck bell rather than a beep),
// mixed with a little of the octave for warmth, at 22.05 kHz, 16-bit mono.
func WAV() []byte {
	var pcm []int16
	tone := func(hz float64, d time.Duration) {
		n := int(float64(SampleRate) * d.Seconds())
		for i := range n {
			t := float64(i) / SampleRate
			env := math.Exp(-t * 4.5)
			if a := t / 0.005; a < 1 {
				env *= a
			}
			if left := float64(n-i) / SampleRate; left < 0.01 {
				env *= left / 0.01 // no click at the end
			}
			v := 0.8*math.Sin(2*math.Pi*hz*t) + 0.2*math.Sin(4*math.Pi*hz*t)
			pcm = append(pcm, int16(math.Round(v*env*0.6*math.MaxInt16)))
		}
	}
	tone(DingHz, Ding)
	tone(DongHz, Dong)

	data := 2 * len(pcm)
	var b bytes.Buffer
	b.Grow(44 + data)
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	w(uint32(36 + data))
	b.WriteString("WAVE")
	b.WriteString("fmt ")
	w(uint32(16))             // fmt chunk size
	w(uint16(1))              // PCM
	w(uint16(1))              // mono
	w(uint32(SampleRate))     // sample rate
	w(uint32(SampleRate * 2)) // byte rate
	w(uint16(2))              // block align
	w(uint16(16))             // bits per sample
	b.WriteString("data")
	w(uint32(data))
	w(pcm)
	return b.Bytes()
}

// WriteFile writes the chime to dir/chime.wav unless the file there is
// already the same sound, and returns its path. It writes a temporary file
// and renames it, so a power cut never leaves half a file.
func WriteFile(dir string) (string, error) {
	path := filepath.Join(dir, FileName)
	want := WAV()
	if have, err := os.ReadFile(path); err == nil && bytes.Equal(have, want) {
		return path, nil
	}
	tmp, err := os.CreateTemp(dir, ".chime-*.wav")
	if err != nil {
		return "", fmt.Errorf("chime: writing %s (is the data folder writable?): %w", path, err)
	}
	_, err = tmp.Write(want)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("chime: writing %s (is the disk full?): %w", path, err)
	}
	return path, nil
}

// Player plays the chime file with an external command.
type Player struct {
	file string
	argv []string // nil: off
	log  *slog.Logger

	once sync.Once
	path string // the program, found on first play; "" when missing
}

// New writes the chime to dir and returns a player for it. argv is the
// command template ("{file}" is the WAV file; appended when no argument
// holds it); nil means DefaultCommand, empty means no chime.
func New(dir string, argv []string, log *slog.Logger) (*Player, error) {
	if log == nil {
		log = slog.Default()
	}
	if argv == nil {
		argv = DefaultCommand
	}
	p := &Player{log: log}
	if len(argv) == 0 {
		return p, nil
	}
	file, err := WriteFile(dir)
	if err != nil {
		return nil, err
	}
	p.file = file
	p.argv = expand(argv, file)
	return p, nil
}

// Command is the command line the player runs (nil when off).
func (p *Player) Command() []string { return append([]string(nil), p.argv...) }

// File is the chime's WAV file.
func (p *Player) File() string { return p.file }

func expand(argv []string, file string) []string {
	out := make([]string, len(argv))
	found := false
	for i, a := range argv {
		if strings.Contains(a, "{file}") {
			found = true
		}
		out[i] = strings.ReplaceAll(a, "{file}", file)
	}
	if !found {
		out = append(out, file)
	}
	return out
}

// Play plays the chime and returns when it has finished (at most 5 s, or
// when ctx ends). With no player installed it returns nil at once; the log
// says so the first time.
func (p *Player) Play(ctx context.Context) error {
	if p == nil || len(p.argv) == 0 {
		return nil
	}
	p.once.Do(func() {
		path, err := exec.LookPath(p.argv[0])
		if err != nil {
			p.log.Warn("no call chime: the player is not installed (apt-get install alsa-utils for aplay, or set chime_command)",
				"command", p.argv[0], "err", err)
			return
		}
		p.path = path
	})
	if p.path == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.path, p.argv[1:]...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("chime: %s did not finish in time: %w", p.argv[0], ctx.Err())
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("chime: %s failed (%s): %s", p.argv[0], ee.ProcessState, strings.TrimSpace(string(out)))
		}
		return fmt.Errorf("chime: %w", err)
	}
	return nil
}
