package main

// The glue between the device agent (lawpoint/device) and the LED player
// (lawpoint/display). It lives here because device must not import display
// (docs/ARCHITECTURE.md): the agent hands over verified content sets, the
// clock and commands through device.Hooks; this file turns them into what
// the board shows, and turns what the board showed into proof-of-play
// events and LED status for telemetry.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // picture items may be JPEG
	_ "image/png"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"lawpoint/content"
	"lawpoint/device"
	"lawpoint/device/cache"
	"lawpoint/device/wire"
	"lawpoint/display"
	"lawpoint/display/bx"
	"lawpoint/display/dots"
	"lawpoint/display/render"
	"lawpoint/display/virtual"
)

// screenshotPNG is how a screenshot draws the board's dots: 4 pixels per
// dot, square, so staff see the exact dots at a readable size.
var screenshotPNG = render.PNGOptions{Scale: 4}

// ledScreen is the display.Screen the player plays on. It passes every
// update to the board, remembers what each area was last sent (for
// screenshots), and holds the player's updates back while the board
// identifies itself, showing them again afterwards.
type ledScreen struct {
	board *display.Board

	mu          sync.Mutex
	areas       map[uint8]*dots.Bitmap // first page sent per area
	pos         map[uint8][2]int
	want        func(ctx context.Context) error // the player's last update
	identifying uint64                          // >0 while identify runs (its generation)
	gen         uint64
}

func newLEDScreen(b *display.Board) *ledScreen {
	return &ledScreen{board: b, areas: map[uint8]*dots.Bitmap{}, pos: map[uint8][2]int{}}
}

// Show is display.Screen.Show.
func (s *ledScreen) Show(ctx context.Context, a display.Area, m display.Message) error {
	cmd, err := s.board.Command(a, m)
	if err != nil {
		return err
	}
	return s.update(ctx, cmd, func(ctx context.Context) error { return s.board.Show(ctx, a, m) })
}

// ShowPicture is display.PictureScreen.ShowPicture.
func (s *ledScreen) ShowPicture(ctx context.Context, a display.Area, img image.Image, opts render.PictureOptions) error {
	cmd, err := s.board.PictureCommand(a, img, opts)
	if err != nil {
		return err
	}
	return s.update(ctx, cmd, func(ctx context.Context) error { return s.board.ShowPicture(ctx, a, img, opts) })
}

// SetBrightness is display.Screen.SetBrightness.
func (s *ledScreen) SetBrightness(ctx context.Context, level uint8) error {
	return s.board.SetBrightness(ctx, level)
}

// update sends the player's update unless identify holds the board; it is
// remembered either way so identify can put it back.
func (s *ledScreen) update(ctx context.Context, cmd bx.Command, send func(context.Context) error) error {
	s.mu.Lock()
	s.want = func(ctx context.Context) error {
		if err := send(ctx); err != nil {
			return err
		}
		s.remember(cmd)
		return nil
	}
	held := s.identifying != 0
	want := s.want
	s.mu.Unlock()
	if held {
		return nil
	}
	return want(ctx)
}

// remember keeps the first page of what cmd puts on the board.
func (s *ledScreen) remember(cmd bx.Command) {
	var (
		id   uint8
		x, y int
		bm   *dots.Bitmap
	)
	switch c := cmd.(type) {
	case bx.PictureUpdate:
		if len(c.Area.Pages) == 0 {
			return
		}
		id, x, y, bm = c.Area.ID, c.Area.X, c.Area.Y, c.Area.Pages[0].Bitmap
	case bx.TextUpdate:
		if len(c.Areas) == 0 {
			return
		}
		a := c.Areas[0]
		pages, err := virtual.DrawText(nil, a, s.board.Config().Colors)
		if err != nil || len(pages) == 0 {
			return
		}
		id, x, y, bm = a.ID, a.X, a.Y, pages[0]
	default:
		return
	}
	s.mu.Lock()
	s.areas[id], s.pos[id] = bm, [2]int{x, y}
	s.mu.Unlock()
}

// Bitmap is what the board was last sent: every area's first page, in
// area order, on a dark board.
func (s *ledScreen) Bitmap() *dots.Bitmap {
	cfg := s.board.Config()
	bm := dots.New(cfg.Width, cfg.Height)
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range 256 {
		if a, ok := s.areas[uint8(id)]; ok {
			p := s.pos[uint8(id)]
			bm.Blit(a, p[0], p[1])
		}
	}
	return bm
}

// PNG draws Bitmap as a PNG.
func (s *ledScreen) PNG() ([]byte, error) {
	var buf bytes.Buffer
	if err := render.PNG(&buf, s.Bitmap(), screenshotPNG); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// IdentifyText is what a board shows while it identifies itself.
func IdentifyText(deviceID string) string { return "本机编号 " + deviceID }

// Identify shows the device ID, scrolling in yellow, for d; then the
// player's content comes back. It returns once the ID is on the board.
func (s *ledScreen) Identify(ctx context.Context, deviceID string, d time.Duration) error {
	m := display.Text(IdentifyText(deviceID), dots.Yellow)
	m.Effect = bx.EffectScrollLeft
	cmd, err := s.board.Command(display.Area{}, m)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.gen++
	gen := s.gen
	s.identifying = gen
	s.mu.Unlock()
	if err := s.board.Show(ctx, display.Area{}, m); err != nil {
		s.endIdentify(context.WithoutCancel(ctx), gen)
		return err
	}
	s.remember(cmd)
	go func() {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		s.endIdentify(context.WithoutCancel(ctx), gen)
	}()
	return nil
}

func (s *ledScreen) endIdentify(ctx context.Context, gen uint64) {
	s.mu.Lock()
	if s.identifying != gen {
		s.mu.Unlock()
		return // a later identify took over
	}
	s.identifying = 0
	want := s.want
	s.mu.Unlock()
	if want != nil {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		want(ctx)
	}
}

// playAgg is proof of play for one item in one hour.
type playAgg struct {
	data wire.PlayData
	hour time.Time
}

// proofs aggregates the player's proof of play per item per hour
// (docs/PROTOCOL.md section 9) and records each finished hour as one play
// event in the agent's outbox.
type proofs struct {
	record func(wire.PlayData) error
	log    *slog.Logger

	mu   sync.Mutex
	aggs map[string]*playAgg
}

// add counts one showing; ref and serial say which item version and
// manifest it came from. Hours before now's are recorded.
func (p *proofs) add(pr display.Proof, version int, serial uint64, now time.Time) {
	id := pr.ItemID
	if rest, ok := strings.CutPrefix(id, "notice/"); ok {
		id = "notice:" + rest // the event's item_id may not hold '/'
	}
	hour := pr.Start.Truncate(time.Hour)
	key := fmt.Sprintf("%s|%d|%d|%d", id, version, serial, hour.Unix())
	end := pr.Start.Add(pr.Duration)
	p.mu.Lock()
	a := p.aggs[key]
	if a == nil {
		if p.aggs == nil {
			p.aggs = map[string]*playAgg{}
		}
		a = &playAgg{hour: hour, data: wire.PlayData{ItemID: id, ItemVersion: uint64(max(version, 0)), ManifestSerial: serial, From: pr.Start, To: end}}
		p.aggs[key] = a
	}
	a.data.Plays++
	a.data.Seconds += int(pr.Duration.Round(time.Second) / time.Second)
	if pr.Start.Before(a.data.From) {
		a.data.From = pr.Start
	}
	if end.After(a.data.To) {
		a.data.To = end
	}
	p.mu.Unlock()
	p.flush(now.Truncate(time.Hour))
}

// flush records every hour before the given one (all with a zero time).
func (p *proofs) flush(before time.Time) {
	p.mu.Lock()
	var done []wire.PlayData
	for k, a := range p.aggs {
		if before.IsZero() || a.hour.Before(before) {
			done = append(done, a.data)
			delete(p.aggs, k)
		}
	}
	p.mu.Unlock()
	for _, d := range done {
		if err := p.record(d); err != nil {
			p.log.Error("proof of play not recorded", "item", d.ItemID, "error", err)
		}
	}
}

// ledStatus turns the board's state into telemetry's LED status.
func ledStatus(b *display.Board, since time.Time) wire.PartStatus {
	if err := b.Fault(); err != nil {
		msg := err.Error()
		if len(msg) > 200 {
			msg = msg[:200]
		}
		st := wire.PartStatus{Status: wire.LinkDown, Message: msg}
		if !since.IsZero() {
			st.Since = &since
		}
		return st
	}
	return wire.PartStatus{Status: wire.LinkOK}
}

// agentClock is the player's clock: the agent's best estimate of the time
// (the fleet's time carried forward while NTP is missing), real timers.
type agentClock struct{ agent atomic.Pointer[device.Agent] }

func (c *agentClock) Now() time.Time {
	if a := c.agent.Load(); a != nil {
		return a.Now()
	}
	return time.Now()
}

func (c *agentClock) NewTimer(d time.Duration) display.Timer { return display.RealClock.NewTimer(d) }

// brightnessLevel maps the protocol's 0..100 % to the controller's 0..15.
func brightnessLevel(percent int) uint8 {
	percent = min(max(percent, 0), 100)
	return uint8((percent*15 + 50) / 100)
}

// ledGlue wires one agent to one player and board.
type ledGlue struct {
	board  *display.Board
	screen *ledScreen
	player *display.Player
	clock  *agentClock
	proofs *proofs
	log    *slog.Logger
	onPi   bool

	set       atomic.Pointer[cache.Set]
	restart   func()
	faultMu   sync.Mutex
	faultFrom time.Time
}

func newLEDGlue(b *display.Board, log *slog.Logger, onPi bool) (*ledGlue, error) {
	g := &ledGlue{board: b, screen: newLEDScreen(b), clock: &agentClock{}, log: log, onPi: onPi}
	g.proofs = &proofs{log: log, record: func(d wire.PlayData) error {
		a := g.clock.agent.Load()
		if a == nil {
			return errors.New("the agent is not running")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := a.Record(ctx, wire.EventPlay, d)
		return err
	}}
	p, err := display.NewPlayer(display.PlayerConfig{Screen: g.screen, Clock: g.clock,
		Proof:  g.proof,
		Images: g.image,
		Log:    func(s string) { log.Debug(s) },
		Errors: func(err error) { log.Warn("showing an item failed", "error", err) }})
	if err != nil {
		return nil, err
	}
	g.player = p
	return g, nil
}

func (g *ledGlue) proof(pr display.Proof) {
	set := g.set.Load()
	version := 0
	if ref, _, ok := set.Item(pr.ItemID); ok {
		version = ref.Version
	}
	g.proofs.add(pr, version, set.Serial(), g.clock.Now())
}

func (g *ledGlue) image(ref content.ItemRef) (image.Image, error) {
	set := g.set.Load()
	if set == nil {
		return nil, errors.New("no content set in use")
	}
	f, err := os.Open(set.Path(ref))
	if err != nil {
		return nil, fmt.Errorf("picture %s: %w", ref.ID, err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("picture %s does not decode: %w", ref.ID, err)
	}
	return img, nil
}

// hooks are the agent's hooks for an LED board.
func (g *ledGlue) hooks() device.Hooks {
	return device.Hooks{
		Content: func(set *cache.Set) {
			g.set.Store(set)
			if set == nil {
				g.player.Load(nil, nil)
				g.log.Info("no content assigned: the board plays nothing (本机暂无节目)")
				return
			}
			g.player.LoadManifest(set.Manifest)
			g.log.Info("content set in use", "manifest_serial", set.Manifest.Serial, "items", len(set.Manifest.Items), "notices", len(set.Manifest.Notices))
		},
		Settings: func(s wire.Settings, _ *time.Location) error {
			return g.setBrightness(s.Brightness)
		},
		SetBrightness: g.setBrightness,
		Identify: func(ctx context.Context, d time.Duration) error {
			a := g.clock.agent.Load()
			if a == nil {
				return errors.New("the agent is not running")
			}
			return g.screen.Identify(ctx, a.ID(), d)
		},
		Screenshot: func(ctx context.Context) ([]byte, error) { return g.screen.PNG() },
		LEDStatus: func() wire.PartStatus {
			g.faultMu.Lock()
			since := g.faultFrom
			g.faultMu.Unlock()
			return ledStatus(g.board, since)
		},
		Restart: func(ctx context.Context) error {
			if g.restart == nil {
				return errors.New("restart is not available here; restart lawpoint-led with its service manager")
			}
			go func() {
				time.Sleep(time.Second) // let the agent send the result first
				g.restart()
			}()
			return nil
		},
		Reboot: func(ctx context.Context) error {
			if !g.onPi {
				return errors.New("not a Raspberry Pi: this machine is not rebooted from the fleet; restart lawpoint-led instead")
			}
			return runReboot(ctx)
		},
	}
}

func (g *ledGlue) setBrightness(percent int) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := g.board.SetBrightness(ctx, brightnessLevel(percent)); err != nil {
		return fmt.Errorf("brightness %d%%: %w", percent, err)
	}
	return nil
}

// watch follows the agent's clock trust into the player, and the board's
// fault state into fault events, until ctx ends.
func (g *ledGlue) watch(ctx context.Context, a *device.Agent, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	faulty := false
	for {
		g.player.SetClockTrusted(a.ClockTrusted())
		g.proofs.flush(a.Now().Truncate(time.Hour))
		err := g.board.Fault()
		if (err != nil) != faulty {
			faulty = err != nil
			g.faultMu.Lock()
			g.faultFrom = a.Now()
			g.faultMu.Unlock()
			fd := wire.FaultData{Code: "no_reply", Component: "led", Severity: wire.SeverityError}
			if faulty {
				fd.Message = truncate(err.Error(), 1000)
				g.log.Error("the LED board does not answer (显示屏无应答)", "error", err)
			} else {
				fd.Cleared, fd.Severity = true, wire.SeverityInfo
				g.log.Info("the LED board answers again")
			}
			if _, err := a.Record(ctx, wire.EventFault, fd); err != nil && ctx.Err() == nil {
				g.log.Error("fault event not recorded", "error", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
