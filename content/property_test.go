package content

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

var (
	propZones   = []string{"Asia/Shanghai", "America/New_York", "Europe/Berlin", "UTC", "Australia/Lord_Howe"}
	propRegions = []string{"仙游县", "仙游县/榜头镇", "仙游县/榜头镇/坝下村", "仙游县/榜头镇/紫泽村", "仙游县/度尾镇", "仙游县/度尾镇/中峰村", "仙游县/榜头"}
	propTags    = []string{"主街", "公园", "学校"}
	// Interesting days: DST changes in the zones above, and an ordinary week.
	propAnchors = []time.Time{
		time.Date(2024, 3, 10, 7, 0, 0, 0, time.UTC),  // New York spring forward
		time.Date(2024, 11, 3, 6, 0, 0, 0, time.UTC),  // New York fall back
		time.Date(2024, 3, 31, 1, 0, 0, 0, time.UTC),  // Berlin spring forward
		time.Date(2024, 10, 27, 1, 0, 0, 0, time.UTC), // Berlin fall back
		time.Date(2024, 4, 6, 15, 0, 0, 0, time.UTC),  // Lord Howe: 30 minutes back
		time.Date(2024, 12, 2, 0, 0, 0, 0, time.UTC),
	}
)

// propWorld is a random fleet and set around an anchor instant.
type propWorld struct {
	set     *Set
	c       *Compiled
	devices []Device
	anchor  time.Time
}

func drawInstant(t *rapid.T, anchor time.Time, spread time.Duration, label string) time.Time {
	off := rapid.Int64Range(-int64(spread/time.Second), int64(spread/time.Second)).Draw(t, label)
	// Often land on a quarter hour, where windows start and end.
	if rapid.Bool().Draw(t, label+"-grid") {
		off -= off % 900
	}
	return anchor.Add(time.Duration(off) * time.Second)
}

func drawWorld(t *rapid.T) *propWorld {
	anchor := rapid.SampledFrom(propAnchors).Draw(t, "anchor")
	w := &propWorld{anchor: anchor}
	var devices []Device
	for i := range rapid.IntRange(1, 5).Draw(t, "devices") {
		devices = append(devices, Device{
			ID:     fmt.Sprintf("d%d", i),
			Kind:   rapid.SampledFrom(DeviceKinds).Draw(t, "kind"),
			Region: rapid.SampledFrom(propRegions[2:6]).Draw(t, "region"),
			Tags:   rapid.SliceOfNDistinct(rapid.SampledFrom(propTags), 0, 2, rapid.ID[string]).Draw(t, "tags"),
		})
	}
	w.devices = devices
	s := &Set{Fallbacks: map[string]string{}}
	nItems := rapid.IntRange(1, 5).Draw(t, "items")
	for i := range nItems {
		it := NewText(fmt.Sprintf("i%d", i), 1, Text{Body: fmt.Sprintf("普法宣传 %d", i)})
		if rapid.Bool().Draw(t, "from") {
			it.ValidFrom = drawInstant(t, anchor, 48*time.Hour, "valid_from")
		}
		if rapid.Bool().Draw(t, "until") {
			it.ValidUntil = drawInstant(t, anchor, 48*time.Hour, "valid_until")
		}
		if !it.ValidFrom.IsZero() && !it.ValidUntil.IsZero() && !it.ValidFrom.Before(it.ValidUntil) {
			it.ValidFrom, it.ValidUntil = it.ValidUntil, it.ValidFrom.Add(time.Hour)
		}
		s.Items = append(s.Items, it)
	}
	nProgs := rapid.IntRange(1, 4).Draw(t, "programmes")
	for i := range nProgs {
		p := Programme{ID: fmt.Sprintf("p%d", i)}
		for range rapid.IntRange(1, 3).Draw(t, "entries") {
			p.Entries = append(p.Entries, Entry{ItemID: fmt.Sprintf("i%d", rapid.IntRange(0, nItems-1).Draw(t, "item")), Seconds: 10})
		}
		s.Programmes = append(s.Programmes, p)
	}
	for _, k := range DeviceKinds {
		if rapid.Bool().Draw(t, "fallback") {
			s.Fallbacks[k] = fmt.Sprintf("p%d", rapid.IntRange(0, nProgs-1).Draw(t, "fallback-prog"))
		}
	}
	for i := range rapid.IntRange(0, 7).Draw(t, "schedules") {
		sc := Schedule{ID: fmt.Sprintf("s%d", i), ProgrammeID: fmt.Sprintf("p%d", rapid.IntRange(0, nProgs-1).Draw(t, "prog")),
			Priority: rapid.IntRange(0, 3).Draw(t, "priority"), Zone: rapid.SampledFrom(propZones).Draw(t, "zone")}
		sc.Target.Regions = rapid.SliceOfNDistinct(rapid.SampledFrom(propRegions), 0, 2, rapid.ID[string]).Draw(t, "regions")
		sc.Target.Tags = rapid.SliceOfNDistinct(rapid.SampledFrom(propTags), 0, 1, rapid.ID[string]).Draw(t, "ttags")
		sc.Target.Kinds = rapid.SliceOfNDistinct(rapid.SampledFrom(DeviceKinds), 0, 1, rapid.ID[string]).Draw(t, "kinds")
		if rapid.IntRange(0, 4).Draw(t, "explicit") == 0 {
			sc.Target.Devices = []string{devices[rapid.IntRange(0, len(devices)-1).Draw(t, "dev")].ID}
		}
		if rapid.IntRange(0, 4).Draw(t, "exclude") == 0 {
			sc.Target.ExcludeRegions = []string{rapid.SampledFrom(propRegions[1:]).Draw(t, "xregion")}
		}
		if len(sc.Target.Regions)+len(sc.Target.Tags)+len(sc.Target.Kinds)+len(sc.Target.Devices) == 0 {
			sc.Target.Regions = []string{"仙游县"}
		}
		if rapid.IntRange(0, 5).Draw(t, "always") == 0 {
			sc.Always = true
			sc.Zone = ""
		} else {
			sc.Weekdays = Weekdays(rapid.IntRange(1, 127).Draw(t, "weekdays"))
			if rapid.Bool().Draw(t, "date_from") {
				sc.DateFrom = DateOf(drawInstant(t, anchor, 72*time.Hour, "df"))
			}
			if rapid.Bool().Draw(t, "date_until") {
				sc.DateUntil = DateOf(drawInstant(t, anchor, 72*time.Hour, "du"))
			}
			if !sc.DateFrom.IsZero() && !sc.DateUntil.IsZero() && sc.DateUntil.dayNumber() < sc.DateFrom.dayNumber() {
				sc.DateFrom, sc.DateUntil = sc.DateUntil, sc.DateFrom
			}
			for range rapid.IntRange(0, 3).Draw(t, "windows") {
				start := ClockTime(rapid.IntRange(0, 95).Draw(t, "start") * 900)
				end := ClockTime(rapid.IntRange(0, 96).Draw(t, "end") * 900)
				if start == end {
					end = start + 900
				}
				sc.Windows = append(sc.Windows, Window{Start: start, End: end, Overnight: end < start})
			}
		}
		s.Schedules = append(s.Schedules, sc)
	}
	for i := range rapid.IntRange(0, 3).Draw(t, "notices") {
		start := drawInstant(t, anchor, 48*time.Hour, "nstart")
		s.Notices = append(s.Notices, Notice{ID: fmt.Sprintf("n%d", i), Text: "紧急通知",
			Regions:   []string{rapid.SampledFrom(propRegions).Draw(t, "nregion")},
			Start:     start,
			Expiry:    start.Add(time.Duration(rapid.IntRange(1, 48*4).Draw(t, "nlen")) * 15 * time.Minute),
			Withdrawn: rapid.IntRange(0, 3).Draw(t, "withdrawn") == 0,
		})
	}
	c, err := Compile(s)
	if err != nil {
		t.Fatalf("generated an invalid set: %v", err)
	}
	w.set, w.c = s, c
	return w
}

// checkAnswer asserts what must hold of any answer at t.
func (w *propWorld) checkAnswer(t *rapid.T, dev Device, at time.Time, a Answer, trusted bool) {
	for _, p := range a.Programmes {
		if len(p.Entries) == 0 {
			t.Fatalf("at %v plays programme %s with no entries", at, p.ProgrammeID)
		}
		for _, e := range p.Entries {
			it := w.c.items[e.ItemID]
			if !it.playableAt(at, trusted) {
				t.Fatalf("at %v plays item %s outside its validity [%v, %v) (trusted %v)", at, it.ID, it.ValidFrom, it.ValidUntil, trusted)
			}
		}
	}
	var active []string
	for _, n := range w.set.Notices {
		if n.activeAt(at) && noticeCovers(&n, dev.Region) {
			active = append(active, n.ID)
		}
	}
	if !trusted {
		if a.Source == SourceNotice || !a.Until.IsZero() || a.ClockTrusted || a.Reason == "" {
			t.Fatalf("untrusted clock gave %s until %v trusted=%v reason=%q", playing(a), a.Until, a.ClockTrusted, a.Reason)
		}
		for _, p := range a.Programmes {
			if p.ScheduleID != "" && !w.set.Schedules[slices.IndexFunc(w.set.Schedules, func(s Schedule) bool { return s.ID == p.ScheduleID })].Always {
				t.Fatalf("untrusted clock plays timed schedule %s", p.ScheduleID)
			}
		}
		return
	}
	if len(active) > 0 {
		var got []string
		for _, n := range a.Notices {
			got = append(got, n.ID)
		}
		slices.Sort(active)
		slices.Sort(got)
		if a.Source != SourceNotice || !slices.Equal(got, active) {
			t.Fatalf("at %v notices %v are active for %s but it plays %s", at, active, dev.Region, playing(a))
		}
	} else if a.Source == SourceNotice {
		t.Fatalf("at %v plays notices %s though none is active", at, playing(a))
	}
}

func TestPropertyAnswerHoldsUntilUntil(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := drawWorld(t)
		dev := rapid.SampledFrom(w.devices).Draw(t, "device")
		trusted := rapid.IntRange(0, 4).Draw(t, "trusted") > 0
		now := drawInstant(t, w.anchor, 48*time.Hour, "now").Add(time.Duration(rapid.IntRange(0, 999).Draw(t, "ms")) * time.Millisecond)
		opts := Options{ClockTrusted: trusted}
		a := w.c.Resolve(dev, now, opts)
		w.checkAnswer(t, dev, now, a, trusted)
		if s := w.c.Snapshot(now, opts).Resolve(dev); !s.Same(a) || !s.Until.Equal(a.Until) {
			t.Fatalf("snapshot %s until %v, resolve %s until %v", playing(s), s.Until, playing(a), a.Until)
		}
		end := a.Until
		if end.IsZero() {
			end = now.Add(30 * 24 * time.Hour)
		} else if !end.After(now) {
			t.Fatalf("until %v is not after now %v", end, now)
		}
		samples := []time.Time{now, end.Add(-time.Nanosecond)}
		for range 4 {
			samples = append(samples, now.Add(time.Duration(rapid.Int64Range(0, int64(end.Sub(now))-1).Draw(t, "sample"))))
		}
		for _, s := range samples {
			b := w.c.Resolve(dev, s, opts)
			if !b.Same(a) {
				t.Fatalf("answer at %v is %s, but at %v (until %v) it was %s", s, playing(b), now, a.Until, playing(a))
			}
			w.checkAnswer(t, dev, s, b, trusted)
		}
		if !a.Until.IsZero() {
			w.checkAnswer(t, dev, a.Until, w.c.Resolve(dev, a.Until, opts), trusted)
		}
	})
}

func TestPropertyPlanAgreesWithResolve(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := drawWorld(t)
		dev := rapid.SampledFrom(w.devices).Draw(t, "device")
		from := drawInstant(t, w.anchor, 48*time.Hour, "from")
		p := w.c.Plan(dev, from, 4*24*time.Hour)
		if err := p.check(); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(p.Segments); i++ {
			if p.Segments[i].Answer.Same(p.Segments[i-1].Answer) {
				t.Fatalf("segments %d and %d play the same and were not merged", i-1, i)
			}
		}
		if !p.Untrusted.Same(w.c.Resolve(dev, from, Options{})) {
			t.Fatalf("plan's untrusted answer differs from Resolve")
		}
		var samples []time.Time
		for _, s := range p.Segments {
			samples = append(samples, s.Start, s.End.Add(-time.Nanosecond))
		}
		for range 5 {
			samples = append(samples, p.From.Add(time.Duration(rapid.Int64Range(0, int64(p.To.Sub(p.From))-1).Draw(t, "sample"))))
		}
		for _, s := range samples {
			got, ok := p.At(s, true)
			want := w.c.Resolve(dev, s, Trusted)
			if !ok || !got.Same(want) {
				t.Fatalf("plan at %v plays %s (ok %v), Resolve %s", s, playing(got), ok, playing(want))
			}
		}
	})
}

// TestPropertyMatchesOracle compares schedule activity with a direct
// reading of the wall clock, in zones without daylight saving where the
// reading is unambiguous.
func TestPropertyMatchesOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := drawWorld(t)
		now := drawInstant(t, w.anchor, 72*time.Hour, "now")
		for _, sc := range w.set.Schedules {
			if sc.Zone != "Asia/Shanghai" && sc.Zone != "UTC" && !sc.Always {
				continue
			}
			cs := w.c.scheds[w.c.scheduleAt[sc.ID]]
			got, _ := cs.windowState(&clock{}, now)
			if want := oracleActive(sc, now); got != want {
				t.Fatalf("schedule %+v at %v: active %v, oracle %v", sc, now, got, want)
			}
		}
	})
}

func oracleActive(sc Schedule, t time.Time) bool {
	if sc.Always {
		return true
	}
	loc := mustZone(sc.Zone)
	lt := t.In(loc)
	for back := 0; back <= 1; back++ {
		day := time.Date(lt.Year(), lt.Month(), lt.Day()-back, 0, 0, 0, 0, loc)
		d := DateOf(day)
		if !sc.DateFrom.IsZero() && d.dayNumber() < sc.DateFrom.dayNumber() || !sc.DateUntil.IsZero() && d.dayNumber() > sc.DateUntil.dayNumber() || !sc.Weekdays.Has(day.Weekday()) {
			continue
		}
		wins := sc.Windows
		if len(wins) == 0 {
			wins = []Window{{Start: 0, End: 86400}}
		}
		for _, w := range wins {
			s := day.Add(time.Duration(w.Start) * time.Second)
			e := day.Add(time.Duration(w.End) * time.Second)
			if w.Overnight {
				e = e.Add(24 * time.Hour)
			}
			if !t.Before(s) && t.Before(e) {
				return true
			}
		}
	}
	return false
}
