package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"lawpoint/content"
	"lawpoint/device/wire"
	"lawpoint/fleet/client"
)

// AppVersion is the app_version simulated devices announce.
const AppVersion = "lawpoint-sim/1"

// Config says what to simulate and against which fleet.
type Config struct {
	N         int    // devices
	Data      string // the fleet's data folder (setup through the store; fleet stopped)
	FleetURL  string // the fleet's HTTP address, e.g. http://127.0.0.1:8080
	Token     string // staff bearer token (setup through the store makes one)
	MQTT      string // broker address host:port
	StateFile string // default sim-state.json in Data, or in the current folder
	Prefix    string // device ID prefix (default "sim")

	Ramp           float64       // connection attempts per second at start (default 1000; 0: each waits [0, Backoff.Min])
	Verify         VerifyMode    // sig (default) or full
	Backoff        wire.Backoff  // default wire.DefaultBackoff
	KeepAlive      time.Duration // MQTT keep-alive (default 60 s)
	ConnectTimeout time.Duration // dial + CONNACK (default 30 s)
	Sources        []string      // local addresses to dial MQTT from, round-robin (default: any)
	Changes        int           // schedule changes in the converge phase (default 3)
	FleetPID       int           // for the fleet's RSS (0: not measured)
	PollEvery      time.Duration // fleet status polling (default 250 ms)
	Timeout        time.Duration // bound on each wait (default 5 min)
	ReadyFile      string        // reconnect phase: created when the broker may be restarted
	// ResetAfter is how long a connection must last before a device's
	// backoff starts again from attempt 0 (default wire.BackoffResetAfter);
	// the reconnect phase waits for it before the restart.
	ResetAfter time.Duration

	// Restart, if set, restarts the broker in the reconnect phase (tests);
	// otherwise the phase waits for someone else to (scripts/sim.sh).
	Restart func(ctx context.Context) error

	Out io.Writer    // the figures (default os.Stdout)
	Log *slog.Logger // problems, once per kind (default stderr)
}

func (c *Config) defaults() {
	if c.Prefix == "" {
		c.Prefix = "sim"
	}
	if c.StateFile == "" {
		c.StateFile = "sim-state.json"
		if c.Data != "" {
			c.StateFile = c.Data + "/sim-state.json"
		}
	}
	if c.Ramp < 0 {
		c.Ramp = 0
	}
	if c.Backoff.Min <= 0 {
		c.Backoff = wire.DefaultBackoff
	}
	if c.KeepAlive <= 0 {
		c.KeepAlive = 60 * time.Second
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 30 * time.Second
	}
	if c.PollEvery <= 0 {
		c.PollEvery = 250 * time.Millisecond
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Minute
	}
	if c.ResetAfter <= 0 {
		c.ResetAfter = wire.BackoffResetAfter
	}
	if c.Out == nil {
		c.Out = os.Stdout
	}
	if c.Log == nil {
		c.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
}

func (c *Config) printf(format string, args ...any) { fmt.Fprintf(c.Out, format, args...) }

// timeline events, counted per second since the simulator started.
const (
	evConnect = iota
	evFail
	evLost
)

type timeline struct {
	mu   sync.Mutex
	secs [][3]int
}

func (t *timeline) add(at int64, ev int) {
	sec := int(at / int64(time.Second))
	t.mu.Lock()
	for len(t.secs) <= sec {
		t.secs = append(t.secs, [3]int{})
	}
	t.secs[sec][ev]++
	t.mu.Unlock()
}

func (t *timeline) snapshot() [][3]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([][3]int(nil), t.secs...)
}

// Sim is a running simulation.
type Sim struct {
	cfg        Config
	st         *State
	devs       []*device
	verifier   *verifier
	sem        chan struct{}
	start      time.Time
	tl         timeline
	resetAfter time.Duration
	api        *client.Client

	online, refused, failed, dropped, floors atomic.Int64

	logMu  sync.Mutex
	logged map[string]int
}

func (s *Sim) now() int64 { return int64(time.Since(s.start)) }

func (s *Sim) at(ns int64) time.Time { return s.start.Add(time.Duration(ns)) }

func (s *Sim) logOnce(key, msg string, args ...any) {
	s.logMu.Lock()
	s.logged[key]++
	n := s.logged[key]
	s.logMu.Unlock()
	if n == 1 {
		s.cfg.Log.Warn(msg+" (logged once; counted in the summary)", args...)
	}
}

func (s *Sim) dial(ctx context.Context, idx int) (net.Conn, error) {
	d := net.Dialer{Timeout: s.cfg.ConnectTimeout}
	if n := len(s.cfg.Sources); n > 0 {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(s.cfg.Sources[idx%n])}
	}
	return d.DialContext(ctx, "tcp", s.cfg.MQTT)
}

// New prepares a simulation from the state file (written by Setup).
func New(cfg Config) (*Sim, error) {
	cfg.defaults()
	st, err := LoadState(cfg.StateFile)
	if err != nil {
		return nil, err
	}
	if cfg.N <= 0 || cfg.N > len(st.Devices) {
		if cfg.N > len(st.Devices) {
			return nil, fmt.Errorf("the state file holds %d devices, fewer than -n %d: run the setup phase with -n %d", len(st.Devices), cfg.N, cfg.N)
		}
		cfg.N = len(st.Devices)
	}
	if cfg.FleetURL == "" {
		cfg.FleetURL = st.FleetURL
	}
	if cfg.Token == "" {
		cfg.Token = st.Token
	}
	if cfg.MQTT == "" {
		return nil, errors.New("give the broker's address with --mqtt HOST:PORT")
	}
	if cfg.FleetURL == "" || cfg.Token == "" {
		return nil, errors.New("give the fleet's HTTP address with --fleet URL (and --token, unless setup made one)")
	}
	pub, err := content.DecodePublicKey(st.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("county public key in the state file: %w", err)
	}
	v, err := newVerifier(cfg.Verify, pub)
	if err != nil {
		return nil, err
	}
	s := &Sim{cfg: cfg, st: st, verifier: v, sem: make(chan struct{}, runtime.GOMAXPROCS(0)), start: time.Now(),
		resetAfter: cfg.ResetAfter, logged: map[string]int{},
		api: &client.Client{URL: cfg.FleetURL, Token: cfg.Token}}
	for i := range cfg.N {
		s.devs = append(s.devs, &device{Record: st.Devices[i], s: s, idx: i, rng: rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))})
	}
	return s, nil
}

// run starts every device (ramped) and returns a function that stops them
// (offline presence + DISCONNECT) and saves their session counters.
func (s *Sim) run(ctx context.Context) (stop func() error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i, d := range s.devs {
		var first time.Duration
		if s.cfg.Ramp > 0 {
			first = time.Duration(float64(i) / s.cfg.Ramp * float64(time.Second))
		} else {
			first = s.cfg.Backoff.Next(0, d.rng)
		}
		wg.Go(func() { d.run(ctx, first) })
	}
	// Keep-alive: one goroutine pings every connected device.
	wg.Go(func() {
		t := time.NewTicker(s.cfg.KeepAlive / 2)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				for _, d := range s.devs {
					if d.connected.Load() {
						d.write(pingreqPacket)
					}
				}
			}
		}
	})
	return func() error {
		cancel()
		for _, d := range s.devs {
			d.shutdown()
		}
		wg.Wait()
		for i, d := range s.devs {
			s.st.Devices[i].Session = d.Session
		}
		return s.st.Save(s.cfg.StateFile)
	}
}

// waitFor polls cond until it holds, ctx ends or the timeout passes.
func (s *Sim) waitFor(ctx context.Context, what string, every time.Duration, cond func() bool) error {
	deadline := time.Now().Add(s.cfg.Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %v waiting for %s", s.cfg.Timeout, what)
		}
		if !sleep(ctx, every) {
			return ctx.Err()
		}
	}
	return nil
}

func (s *Sim) count(f func(d *device) bool) int {
	n := 0
	for _, d := range s.devs {
		if f(d) {
			n++
		}
	}
	return n
}

func (s *Sim) allConverged() bool {
	return s.count(func(d *device) bool {
		a := d.ackVersion.Load()
		return d.connected.Load() && a > 0 && a >= d.recvVersion.Load()
	}) == len(s.devs)
}

// fleetConverged asks /api/status until every device the fleet knows is
// converged (and, if online, online); it returns when the answering call
// ended and how long that call took.
func (s *Sim) fleetConverged(ctx context.Context, online bool) (time.Time, time.Duration, error) {
	var last string
	deadline := time.Now().Add(s.cfg.Timeout)
	for {
		t := time.Now()
		st, err := s.api.Status(ctx)
		took := time.Since(t)
		if err == nil {
			if st.Devices > 0 && st.Converged == st.Devices && (!online || st.Online == st.Devices) {
				return time.Now(), took, nil
			}
			last = fmt.Sprintf("%d devices, %d online, %d converged, %d pending, %d failed %v", st.Devices, st.Online, st.Converged, st.Pending, st.Failed, st.FailedReasons)
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			return time.Time{}, 0, fmt.Errorf("timed out waiting for the fleet to report every device converged; last status: %s", last)
		}
		if !sleep(ctx, s.cfg.PollEvery) {
			return time.Time{}, 0, ctx.Err()
		}
	}
}

// Change is the figures of one schedule change.
type Change struct {
	API          time.Duration // POST /api/schedules, request to answer
	FirstDesired time.Duration // change to the first new desired state received
	AllDesired   time.Duration // … to the last device receiving one
	P50, P90     time.Duration // … to a device's converged report taken by the broker
	AllReported  time.Duration // … to the last device's (the sim's view)
	Fleet        time.Duration // … to /api/status answering all converged (the fleet's view)
	StatusCall   time.Duration // how long that /api/status call took
	// CPU time the simulator and the fleet (with FleetPID) used from the
	// change until every device reported.
	SimCPU, FleetCPU time.Duration
}

// Reconnect is the figures of a broker restart.
type Reconnect struct {
	AllBack     time.Duration // first loss to the last device connected again
	FleetOnline time.Duration // first loss to /api/status showing every device online and converged
	Fails       int           // refused or failed attempts in between
	Curve       []Second
}

// Second is one second of the reconnect curve.
type Second struct {
	At           int // seconds after the first loss
	Connects     int
	Fails        int
	Online       int // simulated devices connected at the end of the second
	FleetClients int // /healthz mqtt_clients sampled in that second (-1: fleet not answering)
}

// Report is what a phase measured.
type Report struct {
	Devices        int
	Ramp           time.Duration // start to every device connected
	Initial        time.Duration // start to every device converged (sim view)
	FleetRSSBefore int64         // bytes; 0 when not measured
	FleetRSSAfter  int64
	SimRSSBefore   int64
	SimRSSAfter    int64
	SimGoBytes     int64 // Go heap in use + stacks, after, minus before
	Changes        []Change
	Reconnect      *Reconnect
	Failed         int64 // desired states or manifests refused by devices
	Refused        int64 // connections the broker refused
}

// Run runs one phase ("converge" or "reconnect") and prints its figures.
func Run(ctx context.Context, cfg Config, phase string) (*Report, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	switch phase {
	case "converge":
		return s.converge(ctx)
	case "reconnect":
		return s.reconnect(ctx)
	}
	return nil, fmt.Errorf("unknown phase %q: use setup, converge or reconnect", phase)
}

func (s *Sim) memory() (rss, goBytes int64) {
	rss, _ = RSS(os.Getpid())
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return rss, int64(ms.HeapInuse + ms.StackInuse)
}

// connectAll starts the devices and waits until every one is connected
// and converged, in the simulator's and the fleet's view. stop ends them
// and saves the simulator's state (a failure is logged).
func (s *Sim) connectAll(ctx context.Context, r *Report) (stop func(), err error) {
	n := len(s.devs)
	p := s.cfg.printf
	var goBefore int64
	if s.cfg.FleetPID > 0 {
		r.FleetRSSBefore, _ = RSS(s.cfg.FleetPID)
	}
	runtime.GC()
	r.SimRSSBefore, goBefore = s.memory()
	p("sim: %d devices, broker %s, fleet %s, ramp %.0f/s, verify %s\n", n, s.cfg.MQTT, s.cfg.FleetURL, s.cfg.Ramp, s.verifier.mode)
	t0 := time.Now()
	end := s.run(ctx)
	fail := func(err error) (func(), error) {
		end()
		return nil, err
	}
	if err := s.waitFor(ctx, "every device to connect", 20*time.Millisecond, func() bool { return s.online.Load() == int64(n) }); err != nil {
		return fail(fmt.Errorf("%w (%d of %d connected, %d refused)", err, s.online.Load(), n, s.refused.Load()))
	}
	r.Ramp = time.Since(t0)
	p("sim: all %d connected in %.2f s\n", n, r.Ramp.Seconds())
	if err := s.waitFor(ctx, "every device to converge", 20*time.Millisecond, s.allConverged); err != nil {
		return fail(fmt.Errorf("%w (%d of %d converged)", err, s.count(func(d *device) bool { return d.ackVersion.Load() > 0 }), n))
	}
	r.Initial = time.Since(t0)
	p("sim: all %d converged on their desired state %.2f s after start\n", n, r.Initial.Seconds())
	if _, _, err := s.fleetConverged(ctx, true); err != nil {
		return fail(err)
	}
	p("sim: the fleet shows all %d online and converged %.2f s after start\n", n, time.Since(t0).Seconds())
	sleep(ctx, 3*time.Second) // let both processes settle before measuring memory
	if s.cfg.FleetPID > 0 {
		r.FleetRSSAfter, _ = RSS(s.cfg.FleetPID)
		p("memory: fleet RSS %s before, %s with %d devices connected: %s per device\n",
			mib(r.FleetRSSBefore), mib(r.FleetRSSAfter), n, kib(float64(r.FleetRSSAfter-r.FleetRSSBefore)/float64(n)))
	}
	runtime.GC()
	var goAfter int64
	r.SimRSSAfter, goAfter = s.memory()
	r.SimGoBytes = goAfter - goBefore
	p("memory: sim RSS %s before, %s after: %s per device (Go heap+stacks %s per device)\n",
		mib(r.SimRSSBefore), mib(r.SimRSSAfter), kib(float64(r.SimRSSAfter-r.SimRSSBefore)/float64(n)), kib(float64(r.SimGoBytes)/float64(n)))
	return func() {
		if err := end(); err != nil {
			s.cfg.Log.Warn("simulator state not saved", "error", err)
		}
	}, nil
}

func mib(b int64) string          { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
func kib(b float64) string        { return fmt.Sprintf("%.1f KiB", b/1024) }
func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func (s *Sim) converge(ctx context.Context) (*Report, error) {
	r := &Report{Devices: len(s.devs)}
	stop, err := s.connectAll(ctx, r)
	if err != nil {
		return r, err
	}
	defer stop()
	minute := 0
	if cur, err := s.api.Schedules(ctx); err == nil {
		for _, sc := range cur {
			if sc.ID == "sim-change" && len(sc.Windows) > 0 {
				minute = int(sc.Windows[0].Start) % 3600 / 60
			}
		}
	}
	for round := 1; round <= s.cfg.Changes; round++ {
		minute = (minute + 1) % 60
		c, err := s.change(ctx, schedule(minute))
		if err != nil {
			return r, fmt.Errorf("change %d: %w", round, err)
		}
		r.Changes = append(r.Changes, c)
		s.cfg.printf("change %d: API %s, first desired %s, all desired %s, reported p50 %s p90 %s all %s (sim); fleet status all converged %s (status call %s); CPU until all reported: sim %s, fleet %s\n",
			round, secs(c.API), secs(c.FirstDesired), secs(c.AllDesired), secs(c.P50), secs(c.P90), secs(c.AllReported), secs(c.Fleet), secs(c.StatusCall), secs(c.SimCPU), secs(c.FleetCPU))
		sleep(ctx, 2*time.Second)
	}
	r.Failed, r.Refused = s.failed.Load(), s.refused.Load()
	s.summary(r)
	return r, nil
}

func (s *Sim) summary(r *Report) {
	s.cfg.printf("sim: %d desired/manifests refused, %d connections refused, %d messages dropped, %d session-floor reconnects\n",
		r.Failed, r.Refused, s.dropped.Load(), s.floors.Load())
}

// change stores sc through the API and measures until every device
// reported the new desired state converged.
func (s *Sim) change(ctx context.Context, sc content.Schedule) (Change, error) {
	var c Change
	base := make([]uint64, len(s.devs))
	for i, d := range s.devs {
		base[i] = d.ackVersion.Load()
	}
	t0 := time.Now()
	t0ns := s.now()
	simCPU0, _ := CPUTime(os.Getpid())
	fleetCPU0, _ := CPUTime(s.cfg.FleetPID)
	if _, err := s.api.AddSchedule(ctx, sc); err != nil {
		return c, err
	}
	c.API = time.Since(t0)
	// allNewer reports whether every device's version (the one v picks) is
	// past its base.
	allNewer := func(v func(d *device) *atomic.Uint64) func() bool {
		return func() bool {
			for i, d := range s.devs {
				if v(d).Load() <= base[i] {
					return false
				}
			}
			return true
		}
	}
	if err := s.waitFor(ctx, "every device to receive the new desired state", 10*time.Millisecond,
		allNewer(func(d *device) *atomic.Uint64 { return &d.recvVersion })); err != nil {
		return c, err
	}
	type res struct {
		at, took time.Duration
		err      error
	}
	fleet := make(chan res, 1)
	go func() {
		at, took, err := s.fleetConverged(ctx, false)
		fleet <- res{at.Sub(t0), took, err}
	}()
	if err := s.waitFor(ctx, "every device to report the new desired state", 10*time.Millisecond,
		allNewer(func(d *device) *atomic.Uint64 { return &d.ackVersion })); err != nil {
		return c, err
	}
	simCPU1, _ := CPUTime(os.Getpid())
	fleetCPU1, _ := CPUTime(s.cfg.FleetPID)
	c.SimCPU, c.FleetCPU = simCPU1-simCPU0, fleetCPU1-fleetCPU0
	var recv, ack []time.Duration
	for _, d := range s.devs {
		recv = append(recv, time.Duration(d.recvAt.Load()-t0ns))
		ack = append(ack, time.Duration(d.ackAt.Load()-t0ns))
	}
	sort.Slice(recv, func(i, j int) bool { return recv[i] < recv[j] })
	sort.Slice(ack, func(i, j int) bool { return ack[i] < ack[j] })
	c.FirstDesired, c.AllDesired = recv[0], recv[len(recv)-1]
	c.P50, c.P90, c.AllReported = ack[len(ack)/2], ack[len(ack)*9/10], ack[len(ack)-1]
	f := <-fleet
	if f.err != nil {
		return c, f.err
	}
	c.Fleet, c.StatusCall = f.at, f.took
	return c, nil
}

func (s *Sim) reconnect(ctx context.Context) (*Report, error) {
	r := &Report{Devices: len(s.devs)}
	n := len(s.devs)
	stop, err := s.connectAll(ctx, r)
	if err != nil {
		return r, err
	}
	defer stop()
	// Wait until every connection is older than BackoffResetAfter, so each
	// device starts its reconnects from attempt 0 as a long-connected
	// device does.
	var newest int64
	for _, d := range s.devs {
		newest = max(newest, d.upSince.Load())
	}
	if wait := time.Duration(newest) + s.resetAfter - time.Duration(s.now()); wait > 0 {
		s.cfg.printf("sim: waiting %s until every connection is older than %v (backoff reset)\n", secs(wait), s.resetAfter)
		sleep(ctx, wait+100*time.Millisecond)
	}
	s.cfg.printf("sim: ready for the broker restart\n")
	if s.cfg.ReadyFile != "" {
		if err := os.WriteFile(s.cfg.ReadyFile, []byte("ready\n"), 0o644); err != nil {
			return r, err
		}
	}
	restartErr := make(chan error, 1)
	if s.cfg.Restart != nil {
		go func() { restartErr <- s.cfg.Restart(ctx) }()
	}
	if err := s.waitFor(ctx, "the broker to drop the devices", 5*time.Millisecond, func() bool { return s.online.Load() < int64(n) }); err != nil {
		return r, err
	}
	loss := s.now()
	t0 := time.Now()
	rc := &Reconnect{}
	r.Reconnect = rc
	// Sample the fleet's MQTT client count once a second.
	clients := map[int]int{}
	var cmu sync.Mutex
	sctx, scancel := context.WithCancel(ctx)
	defer scancel()
	go func() {
		hc := &client.Client{URL: s.cfg.FleetURL, HTTP: httpFrom("")}
		hc.HTTP.Timeout = 900 * time.Millisecond
		for sec := 0; ; sec++ {
			var h struct {
				Clients int `json:"mqtt_clients"`
			}
			v := -1
			if err := hc.Do(sctx, "GET", "/healthz", nil, &h); err == nil {
				v = h.Clients
			}
			cmu.Lock()
			clients[sec] = v
			cmu.Unlock()
			if !sleep(sctx, time.Until(t0.Add(time.Duration(sec+1)*time.Second))) {
				return
			}
		}
	}()
	if err := s.waitFor(ctx, "every device to reconnect", 10*time.Millisecond, func() bool {
		return s.count(func(d *device) bool { return d.connected.Load() && d.upSince.Load() > loss }) == n
	}); err != nil {
		return r, fmt.Errorf("%w (%d of %d back)", err, s.online.Load(), n)
	}
	var last int64
	for _, d := range s.devs {
		last = max(last, d.upSince.Load())
	}
	rc.AllBack = time.Duration(last - loss)
	at, _, err := s.fleetConverged(ctx, true)
	if err != nil {
		return r, err
	}
	rc.FleetOnline = at.Sub(t0)
	if s.cfg.Restart != nil {
		if err := <-restartErr; err != nil {
			return r, fmt.Errorf("restart: %w", err)
		}
	}
	scancel()
	// The curve, in whole seconds after the loss.
	secsTL := s.tl.snapshot()
	first := int(loss / int64(time.Second))
	onl := n
	cmu.Lock()
	for i := first; i < len(secsTL); i++ {
		b := secsTL[i]
		onl += b[evConnect] - b[evLost]
		fc, ok := clients[i-first]
		if !ok {
			fc = -1
		}
		rc.Curve = append(rc.Curve, Second{At: i - first, Connects: b[evConnect], Fails: b[evFail], Online: onl, FleetClients: fc})
		rc.Fails += b[evFail]
	}
	cmu.Unlock()
	p := s.cfg.printf
	p("reconnect: every device back %s after the first loss, the fleet shows all online and converged after %s; %d failed attempts\n",
		secs(rc.AllBack), secs(rc.FleetOnline), rc.Fails)
	p("reconnect curve (seconds after the first loss; fleet clients sampled by /healthz, - while it does not answer):\n")
	p("%4s %9s %7s %7s %8s\n", "s", "connects", "fails", "online", "fleet")
	for _, c := range rc.Curve {
		fc := "-"
		if c.FleetClients >= 0 {
			fc = fmt.Sprint(c.FleetClients)
		}
		p("%4d %9d %7d %7d %8s\n", c.At, c.Connects, c.Fails, c.Online, fc)
	}
	r.Failed, r.Refused = s.failed.Load(), s.refused.Load()
	s.summary(r)
	return r, nil
}

// CPUTime returns the user+system CPU time a process used so far, from
// /proc/PID/stat (0 for pid 0).
func CPUTime(pid int) (time.Duration, error) {
	if pid <= 0 {
		return 0, nil
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses.
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return time.Duration(ut+st) * time.Second / 100, nil // USER_HZ is 100 on Linux
}

// RSS returns a process's resident set size from /proc/PID/status.
func RSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err != nil {
				return 0, err
			}
			return kb * 1024, nil
		}
	}
	return 0, errors.New("no VmRSS in /proc/" + fmt.Sprint(pid) + "/status")
}
