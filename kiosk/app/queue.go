package app

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"lawpoint/kiosk/flow"
	"lawpoint/kiosk/queue"
)

// queueService is flow.Queue on the real local queue (kiosk/queue): a
// category's ID is its prefix; the current call follows queue.Watch.
type queueService struct {
	q   *queue.Queue
	loc *time.Location

	mu      sync.Mutex
	call    queue.Call
	calling bool
	ids     map[string]string // ticket number → ID, of tickets called today
	changes chan struct{}
}

func newQueueService(q *queue.Queue, loc *time.Location) *queueService {
	return &queueService{q: q, loc: loc, ids: map[string]string{}, changes: make(chan struct{}, 1)}
}

// Categories implements flow.Queue.
func (s *queueService) Categories() []flow.Category {
	cs := s.q.Categories()
	out := make([]flow.Category, len(cs))
	for i, c := range cs {
		out[i] = flow.Category{ID: c.Prefix, Prefix: c.Prefix, Name: c.Name}
	}
	return out
}

// Issue implements flow.Queue: the ticket is on disk (and its
// ticket.issued event in the queue's outbox) when this returns, before
// anything is printed.
func (s *queueService) Issue(ctx context.Context, categoryID string) (flow.Ticket, error) {
	t, err := s.q.Issue(ctx, categoryID)
	if err != nil {
		return flow.Ticket{}, fmt.Errorf("app: issuing a ticket of category %q: %w", categoryID, err)
	}
	return flowTicket(t, s.loc), nil
}

func flowTicket(t queue.Ticket, loc *time.Location) flow.Ticket {
	return flow.Ticket{ID: t.ID, Number: t.Number, CategoryName: t.Name, Ahead: t.Ahead, EstWait: t.Wait,
		IssuedAt: t.IssuedAt.In(loc), ClockTrusted: t.ClockTrusted}
}

// CurrentCall implements flow.Queue.
func (s *queueService) CurrentCall() (string, string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.calling {
		return "", "", false
	}
	return s.call.Ticket, strconv.Itoa(s.call.Window), true
}

// Changes implements flow.Queue.
func (s *queueService) Changes() <-chan struct{} { return s.changes }

// refresh reads the current call again.
func (s *queueService) refresh(ctx context.Context) {
	c, ok, err := s.q.Current(ctx)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.call, s.calling = c, ok
	if ok {
		s.ids[c.Ticket] = c.ID
	}
	s.mu.Unlock()
	select {
	case s.changes <- struct{}{}:
	default:
	}
}

// idOf is the ID of a ticket called today, by number.
func (s *queueService) idOf(number string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids[number]
}

// watch follows the queue until ctx ends: every change redraws, a call is
// announced, a served ticket may open the rating screen.
func (s *queueService) watch(ctx context.Context, announce func(queue.Call), served func(ticketID string)) {
	ch := s.q.Watch(ctx)
	s.refresh(ctx)
	for n := range ch {
		switch n.Kind {
		case queue.NoticeCalled:
			s.mu.Lock()
			s.ids[n.Call.Ticket] = n.Call.ID
			s.mu.Unlock()
		case queue.NoticeDay:
			s.mu.Lock()
			s.ids = map[string]string{}
			s.mu.Unlock()
		}
		s.refresh(ctx)
		if n.Kind == queue.NoticeCalled && announce != nil {
			announce(n.Call)
		}
		if n.Kind == queue.NoticeServed && served != nil {
			if id := s.idOf(n.Ticket); id != "" {
				served(id)
			}
		}
	}
}

// Announcement is a call as the voice reads it: the ticket's digits one by
// one in Chinese (A003 → A零零三), the window as a number: "请A零零三号到1号窗口".
func Announcement(c queue.Call) string {
	const digits = "零一二三四五六七八九"
	var num []rune
	for _, r := range c.Ticket {
		if r >= '0' && r <= '9' {
			num = append(num, []rune(digits)[r-'0'])
		} else {
			num = append(num, r)
		}
	}
	return "请" + string(num) + "号到" + strconv.Itoa(c.Window) + "号窗口"
}
