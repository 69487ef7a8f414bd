package broker_test

import (
	"context"
	"encoding/json"
	"net"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"lawpoint/device/wire"
	"lawpoint/fleet"
	"lawpoint/fleet/broker"
	"lawpoint/fleet/sqlitestore"
)

// env is a county on loopback: a store, a registry with enrolled devices,
// the embedded broker on a random port and the presence tracker.
type env struct {
	store   *sqlitestore.Store
	reg     *fleet.Registry
	broker  *broker.Broker
	addr    string
	pass    map[string]string // device ID → password
	applied chan fleet.Presence
}

const waitLimit = 20 * time.Second // a safety net for a hung test, not a timing assertion

func setup(t *testing.T) *env {
	t.Helper()
	ctx := t.Context()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{store: st, reg: fleet.NewRegistry(st), pass: map[string]string{}, applied: make(chan fleet.Presence, 100)}
	for _, d := range []fleet.Device{
		{ID: "kiosk-a", Kind: fleet.KindKiosk, Region: "仙游县/榜头镇/坝下村"},
		{ID: "led-b", Kind: fleet.KindLED, Region: "仙游县/榜头镇"},
		{ID: "led-c", Kind: fleet.KindLED, Region: "仙游县/盖尾镇"},
		{ID: "led-d", Kind: fleet.KindLED, Region: "仙游县/盖尾镇"},
	} {
		if _, err := e.reg.CreateDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
		tok, _, err := e.reg.CreateToken(ctx, d.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		en, err := e.reg.Enrol(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		e.pass[d.ID] = en.Password
	}
	if err := e.reg.Revoke(ctx, "led-c"); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.broker, err = broker.New(e.reg, broker.Config{Listeners: []net.Listener{ln}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.broker.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.broker.Close() })
	e.addr = e.broker.Addr("extra-0")

	tr := fleet.NewPresenceTracker(st, nil)
	tr.OnApplied = func(ps []fleet.Presence) {
		for _, p := range ps {
			e.applied <- p
		}
	}
	if err := tr.Subscribe(ctx, e.broker.Bus()); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { tr.Run(runCtx); close(done) }()
	t.Cleanup(func() { stop(); <-done })
	return e
}

type dialOpts struct {
	clientID string         // default: the username
	will     *wire.Presence // last will on the device's presence topic
	conn     *net.Conn      // receives the raw connection, to cut it
	lost     chan error     // receives the error when the broker drops the client
}

func (e *env) dial(t *testing.T, user, pass string, o dialOpts) (paho.Client, error) {
	t.Helper()
	opts := paho.NewClientOptions().AddBroker("tcp://" + e.addr).
		SetUsername(user).SetPassword(pass).SetClientID(user).
		SetProtocolVersion(4).SetCleanSession(true).
		SetAutoReconnect(false).SetConnectRetry(false).
		SetConnectTimeout(waitLimit).SetWriteTimeout(waitLimit)
	if o.clientID != "" {
		opts.SetClientID(o.clientID)
	}
	if o.will != nil {
		b, _ := json.Marshal(o.will)
		opts.SetBinaryWill(wire.Topic(user, wire.KindPresence), b, 1, true)
	}
	if o.conn != nil {
		opts.SetCustomOpenConnectionFn(func(u *url.URL, _ paho.ClientOptions) (net.Conn, error) {
			c, err := net.Dial("tcp", u.Host)
			*o.conn = c
			return c, err
		})
	}
	if o.lost != nil {
		opts.SetConnectionLostHandler(func(_ paho.Client, err error) { o.lost <- err })
	}
	c := paho.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(waitLimit) {
		t.Fatal("connect did not finish")
	}
	if err := tok.Error(); err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c, nil
}

func (e *env) device(t *testing.T, id string) paho.Client {
	t.Helper()
	c, err := e.dial(t, id, e.pass[id], dialOpts{})
	if err != nil {
		t.Fatalf("%s with good credentials: %v", id, err)
	}
	return c
}

func wait(t *testing.T, tok paho.Token) {
	t.Helper()
	if !tok.WaitTimeout(waitLimit) {
		t.Fatal("MQTT operation did not finish")
	}
	if err := tok.Error(); err != nil {
		t.Fatal(err)
	}
}

func TestConnectRules(t *testing.T) {
	e := setup(t)
	e.device(t, "kiosk-a")
	other := wire.Topic("led-b", wire.KindPresence)
	for _, tc := range []struct {
		name, user, pass string
		o                dialOpts
	}{
		{"wrong password", "kiosk-a", e.pass["led-b"], dialOpts{}},
		{"empty password", "kiosk-a", "", dialOpts{}},
		{"revoked device", "led-c", e.pass["led-c"], dialOpts{}},
		{"unknown device", "led-x", e.pass["kiosk-a"], dialOpts{}},
		{"no username", "", "", dialOpts{clientID: "kiosk-a"}},
		{"client ID of another device (session takeover)", "kiosk-a", e.pass["kiosk-a"], dialOpts{clientID: "led-b"}},
		{"will on another device's topic", "kiosk-a", e.pass["kiosk-a"], dialOpts{will: &wire.Presence{Schema: wire.Schema, Status: wire.Offline, Session: 1, Reason: wire.OfflineLost}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			user := tc.user
			o := tc.o
			if tc.name == "will on another device's topic" {
				// dial puts the will on the user's own topic; aim it at led-b instead.
				opts := paho.NewClientOptions().AddBroker("tcp://"+e.addr).SetUsername(user).SetPassword(tc.pass).
					SetClientID(user).SetProtocolVersion(4).SetAutoReconnect(false).SetConnectTimeout(waitLimit).
					SetWill(other, `{"schema":1,"status":"offline","session":1,"reason":"lost"}`, 1, true)
				c := paho.NewClient(opts)
				tok := c.Connect()
				tok.WaitTimeout(waitLimit)
				if tok.Error() == nil {
					c.Disconnect(0)
					t.Fatal("connected with a will on another device's presence topic")
				}
				return
			}
			if _, err := e.dial(t, user, tc.pass, o); err == nil {
				t.Fatal("connected; want the connection refused")
			}
		})
	}
	// The good session is still there after all the refused attempts.
	if n := e.broker.Connected(); n != 1 {
		t.Fatalf("%d clients connected, want 1 (kiosk-a)", n)
	}
}

func TestDeviceStaysInItsSubtree(t *testing.T) {
	e := setup(t)
	a := e.device(t, "kiosk-a")
	for _, tc := range []struct {
		filter string
		ok     bool
	}{
		{wire.Topic("kiosk-a", wire.KindDesired), true},
		{wire.Topic("kiosk-a", wire.KindCommand), true},
		{wire.Topic("led-b", wire.KindDesired), false},
		{wire.Topic("led-b", wire.KindCommand), false},
		{wire.Topic("led-b", wire.KindPresence), false},
		{wire.Filter(wire.KindDesired), false},
		{wire.DevicePrefix + "led-b/#", false},
		{"#", false},
		{"$SYS/#", false},
		{wire.SharedFilter(wire.KindEvents), false},
	} {
		tok := a.Subscribe(tc.filter, 1, func(paho.Client, paho.Message) {})
		wait(t, tok)
		// One filter per SUBSCRIBE; paho keys "$share/g/f" results by "f".
		res := tok.(*paho.SubscribeToken).Result()
		code := byte(0xff)
		for _, c := range res {
			code = c
		}
		if granted := code < 0x80; granted != tc.ok {
			t.Errorf("kiosk-a subscribing to %q: granted=%v (code %#x), want %v", tc.filter, granted, code, tc.ok)
		}
	}

	// Messages the fleet sends to led-b never reach kiosk-a, even through a
	// subscription it was granted.
	got := make(chan string, 10)
	wait(t, a.Subscribe(wire.Topic("kiosk-a", wire.KindCommand), 1, func(_ paho.Client, m paho.Message) { got <- m.Topic() }))
	bus := e.broker.Bus()
	ctx := t.Context()
	if err := bus.Publish(ctx, wire.Topic("led-b", wire.KindCommand), []byte(`{}`), 1, false); err != nil {
		t.Fatal(err)
	}
	if err := bus.Publish(ctx, wire.Topic("kiosk-a", wire.KindCommand), []byte(`{}`), 1, false); err != nil {
		t.Fatal(err)
	}
	select {
	case topic := <-got:
		if topic != wire.Topic("kiosk-a", wire.KindCommand) {
			t.Fatalf("kiosk-a received %s", topic)
		}
	case <-time.After(waitLimit):
		t.Fatal("kiosk-a did not receive its own command")
	}
}

func TestDeviceCannotWriteDesiredOrCommands(t *testing.T) {
	e := setup(t)
	bus := e.broker.Bus()
	ctx := t.Context()
	seen := make(chan fleet.Message, 10)
	for _, k := range []wire.Kind{wire.KindDesired, wire.KindCommand, wire.KindTelemetry} {
		if err := bus.Subscribe(ctx, wire.Topic("kiosk-a", k), 0, func(m fleet.Message) { seen <- m }); err != nil {
			t.Fatal(err)
		}
	}
	if err := bus.Subscribe(ctx, wire.Topic("led-b", wire.KindDesired), 0, func(m fleet.Message) { seen <- m }); err != nil {
		t.Fatal(err)
	}
	a := e.device(t, "kiosk-a")
	// QoS 0 publishes the ACL refuses are dropped; a publish it allows,
	// sent after them on the same connection, marks that they were handled.
	for _, topic := range []string{
		wire.Topic("kiosk-a", wire.KindDesired),
		wire.Topic("kiosk-a", wire.KindCommand),
		wire.Topic("led-b", wire.KindDesired),
	} {
		wait(t, a.Publish(topic, 0, false, `{"forged":true}`))
	}
	// Allowed topic, wrong flags: telemetry is QoS 0 and not retained.
	wait(t, a.Publish(wire.Topic("kiosk-a", wire.KindTelemetry), 0, true, `{"retained":true}`))
	wait(t, a.Publish(wire.Topic("kiosk-a", wire.KindTelemetry), 1, false, `{"qos":1}`))
	wait(t, a.Publish(wire.Topic("kiosk-a", wire.KindTelemetry), 0, false, `{}`))
	select {
	case m := <-seen:
		if m.Topic != wire.Topic("kiosk-a", wire.KindTelemetry) || string(m.Payload) != `{}` {
			t.Fatalf("a forged or malformed message reached the fleet: %s %s", m.Topic, m.Payload)
		}
	case <-time.After(waitLimit):
		t.Fatal("kiosk-a's telemetry did not arrive")
	}

	// A QoS 1 publish to its own desired state gets the device disconnected
	// (MQTT 3.1.1 has no negative PUBACK).
	lost := make(chan error, 1)
	b, err := e.dial(t, "led-b", e.pass["led-b"], dialOpts{lost: lost})
	if err != nil {
		t.Fatal(err)
	}
	b.Publish(wire.Topic("led-b", wire.KindDesired), 1, true, `{"forged":true}`)
	select {
	case <-lost:
	case <-time.After(waitLimit):
		t.Fatal("led-b is still connected after writing its own desired state")
	}
	select {
	case m := <-seen:
		t.Fatalf("a forged message reached the fleet on %s", m.Topic)
	default:
	}
	// Nothing was retained either: a new subscriber gets no desired state.
	retained := make(chan string, 1)
	if err := bus.Subscribe(ctx, wire.Topic("led-b", wire.KindDesired), 0, func(m fleet.Message) { retained <- m.Topic }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-retained:
		t.Fatal("forged desired state was retained")
	default:
	}
}

func presence(status wire.PresenceStatus, session uint64) *wire.Presence {
	p := &wire.Presence{Schema: wire.Schema, Status: status, Session: session}
	if status == wire.Online {
		p.DeviceKind, p.AppVersion = wire.Kiosk, "test"
	} else {
		p.Reason = wire.OfflineLost
	}
	return p
}

func publishPresence(t *testing.T, c paho.Client, id string, p *wire.Presence) {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	wait(t, c.Publish(wire.Topic(id, wire.KindPresence), 1, true, b))
}

// awaitPresence waits until the tracker has stored a change for id.
func (e *env) awaitPresence(t *testing.T, id string, online bool, session uint64) {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		select {
		case p := <-e.applied:
			if p.DeviceID == id && p.Online == online && p.Session == session {
				return
			}
		case <-deadline:
			got, err := e.store.Presence(t.Context(), id)
			t.Fatalf("%s never became online=%v session=%d; stored %+v %v", id, online, session, got, err)
		}
	}
}

func TestPresenceWithLateWill(t *testing.T) {
	e := setup(t)
	ctx := t.Context()

	// Session 1 comes online, with a will for a lost connection.
	var conn1 net.Conn
	a1, err := e.dial(t, "kiosk-a", e.pass["kiosk-a"], dialOpts{will: presence(wire.Offline, 1), conn: &conn1})
	if err != nil {
		t.Fatal(err)
	}
	publishPresence(t, a1, "kiosk-a", presence(wire.Online, 1))
	e.awaitPresence(t, "kiosk-a", true, 1)

	// The link drops without a DISCONNECT: the broker publishes the will.
	conn1.Close()
	e.awaitPresence(t, "kiosk-a", false, 1)

	// Session 2 comes online.
	var conn2 net.Conn
	a2, err := e.dial(t, "kiosk-a", e.pass["kiosk-a"], dialOpts{will: presence(wire.Offline, 2), conn: &conn2})
	if err != nil {
		t.Fatal(err)
	}
	publishPresence(t, a2, "kiosk-a", presence(wire.Online, 2))
	e.awaitPresence(t, "kiosk-a", true, 2)

	// A will of session 1 arrives late (as from an external broker that
	// noticed the old connection only now). Then led-d comes online; the
	// tracker handles messages in order, so once led-d is stored the late
	// will has been dealt with.
	b, _ := json.Marshal(presence(wire.Offline, 1))
	if err := e.broker.Bus().Publish(ctx, wire.Topic("kiosk-a", wire.KindPresence), b, 1, false); err != nil {
		t.Fatal(err)
	}
	d := e.device(t, "led-d")
	publishPresence(t, d, "led-d", presence(wire.Online, 7))
	e.awaitPresence(t, "led-d", true, 7)

	got, err := e.store.Presence(ctx, "kiosk-a")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Online || got.Session != 2 {
		t.Fatalf("after a late will of session 1: online=%v session=%d, want online in session 2", got.Online, got.Session)
	}
	// A device heard live has a last-seen time (staff see "刚刚", not
	// "从未上线"), although its presence is published with the retain flag.
	if got.LastSeen.IsZero() {
		t.Fatal("kiosk-a is online but its last-seen time was never recorded")
	}

	// Session 2 ends by losing its link: offline.
	conn2.Close()
	e.awaitPresence(t, "kiosk-a", false, 2)
}

func TestRevokeDisconnects(t *testing.T) {
	e := setup(t)
	lost := make(chan error, 1)
	if _, err := e.dial(t, "led-b", e.pass["led-b"], dialOpts{lost: lost}); err != nil {
		t.Fatal(err)
	}
	if err := e.reg.Revoke(t.Context(), "led-b"); err != nil {
		t.Fatal(err)
	}
	if !e.broker.Disconnect("led-b") {
		t.Fatal("Disconnect says led-b was not connected")
	}
	select {
	case <-lost:
	case <-time.After(waitLimit):
		t.Fatal("led-b still connected after being revoked")
	}
	if _, err := e.dial(t, "led-b", e.pass["led-b"], dialOpts{}); err == nil {
		t.Fatal("revoked led-b reconnected")
	}
}
