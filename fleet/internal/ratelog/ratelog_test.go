package ratelog

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestOncePerKeyAndPeriod(t *testing.T) {
	var buf bytes.Buffer
	l := New(slog.New(slog.NewTextHandler(&buf, nil)), time.Minute)
	now := time.Date(2025, 12, 4, 9, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	for range 1000 { // a flood from one client
		l.Warn("refuse:led-1", "refused")
	}
	l.Warn("refuse:led-2", "refused")
	now = now.Add(time.Minute)
	l.Warn("refuse:led-1", "refused")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d log lines, want 3 (led-1, led-2, led-1 a minute later):\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[2], "suppressed=999") {
		t.Fatalf("the later line does not count the suppressed repeats: %s", lines[2])
	}
}
