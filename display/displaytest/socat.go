// Package displaytest holds what the LED tests share: a real pseudo-terminal
// pair made by socat, as the serial line between a driver and a (virtual)
// controller, which a test can unplug and plug back in.
package displaytest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Line is a socat-made serial line: two pseudo-terminals joined back to back.
// What is written to A is read from B and the other way round.
type Line struct {
	A, B string // paths (symlinks to /dev/pts/N)
	t    testing.TB
	cmd  *exec.Cmd
	errb bytes.Buffer
}

// NewLine starts socat and waits until both ends exist. The test fails with
// the apt-get line when socat is not installed. The line is stopped at the
// end of the test.
func NewLine(t testing.TB) *Line {
	t.Helper()
	if _, err := exec.LookPath("socat"); err != nil {
		t.Fatalf("socat not found: install it with apt-get install socat (make deps does)")
	}
	dir := t.TempDir()
	l := &Line{A: filepath.Join(dir, "a"), B: filepath.Join(dir, "b"), t: t}
	l.Plug()
	t.Cleanup(l.Unplug)
	return l
}

// Plug starts (or restarts) socat with the same two paths.
func (l *Line) Plug() {
	l.t.Helper()
	if l.cmd != nil {
		return
	}
	os.Remove(l.A)
	os.Remove(l.B)
	l.errb.Reset()
	cmd := exec.Command("socat", "-d",
		"pty,raw,echo=0,link="+l.A,
		"pty,raw,echo=0,link="+l.B)
	cmd.Stderr = &l.errb
	if err := cmd.Start(); err != nil {
		l.t.Fatalf("start socat: %v", err)
	}
	l.cmd = cmd
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, ea := os.Stat(l.A)
		_, eb := os.Stat(l.B)
		if ea == nil && eb == nil {
			return
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("socat did not create %s and %s: %s", l.A, l.B, l.errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Unplug stops socat: both ends vanish, as when a USB adapter is pulled.
func (l *Line) Unplug() {
	if l.cmd == nil {
		return
	}
	l.cmd.Process.Kill()
	l.cmd.Wait()
	l.cmd = nil
}

// String names the two ends for test logs.
func (l *Line) String() string { return fmt.Sprintf("%s <-> %s", l.A, l.B) }
