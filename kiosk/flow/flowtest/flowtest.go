// Package flowtest holds fakes of the services package flow depends on, and
// a clock that tests move by hand. They keep what they were asked, so tests
// can check what reached the services.
package flowtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"lawpoint/kiosk/flow"
)

// Clock is a clock that moves only when told.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// Queue is a fake queue: numbers per prefix from 1, Ahead people waiting.
type Queue struct {
	mu    sync.Mutex
	Cats  []flow.Category
	Ahead int
	Wait  time.Duration
	Err   error // Issue fails with it when set
	// Untrusted marks tickets as issued on a clock that may be wrong.
	Untrusted bool
	Now       func() time.Time
	next      map[string]int
	Issued    []flow.Ticket
	call      [2]string
	changes   chan struct{}
}

// NewQueue returns a queue with the usual four categories.
func NewQueue() *Queue {
	return &Queue{
		Cats: []flow.Category{
			{ID: "consult", Prefix: "A", Name: "法律咨询"},
			{ID: "aid", Prefix: "B", Name: "法律援助"},
			{ID: "mediate", Prefix: "C", Name: "人民调解"},
			{ID: "notary", Prefix: "D", Name: "公证咨询"},
		},
		Ahead:   2,
		Wait:    12 * time.Minute,
		next:    map[string]int{},
		changes: make(chan struct{}, 1),
	}
}

// Categories implements flow.Queue.
func (q *Queue) Categories() []flow.Category { return q.Cats }

// Issue implements flow.Queue.
func (q *Queue) Issue(ctx context.Context, id string) (flow.Ticket, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.Err != nil {
		return flow.Ticket{}, q.Err
	}
	for _, c := range q.Cats {
		if c.ID == id {
			q.next[c.Prefix]++
			t := flow.Ticket{
				ID: fmt.Sprintf("t-%s-%d", c.Prefix, q.next[c.Prefix]), Number: fmt.Sprintf("%s%03d", c.Prefix, q.next[c.Prefix]),
				CategoryName: c.Name, Ahead: q.Ahead, EstWait: q.Wait, ClockTrusted: !q.Untrusted,
			}
			if q.Now != nil {
				t.IssuedAt = q.Now()
			}
			q.Issued = append(q.Issued, t)
			return t, nil
		}
	}
	return flow.Ticket{}, fmt.Errorf("flowtest: no category %q", id)
}

// Call sets the ticket being called.
func (q *Queue) Call(number, window string) {
	q.mu.Lock()
	q.call = [2]string{number, window}
	q.mu.Unlock()
	select {
	case q.changes <- struct{}{}:
	default:
	}
}

// CurrentCall implements flow.Queue.
func (q *Queue) CurrentCall() (string, string, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.call[0], q.call[1], q.call[0] != ""
}

// Changes implements flow.Queue.
func (q *Queue) Changes() <-chan struct{} { return q.changes }

// Printer is a fake printer that fails with Err when set.
type Printer struct {
	mu       sync.Mutex
	Err      error
	Tickets  []flow.Ticket
	Bookings []flow.Booking
}

// PrintTicket implements flow.Printer.
func (p *Printer) PrintTicket(_ context.Context, t flow.Ticket) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Err != nil {
		return p.Err
	}
	p.Tickets = append(p.Tickets, t)
	return nil
}

// PrintBooking implements flow.Printer.
func (p *Printer) PrintBooking(_ context.Context, b flow.Booking) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Err != nil {
		return p.Err
	}
	p.Bookings = append(p.Bookings, b)
	return nil
}

// Bookings is a fake booking service. Slots maps an adviser ID to the free
// slot start times; a day's slots are those falling on it. Book answers
// with Status (confirmed by default), or Err.
type Bookings struct {
	mu       sync.Mutex
	List     []flow.Adviser
	Free     map[string][]time.Time
	Status   flow.BookingStatus
	Err      error
	Requests []flow.BookingRequest
}

// NewBookings returns two advisers (the village's own listed second, so
// tests see the flow put it first) with free slots on the given days at
// 9:00, 9:30, 10:00 and 14:30.
func NewBookings(days ...time.Time) *Bookings {
	b := &Bookings{
		List: []flow.Adviser{
			{ID: "lawyer-chen", Name: "陈建华", Title: "律师"},
			{ID: "adviser-lin", Name: "林志明", Title: "法律顾问", Own: true},
		},
		Free: map[string][]time.Time{},
	}
	for _, d := range days {
		y, m, dd := d.Date()
		for _, hm := range [][2]int{{9, 0}, {9, 30}, {10, 0}, {14, 30}} {
			t := time.Date(y, m, dd, hm[0], hm[1], 0, 0, d.Location())
			for _, a := range b.List {
				b.Free[a.ID] = append(b.Free[a.ID], t)
			}
		}
	}
	return b
}

// Advisers implements flow.Bookings.
func (b *Bookings) Advisers(string) []flow.Adviser { return b.List }

// Slots implements flow.Bookings.
func (b *Bookings) Slots(adviser string, day time.Time) []flow.Slot {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []flow.Slot
	y, m, d := day.Date()
	for _, t := range b.Free[adviser] {
		if ty, tm, td := t.Date(); ty == y && tm == m && td == d {
			out = append(out, flow.Slot{ID: adviser + "@" + t.Format(time.RFC3339), Start: t, End: t.Add(30 * time.Minute)})
		}
	}
	return out
}

// Book implements flow.Bookings.
func (b *Bookings) Book(_ context.Context, req flow.BookingRequest) (flow.Booking, error) {
	b.mu.Lock()
	b.Requests = append(b.Requests, req)
	st, err := b.Status, b.Err
	b.mu.Unlock()
	if err != nil {
		return flow.Booking{}, err
	}
	switch st {
	case flow.BookingTaken:
		var next []flow.Slot
		for _, s := range b.Slots(req.AdviserID, req.Slot.Start) {
			if s.Start.After(req.Slot.Start) {
				next = append(next, s)
			}
		}
		return flow.Booking{Status: st, NextSlots: next}, nil
	case "":
		st = flow.BookingConfirmed
	}
	return flow.Booking{Code: "K7Q2", Status: st}, nil
}

// Content is a fixed list of articles.
type Content []flow.Article

// Articles implements flow.Content.
func (c Content) Articles() []flow.Article { return c }

// Ratings keeps the ratings it got.
type Ratings struct {
	mu  sync.Mutex
	Got []flow.Rating
	Err error
}

// Rate implements flow.Ratings.
func (r *Ratings) Rate(_ context.Context, rt flow.Rating) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Err != nil {
		return r.Err
	}
	r.Got = append(r.Got, rt)
	return nil
}

// Speaker records what it was asked to read; with Hold it waits for the
// context to end, like a long reading that is stopped.
type Speaker struct {
	mu   sync.Mutex
	Said []string
	Hold bool
}

// Speak implements flow.Speaker.
func (s *Speaker) Speak(ctx context.Context, text string) error {
	s.mu.Lock()
	s.Said = append(s.Said, text)
	s.mu.Unlock()
	if s.Hold {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

// ErrPaperOut is what a printer out of paper says.
var ErrPaperOut = errors.New("escpos: 打印机缺纸")

// MyBookings is a fake of the fleet's lookup, cancel and reschedule by code
// and phone: one booking (Booking) under Code and Phone; a wrong code or
// phone is flow.ErrBookingNotFound, and after Misses of them in a row
// flow.ErrTooManyTries. Taken, when set, refuses the next reschedule with
// those next slots.
type MyBookings struct {
	mu      sync.Mutex
	Booking flow.BookingInfo
	Phone   string
	Misses  int // wrong tries before ErrTooManyTries (0: never)
	Err     error
	Taken   []flow.Slot
	missed  int
	Calls   []string // "lookup K7M2QX", "cancel K7M2QX", "move K7M2QX 2025-11-28T14:30"
}

func (m *MyBookings) check(what, code, phone string) error {
	m.Calls = append(m.Calls, what+" "+code)
	if m.Err != nil {
		return m.Err
	}
	if m.Misses > 0 && m.missed >= m.Misses {
		return flow.ErrTooManyTries
	}
	if code != m.Booking.Code || phone != m.Phone {
		m.missed++
		return flow.ErrBookingNotFound
	}
	return nil
}

// Lookup implements flow.MyBookings.
func (m *MyBookings) Lookup(_ context.Context, code, phone string) (flow.BookingInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check("lookup", code, phone); err != nil {
		return flow.BookingInfo{}, err
	}
	return m.Booking, nil
}

// Cancel implements flow.MyBookings.
func (m *MyBookings) Cancel(_ context.Context, code, phone string) (flow.BookingInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check("cancel", code, phone); err != nil {
		return flow.BookingInfo{}, err
	}
	m.Booking.Status = flow.BookingCancelled
	return m.Booking, nil
}

// Reschedule implements flow.MyBookings.
func (m *MyBookings) Reschedule(_ context.Context, code, phone string, to flow.Slot) (flow.BookingInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check("move", code, phone); err != nil {
		return flow.BookingInfo{}, err
	}
	m.Calls[len(m.Calls)-1] += " " + to.Start.Format("2006-01-02T15:04")
	if m.Taken != nil {
		next := m.Taken
		m.Taken = nil
		return flow.BookingInfo{}, &flow.SlotTakenError{Next: next}
	}
	if m.Booking.Status == flow.BookingCancelled {
		return flow.BookingInfo{}, flow.ErrBookingGone
	}
	m.Booking.Slot = to
	return m.Booking, nil
}

// Video is a fake video client: Call records the consultation and, with
// Hold, waits until Release (or the context ends); Err fails the start.
type Video struct {
	mu     sync.Mutex
	List   []flow.Consultation
	Err    error
	Hold   bool
	Calls  []flow.Consultation
	Ended  bool // the last call's context was cancelled (结束视频)
	cancel chan struct{}
}

// Consultations implements flow.Video.
func (v *Video) Consultations() []flow.Consultation {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]flow.Consultation(nil), v.List...)
}

// Call implements flow.Video.
func (v *Video) Call(ctx context.Context, c flow.Consultation) error {
	v.mu.Lock()
	v.Calls = append(v.Calls, c)
	err, hold := v.Err, v.Hold
	if hold && v.cancel == nil {
		v.cancel = make(chan struct{})
	}
	ch := v.cancel
	v.mu.Unlock()
	if err != nil {
		return err
	}
	if hold {
		select {
		case <-ch:
			v.mu.Lock()
			v.cancel = nil
			v.mu.Unlock()
		case <-ctx.Done():
			v.mu.Lock()
			v.Ended = true
			v.mu.Unlock()
		}
	}
	return nil
}

// Release lets a held call end (the video client exits), also one that
// has not started yet.
func (v *Video) Release() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.cancel == nil {
		v.cancel = make(chan struct{})
	}
	close(v.cancel)
}

// Updates is a fake source of late booking outcomes.
type Updates struct {
	mu      sync.Mutex
	pending []flow.Booking
	changes chan struct{}
}

// NewUpdates returns an empty Updates.
func NewUpdates() *Updates { return &Updates{changes: make(chan struct{}, 1)} }

// Push adds an outcome and signals the change.
func (u *Updates) Push(b flow.Booking) {
	u.mu.Lock()
	u.pending = append(u.pending, b)
	u.mu.Unlock()
	select {
	case u.changes <- struct{}{}:
	default:
	}
}

// Changes implements flow.Updates.
func (u *Updates) Changes() <-chan struct{} { return u.changes }

// TakeOutcomes implements flow.Updates.
func (u *Updates) TakeOutcomes() []flow.Booking {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := u.pending
	u.pending = nil
	return out
}
