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
}

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
	//lint:ignore SA1019 FPSModeVsyncOffMinimum is deprecated but is what keeps an idle kiosk at ~0% CPU (docs/KIOSK.md).
	ebiten.SetFPSMode(ebiten.FPSModeVsyncOffMinimum)
	ebiten.SetRunnableOnUnfocused(true)
	ebiten.SetWindowClosingHandled(false)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go k.waker(ctx)
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
	g := &game{k: k, ctx: ctx}
	err := ebiten.RunGame(g)
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

	mouseDown bool
	input     [4]int // cursor x, y, button down, touches: what the last Update saw
	touches   map[ebiten.TouchID]bool
	touchBuf  []ebiten.TouchID
}

func (g *game) Update() error {
	k := g.k
	if g.ctx.Err() != nil {
		return errStop
	}
	k.mu.Lock()
	todo := k.todo
	k.todo = nil
	k.mu.Unlock()
	for _, f := range todo {
		f(k.app)
	}
	// Under X11 a button press that arrives while the frame woken by the
	// pointer's motion is running can wait in the queue until the next
	// event (the release), and the tap would be lost. Touchscreens send
	// motion and press together, so after any change of input look again,
	// three times within 40 ms.
	cx, cy := ebiten.CursorPosition()
	sig := [4]int{cx, cy, boolInt(ebiten.IsMouseButtonPressed(ebiten.MouseButtonLeft)), len(ebiten.AppendTouchIDs(g.touchBuf[:0]))}
	if sig != g.input {
		g.input = sig
		for _, d := range []time.Duration{8, 20, 40} {
			time.AfterFunc(d*time.Millisecond, ebiten.ScheduleFrame)
		}
	}
	for _, x := range g.taps() {
		if t, ok := k.frame.Hit(x.X, x.Y); ok {
			k.app.Tap(t.ID)
		} else {
			k.app.Tap("") // a touch anywhere still counts as use
		}
	}
	k.app.Drain()
	k.app.Tick(time.Now())
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
	if !k.dirty && k.drawn > 0 && reflect.DeepEqual(v, k.view) {
		return nil
	}
	k.view = v
	k.frame = ui.Layout(v, k.w, k.h, k.m)
	k.dirty = true
	return nil
}

// taps are the presses that began since the last Update. It polls the
// button and touch states itself rather than use inpututil: in
// FPSModeVsyncOffMinimum a frame may run no Update, and a press seen only
// in such a frame would never be "just pressed".
func (g *game) taps() []image.Point {
	var out []image.Point
	down := ebiten.IsMouseButtonPressed(ebiten.MouseButtonLeft)
	if down && !g.mouseDown {
		x, y := ebiten.CursorPosition()
		out = append(out, image.Pt(x, y))
	}
	g.mouseDown = down
	g.touchBuf = ebiten.AppendTouchIDs(g.touchBuf[:0])
	now := make(map[ebiten.TouchID]bool, len(g.touchBuf))
	for _, id := range g.touchBuf {
		now[id] = true
		if !g.touches[id] {
			x, y := ebiten.TouchPosition(id)
			out = append(out, image.Pt(x, y))
		}
	}
	g.touches = now
	return out
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

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
