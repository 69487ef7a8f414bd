package sim_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet/client"
	"lawpoint/fleet/server"
	"lawpoint/fleet/sim"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// fleetProc is a fleet served in-process the way `lawpoint-fleet serve`
// runs it, restartable on the same addresses.
type fleetProc struct {
	t      *testing.T
	data   string
	mqtt   string
	http   string
	cancel context.CancelFunc
	done   chan error
}

func (f *fleetProc) start() {
	f.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan map[string]string, 1)
	f.cancel, f.done = cancel, make(chan error, 1)
	mqtt, httpAddr := f.mqtt, f.http
	if mqtt == "" {
		mqtt, httpAddr = "127.0.0.1:0", "127.0.0.1:0"
	}
	go func() {
		f.done <- server.Serve(ctx, server.ServeConfig{Data: f.data, MQTT: mqtt, HTTP: httpAddr, Logger: quiet(),
			Ready: func(a map[string]string) { ready <- a }})
	}()
	select {
	case a := <-ready:
		f.mqtt, f.http = a["mqtt"], a["http"]
	case err := <-f.done:
		f.t.Fatalf("serve: %v", err)
	case <-time.After(30 * time.Second):
		f.t.Fatal("the fleet did not start")
	}
}

func (f *fleetProc) stop() error {
	f.cancel()
	return <-f.done
}

// TestSimulatedDevicesConverge registers devices through the store and
// through the API, runs the converge phase (one schedule change) and the
// reconnect phase (a fleet restart) against a fleet served in-process,
// and checks that every device converged in the simulator's and the
// fleet's view, and came back after the restart. It checks behaviour,
// not timing.
func TestSimulatedDevicesConverge(t *testing.T) {
	ctx := t.Context()
	data := filepath.Join(t.TempDir(), "data")
	res, err := server.Init(ctx, server.InitConfig{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	var outMu sync.Mutex
	cfg := sim.Config{N: 15, Data: data, Out: &lockedWriter{w: &out, mu: &outMu}, Log: quiet(),
		Backoff: wire.Backoff{Min: 50 * time.Millisecond, Max: 400 * time.Millisecond}, ResetAfter: time.Millisecond,
		PollEvery: 50 * time.Millisecond, Timeout: time.Minute, Changes: 1, Ramp: 200}
	// 15 devices through the store while the fleet is stopped.
	st, err := sim.Setup(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Devices) != 15 || st.Token == "" || st.PublicKey != res.PublicKey {
		t.Fatalf("setup through the store: %d devices, token %q, key %q", len(st.Devices), st.Token, st.PublicKey)
	}
	f := &fleetProc{t: t, data: data}
	f.start()
	t.Cleanup(func() { f.stop() })
	cfg.FleetURL, cfg.MQTT = "http://"+f.http, f.mqtt

	// 5 more through the API, as an installer would (admin login).
	c := &client.Client{URL: cfg.FleetURL}
	if _, err := c.Login(ctx, "admin", res.AdminPassword, time.Hour); err != nil {
		t.Fatal(err)
	}
	api := cfg
	api.Data, api.N, api.Token, api.StateFile = "", 20, c.Token, filepath.Join(data, "sim-state.json")
	if st, err = sim.Setup(ctx, api); err != nil {
		t.Fatal(err)
	}
	if len(st.Devices) != 20 {
		t.Fatalf("after setup through the API the state holds %d devices, want 20", len(st.Devices))
	}
	ids := map[string]bool{}
	for _, d := range st.Devices {
		ids[d.ID] = true
		if d.Password == "" {
			t.Fatalf("device %s has no password", d.ID)
		}
	}
	if len(ids) != 20 {
		t.Fatalf("%d distinct device IDs, want 20", len(ids))
	}

	cfg.N = 20
	rep, err := sim.Run(ctx, cfg, "converge")
	if err != nil {
		t.Fatalf("converge: %v\n%s", err, out.String())
	}
	if len(rep.Changes) != 1 || rep.Failed != 0 || rep.Refused != 0 {
		t.Fatalf("converge report %+v\n%s", rep, out.String())
	}
	ch := rep.Changes[0]
	if ch.AllReported < ch.AllDesired || ch.Fleet <= 0 {
		t.Fatalf("change figures out of order: %+v", ch)
	}
	status, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if status.Devices != 20 || status.Converged != 20 {
		t.Fatalf("fleet status after the change: %+v", status)
	}
	// The simulator said goodbye: every device is offline by shutdown.
	if err := waitStatus(ctx, c, func(s int) bool { return s == 0 }); err != nil {
		t.Fatal(err)
	}

	// Reconnect: the fleet restarts under connected devices.
	cfg.Restart = func(context.Context) error {
		if err := f.stop(); err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		f.start()
		return nil
	}
	rep, err = sim.Run(ctx, cfg, "reconnect")
	if err != nil {
		t.Fatalf("reconnect: %v\n%s", err, out.String())
	}
	rc := rep.Reconnect
	connects := 0
	for _, s := range rc.Curve {
		connects += s.Connects
	}
	if connects < 20 || rc.AllBack <= 0 || rc.Curve[len(rc.Curve)-1].Online != 20 {
		t.Fatalf("reconnect report %+v, curve %+v\n%s", rc, rc.Curve, out.String())
	}
	if !strings.Contains(out.String(), "reconnect curve") {
		t.Fatalf("no curve printed:\n%s", out.String())
	}
	t.Log(out.String())
	// Sessions grew and were saved: a third run connects with newer ones.
	st2, err := sim.LoadState(filepath.Join(data, "sim-state.json"))
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range st2.Devices {
		if d.Session < 3 {
			t.Fatalf("device %d session %d after three runs with a restart, want at least 3", i, d.Session)
		}
	}
}

func waitStatus(ctx context.Context, c *client.Client, online func(int) bool) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		s, err := c.Status(ctx)
		if err == nil && online(s.Online) {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("the fleet did not see the simulated devices go offline")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
