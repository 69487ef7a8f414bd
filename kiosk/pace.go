package kiosk

import (
	"fmt"
	"image"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
)

// pace chooses ebiten's frame mode each Update (docs/KIOSK.md, "Lost taps
// under Xvfb"). GLFW's sticky mouse buttons decide which taps survive a
// stalled loop, and ebiten ties them to the mode: off in
// FPSModeVsyncOffMinimum, on in every other.
//
//   - Idle: FPSModeVsyncOffMinimum, a frame only on input or ScheduleFrame,
//     so an unused kiosk costs ~0 % CPU. Sticky off: a press and its
//     release that GLFW reads in one batch (the loop stalled longer than
//     the tap) leave the button "up", and that tap is lost.
//   - In use, button up: FPSModeVsyncOn, 60 frames a second (paced by
//     wait), sticky on: a press whose release comes in the same batch
//     still reads "down" once, and Update sees the tap.
//   - In use, button down: FPSModeVsyncOffMinimum again, with a frame
//     scheduled by every Update so frames keep coming. Sticky off, so the
//     release reads "up" at the first frame that sees it: with sticky on,
//     GLFW would report every release as one more "down" first, and a
//     release followed by the next press before the frame after (a long
//     repaint on a loaded CPU) would read "still down": a lost tap
//     (measured: 2 of 180 taps under load).
//
// Input (a button or touch down or let go, the pointer moved) or a change
// of what a screen other than home shows (a tap's result, a service call's,
// the idle prompt's countdown, a rating screen opened for a served ticket)
// is use; hold after the last of it, the kiosk is idle again. The idle
// prompt and reset need no frames in between: the waker schedules them in
// either mode.
//
// ebiten.SetFPSMode is called from Update: with RunGameOptions.SingleThread
// its main-thread call runs inline, so GLFW's sticky mode is set before the
// next frame polls events (ebiten's ui.setFPSMode; vsync takes effect at the
// next buffer swap).
type pace struct {
	hold   time.Duration // <0: always idle
	inUse  bool
	sticky bool        // the mode set is FPSModeVsyncOn
	last   time.Time   // the last use
	since  time.Time   // when "in use" began
	frames int         // Updates since then
	prev   time.Time   // the last Update in use, after its wait
	cursor image.Point // the pointer at the last Update
	seen   bool        // cursor is set
}

// note records whether this Update saw use and whether a button or touch
// is down, and sets the frame mode. It runs on the UI goroutine, from
// Update.
func (p *pace) note(k *Kiosk, now time.Time, use, down bool) {
	if p.hold < 0 {
		return
	}
	if p.inUse {
		p.frames++
	}
	if use {
		p.last = now
		if !p.inUse {
			p.inUse, p.since, p.frames = true, now, 0
			k.log.Info("kiosk: in use: 60 frames a second, sticky buttons while up")
		}
	} else if p.inUse && now.Sub(p.last) >= p.hold {
		p.inUse = false
		// The frame rate in use is logged: it must stay near the display's
		// (60 Hz) even where vsync is not honoured.
		in := now.Sub(p.since)
		k.log.Info("kiosk: idle: frames on input only", "in_use", in.Round(time.Millisecond),
			"frames_per_s", fmt.Sprintf("%.1f", float64(p.frames)/max(in.Seconds(), 0.001)))
	}
	if sticky := p.inUse && !down; sticky != p.sticky {
		p.sticky = sticky
		if sticky {
			//lint:ignore SA1019 SetFPSMode is deprecated; SetVsyncEnabled(true) is the same call, this names the mode beside the other.
			ebiten.SetFPSMode(ebiten.FPSModeVsyncOn)
		} else {
			//lint:ignore SA1019 FPSModeVsyncOffMinimum is deprecated but is what keeps an idle kiosk at ~0% CPU (docs/KIOSK.md).
			ebiten.SetFPSMode(ebiten.FPSModeVsyncOffMinimum)
		}
	}
	if p.inUse && down {
		ebiten.ScheduleFrame()
	}
}

// wait holds an Update in use until a frame period has passed since the
// last one. ebiten paces an unchanged screen itself (no buffer swap, a
// sleep to 1/60 s), but measures that sleep from the start of the frame
// before, which already slept: every other frame does not sleep, and
// frames come at ~110 a second (measured under Xvfb). Input has been read
// for this frame already.
func (p *pace) wait(now time.Time) {
	if !p.inUse {
		return
	}
	if d := framePeriod - now.Sub(p.prev); d > 0 && d <= framePeriod {
		time.Sleep(d)
	}
	p.prev = time.Now()
}

// framePeriod is the pace of frames in use: the display's usual 60 Hz. A
// slower pace would lose no more taps, but adds latency; 30 Hz measured
// 1.3 % of a core against 2.2 % at 60 (docs/KIOSK.md).
const framePeriod = time.Second / 60

// moved reports whether the pointer moved since the last call.
func (p *pace) moved() bool {
	x, y := ebiten.CursorPosition()
	c := image.Pt(x, y)
	if p.seen && c == p.cursor {
		return false
	}
	moved := p.seen
	p.cursor, p.seen = c, true
	return moved
}
