package device

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"lawpoint/device/store"
	"lawpoint/device/wire"
)

// Batch limits (docs/PROTOCOL.md section 9).
const (
	maxBatchBytes = 128 * 1024
	batchOverhead = 64 // {"schema":1,"batch":"b-…","events":[…]}
)

// batch is an event batch published and waiting for its ack.
type batch struct {
	name string
	seqs []uint64
	body []byte
	sent time.Time
}

// Record stores an event in the outbox and returns its sequence number; its
// idempotency key is wire.EventID(deviceID, seq). The event is on disk when
// Record returns and leaves the outbox only when the fleet acknowledges it,
// so a power cut or days offline lose nothing. data is the event's data
// (wire.TicketData, wire.RatingData, …); an event the fleet would reject is
// refused here with the reason.
func (a *Agent) Record(ctx context.Context, typ wire.EventType, data any) (uint64, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return 0, fmt.Errorf("device: encoding %s event data: %w", typ, err)
	}
	ev := wire.Event{Type: typ, At: a.clock.Now().Truncate(time.Millisecond), ClockTrusted: a.clock.Trusted(),
		BootID: a.clock.BootID(), UptimeMS: UptimeMS(), Data: raw}
	if _, err := ev.DecodeData(); err != nil {
		return 0, fmt.Errorf("device: refusing a %s event the fleet would reject: %w", typ, err)
	}
	seq, err := a.store.AddEvent(ctx, func(seq uint64) ([]byte, error) {
		ev.Seq = seq
		return json.Marshal(ev)
	})
	if err != nil {
		return 0, fmt.Errorf("device: recording a %s event (is the disk full?): %w", typ, err)
	}
	a.wakeOutbox()
	return seq, nil
}

// RecordOnce is Record for an event the caller names with its own
// idempotency key (a kiosk's "{ticketID}:issued"): however often it is
// called with the same key — as when the kiosk replays its own outbox after
// a power cut — the event is recorded, and counted by the fleet, once.
func (a *Agent) RecordOnce(ctx context.Context, key string, typ wire.EventType, data any) (uint64, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return 0, fmt.Errorf("device: encoding %s event data: %w", typ, err)
	}
	now := a.clock.Now()
	ev := wire.Event{Type: typ, At: now.Truncate(time.Millisecond), ClockTrusted: a.clock.Trusted(),
		BootID: a.clock.BootID(), UptimeMS: UptimeMS(), Data: raw}
	if _, err := ev.DecodeData(); err != nil {
		return 0, fmt.Errorf("device: refusing a %s event the fleet would reject: %w", typ, err)
	}
	seq, added, err := a.store.AddEventOnce(ctx, key, now, func(seq uint64) ([]byte, error) {
		ev.Seq = seq
		return json.Marshal(ev)
	})
	if err != nil {
		return 0, fmt.Errorf("device: recording a %s event (is the disk full?): %w", typ, err)
	}
	if added {
		a.wakeOutbox()
	}
	return seq, nil
}

func (a *Agent) wakeOutbox() {
	select {
	case a.outboxUp <- struct{}{}:
	default:
	}
}

// outboxWorker sends the outbox while connected: up to
// wire.MaxBatchesInFlight batches await an ack, each resent with the same
// bytes after AckTimeout.
func (a *Agent) outboxWorker(ctx context.Context) {
	tick := time.NewTicker(a.cfg.AckTimeout / 6)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.outboxUp:
		case <-tick.C:
		}
		if c := a.current(); c != nil {
			if err := a.flush(ctx, c); err != nil && ctx.Err() == nil && a.limit.first("outbox.flush", 10*time.Minute) {
				a.log.Warn("sending events failed; will retry", "err", err)
			}
		}
	}
}

// flush resends timed-out batches and sends new ones.
func (a *Agent) flush(ctx context.Context, c *conn) error {
	c.mu.Lock()
	var resend []*batch
	for _, b := range c.inflight {
		if time.Since(b.sent) >= a.cfg.AckTimeout {
			resend = append(resend, b)
		}
	}
	c.mu.Unlock()
	for _, b := range resend {
		if err := a.publishRaw(ctx, c, wire.KindEvents, b.body); err != nil {
			return err
		}
		c.mu.Lock()
		b.sent = time.Now()
		c.mu.Unlock()
	}
	for {
		c.mu.Lock()
		room := len(c.inflight) < wire.MaxBatchesInFlight
		after := c.sentUpTo
		c.mu.Unlock()
		if !room {
			return nil
		}
		evs, err := a.store.Pending(ctx, after, wire.MaxEventsPerBatch)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			return nil
		}
		b := makeBatch(evs)
		if err := a.publishRaw(ctx, c, wire.KindEvents, b.body); err != nil {
			return err
		}
		c.mu.Lock()
		b.sent = time.Now()
		c.inflight[b.name] = b
		c.sentUpTo = b.seqs[len(b.seqs)-1]
		c.mu.Unlock()
	}
}

// makeBatch takes events from the front of evs: up to 200 and 128 KiB, and
// an event marked single alone.
func makeBatch(evs []store.Event) *batch {
	b := &batch{name: "b-" + strconv.FormatUint(evs[0].Seq, 10)}
	var buf bytes.Buffer
	buf.WriteString(`{"schema":1,"batch":"` + b.name + `","events":[`)
	size := batchOverhead
	for i, e := range evs {
		if i > 0 && (e.Single || evs[0].Single || size+len(e.Body)+1 > maxBatchBytes) {
			break
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(e.Body)
		size += len(e.Body) + 1
		b.seqs = append(b.seqs, e.Seq)
	}
	buf.WriteString("]}")
	b.body = buf.Bytes()
	return b
}

// handleAck applies an ack: stored and rejected events leave the outbox,
// conflicting ones are renumbered, a batch the fleet could not read is
// resent one event per batch.
func (a *Agent) handleAck(ctx context.Context, payload []byte) {
	ack, err := wire.DecodeAck(payload)
	if err != nil {
		a.rejectDecoded(ctx, wire.KindAck, err)
		return
	}
	c := a.current()
	var b *batch
	if c != nil {
		c.mu.Lock()
		b = c.inflight[ack.Batch]
		c.mu.Unlock()
	}
	var done []uint64
	for _, r := range ack.Stored {
		seqs, err := a.store.SeqsIn(ctx, r.First, r.Last)
		if err != nil {
			a.log.Warn("reading the outbox for an ack failed", "err", err)
			return
		}
		done = append(done, seqs...)
	}
	for _, r := range ack.Rejected {
		done = append(done, r.Seq)
		if a.limit.first("rejected."+r.Reason.Code, time.Hour) {
			a.log.Warn("the fleet rejected an event for good", "event", wire.EventID(a.creds.DeviceID, r.Seq), "code", r.Reason.Code, "message", r.Reason.Message)
		}
	}
	if len(ack.Rejected) > 0 {
		a.fault(ctx, "protocol", "events.rejected", wire.SeverityWarning, ack.Rejected[0].Reason.Code+": "+ack.Rejected[0].Reason.Message)
	}
	if _, err := a.store.DeleteEvents(ctx, done); err != nil {
		a.log.Warn("deleting acknowledged events failed; they are resent and the fleet ignores the repeats", "err", err)
		return
	}
	if len(ack.Conflict) > 0 {
		var seqs []uint64
		for _, r := range ack.Conflict {
			s, err := a.store.SeqsIn(ctx, r.First, r.Last)
			if err != nil {
				return
			}
			seqs = append(seqs, s...)
		}
		moved, err := a.store.Renumber(ctx, seqs, ack.NextSeq, func(body []byte, seq uint64) ([]byte, error) {
			var ev wire.Event
			if err := json.Unmarshal(body, &ev); err != nil {
				return nil, err
			}
			ev.Seq = seq
			return json.Marshal(ev)
		})
		if err != nil {
			a.log.Warn("renumbering conflicting events failed", "err", err)
			return
		}
		a.log.Warn("the fleet already held some of our event numbers (counter lost?); renumbered them", "events", len(moved), "next_seq", ack.NextSeq)
		done = append(done, seqs...)
	}
	if ack.Error != nil && b != nil {
		if len(b.seqs) == 1 {
			a.store.DeleteEvents(ctx, b.seqs)
			a.fault(ctx, "protocol", "events.unreadable", wire.SeverityError, ack.Error.Code+": "+ack.Error.Message)
			done = append(done, b.seqs...)
		} else {
			a.store.MarkSingle(ctx, b.seqs)
			done = append(done, b.seqs...)
			if c != nil {
				c.mu.Lock()
				c.sentUpTo = min(c.sentUpTo, b.seqs[0]-1)
				c.mu.Unlock()
			}
		}
	}
	if b != nil && c != nil && coversAll(done, b.seqs) {
		c.mu.Lock()
		delete(c.inflight, b.name)
		c.mu.Unlock()
	}
	a.wakeOutbox()
}

func coversAll(done, seqs []uint64) bool {
	for _, s := range seqs {
		if !slices.Contains(done, s) {
			return false
		}
	}
	return true
}

// fault records a fault event, at most one per code per hour, with the
// number of occurrences since the last one.
func (a *Agent) fault(ctx context.Context, component, code, severity, message string) {
	ok, n := a.limit.hit("fault."+code, time.Hour)
	if !ok {
		return
	}
	if len([]rune(message)) > 1000 {
		message = string([]rune(message)[:1000])
	}
	if _, err := a.Record(ctx, wire.EventFault, wire.FaultData{Code: code, Component: component, Severity: severity, Message: message, Count: n}); err != nil && !errors.Is(err, context.Canceled) {
		a.log.Warn("recording a fault event failed", "code", code, "err", err)
	}
}
