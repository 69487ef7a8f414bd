package broker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"lawpoint/fleet"
	"lawpoint/fleet/internal/ratelog"
)

// Config says where the broker listens and how it is tuned. Zero values
// are the defaults below.
type Config struct {
	// TCP is the plain MQTT listen address (e.g. ":1883"); empty for none.
	TCP string
	// TLS is the MQTT-over-TLS listen address (e.g. ":8883"); empty for
	// none. TLSConfig must then hold the server certificate.
	TLS       string
	TLSConfig *tls.Config
	// Listeners are extra, already open listeners (tests, socket
	// activation); each is served as plain MQTT unless wrapped in TLS.
	Listeners []net.Listener

	// WritesPending is the per-client queue of outbound packets
	// (default 128; mochi's 8192 costs ~64 KiB per idle connection).
	WritesPending int32
	// BufferSize is each client's read and write buffer (default 1 KiB).
	BufferSize int
	// SessionExpiry is how long a disconnected device's session (its
	// subscriptions and queued QoS 1 messages) is kept (default 14 days,
	// the length of a device's content plan).
	SessionExpiry time.Duration
	// MessageExpiry is how long a retained message, or a QoS 1 message
	// queued for an offline session, is kept after it was published
	// (default 9 days). mochi's own default, 24 hours, deleted a device's
	// retained desired state a day after the last change, so a device
	// offline for longer found nothing on return. The fleet republishes
	// every device's desired state at least every 7 days (the manifest
	// renewal: content.PlanHorizon minus the Distributor's RefreshBefore,
	// plus its hourly recompute), so 9 days keeps it retained for good;
	// a queue of an offline session holds at most 9 days of versions.
	MessageExpiry time.Duration

	Logger *slog.Logger
}

// Defaults for Config.
const (
	DefaultWritesPending = 128
	DefaultBufferSize    = 1024
	DefaultSessionExpiry = 14 * 24 * time.Hour
	DefaultMessageExpiry = 9 * 24 * time.Hour
)

// Broker is the embedded MQTT broker.
type Broker struct {
	srv    *mqtt.Server
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	lns    []*listener
	closed atomic.Bool
	// closing is set by Close once the listeners stopped accepting: the
	// hook then refuses (CONNACK server unavailable) whoever still arrives.
	closing atomic.Bool
	subID   atomic.Int64
}

// New configures a broker that authenticates clients with auth. Call Start
// to listen.
func New(auth Authenticator, cfg Config) (*Broker, error) {
	if auth == nil {
		return nil, errors.New("broker: an Authenticator is required")
	}
	if cfg.TLS != "" && cfg.TLSConfig == nil {
		return nil, errors.New("broker: a TLS address needs a TLS configuration with the server certificate (lawpoint-fleet init creates one)")
	}
	if cfg.WritesPending <= 0 {
		cfg.WritesPending = DefaultWritesPending
	}
	if cfg.BufferSize <= 0 {
		cfg.BufferSize = DefaultBufferSize
	}
	if cfg.SessionExpiry <= 0 {
		cfg.SessionExpiry = DefaultSessionExpiry
	}
	if cfg.MessageExpiry <= 0 {
		cfg.MessageExpiry = DefaultMessageExpiry
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumClientWritesPending = cfg.WritesPending
	caps.MaximumSessionExpiryInterval = uint32(cfg.SessionExpiry / time.Second)
	caps.MaximumMessageExpiryInterval = int64(cfg.MessageExpiry / time.Second)
	caps.MaximumPacketSize = 1 << 20 // wire.MaxPayload plus topic and header
	caps.MinimumProtocolVersion = 4  // MQTT 3.1.1 and 5
	caps.MaximumQos = 1              // the protocol uses QoS 0 and 1 only
	ctx, cancel := context.WithCancel(context.Background())
	b := &Broker{log: log, ctx: ctx, cancel: cancel}
	b.srv = mqtt.New(&mqtt.Options{
		Capabilities:             caps,
		ClientNetReadBufferSize:  cfg.BufferSize,
		ClientNetWriteBufferSize: cfg.BufferSize,
		// mochi logs every refused connection at warning level; ours are
		// logged once per client by the hook, so keep mochi to errors.
		Logger:                 slog.New(levelHandler{log.Handler(), slog.LevelError}),
		SysTopicResendInterval: 60,
		InlineClient:           true,
	})
	hook := &authHook{ctx: ctx, auth: auth, warn: ratelog.New(log, time.Minute), srv: b.srv, closing: &b.closing}
	if err := b.srv.AddHook(hook, nil); err != nil {
		cancel()
		return nil, fmt.Errorf("broker: add auth hook: %w", err)
	}
	add := func(ln net.Listener, id string) {
		b.lns = append(b.lns, &listener{id: id, ln: ln})
	}
	for i, ln := range cfg.Listeners {
		add(ln, fmt.Sprintf("extra-%d", i))
	}
	if cfg.TCP != "" {
		b.lns = append(b.lns, &listener{id: "tcp", addr: cfg.TCP})
	}
	if cfg.TLS != "" {
		b.lns = append(b.lns, &listener{id: "tls", addr: cfg.TLS, tls: cfg.TLSConfig})
	}
	if len(b.lns) == 0 {
		cancel()
		return nil, errors.New("broker: no listen address; give a TCP or TLS address")
	}
	return b, nil
}

// Start opens the listeners and starts serving. It returns once every
// listener is open, or the first error.
func (b *Broker) Start(ctx context.Context) error {
	for _, l := range b.lns {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := b.srv.AddListener(l); err != nil {
			return fmt.Errorf("broker: listen on %s (%s): %w; is another broker using the port?", l.addr, l.id, err)
		}
	}
	if err := b.srv.Serve(); err != nil {
		return fmt.Errorf("broker: start: %w", err)
	}
	for _, l := range b.lns {
		b.log.Info("mqtt listening", "listener", l.id, "address", l.Address())
	}
	return nil
}

// Addr returns the address listener id ("tcp", "tls", "extra-0") is bound
// to, with the real port when ":0" was asked for; "" if there is none.
func (b *Broker) Addr(id string) string {
	for _, l := range b.lns {
		if l.id == id {
			return l.Address()
		}
	}
	return ""
}

// Close stops the broker in this order:
//
//  1. every listener stops accepting, so a device that is dropped below
//     and retries at once finds the port closed (a connect error it backs
//     off from), not a broker that can no longer check its credentials;
//  2. closing is set: a connection accepted just before step 1 is answered
//     CONNACK "server unavailable" (3), which devices treat as temporary;
//  3. the hook's context is cancelled, so a credential check still waiting
//     for the store ends now (also answered 3, never "not authorized");
//  4. mochi disconnects every client (their wills reach the fleet) and
//     waits for their goroutines.
//
// Sessions of devices are in memory: they reconnect and the fleet
// republishes desired state.
func (b *Broker) Close() error {
	if !b.closed.CompareAndSwap(false, true) {
		return nil
	}
	for _, l := range b.lns {
		l.stopAccepting()
	}
	b.closing.Store(true)
	b.cancel()
	return b.srv.Close()
}

// Disconnect ends a client's connection now (after revoking a device).
// It reports whether the client was connected.
func (b *Broker) Disconnect(clientID string) bool {
	cl, ok := b.srv.Clients.Get(clientID)
	if !ok || cl.Closed() {
		return false
	}
	_ = b.srv.DisconnectClient(cl, packets.ErrNotAuthorized)
	return true
}

// Connected returns how many network clients are connected.
func (b *Broker) Connected() int64 {
	return atomic.LoadInt64(&b.srv.Info.ClientsConnected)
}

// Bus returns the fleet's in-process client of this broker. It is not
// subject to the ACL: it is the fleet.
func (b *Broker) Bus() fleet.Bus { return inlineBus{b} }

type inlineBus struct{ b *Broker }

func (i inlineBus) Publish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if i.b.closed.Load() {
		return errors.New("broker: publish after close")
	}
	if err := i.b.srv.Publish(topic, payload, retain, qos); err != nil {
		return fmt.Errorf("broker: publish to %s: %w", topic, err)
	}
	return nil
}

// Subscribe subscribes in-process. Shared subscriptions are pointless with
// one broker in one process, so a "$share/group/" prefix is dropped.
func (i inlineBus) Subscribe(ctx context.Context, filter string, qos byte, h fleet.Handler) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if rest, ok := cutShare(filter); ok {
		filter = rest
	}
	id := int(i.b.subID.Add(1))
	// mochi hands inline subscribers live messages only (it sends them no
	// retained messages on subscribe) but with the publisher's retain flag
	// still set; a live message is never "from the retained store", so the
	// presence tracker records when the device was last heard.
	err := i.b.srv.Subscribe(filter, id, func(_ *mqtt.Client, _ packets.Subscription, pk packets.Packet) {
		h(fleet.Message{Topic: pk.TopicName, Payload: pk.Payload, Retained: false})
	})
	if err != nil {
		return fmt.Errorf("broker: subscribe to %s: %w", filter, err)
	}
	return nil
}

func cutShare(filter string) (string, bool) {
	const p = "$share/"
	if len(filter) <= len(p) || filter[:len(p)] != p {
		return filter, false
	}
	for j := len(p); j < len(filter); j++ {
		if filter[j] == '/' {
			return filter[j+1:], true
		}
	}
	return filter, false
}

// listener serves MQTT on a net.Listener. Unlike mochi's TCP listener it
// does not log every refused connection (the hook does, once per client).
type listener struct {
	id   string
	addr string
	tls  *tls.Config

	mu        sync.Mutex
	ln        net.Listener
	end       atomic.Bool
	closeOnce sync.Once
	log       *slog.Logger
}

func (l *listener) ID() string       { return l.id }
func (l *listener) Protocol() string { return "tcp" }

func (l *listener) Address() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln != nil {
		return l.ln.Addr().String()
	}
	return l.addr
}

func (l *listener) Init(log *slog.Logger) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.log = log
	if l.ln != nil {
		return nil
	}
	var err error
	if l.tls != nil {
		l.ln, err = tls.Listen("tcp", l.addr, l.tls)
	} else {
		l.ln, err = net.Listen("tcp", l.addr)
	}
	return err
}

func (l *listener) Serve(establish listeners.EstablishFn) {
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			if l.end.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			// E.g. out of file descriptors: back off and keep serving.
			if l.log != nil {
				l.log.Error("mqtt accept failed; raise the open-file limit (ulimit -n) if it says 'too many open files'",
					"listener", l.id, "error", err)
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		go func() {
			if err := establish(l.id, conn); err != nil && l.log != nil {
				l.log.Debug("mqtt connection ended", "listener", l.id, "error", err)
			}
		}()
	}
}

// stopAccepting closes the network listener; Serve returns. Idempotent.
func (l *listener) stopAccepting() {
	l.end.Store(true)
	l.mu.Lock()
	if l.ln != nil {
		l.ln.Close()
	}
	l.mu.Unlock()
}

// Close stops accepting first and only then disconnects the listener's
// clients, so none of them can come straight back in while the broker
// shuts down.
func (l *listener) Close(closeClients listeners.CloseFn) {
	l.stopAccepting()
	l.closeOnce.Do(func() { closeClients(l.id) })
}

// levelHandler drops records below min.
type levelHandler struct {
	slog.Handler
	min slog.Level
}

func (h levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return levelHandler{h.Handler.WithAttrs(a), h.min}
}

func (h levelHandler) WithGroup(n string) slog.Handler {
	return levelHandler{h.Handler.WithGroup(n), h.min}
}
