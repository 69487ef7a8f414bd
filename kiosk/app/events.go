package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"lawpoint/device/cache"
	"lawpoint/device/wire"
	"lawpoint/kiosk/queue"
)

// Agent is what the kiosk needs of the device agent (*device.Agent).
type Agent interface {
	ID() string
	RecordOnce(ctx context.Context, key string, typ wire.EventType, data any) (uint64, error)
	Content() *cache.Set
}

// errNoAgent: the device is not enrolled yet; events wait in the kiosk's
// outbox (and the queue's).
var errNoAgent = errors.New("the device is not enrolled with a fleet yet; events wait in the kiosk's outbox")

// checkEvent refuses, at once, an event the fleet would reject (the rules
// of wire.Event.DecodeData), so the outbox holds only what can be sent.
func checkEvent(kind wire.EventType, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	ev := wire.Event{Type: kind, Data: raw}
	_, err = ev.DecodeData()
	return err
}

// record stores an event in the kiosk's outbox under key and wakes the
// forwarder, which hands it to the agent with RecordOnce(key): however often
// it is handed over (a crash between the hand-over and its deletion here),
// the fleet counts it once.
func (a *App) record(ctx context.Context, key string, kind wire.EventType, data any) error {
	if err := checkEvent(kind, data); err != nil {
		return fmt.Errorf("app: a %s event the fleet would refuse (a bug; nothing stored): %w", kind, err)
	}
	if err := a.store.addEvent(ctx, key, string(kind), data); err != nil {
		return err
	}
	a.kick(a.forwardWake)
	return nil
}

func (a *App) kick(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// forward hands the kiosk's outbox to the agent, oldest first; an event is
// deleted here only after the agent stored it.
func (a *App) forward(ctx context.Context) error {
	ag := a.Agent()
	if ag == nil {
		return errNoAgent
	}
	for {
		evs, err := a.store.pendingEvents(ctx, 100)
		if err != nil || len(evs) == 0 {
			return err
		}
		for _, e := range evs {
			_, err := ag.RecordOnce(ctx, e.Key, wire.EventType(e.Kind), e.Data)
			var de *wire.DecodeError
			if errors.As(err, &de) {
				// Cannot happen for events checked when stored, unless the
				// rules changed: keep nothing that would block the rest.
				a.log.Error("dropping an event the agent refuses", "kind", e.Kind, "err", err)
			} else if err != nil {
				return fmt.Errorf("app: handing a %s event to the agent (kept; will retry): %w", e.Kind, err)
			}
			if err := a.store.dropEvent(ctx, e.Seq); err != nil {
				return fmt.Errorf("app: clearing a handed-over event: %w", err)
			}
		}
	}
}

// runForwarder keeps handing the outbox over: when woken, and every 30 s.
func (a *App) runForwarder(ctx context.Context) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	warned := false
	for {
		if err := a.forward(ctx); err != nil && ctx.Err() == nil && !errors.Is(err, errNoAgent) {
			if !warned {
				a.log.Warn("handing kiosk events to the agent failed; will retry", "err", err)
				warned = true
			}
		} else {
			warned = false
		}
		select {
		case <-ctx.Done():
			return
		case <-a.forwardWake:
		case <-t.C:
		}
	}
}

// queueOutbox hands the queue's events to the agent under the queue's own
// idempotency keys ("{ticket ID}:issued" …), so a replay after a crash
// between the hand-over and the queue's marking it forwarded is counted
// once. queue.Outbox passes no key, so the key is read from the queue's
// outbox: the event being handed over is always the oldest one not yet
// forwarded (Queue.Forward goes in order, one at a time).
type queueOutbox struct {
	a *App
	q *queue.Queue

	mu    sync.Mutex
	after int64 // every event up to here is forwarded or local
}

// Record implements queue.Outbox.
func (o *queueOutbox) Record(ctx context.Context, kind string, data any) error {
	ag := o.a.Agent()
	if ag == nil {
		return errNoAgent
	}
	key, err := o.keyOf(ctx, kind, data)
	if err != nil {
		return err
	}
	_, err = ag.RecordOnce(ctx, key, wire.EventType(kind), data)
	return err
}

func (o *queueOutbox) keyOf(ctx context.Context, kind string, data any) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	want, err := json.Marshal(data)
	if err != nil {
		return "", err
	}
	for {
		evs, err := o.q.Events(ctx, o.after, 200)
		if err != nil {
			return "", fmt.Errorf("app: reading the queue's outbox: %w", err)
		}
		if len(evs) == 0 {
			return "", fmt.Errorf("app: the queue handed over a %s event that is not in its outbox", kind)
		}
		prefix := true
		for _, e := range evs {
			if e.Forwarded || e.Local {
				if prefix {
					o.after = e.Seq
				}
				continue
			}
			prefix = false
			var d wire.TicketData
			if string(e.Kind) != kind || json.Unmarshal(e.Data, &d) != nil {
				return "", fmt.Errorf("app: the queue's oldest pending event is %s %s, not the %s handed over; will retry", e.Kind, e.Key, kind)
			}
			got, _ := json.Marshal(d)
			if !bytes.Equal(got, want) {
				return "", fmt.Errorf("app: the queue's oldest pending event %s does not match the one handed over; will retry", e.Key)
			}
			return e.Key, nil
		}
	}
}
