package device

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"lawpoint/content"
	"lawpoint/device/wire"
)

// refuser is a broker front that answers the first connections with a
// CONNACK refusal (one return code each) and passes later ones through to
// the real broker.
type refuser struct {
	t      *testing.T
	ln     net.Listener
	target string

	mu      sync.Mutex
	codes   []byte // refusals still to give, in order
	refused []byte // refusals given
}

func newRefuser(t *testing.T, target string, codes ...byte) *refuser {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &refuser{t: t, ln: ln, target: target, codes: codes}
	t.Cleanup(func() { ln.Close() })
	go f.accept()
	return f
}

func (f *refuser) accept() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		var code byte
		refuse := len(f.codes) > 0
		if refuse {
			code, f.codes = f.codes[0], f.codes[1:]
			f.refused = append(f.refused, code)
		}
		f.mu.Unlock()
		if refuse {
			go refuseConn(c, code)
			continue
		}
		go func() {
			up, err := net.Dial("tcp", f.target)
			if err != nil {
				c.Close()
				return
			}
			go func() { io.Copy(up, c); up.Close() }()
			io.Copy(c, up)
			c.Close()
		}()
	}
}

// refuseConn reads the CONNECT packet and answers CONNACK with code.
func refuseConn(c net.Conn, code byte) {
	defer c.Close()
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil || b[0]>>4 != 1 {
		return
	}
	n, mul := 0, 1
	for {
		if _, err := io.ReadFull(c, b[:]); err != nil {
			return
		}
		n += int(b[0]&0x7f) * mul
		if b[0]&0x80 == 0 {
			break
		}
		mul *= 128
	}
	if _, err := io.CopyN(io.Discard, c, int64(n)); err != nil {
		return
	}
	c.Write([]byte{0x20, 0x02, 0x00, code})
	// Wait for the client to hang up, as a broker that refused would.
	io.Copy(io.Discard, c)
}

func (f *refuser) given() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]byte(nil), f.refused...)
}

// logRecords collects log records (message and attributes) for asserting.
type logRecords struct {
	mu   sync.Mutex
	recs []string
}

func (l *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecords) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecords) WithGroup(string) slog.Handler            { return l }
func (l *logRecords) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	l.mu.Lock()
	l.recs = append(l.recs, b.String())
	l.mu.Unlock()
	return nil
}

func (l *logRecords) matching(prefix string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.recs {
		if strings.HasPrefix(r, prefix) {
			out = append(out, r)
		}
	}
	return out
}

// TestRefusedConnectBacksOffAndRetries: CONNACK 3 (server unavailable: the
// fleet restarting) and 5 (not authorized: e.g. the fleet shutting down
// before this was fixed, or a revoked device) are connect failures like any
// other: the agent does not give up, each one moves it one step up the
// backoff (one connect per attempt: paho's silent retry with MQTT 3.1 is
// off), and once the broker accepts it comes online.
func TestRefusedConnectBacksOffAndRetries(t *testing.T) {
	r := newRig(t)
	f := newRefuser(t, r.proxy.Addr, 3, 5, 3)
	err := SaveCredentials(r.dir, Credentials{DeviceID: devID, Password: r.mq.Passwords[devID],
		BrokerURL: "mqtt://" + f.ln.Addr().String(), FleetURL: r.items.URL, CountyKey: content.EncodePublicKey(r.county.Public)})
	if err != nil {
		t.Fatal(err)
	}
	logs := &logRecords{}
	a, err := New(context.Background(), Config{Dir: r.dir, Kind: wire.LED, AppVersion: "0.1.0-test", Log: slog.New(logs),
		Backoff: wire.Backoff{Min: 10 * time.Millisecond, Max: 40 * time.Millisecond},
		NTP:     func(context.Context) bool { return false }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() {
		cancel()
		<-done
		a.Close()
	}()

	// Three refusals took sessions 1–3; the fourth connect is accepted.
	r.fleet.Wait(10*time.Second, "online presence after three refusals", hasPresence(wire.Online, 4, ""))
	if got := f.given(); string(got) != string([]byte{3, 5, 3}) {
		t.Fatalf("refusals given %v; want [3 5 3]", got)
	}
	// Each refusal moved the agent one step up the backoff: attempts 0–3.
	var attempts []string
	for _, rec := range logs.matching("connecting after delay") {
		for _, f := range strings.Fields(rec) {
			if v, ok := strings.CutPrefix(f, "attempt="); ok {
				attempts = append(attempts, v)
			}
		}
	}
	if strings.Join(attempts, ",") != "0,1,2,3" {
		t.Fatalf("connect attempts %v; want 0,1,2,3 (one backoff step per refusal)", attempts)
	}
	if n := len(logs.matching("the fleet broker is unavailable for now")); n != 2 {
		t.Errorf("%d warnings for CONNACK 3; want 2:\n%s", n, strings.Join(logs.matching(""), "\n"))
	}
	if n := len(logs.matching("the fleet broker refused the device's credentials")); n != 1 {
		t.Errorf("%d warnings for CONNACK 5; want 1", n)
	}
}

// The backoff a refused device lives with: it grows to the 5-minute
// ceiling and stays there, it never stops.
func TestDefaultBackoffKeepsRetryingAtTheCeiling(t *testing.T) {
	b := wire.DefaultBackoff
	if got := b.Ceiling(1000); got != 5*time.Minute {
		t.Fatalf("ceiling after 1000 refusals %v; want 5m", got)
	}
}
