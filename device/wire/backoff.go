package wire

import (
	"math/rand/v2"
	"time"
)

// Backoff is the reconnect delay policy: exponential growth from Min to Max
// with full jitter, i.e. a delay drawn uniformly from [0, min(Max, Min·2^n)]
// for the n-th consecutive failed attempt (n from 0). Full jitter spreads a
// thousand devices that lost the broker in the same second over the whole
// window instead of bunching them at the same instants, so a broker restart
// or a county-wide outage is followed by a ramp, not a storm.
type Backoff struct {
	Min, Max time.Duration
}

// DefaultBackoff is what devices use: first retry within 2 s, the ceiling
// doubling to 5 minutes, so a device returns within about 5 minutes of its
// link (on average 2.5) while 50,000 devices retry at ~170 per second.
var DefaultBackoff = Backoff{Min: 2 * time.Second, Max: 5 * time.Minute}

// BackoffResetAfter is how long a connection must stay up before the
// attempt counter starts again from 0, so a broker that accepts and then
// drops a connection does not get retried at the Min rate forever.
const BackoffResetAfter = time.Minute

// Ceiling returns min(Max, Min·2^attempt): the largest delay Next may give.
// A Min of 0 or less means DefaultBackoff.Min, a Max below Min means Min,
// and a negative attempt counts as 0.
func (b Backoff) Ceiling(attempt int) time.Duration {
	lo, hi := b.bounds()
	if attempt < 0 {
		attempt = 0
	}
	c := lo
	for i := 0; i < attempt && c < hi; i++ {
		if c > hi/2 {
			return hi
		}
		c *= 2
	}
	return min(c, hi)
}

func (b Backoff) bounds() (lo, hi time.Duration) {
	lo, hi = b.Min, b.Max
	if lo <= 0 {
		lo = DefaultBackoff.Min
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// Next returns the delay before reconnect attempt number attempt (0 for
// the first retry after a loss), uniform in [0, Ceiling(attempt)]. r is
// the random source (nil: the global one); devices seed theirs per device.
func (b Backoff) Next(attempt int, r *rand.Rand) time.Duration {
	c := b.Ceiling(attempt)
	if r == nil {
		return time.Duration(rand.Int64N(int64(c) + 1))
	}
	return time.Duration(r.Int64N(int64(c) + 1))
}
