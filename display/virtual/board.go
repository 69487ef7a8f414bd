package virtual

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"lawpoint/display/bx"
	"lawpoint/display/dots"
	"lawpoint/display/render"
)

// Config describes the controller and screen a Board stands in for.
type Config struct {
	Model         *bx.Model
	Width, Height int
	Colors        bx.Colors // bx.Single or bx.Dual; 0 means the model's colours
	// Address is the screen address set on the card; 0 means bx.AddrDefault.
	Address uint16
	// Fonts draws a font card's text; nil uses the Debian font locations.
	Fonts *render.Fonts
	// PNG, when set, is rewritten (temp file + rename) on every change of
	// what the board shows.
	PNG string
	// PNGOptions says how the PNG is drawn; the zero value is one pixel per
	// dot. Round LEDs need a Scale of at least 3.
	PNGOptions render.PNGOptions
	// Log receives one English line per frame and per change; nil discards.
	Log func(line string)
}

// Area is one dynamic area as the board holds it.
type Area struct {
	ID         uint8
	X, Y, W, H int
	// Picture is true for a picture controller's area (pages of dots), false
	// for a font card's text area.
	Picture bool
	// Text, for a font card: the runs as received, and how they are shown.
	Runs       []bx.Run
	Effect     bx.Effect
	SingleLine bool
	Speed      uint8
	Stay       time.Duration
	// Pages is what the area shows in turn: for a picture area the pages
	// received, for a text area the text drawn as the controller's 16-dot
	// font would draw it. Pages[0] is what Bitmap shows.
	Pages   []*dots.Bitmap
	Effects []bx.Effect // per page (picture areas)
	// Problem is set when the text could not be drawn (the real controller
	// would show garbage or nothing).
	Problem string
}

// State is a copy of what the board holds.
type State struct {
	Power      bool
	Brightness uint8        // current fixed level 0..15
	Schedule   *[48]uint8   // per half hour, when set
	Clock      *bx.TimeSync // the last time sync received (font cards)
	Areas      []Area       // by ID
}

// Stats counts what the board has seen.
type Stats struct {
	Frames   int // well-formed frames addressed to this board
	Rejected int // bad frames (CRC, escaping, truncated, too long): no answer
	Ignored  int // good frames for another address or family: no answer
	ACK      int
	NACK     int
	Noise    int64 // bytes skipped outside frames
}

// Board is a virtual controller. Its methods are safe for concurrent use.
type Board struct {
	cfg   Config
	enc   *bx.Encoder
	fonts *render.Fonts

	mu      sync.Mutex
	state   State
	areas   map[uint8]*Area
	stats   Stats
	version uint64
	notify  chan struct{}
	faults  faults
	lastErr string
}

type faults struct {
	nack    int
	code    bx.ErrorCode
	silent  int
	garbled int
	noise   int
}

var defaultFonts = &render.Fonts{}

// New returns a board showing nothing, powered on at full brightness.
func New(cfg Config) (*Board, error) {
	if cfg.Model == nil {
		return nil, errors.New("virtual: no controller model; pick one such as bx-5k1 or bx-6e1")
	}
	if cfg.Colors == 0 {
		cfg.Colors = cfg.Model.Colors
	}
	if cfg.Address == 0 {
		cfg.Address = bx.AddrDefault
	}
	if cfg.Address == bx.AddrBroadcast || cfg.Address == bx.AddrBroadcastReply {
		return nil, fmt.Errorf("virtual: screen address %#04x is a broadcast address; give the card's own address (1 by default)", cfg.Address)
	}
	enc, err := bx.NewEncoder(cfg.Model, cfg.Width, cfg.Height, cfg.Colors)
	if err != nil {
		return nil, fmt.Errorf("virtual: %w", err)
	}
	enc.Header.Dst = cfg.Address
	if cfg.PNGOptions.Round && cfg.PNGOptions.Scale < 3 {
		cfg.PNGOptions.Scale = 8
	}
	fonts := cfg.Fonts
	if fonts == nil {
		fonts = defaultFonts
	}
	b := &Board{cfg: cfg, enc: enc, fonts: fonts, areas: map[uint8]*Area{}, notify: make(chan struct{})}
	b.state.Power = true
	b.state.Brightness = 15
	if cfg.PNG != "" {
		if err := b.writePNG(); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Name describes the board for logs, e.g. "BX-5K1 64x16 dual-colour, address 1".
func (b *Board) Name() string {
	return fmt.Sprintf("%s %dx%d %v-colour, address %d", b.cfg.Model.Label, b.cfg.Width, b.cfg.Height, b.cfg.Colors, b.cfg.Address)
}

func (b *Board) logf(format string, args ...any) {
	if b.cfg.Log != nil {
		b.cfg.Log(fmt.Sprintf(format, args...))
	}
}

// Serve reads frames from rw and answers them until ctx ends or rw fails.
// A port whose reads time out (returning no bytes and no error) lets Serve
// notice ctx; with a blocking reader, close it to stop Serve.
func (b *Board) Serve(ctx context.Context, rw io.ReadWriter) error {
	r := bx.NewReader(rw)
	defer func() {
		b.mu.Lock()
		b.stats.Noise += r.Skipped()
		b.mu.Unlock()
	}()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := r.Next()
		var fe *bx.FrameError
		switch {
		case errors.Is(err, bx.ErrIdle):
			continue
		case errors.As(err, &fe):
			b.event(func() {
				b.stats.Rejected++
				b.lastErr = fe.Error()
			})
			b.logf("rejected a bad frame, no answer (a controller ignores it): %v", fe)
			continue
		case err != nil:
			return err
		}
		reply := b.Handle(p)
		if reply != nil {
			if _, err := rw.Write(reply); err != nil {
				return fmt.Errorf("virtual: writing the reply: %w", err)
			}
		}
	}
}

// Handle acts on one well-formed frame and returns the reply frame to send,
// or nil when the controller would stay silent.
func (b *Board) Handle(p bx.Packet) []byte {
	h := p.Header
	if h.Family != b.cfg.Model.Family {
		b.ignore("a %v frame reached a %v controller (%s): ignored; check --model", h.Family, b.cfg.Model.Family, b.cfg.Model.Label)
		return nil
	}
	if h.Dst != b.cfg.Address && h.Dst != bx.AddrBroadcast && h.Dst != bx.AddrBroadcastReply {
		b.ignore("frame for screen address %d, this board is %d: ignored", h.Dst, b.cfg.Address)
		return nil
	}
	wants := bx.WantsReply(p)
	answer := func(r bx.Reply) []byte {
		if !wants {
			return nil
		}
		b.mu.Lock()
		f := &b.faults
		silent := f.silent > 0
		garble := !silent && f.garbled > 0
		if silent {
			f.silent--
		} else if garble {
			f.garbled--
		}
		b.mu.Unlock()
		if silent {
			b.logf("  (fault injected: no answer)")
			return nil
		}
		wire, err := bx.EncodeReply(r)
		if err != nil {
			b.logf("  cannot encode the reply: %v", err)
			return nil
		}
		if garble {
			wire[len(wire)-2] ^= 0x55 // break the check bytes' tail
			b.logf("  (fault injected: garbled answer)")
		}
		b.mu.Lock()
		if b.faults.noise > 0 {
			b.faults.noise--
			wire = append([]byte{0x00, 0x11, 0x5A, 0xFF, 0x42, 0x13}, wire...)
		}
		b.mu.Unlock()
		return wire
	}
	nack := func(code bx.ErrorCode, format string, args ...any) []byte {
		reason := fmt.Sprintf(format, args...)
		b.event(func() {
			b.stats.Frames++
			b.stats.NACK++
			b.lastErr = reason
		})
		b.logf("NACK %s (%s): %s", code, code.Chinese(), reason)
		return answer(bx.NACKFor(h, b.deviceType(), code))
	}
	if !b.deviceTypeOK(h.DeviceType) {
		return nack(bx.CodeControllerType, "header names device type %#04x, this controller is %s (%#04x)", h.DeviceType, b.cfg.Model.Label, b.cfg.Model.DeviceType)
	}
	cmd, err := bx.DecodeCommandFor(p, b.cfg.Model)
	if err != nil {
		if errors.Is(err, bx.ErrUnknownCommand) {
			return nack(bx.CodeNoCommand, "%v", err)
		}
		return nack(bx.CodeScreenParameter, "%v", err)
	}
	b.mu.Lock()
	if b.faults.nack > 0 {
		b.faults.nack--
		code := b.faults.code
		b.mu.Unlock()
		return nack(code, "fault injected")
	}
	b.mu.Unlock()
	if err := b.check(cmd, p); err != nil {
		var ce *checkError
		if errors.As(err, &ce) {
			return nack(ce.code, "%s", ce.msg)
		}
		return nack(bx.CodeScreenParameter, "%v", err)
	}
	desc := b.apply(cmd)
	b.logf("%s", desc)
	b.event(func() {
		b.stats.Frames++
		if wants {
			b.stats.ACK++
		}
	})
	return answer(bx.ACKFor(h, b.deviceType()))
}

func (b *Board) deviceType() uint16 { return b.cfg.Model.DeviceType }

func (b *Board) deviceTypeOK(t uint16) bool {
	if b.cfg.Model.Family == bx.FontCard {
		return t == bx.DeviceAnyFontCard || t == b.cfg.Model.DeviceType
	}
	return t == bx.DeviceAnyPicture || t == b.cfg.Model.DeviceType
}

func (b *Board) ignore(format string, args ...any) {
	b.event(func() { b.stats.Ignored++ })
	b.logf(format, args...)
}

// event runs f under the lock and wakes everyone waiting for a change.
func (b *Board) event(f func()) {
	b.mu.Lock()
	f()
	b.version++
	close(b.notify)
	b.notify = make(chan struct{})
	b.mu.Unlock()
}

type checkError struct {
	code bx.ErrorCode
	msg  string
}

func (e *checkError) Error() string { return e.msg }

func (b *Board) fits(x, y, w, h int) error {
	if w <= 0 || h <= 0 || x < 0 || y < 0 || x+w > b.cfg.Width || y+h > b.cfg.Height {
		return &checkError{bx.CodeScreenParameter, fmt.Sprintf("area at (%d,%d) size %dx%d lies outside the %dx%d screen", x, y, w, h, b.cfg.Width, b.cfg.Height)}
	}
	return nil
}

// check is what the controller verifies beyond the frame's own shape: that
// areas lie on its screen and pages are packed for its colours.
func (b *Board) check(cmd bx.Command, p bx.Packet) error {
	switch c := cmd.(type) {
	case bx.TextUpdate:
		for _, a := range c.Areas {
			if err := b.fits(a.X, a.Y, a.W, a.H); err != nil {
				return err
			}
		}
	case bx.PictureUpdate:
		a := c.Area
		w, h := a.Size()
		if err := b.fits(a.X, a.Y, w, h); err != nil {
			return err
		}
		// The controller reads the planes its screen has: a frame packed
		// for another colour count shows garbage. Re-encode and compare.
		want, err := b.enc.Data(c)
		if err != nil {
			return &checkError{bx.CodeScreenParameter, fmt.Sprintf("pages do not suit this %v-colour screen: %v", b.cfg.Colors, err)}
		}
		if len(want) != len(p.Data) {
			return &checkError{bx.CodeScreenParameter, fmt.Sprintf("pages hold %d bytes where a %v-colour screen expects %d: packed for the wrong colour count", len(p.Data), b.cfg.Colors, len(want))}
		}
		if b.cfg.Model.Generation == 5 {
			b.mu.Lock()
			_, have := b.areas[a.ID]
			n := len(b.areas)
			b.mu.Unlock()
			if !have && n >= 4 {
				return &checkError{bx.CodeMemoryVolume, "a BX-5E holds at most 4 dynamic areas; delete one first"}
			}
		}
	}
	return nil
}

// apply changes the state for an accepted command and returns a log line.
func (b *Board) apply(cmd bx.Command) string {
	var out string
	var drawn []*Area
	switch c := cmd.(type) {
	case bx.Ping:
		return "ping: ACK"
	case bx.Clear:
		b.change(func() { clear(b.areas) })
		out = "clear screen: every area removed"
	case bx.Power:
		b.change(func() { b.state.Power = c.On })
		out = fmt.Sprintf("screen power %s", onOff(c.On))
	case bx.TimeSync:
		b.change(func() { t := c; b.state.Clock = &t })
		out = fmt.Sprintf("clock set to %04d-%02d-%02d %02d:%02d:%02d", c.Year, c.Month, c.Day, c.Hour, c.Minute, c.Second)
	case bx.Brightness:
		b.change(func() {
			b.state.Brightness = c.Level
			b.state.Schedule = c.Schedule
		})
		if c.Schedule != nil {
			out = fmt.Sprintf("brightness schedule per half hour %v", c.Schedule[:])
		} else {
			out = fmt.Sprintf("brightness %d/15", c.Level)
		}
	case bx.DeleteAreas:
		b.change(func() {
			if c.All {
				clear(b.areas)
			}
			for _, id := range c.IDs {
				delete(b.areas, id)
			}
		})
		if c.All {
			out = "delete every area"
		} else {
			out = fmt.Sprintf("delete areas %v", c.IDs)
		}
	case bx.TextUpdate:
		for _, a := range c.Areas {
			drawn = append(drawn, b.drawText(a))
		}
		b.change(func() {
			if c.Reset || c.DeleteAll {
				clear(b.areas)
			}
			for _, id := range c.Delete {
				delete(b.areas, id)
			}
			for _, a := range drawn {
				b.areas[a.ID] = a
			}
		})
		var parts []string
		for _, a := range drawn {
			parts = append(parts, describe(a))
		}
		out = "text: " + strings.Join(parts, "; ")
	case bx.PictureUpdate:
		a := c.Area
		w, h := a.Size()
		v := &Area{ID: a.ID, X: a.X, Y: a.Y, W: w, H: h, Picture: true}
		for _, pg := range a.Pages {
			bm := pg.Bitmap
			if b.cfg.Colors == bx.Single {
				bm = toSingle(bm)
			}
			v.Pages = append(v.Pages, bm)
			v.Effects = append(v.Effects, pg.Effect)
		}
		b.change(func() { b.areas[a.ID] = v })
		out = "picture: " + describe(v)
	default:
		out = cmd.Name()
	}
	return out
}

// change applies f and, as the screen may look different, rewrites the PNG.
func (b *Board) change(f func()) {
	b.event(func() {
		f()
		b.state.Areas = nil
	})
	if b.cfg.PNG != "" {
		if err := b.writePNG(); err != nil {
			b.logf("cannot write %s: %v", b.cfg.PNG, err)
		}
	}
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

func toSingle(bm *dots.Bitmap) *dots.Bitmap {
	out := bm.Clone()
	for i, c := range out.Pix {
		if c != dots.Off {
			out.Pix[i] = dots.Red
		}
	}
	return out
}

// drawText draws a font card's area as the controller would, with the
// 16-dot font standing in for its GB2312 font.
func (b *Board) drawText(a bx.TextArea) *Area {
	v := &Area{ID: a.ID, X: a.X, Y: a.Y, W: a.W, H: a.H, Runs: a.Runs, Effect: a.Effect, SingleLine: a.SingleLine, Speed: a.Speed, Stay: a.Stay}
	pages, err := DrawText(b.fonts, a, b.cfg.Colors)
	if err != nil {
		v.Problem = err.Error()
		v.Pages = []*dots.Bitmap{dots.New(a.W, a.H)}
		b.logf("area %d: the text cannot be drawn: %v", a.ID, err)
		return v
	}
	v.Pages = pages
	return v
}

// DrawText draws a font card's text area the way the virtual board shows it:
// 16-dot Unifont glyphs, lines broken by the Chinese rules when the text is
// multi-line, one line from the left edge when it is a single (scrolling)
// line. Single-colour screens show every colour as red.
func DrawText(fonts *render.Fonts, a bx.TextArea, colors bx.Colors) ([]*dots.Bitmap, error) {
	if fonts == nil {
		fonts = defaultFonts
	}
	face, err := fonts.Face(render.UnifontSize)
	if err != nil {
		return nil, err
	}
	var runs []render.Run
	for _, r := range a.Runs {
		c := r.Color
		if colors == bx.Single {
			c = dots.Red
		}
		runs = append(runs, render.Run{Text: r.Text, Color: c})
	}
	if a.SingleLine {
		s, err := render.NewScroll(runs, face, a.W, a.H)
		if err != nil {
			return nil, err
		}
		return []*dots.Bitmap{s.Frame(a.W)}, nil
	}
	l := render.Layout{W: a.W, H: a.H, Font: face, LineSpacing: int(a.LineSpacing)}
	return l.Pages(runs)
}

func describe(a *Area) string {
	pos := fmt.Sprintf("area %d at (%d,%d) %dx%d", a.ID, a.X, a.Y, a.W, a.H)
	if a.Picture {
		eff := "-"
		if len(a.Effects) > 0 {
			eff = a.Effects[0].String()
		}
		return fmt.Sprintf("%s: %d page(s), %s, %d dots lit on page 1", pos, len(a.Pages), eff, a.Pages[0].Lit())
	}
	var parts []string
	for _, r := range a.Runs {
		parts = append(parts, fmt.Sprintf("%v %q", r.Color, r.Text))
	}
	s := fmt.Sprintf("%s: %s, %s, speed %d, stay %v, %d page(s)", pos, strings.Join(parts, " + "), a.Effect, a.Speed, a.Stay, len(a.Pages))
	if a.Problem != "" {
		s += " (cannot be drawn: " + a.Problem + ")"
	}
	return s
}

// Version increases with every frame the board sees (good, bad or ignored).
func (b *Board) Version() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.version
}

// Wait blocks until cond holds for the board or ctx ends. cond is called
// after every frame the board sees; it must not call Board methods that
// wait.
func (b *Board) Wait(ctx context.Context, cond func(*Board) bool) error {
	for {
		b.mu.Lock()
		ch := b.notify
		b.mu.Unlock()
		if cond(b) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("virtual: waiting for the board: %w", ctx.Err())
		}
	}
}

// Stats returns the counters so far.
func (b *Board) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

// LastProblem is the reason the last frame was rejected or refused.
func (b *Board) LastProblem() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastErr
}

// State returns a copy of what the board holds.
func (b *Board) State() State {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.state
	ids := make([]uint8, 0, len(b.areas))
	for id := range b.areas {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s.Areas = append(s.Areas, *b.areas[id])
	}
	return s
}

// Area returns area id as the board holds it.
func (b *Board) Area(id uint8) (Area, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a, ok := b.areas[id]
	if !ok {
		return Area{}, false
	}
	return *a, true
}

// Bitmap is what the board shows now: every area's first page, drawn in
// order of area number, on a dark screen; all dark when the screen is off.
func (b *Board) Bitmap() *dots.Bitmap {
	s := b.State()
	bm := dots.New(b.cfg.Width, b.cfg.Height)
	if !s.Power {
		return bm
	}
	for _, a := range s.Areas {
		if len(a.Pages) > 0 {
			bm.Blit(a.Pages[0], a.X, a.Y)
		}
	}
	return bm
}

// Text describes the board for logs: its settings and every area.
func (b *Board) Text() string {
	s := b.State()
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s: power %s, brightness %d/15", b.Name(), onOff(s.Power), s.Brightness)
	if s.Schedule != nil {
		sb.WriteString(" (half-hour schedule)")
	}
	sb.WriteString("\n")
	if len(s.Areas) == 0 {
		sb.WriteString("  (no areas: the screen is dark)\n")
	}
	for i := range s.Areas {
		fmt.Fprintf(&sb, "  %s\n", describe(&s.Areas[i]))
	}
	return sb.String()
}

// WritePNG draws what the board shows to path, atomically.
func (b *Board) WritePNG(path string) error {
	return writePNGFile(path, b.Bitmap(), b.cfg.PNGOptions)
}

func (b *Board) writePNG() error { return b.WritePNG(b.cfg.PNG) }

func writePNGFile(path string, bm *dots.Bitmap, opts render.PNGOptions) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("virtual: PNG %s: cannot create a file in %s: %w (check the folder exists and is writable)", path, dir, err)
	}
	tmp := f.Name()
	err = f.Chmod(0o644) // readable by the console's web server, like any picture
	if err == nil {
		err = render.PNG(f, bm, opts)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("virtual: PNG %s: %w", path, err)
	}
	return nil
}

// NACKNext makes the board refuse the next n commands with code, as a busy
// or misconfigured controller would.
func (b *Board) NACKNext(n int, code bx.ErrorCode) {
	b.mu.Lock()
	b.faults.nack, b.faults.code = n, code
	b.mu.Unlock()
}

// SilenceNext makes the board act on the next n commands but send no
// answer (a reply lost on the line).
func (b *Board) SilenceNext(n int) {
	b.mu.Lock()
	b.faults.silent = n
	b.mu.Unlock()
}

// NoiseBeforeNext makes the board put line noise before its next n answers.
func (b *Board) NoiseBeforeNext(n int) {
	b.mu.Lock()
	b.faults.noise = n
	b.mu.Unlock()
}

// GarbleNext makes the board damage its next n answers (bad check bytes).
func (b *Board) GarbleNext(n int) {
	b.mu.Lock()
	b.faults.garbled = n
	b.mu.Unlock()
}

// ServeLoop serves the line open returns and, when it fails (a USB adapter
// pulled, socat stopped), opens it again every retry until ctx ends. The
// board keeps its state across, as a controller that kept its power does.
func (b *Board) ServeLoop(ctx context.Context, open func() (io.ReadWriteCloser, error), retry time.Duration) error {
	if retry <= 0 {
		retry = 100 * time.Millisecond
	}
	reported := false
	for {
		rw, err := open()
		if err == nil {
			reported = false
			b.logf("line open: listening")
			err = b.Serve(ctx, rw)
			rw.Close()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			b.logf("line lost (%v): waiting for it to come back", err)
		} else if !reported {
			b.logf("cannot open the line (%v): retrying every %v", err, retry)
			reported = true
		}
		t := time.NewTimer(retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
