package devicetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"lawpoint/device/wire"
)

// Fleet is a minimal fleet side for the agent's tests: an MQTT client as
// the fleet user that records everything devices publish and can publish
// desired states, commands, acks and time replies.
type Fleet struct {
	t      testing.TB
	client mqtt.Client
	mu     sync.Mutex
	msgs   []Message
	notify chan struct{}
	closed atomic.Bool
	// OnMessage, when set, runs for each message (on a goroutine of its
	// own per message is not guaranteed: keep it quick).
	OnMessage func(f *Fleet, m Message)
}

// Message is one message a device published.
type Message struct {
	Device  string
	Kind    wire.Kind
	Payload []byte
	Retain  bool
}

// NewFleet connects to broker (mqtt://…) as FleetUser with password and
// subscribes to every device topic.
func NewFleet(t testing.TB, broker, password string) *Fleet {
	t.Helper()
	f := &Fleet{t: t, notify: make(chan struct{}, 1)}
	opts := mqtt.NewClientOptions().AddBroker(broker).SetClientID(FleetUser + "-test").
		SetUsername(FleetUser).SetPassword(password).SetCleanSession(true).
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(100 * time.Millisecond).
		SetMaxReconnectInterval(200 * time.Millisecond).
		SetOnConnectHandler(func(c mqtt.Client) {
			c.Subscribe("lp/v1/dev/+/+", 1, f.handle)
		})
	f.client = mqtt.NewClient(opts)
	if tok := f.client.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("fleet client cannot connect: %v", tok.Error())
	}
	t.Cleanup(func() { f.closed.Store(true); f.client.Disconnect(100) })
	return f
}

func (f *Fleet) handle(_ mqtt.Client, m mqtt.Message) {
	id, kind, err := wire.ParseTopic(m.Topic())
	if err != nil {
		return
	}
	msg := Message{Device: id, Kind: kind, Payload: append([]byte(nil), m.Payload()...), Retain: m.Retained()}
	f.mu.Lock()
	f.msgs = append(f.msgs, msg)
	f.mu.Unlock()
	select {
	case f.notify <- struct{}{}:
	default:
	}
	if f.OnMessage != nil {
		go f.OnMessage(f, msg)
	}
}

// Messages returns what devices published so far, of kind k ("" for all).
func (f *Fleet) Messages(k wire.Kind) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Message
	for _, m := range f.msgs {
		if k == "" || m.Kind == k {
			out = append(out, m)
		}
	}
	return out
}

// Wait waits up to within until cond holds on the messages so far.
func (f *Fleet) Wait(within time.Duration, what string, cond func(msgs []Message) bool) {
	f.t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for {
		if cond(f.Messages("")) {
			return
		}
		select {
		case <-deadline.C:
			f.t.Fatalf("waited %v for %s; the fleet saw %d messages:\n%s", within, what, len(f.Messages("")), f.dump())
		case <-f.notify:
		case <-poll.C:
		}
	}
}

func (f *Fleet) dump() string {
	s := ""
	for i, m := range f.Messages("") {
		if i > 60 {
			break
		}
		p := string(m.Payload)
		if len(p) > 300 {
			p = p[:300] + "…"
		}
		s += fmt.Sprintf("  %s %s %s\n", m.Device, m.Kind, p)
	}
	return s
}

// Publish sends p to device id on the kind's topic with its QoS and retain.
func (f *Fleet) Publish(id string, p wire.Payload) {
	f.t.Helper()
	b, err := wire.Encode(p)
	if err != nil {
		f.t.Errorf("encoding %s: %v", p.TopicKind(), err)
		return
	}
	f.PublishRaw(id, p.TopicKind(), b)
}

// PublishRaw sends b to device id on the topic of kind k.
func (f *Fleet) PublishRaw(id string, k wire.Kind, b []byte) {
	f.t.Helper()
	if f.closed.Load() {
		return // the test is over; a late responder goroutine stops here
	}
	spec, _ := wire.SpecOf(k)
	// Right after a broker restart the fleet's own client may still hold
	// the dead connection (a write then fails with a broken pipe) until
	// paho notices and reconnects; a real fleet retries, and so does this.
	deadline := time.Now().Add(15 * time.Second)
	for {
		tok := f.client.Publish(wire.Topic(id, k), spec.QoS, spec.Retain, b)
		ok := tok.WaitTimeout(10 * time.Second)
		if ok && tok.Error() == nil {
			return
		}
		if f.closed.Load() {
			return
		}
		if time.Now().After(deadline) {
			f.t.Errorf("fleet publish %s: %v", k, tok.Error())
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
