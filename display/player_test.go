package display

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"lawpoint/content"
	"lawpoint/display/bx"
)

// fakeClock moves only when the test says so. Timers fire, in order, when
// Advance passes their instant.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	cond   *sync.Cond
	seq    int // timers made so far
	seen   int // seq of the last timer waitIdle returned
	fired  int // seq of the last timer step fired
}

type fakeTimer struct {
	c   *fakeClock
	at  time.Time
	ch  chan time.Time
	seq int
}

func newFakeClock(t time.Time) *fakeClock {
	c := &fakeClock{now: t}
	c.cond = sync.NewCond(&c.mu)
	return c
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &fakeTimer{c: c, at: c.now.Add(d), ch: make(chan time.Time, 1), seq: c.seq}
	if d <= 0 {
		t.ch <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	c.cond.Broadcast()
	return t
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	i := slices.Index(c.timers, t)
	if i < 0 {
		return false
	}
	c.timers = slices.Delete(c.timers, i, i+1)
	c.cond.Broadcast()
	return true
}

// waitIdle blocks until the player sleeps on exactly one timer made since
// the last waitIdle (it has done everything due now).
func (c *fakeClock) waitIdle() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.timers) != 1 || c.timers[0].seq <= c.seen {
		c.cond.Wait()
	}
	c.seen = c.timers[0].seq
	return c.timers[0].at
}

// step waits for the player to sleep, moves the clock to its wake-up
// instant and fires the timer. It returns that instant.
func (c *fakeClock) step() time.Time {
	c.mu.Lock()
	for len(c.timers) != 1 || c.timers[0].seq <= c.fired {
		c.cond.Wait()
	}
	t := c.timers[0]
	at := t.at
	c.now = at
	c.fired, c.seen = t.seq, t.seq
	c.timers = c.timers[:0]
	c.mu.Unlock()
	t.ch <- at
	return at
}

// fakeScreen records what the player shows.
type fakeScreen struct {
	clock  *fakeClock
	mu     sync.Mutex
	shows  []string
	bright []string
}

func (s *fakeScreen) Show(_ context.Context, _ Area, m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shows = append(s.shows, s.clock.Now().Format("15:04:05")+" "+m.String())
	return nil
}

func (s *fakeScreen) SetBrightness(_ context.Context, level uint8) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bright = append(s.bright, fmt.Sprintf("%s %d", s.clock.Now().Format("15:04"), level))
	return nil
}

func (s *fakeScreen) got() ([]string, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.shows), slices.Clone(s.bright)
}

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// playSet: the fallback plays 宪法 (10 s) then 民法典 (20 s); a noon
// schedule plays 调解 (15 s) from 12:00 to 12:01.
func playSet() *content.Set {
	return &content.Set{
		Items: []content.Item{
			content.NewText("t-xianfa", 1, content.Text{Body: "宪法"}),
			content.NewText("t-minfadian", 1, content.Text{Body: "民法典", Colour: content.ColourGreen}),
			content.NewText("t-tiaojie", 1, content.Text{Body: "调解", Effect: content.EffectScrollLeft, Speed: 8}),
		},
		Programmes: []content.Programme{
			{ID: "p-default", Entries: []content.Entry{{ItemID: "t-xianfa", Seconds: 10}, {ItemID: "t-minfadian", Seconds: 20}}},
			{ID: "p-noon", Entries: []content.Entry{{ItemID: "t-tiaojie", Seconds: 15}}},
		},
		Schedules: []content.Schedule{{ID: "s-noon", ProgrammeID: "p-noon", Priority: 10,
			Target: content.Target{Kinds: []string{content.DeviceLED}}, Weekdays: content.EveryDay,
			Windows: []content.Window{{Start: content.Clock(12, 0, 0), End: content.Clock(12, 1, 0)}}}},
		Fallbacks: map[string]string{content.DeviceLED: "p-default"},
	}
}

var ledDev = content.Device{ID: "led-test", Kind: content.DeviceLED, Region: "仙游县/榜头镇/坝下村"}

type proofs struct {
	mu sync.Mutex
	p  []Proof
}

func (p *proofs) add(x Proof) { p.mu.Lock(); p.p = append(p.p, x); p.mu.Unlock() }

func (p *proofs) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, x := range p.p {
		out = append(out, fmt.Sprintf("%s %s %v", x.ItemID, x.Start.In(shanghai).Format("15:04:05"), x.Duration))
	}
	return out
}

// startPlayer runs a player on a fake clock; before runs first (e.g. a Load
// that must be in place before the player's first sleep).
func startPlayer(t *testing.T, start time.Time, cfg PlayerConfig, before ...func(*Player)) (*Player, *fakeClock, *fakeScreen, *proofs) {
	t.Helper()
	clk := newFakeClock(start)
	scr := &fakeScreen{clock: clk}
	pr := &proofs{}
	cfg.Screen, cfg.Clock, cfg.Proof = scr, clk, pr.add
	cfg.Location = shanghai
	p, err := NewPlayer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range before {
		f(p)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("Run returned %v", err)
		}
	})
	return p, clk, scr, pr
}

// planOf compiles set for the LED board from start over horizon, with the
// references of its items, as the device agent loads a player.
func planOf(t *testing.T, start time.Time, horizon time.Duration, set *content.Set) (*content.Plan, []content.ItemRef) {
	t.Helper()
	plan, err := content.MakePlan(ledDev, start, horizon, set)
	if err != nil {
		t.Fatal(err)
	}
	var items []content.ItemRef
	for _, it := range set.Items {
		items = append(items, content.RefOf(it))
	}
	return plan, items
}

func TestPlayerSwitchesAtTheChangeInstants(t *testing.T) {
	start := time.Date(2024, 12, 4, 11, 59, 0, 0, shanghai)
	plan, items := planOf(t, start, time.Hour, playSet())
	p, clk, scr, pr := startPlayer(t, start, PlayerConfig{})
	p.Load(plan, items)
	var wakes []string
	for clk.Now().Before(time.Date(2024, 12, 4, 12, 1, 10, 0, shanghai)) {
		wakes = append(wakes, clk.step().In(shanghai).Format("15:04:05"))
	}
	clk.waitIdle()
	shows, _ := scr.got()
	want := []string{
		"11:59:00 宪法", "11:59:10 民法典", "11:59:30 宪法", "11:59:40 民法典",
		"12:00:00 调解", "12:00:15 调解", "12:00:30 调解", "12:00:45 调解",
		"12:01:00 宪法", "12:01:10 民法典",
	}
	if !slices.Equal(shows, want) {
		t.Fatalf("shows\n%s\nwant\n%s", strings.Join(shows, "\n"), strings.Join(want, "\n"))
	}
	// It slept exactly until each change, never polling in between.
	wantWakes := []string{"11:59:10", "11:59:30", "11:59:40", "12:00:00", "12:00:15", "12:00:30", "12:00:45", "12:01:00", "12:01:10"}
	if !slices.Equal(wakes, wantWakes) {
		t.Fatalf("woke at %v, want %v", wakes, wantWakes)
	}
	wantProof := []string{
		"t-xianfa 11:59:00 10s", "t-minfadian 11:59:10 20s", "t-xianfa 11:59:30 10s", "t-minfadian 11:59:40 20s",
		"t-tiaojie 12:00:00 15s", "t-tiaojie 12:00:15 15s", "t-tiaojie 12:00:30 15s", "t-tiaojie 12:00:45 15s",
		"t-xianfa 12:01:00 10s",
	}
	if got := pr.list(); !slices.Equal(got, wantProof) {
		t.Fatalf("proof of play\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantProof, "\n"))
	}
}

// The noon programme's window ends at 12:01 in the middle of an item: the
// item is cut there, and its proof says how long it really showed.
func TestPlayerCutsAnItemAtTheChangeInstant(t *testing.T) {
	start := time.Date(2024, 12, 4, 11, 59, 55, 0, shanghai)
	plan, items := planOf(t, start, time.Hour, playSet())
	p, clk, _, pr := startPlayer(t, start, PlayerConfig{})
	p.Load(plan, items)
	if at := clk.step(); !at.Equal(time.Date(2024, 12, 4, 12, 0, 0, 0, shanghai)) {
		t.Fatalf("first wake at %v, want 12:00:00 (the change), not 12:00:05", at)
	}
	clk.waitIdle()
	if got := pr.list(); !slices.Equal(got, []string{"t-xianfa 11:59:55 5s"}) {
		t.Fatalf("proof %v", got)
	}
}

// An emergency notice handed to the player interrupts what shows at once,
// without waiting for the item's airtime to end.
func TestPlayerInterruptsForAnEmergencyNotice(t *testing.T) {
	start := time.Date(2024, 12, 4, 9, 0, 0, 0, shanghai)
	set := playSet()
	plan, items := planOf(t, start, time.Hour, set)
	p, clk, scr, pr := startPlayer(t, start, PlayerConfig{NoticeTurn: 20 * time.Second})
	p.Load(plan, items)
	clk.step() // 09:00:10: 民法典 starts
	clk.waitIdle()
	// Two seconds into 民法典 the county issues a notice.
	clk.mu.Lock()
	clk.now = clk.now.Add(2 * time.Second)
	clk.mu.Unlock()
	set.Notices = []content.Notice{{ID: "n-flood", Text: "台风预警：请勿外出", Regions: []string{"仙游县"},
		Start: start, Expiry: start.Add(30 * time.Minute)}}
	plan2, err := content.MakePlan(ledDev, clk.Now(), time.Hour, set)
	if err != nil {
		t.Fatal(err)
	}
	p.Load(plan2, items)
	clk.waitIdle()
	shows, _ := scr.got()
	if last := shows[len(shows)-1]; last != "09:00:12 台风预警：请勿外出" {
		t.Fatalf("last show %q, want the notice at once (09:00:12)", last)
	}
	if got := pr.list(); !slices.Equal(got, []string{"t-xianfa 09:00:00 10s", "t-minfadian 09:00:10 2s"}) {
		t.Fatalf("proof %v: the interrupted item should count 2 s", got)
	}
	if at := clk.step(); !at.Equal(time.Date(2024, 12, 4, 9, 0, 32, 0, shanghai)) {
		t.Fatalf("notice turn ended at %v, want 09:00:32", at)
	}
	clk.waitIdle()
	if got := pr.list(); got[len(got)-1] != "notice/n-flood 09:00:12 20s" {
		t.Fatalf("proof %v", got)
	}
}

func TestPlayerDimsAtNight(t *testing.T) {
	var sched [48]uint8
	for i := range sched {
		sched[i] = 15 // day
		if i >= 2*19 || i < 2*6 {
			sched[i] = 3 // 19:00-06:00
		}
	}
	start := time.Date(2024, 12, 4, 18, 59, 50, 0, shanghai)
	set := playSet()
	set.Programmes[0].Entries = []content.Entry{{ItemID: "t-xianfa", Seconds: 3600}}
	plan, items := planOf(t, start, 24*time.Hour, set)
	// Loaded before the player first sleeps: otherwise its empty-plan sleep
	// until the 19:00 dimming could be the timer the test fires first.
	p, clk, scr, _ := startPlayer(t, start, PlayerConfig{Brightness: &sched}, func(p *Player) { p.Load(plan, items) })
	var wakes []string
	for range 4 {
		wakes = append(wakes, clk.step().In(shanghai).Format("15:04:05"))
	}
	clk.waitIdle()
	_, bright := scr.got()
	if want := []string{"18:59 15", "19:00 3"}; !slices.Equal(bright, want) {
		t.Fatalf("brightness %v, want %v", bright, want)
	}
	// Woken at 19:00 for the dimming and at the hourly item changes, and
	// not at every half hour in between.
	if want := []string{"19:00:00", "19:59:50", "20:59:50", "21:59:50"}; !slices.Equal(wakes, want) {
		t.Fatalf("woke at %v, want %v", wakes, want)
	}
	// An untrusted clock cannot tell night from day: the brightest level.
	p.SetClockTrusted(false)
	clk.waitIdle()
	_, bright = scr.got()
	if bright[len(bright)-1] != "21:59 15" {
		t.Fatalf("untrusted clock brightness %v", bright)
	}
}

// Items that cannot show are reported and skipped, and play goes on.
func TestPlayerReportsItemsItCannotShow(t *testing.T) {
	m, _ := bx.LookupModel("bx-5k1")
	b, err := NewBoard(Config{Model: m, Width: 64, Height: 16, Backoff: time.Millisecond}) // no port: every show fails
	if err != nil {
		t.Fatal(err)
	}
	clk := newFakeClock(time.Date(2024, 12, 4, 9, 0, 0, 0, shanghai))
	var errs []string
	var mu sync.Mutex
	p, _ := NewPlayer(PlayerConfig{Screen: b, Clock: clk, Errors: func(err error) { mu.Lock(); errs = append(errs, err.Error()); mu.Unlock() }})
	set := playSet()
	plan, items := planOf(t, clk.Now(), time.Hour, set)
	p.Load(plan, items)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	clk.step()
	clk.waitIdle()
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	sort.Strings(errs)
	if len(errs) != 2 || !strings.Contains(errs[0], "no port") {
		t.Fatalf("errors %q", errs)
	}
}

// slowScreen blocks in Show until its context ends or it is released, as a
// driver does while a large page crawls down a 9600-baud line.
type slowScreen struct {
	fakeScreen
	block   chan struct{} // closed: Show no longer blocks
	started chan string
	aborted chan string
}

func (s *slowScreen) Show(ctx context.Context, a Area, m Message) error {
	select {
	case <-s.block:
		return s.fakeScreen.Show(ctx, a, m)
	default:
	}
	s.started <- m.String()
	select {
	case <-ctx.Done():
		s.aborted <- m.String()
		return ctx.Err()
	case <-s.block:
		return s.fakeScreen.Show(ctx, a, m)
	}
}

// A notice that arrives while a long send is on the line stops that send:
// the notice does not wait for the old page to finish crawling down it.
func TestPlayerNoticeStopsASendInProgress(t *testing.T) {
	start := time.Date(2024, 12, 4, 9, 0, 0, 0, shanghai)
	set := playSet()
	plan, items := planOf(t, start, time.Hour, set)
	clk := newFakeClock(start)
	scr := &slowScreen{fakeScreen: fakeScreen{clock: clk}, block: make(chan struct{}),
		started: make(chan string, 4), aborted: make(chan string, 4)}
	p, err := NewPlayer(PlayerConfig{Screen: scr, Clock: clk, Location: shanghai})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() { cancel(); <-done }()

	p.Load(plan, items)
	if got := <-scr.started; !strings.Contains(got, "宪法") {
		t.Fatalf("first send %q", got)
	}
	set.Notices = []content.Notice{{ID: "n-flood", Text: "台风预警：请勿外出", Regions: []string{"仙游县"},
		Start: start, Expiry: start.Add(30 * time.Minute)}}
	plan2, err := content.MakePlan(ledDev, start, time.Hour, set)
	if err != nil {
		t.Fatal(err)
	}
	p.Load(plan2, items)
	select {
	case got := <-scr.aborted:
		if !strings.Contains(got, "宪法") {
			t.Fatalf("aborted %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the send in progress was not stopped by the new plan")
	}
	close(scr.block) // from now on the line is fast
	clk.waitIdle()
	shows, _ := scr.got()
	if len(shows) == 0 || !strings.Contains(shows[len(shows)-1], "台风预警") {
		t.Fatalf("shows %v: want the notice on the board", shows)
	}
}
