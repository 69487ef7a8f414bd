package device

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"

	"lawpoint/device/cache"
	"lawpoint/device/store"
	"lawpoint/device/wire"
)

// Timeouts of the link.
const (
	connectTimeout = 30 * time.Second
	publishTimeout = 15 * time.Second
	// AckTimeout is how long an event batch waits for its ack before it is
	// sent again (docs/PROTOCOL.md section 9).
	AckTimeout = 30 * time.Second
	// inboxSize bounds the messages waiting for the workers; beyond it a
	// message is dropped and counted (the fleet repeats what matters).
	inboxSize = 64
)

// Hooks connect the agent to the program around it. Every hook is
// optional; a command whose hook is missing answers failed.
type Hooks struct {
	// Settings applies the settings of a new desired state (brightness,
	// volume, time zone, power window). loc is the loaded time zone.
	Settings func(s wire.Settings, loc *time.Location) error
	// Content is called when a new content set is in use (nil: none).
	Content func(set *cache.Set)
	// SetBrightness applies a set_brightness command (until the next
	// desired version).
	SetBrightness func(percent int) error
	// Identify flashes the screen or board for d.
	Identify func(ctx context.Context, d time.Duration) error
	// Screenshot returns a PNG of the screen or the board's dots.
	Screenshot func(ctx context.Context) ([]byte, error)
	// Reboot reboots the machine. The agent has already told the fleet.
	Reboot func(ctx context.Context) error
	// Restart restarts the application (not the OS).
	Restart func(ctx context.Context) error
	// LEDStatus and PrinterStatus report the attached parts for telemetry.
	LEDStatus     func() wire.PartStatus
	PrinterStatus func() wire.PartStatus
}

// Config configures an Agent.
type Config struct {
	// Dir is the data folder (credentials.json, state.db, content/).
	Dir string
	// Kind is what the device is: wire.Kiosk or wire.LED.
	Kind wire.DeviceKind
	// AppVersion is announced in presence and telemetry.
	AppVersion string
	Hooks      Hooks
	Log        *slog.Logger
	// Backoff is the reconnect policy (zero: wire.DefaultBackoff).
	Backoff wire.Backoff
	// NTP reports system clock synchronisation (nil: SystemNTPSynced).
	NTP func(ctx context.Context) bool
	// HTTPClient is used for downloads and uploads (nil: one with TLS
	// from the credentials' CA file and no overall timeout).
	HTTPClient *http.Client
	// DownloadRetryDelay is the first wait between download attempts of
	// one item (zero: 2 s).
	DownloadRetryDelay time.Duration
	// ThermalDir overrides /sys/class/thermal (tests).
	ThermalDir string
	// AckTimeout is how long an event batch waits for its ack before it is
	// sent again (zero: AckTimeout).
	AckTimeout time.Duration
}

// Agent is the device side of the fleet protocol. Build it with New and
// run it with Run.
type Agent struct {
	cfg   Config
	creds Credentials
	pub   ed25519.PublicKey
	log   *slog.Logger
	store *store.Store
	cache *cache.Cache
	clock *Clock
	fetch *cache.Fetcher
	http  *http.Client
	tls   *tls.Config
	rnd   *rand.Rand
	limit *limiter

	inbox    chan inbound
	commands chan []byte
	desired  desiredSlot
	dropped  atomic.Uint64
	outboxUp chan struct{}
	kick     chan string // close the connection with this offline reason and reconnect

	resultMu sync.Mutex // one result publication at a time

	mu     sync.Mutex
	conn   *conn
	report reportState
	telem  []wire.Sample
	sentAt time.Time // last telemetry batch
}

type inbound struct {
	kind    wire.Kind
	payload []byte
}

// conn is one MQTT connection (one presence session).
type conn struct {
	client    mqtt.Client
	session   uint64
	lost      chan struct{}
	lostOnce  sync.Once
	ready     atomic.Bool // subscribed and announced
	reportSeq atomic.Uint64
	repaired  atomic.Bool

	mu       sync.Mutex
	inflight map[string]*batch
	sentUpTo uint64
}

func (c *conn) markLost() { c.lostOnce.Do(func() { close(c.lost) }) }

// New opens the data folder: credentials, store and content cache. It
// settles commands a restart interrupted.
func New(ctx context.Context, cfg Config) (*Agent, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Kind != wire.Kiosk && cfg.Kind != wire.LED {
		return nil, fmt.Errorf("device: kind %q is not kiosk or led", cfg.Kind)
	}
	if cfg.AppVersion == "" {
		cfg.AppVersion = "dev"
	}
	if cfg.AckTimeout <= 0 {
		cfg.AckTimeout = AckTimeout
	}
	if cfg.Backoff == (wire.Backoff{}) {
		cfg.Backoff = wire.DefaultBackoff
	}
	creds, err := LoadCredentials(cfg.Dir)
	if err != nil {
		return nil, err
	}
	pub, _ := creds.PublicKey()
	log := cfg.Log.With("device", creds.DeviceID)
	a := &Agent{
		cfg: cfg, creds: creds, pub: pub, log: log,
		clock:    NewClock(log, cfg.NTP),
		rnd:      rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), hashString(creds.DeviceID))),
		limit:    newLimiter(),
		inbox:    make(chan inbound, inboxSize),
		commands: make(chan []byte, 16),
		outboxUp: make(chan struct{}, 1),
		kick:     make(chan string, 1),
	}
	a.desired.wake = make(chan struct{}, 1)
	if a.tls, err = tlsConfig(creds); err != nil {
		return nil, err
	}
	a.http = cfg.HTTPClient
	if a.http == nil {
		a.http = &http.Client{Transport: &http.Transport{TLSClientConfig: a.tls, Proxy: http.ProxyFromEnvironment,
			ResponseHeaderTimeout: time.Minute, IdleConnTimeout: time.Minute}}
	}
	a.fetch = &cache.Fetcher{Base: creds.FleetURL, User: creds.DeviceID, Password: creds.Password, Client: a.http, RetryDelay: cfg.DownloadRetryDelay}
	if a.store, err = store.Open(ctx, filepath.Join(cfg.Dir, StoreFile)); err != nil {
		return nil, err
	}
	if a.cache, err = cache.Open(filepath.Join(cfg.Dir, ContentDir), creds.DeviceID, pub, log); err != nil {
		a.store.Close()
		return nil, err
	}
	if err := a.settleInterrupted(ctx); err != nil {
		a.Close()
		return nil, err
	}
	a.loadReport(ctx)
	if set := a.cache.Current(); set != nil && cfg.Hooks.Content != nil {
		cfg.Hooks.Content(set)
	}
	return a, nil
}

func hashString(s string) uint64 {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h
}

func tlsConfig(c Credentials) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CAFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(c.CAFile)
	if err != nil {
		return nil, fmt.Errorf("device: reading the fleet CA %s named in the credentials: %w", c.CAFile, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("device: %s holds no PEM certificate; copy the fleet's ca.pem again", c.CAFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// Close closes the store. Call it after Run returned.
func (a *Agent) Close() error { return a.store.Close() }

// ID is the device ID.
func (a *Agent) ID() string { return a.creds.DeviceID }

// ClockTrusted reports whether the device's clock can be believed (NTP or
// the fleet's time); the resolver plays only time-independent content
// while it cannot.
func (a *Agent) ClockTrusted() bool { return a.clock.Trusted() }

// Now is the device's best estimate of the time (see Clock.Now).
func (a *Agent) Now() time.Time { return a.clock.Now() }

// Clock returns the agent's clock.
func (a *Agent) Clock() *Clock { return a.clock }

// Content returns the content set in use, nil for none.
func (a *Agent) Content() *cache.Set { return a.cache.Current() }

// Store returns the local store (for the kiosk's own tables).
func (a *Agent) Store() *store.Store { return a.store }

// Dropped counts inbound messages dropped because the workers were behind.
func (a *Agent) Dropped() uint64 { return a.dropped.Load() }

// Run keeps the link to the fleet up until ctx ends, then says goodbye
// (offline presence with reason shutdown) and returns ctx's error.
func (a *Agent) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	workers := []func(context.Context){a.inboxWorker, a.commandWorker, a.desiredWorker, a.outboxWorker, a.telemetryWorker, a.clockWorker}
	for _, w := range workers {
		wg.Add(1)
		go func() { defer wg.Done(); w(ctx) }()
	}
	defer wg.Wait()
	return a.linkLoop(ctx)
}

// linkLoop connects, waits for the loss of the connection, and connects
// again after a delay with exponential backoff and full jitter.
//
// Every failed connect counts as one attempt, whatever the reason: no
// answer, a closed port, or a CONNACK refusal. "Server unavailable" (3) is
// what the fleet answers while it cannot check credentials (restarting, a
// store problem); "not authorized" (5) or "bad username or password" (4)
// may be for good (a revoked device) or a mistake that staff fix (the
// device enrolled again elsewhere, a restored backup). The agent never
// gives up: it keeps retrying with the backoff, whose ceiling
// (wire.DefaultBackoff.Max, 5 minutes) bounds what a refused device costs
// the broker, and it says which it is in the log.
func (a *Agent) linkLoop(ctx context.Context) error {
	attempt := 0
	for {
		delay := a.cfg.Backoff.Next(attempt, a.rnd)
		a.log.Debug("connecting after delay", "attempt", attempt, "delay", delay)
		if err := sleep(ctx, delay); err != nil {
			return err
		}
		c, err := a.connect(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if a.limit.first("link.connect", time.Hour) || attempt < 3 {
				a.log.Warn(connectProblem(err), "err", err, "attempt", attempt)
			}
			attempt++
			continue
		}
		up := time.Now()
		reason := ""
		select {
		case <-c.lost:
		case reason = <-a.kick:
		case <-ctx.Done():
			reason = wire.OfflineShutdown
		}
		a.setConn(nil)
		if reason != "" {
			a.goodbye(c, reason)
		} else {
			c.client.Disconnect(0)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Since(up) >= wire.BackoffResetAfter || reason != "" {
			attempt = 0
		} else {
			attempt++
		}
		a.log.Info("connection to the fleet ended; reconnecting", "session", c.session, "reason", reason)
	}
}

// connectProblem is what the log says about a failed connect.
func connectProblem(err error) string {
	switch {
	case errors.Is(err, packets.ErrorRefusedServerUnavailable):
		return "the fleet broker is unavailable for now (restarting?); will retry with backoff"
	case errors.Is(err, packets.ErrorRefusedNotAuthorised), errors.Is(err, packets.ErrorRefusedBadUsernameOrPassword):
		return "the fleet broker refused the device's credentials; will retry with backoff. If it persists the device may be revoked or enrolled again elsewhere: enrol it again with a new token"
	}
	return "cannot reach the fleet broker; will retry"
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// wait waits for a paho token within timeout or until ctx ends.
func wait(ctx context.Context, t mqtt.Token, timeout time.Duration) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-t.Done():
		return t.Error()
	case <-timer.C:
		return fmt.Errorf("no answer from the broker within %v", timeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// connect takes a new session number (on disk first) and connects with
// the matching will.
func (a *Agent) connect(ctx context.Context) (*conn, error) {
	session, err := a.store.NextSession(ctx)
	if err != nil {
		return nil, err
	}
	will, err := wire.Encode(wire.Will(session))
	if err != nil {
		return nil, err
	}
	c := &conn{session: session, lost: make(chan struct{}), inflight: map[string]*batch{}}
	id := a.creds.DeviceID
	opts := mqtt.NewClientOptions().
		AddBroker(a.creds.BrokerURL).
		SetClientID(id).SetUsername(id).SetPassword(a.creds.Password).
		// MQTT 3.1.1, explicitly: otherwise paho answers any CONNACK
		// refusal by connecting again at once with MQTT 3.1, which the
		// fleet's broker refuses as an unsupported version. That doubled
		// every refused attempt (no backoff between the two) and hid the
		// real answer (3 or 5) behind "unacceptable protocol version".
		SetProtocolVersion(4).
		SetCleanSession(false).
		SetAutoReconnect(false).SetConnectRetry(false).
		SetKeepAlive(60*time.Second).
		SetConnectTimeout(connectTimeout).
		SetWriteTimeout(publishTimeout).
		SetOrderMatters(true). // handlers only enqueue, so order is kept cheaply
		SetTLSConfig(a.tls).
		SetBinaryWill(wire.Topic(id, wire.KindPresence), will, 1, true).
		SetDefaultPublishHandler(a.onMessage).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			a.log.Warn("lost the connection to the fleet broker", "session", session, "err", err)
			c.markLost()
		}).
		SetOnConnectHandler(func(mqtt.Client) {
			// Runs on every successful connect (its own goroutine):
			// resubscribe and announce.
			go a.online(ctx, c)
		})
	c.client = mqtt.NewClient(opts)
	// Known before CONNACK: online() runs as soon as paho connects, maybe
	// before the token below completes, and current() needs c (it also
	// checks that online() has announced the session).
	a.setConn(c)
	if err := wait(ctx, c.client.Connect(), connectTimeout+5*time.Second); err != nil {
		a.setConn(nil)
		if c.client.IsConnectionOpen() { // stopped just as the broker answered
			a.goodbye(c, wire.OfflineShutdown)
		} else {
			c.client.Disconnect(0)
		}
		return nil, fmt.Errorf("device: connecting to %s as %s (session %d): %w", redactURL(a.creds.BrokerURL), id, session, err)
	}
	return c, nil
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(bad URL)"
	}
	u.User = nil
	return u.String()
}

func (a *Agent) setConn(c *conn) {
	a.mu.Lock()
	a.conn = c
	a.mu.Unlock()
}

// current returns the connection that is up and announced, or nil.
func (a *Agent) current() *conn {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.conn != nil && a.conn.ready.Load() {
		return a.conn
	}
	return nil
}

// online runs after every connect: subscribe, presence, time request,
// reported state, pending results, outbox and telemetry.
func (a *Agent) online(ctx context.Context, c *conn) {
	id := a.creds.DeviceID
	filters := map[string]byte{}
	for _, k := range []wire.Kind{wire.KindDesired, wire.KindCommand, wire.KindAck, wire.KindTime, wire.KindPresence} {
		filters[wire.Topic(id, k)] = 1
	}
	tok := c.client.SubscribeMultiple(filters, a.onMessage)
	if err := wait(ctx, tok, publishTimeout); err != nil {
		if ctx.Err() == nil { // stopping: linkLoop says goodbye
			a.log.Warn("subscribing failed; reconnecting", "err", err)
			c.markLost()
		}
		return
	}
	for topic, code := range tok.(*mqtt.SubscribeToken).Result() {
		if code == 0x80 {
			a.log.Error("the broker refused a subscription; check the device's ACL on the fleet", "topic", topic)
			a.fault(ctx, "protocol", "subscribe.refused", wire.SeverityError, "broker refused "+topic)
		}
	}
	if err := a.publish(ctx, c, a.onlinePresence(c.session)); err != nil {
		if ctx.Err() == nil {
			a.log.Warn("publishing online presence failed; reconnecting", "err", err)
			c.markLost()
		}
		return
	}
	c.ready.Store(true)
	a.log.Info("connected to the fleet", "session", c.session)
	a.publish(ctx, c, a.clock.Request())
	a.publishReport(ctx)
	a.sendUnsentResults(ctx)
	a.wakeOutbox()
	a.flushTelemetry(ctx, true)
}

func (a *Agent) onlinePresence(session uint64) wire.Presence {
	return wire.Presence{Schema: wire.Schema, Status: wire.Online, Session: session, DeviceKind: a.cfg.Kind,
		AppVersion: a.cfg.AppVersion, Accept: map[wire.Kind]int{wire.KindDesired: wire.Schema, wire.KindCommand: wire.Schema,
			wire.KindAck: wire.Schema, wire.KindTime: wire.Schema}}
}

// goodbye publishes offline presence with reason and disconnects, which
// discards the will.
func (a *Agent) goodbye(c *conn, reason string) {
	if c.client.IsConnectionOpen() {
		off := wire.Presence{Schema: wire.Schema, Status: wire.Offline, Session: c.session, Reason: reason}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := a.publish(ctx, c, off); err != nil {
			a.log.Warn("could not publish offline presence; the broker's will reports the device lost", "err", err)
		}
		cancel()
	}
	c.client.Disconnect(250)
}

// publish encodes p and publishes it on its topic with the QoS and retain
// flag of its kind, waiting at most publishTimeout for the broker.
func (a *Agent) publish(ctx context.Context, c *conn, p wire.Payload) error {
	b, err := wire.Encode(p)
	if err != nil {
		return fmt.Errorf("device: %w", err)
	}
	return a.publishRaw(ctx, c, p.TopicKind(), b)
}

func (a *Agent) publishRaw(ctx context.Context, c *conn, k wire.Kind, b []byte) error {
	if c == nil {
		return errors.New("device: not connected to the fleet; it is sent after the next connect")
	}
	spec, _ := wire.SpecOf(k)
	tok := c.client.Publish(wire.Topic(a.creds.DeviceID, k), spec.QoS, spec.Retain, b)
	if err := wait(ctx, tok, publishTimeout); err != nil {
		return fmt.Errorf("device: publishing %s: %w", k, err)
	}
	return nil
}

// reconnect closes the connection cleanly (offline with reason) and
// connects again at once.
func (a *Agent) reconnect(reason string) {
	select {
	case a.kick <- reason:
	default:
	}
}
