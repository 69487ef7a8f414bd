package mqttbus

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"lawpoint/device/wire"
	"lawpoint/fleet"
)

// Config says how to reach the broker.
type Config struct {
	// URL is the broker, e.g. "mqtt://127.0.0.1:1883" or "mqtts://host:8883".
	URL      string
	Username string // a fleet account, e.g. wire.DefaultFleetUser
	Password string
	// ClientID must be unique per replica and never a device ID; default
	// Username + "-" + a random suffix.
	ClientID string
	TLS      *tls.Config // for mqtts://; nil uses the system roots
	Logger   *slog.Logger
	// OnConnect, if set, is called (in its own goroutine) after every
	// connect and resubscription, e.g. to republish retained desired state
	// a restarted broker may have lost.
	OnConnect func()
}

// Client is a fleet.Bus on one MQTT connection.
type Client struct {
	c   paho.Client
	log *slog.Logger

	mu   sync.Mutex
	subs map[string]sub // filter → subscription, replayed on reconnect

	onConnect func()
}

type sub struct {
	qos byte
	h   fleet.Handler
}

var _ fleet.Bus = (*Client)(nil)

// Dial connects to the broker and returns once connected or when ctx ends.
// After a lost connection it reconnects by itself and resubscribes.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	if err := wire.ValidateFleetUser(cfg.Username); err != nil {
		return nil, fmt.Errorf("mqttbus: %w", err)
	}
	server := cfg.URL
	switch {
	case strings.HasPrefix(server, "mqtt://"):
		server = "tcp://" + strings.TrimPrefix(server, "mqtt://")
	case strings.HasPrefix(server, "mqtts://"):
		server = "ssl://" + strings.TrimPrefix(server, "mqtts://")
	default:
		return nil, fmt.Errorf("mqttbus: broker URL %q must start with mqtt:// or mqtts://", cfg.URL)
	}
	if cfg.ClientID == "" {
		cfg.ClientID = cfg.Username + "-" + fleet.NewSecret()[:8]
	}
	if wire.ValidateDeviceID(cfg.ClientID) == nil {
		return nil, fmt.Errorf("mqttbus: client ID %q could be a device ID; include an '_' (e.g. %s-1)", cfg.ClientID, wire.DefaultFleetUser)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	b := &Client{log: log, subs: make(map[string]sub), onConnect: cfg.OnConnect}
	opts := paho.NewClientOptions().AddBroker(server).
		SetClientID(cfg.ClientID).SetUsername(cfg.Username).SetPassword(cfg.Password).
		SetProtocolVersion(4).SetCleanSession(true).
		SetAutoReconnect(true).SetMaxReconnectInterval(30 * time.Second).
		SetConnectTimeout(30 * time.Second).SetKeepAlive(30 * time.Second).
		SetOnConnectHandler(b.resubscribe).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			log.Warn("mqtt connection to the broker lost; reconnecting", "broker", cfg.URL, "error", err)
		})
	if cfg.TLS != nil {
		opts.SetTLSConfig(cfg.TLS)
	}
	b.c = paho.NewClient(opts)
	if err := await(ctx, b.c.Connect()); err != nil {
		b.c.Disconnect(0)
		return nil, fmt.Errorf("mqttbus: connect to %s as %s: %w (check the address and the fleet account's password)", cfg.URL, cfg.Username, err)
	}
	return b, nil
}

func await(ctx context.Context, tok paho.Token) error {
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Publish implements fleet.Bus.
func (b *Client) Publish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) error {
	if err := await(ctx, b.c.Publish(topic, qos, retain, payload)); err != nil {
		return fmt.Errorf("mqttbus: publish to %s: %w", topic, err)
	}
	return nil
}

// Subscribe implements fleet.Bus. Shared filters ("$share/...") are passed
// to the broker as they are, so replicas split the messages.
func (b *Client) Subscribe(ctx context.Context, filter string, qos byte, h fleet.Handler) error {
	b.mu.Lock()
	b.subs[filter] = sub{qos, h}
	b.mu.Unlock()
	return b.subscribe(ctx, filter, qos, h)
}

func (b *Client) subscribe(ctx context.Context, filter string, qos byte, h fleet.Handler) error {
	tok := b.c.Subscribe(filter, qos, func(_ paho.Client, m paho.Message) {
		h(fleet.Message{Topic: m.Topic(), Payload: m.Payload(), Retained: m.Retained()})
	})
	if err := await(ctx, tok); err != nil {
		return fmt.Errorf("mqttbus: subscribe to %s: %w", filter, err)
	}
	for _, code := range tok.(*paho.SubscribeToken).Result() {
		if code >= 0x80 {
			return fmt.Errorf("mqttbus: the broker refused the subscription to %s; check the fleet account's ACL (lawpoint-fleet export-mosquitto)", filter)
		}
	}
	return nil
}

// resubscribe runs on every (re)connect. It must not block paho's
// connection goroutine, so it works in its own.
func (b *Client) resubscribe(paho.Client) {
	b.mu.Lock()
	subs := make(map[string]sub, len(b.subs))
	for f, s := range b.subs {
		subs[f] = s
	}
	b.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for f, s := range subs {
			if err := b.subscribe(ctx, f, s.qos, s.h); err != nil {
				b.log.Error("resubscribe after reconnect failed; restart the fleet if it persists", "error", err)
			}
		}
		if b.onConnect != nil {
			b.onConnect()
		}
	}()
}

// Close disconnects, waiting up to a second for pending work.
func (b *Client) Close() error {
	b.c.Disconnect(1000)
	return nil
}
