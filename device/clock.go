package device

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"lawpoint/device/wire"
)

// Clock tells the agent, the resolver and the player what time it is and
// whether to believe it. It is trusted when the system reports NTP
// synchronisation, or after a fleet time reply with a round trip within
// wire.MaxClockRTT in this boot; trust ends with the process (a new boot
// starts untrusted).
type Clock struct {
	log *slog.Logger
	ntp func(ctx context.Context) bool

	mu         sync.Mutex
	ntpSynced  bool
	fleetOK    bool
	fleetBase  time.Time // fleet time at uptime fleetAtMS
	fleetAtMS  uint64
	pendingID  string
	pendingMS  uint64
	stepLogged bool
	bootID     string
}

// NewClock returns a clock that asks ntp whether the system clock is
// synchronised (nil: SystemNTPSynced).
func NewClock(log *slog.Logger, ntp func(ctx context.Context) bool) *Clock {
	if ntp == nil {
		ntp = SystemNTPSynced
	}
	if log == nil {
		log = slog.Default()
	}
	return &Clock{log: log, ntp: ntp, bootID: readBootID()}
}

// SystemNTPSynced reports whether the operating system's clock is NTP
// synchronised: `timedatectl show -p NTPSynchronized --value` where systemd
// runs, else the kernel's adjtimex status.
func SystemNTPSynced(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "timedatectl", "show", "-p", "NTPSynchronized", "--value").Output()
	if err == nil {
		return strings.TrimSpace(string(out)) == "yes"
	}
	var tx unix.Timex
	state, err := unix.Adjtimex(&tx)
	if err != nil {
		return false
	}
	return state != unix.TIME_ERROR && tx.Status&unix.STA_UNSYNC == 0
}

// CheckNTP asks the system again; the agent calls it every minute.
func (c *Clock) CheckNTP(ctx context.Context) bool {
	ok := c.ntp(ctx)
	c.mu.Lock()
	changed := ok != c.ntpSynced
	c.ntpSynced = ok
	c.mu.Unlock()
	if changed {
		c.log.Info("system clock NTP synchronisation changed", "synchronised", ok)
	}
	return ok
}

// Trusted reports whether Now can be believed.
func (c *Clock) Trusted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ntpSynced || c.fleetOK
}

// Now is the best estimate of the time: the system clock when NTP keeps
// it, else the fleet's time carried forward on the monotonic clock, else
// the system clock (untrusted).
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ntpSynced && c.fleetOK {
		return c.fleetBase.Add(time.Duration(UptimeMS()-c.fleetAtMS) * time.Millisecond)
	}
	return time.Now()
}

// BootID names this boot of the machine (from the kernel).
func (c *Clock) BootID() string { return c.bootID }

// Request starts a fleet time request; the previous one, if unanswered,
// is forgotten.
func (c *Clock) Request() wire.TimeRequest {
	var b [8]byte
	rand.Read(b[:])
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pendingID, c.pendingMS = hex.EncodeToString(b[:]), UptimeMS()
	return wire.TimeRequest{Schema: wire.Schema, ID: c.pendingID, UptimeMS: c.pendingMS}
}

// Reply takes a fleet time reply. It reports whether the reply was for the
// outstanding request and quick enough to trust.
func (c *Clock) Reply(r wire.TimeReply) bool {
	now := UptimeMS()
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.ID != c.pendingID || r.UptimeMS != c.pendingMS || c.pendingID == "" {
		return false
	}
	c.pendingID = ""
	fleetNow, bound, ok := r.Estimate(now)
	if !ok {
		c.log.Warn("fleet time reply too slow to trust; asking again later", "rtt_ms", now-r.UptimeMS)
		return false
	}
	c.fleetOK, c.fleetBase, c.fleetAtMS = true, fleetNow, now
	step := time.Until(fleetNow)
	if (step > wire.MaxClockStep || step < -wire.MaxClockStep) && !c.stepLogged && !c.ntpSynced {
		c.stepLogged = true
		c.log.Warn("system clock is off; using the fleet's time", "offset", step.Round(time.Millisecond), "error_bound", bound)
	}
	return true
}

// UptimeMS is the monotonic time since boot (CLOCK_BOOTTIME), in ms.
func UptimeMS() uint64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return uint64(time.Since(processStart).Milliseconds())
	}
	return uint64(ts.Sec)*1000 + uint64(ts.Nsec)/1e6
}

var processStart = time.Now()

func readBootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if id := strings.TrimSpace(string(b)); err == nil && id != "" {
		return id
	}
	var r [16]byte
	rand.Read(r[:])
	return hex.EncodeToString(r[:])
}
