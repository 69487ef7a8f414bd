package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"lawpoint/device/wire"
)

// EventTicketTransferred is recorded when staff transfer a ticket. The
// protocol (docs/PROTOCOL.md, schema 1) has no such event type yet, so it
// stays in the queue's outbox and is not handed to the agent; see
// docs/QUEUE.md.
const EventTicketTransferred wire.EventType = "ticket.transferred"

// TransferData is the data of a ticket.transferred event.
type TransferData struct {
	Ticket      string `json:"ticket"`
	Service     string `json:"service"` // the service it moved to
	Day         string `json:"day"`
	FromService string `json:"from_service"`
}

func ticketData(t Ticket, window, serviceS int) wire.TicketData {
	d := wire.TicketData{Ticket: t.Number, Service: t.Service, Day: t.Day, ServiceS: serviceS}
	if window > 0 {
		d.Counter = strconv.Itoa(window)
	}
	return d
}

// addEvent stores an event in the queue's outbox (the events table) inside
// the caller's transaction. key is its idempotency key ("{ticket ID}:
// issued", "{ticket ID}:called:2" …): storing the same key twice keeps the
// first.
func (q *Queue) addEvent(ctx context.Context, tx *sql.Tx, o observation, key string, kind wire.EventType, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	state := eventLocal
	if slices.Contains(wire.EventTypes(), kind) {
		state = eventPending
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO events(key, kind, data, at_ms, trusted, boot_id, uptime_ms, state)
		VALUES(?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING`,
		key, string(kind), string(b), o.now.UnixMilli(), o.trusted, o.boot, o.uptime.Milliseconds(), state)
	if err == nil && state == eventPending {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
	return err
}

// Event is one event of the queue's outbox.
type Event struct {
	Seq  int64
	Key  string // idempotency key
	Kind wire.EventType
	Data json.RawMessage
	// At is the kiosk's clock when it happened; ClockTrusted whether to
	// believe it.
	At           time.Time
	ClockTrusted bool
	// Forwarded: handed to the agent's outbox. Local: kept here only (a
	// type the protocol does not carry yet).
	Forwarded bool
	Local     bool
}

// Events returns the outbox's events after seq, oldest first, at most
// limit (all when limit <= 0). For the kiosk's diagnostics and tests.
func (q *Queue) Events(ctx context.Context, after int64, limit int) ([]Event, error) {
	if limit <= 0 {
		limit = -1
	}
	var evs []Event
	err := q.tx(ctx, "reading events", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT seq, key, kind, data, at_ms, trusted, state FROM events WHERE seq > ? ORDER BY seq LIMIT ?", after, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e Event
			var data string
			var at int64
			var state int
			if err := rows.Scan(&e.Seq, &e.Key, &e.Kind, &data, &at, &e.ClockTrusted, &state); err != nil {
				return err
			}
			e.Data, e.At = json.RawMessage(data), time.UnixMilli(at)
			e.Forwarded, e.Local = state == eventForwarded, state == eventLocal
			evs = append(evs, e)
		}
		return rows.Err()
	})
	return evs, err
}

// Outbox is where the queue hands its events: the device agent's outbox,
// which stores each durably and carries it to the fleet once. kind is a
// wire.EventType and data a wire.TicketData. An error means "not stored,
// try again later". The agent's Record(ctx, wire.EventType, any) (uint64,
// error) fits through OutboxFunc.
type Outbox interface {
	Record(ctx context.Context, kind string, data any) error
}

// OutboxFunc adapts a function to Outbox.
type OutboxFunc func(ctx context.Context, kind string, data any) error

// Record calls f.
func (f OutboxFunc) Record(ctx context.Context, kind string, data any) error {
	return f(ctx, kind, data)
}

// Run keeps the queue going until ctx ends: every minute it applies the
// business-day rules (Tick) and checkpoints the database, and it hands every pending event, in order,
// to out (nil: events stay in the queue's outbox). A failed hand-over is
// retried with a growing pause (up to a minute); events are never dropped.
// It returns ctx.Err().
func (q *Queue) Run(ctx context.Context, out Outbox) error {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	retry := time.Second
	var retryC <-chan time.Time
	for {
		if err := q.Tick(ctx); err != nil && ctx.Err() == nil && !q.warned("tick") {
			q.log.Warn("checking the business day failed; will retry every minute", "err", err)
		}
		if out != nil && retryC == nil {
			if err := q.forward(ctx, out); err != nil && ctx.Err() == nil {
				if !q.warned("forward") { // once per outage
					q.log.Warn("handing queue events to the agent failed; will retry", "err", err)
				}
				t := time.NewTimer(retry)
				retryC = t.C
				retry = min(2*retry, time.Minute)
			} else {
				retry = time.Second
				q.unwarn("forward")
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			// Copy the WAL into the database now, between tickets, so
			// that an Issue rarely pays for SQLite's automatic checkpoint.
			if _, err := q.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil && ctx.Err() == nil && !q.warned("checkpoint") {
				q.log.Warn("checkpointing the queue database failed; SQLite will do it during a commit", "err", err)
			}
		case <-q.wake:
		case <-retryC:
			retryC = nil
		}
	}
}

// Forward hands every pending event to out now, in order, and returns the
// first error (the rest wait for the next try).
func (q *Queue) Forward(ctx context.Context, out Outbox) error { return q.forward(ctx, out) }

func (q *Queue) forward(ctx context.Context, out Outbox) error {
	q.fmu.Lock()
	defer q.fmu.Unlock()
	for {
		var evs []Event
		err := q.tx(ctx, "reading pending events", func(tx *sql.Tx) error {
			rows, err := tx.QueryContext(ctx, "SELECT seq, key, kind, data FROM events WHERE state = ? ORDER BY seq LIMIT 100", eventPending)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var e Event
				var data string
				if err := rows.Scan(&e.Seq, &e.Key, &e.Kind, &data); err != nil {
					return err
				}
				e.Data = json.RawMessage(data)
				evs = append(evs, e)
			}
			return rows.Err()
		})
		if err != nil || len(evs) == 0 {
			return err
		}
		for _, e := range evs {
			var d wire.TicketData
			if err := json.Unmarshal(e.Data, &d); err != nil {
				return fmt.Errorf("queue: event %s is unreadable (database changed by hand?): %w", e.Key, err)
			}
			if err := out.Record(ctx, string(e.Kind), d); err != nil {
				return fmt.Errorf("queue: handing event %s to the agent's outbox (kept; will retry): %w", e.Key, err)
			}
			// A crash between Record and this update hands the event over
			// again (at least once); docs/QUEUE.md.
			if _, err := q.db.ExecContext(ctx, "UPDATE events SET state = ? WHERE seq = ?", eventForwarded, e.Seq); err != nil {
				return fmt.Errorf("queue: marking event %s handed over: %w", e.Key, err)
			}
		}
	}
}

// NoticeKind says what changed.
type NoticeKind string

// Notice kinds.
const (
	NoticeIssued      NoticeKind = "issued"
	NoticeCalled      NoticeKind = "called" // chime and show Call
	NoticeServed      NoticeKind = "served"
	NoticeNoShow      NoticeKind = "no_show"
	NoticeTransferred NoticeKind = "transferred"
	NoticeDay         NoticeKind = "day"        // a new business day
	NoticeCategories  NoticeKind = "categories" // the fleet sent a new list
)

// Notice tells a watcher that the queue changed.
type Notice struct {
	Kind   NoticeKind
	Ticket string // the ticket number concerned, if any
	Call   Call   // set for NoticeCalled
}

// watchBuffer is how many notices a watcher may fall behind before the
// oldest are dropped.
const watchBuffer = 64

// Watch returns a channel that receives a Notice after every change, until
// ctx ends (then it is closed). It never blocks the queue: a watcher more
// than 64 notices behind loses the oldest, so redraw from the queue's state
// (Calls, Snapshot) rather than count notices.
func (q *Queue) Watch(ctx context.Context) <-chan Notice {
	ch := make(chan Notice, watchBuffer)
	q.wmu.Lock()
	q.watchers[ch] = struct{}{}
	q.wmu.Unlock()
	go func() {
		<-ctx.Done()
		q.wmu.Lock()
		delete(q.watchers, ch)
		close(ch)
		q.wmu.Unlock()
	}()
	return ch
}

func (q *Queue) notify(n Notice) {
	q.wmu.Lock()
	defer q.wmu.Unlock()
	for ch := range q.watchers {
		for {
			select {
			case ch <- n:
			default:
				select { // full: drop the older notice and try again
				case <-ch:
				default:
				}
				continue
			}
			break
		}
	}
}
