package mqttbus_test

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"lawpoint/device/wire"
	"lawpoint/fleet"
	"lawpoint/fleet/broker"
	"lawpoint/fleet/mqttbus"
	"lawpoint/fleet/sqlitestore"
)

const waitLimit = 20 * time.Second // safety net, not a timing assertion

// runTracker runs the fleet's presence tracker on st, subscribed through
// bus, until stop; the presences it stores come on applied.
func runTracker(t *testing.T, st fleet.Store, bus fleet.Bus) (applied <-chan fleet.Presence, stop func()) {
	t.Helper()
	tr := fleet.NewPresenceTracker(st, nil)
	ch := make(chan fleet.Presence, 10)
	tr.OnApplied = func(ps []fleet.Presence) {
		for _, p := range ps {
			ch <- p
		}
	}
	if err := tr.Subscribe(t.Context(), bus); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { tr.Run(runCtx); close(done) }()
	return ch, func() { cancel(); <-done }
}

// The fleet's MQTT logic runs unchanged over a network connection: here the
// presence tracker and desired-state publishing go through mqttbus to the
// embedded broker's TCP port, as they would to Mosquitto.
func TestFleetOverNetworkConnection(t *testing.T) {
	ctx := t.Context()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg := fleet.NewRegistry(st)
	if _, err := reg.CreateDevice(ctx, fleet.Device{ID: "led-1", Kind: fleet.KindLED, Region: "仙游县/榜头镇"}); err != nil {
		t.Fatal(err)
	}
	tok, _, _ := reg.CreateToken(ctx, "led-1", 0)
	dev, err := reg.Enrol(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	fleetPW, err := reg.CreateFleetAccount(ctx, wire.DefaultFleetUser)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b, err := broker.New(reg, broker.Config{Listeners: []net.Listener{ln}})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	url := "mqtt://" + b.Addr("extra-0")

	if _, err := mqttbus.Dial(ctx, mqttbus.Config{URL: url, Username: wire.DefaultFleetUser, Password: "wrong"}); err == nil {
		t.Fatal("fleet connected with a wrong password")
	}
	bus, err := mqttbus.Dial(ctx, mqttbus.Config{URL: url, Username: wire.DefaultFleetUser, Password: fleetPW})
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()

	applied, stop := runTracker(t, st, bus)
	defer stop()

	// The fleet retains desired state for the device before it connects.
	if err := bus.Publish(ctx, wire.Topic("led-1", wire.KindDesired), []byte(`{"v":1}`), 1, true); err != nil {
		t.Fatal(err)
	}

	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + b.Addr("extra-0")).
		SetClientID("led-1").SetUsername("led-1").SetPassword(dev.Password).SetAutoReconnect(false))
	if tk := c.Connect(); !tk.WaitTimeout(waitLimit) || tk.Error() != nil {
		t.Fatalf("device connect: %v", tk.Error())
	}
	defer c.Disconnect(0)
	desired := make(chan string, 1)
	if tk := c.Subscribe(wire.Topic("led-1", wire.KindDesired), 1, func(_ paho.Client, m paho.Message) { desired <- string(m.Payload()) }); !tk.WaitTimeout(waitLimit) || tk.Error() != nil {
		t.Fatal("device subscribe failed")
	}
	select {
	case got := <-desired:
		if got != `{"v":1}` {
			t.Fatalf("device got desired %s", got)
		}
	case <-time.After(waitLimit):
		t.Fatal("retained desired state did not reach the device")
	}

	p, _ := json.Marshal(wire.Presence{Schema: wire.Schema, Status: wire.Online, Session: 3, DeviceKind: wire.LED, AppVersion: "t"})
	if tk := c.Publish(wire.Topic("led-1", wire.KindPresence), 1, true, p); !tk.WaitTimeout(waitLimit) || tk.Error() != nil {
		t.Fatal("presence publish failed")
	}
	select {
	case got := <-applied:
		if got.DeviceID != "led-1" || !got.Online || got.Session != 3 {
			t.Fatalf("stored presence %+v", got)
		}
	case <-time.After(waitLimit):
		t.Fatal("presence did not reach the store over the shared subscription")
	}
}

type closingBus interface {
	fleet.Bus
	Close() error
}

func dialBus(ctx context.Context, user, password, addr string) (closingBus, error) {
	return mqttbus.Dial(ctx, mqttbus.Config{URL: "mqtt://" + addr, Username: user, Password: password})
}
