//go:build !linux

package queue

import "time"

// SystemUptime is, off Linux, the time since this process started (the
// kiosk runs on Linux; this keeps the package building on a laptop).
func SystemUptime() time.Duration { return time.Since(processStart) }

var processStart = time.Now()
