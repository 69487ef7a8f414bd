package fleet

// Device uptime for the county's evaluation figures (the console's reports,
// docs/CONSOLE.md "Reports"): the share of a period each device was online,
// computed from the presence history the store appends to whenever a
// stored presence changes (Store.PresenceHistory), and summed per township
// and village. See docs/FLEET.md, "Presence history and uptime".

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// PresenceChange is one row of the presence history: a presence
// observation that changed a device's stored state (UpdatePresence, verdict
// wire.Applied): online, offline, or a newer session.
type PresenceChange struct {
	Seq      int64 // the order the store applied the changes in (increasing)
	DeviceID string
	Online   bool
	Session  uint64
	At       time.Time // the fleet's receive time of the observation
}

// GoodUptime is the share of its time a device must be online to count as
// working in the reports ("在线率≥95%的设备").
const GoodUptime = 0.95

// PresenceHistoryRetention is how long presence changes are kept; each
// device's last change before that is kept too, so its state at any moment
// of the window is known. A report covers at most 400 days.
const PresenceHistoryRetention = 400 * 24 * time.Hour

// DeviceUptime is one device's online time in a period.
type DeviceUptime struct {
	DeviceID string
	Region   string
	// Counted is the part of the period the device was registered: from
	// its creation (or the period's start) to its revocation (or the end).
	Counted time.Duration
	// Online is the part of Counted the fleet saw it online.
	Online time.Duration
}

// Fraction is Online / Counted (0 when nothing was counted).
func (u DeviceUptime) Fraction() float64 {
	if u.Counted <= 0 {
		return 0
	}
	return float64(u.Online) / float64(u.Counted)
}

// UptimeGroup sums the uptime of a group of devices (a village, a
// township, a day, the total). Each device weighs the same, however much
// of the period it was registered.
type UptimeGroup struct {
	Devices int     // devices registered for some of the period
	Good    int     // of them, those online at least GoodUptime of it
	Sum     float64 // the sum of their fractions
}

// Add counts one device with uptime fraction f.
func (g *UptimeGroup) Add(f float64) {
	g.Devices++
	g.Sum += f
	if f >= GoodUptime {
		g.Good++
	}
}

// Mean is the devices' mean uptime fraction; ok is false when the group
// has no device.
func (g UptimeGroup) Mean() (mean float64, ok bool) {
	if g.Devices == 0 {
		return 0, false
	}
	return g.Sum / float64(g.Devices), true
}

// UptimeReport is the uptime of the devices of a region in a period.
type UptimeReport struct {
	From, To time.Time
	// Devices lists every device registered for some of the period, by ID.
	Devices []DeviceUptime
	Total   UptimeGroup
	// Regions sums the devices per township and village path (see
	// ReportLevels).
	Regions map[string]*UptimeGroup
	// Days[i] is the calendar day starting at From.AddDate(0, 0, i) (in
	// From's location), cut at To: each device's share of that day.
	Days []UptimeGroup
}

// ReportLevels returns the township and village a region counts at in the
// reports: its first two and first three levels. A region of one or two
// levels is its own township, with no village.
func ReportLevels(region string) (township, village string) {
	parts := strings.Split(region, "/")
	if len(parts) >= 3 {
		return strings.Join(parts[:2], "/"), strings.Join(parts[:3], "/")
	}
	return region, ""
}

// Uptime computes the uptime in [from, to) of every device now registered
// in region (a path prefix; "" for all), revoked ones included. to should
// not be after now: the stored state is taken to last until to. See
// ComputeUptime for the rules.
func Uptime(ctx context.Context, s Store, from, to time.Time, region string) (*UptimeReport, error) {
	devs, err := s.Devices(ctx, Filter{Region: region, IncludeRevoked: true})
	if err != nil {
		return nil, fmt.Errorf("uptime: %w", err)
	}
	changes, err := s.PresenceHistory(ctx, from, to, region)
	if err != nil {
		return nil, fmt.Errorf("uptime: %w", err)
	}
	return ComputeUptime(devs, changes, from, to), nil
}

// ComputeUptime computes the uptime in [from, to) of devs from their
// presence changes (as Store.PresenceHistory returns them: each device's
// state at from, then its changes in the period).
//
// A device counts from its creation (or from) until its revocation (or
// to); a device registered for none of the period is left out. Its state
// before its first change is offline, so a device never seen online counts
// 0 %. Changes are taken in the order they were applied (Seq); a change
// received earlier than the one before it (two fleet replicas' clocks)
// counts at the earlier one's time. The fleet knows only what it saw: while
// it was down, its embedded broker had disconnected every device (their
// wills marked them offline), so that time counts as offline.
func ComputeUptime(devs []Device, changes []PresenceChange, from, to time.Time) *UptimeReport {
	rep := &UptimeReport{From: from, To: to, Regions: map[string]*UptimeGroup{}}
	cmpChange := func(a, b PresenceChange) int {
		return cmp.Or(strings.Compare(a.DeviceID, b.DeviceID), cmp.Compare(a.Seq, b.Seq))
	}
	if !slices.IsSortedFunc(changes, cmpChange) {
		changes = slices.Clone(changes)
		slices.SortFunc(changes, cmpChange)
	}
	devs = slices.Clone(devs)
	slices.SortFunc(devs, func(a, b Device) int { return strings.Compare(a.ID, b.ID) })

	// Day boundaries in nanoseconds: day i is [bounds[i], bounds[i+1]).
	var bounds []int64
	for i := 0; ; i++ {
		b := from.AddDate(0, 0, i)
		if !b.Before(to) {
			break
		}
		bounds = append(bounds, b.UnixNano())
	}
	bounds = append(bounds, to.UnixNano())
	nd := len(bounds) - 1
	rep.Days = make([]UptimeGroup, max(nd, 0))
	dayOn := make([]int64, max(nd, 0))
	dayAll := make([]int64, max(nd, 0))

	group := func(path string) *UptimeGroup {
		g := rep.Regions[path]
		if g == nil {
			g = &UptimeGroup{}
			rep.Regions[path] = g
		}
		return g
	}
	ci := 0
	for _, d := range devs {
		// This device's changes (both lists are sorted by ID).
		for ci < len(changes) && changes[ci].DeviceID < d.ID {
			ci++
		}
		cj := ci
		for cj < len(changes) && changes[cj].DeviceID == d.ID {
			cj++
		}
		mine := changes[ci:cj]
		ci = cj

		start, end := from.UnixNano(), to.UnixNano()
		if !d.Created.IsZero() {
			start = max(start, d.Created.UnixNano())
		}
		if d.IsRevoked() {
			end = min(end, d.Revoked.UnixNano())
		}
		if end <= start {
			continue
		}
		// Day index of a moment in [start, end).
		day, _ := slices.BinarySearch(bounds, start)
		if day == len(bounds) || bounds[day] > start {
			day--
		}
		firstDay := day
		var on, all int64
		span := func(a, b int64, online bool) {
			for a < b {
				for day+1 < len(bounds) && bounds[day+1] <= a {
					day++
				}
				e := min(b, bounds[day+1])
				all += e - a
				dayAll[day] += e - a
				if online {
					on += e - a
					dayOn[day] += e - a
				}
				a = e
			}
		}
		online := false
		cur := start
		var prev int64
		for i, c := range mine {
			at := c.At.UnixNano()
			if i > 0 && at < prev {
				at = prev // applied after a change received later
			}
			prev = at
			if at <= start {
				online = c.Online
				continue
			}
			if at >= end {
				break
			}
			span(cur, at, online)
			cur, online = at, c.Online
		}
		span(cur, end, online)

		u := DeviceUptime{DeviceID: d.ID, Region: d.Region, Counted: time.Duration(all), Online: time.Duration(on)}
		rep.Devices = append(rep.Devices, u)
		f := u.Fraction()
		rep.Total.Add(f)
		t, v := ReportLevels(d.Region)
		group(t).Add(f)
		if v != "" {
			group(v).Add(f)
		}
		for i := firstDay; i <= day && i < nd; i++ {
			if dayAll[i] > 0 {
				rep.Days[i].Add(float64(dayOn[i]) / float64(dayAll[i]))
			}
			dayOn[i], dayAll[i] = 0, 0
		}
	}
	return rep
}
