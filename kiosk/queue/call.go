package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"lawpoint/device/wire"
)

// Call is a ticket called to a window, as the screen shows it.
type Call struct {
	// Seq grows with every call and recall (it is never reused), so a
	// recall of the same ticket is a new Call: chime again.
	Seq    int64
	Ticket string // "A003"
	Window int
	// Name is the Chinese name of the ticket's category now.
	Name string
	ID   string // the ticket's ID
}

// Text is the announcement: "请 A003 号到 1 号窗口".
func (c Call) Text() string { return fmt.Sprintf("请 %s 号到 %d 号窗口", c.Ticket, c.Window) }

func (t Ticket) call() Call {
	return Call{Seq: t.callSeq, Ticket: t.Number, Window: t.Window, Name: t.Name, ID: t.ID}
}

func checkWindow(w int) error {
	if w < 1 || w > MaxWindow {
		return fmt.Errorf("queue: window %d: %w; use 1 to %d", w, ErrWindow, MaxWindow)
	}
	return nil
}

// CallNext calls the oldest waiting ticket to window: of the category with
// that prefix, or of any category when prefix is "". Oldest means first
// issued (a transferred ticket keeps its place from the time it was first
// issued). A ticket still open at that window is first marked served, as a
// counter works: 叫下一位 finishes the one before, even when nobody else
// waits. The error wraps ErrEmpty when nobody waits.
func (q *Queue) CallNext(ctx context.Context, prefix string, window int) (Ticket, error) {
	if err := checkWindow(window); err != nil {
		return Ticket{}, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	o := q.observe()
	var t Ticket
	var finished []string
	empty := false
	err := q.tx(ctx, "calling the next ticket", func(tx *sql.Tx) error {
		ds, err := q.rollDay(ctx, tx, o)
		if err != nil {
			return err
		}
		open, err := q.tickets(ctx, tx, "status = ? AND win = ? ORDER BY ord", StatusCalled, window)
		if err != nil {
			return err
		}
		for _, ot := range open {
			if err := q.finish(ctx, tx, o, ds, ot, StatusServed); err != nil {
				return err
			}
			finished = append(finished, ot.Number)
		}
		where, args := "status = ?", []any{StatusWaiting}
		if prefix != "" {
			where, args = "status = ? AND category = ?", append(args, prefix)
		}
		t, err = scanTicket(tx.QueryRowContext(ctx, "SELECT "+ticketCols+" FROM tickets WHERE "+where+" ORDER BY ord LIMIT 1", args...))
		if errors.Is(err, sql.ErrNoRows) {
			empty = true
			return nil
		}
		if err != nil {
			return err
		}
		t.Window = window
		return q.markCalled(ctx, tx, o, &t)
	})
	if err != nil {
		return Ticket{}, err
	}
	for _, n := range finished {
		q.notify(Notice{Kind: NoticeServed, Ticket: n})
	}
	if empty {
		what := "any category"
		if prefix != "" {
			what = "category " + trunc(prefix, 8)
		}
		return Ticket{}, fmt.Errorf("queue: calling the next ticket: %w for %s", ErrEmpty, what)
	}
	q.notify(Notice{Kind: NoticeCalled, Ticket: t.Number, Call: t.call()})
	return t, nil
}

// tickets returns the tickets that clause (a condition and its ORDER BY)
// picks, in its order.
func (q *Queue) tickets(ctx context.Context, tx *sql.Tx, clause string, args ...any) ([]Ticket, error) {
	rows, err := tx.QueryContext(ctx, "SELECT "+ticketCols+" FROM tickets WHERE "+clause, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ts []Ticket
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, rows.Err()
}

// markCalled sets t called at t.Window (a new call or a recall) and
// records the ticket.called event.
func (q *Queue) markCalled(ctx context.Context, tx *sql.Tx, o observation, t *Ticket) error {
	var seq int64
	if _, err := getMeta(ctx, tx, "call_seq", &seq); err != nil {
		return err
	}
	seq++
	if err := setMeta(ctx, tx, "call_seq", seq); err != nil {
		return err
	}
	t.calls++
	t.callSeq = seq
	first := t.Status == StatusWaiting
	t.Status = StatusCalled
	if first {
		// The service time runs from the first call.
		if _, err := tx.ExecContext(ctx, `UPDATE tickets SET status = ?, win = ?, calls = ?, call_seq = ?, called_ms = ?,
			called_trusted = ?, called_boot = ?, called_uptime_ms = ? WHERE id = ?`,
			StatusCalled, t.Window, t.calls, seq, o.now.UnixMilli(), o.trusted, o.boot, o.uptime.Milliseconds(), t.ID); err != nil {
			return err
		}
	} else if _, err := tx.ExecContext(ctx, "UPDATE tickets SET calls = ?, call_seq = ? WHERE id = ?", t.calls, seq, t.ID); err != nil {
		return err
	}
	return q.addEvent(ctx, tx, o, fmt.Sprintf("%s:called:%d", t.ID, t.calls), wire.EventTicketCalled, ticketData(*t, t.Window, 0))
}

// Recall calls the ticket with that ID again at its window (重呼). Only a
// called ticket can be recalled.
func (q *Queue) Recall(ctx context.Context, id string) (Ticket, error) {
	t, err := q.change(ctx, "recalling a ticket", id, func(tx *sql.Tx, o observation, ds dayState, t *Ticket) error {
		if t.Status != StatusCalled {
			return stateErr(*t, "recall")
		}
		return q.markCalled(ctx, tx, o, t)
	})
	if err == nil {
		q.notify(Notice{Kind: NoticeCalled, Ticket: t.Number, Call: t.call()})
	}
	return t, err
}

// Serve marks the called ticket with that ID served (完成) and records how
// long the service took, from its first call.
func (q *Queue) Serve(ctx context.Context, id string) (Ticket, error) {
	return q.end(ctx, id, StatusServed, NoticeServed, "marking a ticket served", "serve")
}

// NoShow marks the called ticket with that ID as not come (过号).
func (q *Queue) NoShow(ctx context.Context, id string) (Ticket, error) {
	return q.end(ctx, id, StatusNoShow, NoticeNoShow, "marking a ticket no-show", "mark no-show")
}

// end finishes the called ticket with that ID as status (served or
// no-show) and sends a notice of kind. Errors name the change what, and
// action is what cannot be done to a ticket that is not called.
func (q *Queue) end(ctx context.Context, id string, status Status, kind NoticeKind, what, action string) (Ticket, error) {
	t, err := q.change(ctx, what, id, func(tx *sql.Tx, o observation, ds dayState, t *Ticket) error {
		if t.Status != StatusCalled {
			return stateErr(*t, action)
		}
		if err := q.finish(ctx, tx, o, ds, *t, status); err != nil {
			return err
		}
		t.Status = status
		return nil
	})
	if err == nil {
		q.notify(Notice{Kind: kind, Ticket: t.Number})
	}
	return t, err
}

// Transfer moves a waiting or called ticket to the category with prefix to
// (转到…): it waits there again, keeping its number and its place by first
// issue, so a villager sent on is not put behind people who came later.
func (q *Queue) Transfer(ctx context.Context, id, to string) (Ticket, error) {
	var from string
	t, err := q.change(ctx, "transferring a ticket", id, func(tx *sql.Tx, o observation, ds dayState, t *Ticket) error {
		cat, ok := q.category(to)
		if !ok {
			return fmt.Errorf("to %q: %w; choose one of the categories on offer", trunc(to, 8), ErrUnknownCategory)
		}
		if t.Status != StatusWaiting && t.Status != StatusCalled {
			return stateErr(*t, "transfer")
		}
		if t.Category == to {
			return fmt.Errorf("%s already waits for %s: %w", t.Number, cat.Name, ErrState)
		}
		from = t.Service
		var n int
		if err := tx.QueryRowContext(ctx, `UPDATE tickets SET category = ?, name = ?, service = ?, status = ?, win = 0,
			transfers = transfers + 1 WHERE id = ? RETURNING transfers`,
			to, cat.Name, cat.Service, StatusWaiting, t.ID).Scan(&n); err != nil {
			return err
		}
		t.Category, t.Name, t.Service, t.Status, t.Window = to, cat.Name, cat.Service, StatusWaiting, 0
		if err := q.fillWait(ctx, tx, t, ds.Day); err != nil {
			return err
		}
		d := TransferData{Ticket: t.Number, Service: t.Service, Day: t.Day, FromService: from}
		return q.addEvent(ctx, tx, o, fmt.Sprintf("%s:transferred:%d", t.ID, n), EventTicketTransferred, d)
	})
	if err == nil {
		q.notify(Notice{Kind: NoticeTransferred, Ticket: t.Number})
	}
	return t, err
}

// change runs f on the ticket with that ID in one transaction.
func (q *Queue) change(ctx context.Context, what, id string, f func(*sql.Tx, observation, dayState, *Ticket) error) (Ticket, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	o := q.observe()
	var t Ticket
	err := q.tx(ctx, what, func(tx *sql.Tx) error {
		ds, err := q.rollDay(ctx, tx, o)
		if err != nil {
			return err
		}
		t, err = q.ticket(ctx, tx, id)
		if err != nil {
			return err
		}
		return f(tx, o, ds, &t)
	})
	if err != nil {
		return Ticket{}, err
	}
	return t, nil
}

func stateErr(t Ticket, action string) error {
	return fmt.Errorf("cannot %s %s: it is %s: %w", action, t.Number, t.Status, ErrState)
}

// finish ends a called ticket as served or no-show and records the event.
func (q *Queue) finish(ctx context.Context, tx *sql.Tx, o observation, ds dayState, t Ticket, status Status) error {
	var calledMS, calledUp int64
	var calledTrusted bool
	var calledBoot string
	if err := tx.QueryRowContext(ctx, "SELECT called_ms, called_trusted, called_boot, called_uptime_ms FROM tickets WHERE id = ?", t.ID).
		Scan(&calledMS, &calledTrusted, &calledBoot, &calledUp); err != nil {
		return err
	}
	// The service time: on the monotonic clock within one boot, else from
	// two trusted wall-clock readings, else unknown (-1).
	serviceMS := int64(-1)
	switch {
	case calledBoot == o.boot:
		serviceMS = max(0, o.uptime.Milliseconds()-calledUp)
	case calledTrusted && o.trusted:
		serviceMS = max(0, o.now.UnixMilli()-calledMS)
	}
	if status != StatusServed {
		serviceMS = -1
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tickets SET status = ?, service_ms = ?, done_day = ?,
		done_seq = (SELECT COALESCE(MAX(done_seq), 0) + 1 FROM tickets) WHERE id = ?`, status, serviceMS, ds.Day, t.ID); err != nil {
		return err
	}
	if status == StatusServed {
		secs := 0
		if serviceMS >= 0 {
			secs = int((time.Duration(serviceMS)*time.Millisecond + time.Second/2) / time.Second)
		}
		return q.addEvent(ctx, tx, o, t.ID+":served", wire.EventTicketServed, ticketData(t, t.Window, secs))
	}
	return q.addEvent(ctx, tx, o, t.ID+":no_show", wire.EventTicketNoShow, ticketData(t, 0, 0))
}

// Current returns the newest call still open (the screen's big line), and
// false when no ticket is being called.
func (q *Queue) Current(ctx context.Context) (Call, bool, error) {
	calls, err := q.Calls(ctx)
	if err != nil || len(calls) == 0 {
		return Call{}, false, err
	}
	return calls[0], true, nil
}

// Calls returns the open call of every window, newest first.
func (q *Queue) Calls(ctx context.Context) ([]Call, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var calls []Call
	err := q.tx(ctx, "reading the calls", func(tx *sql.Tx) error {
		open, err := q.tickets(ctx, tx, "status = ? ORDER BY call_seq DESC", StatusCalled)
		if err != nil {
			return err
		}
		for _, t := range open {
			calls = append(calls, t.call())
		}
		return nil
	})
	return calls, err
}

// Waiting is one category's queue in a Snapshot.
type Waiting struct {
	Category Category
	// Offered is false for a category the fleet removed that still has
	// tickets waiting.
	Offered bool
	// Tickets wait in calling order.
	Tickets []Ticket
	// Wait is the estimated wait of a ticket issued now.
	Wait time.Duration
}

// Snapshot is the queue at one moment, for the counter page.
type Snapshot struct {
	Day          string
	DayConfirmed bool // a trusted clock has confirmed Day
	Queues       []Waiting
	Calls        []Call // open calls, newest first
}

// Snapshot returns every category's waiting tickets and the open calls.
func (q *Queue) Snapshot(ctx context.Context) (Snapshot, error) {
	calls, err := q.Calls(ctx)
	if err != nil {
		return Snapshot{}, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	s := Snapshot{Calls: calls}
	err = q.tx(ctx, "reading the queue", func(tx *sql.Tx) error {
		var ds dayState
		if _, err := getMeta(ctx, tx, "day", &ds); err != nil {
			return err
		}
		s.Day, s.DayConfirmed = ds.Day, ds.Trusted
		idx := map[string]int{}
		for _, c := range q.cats {
			idx[c.Prefix] = len(s.Queues)
			s.Queues = append(s.Queues, Waiting{Category: c, Offered: true})
		}
		waiting, err := q.tickets(ctx, tx, "status = ? ORDER BY ord", StatusWaiting)
		if err != nil {
			return err
		}
		for _, t := range waiting {
			i, ok := idx[t.Category]
			if !ok {
				i = len(s.Queues)
				idx[t.Category] = i
				s.Queues = append(s.Queues, Waiting{Category: Category{Prefix: t.Category, Name: t.Name, Service: t.Service}})
			}
			t.Ahead = len(s.Queues[i].Tickets)
			s.Queues[i].Tickets = append(s.Queues[i].Tickets, t)
		}
		for i := range s.Queues {
			w := &s.Queues[i]
			avg, err := q.averageService(ctx, tx, w.Category.Prefix, ds.Day)
			if err != nil {
				return err
			}
			for j := range w.Tickets {
				w.Tickets[j].Wait = time.Duration(w.Tickets[j].Ahead) * avg
			}
			w.Wait = time.Duration(len(w.Tickets)) * avg
		}
		return nil
	})
	return s, err
}
