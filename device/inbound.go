package device

import (
	"bytes"
	"context"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"lawpoint/device/wire"
)

// onMessage runs on paho's network goroutine: it never blocks. It checks
// topic and size, then hands the payload to a worker: desired states to a
// one-slot mailbox where the newest replaces an older one, commands and
// everything else to bounded queues; a full queue drops and counts.
func (a *Agent) onMessage(_ mqtt.Client, m mqtt.Message) {
	id, kind, err := wire.ParseTopic(m.Topic())
	if err != nil || id != a.creds.DeviceID {
		a.drop(wire.Kind("topic"), "bad_topic", "message on a topic outside this device's subtree: "+m.Topic())
		return
	}
	spec, _ := wire.SpecOf(kind)
	if len(m.Payload()) > spec.MaxBytes {
		a.drop(kind, "too_large", "payload over the size cap, dropped unread")
		return
	}
	payload := bytes.Clone(m.Payload())
	switch kind {
	case wire.KindDesired:
		a.desired.put(payload)
	case wire.KindCommand:
		select {
		case a.commands <- payload:
		default:
			a.dropped.Add(1)
		}
	case wire.KindAck, wire.KindTime, wire.KindPresence:
		select {
		case a.inbox <- inbound{kind, payload}:
		default:
			a.dropped.Add(1)
		}
	default:
		a.drop(kind, "bad_topic", "the device does not read this kind")
	}
}

// drop records a message that was dropped without decoding.
func (a *Agent) drop(kind wire.Kind, code, msg string) {
	a.dropped.Add(1)
	key := string(kind) + "." + code
	if a.limit.first("drop."+key, time.Hour) {
		a.log.Warn("dropped a message from the fleet", "kind", kind, "code", code, "detail", msg)
	}
}

// rejectDecoded logs once per (kind, code) per hour and raises one
// protocol fault for a message that did not decode.
func (a *Agent) rejectDecoded(ctx context.Context, kind wire.Kind, err error) {
	code := wire.Code(err)
	if code == "" {
		code = "malformed"
	}
	key := string(kind) + "." + code
	if a.limit.first("decode."+key, time.Hour) {
		a.log.Warn("dropped a bad message from the fleet", "kind", kind, "code", code, "err", err)
	}
	a.fault(ctx, "protocol", key, wire.SeverityWarning, err.Error())
}

// inboxWorker handles acks, time replies and the device's own presence.
func (a *Agent) inboxWorker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-a.inbox:
			switch m.kind {
			case wire.KindAck:
				a.handleAck(ctx, m.payload)
			case wire.KindTime:
				r, err := wire.DecodeTime(m.payload)
				if err != nil {
					a.rejectDecoded(ctx, wire.KindTime, err)
					continue
				}
				a.clock.Reply(r)
			case wire.KindPresence:
				a.handleOwnPresence(ctx, m.payload)
			}
		}
	}
}

// handleOwnPresence repairs the retained presence when a late will of an
// older session overwrote this session's online message.
func (a *Agent) handleOwnPresence(ctx context.Context, b []byte) {
	p, err := wire.DecodePresence(b)
	if err != nil {
		a.rejectDecoded(ctx, wire.KindPresence, err)
		return
	}
	c := a.current()
	if c == nil || p.Status != wire.Offline || p.Session >= c.session || c.repaired.Swap(true) {
		return
	}
	a.log.Info("a late will of an older session replaced our presence; publishing online again", "stale_session", p.Session, "session", c.session)
	a.publish(ctx, c, a.onlinePresence(c.session))
}

// clockWorker checks NTP every minute and asks the fleet for the time
// every wire.ClockRefresh while connected.
func (a *Agent) clockWorker(ctx context.Context) {
	a.clock.CheckNTP(ctx)
	ntp := time.NewTicker(time.Minute)
	defer ntp.Stop()
	ask := time.NewTicker(wire.ClockRefresh)
	defer ask.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ntp.C:
			a.clock.CheckNTP(ctx)
		case <-ask.C:
			if c := a.current(); c != nil {
				a.publish(ctx, c, a.clock.Request())
			}
		}
	}
}

// desiredSlot holds the newest desired payload not yet handled.
type desiredSlot struct {
	mu      sync.Mutex
	latest  []byte
	working []byte             // the payload being applied
	cancel  context.CancelFunc // cancels the apply in progress
	wake    chan struct{}
}

// put stores b as the newest desired state. A different payload cancels
// the apply in progress (a newer state supersedes it); the same payload
// again (the retained copy on every connect) is ignored while it applies.
func (s *desiredSlot) put(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.working != nil && bytes.Equal(s.working, b) {
		return
	}
	s.latest = b
	if s.cancel != nil {
		s.cancel()
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// take returns the newest payload and a context for applying it.
func (s *desiredSlot) take(ctx context.Context) ([]byte, context.Context, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.latest
	s.latest = nil
	if b == nil {
		return nil, nil, nil
	}
	actx, cancel := context.WithCancel(ctx)
	s.working, s.cancel = b, cancel
	return b, actx, func() {
		s.mu.Lock()
		s.working, s.cancel = nil, nil
		s.mu.Unlock()
		cancel()
	}
}
