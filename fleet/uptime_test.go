package fleet_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet"
	"lawpoint/fleet/sqlitestore"
)

// day0 is the first day of the test periods, 00:00 Beijing time.
var day0 = time.Date(2026, 5, 4, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))

// upAt is a moment of day d (0-based from day0), "hh:mm".
func upAt(d int, hhmm string) time.Time {
	var h, m int
	if _, err := fmt.Sscanf(hhmm, "%d:%d", &h, &m); err != nil {
		panic(err)
	}
	return day0.AddDate(0, 0, d).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

type uptimeFleet struct {
	t     *testing.T
	store *sqlitestore.Store
}

func newUptimeFleet(t *testing.T) *uptimeFleet {
	t.Helper()
	s, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &uptimeFleet{t: t, store: s}
}

// device registers a kiosk at created.
func (f *uptimeFleet) device(id, region string, created time.Time) {
	f.t.Helper()
	if err := f.store.CreateDevice(f.t.Context(), fleet.Device{ID: id, Kind: fleet.KindKiosk, Region: region, Created: created}); err != nil {
		f.t.Fatal(err)
	}
}

// presence stores one observation received at when and returns its verdict.
func (f *uptimeFleet) presence(id string, online bool, session uint64, when time.Time) wire.Verdict {
	f.t.Helper()
	vs, err := f.store.UpdatePresence(f.t.Context(), []fleet.Presence{{DeviceID: id, Online: online, Session: session, LastSeen: when}})
	if err != nil {
		f.t.Fatal(err)
	}
	return vs[0]
}

func (f *uptimeFleet) uptime(from, to time.Time, region string) *fleet.UptimeReport {
	f.t.Helper()
	rep, err := fleet.Uptime(f.t.Context(), f.store, from, to, region)
	if err != nil {
		f.t.Fatal(err)
	}
	return rep
}

func deviceUptime(t *testing.T, rep *fleet.UptimeReport, id string) fleet.DeviceUptime {
	t.Helper()
	for _, u := range rep.Devices {
		if u.DeviceID == id {
			return u
		}
	}
	t.Fatalf("no uptime for %s in %+v", id, rep.Devices)
	return fleet.DeviceUptime{}
}

func wantMean(t *testing.T, what string, g *fleet.UptimeGroup, mean float64, devices, good int) {
	t.Helper()
	if g == nil {
		t.Fatalf("%s: no group", what)
	}
	m, ok := g.Mean()
	if !ok || math.Abs(m-mean) > 1e-9 || g.Devices != devices || g.Good != good {
		t.Errorf("%s: mean %v (%v) of %d devices, %d good; want %v of %d, %d good", what, m, ok, g.Devices, g.Good, mean, devices, good)
	}
}

// A kiosk online 06:00–18:00 each day of a two-day period was online half
// of it; one never seen online counts 0 %; one online throughout 100 %.
func TestUptimeDaytimeKioskIsHalf(t *testing.T) {
	f := newUptimeFleet(t)
	const baxia, houzhuang = "仙游县/榜头镇/坝下村", "仙游县/榜头镇/后庄村"
	f.device("kiosk-day", baxia, upAt(-10, "09:00"))
	f.device("kiosk-never", baxia, upAt(-10, "09:00"))
	f.device("kiosk-always", houzhuang, upAt(-10, "09:00"))
	f.presence("kiosk-always", true, 1, upAt(-3, "12:00"))
	for d := range 2 {
		s := uint64(d + 1)
		if v := f.presence("kiosk-day", true, s, upAt(d, "06:00")); v != wire.Applied {
			t.Fatalf("online: %v", v)
		}
		if v := f.presence("kiosk-day", false, s, upAt(d, "18:00")); v != wire.Applied {
			t.Fatalf("offline: %v", v)
		}
	}
	rep := f.uptime(day0, upAt(2, "00:00"), "")
	u := deviceUptime(t, rep, "kiosk-day")
	if u.Counted != 48*time.Hour || u.Online != 24*time.Hour || u.Fraction() != 0.5 {
		t.Errorf("kiosk-day: %v online of %v (%v), want 24h of 48h", u.Online, u.Counted, u.Fraction())
	}
	if u := deviceUptime(t, rep, "kiosk-never"); u.Fraction() != 0 || u.Counted != 48*time.Hour {
		t.Errorf("never seen: %+v", u)
	}
	if u := deviceUptime(t, rep, "kiosk-always"); u.Fraction() != 1 {
		t.Errorf("always online: %+v", u)
	}
	wantMean(t, "坝下村", rep.Regions[baxia], 0.25, 2, 0)
	wantMean(t, "后庄村", rep.Regions[houzhuang], 1, 1, 1)
	wantMean(t, "榜头镇", rep.Regions["仙游县/榜头镇"], 0.5, 3, 1)
	wantMean(t, "total", &rep.Total, 0.5, 3, 1)
	if len(rep.Days) != 2 {
		t.Fatalf("%d days", len(rep.Days))
	}
	for i := range rep.Days {
		wantMean(t, fmt.Sprint("day ", i), &rep.Days[i], 0.5, 3, 1)
	}
	// A region selects its devices only.
	rep = f.uptime(day0, upAt(2, "00:00"), houzhuang)
	if len(rep.Devices) != 1 || rep.Devices[0].DeviceID != "kiosk-always" {
		t.Errorf("后庄村 devices %+v", rep.Devices)
	}
}

// A device counts from its registration and not after its revocation; one
// registered for none of the period is left out.
func TestUptimeCountsRegisteredTimeOnly(t *testing.T) {
	f := newUptimeFleet(t)
	const region = "仙游县/榜头镇/坝下村"
	// Registered at the start of the second day, online 06:00–18:00.
	f.device("kiosk-new", region, upAt(1, "00:00"))
	f.presence("kiosk-new", true, 1, upAt(1, "06:00"))
	f.presence("kiosk-new", false, 1, upAt(1, "18:00"))
	// Online from before the period; revoked at noon on the first day, its
	// will arrives an hour later.
	f.device("kiosk-gone", region, upAt(-10, "09:00"))
	f.presence("kiosk-gone", true, 4, upAt(-1, "08:00"))
	if err := f.store.RevokeDevice(t.Context(), "kiosk-gone", upAt(0, "12:00")); err != nil {
		t.Fatal(err)
	}
	f.presence("kiosk-gone", false, 4, upAt(0, "13:00"))
	// Revoked before the period, registered after it.
	f.device("kiosk-old", region, upAt(-10, "09:00"))
	if err := f.store.RevokeDevice(t.Context(), "kiosk-old", upAt(-1, "09:00")); err != nil {
		t.Fatal(err)
	}
	f.device("kiosk-later", region, upAt(3, "09:00"))

	rep := f.uptime(day0, upAt(2, "00:00"), "")
	if u := deviceUptime(t, rep, "kiosk-new"); u.Counted != 24*time.Hour || u.Online != 12*time.Hour {
		t.Errorf("kiosk-new: %v of %v, want 12h of 24h (counted from registration)", u.Online, u.Counted)
	}
	if u := deviceUptime(t, rep, "kiosk-gone"); u.Counted != 12*time.Hour || u.Online != 12*time.Hour {
		t.Errorf("kiosk-gone: %v of %v, want 12h of 12h (not after revocation)", u.Online, u.Counted)
	}
	if len(rep.Devices) != 2 {
		t.Errorf("devices %+v, want kiosk-gone and kiosk-new only", rep.Devices)
	}
	wantMean(t, "village", rep.Regions[region], 0.75, 2, 1)
	// Day 0 has only kiosk-gone (100 %), day 1 only kiosk-new (50 %).
	wantMean(t, "day 0", &rep.Days[0], 1, 1, 1)
	wantMean(t, "day 1", &rep.Days[1], 0.5, 1, 0)
}

// The session rule holds in the history: a late will of a replaced
// connection does not end the newer session, and an online message from
// an older session does not start one.
func TestUptimeStaleWillDoesNotEndNewerSession(t *testing.T) {
	f := newUptimeFleet(t)
	f.device("kiosk-a", "仙游县/榜头镇/坝下村", upAt(-10, "09:00"))
	steps := []struct {
		online  bool
		session uint64
		when    string
		want    wire.Verdict
	}{
		{true, 7, "06:00", wire.Applied},
		{true, 8, "07:00", wire.Applied}, // reconnected before the old connection's will
		{false, 7, "08:00", wire.Stale},  // the late will of session 7
		{true, 6, "09:00", wire.Behind},  // a message from an older session
		{true, 8, "10:00", wire.Duplicate},
		{false, 8, "18:00", wire.Applied},
	}
	for _, s := range steps {
		if v := f.presence("kiosk-a", s.online, s.session, upAt(0, s.when)); v != s.want {
			t.Fatalf("%v session %d at %s: verdict %v, want %v", s.online, s.session, s.when, v, s.want)
		}
	}
	hist, err := f.store.PresenceHistory(t.Context(), day0, upAt(1, "00:00"), "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range hist {
		got = append(got, fmt.Sprintf("%v/%d@%s", c.Online, c.Session, c.At.In(day0.Location()).Format("15:04")))
	}
	if fmt.Sprint(got) != "[true/7@06:00 true/8@07:00 false/8@18:00]" {
		t.Errorf("history %v", got)
	}
	rep := f.uptime(day0, upAt(1, "00:00"), "")
	if u := deviceUptime(t, rep, "kiosk-a"); u.Online != 12*time.Hour {
		t.Errorf("online %v, want 12h (06:00–18:00)", u.Online)
	}
}

// The presence history is pruned where telemetry is (Ingest.Run), after
// PresenceHistoryRetention, keeping each device's last change before the
// cutoff: the uptime of the window is the same after the prune.
func TestUptimeHistoryRetentionKeepsStateAtCutoff(t *testing.T) {
	f := newUptimeFleet(t)
	ctx := t.Context()
	f.device("kiosk-a", "仙游县/榜头镇/坝下村", upAt(-30, "09:00"))
	f.device("kiosk-b", "仙游县/榜头镇/坝下村", upAt(-30, "09:00"))
	f.presence("kiosk-a", true, 1, upAt(-20, "08:00"))
	f.presence("kiosk-a", false, 1, upAt(-20, "20:00"))
	f.presence("kiosk-a", true, 2, upAt(-10, "08:00")) // the last change before the cutoff
	f.presence("kiosk-a", false, 2, upAt(1, "12:00"))
	f.presence("kiosk-b", false, 3, upAt(-25, "08:00")) // only ever offline, long ago

	before := f.uptime(day0, upAt(2, "00:00"), "")
	now := day0.Add(fleet.PresenceHistoryRetention)
	in := fleet.NewIngest(f.store, nil, quietLog())
	in.SetClock(func() time.Time { return now })
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); in.Run(rctx) }()
	var hist []fleet.PresenceChange
	for range 500 { // Run prunes as it starts
		var err error
		if hist, err = f.store.PresenceHistory(ctx, time.Unix(0, 0), now, ""); err != nil {
			t.Fatal(err)
		}
		if len(hist) < 5 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	var got []string
	for _, c := range hist {
		got = append(got, fmt.Sprintf("%s %v/%d", c.DeviceID, c.Online, c.Session))
	}
	if fmt.Sprint(got) != "[kiosk-a true/2 kiosk-a false/2 kiosk-b false/3]" {
		t.Fatalf("history after the prune: %v", got)
	}
	after := f.uptime(day0, upAt(2, "00:00"), "")
	if a, b := deviceUptime(t, after, "kiosk-a"), deviceUptime(t, before, "kiosk-a"); a != b || a.Online != 36*time.Hour {
		t.Errorf("uptime after the prune %+v, before %+v (want 36h online)", a, b)
	}
	if n, err := f.store.PrunePresenceHistory(ctx, day0); err != nil || n != 0 {
		t.Errorf("second prune deleted %d (%v)", n, err)
	}
}

// BenchmarkComputeUptime: 10,000 devices, 30 days, 4 changes a day (two
// sessions of a few hours each day), per device, region and day.
func BenchmarkComputeUptime(b *testing.B) {
	const devices, days = 10_000, 30
	devs, changes := syntheticHistory(devices, days)
	to := day0.AddDate(0, 0, days)
	b.ReportMetric(float64(len(changes)), "changes")
	for b.Loop() {
		rep := fleet.ComputeUptime(devs, changes, day0, to)
		if len(rep.Devices) != devices {
			b.Fatal(len(rep.Devices))
		}
	}
}

// syntheticHistory is a fleet of kiosks in 20 townships × 25 villages,
// each online 08:00–12:00 and 14:00–18:00 (shifted per device) every day.
func syntheticHistory(devices, days int) ([]fleet.Device, []fleet.PresenceChange) {
	devs := make([]fleet.Device, devices)
	changes := make([]fleet.PresenceChange, 0, devices*days*4)
	var seq int64
	for i := range devs {
		id := fmt.Sprintf("kiosk-%05d", i)
		devs[i] = fleet.Device{ID: id, Kind: fleet.KindKiosk, Created: day0.AddDate(0, 0, -1),
			Region: fmt.Sprintf("仙游县/镇%02d/村%02d", i%20, i/20%25)}
		shift := time.Duration(i%60) * time.Minute
		session := uint64(0)
		for d := range days {
			for _, span := range [][2]int{{8, 12}, {14, 18}} {
				session++
				for k, h := range span {
					seq++
					changes = append(changes, fleet.PresenceChange{Seq: seq, DeviceID: id, Online: k == 0, Session: session,
						At: day0.AddDate(0, 0, d).Add(time.Duration(h)*time.Hour + shift)})
				}
			}
		}
	}
	return devs, changes
}
