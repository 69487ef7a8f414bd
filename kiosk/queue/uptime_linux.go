package queue

import (
	"time"

	"golang.org/x/sys/unix"
)

// SystemUptime is the time since the machine booted (CLOCK_BOOTTIME, which
// keeps counting in suspend and is never set), the default Config.Uptime.
func SystemUptime() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return time.Since(processStart)
	}
	return time.Duration(ts.Sec)*time.Second + time.Duration(ts.Nsec)
}

var processStart = time.Now()
