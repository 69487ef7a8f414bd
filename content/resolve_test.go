package content

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// Monday 2 December 2024, Asia/Shanghai, is the fixture's week.
func TestResolve(t *testing.T) {
	newYork, berlin := mustZone("America/New_York"), mustZone("Europe/Berlin")
	monNight := Schedule{ID: "s-night", ProgrammeID: "p-fraud", Priority: 10, Target: Target{Regions: []string{"仙游县"}},
		Weekdays: Days(time.Monday), DateUntil: NewDate(2024, 12, 2),
		Windows: []Window{{Start: Clock(22, 0, 0), End: Clock(2, 0, 0), Overnight: true}}}
	morning := Schedule{ID: "s-morning", ProgrammeID: "p-mediation", Priority: 10, Target: Target{Regions: []string{"仙游县"}},
		Weekdays: EveryDay, Windows: []Window{{Start: Clock(8, 0, 0), End: Clock(12, 0, 0)}}}

	type tc struct {
		name      string
		schedules []Schedule
		notices   []Notice
		items     func(*Set)
		dev       Device
		now       time.Time
		opts      Options
		want      string
		wantUntil time.Time // zero: never
	}
	cases := []tc{
		{
			name: "overnight window plays Monday evening", schedules: []Schedule{monNight}, dev: ledBaxia, opts: Trusted,
			now: at(shanghai, 2024, 12, 2, 23, 0, 0), want: "schedule:s-night/p-fraud", wantUntil: at(shanghai, 2024, 12, 3, 2, 0, 0),
		},
		{
			name: "overnight window belongs to Monday: plays Tuesday 01:59 past the date range end", schedules: []Schedule{monNight}, dev: ledBaxia, opts: Trusted,
			now: at(shanghai, 2024, 12, 3, 1, 59, 59), want: "schedule:s-night/p-fraud", wantUntil: at(shanghai, 2024, 12, 3, 2, 0, 0),
		},
		{
			name: "overnight window end is exclusive", schedules: []Schedule{monNight}, dev: ledBaxia, opts: Trusted,
			now: at(shanghai, 2024, 12, 3, 2, 0, 0), want: "fallback:/p-led-default", wantUntil: time.Time{},
		},
		{
			name: "overnight window: Monday 01:00 is Sunday's occurrence, and Sunday is not chosen", schedules: []Schedule{monNight}, dev: ledBaxia, opts: Trusted,
			now: at(shanghai, 2024, 12, 2, 1, 0, 0), want: "fallback:/p-led-default", wantUntil: at(shanghai, 2024, 12, 2, 22, 0, 0),
		},
		{
			name: "before a window the fallback plays until it starts", schedules: []Schedule{morning}, dev: ledBaxia, opts: Trusted,
			now: at(shanghai, 2024, 12, 2, 7, 0, 0), want: "fallback:/p-led-default", wantUntil: at(shanghai, 2024, 12, 2, 8, 0, 0),
		},
		{
			name: "fallback differs per device kind", schedules: nil, dev: kioskBaxia, opts: Trusted,
			now: at(shanghai, 2024, 12, 2, 7, 0, 0), want: "fallback:/p-kiosk-default",
		},
		{
			name: "a schedule in Europe/Berlin plays on Berlin's clock", dev: ledBaxia, opts: Trusted,
			schedules: []Schedule{{ID: "s-berlin", ProgrammeID: "p-aid", Priority: 5, Zone: "Europe/Berlin", Target: Target{Regions: []string{"仙游县"}},
				Weekdays: EveryDay, Windows: []Window{{Start: Clock(9, 0, 0), End: Clock(10, 0, 0)}}}},
			now: at(shanghai, 2024, 12, 2, 16, 30, 0), want: "schedule:s-berlin/p-aid", wantUntil: at(berlin, 2024, 12, 2, 10, 0, 0),
		},
		{
			name: "spring forward in New York: 01:00-04:00 lasts two real hours", dev: ledBaxia, opts: Trusted,
			schedules: []Schedule{{ID: "s-ny", ProgrammeID: "p-aid", Priority: 5, Zone: "America/New_York", Target: Target{Regions: []string{"仙游县"}},
				Weekdays: EveryDay, Windows: []Window{{Start: Clock(1, 0, 0), End: Clock(4, 0, 0)}}}},
			now: time.Date(2024, 3, 10, 7, 59, 59, 0, time.UTC), want: "schedule:s-ny/p-aid", wantUntil: time.Date(2024, 3, 10, 8, 0, 0, 0, time.UTC),
		},
		{
			name: "spring forward: a window inside the skipped hour moves forward by the jump", dev: ledBaxia, opts: Trusted,
			schedules: []Schedule{{ID: "s-gap", ProgrammeID: "p-aid", Priority: 5, Zone: "America/New_York", Target: Target{Regions: []string{"仙游县"}},
				Weekdays: EveryDay, Windows: []Window{{Start: Clock(2, 15, 0), End: Clock(2, 45, 0)}}}},
			now: at(newYork, 2024, 3, 10, 3, 20, 0), want: "schedule:s-gap/p-aid", wantUntil: at(newYork, 2024, 3, 10, 3, 45, 0),
		},
		{
			name: "fall back: 01:30-02:30 starts at the first 01:30 and lasts two real hours", dev: ledBaxia, opts: Trusted,
			schedules: []Schedule{{ID: "s-back", ProgrammeID: "p-aid", Priority: 5, Zone: "America/New_York", Target: Target{Regions: []string{"仙游县"}},
				Weekdays: EveryDay, Windows: []Window{{Start: Clock(1, 30, 0), End: Clock(2, 30, 0)}}}},
			now: time.Date(2024, 11, 3, 5, 30, 0, 0, time.UTC), want: "schedule:s-back/p-aid", wantUntil: time.Date(2024, 11, 3, 7, 30, 0, 0, time.UTC),
		},
		{
			name: "spring forward in Berlin: 02:30 is skipped, so a window ending then ends at 03:30 summer time", dev: ledBaxia, opts: Trusted,
			schedules: []Schedule{{ID: "s-de", ProgrammeID: "p-aid", Priority: 5, Zone: "Europe/Berlin", Target: Target{Regions: []string{"仙游县"}},
				Weekdays: EveryDay, Windows: []Window{{Start: Clock(1, 0, 0), End: Clock(2, 30, 0)}}}},
			now: at(berlin, 2024, 3, 31, 1, 59, 0), want: "schedule:s-de/p-aid", wantUntil: at(berlin, 2024, 3, 31, 3, 30, 0),
		},
		{
			name: "emergency notice wins in its region", schedules: []Schedule{morning}, dev: ledBaxia, opts: Trusted,
			notices: []Notice{{ID: "n-flood", Text: "防汛紧急通知：请远离河道", Regions: []string{"仙游县/榜头镇"},
				Start: at(shanghai, 2024, 12, 2, 9, 0, 0), Expiry: at(shanghai, 2024, 12, 2, 18, 0, 0)}},
			now: at(shanghai, 2024, 12, 2, 10, 0, 0), want: "notice:n-flood", wantUntil: at(shanghai, 2024, 12, 2, 18, 0, 0),
		},
		{
			name: "emergency notice does not reach another township", schedules: []Schedule{morning}, dev: ledDuwei, opts: Trusted,
			notices: []Notice{{ID: "n-flood", Text: "防汛紧急通知：请远离河道", Regions: []string{"仙游县/榜头镇"},
				Start: at(shanghai, 2024, 12, 2, 9, 0, 0), Expiry: at(shanghai, 2024, 12, 2, 18, 0, 0)}},
			now: at(shanghai, 2024, 12, 2, 10, 0, 0), want: "schedule:s-morning/p-mediation", wantUntil: at(shanghai, 2024, 12, 2, 12, 0, 0),
		},
		{
			name: "notice region matches at '/' boundaries, not by string prefix", schedules: []Schedule{morning}, dev: ledBaxia, opts: Trusted,
			notices: []Notice{{ID: "n-prefix", Text: "通知", Regions: []string{"仙游县/榜头"},
				Start: at(shanghai, 2024, 12, 2, 9, 0, 0), Expiry: at(shanghai, 2024, 12, 2, 18, 0, 0)}},
			now: at(shanghai, 2024, 12, 2, 10, 0, 0), want: "schedule:s-morning/p-mediation", wantUntil: at(shanghai, 2024, 12, 2, 12, 0, 0),
		},
		{
			name: "a pending notice ends the current answer when it starts", schedules: []Schedule{morning}, dev: ledBaxia, opts: Trusted,
			notices: []Notice{{ID: "n-later", Text: "停电通知", Regions: []string{"仙游县"},
				Start: at(shanghai, 2024, 12, 2, 11, 0, 0), Expiry: at(shanghai, 2024, 12, 2, 18, 0, 0)}},
			now: at(shanghai, 2024, 12, 2, 10, 0, 0), want: "schedule:s-morning/p-mediation", wantUntil: at(shanghai, 2024, 12, 2, 11, 0, 0),
		},
		{
			name: "withdrawn notice never plays", schedules: []Schedule{morning}, dev: ledBaxia, opts: Trusted,
			notices: []Notice{{ID: "n-flood", Text: "防汛紧急通知", Regions: []string{"仙游县"}, Withdrawn: true,
				Start: at(shanghai, 2024, 12, 2, 9, 0, 0), Expiry: at(shanghai, 2024, 12, 2, 18, 0, 0)}},
			now: at(shanghai, 2024, 12, 2, 10, 0, 0), want: "schedule:s-morning/p-mediation", wantUntil: at(shanghai, 2024, 12, 2, 12, 0, 0),
		},
		{
			name: "expired notice never plays", schedules: []Schedule{morning}, dev: ledBaxia, opts: Trusted,
			notices: []Notice{{ID: "n-old", Text: "旧通知", Regions: []string{"仙游县"},
				Start: at(shanghai, 2024, 12, 1, 9, 0, 0), Expiry: at(shanghai, 2024, 12, 1, 18, 0, 0)}},
			now: at(shanghai, 2024, 12, 2, 10, 0, 0), want: "schedule:s-morning/p-mediation", wantUntil: at(shanghai, 2024, 12, 2, 12, 0, 0),
		},
		{
			name: "a schedule whose only item expired gives way to the fallback", schedules: []Schedule{morning}, dev: ledBaxia, opts: Trusted,
			items: func(s *Set) {
				s.Items[1].ValidUntil = at(shanghai, 2024, 12, 1, 0, 0, 0)
			},
			now: at(shanghai, 2024, 12, 2, 10, 0, 0), want: "fallback:/p-led-default", wantUntil: at(shanghai, 2024, 12, 2, 12, 0, 0),
		},
		{
			name: "an item becoming valid ends the answer", schedules: []Schedule{morning}, dev: ledBaxia, opts: Trusted,
			items: func(s *Set) {
				s.Items[1].ValidFrom = at(shanghai, 2024, 12, 2, 10, 30, 0)
			},
			now: at(shanghai, 2024, 12, 2, 10, 0, 0), want: "fallback:/p-led-default", wantUntil: at(shanghai, 2024, 12, 2, 10, 30, 0),
		},
		{
			name: "equal priorities share airtime, listed by schedule ID", dev: ledBaxia, opts: Trusted,
			schedules: []Schedule{
				{ID: "s-b", ProgrammeID: "p-aid", Priority: 7, Target: Target{Regions: []string{"仙游县/榜头镇"}}, Weekdays: EveryDay},
				{ID: "s-a", ProgrammeID: "p-fraud", Priority: 7, Target: Target{Kinds: []string{DeviceLED}}, Weekdays: EveryDay,
					Windows: []Window{{Start: Clock(9, 0, 0), End: Clock(11, 0, 0)}}},
				{ID: "s-low", ProgrammeID: "p-mediation", Priority: 3, Target: Target{Regions: []string{"仙游县"}}, Weekdays: EveryDay},
			},
			now: at(shanghai, 2024, 12, 2, 10, 0, 0), want: "schedule:s-a/p-fraud:s-b/p-aid", wantUntil: at(shanghai, 2024, 12, 2, 11, 0, 0),
		},
		{
			name: "a higher priority starting later ends the answer", dev: ledBaxia, opts: Trusted,
			schedules: []Schedule{
				{ID: "s-base", ProgrammeID: "p-aid", Priority: 1, Target: Target{Regions: []string{"仙游县"}}, Always: true},
				{ID: "s-campaign", ProgrammeID: "p-fraud", Priority: 9, Target: Target{Regions: []string{"仙游县"}}, Weekdays: EveryDay,
					DateFrom: NewDate(2024, 12, 4), DateUntil: NewDate(2024, 12, 4)},
			},
			now: at(shanghai, 2024, 12, 2, 10, 0, 0), want: "schedule:s-base/p-aid", wantUntil: at(shanghai, 2024, 12, 4, 0, 0, 0),
		},
		{
			name: "a whole-day schedule ends at the midnight after its last date", dev: ledBaxia, opts: Trusted,
			schedules: []Schedule{
				{ID: "s-day", ProgrammeID: "p-fraud", Priority: 9, Target: Target{Regions: []string{"仙游县"}}, Weekdays: EveryDay,
					DateFrom: NewDate(2024, 12, 4), DateUntil: NewDate(2024, 12, 5)},
			},
			now: at(shanghai, 2024, 12, 4, 0, 0, 0), want: "schedule:s-day/p-fraud", wantUntil: at(shanghai, 2024, 12, 6, 0, 0, 0),
		},
		{
			name: "a lower priority starting later does not end the answer", dev: ledBaxia, opts: Trusted,
			schedules: []Schedule{
				{ID: "s-top", ProgrammeID: "p-fraud", Priority: 9, Target: Target{Regions: []string{"仙游县"}}, Always: true},
				{ID: "s-low", ProgrammeID: "p-aid", Priority: 1, Target: Target{Regions: []string{"仙游县"}}, Weekdays: EveryDay,
					Windows: []Window{{Start: Clock(11, 0, 0), End: Clock(12, 0, 0)}}},
			},
			now: at(shanghai, 2024, 12, 2, 10, 0, 0), want: "schedule:s-top/p-fraud",
		},
		{
			name: "exclusions win over explicit devices", dev: ledBaxia, opts: Trusted,
			schedules: []Schedule{{ID: "s-x", ProgrammeID: "p-fraud", Priority: 9, Always: true,
				Target: Target{Devices: []string{"led-baxia"}, ExcludeRegions: []string{"仙游县/榜头镇/坝下村"}}}},
			now: at(shanghai, 2024, 12, 2, 10, 0, 0), want: "fallback:/p-led-default",
		},
		{
			name: "explicit devices bypass the region filter", dev: ledDuwei, opts: Trusted,
			schedules: []Schedule{{ID: "s-x", ProgrammeID: "p-fraud", Priority: 9, Always: true,
				Target: Target{Regions: []string{"仙游县/榜头镇"}, Devices: []string{"led-duwei"}}}},
			now: at(shanghai, 2024, 12, 2, 10, 0, 0), want: "schedule:s-x/p-fraud",
		},
		{
			name: "region, tags and kinds are ANDed", dev: ledZize, opts: Trusted,
			schedules: []Schedule{{ID: "s-street", ProgrammeID: "p-fraud", Priority: 9, Always: true,
				Target: Target{Regions: []string{"仙游县/榜头镇"}, Tags: []string{"主街"}, Kinds: []string{DeviceLED}}}},
			now: at(shanghai, 2024, 12, 2, 10, 0, 0), want: "fallback:/p-led-default",
		},
		{
			name: "untrusted clock: only always schedules and timeless items, no notices", dev: ledBaxia, opts: Options{},
			schedules: []Schedule{morning, {ID: "s-always", ProgrammeID: "p-aid", Priority: 1, Target: Target{Regions: []string{"仙游县"}}, Always: true}},
			notices: []Notice{{ID: "n-flood", Text: "防汛紧急通知", Regions: []string{"仙游县"},
				Start: at(shanghai, 2024, 12, 2, 9, 0, 0), Expiry: at(shanghai, 2024, 12, 2, 18, 0, 0)}},
			now: at(shanghai, 2024, 12, 2, 10, 0, 0), want: "schedule:s-always/p-aid",
		},
		{
			name: "untrusted clock: an always schedule whose items have validity dates gives way to the fallback", dev: ledBaxia, opts: Options{},
			schedules: []Schedule{{ID: "s-always", ProgrammeID: "p-fraud", Priority: 1, Target: Target{Regions: []string{"仙游县"}}, Always: true}},
			items: func(s *Set) {
				s.Items[0].ValidUntil = at(shanghai, 2030, 1, 1, 0, 0, 0)
			},
			now: at(shanghai, 2024, 12, 2, 10, 0, 0), want: "fallback:/p-led-default",
		},
		{
			name: "no fallback and nothing scheduled plays nothing", dev: ledBaxia, opts: Trusted,
			items: func(s *Set) { s.Fallbacks = nil },
			now:   at(shanghai, 2024, 12, 2, 10, 0, 0), want: "none",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := baseSet()
			s.Schedules = c.schedules
			s.Notices = c.notices
			if c.items != nil {
				c.items(s)
			}
			a, err := Resolve(c.dev, c.now, s, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := playing(a); got != c.want {
				t.Errorf("plays %s, want %s", got, c.want)
			}
			if !a.Until.Equal(c.wantUntil) {
				t.Errorf("until %v, want %v", a.Until, c.wantUntil)
			}
			if a.ClockTrusted != c.opts.ClockTrusted || (a.Reason == "") == !c.opts.ClockTrusted {
				t.Errorf("clock trusted %v reason %q, want trusted %v", a.ClockTrusted, a.Reason, c.opts.ClockTrusted)
			}
			// A snapshot of every schedule gives the same answer.
			if b := compile(t, s).Snapshot(c.now, c.opts).Resolve(c.dev); !b.Same(a) || !b.Until.Equal(a.Until) {
				t.Errorf("snapshot plays %s until %v, Resolve %s until %v", playing(b), b.Until, playing(a), a.Until)
			}
		})
	}
}

func TestResolveLeavesExpiredEntriesOut(t *testing.T) {
	s := baseSet()
	s.Items[0].ValidUntil = at(shanghai, 2024, 12, 2, 10, 30, 0) // t-fraud
	s.Programmes = append(s.Programmes, Programme{ID: "p-mix", Entries: []Entry{{ItemID: "t-fraud", Seconds: 5}, {ItemID: "t-aid", Seconds: 5}}})
	s.Schedules = []Schedule{{ID: "s", ProgrammeID: "p-mix", Priority: 1, Always: true, Target: Target{Regions: []string{"仙游县"}}}}
	c := compile(t, s)
	before := c.Resolve(ledBaxia, at(shanghai, 2024, 12, 2, 10, 0, 0), Trusted)
	if got := before.ItemIDs(); !slices.Equal(got, []string{"t-aid", "t-fraud"}) || !before.Until.Equal(at(shanghai, 2024, 12, 2, 10, 30, 0)) {
		t.Errorf("before expiry plays %v until %v", got, before.Until)
	}
	after := c.Resolve(ledBaxia, at(shanghai, 2024, 12, 2, 10, 30, 0), Trusted)
	if got := after.ItemIDs(); !slices.Equal(got, []string{"t-aid"}) || !after.Until.IsZero() {
		t.Errorf("after expiry plays %v until %v", got, after.Until)
	}
}

func TestInRegion(t *testing.T) {
	for _, c := range []struct {
		dev, region string
		want        bool
	}{
		{"仙游县/榜头镇/坝下村", "仙游县/榜头镇/坝下村", true},
		{"仙游县/榜头镇/坝下村", "仙游县/榜头镇", true},
		{"仙游县/榜头镇/坝下村", "仙游县", true},
		{"仙游县/榜头镇/坝下村", "仙游县/榜头", false},
		{"仙游县/榜头镇二/坝下村", "仙游县/榜头镇", false},
		{"仙游县/榜头镇", "仙游县/榜头镇/坝下村", false},
	} {
		if got := InRegion(c.dev, c.region); got != c.want {
			t.Errorf("InRegion(%q, %q) = %v", c.dev, c.region, got)
		}
	}
}

func TestCompiledIsSafeForConcurrentUse(t *testing.T) {
	s := baseSet()
	s.Schedules = []Schedule{
		{ID: "s-a", ProgrammeID: "p-fraud", Priority: 5, Target: Target{Regions: []string{"仙游县/榜头镇"}}, Weekdays: EveryDay,
			Windows: []Window{{Start: Clock(9, 0, 0), End: Clock(11, 0, 0)}}},
		{ID: "s-b", ProgrammeID: "p-aid", Priority: 5, Target: Target{Tags: []string{"主街"}}, Weekdays: EveryDay, Zone: "Europe/Berlin"},
	}
	c := compile(t, s)
	now := at(shanghai, 2024, 12, 2, 10, 0, 0)
	snap := c.Snapshot(now, Trusted)
	want := map[string]Answer{}
	for _, d := range fleet {
		want[d.ID] = c.Resolve(d, now, Trusted)
	}
	done := make(chan error)
	for g := range 4 {
		go func() {
			for i := range 200 {
				d := fleet[(g+i)%len(fleet)]
				if a := snap.Resolve(d); !a.Same(want[d.ID]) {
					done <- fmt.Errorf("%s: snapshot plays %s, want %s", d.ID, playing(a), playing(want[d.ID]))
					return
				}
				if a := c.Resolve(d, now, Trusted); !a.Same(want[d.ID]) {
					done <- fmt.Errorf("%s: plays %s, want %s", d.ID, playing(a), playing(want[d.ID]))
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
