package xvfbtest

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"lawpoint/kiosk/ui"
)

// TestTapsArrive taps one button again and again with short presses and
// fails if any tap produces no frame. The button is a reason chip: each tap
// toggles 已选, so every tap changes the screen without leaving it and the
// double-tap guard never applies. The pause between taps varies so that
// presses land at every point of the repaint the previous tap caused.
// LAWPOINT_TAPS=N sets the number of taps (default 40), LAWPOINT_PRESS=MS
// how long each press lasts (default 50, the shortest tap the kiosk must
// never lose), LAWPOINT_HOGS=N runs N busy loops meanwhile (default none).
func TestTapsArrive(t *testing.T) {
	n, press := envInt("LAWPOINT_TAPS", 40), envInt("LAWPOINT_PRESS", 50)
	r, x, y := onChip(t)
	hogs(t, envInt("LAWPOINT_HOGS", 0))
	lost := 0
	var worst time.Duration
	for i := 0; i < n; i++ {
		// A person lifts a finger and taps again no sooner than ~100 ms;
		// beyond that, vary the moment against the previous repaint.
		took, ok := r.press(x+i%5, y, press, time.Duration(100+i*37%300)*time.Millisecond, 0)
		if !ok {
			lost++
			t.Logf("tap %d of %d: no frame followed", i+1, n)
			r.alive(fmt.Sprintf("after tap %d", i+1))
		}
		worst = max(worst, took)
	}
	t.Logf("%d taps of %d ms: %d lost; the slowest new frame came %v after the press began", n, press, lost, worst.Round(time.Millisecond))
	if lost > 0 {
		t.Errorf("%d of %d taps of %d ms were lost", lost, n, press)
	}
}

// TestTapsSurviveStall stops the kiosk (SIGSTOP) from before a 20 ms press
// until 100 ms after it began, as a starved CPU would: the press and its
// release then reach the kiosk in one batch. While the kiosk is in use
// (60 frames a second, GLFW's sticky buttons on) the tap must still
// arrive. LAWPOINT_TAPS=N sets the number of taps (default 10).
func TestTapsSurviveStall(t *testing.T) {
	n := envInt("LAWPOINT_TAPS", 10)
	r, x, y := onChip(t)
	lost := 0
	for i := 0; i < n; i++ {
		if !r.inUse() {
			if os.Getenv("LAWPOINT_KIOSK_BIN") == "" {
				t.Fatalf("tap %d: the kiosk is not in use a moment after a tap (no \"kiosk: in use\" in its log)", i+1)
			}
			t.Logf("tap %d: the kiosk is not in use (an older binary?)", i+1)
		}
		if _, ok := r.press(x+i%5, y, 20, time.Duration(150+i*37%300)*time.Millisecond, 100*time.Millisecond); !ok {
			lost++
			t.Logf("tap %d of %d: no frame followed", i+1, n)
			r.alive(fmt.Sprintf("after tap %d", i+1))
		}
	}
	t.Logf("%d taps of 20 ms inside a 100 ms stall: %d lost", n, lost)
	if lost > 0 {
		t.Errorf("%d of %d taps of 20 ms made while the kiosk was stalled were lost", lost, n)
	}
}

// TestFirstTapFigures measures, without asserting, the one tap the sticky
// buttons cannot keep: the first from idle (frames on input only, sticky
// off). The kiosk goes idle 1 s after use (LAWPOINT_KIOSK_ACTIVE_HOLD), and
// each tap waits for that; LAWPOINT_HOGS=N runs N busy loops meanwhile,
// LAWPOINT_STALL=MS stops the kiosk across each tap as TestTapsSurviveStall
// does (then every such tap is lost: the press and release arrive together).
func TestFirstTapFigures(t *testing.T) {
	if os.Getenv("LAWPOINT_MEASURE") == "" {
		t.Skip("set LAWPOINT_MEASURE=1 to measure first taps from idle (figures, not assertions)")
	}
	t.Setenv("LAWPOINT_KIOSK_ACTIVE_HOLD", "1s")
	n, press := envInt("LAWPOINT_TAPS", 20), envInt("LAWPOINT_PRESS", 50)
	stall := time.Duration(envInt("LAWPOINT_STALL", 0)) * time.Millisecond
	r, x, y := onChip(t)
	hogs(t, envInt("LAWPOINT_HOGS", 0))
	lost := 0
	for i := 0; i < n; i++ {
		for deadline := time.Now().Add(10 * time.Second); r.inUse(); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("tap %d: the kiosk did not go idle", i+1)
			}
		}
		if _, ok := r.press(x+i%5, y, press, 200*time.Millisecond, stall); !ok {
			lost++
			t.Logf("tap %d of %d: no frame followed", i+1, n)
			r.alive(fmt.Sprintf("after tap %d", i+1))
		}
	}
	t.Logf("%d first taps from idle of %d ms (stall %v): %d lost", n, press, stall, lost)
}

// onChip starts a kiosk at 1280x800 on the rating reasons and returns the
// centre of the 态度好 chip.
func onChip(t *testing.T) (*run, int, int) {
	t.Helper()
	r := startKiosk(t, 1280, 800)
	r.tap("服务评价")
	r.tap("满意")
	s, _ := r.read()
	tg := target(s, "态度好")
	if tg == nil {
		t.Fatalf("no 态度好 chip on %s", s.Screen)
	}
	time.Sleep(450 * time.Millisecond) // past the double-tap guard after 满意 changed the screen
	return r, tg.X + tg.W/2, tg.Y + tg.H/2
}

// press waits pause, presses at (x, y) for ms milliseconds, and reports
// whether a new frame followed within 1.5 s, and how long after the press
// began. With stall > 0 the kiosk is stopped from just before the press
// until stall after it began. It then waits for the repaint to finish.
func (r *run) press(x, y, ms int, pause, stall time.Duration) (time.Duration, bool) {
	r.t.Helper()
	before, err := r.read()
	if err != nil {
		r.t.Fatal(err)
	}
	time.Sleep(pause)
	if stall > 0 {
		r.cmd.Process.Signal(syscall.SIGSTOP)
	}
	t0 := time.Now()
	out, err := r.x("xdotool", "mousemove", "--window", r.window, fmt.Sprint(x), fmt.Sprint(y),
		"mousedown", "1", "sleep", fmt.Sprintf("%.3f", float64(ms)/1000), "mouseup", "1").CombinedOutput()
	if stall > 0 {
		time.Sleep(stall - time.Since(t0))
		r.cmd.Process.Signal(syscall.SIGCONT)
	}
	if err != nil {
		r.t.Fatalf("xdotool: %v: %s", err, out)
	}
	var took time.Duration
	got := false
	for deadline := time.Now().Add(1500 * time.Millisecond); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if s, err := r.read(); err == nil && s.Frames > before.Frames {
			got, took = true, time.Since(t0)
			break
		}
	}
	r.waitFor(func(s ui.State) bool { return !s.Busy }, "the chip")
	return took, got
}

// inUse reports whether the kiosk last logged going into use (frames every
// refresh, sticky buttons) rather than idle.
func (r *run) inUse() bool {
	return r.logged("kiosk: in use") > r.logged("kiosk: idle")
}

// hogs runs n busy loops until the test ends: a machine whose CPU is
// taken, so that the kiosk's loop stalls now and then.
func hogs(t *testing.T, n int) {
	for i := 0; i < n; i++ {
		c := exec.Command("sh", "-c", "while :; do :; done")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	}
	if n > 0 {
		t.Logf("%d busy loops running", n)
	}
}

func target(s ui.State, label string) *ui.StateTarget {
	for i := range s.Targets {
		if (s.Targets[i].Label == label || s.Targets[i].ID == label) && !s.Targets[i].Disabled {
			return &s.Targets[i]
		}
	}
	return nil
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
