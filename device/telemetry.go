package device

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"lawpoint/device/wire"
)

// Sample reads one telemetry sample of this machine: uptime, CPU
// temperature (from /sys/class/thermal when there is a sensor), load,
// memory, free space of the data folder's disk, app version, and the LED
// link and printer status from the hooks.
func (a *Agent) Sample() wire.Sample {
	s := wire.Sample{
		At:           a.clock.Now(),
		ClockTrusted: a.clock.Trusted(),
		BootID:       a.clock.BootID(),
		UptimeS:      UptimeMS() / 1000,
		CPUTempC:     cpuTemp(a.cfg.ThermalDir),
		AppVersion:   a.cfg.AppVersion,
	}
	s.Load1, s.Load5, s.Load15 = loadAvg()
	s.MemTotalBytes, s.MemAvailBytes = memInfo()
	var st unix.Statfs_t
	if unix.Statfs(a.cfg.Dir, &st) == nil {
		s.DiskTotalBytes = st.Blocks * uint64(st.Bsize)
		s.DiskFreeBytes = st.Bavail * uint64(st.Bsize)
	}
	if h := a.cfg.Hooks.LEDStatus; h != nil {
		p := h()
		s.LED = &p
	}
	if h := a.cfg.Hooks.PrinterStatus; h != nil {
		p := h()
		s.Printer = &p
	}
	return s
}

// cpuTemp reads the first thermal zone of type cpu/soc (or zone 0) in
// millidegrees; nil where there is none.
func cpuTemp(dir string) *float64 {
	if dir == "" {
		dir = "/sys/class/thermal"
	}
	zones, _ := filepath.Glob(filepath.Join(dir, "thermal_zone*"))
	for _, z := range zones {
		b, err := os.ReadFile(filepath.Join(z, "temp"))
		if err != nil {
			continue
		}
		milli, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
		if err != nil {
			continue
		}
		c := milli / 1000
		if c < -50 || c > 150 {
			continue
		}
		return &c
	}
	return nil
}

func loadAvg() (l1, l5, l15 float64) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return
	}
	f := strings.Fields(string(b))
	if len(f) >= 3 {
		l1, _ = strconv.ParseFloat(f[0], 64)
		l5, _ = strconv.ParseFloat(f[1], 64)
		l15, _ = strconv.ParseFloat(f[2], 64)
	}
	return
}

func memInfo() (total, avail uint64) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseUint(f[1], 10, 64)
		switch f[0] {
		case "MemTotal:":
			total = v * 1024
		case "MemAvailable:":
			avail = v * 1024
		}
	}
	if avail > total {
		avail = total
	}
	return
}
