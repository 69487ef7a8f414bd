// Package ratelog logs a repeated problem once per key and period instead of
// once per occurrence, so a flood of bad connections or payloads cannot fill
// the disk or drown the log. Suppressed repeats are counted and reported
// with the next line for that key.
package ratelog

import (
	"log/slog"
	"sync"
	"time"
)

// Limiter remembers, per key, when it last logged.
type Limiter struct {
	log    *slog.Logger
	period time.Duration
	now    func() time.Time

	mu   sync.Mutex
	seen map[string]*entry
}

type entry struct {
	last       time.Time
	suppressed int
}

// maxKeys bounds the memory: past it, the table starts afresh.
const maxKeys = 10000

// New returns a limiter that logs each key at most once per period.
func New(log *slog.Logger, period time.Duration) *Limiter {
	return &Limiter{log: log, period: period, now: time.Now, seen: make(map[string]*entry)}
}

// Warn logs msg at warning level unless key was logged within the period.
func (l *Limiter) Warn(key, msg string, args ...any) {
	now := l.now()
	l.mu.Lock()
	e := l.seen[key]
	if e != nil && now.Sub(e.last) < l.period {
		e.suppressed++
		l.mu.Unlock()
		return
	}
	if len(l.seen) >= maxKeys {
		clear(l.seen)
	}
	n := 0
	if e != nil {
		n = e.suppressed
	}
	l.seen[key] = &entry{last: now}
	l.mu.Unlock()
	if n > 0 {
		args = append(args, "suppressed", n)
	}
	l.log.Warn(msg, args...)
}
