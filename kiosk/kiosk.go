package kiosk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"time"

	"github.com/hajimehoshi/ebiten/v2"

	"lawpoint/kiosk/flow"
	"lawpoint/kiosk/ui"
)

// Options configure the window.
type Options struct {
	Width, Height int  // window size; default 800x480
	Fullscreen    bool // fill the screen (the Pi), and hide the pointer
	FontPath      string
	// StateFile, when set, receives a JSON dump of what is on screen
	// (screen, texts, tap targets with their rectangles) after every frame
	// drawn: the Xvfb tests and the fleet's diagnostics read it.
	StateFile string
	// Flow configures the screens (idle times and so on); Paginate, Now and
	// Notify are filled in by the kiosk.
	Flow flow.Config
	Log  *slog.Logger
	// ActiveHold is how long after the last touch (or the last change of a
	// screen other than home) the kiosk stays "in use": frames at 60 Hz,
	// GLFW's sticky buttons on while no button is down, so a tap shorter
	// than a stall of the loop still arrives (pace.go). Then it draws on
	// input only again (~0 % CPU). Zero: LAWPOINT_KIOSK_ACTIVE_HOLD from
	// the environment (a Go duration, for the Xvfb tests and measurements;
	// "0" means never), else DefaultActiveHold. Negative: never in use,
	// frames on input only as before (a tap inside a stall is lost).
	ActiveHold time.Duration
}

// DefaultActiveHold is Options.ActiveHold's default: well past the pause
// between two taps of one person reading a screen, well short of the idle
// prompt (45 s).
const DefaultActiveHold = 20 * time.Second

// Kiosk is the running application.
type Kiosk struct {
	opts    Options
	app     *flow.App
	svc     flow.Services
	m       *measurer
	painter *painter
	log     *slog.Logger
	started time.Time

	mu   sync.Mutex
	todo []func(*flow.App)

	deadline time.Time      // when the flow next wants a frame (guarded by mu)
	wake     chan struct{}  // the deadline changed
	shots    chan chan shot // screenshot requests

	// Owned by the ebiten goroutine.
	view      flow.View
	frame     ui.Frame
	w, h      int
	dirty     bool
	drawn     int
	firstDraw time.Duration
	pending   []chan shot
}

type shot struct {
	img *image.RGBA
	err error
}

// New loads the font and prepares the kiosk; Run shows it.
func New(svc flow.Services, opts Options) (*Kiosk, error) {
	if opts.Width <= 0 || opts.Height <= 0 {
		opts.Width, opts.Height = 800, 480
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.ActiveHold == 0 {
		opts.ActiveHold = DefaultActiveHold
		if v := os.Getenv("LAWPOINT_KIOSK_ACTIVE_HOLD"); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return nil, fmt.Errorf("kiosk: LAWPOINT_KIOSK_ACTIVE_HOLD=%q: %w", v, err)
			}
			if d == 0 {
				d = -1
			}
			opts.ActiveHold = d
		}
	}
	src, err := LoadFont(opts.FontPath)
	if err != nil {
		return nil, err
	}
	k := &Kiosk{opts: opts, svc: svc, m: newMeasurer(src), log: opts.Log, started: time.Now(),
		wake: make(chan struct{}, 1), shots: make(chan chan shot, 4)}
	cfg := opts.Flow
	cfg.Paginate = ui.Paginator(k.m)
	cfg.Notify = ebiten.ScheduleFrame
	cfg.Sync = false
	k.app = flow.New(svc, cfg)
	return k, nil
}

// Do runs f on the UI goroutine with the screens' state machine, e.g.
// k.Do(func(a *flow.App) { a.StartRating(ticketID, "") }) when a ticket has
// been served. It is safe to call from any goroutine.
func (k *Kiosk) Do(f func(*flow.App)) {
	k.mu.Lock()
	k.todo = append(k.todo, f)
	k.mu.Unlock()
	ebiten.ScheduleFrame()
}

// Run opens the window and runs until it is closed or ctx ends.
func (k *Kiosk) Run(ctx context.Context) error {
	ebiten.SetWindowTitle("法律服务自助终端")
	ebiten.SetWindowSize(k.opts.Width, k.opts.Height)
	ebiten.SetFullscreen(k.opts.Fullscreen)
	if k.opts.Fullscreen {
		ebiten.SetCursorMode(ebiten.CursorModeHidden)
	}
	ebiten.SetScreenClearedEveryFrame(false)
	// Frames on input only until someone touches the screen; then, until
	// ActiveHold passes without use, 60 frames a second and sticky buttons
	// while no button is down (pace.go: Update switches the mode).
	//lint:ignore SA1019 FPSModeVsyncOffMinimum is deprecated but is what keeps an idle kiosk at ~0% CPU (docs/KIOSK.md).
	ebiten.SetFPSMode(ebiten.FPSModeVsyncOffMinimum)
	// One Update per frame. With the default 60 TPS a frame that comes
	// within 8 ms of the last tick runs no Update, yet ebiten has already
	// read the window's input for it: a press and release seen only by
	// such frames never reach Update (a lost tap). Frames come only on
	// input or ScheduleFrame, so this costs nothing when idle.
	ebiten.SetTPS(ebiten.SyncWithFPS)
	ebiten.SetRunnableOnUnfocused(true)
	ebiten.SetWindowClosingHandled(false)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go k.waker(ctx)
	go func() {
		// Update returns errStop once ctx ends, but with no input no frame
		// would come to run it: SIGTERM left an idle kiosk running.
		<-ctx.Done()
		ebiten.ScheduleFrame()
	}()
	if q := k.svc.Queue; q != nil {
		if ch := q.Changes(); ch != nil {
			go func() {
				for {
					select {
					case <-ctx.Done():
						return
					case <-ch:
						ebiten.ScheduleFrame()
					}
				}
			}()
		}
	}
	g := &game{k: k, ctx: ctx, pace: pace{hold: k.opts.ActiveHold}}
	// One thread for the window and GL. In ebiten's default mode GLFW
	// waits for X events on one thread while GL (Mesa's GLX) makes round
	// trips on the same Xlib display from another; a reply read there can
	// pull an input event into Xlib's queue just after GLFW found the
	// queue empty and went to sleep in poll(), and the event (a release,
	// say) then waits for the next one: the two merge and a tap is lost.
	// Every other goroutine here only calls ScheduleFrame, which is safe
	// from any thread (it writes to GLFW's wake-up pipe).
	err := ebiten.RunGameWithOptions(g, &ebiten.RunGameOptions{SingleThread: true})
	if errors.Is(err, errStop) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("kiosk: the window failed: %w (is there an X display? set DISPLAY, or run under Xvfb)", err)
	}
	return nil
}

var errStop = errors.New("kiosk: stopped")

// Screenshot returns the frame on screen now.
func (k *Kiosk) Screenshot(ctx context.Context) (*image.RGBA, error) {
	ch := make(chan shot, 1)
	select {
	case k.shots <- ch:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	ebiten.ScheduleFrame()
	select {
	case s := <-ch:
		return s.img, s.err
	case <-ctx.Done():
		return nil, fmt.Errorf("kiosk: screenshot: %w", ctx.Err())
	}
}

// WriteScreenshot writes the frame on screen as a PNG file (atomically).
func (k *Kiosk) WriteScreenshot(ctx context.Context, path string) error {
	img, err := k.Screenshot(ctx)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("kiosk: screenshot: %w", err)
	}
	return writeAtomic(path, buf.Bytes())
}

// waker schedules a frame at the flow's next deadline (idle prompt,
// countdown, thanks screen); nothing runs in between.
func (k *Kiosk) waker(ctx context.Context) {
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-k.wake:
			k.mu.Lock()
			d := k.deadline
			k.mu.Unlock()
			t.Stop()
			if !d.IsZero() {
				t.Reset(time.Until(d) + 5*time.Millisecond)
			}
		case <-t.C:
			ebiten.ScheduleFrame()
		}
	}
}

type game struct {
	k   *Kiosk
	ctx context.Context
	at  time.Time // the deadline last given to the waker

	pace      pace
	mouseDown bool
	touches   map[ebiten.TouchID]bool
	touchBuf  []ebiten.TouchID
}

func (g *game) Update() error {
	k := g.k
	if g.ctx.Err() != nil {
		return errStop
	}
	g.pace.wait(time.Now())
	k.mu.Lock()
	todo := k.todo
	k.todo = nil
	k.mu.Unlock()
	for _, f := range todo {
		f(k.app)
	}
	taps, touched := g.taps()
	for _, x := range taps {
		if t, ok := k.frame.Hit(x.X, x.Y); ok {
			k.app.Tap(t.ID)
		} else {
			k.app.Tap("") // a touch anywhere still counts as use
		}
	}
	k.app.Drain()
	now := time.Now()
	k.app.Tick(now)
	if w := k.app.NextWake(); !w.Equal(g.at) {
		g.at = w
		k.mu.Lock()
		k.deadline = w
		k.mu.Unlock()
		select {
		case k.wake <- struct{}{}:
		default: // the waker has a signal pending and will read the deadline
		}
	}
	v := k.app.View()
	down := g.mouseDown || len(g.touches) > 0
	if !k.dirty && k.drawn > 0 && reflect.DeepEqual(v, k.view) {
		g.pace.note(k, now, touched, down)
		return nil
	}
	g.pace.note(k, now, touched || v.Screen != flow.ScreenHome, down)
	k.view = v
	k.frame = ui.Layout(v, k.w, k.h, k.m)
	k.dirty = true
	return nil
}

// taps are the presses that began since the last Update: the button and
// touch states compared with the last Update's. Every frame runs exactly one
// Update (SetTPS(SyncWithFPS) in Run), so every state ebiten reads from the
// window reaches here; see docs/KIOSK.md, "Lost taps under Xvfb". touched
// reports any change of input: a button or touch down or let go, the
// pointer moved (a finger resting on the glass is not use: a stuck touch
// must not keep frames coming).
func (g *game) taps() (out []image.Point, touched bool) {
	down := ebiten.IsMouseButtonPressed(ebiten.MouseButtonLeft)
	if down && !g.mouseDown {
		x, y := ebiten.CursorPosition()
		out = append(out, image.Pt(x, y))
	}
	moved := g.pace.moved()
	touched = down != g.mouseDown || moved
	g.mouseDown = down
	g.touchBuf = ebiten.AppendTouchIDs(g.touchBuf[:0])
	now := make(map[ebiten.TouchID]bool, len(g.touchBuf))
	for _, id := range g.touchBuf {
		now[id] = true
		if !g.touches[id] {
			x, y := ebiten.TouchPosition(id)
			out = append(out, image.Pt(x, y))
			touched = true
		}
	}
	touched = touched || len(now) != len(g.touches)
	g.touches = now
	return out, touched
}

func (g *game) Draw(screen *ebiten.Image) {
	k := g.k
	if k.dirty {
		k.painter.frame(screen, &k.frame)
		k.dirty = false
		k.drawn++
		if k.drawn == 1 {
			k.firstDraw = time.Since(k.started)
			k.log.Info("kiosk: first frame", "after", k.firstDraw.Round(time.Millisecond), "size", fmt.Sprintf("%dx%d", k.w, k.h))
		}
		k.dumpState()
	}
	for {
		select {
		case ch := <-k.shots:
			k.pending = append(k.pending, ch)
			continue
		default:
		}
		break
	}
	if len(k.pending) > 0 && k.drawn > 0 {
		b := screen.Bounds()
		img := image.NewRGBA(b)
		screen.ReadPixels(img.Pix)
		for _, ch := range k.pending {
			ch <- shot{img: img}
		}
		k.pending = nil
	}
}

func (g *game) Layout(outsideW, outsideH int) (int, int) {
	k := g.k
	if k.painter == nil {
		k.painter = newPainter(k.m)
	}
	if outsideW != k.w || outsideH != k.h {
		k.w, k.h = outsideW, outsideH
		k.frame = ui.Layout(k.view, k.w, k.h, k.m)
		k.dirty = true
	}
	return outsideW, outsideH
}

var stateMu sync.Mutex

func (k *Kiosk) dumpState() {
	if k.opts.StateFile == "" {
		return
	}
	v := k.view
	s := ui.State{Screen: v.Screen, Title: v.Title, Text: v.Text(), Idle: v.Idle != nil, Busy: v.Busy != "", Width: k.w, Height: k.h,
		Frames: k.drawn, FirstFrameMS: k.firstDraw.Milliseconds()}
	if v.Ticket != nil {
		s.Ticket = v.Ticket.Number
	}
	if v.Code != nil {
		s.BookingCode = v.Code.Code
	}
	for _, t := range k.frame.Targets {
		s.Targets = append(s.Targets, ui.StateTarget{ID: t.ID, Label: t.Label, X: t.Rect.Min.X, Y: t.Rect.Min.Y, W: t.Rect.Dx(), H: t.Rect.Dy(), Disabled: t.Disabled})
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return
	}
	stateMu.Lock()
	defer stateMu.Unlock()
	if err := writeAtomic(k.opts.StateFile, data); err != nil {
		k.log.Warn("kiosk: cannot write the state file", "err", err)
	}
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return fmt.Errorf("kiosk: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("kiosk: writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("kiosk: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("kiosk: %w", err)
	}
	return nil
}
