package flow

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Config tunes the kiosk's behaviour. Zero fields take the defaults.
type Config struct {
	// IdleWarn is how long without a touch before "还在使用吗？" (45 s).
	IdleWarn time.Duration
	// IdleReset is how long without a touch before going home and
	// forgetting what was entered (60 s).
	IdleReset time.Duration
	// ThanksHold is how long the thanks screen stays before home (8 s).
	ThanksHold time.Duration
	// TapGuard ignores taps this soon after the screen changed, so a
	// double tap does not also press the next screen's button (400 ms).
	// Negative disables it.
	TapGuard time.Duration
	// CallTimeout bounds each service call (issue, book, print, rate) (20 s).
	CallTimeout time.Duration
	// BookingDays is how many days, from today, can be booked (6).
	BookingDays int
	// BookingServices are the services offered for video consultation
	// (法律咨询, 法律援助, 人民调解, 公证咨询).
	BookingServices []string
	// Paginate splits an article body into pages that fit the screen; the
	// kiosk sets it from its layout. The default cuts every 120 characters.
	Paginate func(body string) []string
	// NoticeHold is how long a late booking outcome stays on the home
	// screen (unless 知道了 is tapped first) (10 min).
	NoticeHold time.Duration
	// VideoEarly is how long before a consultation's start 开始视频咨询 is
	// offered (10 min); it is offered until the slot ends.
	VideoEarly time.Duration
	// RateOfferHold is how long 去评价 stays on the home screen after a
	// video call (5 min).
	RateOfferHold time.Duration
	// Now is the clock (time.Now).
	Now func() time.Time
	// Sync runs service calls inline instead of on goroutines (tests).
	Sync bool
	// Notify is called, from any goroutine, when a service call finished
	// and Drain has something to apply (the kiosk schedules a frame).
	Notify func()
}

// Defaults.
const (
	DefaultIdleWarn    = 45 * time.Second
	DefaultIdleReset   = 60 * time.Second
	DefaultThanksHold  = 8 * time.Second
	DefaultTapGuard    = 400 * time.Millisecond
	DefaultCallTimeout = 20 * time.Second
	DefaultBookingDays = 6
	DefaultNoticeHold  = 10 * time.Minute
	DefaultVideoEarly  = 10 * time.Minute
	DefaultRateOffer   = 5 * time.Minute
)

// DefaultBookingServices are the services offered for video consultation.
var DefaultBookingServices = []string{"法律咨询", "法律援助", "人民调解", "公证咨询"}

func (c Config) withDefaults() Config {
	if c.IdleWarn <= 0 {
		c.IdleWarn = DefaultIdleWarn
	}
	if c.IdleReset <= 0 {
		c.IdleReset = DefaultIdleReset
	}
	if c.IdleReset < c.IdleWarn {
		c.IdleReset = c.IdleWarn
	}
	if c.ThanksHold <= 0 {
		c.ThanksHold = DefaultThanksHold
	}
	if c.TapGuard == 0 {
		c.TapGuard = DefaultTapGuard
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	if c.BookingDays <= 0 {
		c.BookingDays = DefaultBookingDays
	}
	if len(c.BookingServices) == 0 {
		c.BookingServices = DefaultBookingServices
	}
	if c.Paginate == nil {
		c.Paginate = func(body string) []string { return cutRunes(body, 120) }
	}
	if c.NoticeHold <= 0 {
		c.NoticeHold = DefaultNoticeHold
	}
	if c.VideoEarly <= 0 {
		c.VideoEarly = DefaultVideoEarly
	}
	if c.RateOfferHold <= 0 {
		c.RateOfferHold = DefaultRateOffer
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// screen is one flow (ticket, booking, education, rating): a state machine
// with steps. The App holds at most one; home is no flow at all.
type screen interface {
	view(a *App) View
	// tap handles a target that is not 返回, 首页 or the idle prompt.
	tap(a *App, id string)
	// back goes one step back; false means leave the flow (home).
	back(a *App) bool
	// tick lets a step act on time (the thanks screen returns home).
	tick(a *App, now time.Time)
	// wake is when tick next wants to run; zero for never.
	wake(a *App) time.Time
	// leave releases what the flow holds (an ongoing read-aloud).
	leave()
}

// App is the kiosk's state: the current screen, the idle timer and the
// results of service calls. It is not safe for concurrent use: call it from
// the UI goroutine only (results of service calls are handed over through
// Drain, which is).
type App struct {
	cfg Config
	svc Services
	ctx context.Context

	cur       screen // nil: home
	lastTouch time.Time
	changedAt time.Time // when the screen last changed (tap guard)
	idle      bool      // the idle prompt is shown

	// The home screen's band (video.go).
	offer        *rateOffer
	outcomes     []Booking // late outcomes waiting to be shown at home
	outcomeUntil time.Time // when the outcome shown goes (zero: not shown yet)

	mu     sync.Mutex
	posted []func()
}

// New returns an App on the home screen.
func New(svc Services, cfg Config) *App {
	if svc.Queue == nil {
		svc.Queue = noQueue{}
	}
	if svc.Bookings == nil {
		svc.Bookings = noBookings{}
	}
	if svc.Content == nil {
		svc.Content = noContent{}
	}
	if svc.Ratings == nil {
		svc.Ratings = noRatings{}
	}
	a := &App{cfg: cfg.withDefaults(), svc: svc, ctx: context.Background()}
	now := a.cfg.Now()
	a.lastTouch, a.changedAt = now, now.Add(-time.Hour)
	if u := svc.Updates; u != nil && a.cfg.Notify != nil {
		if ch := u.Changes(); ch != nil {
			// A late outcome or a new consultation: the kiosk draws a frame,
			// whose Tick takes it. Lives as long as the process (one App).
			go func() {
				for range ch {
					a.cfg.Notify()
				}
			}()
		}
	}
	return a
}

// Config is the configuration in use, defaults filled in.
func (a *App) Config() Config { return a.cfg }

// Tap handles a tap on target (a Button's ID). Taps on unknown or disabled
// targets are ignored.
func (a *App) Tap(target string) {
	now := a.cfg.Now()
	if a.idle {
		// Any touch answers the prompt; the tap is not passed on, so a
		// stray touch cannot press the button under the prompt.
		a.idle = false
		a.lastTouch = now
		a.changedAt = now
		return
	}
	a.lastTouch = now
	if a.cfg.TapGuard > 0 && now.Sub(a.changedAt) < a.cfg.TapGuard {
		return
	}
	if b, ok := a.View().Find(target); !ok || b.Disabled {
		return
	}
	before := a.View().Screen
	switch {
	case target == TargetHome || target == TargetDone:
		a.goHome()
	case target == TargetBack && a.cur != nil:
		if !a.cur.back(a) {
			a.goHome()
		}
	case a.cur == nil:
		a.tapHome(target)
	default:
		a.cur.tap(a, target)
	}
	a.drainIfSync()
	if a.View().Screen != before {
		a.changedAt = now
	}
}

// Tick moves time on: the idle prompt at IdleWarn, home at IdleReset, the
// thanks screen's return. The kiosk calls it at NextWake and on every frame.
func (a *App) Tick(now time.Time) {
	a.takeOutcomes()
	if a.cur == nil {
		a.idle = false
		a.homeTick(a.cfg.Now()) // the clock the band's times were set by
		return
	}
	if h, ok := a.cur.(interface{ holdsIdle() bool }); ok && h.holdsIdle() {
		a.idle, a.lastTouch = false, now
		a.drainIfSync()
		return
	}
	quiet := now.Sub(a.lastTouch)
	switch {
	case quiet >= a.cfg.IdleReset:
		a.goHome()
		a.changedAt = now
		return
	case quiet >= a.cfg.IdleWarn:
		a.idle = true
	}
	before := a.cur
	a.cur.tick(a, now)
	if a.cur != before {
		a.changedAt = now
	}
	a.drainIfSync()
}

// NextWake is when Tick next changes what is shown (zero: nothing pending
// but a touch). With the idle prompt up it is the next countdown second.
func (a *App) NextWake() time.Time {
	if a.cur == nil {
		return a.homeWake(a.cfg.Now())
	}
	if h, ok := a.cur.(interface{ holdsIdle() bool }); ok && h.holdsIdle() {
		return time.Time{} // the call's end wakes the kiosk (Notify)
	}
	var t time.Time
	if a.idle {
		left := a.lastTouch.Add(a.cfg.IdleReset).Sub(a.cfg.Now())
		step := left - left.Truncate(time.Second)
		if step <= 0 {
			step = time.Second
		}
		t = a.cfg.Now().Add(min(step, max(left, 0)))
	} else {
		t = a.lastTouch.Add(a.cfg.IdleWarn)
	}
	if w := a.cur.wake(a); !w.IsZero() && w.Before(t) {
		t = w
	}
	return t
}

// StartRating opens the rating screen for a ticket or booking that has just
// been served (either may be empty).
func (a *App) StartRating(ticketID, bookingCode string) {
	a.switchTo(newRating(ticketID, bookingCode))
	a.lastTouch = a.cfg.Now()
}

// Home goes to the home screen and forgets whatever was entered.
func (a *App) Home() { a.goHome() }

// Drain applies the results of finished service calls. Call it from the UI
// goroutine (the kiosk does in Update); it reports whether anything changed.
func (a *App) Drain() bool {
	a.mu.Lock()
	fs := a.posted
	a.posted = nil
	a.mu.Unlock()
	for _, f := range fs {
		f()
	}
	return len(fs) > 0
}

func (a *App) drainIfSync() {
	if a.cfg.Sync {
		for a.Drain() {
		}
	}
}

// call runs a service call off the UI goroutine (inline with Config.Sync);
// its result is applied by Drain, but only while flow s is still current.
func (a *App) call(s screen, job func(ctx context.Context) func()) {
	a.callWith(s, func() (context.Context, context.CancelFunc) { return context.WithTimeout(a.ctx, a.cfg.CallTimeout) }, job)
}

// callWith is call with the context from mk (a video call has no time limit).
func (a *App) callWith(s screen, mk func() (context.Context, context.CancelFunc), job func(ctx context.Context) func()) {
	run := func() {
		ctx, cancel := mk()
		apply := job(ctx)
		cancel()
		a.mu.Lock()
		a.posted = append(a.posted, func() {
			if a.cur == s && apply != nil {
				apply()
			}
		})
		a.mu.Unlock()
		if a.cfg.Notify != nil {
			a.cfg.Notify()
		}
	}
	if a.cfg.Sync {
		run()
		return
	}
	go run()
}

func (a *App) switchTo(s screen) {
	if a.cur != nil {
		a.cur.leave()
	}
	a.cur = s
	a.idle = false
}

func (a *App) goHome() {
	a.switchTo(nil)
	a.takeOutcomes()
}

// View is what to draw now.
func (a *App) View() View {
	var v View
	if a.cur == nil {
		v = a.homeView()
	} else {
		v = a.cur.view(a)
		v.Nav = true
		if n, ok := a.cur.(interface{ navless() bool }); ok && n.navless() {
			v.Nav = false
		}
	}
	if q := a.svc.Queue; q != nil {
		if num, win, ok := q.CurrentCall(); ok && num != "" {
			v.Call = fmt.Sprintf("请 %s 号到 %s 号窗口", num, win)
		}
	}
	if a.idle && a.cur != nil {
		left := a.lastTouch.Add(a.cfg.IdleReset).Sub(a.cfg.Now())
		secs := int((left + time.Second - 1) / time.Second)
		v.Idle = &Idle{
			Question:  "还在使用吗？",
			Countdown: fmt.Sprintf("%d秒后回到首页", max(secs, 0)),
			Stay:      Button{ID: TargetStay, Label: "还在用", Tone: TonePrimary},
		}
	}
	return v
}

func (a *App) homeView() View {
	v := View{
		Screen: ScreenHome,
		Tiles: []Button{
			{ID: TargetTicket, Label: "取号", Sub: "排队办事", Icon: IconTicket, Tone: ToneTicket},
			{ID: TargetBooking, Label: "预约视频咨询", Sub: "和律师视频说", Icon: IconVideo, Tone: ToneBooking},
			{ID: TargetEducation, Label: "法治宣传", Sub: "看看法律知识", Icon: IconBook, Tone: ToneEducation},
			{ID: TargetRating, Label: "服务评价", Sub: "说说满不满意", Icon: IconRate, Tone: ToneRating},
		},
	}
	info := Info{Hotline: "12348"}
	if a.svc.Info != nil {
		info = a.svc.Info.Info()
	}
	v.Title = info.PointName
	if v.Title == "" {
		v.Title = "村法律服务联系点"
	}
	hot := info.Hotline
	if hot == "" {
		hot = "12348"
	}
	v.Info = append(v.Info, Field{Label: "法律服务热线：", Value: hot})
	if info.AdviserOnDuty != "" {
		v.Info = append(v.Info, Field{Label: "今天值班：", Value: info.AdviserOnDuty})
	}
	a.homeBand(&v, a.cfg.Now())
	return v
}

func (a *App) tapHome(target string) {
	switch target {
	case TargetTicket:
		a.switchTo(newTicketFlow(a))
	case TargetBooking:
		a.switchTo(newBookingFlow(a))
	case TargetEducation:
		a.switchTo(newEducation(a))
	case TargetRating:
		a.switchTo(newRating("", ""))
	default:
		a.tapBand(target, a.cfg.Now())
	}
}

// UserMessage is the part of err a villager can read: the message of an
// error implementing `UserMessage() string` if there is one in the chain,
// else the first ": "-separated part of err's text written in Chinese, else
// fallback.
func UserMessage(err error, fallback string) string {
	if err == nil {
		return ""
	}
	var um interface{ UserMessage() string }
	if errors.As(err, &um) && um.UserMessage() != "" {
		return um.UserMessage()
	}
	for _, part := range strings.Split(err.Error(), ": ") {
		for _, r := range part {
			if unicode.Is(unicode.Han, r) {
				return strings.TrimSpace(part)
			}
		}
	}
	return fallback
}

// MaskPhone shows a phone number as 138****5678.
func MaskPhone(p string) string {
	r := []rune(p)
	if len(r) < 8 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
}

// ValidPhone checks a mainland mobile number: 11 digits starting 1[3-9].
// The error is for the villager.
func ValidPhone(p string) error {
	for _, r := range p {
		if r < '0' || r > '9' {
			return errors.New("号码里只能有数字")
		}
	}
	switch {
	case len(p) == 0:
		return errors.New("请先输入手机号码")
	case len(p) != 11:
		return fmt.Errorf("手机号码是11位，现在是%d位，请检查", len(p))
	case p[0] != '1' || p[1] < '3':
		return errors.New("手机号码要以13到19开头，请检查")
	}
	return nil
}

// page is paging over n items, perPage a page.
type page struct {
	at, perPage int // at: 0-based page
}

func (p page) pages(n int) int { return max(1, (n+p.perPage-1)/p.perPage) }

func (p page) bounds(n int) (lo, hi int) {
	lo = min(p.at*p.perPage, n)
	return lo, min(lo+p.perPage, n)
}

func (p *page) turn(id string, n int) bool {
	switch id {
	case TargetPrev:
		if p.at > 0 {
			p.at--
		}
		return true
	case TargetNext:
		if p.at+1 < p.pages(n) {
			p.at++
		}
		return true
	}
	return false
}

func (p page) pager(n int) *Pager {
	if p.pages(n) <= 1 {
		return nil
	}
	return &Pager{Page: p.at + 1, Pages: p.pages(n)}
}

// choices pages buttons; IDs are ChoiceTarget over the whole list.
func choices(p page, all []Button) ([]Button, *Pager) {
	lo, hi := p.bounds(len(all))
	out := make([]Button, 0, hi-lo)
	for i := lo; i < hi; i++ {
		b := all[i]
		b.ID = ChoiceTarget(i)
		if b.Tone == "" {
			b.Tone = ToneChoice
		}
		out = append(out, b)
	}
	return out, p.pager(len(all))
}

// choiceIndex parses a ChoiceTarget.
func choiceIndex(id string) (int, bool) {
	var i int
	if !strings.HasPrefix(id, targetChoicePrefix) {
		return 0, false
	}
	if _, err := fmt.Sscanf(id[len(targetChoicePrefix):], "%d", &i); err != nil {
		return 0, false
	}
	return i, true
}

func cutRunes(s string, n int) []string {
	r := []rune(s)
	var out []string
	for len(r) > n {
		out = append(out, string(r[:n]))
		r = r[n:]
	}
	return append(out, string(r))
}

var weekdays = [...]string{"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"}

// DayLabel is a date as villagers say it: 今天, 明天, 后天 or 11月30日, and
// the weekday.
func DayLabel(day, today time.Time) (name, weekday string) {
	d := int(dateOf(day).Sub(dateOf(today)).Hours()+12) / 24
	switch d {
	case 0:
		name = "今天"
	case 1:
		name = "明天"
	case 2:
		name = "后天"
	}
	date := fmt.Sprintf("%d月%d日", day.Month(), day.Day())
	if name == "" {
		return date, weekdays[day.Weekday()]
	}
	return name + " " + date, weekdays[day.Weekday()]
}

// ClockLabel is a time of day as 上午9:00 or 下午2:30.
func ClockLabel(t time.Time) string {
	h, m := t.Hour(), t.Minute()
	switch {
	case h < 12:
		return fmt.Sprintf("上午%d:%02d", h, m)
	case h == 12:
		return fmt.Sprintf("中午12:%02d", m)
	case h < 18:
		return fmt.Sprintf("下午%d:%02d", h-12, m)
	default:
		return fmt.Sprintf("晚上%d:%02d", h-12, m)
	}
}

func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// Stand-ins for services that are not wired: the screens say there is
// nothing, rather than crash.
type (
	noQueue    struct{}
	noBookings struct{}
	noContent  struct{}
	noRatings  struct{}
)

func (noQueue) Categories() []Category { return nil }
func (noQueue) Issue(context.Context, string) (Ticket, error) {
	return Ticket{}, errors.New("flow: no queue is configured")
}
func (noQueue) CurrentCall() (string, string, bool) { return "", "", false }
func (noQueue) Changes() <-chan struct{}            { return nil }
func (noBookings) Advisers(string) []Adviser        { return nil }
func (noBookings) Slots(string, time.Time) []Slot   { return nil }
func (noContent) Articles() []Article               { return nil }
func (noRatings) Rate(context.Context, Rating) error {
	return errors.New("flow: no ratings store is configured")
}
func (noBookings) Book(context.Context, BookingRequest) (Booking, error) {
	return Booking{}, errors.New("flow: no booking service is configured")
}
