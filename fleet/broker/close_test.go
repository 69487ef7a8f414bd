package broker_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"

	"lawpoint/fleet"
	"lawpoint/fleet/broker"
)

// authFunc adapts a function to broker.Authenticator.
type authFunc func(ctx context.Context, user, pass string) (fleet.Principal, error)

func (f authFunc) Authenticate(ctx context.Context, user, pass string) (fleet.Principal, error) {
	return f(ctx, user, pass)
}

// syncBuffer is a log sink safe for the broker's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startBroker(t *testing.T, auth broker.Authenticator, log *slog.Logger) (*broker.Broker, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b, err := broker.New(auth, broker.Config{Listeners: []net.Listener{ln}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, b.Addr("extra-0")
}

// connect connects a device over MQTT 3.1.1 and returns the CONNACK's
// error (nil when accepted).
func connect(t *testing.T, addr, id string) error {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + addr).
		SetClientID(id).SetUsername(id).SetPassword("secret").SetProtocolVersion(4).
		SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(waitLimit))
	tok := c.Connect()
	if !tok.WaitTimeout(waitLimit) {
		t.Fatal("connect did not finish")
	}
	if tok.Error() == nil {
		c.Disconnect(0)
	}
	return tok.Error()
}

var (
	refusedUnavailable = packets.ConnErrors[packets.ErrRefusedServerUnavailable] // CONNACK 3
	refusedNotAuth     = packets.ConnErrors[packets.ErrRefusedNotAuthorised]     // CONNACK 5
)

// TestStoreFailureIsServerUnavailable: when the store cannot answer, a
// device is told "server unavailable" (3, it retries), not "not
// authorized" (5, its credentials are wrong); the failure is logged once,
// not once per device. Wrong credentials are still 5.
func TestStoreFailureIsServerUnavailable(t *testing.T) {
	var logs syncBuffer
	storeDown := errors.New("database disk image is malformed")
	auth := authFunc(func(ctx context.Context, user, pass string) (fleet.Principal, error) {
		if user == "led-wrong" {
			return fleet.Principal{}, fleet.ErrBadCredentials
		}
		return fleet.Principal{}, storeDown
	})
	_, addr := startBroker(t, auth, slog.New(slog.NewTextHandler(&logs, nil)))
	for _, id := range []string{"led-1", "led-2", "led-3", "led-4"} {
		if err := connect(t, addr, id); !errors.Is(err, refusedUnavailable) {
			t.Errorf("%s while the store fails: %v; want %v", id, err, refusedUnavailable)
		}
	}
	if err := connect(t, addr, "led-wrong"); !errors.Is(err, refusedNotAuth) {
		t.Errorf("wrong credentials: %v; want %v", err, refusedNotAuth)
	}
	if n := strings.Count(logs.String(), "refused for now"); n != 1 {
		t.Errorf("store failure logged %d times for 4 devices; want once:\n%s", n, logs.String())
	}
}

// TestCloseAnswersACheckInProgressWithServerUnavailable: a device whose
// credentials are being checked when the fleet shuts down is told "server
// unavailable", not "not authorized" (the check is cut short by the
// shutdown, which is not the device's fault), and Close returns.
func TestCloseAnswersACheckInProgressWithServerUnavailable(t *testing.T) {
	checking := make(chan struct{})
	auth := authFunc(func(ctx context.Context, user, pass string) (fleet.Principal, error) {
		close(checking)
		<-ctx.Done() // a store that answers only when given up on
		return fleet.Principal{}, ctx.Err()
	})
	b, addr := startBroker(t, auth, nil)
	got := make(chan error, 1)
	go func() { got <- connect(t, addr, "led-1") }()
	<-checking
	closed := make(chan error, 1)
	go func() { closed <- b.Close() }()
	if err := <-got; !errors.Is(err, refusedUnavailable) {
		t.Errorf("device connecting during shutdown: %v; want %v", err, refusedUnavailable)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("the broker still accepts connections after Close")
	}
}
