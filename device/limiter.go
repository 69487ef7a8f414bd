package device

import (
	"sync"
	"time"
)

// limiter tells whether something keyed happens for the first time within
// a period, and counts the repeats, so floods are logged and reported once.
type limiter struct {
	mu   sync.Mutex
	last map[string]time.Time
	seen map[string]int
}

func newLimiter() *limiter { return &limiter{last: map[string]time.Time{}, seen: map[string]int{}} }

// first reports whether key was not seen within period, and starts a new
// period if so.
func (l *limiter) first(key string, period time.Duration) bool {
	ok, _ := l.hit(key, period)
	return ok
}

// hit is first, also returning how many times key happened since the last
// time it reported true (including this one).
func (l *limiter) hit(key string, period time.Duration) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen[key]++
	if t, ok := l.last[key]; ok && time.Since(t) < period {
		return false, l.seen[key]
	}
	n := l.seen[key]
	l.seen[key] = 0
	l.last[key] = time.Now()
	return true, n
}
