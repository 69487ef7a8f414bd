package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet/internal/ratelog"
)

// DefaultTelemetryRetention is how long telemetry is kept by default.
const DefaultTelemetryRetention = 30 * 24 * time.Hour

// Ingest takes what devices send besides presence, state and results:
// event batches (stored once each and acknowledged, PROTOCOL.md section
// 9), telemetry batches (stored, pruned after Retention) and time requests
// (answered at once). Malformed or oversized messages are dropped and
// logged once per device, kind and error code.
type Ingest struct {
	store Store
	bus   Bus
	log   *slog.Logger
	warn  *ratelog.Limiter
	now   func() time.Time

	// Retention is how long telemetry is kept (DefaultTelemetryRetention).
	Retention time.Duration
	// PruneEvery is how often old telemetry is deleted (default 1 hour).
	PruneEvery time.Duration
	// OnTicketCalled, if set, is called (on the ingest goroutine; it must
	// not block) for every ticket.called event stored for the first time,
	// after its batch committed (CallBoards.Called).
	OnTicketCalled func(deviceID string, e wire.Event, d wire.TicketData)

	events    chan Message
	telemetry chan []TelemetrySample
	timeReqs  chan Message
}

// NewIngest returns an ingest writing to s and answering on bus.
func NewIngest(s Store, bus Bus, log *slog.Logger) *Ingest {
	if log == nil {
		log = slog.Default()
	}
	return &Ingest{store: s, bus: bus, log: log, warn: ratelog.New(log, time.Minute), now: time.Now,
		Retention: DefaultTelemetryRetention, PruneEvery: time.Hour,
		events: make(chan Message, 1024), telemetry: make(chan []TelemetrySample, 1024), timeReqs: make(chan Message, 1024)}
}

// SetClock replaces the clock (tests).
func (in *Ingest) SetClock(now func() time.Time) { in.now = now }

// Subscribe subscribes to events, telemetry and time requests.
func (in *Ingest) Subscribe(ctx context.Context, bus Bus) error {
	for _, s := range []struct {
		kind wire.Kind
		qos  byte
		h    Handler
	}{{wire.KindEvents, 1, in.HandleEvents}, {wire.KindTelemetry, 0, in.HandleTelemetry}, {wire.KindTimeRequest, 0, in.HandleTimeRequest}} {
		if err := bus.Subscribe(ctx, wire.SharedFilter(s.kind), s.qos, s.h); err != nil {
			return fmt.Errorf("ingest %s: %w", s.kind, err)
		}
	}
	return nil
}

// check parses the topic and the size cap; it returns the device ID, or ""
// when the message is to be dropped.
func (in *Ingest) check(m Message, want wire.Kind) string {
	id, kind, err := wire.ParseTopic(m.Topic)
	if err != nil || kind != want {
		in.warn.Warn("topic:"+string(want), "message on an unexpected topic ignored", "topic", m.Topic)
		return ""
	}
	if spec, _ := wire.SpecOf(want); len(m.Payload) > spec.MaxBytes {
		in.warn.Warn(string(want)+":"+id+":too_large", "oversized message dropped unread", "device", id, "kind", want, "bytes", len(m.Payload))
		return ""
	}
	return id
}

// HandleEvents queues an event batch.
func (in *Ingest) HandleEvents(m Message) {
	if in.check(m, wire.KindEvents) == "" {
		return
	}
	select {
	case in.events <- m:
	default:
		in.warn.Warn("events-queue", "event queue full; a batch was dropped unacknowledged (the device resends it)")
	}
}

// HandleTelemetry decodes and queues a telemetry batch.
func (in *Ingest) HandleTelemetry(m Message) {
	id := in.check(m, wire.KindTelemetry)
	if id == "" {
		return
	}
	tb, err := wire.DecodeTelemetry(m.Payload)
	if err != nil {
		in.warn.Warn("telemetry:"+id+":"+wire.Code(err), "telemetry refused", "device", id, "error", err)
		return
	}
	now := in.now()
	ss := make([]TelemetrySample, 0, len(tb.Samples))
	for _, s := range tb.Samples {
		b, _ := json.Marshal(s)
		ss = append(ss, TelemetrySample{DeviceID: id, At: s.At, Received: now, Sample: b})
	}
	select {
	case in.telemetry <- ss:
	default:
		in.warn.Warn("telemetry-queue", "telemetry queue full; samples dropped")
	}
}

// HandleTimeRequest queues a time request for an answer.
func (in *Ingest) HandleTimeRequest(m Message) {
	if in.check(m, wire.KindTimeRequest) == "" {
		return
	}
	select {
	case in.timeReqs <- m:
	default:
		in.warn.Warn("time-queue", "time request queue full; the device asks again")
	}
}

// Run processes the queues and prunes telemetry until ctx ends.
func (in *Ingest) Run(ctx context.Context) error {
	prune := time.NewTicker(in.PruneEvery)
	defer prune.Stop()
	in.prune(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-in.events:
			in.storeEvents(ctx, m)
		case ss := <-in.telemetry:
		fill:
			for len(ss) < 2000 {
				select {
				case more := <-in.telemetry:
					ss = append(ss, more...)
				default:
					break fill
				}
			}
			if err := in.store.AddTelemetry(ctx, ss); err != nil {
				in.warn.Warn("telemetry-store", "telemetry not stored", "samples", len(ss), "error", err)
			}
		case m := <-in.timeReqs:
			in.answerTime(ctx, m)
		case <-prune.C:
			in.prune(ctx)
		}
	}
}

func (in *Ingest) prune(ctx context.Context) {
	n, err := in.store.PruneTelemetry(ctx, in.now().Add(-in.Retention))
	if err != nil {
		in.warn.Warn("telemetry-prune", "old telemetry not pruned; retrying in an hour", "error", err)
	} else if n > 0 {
		in.log.Info("old telemetry pruned", "samples", n, "retention", in.Retention)
	}
	if err := in.store.PruneSessions(ctx, in.now()); err != nil {
		in.warn.Warn("session-prune", "expired sessions not pruned", "error", err)
	}
	// Presence history (uptime): each device's last change before the
	// cutoff is kept (fleet/uptime.go).
	if n, err := in.store.PrunePresenceHistory(ctx, in.now().Add(-PresenceHistoryRetention)); err != nil {
		in.warn.Warn("presence-history-prune", "old presence history not pruned; retrying in an hour", "error", err)
	} else if n > 0 {
		in.log.Info("old presence history pruned", "changes", n, "retention", PresenceHistoryRetention)
	}
}

// PruneNow deletes telemetry older than Retention at once.
func (in *Ingest) PruneNow(ctx context.Context) (int64, error) {
	return in.store.PruneTelemetry(ctx, in.now().Add(-in.Retention))
}

func (in *Ingest) answerTime(ctx context.Context, m Message) {
	id, _, _ := wire.ParseTopic(m.Topic)
	req, err := wire.DecodeTimeRequest(m.Payload)
	if err != nil {
		in.warn.Warn("time_req:"+id+":"+wire.Code(err), "time request refused", "device", id, "error", err)
		return
	}
	b, err := wire.Encode(wire.TimeReply{ID: req.ID, UptimeMS: req.UptimeMS, FleetTime: in.now().UTC()})
	if err != nil {
		return
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := in.bus.Publish(pctx, wire.Topic(id, wire.KindTime), b, 0, false); err != nil {
		in.warn.Warn("time-publish", "time reply not published", "device", id, "error", err)
	}
}

// storeEvents stores one batch and acknowledges it.
func (in *Ingest) storeEvents(ctx context.Context, m Message) {
	id, _, _ := wire.ParseTopic(m.Topic)
	ack, ok := in.ackFor(ctx, id, m.Payload)
	if !ok {
		return
	}
	b, err := wire.Encode(ack)
	if err != nil {
		in.warn.Warn("ack-encode:"+id, "ack cannot be encoded", "device", id, "error", err)
		return
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := in.bus.Publish(pctx, wire.Topic(id, wire.KindAck), b, 1, false); err != nil {
		in.warn.Warn("ack-publish", "ack not published; the device resends the batch and it is acknowledged then", "device", id, "error", err)
	}
}

// ackFor stores the batch in payload and returns the ack to send; ok is
// false when nothing is to be sent (unreadable batch name, store failure).
func (in *Ingest) ackFor(ctx context.Context, id string, payload []byte) (wire.Ack, bool) {
	eb, err := wire.DecodeEventBatch(payload)
	if err != nil {
		code := wire.Code(err)
		in.warn.Warn("events:"+id+":"+code, "event batch refused", "device", id, "error", err)
		var head struct {
			Batch string `json:"batch"`
		}
		if json.Unmarshal(payload, &head) != nil || head.Batch == "" {
			return wire.Ack{}, false
		}
		ack := wire.Ack{Schema: wire.Schema, Batch: head.Batch, Error: &wire.Reason{Code: code, Message: truncateText(err.Error(), 500)}}
		if err := ack.Validate(); err != nil {
			return wire.Ack{}, false // the batch name itself is unusable
		}
		return ack, true
	}
	now := in.now()
	var (
		es       []Event
		rejected []wire.Rejection
		calls    []storedCall // the batch's ticket.called events
	)
	for _, e := range eb.Events {
		data, err := e.DecodeData()
		if err != nil {
			code := wire.Code(err)
			in.warn.Warn("event:"+id+":"+code, "event rejected", "device", id, "seq", e.Seq, "type", e.Type, "error", err)
			rejected = append(rejected, wire.Rejection{Seq: e.Seq, Reason: wire.Reason{Code: code, Message: truncateText(err.Error(), 500)}})
			continue
		}
		raw, _ := json.Marshal(e)
		es = append(es, Event{DeviceID: id, Key: wire.EventID(id, e.Seq), Type: string(e.Type), Payload: raw,
			Occurred: e.At, Received: now, DeviceSeq: e.Seq, Fingerprint: e.Fingerprint()})
		if td, ok := data.(*wire.TicketData); ok && e.Type == wire.EventTicketCalled {
			calls = append(calls, storedCall{len(es) - 1, e, *td})
		}
	}
	ack := wire.Ack{Schema: wire.Schema, Batch: eb.Batch, Rejected: rejected}
	if len(es) > 0 {
		outs, next, err := in.store.AddEventBatch(ctx, id, es)
		if errors.Is(err, ErrNotFound) {
			in.warn.Warn("events-unknown:"+id, "events from an unknown device dropped", "device", id)
			return wire.Ack{}, false
		}
		if err != nil {
			in.warn.Warn("events-store", "event batch not stored; not acknowledged, so the device resends it", "device", id, "error", err)
			return wire.Ack{}, false
		}
		var stored, conflict []uint64
		for i, o := range outs {
			switch o {
			case EventStored, EventDuplicate:
				stored = append(stored, es[i].DeviceSeq)
			case EventConflict:
				conflict = append(conflict, es[i].DeviceSeq)
			}
		}
		if in.OnTicketCalled != nil {
			for _, c := range calls {
				if outs[c.i] == EventStored {
					in.OnTicketCalled(id, c.e, c.d)
				}
			}
		}
		ack.Stored = wire.RangesOf(stored...)
		ack.Conflict = wire.RangesOf(conflict...)
		if len(conflict) > 0 {
			ack.NextSeq = max(next, ack.Conflict[len(ack.Conflict)-1].Last+1)
			in.warn.Warn("events-conflict:"+id, "device reused event numbers (it lost its counter); told to renumber", "device", id, "next_seq", ack.NextSeq)
		}
	}
	return ack, true
}

// storedCall is a ticket.called event of a batch: its index among the
// events to store, the event and its data.
type storedCall struct {
	i int
	e wire.Event
	d wire.TicketData
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n]
}
