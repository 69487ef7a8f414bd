package queue

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fakeClock is a kiosk clock under the test's control: the wall clock it
// reports, whether it is trusted, the boot and the uptime.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	trusted bool
	boot    string
	boots   int
	up      time.Duration
}

func newClock(now time.Time, trusted bool) *fakeClock {
	return &fakeClock{now: now, trusted: trusted, boot: "boot-1", boots: 1, up: 30 * time.Second}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Trusted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.trusted
}

func (c *fakeClock) BootID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.boot
}

func (c *fakeClock) Uptime() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.up
}

// advance lets d pass on both the wall clock and the uptime.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now, c.up = c.now.Add(d), c.up+d
}

// set steps the wall clock (NTP or the fleet correcting it) and its trust.
func (c *fakeClock) set(now time.Time, trusted bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now, c.trusted = now, trusted
}

// reboot starts a new boot whose clock reads wall, untrusted.
func (c *fakeClock) reboot(wall time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.boots++
	c.boot, c.up, c.now, c.trusted = fmt.Sprintf("boot-%d", c.boots), 20*time.Second, wall, false
}

var cst = time.FixedZone("CST", 8*3600)

func at(day string, hm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", day+" "+hm, cst)
	if err != nil {
		panic(err)
	}
	return t
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testConfig(path string, clk *fakeClock) Config {
	return Config{Path: path, Clock: clk, Uptime: clk.Uptime, Location: cst, DefaultServiceTime: 4 * time.Minute, Log: quietLog()}
}

func openTest(t testing.TB, clk *fakeClock) (*Queue, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "queue.db")
	q, err := Open(context.Background(), testConfig(path, clk))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q, path
}

func reopen(t testing.TB, q *Queue, path string, clk *fakeClock) *Queue {
	t.Helper()
	q.Close()
	q2, err := Open(context.Background(), testConfig(path, clk))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q2.Close() })
	return q2
}

func issue(t testing.TB, q *Queue, prefix string) Ticket {
	t.Helper()
	tk, err := q.Issue(context.Background(), prefix)
	if err != nil {
		t.Fatalf("issuing %s: %v", prefix, err)
	}
	return tk
}

func numbers(ts ...Ticket) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Number)
	}
	return out
}
