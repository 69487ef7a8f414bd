package display

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"
	"time"

	"lawpoint/content"
	"lawpoint/display/bx"
	"lawpoint/display/dots"
	"lawpoint/display/render"
)

// Screen is what a Player shows on: a Board, or anything that behaves so.
type Screen interface {
	Show(ctx context.Context, a Area, m Message) error
	SetBrightness(ctx context.Context, level uint8) error
}

// PictureScreen is a Screen that also shows pictures (picture controllers).
type PictureScreen interface {
	ShowPicture(ctx context.Context, a Area, img image.Image, opts render.PictureOptions) error
}

// Schedule answers what plays at an instant: *content.Plan and
// *content.Manifest both do.
type Schedule interface {
	At(t time.Time, clockTrusted bool) (content.Answer, bool)
}

// Proof is one record of proof of play: what was shown, from when, for how
// long. The fleet collects them.
type Proof struct {
	ItemID      string // item ID, or "notice/" + the notice ID
	Source      content.Source
	ProgrammeID string `json:",omitempty"`
	ScheduleID  string `json:",omitempty"`
	Start       time.Time
	Duration    time.Duration
}

// DefaultNoticeTurn is how long each emergency notice shows per turn.
const DefaultNoticeTurn = 30 * time.Second

// PlayerConfig wires a Player.
type PlayerConfig struct {
	Screen Screen
	Clock  Clock // nil means RealClock
	Area   Area  // where to play; the zero Area is the whole board
	// Proof receives a record each time an item has been shown (when its
	// airtime ends or it is interrupted).
	Proof func(Proof)
	// Brightness is the level (0..15) per half hour from 00:00 in Location;
	// nil leaves the brightness alone. With an untrusted clock the board
	// uses UntrustedLevel (0 means the schedule's brightest level).
	Brightness     *[48]uint8
	UntrustedLevel uint8
	Location       *time.Location // nil means Asia/Shanghai
	// NoticeTurn is how long each emergency notice shows per turn.
	NoticeTurn time.Duration
	// Images opens an image item's picture; nil shows its Alt text instead.
	Images func(ref content.ItemRef) (image.Image, error)
	// Errors receives problems showing an item (a faulty board, text that
	// does not fit); play goes on with the next item at its time.
	Errors func(error)
	Log    func(line string)
}

// Player plays a Schedule on a Screen: the items of the answer in order for
// their airtime, switching exactly at the answer's change instants (it
// sleeps until then), and at once when Load hands it something new (an
// emergency notice).
type Player struct {
	cfg PlayerConfig

	mu      sync.Mutex
	sched   Schedule
	items   map[string]content.ItemRef
	trusted bool
	wake    chan struct{}
	// gen counts Loads; showCancel stops a send in progress when a new
	// plan (an emergency notice) arrives, so it need not wait for the line.
	gen        uint64
	showCancel context.CancelFunc

	level int // brightness last set, -1 before the first (used by Run only)
}

// NewPlayer returns a Player that plays nothing until Load.
func NewPlayer(cfg PlayerConfig) (*Player, error) {
	if cfg.Screen == nil {
		return nil, errors.New("display: player has no screen; give it a Board")
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock
	}
	if cfg.Location == nil {
		loc, err := time.LoadLocation(content.DefaultZone)
		if err != nil {
			loc = time.FixedZone("CST", 8*3600)
		}
		cfg.Location = loc
	}
	if cfg.NoticeTurn <= 0 {
		cfg.NoticeTurn = DefaultNoticeTurn
	}
	if cfg.Brightness != nil && cfg.UntrustedLevel == 0 {
		for _, v := range cfg.Brightness {
			cfg.UntrustedLevel = max(cfg.UntrustedLevel, v)
		}
	}
	if cfg.Brightness != nil {
		for i, v := range cfg.Brightness {
			if v > 15 {
				return nil, fmt.Errorf("display: brightness schedule slot %d is %d; use 0 (dimmest) to 15 (brightest)", i, v)
			}
		}
	}
	return &Player{cfg: cfg, wake: make(chan struct{}, 1), trusted: true, level: -1}, nil
}

// Load makes the player play s with the given items from now on; what is
// showing is interrupted at once.
func (p *Player) Load(s Schedule, items []content.ItemRef) {
	m := make(map[string]content.ItemRef, len(items))
	for _, r := range items {
		m[r.ID] = r
	}
	p.mu.Lock()
	p.sched, p.items = s, m
	p.gen++
	if p.showCancel != nil {
		p.showCancel()
	}
	p.mu.Unlock()
	p.poke()
}

// LoadManifest is Load for a verified manifest.
func (p *Player) LoadManifest(m *content.Manifest) { p.Load(m, m.Items) }

// SetClockTrusted tells the player whether the clock can be trusted (a Pi
// without a real-time clock cannot until NTP or the fleet sets it). A change
// takes effect at once.
func (p *Player) SetClockTrusted(trusted bool) {
	p.mu.Lock()
	changed := p.trusted != trusted
	p.trusted = trusted
	p.mu.Unlock()
	if changed {
		p.poke()
	}
}

func (p *Player) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *Player) logf(format string, args ...any) {
	if p.cfg.Log != nil {
		p.cfg.Log(fmt.Sprintf(format, args...))
	}
}

func (p *Player) report(err error) {
	p.logf("%v", err)
	if p.cfg.Errors != nil {
		p.cfg.Errors(err)
	}
}

// turn is one item in the play queue.
type turn struct {
	proof  Proof
	dur    time.Duration
	msg    *Message
	ref    *content.ItemRef
	notice bool
}

// Run plays until ctx ends.
func (p *Player) Run(ctx context.Context) error {
	for {
		// What Load and SetClockTrusted changed is read just below, so a
		// pending wake-up is already answered.
		select {
		case <-p.wake:
		default:
		}
		p.mu.Lock()
		sched, items, trusted, gen := p.sched, p.items, p.trusted, p.gen
		p.mu.Unlock()
		now := p.cfg.Clock.Now()
		var ans content.Answer
		if sched != nil {
			var ok bool
			ans, ok = sched.At(now, trusted)
			if !ok {
				p.logf("the plan does not cover %s: playing the fallback until a new plan arrives", now.Format(time.RFC3339))
			}
		}
		queue := p.queue(ans, items)
		until := ans.Until
		if len(queue) == 0 {
			p.logf("nothing to play (%s) until %s", ans.Source, fmtTime(until))
			if r := p.wait(ctx, until, trusted); r == waitCancelled {
				return ctx.Err()
			}
			continue
		}
		if r := p.play(ctx, queue, until, trusted, gen); r == waitCancelled {
			return ctx.Err()
		}
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "further notice"
	}
	return t.Format(time.RFC3339)
}

// play loops over queue until the answer's end, a Load or ctx.
func (p *Player) play(ctx context.Context, queue []turn, until time.Time, trusted bool, gen uint64) waitResult {
	for i := 0; ; i = (i + 1) % len(queue) {
		t := queue[i]
		start := p.cfg.Clock.Now()
		if !until.IsZero() && !start.Before(until) {
			return waitTimeUp
		}
		shown := p.show(ctx, t, gen)
		end := start.Add(t.dur)
		last := false
		if !until.IsZero() && !end.Before(until) {
			end, last = until, true
		}
		r := p.wait(ctx, end, trusted)
		if shown {
			pr := t.proof
			pr.Start = start
			pr.Duration = p.cfg.Clock.Now().Sub(start)
			if p.cfg.Proof != nil && pr.Duration > 0 {
				p.cfg.Proof(pr)
			}
		}
		if r != waitTimeUp || last {
			return r
		}
	}
}

func (p *Player) show(parent context.Context, t turn, gen uint64) bool {
	ctx, cancel := context.WithCancel(parent)
	p.mu.Lock()
	if p.gen != gen {
		cancel() // a new plan arrived since this turn was chosen
	}
	p.showCancel = cancel
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.showCancel = nil
		p.mu.Unlock()
		cancel()
	}()
	var err error
	switch {
	case t.msg != nil:
		err = p.cfg.Screen.Show(ctx, p.cfg.Area, *t.msg)
	case t.ref != nil && t.ref.Kind == content.KindImage:
		err = p.showImage(ctx, *t.ref)
	}
	if err != nil && ctx.Err() != nil && parent.Err() == nil {
		p.logf("%s interrupted by a new plan", t.proof.ItemID)
		return false
	}
	if err != nil {
		p.report(fmt.Errorf("display: playing %s: %w", t.proof.ItemID, err))
		return false
	}
	p.logf("playing %s (%s) for %v", t.proof.ItemID, t.proof.Source, t.dur)
	return true
}

func (p *Player) showImage(ctx context.Context, ref content.ItemRef) error {
	ps, ok := p.cfg.Screen.(PictureScreen)
	if ok && p.cfg.Images != nil {
		img, err := p.cfg.Images(ref)
		if err == nil {
			return ps.ShowPicture(ctx, p.cfg.Area, img, render.PictureOptions{Dither: render.FloydSteinberg})
		}
		if ref.Image == nil || ref.Image.Alt == "" {
			return err
		}
		p.report(fmt.Errorf("display: image %s: %w; showing its alt text", ref.ID, err))
	}
	if ref.Image != nil && ref.Image.Alt != "" {
		return p.cfg.Screen.Show(ctx, p.cfg.Area, Text(ref.Image.Alt, dots.Red))
	}
	return fmt.Errorf("image %s cannot be shown on this board and has no alt text; give it alt text or use a picture controller", ref.ID)
}

// queue lists what ans plays, in order: every notice in turn, or the
// entries of each winning programme one programme after the other.
func (p *Player) queue(ans content.Answer, items map[string]content.ItemRef) []turn {
	var q []turn
	if ans.Source == content.SourceNotice {
		for _, n := range ans.Notices {
			m := Text(n.Text, dots.Red)
			q = append(q, turn{proof: Proof{ItemID: "notice/" + n.ID, Source: ans.Source}, dur: p.cfg.NoticeTurn, msg: &m, notice: true})
		}
		return q
	}
	for _, pl := range ans.Programmes {
		for _, e := range pl.Entries {
			if e.Seconds <= 0 {
				continue
			}
			ref, ok := items[e.ItemID]
			if !ok {
				p.report(fmt.Errorf("display: programme %s plays item %s, which the manifest does not carry; skipping it", pl.ProgrammeID, e.ItemID))
				continue
			}
			t := turn{proof: Proof{ItemID: e.ItemID, Source: ans.Source, ProgrammeID: pl.ProgrammeID, ScheduleID: pl.ScheduleID},
				dur: time.Duration(e.Seconds) * time.Second}
			switch {
			case ref.Kind == content.KindText && ref.Text != nil:
				m := MessageOf(*ref.Text)
				t.msg = &m
			case ref.Kind == content.KindImage:
				r := ref
				t.ref = &r
			default:
				p.logf("item %s is a %s, which LED boards do not show; skipping it", e.ItemID, ref.Kind)
				continue
			}
			q = append(q, t)
		}
	}
	return q
}

// MessageOf turns a content text item into a Message.
func MessageOf(t content.Text) Message {
	c := dots.Red
	switch t.Colour {
	case content.ColourGreen:
		c = dots.Green
	case content.ColourYellow, content.ColourWhite:
		c = dots.Yellow // red and green together: the brightest a dual board mixes
	}
	m := Text(t.Body, c)
	switch t.Effect {
	case content.EffectScrollLeft:
		m.Effect = bx.EffectScrollLeft
	case content.EffectScrollUp:
		m.Effect = bx.EffectScrollUp
	case content.EffectFlash:
		m.Effect = bx.EffectFlash
	case content.EffectTypewriter:
		m.Effect = bx.EffectQuick
	case content.EffectContinuous:
		m.Effect = bx.EffectContinuousLeft
	default:
		m.Effect = bx.EffectStatic
	}
	// Content speed runs 1 (slowest) .. 8 (fastest), the controllers'
	// 24 (slowest) .. 0 (fastest); 0 leaves it at a middle 12.
	m.Speed = 12
	if t.Speed >= 1 && t.Speed <= 8 {
		m.Speed = uint8((8 - t.Speed) * 3)
	}
	if t.StaySeconds > 0 {
		m.Stay = time.Duration(t.StaySeconds) * time.Second
	}
	return m
}

type waitResult int

const (
	waitTimeUp waitResult = iota
	waitReload
	waitCancelled
)

// wait sleeps until until (zero: for ever), applying the brightness
// schedule on the way, and returns early on Load or when ctx ends.
func (p *Player) wait(ctx context.Context, until time.Time, trusted bool) waitResult {
	for {
		now := p.cfg.Clock.Now()
		p.brightness(ctx, now, trusted)
		if !until.IsZero() && !now.Before(until) {
			return waitTimeUp
		}
		target := until
		if next := p.nextBrightness(now, trusted); !next.IsZero() && (target.IsZero() || next.Before(target)) {
			target = next
		}
		var fire <-chan time.Time
		var tm Timer
		if !target.IsZero() {
			tm = p.cfg.Clock.NewTimer(target.Sub(now))
			fire = tm.C()
		}
		select {
		case <-fire:
		case <-p.wake:
			stopTimer(tm)
			return waitReload
		case <-ctx.Done():
			stopTimer(tm)
			return waitCancelled
		}
	}
}

// stopTimer is Stop on a timer that may be nil.
func stopTimer(t Timer) {
	if t != nil {
		t.Stop()
	}
}

// brightness sets the level the schedule gives for now, when it differs
// from the level last set.
func (p *Player) brightness(ctx context.Context, now time.Time, trusted bool) {
	if p.cfg.Brightness == nil {
		return
	}
	level := p.cfg.UntrustedLevel
	if trusted {
		level = p.cfg.Brightness[slot(now.In(p.cfg.Location))]
	}
	if p.level == int(level) {
		return
	}
	if err := p.cfg.Screen.SetBrightness(ctx, level); err != nil {
		p.report(fmt.Errorf("display: setting brightness %d: %w", level, err))
		return
	}
	p.level = int(level)
	p.logf("brightness %d/15", level)
}

func slot(t time.Time) int { return t.Hour()*2 + t.Minute()/30 }

// nextBrightness is the next half-hour boundary after now at which the
// scheduled level changes; zero when it never does (or cannot be known).
func (p *Player) nextBrightness(now time.Time, trusted bool) time.Time {
	if p.cfg.Brightness == nil || !trusted {
		return time.Time{}
	}
	t := now.In(p.cfg.Location)
	cur := p.cfg.Brightness[slot(t)]
	b := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute()/30*30, 0, 0, p.cfg.Location)
	for range 48 {
		b = b.Add(30 * time.Minute)
		if p.cfg.Brightness[slot(b)] != cur {
			return b
		}
	}
	return time.Time{}
}
