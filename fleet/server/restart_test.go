package server_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet"
	"lawpoint/fleet/broker"
	"lawpoint/fleet/server"
)

// restarted is the county's fleet started again on the same store: a new
// embedded broker (empty: no retained messages) and a new App, not started.
type restarted struct {
	c    *county
	b    *broker.Broker
	app  *server.App
	http *httptest.Server
}

// restart stops c's fleet and builds a new one on its store; store and bus
// may be wrapped.
func restart(c *county, wrapStore func(fleet.Store) fleet.Store, wrapBus func(fleet.Bus) fleet.Bus) *restarted {
	t := c.t
	t.Helper()
	c.stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &restarted{c: c}
	r.b, err = broker.New(fleet.NewRegistry(c.st), broker.Config{Listeners: []net.Listener{ln}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.b.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	c.mqtt = "tcp://" + ln.Addr().String()
	key, err := server.LoadSigningKey(c.data)
	if err != nil {
		t.Fatal(err)
	}
	var st fleet.Store = c.st
	if wrapStore != nil {
		st = wrapStore(st)
	}
	bus := r.b.Bus()
	if wrapBus != nil {
		bus = wrapBus(bus)
	}
	r.app, err = server.NewApp(server.AppConfig{Store: st, Bus: bus, Key: key, BlobDir: filepath.Join(c.data, server.BlobDir),
		Logger: quietLog(), Connected: r.b.Connected})
	if err != nil {
		t.Fatal(err)
	}
	r.app.Distributor.SetClock(c.clock)
	r.app.Library.SetClock(c.clock)
	r.app.Registry.SetClock(c.clock)
	r.app.Ingest.SetClock(c.clock) // its prune would end the staff session
	r.app.Dispatcher.SetClock(c.clock)
	r.http = httptest.NewServer(r.app.Handler())
	c.http = r.http // so c.call reaches the new fleet
	// c's own cleanup stops c.app and c.b again (harmless); this one
	// stops the new fleet first.
	t.Cleanup(func() {
		r.b.Close()
		r.app.Stop()
		r.http.Close()
	})
	return r
}

type health struct {
	Status      string `json:"status"`
	Republish   string `json:"desired_republish"`
	Republished *int   `json:"desired_republished"`
}

func (r *restarted) health() health {
	r.c.t.Helper()
	resp, err := http.Get(r.http.URL + "/healthz")
	if err != nil {
		r.c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var h health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		r.c.t.Fatal(err)
	}
	return h
}

// gatedBus holds every desired-state publish until release is closed, and
// tells entered when the first one waits.
type gatedBus struct {
	fleet.Bus
	release chan struct{}
	entered chan struct{}
	once    sync.Once
}

func (g *gatedBus) Publish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) error {
	if strings.HasSuffix(topic, "/"+string(wire.KindDesired)) {
		g.once.Do(func() { close(g.entered) })
		select {
		case <-g.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return g.Bus.Publish(ctx, topic, payload, qos, retain)
}

// TestRestartServesTheAPIWhileRepublishing: after a restart the App starts
// (and the API answers) while the stored desired state is still being
// republished; /healthz says "running" until it is done, then "done" with
// the number of devices, and a reconnecting board finds its state.
func TestRestartServesTheAPIWhileRepublishing(t *testing.T) {
	c := newCounty(t)
	pw := c.enrol("led-baxia-01", "led", "仙游县/榜头镇/坝下村")
	c.enrol("led-baxia-02", "led", "仙游县/榜头镇/坝下村")
	c.addContent("constitution-day", "12月4日国家宪法日")
	want := c.settled("led-baxia-01").Version
	c.settled("led-baxia-02")

	g := &gatedBus{release: make(chan struct{}), entered: make(chan struct{})}
	r := restart(c, nil, func(b fleet.Bus) fleet.Bus { g.Bus = b; return g })
	started := make(chan error, 1)
	go func() { started <- r.app.Start(context.Background()) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitLimit): // a hung Start, not a timing assertion
		close(g.release)
		t.Fatal("App.Start waits for the republish of every device's desired state")
	}
	<-g.entered // the republish is under way and held
	if h := r.health(); h.Status != "ok" || h.Republish != fleet.RepublishRunning || h.Republished != nil {
		t.Fatalf("health during the republish: %+v; want ok, running", h)
	}
	var status struct {
		Devices int `json:"devices"`
	}
	c.must("GET", "/api/status", nil, &status)
	if status.Devices != 2 {
		t.Fatalf("status during the republish: %+v", status)
	}

	close(g.release)
	eventually(t, "the republish to finish", func() bool { return r.health().Republish == fleet.RepublishDone })
	if h := r.health(); h.Republished == nil || *h.Republished != 2 {
		t.Fatalf("health after the republish: %+v; want 2 devices republished", h)
	}
	d := c.connect("led-baxia-01", pw, 2)
	if got := d.desired(want).Version; got != want {
		t.Fatalf("reconnecting board got desired version %d; want the stored %d", got, want)
	}
}

// staleStates returns the first page States reads as it was read, after
// running then() (a recompute that lands between RepublishAll reading a
// page and publishing it).
type staleStates struct {
	fleet.Store
	once sync.Once
	then func()
}

func (s *staleStates) States(ctx context.Context, after string, limit int) ([]fleet.DeviceState, error) {
	sts, err := s.Store.States(ctx, after, limit)
	s.once.Do(s.then)
	return sts, err
}

// desiredLog records the versions of desired state published per device,
// in order.
type desiredLog struct {
	fleet.Bus
	mu   sync.Mutex
	seen map[string][]uint64
}

func (l *desiredLog) Publish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) error {
	err := l.Bus.Publish(ctx, topic, payload, qos, retain)
	if id, kind, perr := wire.ParseTopic(topic); err == nil && perr == nil && kind == wire.KindDesired {
		des, derr := wire.DecodeDesired(payload)
		l.mu.Lock()
		if derr == nil {
			l.seen[id] = append(l.seen[id], des.Version)
		}
		l.mu.Unlock()
	}
	return err
}

// TestRepublishNeverOvertakesARecompute: the background republish reads a
// page of stored states, a recompute then issues and publishes a newer
// version of a device on it, and the republish must not publish the older
// one after it (the broker would retain the stale state).
func TestRepublishNeverOvertakesARecompute(t *testing.T) {
	c := newCounty(t)
	pw := c.enrol("led-baxia-01", "led", "仙游县/榜头镇/坝下村")
	c.addContent("constitution-day", "12月4日国家宪法日")
	old := c.settled("led-baxia-01").Version

	var r *restarted
	rec := &desiredLog{seen: map[string][]uint64{}}
	r = restart(c,
		func(s fleet.Store) fleet.Store {
			return &staleStates{Store: s, then: func() {
				if _, err := r.app.Distributor.Recompute(t.Context(), true, "led-baxia-01"); err != nil {
					t.Error(err)
				}
			}}
		},
		func(b fleet.Bus) fleet.Bus { rec.Bus = b; return rec })
	if err := r.app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the republish to finish", func() bool {
		s, _ := r.app.Distributor.RepublishStatus()
		return s == fleet.RepublishDone
	})
	st, err := c.st.State(t.Context(), "led-baxia-01")
	if err != nil {
		t.Fatal(err)
	}
	if st.Version != old+1 {
		t.Fatalf("stored version %d; want the recompute's %d", st.Version, old+1)
	}
	rec.mu.Lock()
	seen := append([]uint64(nil), rec.seen["led-baxia-01"]...)
	rec.mu.Unlock()
	for i := 1; i < len(seen); i++ {
		if seen[i] < seen[i-1] {
			t.Fatalf("desired versions published in the order %v: an older one after a newer one", seen)
		}
	}
	d := c.connect("led-baxia-01", pw, 2)
	if got := d.desired(0).Version; got != st.Version {
		t.Fatalf("the broker retains desired version %d; want the newest, %d (published: %v)", got, st.Version, seen)
	}
}
