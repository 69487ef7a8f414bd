package fleet

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet/internal/ratelog"
)

// PresenceTracker keeps every device's online/offline state from the
// retained presence messages and last wills of docs/PROTOCOL.md. Messages
// are decoded strictly, queued, and written to the store in batches (one
// transaction per batch), so 50,000 devices reconnecting after an outage
// cost a few hundred commits, not 50,000. The store appends every change
// (verdict wire.Applied) to the presence history in the same transaction,
// at the observation's LastSeen: the receive time Handle stamps (uptime,
// fleet/uptime.go).
type PresenceTracker struct {
	store Store
	log   *slog.Logger
	warn  *ratelog.Limiter
	now   func() time.Time
	queue chan Presence
	done  chan struct{} // closed when Run returns

	// OnBehind, if set, is called (from the tracker's goroutine) for a
	// device that came online with a session older than one already seen:
	// it lost its counter, and its desired state must be republished with
	// session_floor set (wire.Behind).
	OnBehind func(deviceID string, seen uint64)
	// OnApplied, if set, is called after each stored batch with the
	// observations that changed a device's state.
	OnApplied func([]Presence)
}

// MaxPresenceBatch is the most observations written in one transaction.
const MaxPresenceBatch = 1000

// Bounds of the presence writes. An observation taken off the queue is
// written even while Run is being stopped (a shutdown is exactly when every
// device's will arrives), so writes do not use Run's context; these
// timeouts keep a stuck store from holding the tracker up forever.
const (
	// PresenceWriteTimeout bounds one batch.
	PresenceWriteTimeout = 30 * time.Second
	// PresenceDrainTimeout bounds writing everything still queued when Run
	// is stopped.
	PresenceDrainTimeout = 10 * time.Second
)

// NewPresenceTracker returns a tracker writing to s.
func NewPresenceTracker(s Store, log *slog.Logger) *PresenceTracker {
	if log == nil {
		log = slog.Default()
	}
	return &PresenceTracker{
		store: s,
		log:   log,
		warn:  ratelog.New(log, time.Minute),
		now:   time.Now,
		queue: make(chan Presence, 4*MaxPresenceBatch),
		done:  make(chan struct{}),
	}
}

// Subscribe subscribes to every device's presence topic on bus (shared
// between fleet replicas). Messages queue until Run stores them.
func (t *PresenceTracker) Subscribe(ctx context.Context, bus Bus) error {
	if err := bus.Subscribe(ctx, wire.SharedFilter(wire.KindPresence), 1, t.Handle); err != nil {
		return fmt.Errorf("presence: %w", err)
	}
	return nil
}

// Run stores queued presence observations until ctx ends. Messages still
// queued when ctx ends are written before Run returns (within
// PresenceDrainTimeout); later ones are dropped. Call Run once.
//
// Ending ctx only stops the loop: no write uses ctx, so a batch being
// written when ctx ends is still stored (it used to fail with "context
// canceled", and those devices showed online until they next connected).
func (t *PresenceTracker) Run(ctx context.Context) error {
	defer close(t.done)
	wctx := context.WithoutCancel(ctx)
	batch := make([]Presence, 0, MaxPresenceBatch)
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			// Drain what is queued, then stop.
			dctx, cancel := context.WithTimeout(wctx, PresenceDrainTimeout)
			defer cancel()
			for {
				select {
				case p := <-t.queue:
					batch = append(batch, p)
					if len(batch) < MaxPresenceBatch {
						continue
					}
				default:
				}
				if len(batch) == 0 {
					return nil
				}
				t.flush(dctx, batch)
				batch = batch[:0]
			}
		case p := <-t.queue:
			batch = append(batch, p)
		fill:
			for len(batch) < MaxPresenceBatch {
				select {
				case p := <-t.queue:
					batch = append(batch, p)
				default:
					break fill
				}
			}
			fctx, cancel := context.WithTimeout(wctx, PresenceWriteTimeout)
			t.flush(fctx, batch)
			cancel()
		}
	}
}

func (t *PresenceTracker) flush(ctx context.Context, batch []Presence) {
	verdicts, err := t.store.UpdatePresence(ctx, batch)
	if err != nil {
		t.warn.Warn("presence-store", "presence not stored; devices may show a stale online state until they next connect",
			"devices", len(batch), "error", err)
		return
	}
	var applied []Presence
	for i, v := range verdicts {
		switch v {
		case wire.Applied:
			applied = append(applied, batch[i])
		case wire.Behind:
			if t.OnBehind != nil {
				// The floor is the newest session seen, which the store holds
				// (the observation carries the device's older one).
				seen := batch[i].Session
				if p, err := t.store.Presence(ctx, batch[i].DeviceID); err == nil && p.Session > seen {
					seen = p.Session
				}
				t.OnBehind(batch[i].DeviceID, seen)
			}
		}
	}
	if len(applied) > 0 && t.OnApplied != nil {
		t.OnApplied(applied)
	}
}

// Handle decodes one presence message and queues it. It is the Bus handler
// Run installs; it blocks only when the queue is full (back-pressure on the
// sending connection).
func (t *PresenceTracker) Handle(m Message) {
	id, kind, err := wire.ParseTopic(m.Topic)
	if err != nil || kind != wire.KindPresence {
		t.warn.Warn("presence-topic", "message on an unexpected presence topic ignored", "topic", m.Topic, "error", err)
		return
	}
	if len(m.Payload) == 0 {
		return // a cleared retained message (retired device)
	}
	p, err := wire.DecodePresence(m.Payload)
	if err != nil {
		t.warn.Warn("presence:"+id, "presence message refused", "device", id, "error", err)
		return
	}
	obs := Presence{DeviceID: id, Online: p.Status == wire.Online, Session: p.Session, LastSeen: t.now()}
	if m.Retained {
		obs.LastSeen = time.Time{} // stored earlier: says nothing about when the device was last heard
	}
	select {
	case t.queue <- obs:
	case <-t.done:
	}
}
