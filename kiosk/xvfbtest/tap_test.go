package xvfbtest

import (
	"fmt"
	"os"
	"strconv"
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
// never lose).
func TestTapsArrive(t *testing.T) {
	n, press := envInt("LAWPOINT_TAPS", 40), envInt("LAWPOINT_PRESS", 50)
	r := startKiosk(t, 1280, 800)
	r.tap("服务评价")
	r.tap("满意")
	s, _ := r.read()
	tg := target(s, "态度好")
	if tg == nil {
		t.Fatalf("no 态度好 chip on %s", s.Screen)
	}
	x, y := tg.X+tg.W/2, tg.Y+tg.H/2
	time.Sleep(450 * time.Millisecond) // past the double-tap guard after 满意 changed the screen
	lost := 0
	var worst time.Duration
	for i := 0; i < n; i++ {
		before, err := r.read()
		if err != nil {
			t.Fatal(err)
		}
		// A person lifts a finger and taps again no sooner than ~100 ms;
		// beyond that, vary the moment against the previous repaint.
		time.Sleep(time.Duration(100+i*37%300) * time.Millisecond)
		t0 := time.Now()
		if out, err := r.x("xdotool", "mousemove", "--window", r.window, fmt.Sprint(x+i%5), fmt.Sprint(y),
			"mousedown", "1", "sleep", fmt.Sprintf("%.3f", float64(press)/1000), "mouseup", "1").CombinedOutput(); err != nil {
			t.Fatalf("xdotool: %v: %s", err, out)
		}
		got := false
		for deadline := time.Now().Add(1500 * time.Millisecond); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if s, err := r.read(); err == nil && s.Frames > before.Frames {
				got = true
				worst = max(worst, time.Since(t0))
				break
			}
		}
		if !got {
			lost++
			t.Logf("tap %d of %d: no frame followed", i+1, n)
			r.alive(fmt.Sprintf("after tap %d", i+1))
		}
		r.waitFor(func(s ui.State) bool { return !s.Busy }, "the chip")
	}
	t.Logf("%d taps of %d ms: %d lost; the slowest new frame came %v after the press began", n, press, lost, worst.Round(time.Millisecond))
	if lost > 0 {
		t.Errorf("%d of %d taps of %d ms were lost", lost, n, press)
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
