package content

import (
	"slices"
	"time"
)

// Options tune one resolution.
type Options struct {
	// ClockTrusted says the device's clock has been set by NTP or the
	// fleet since boot. The zero value (false) is the safe assumption for a
	// Pi without a real-time clock: only content that does not depend on
	// the time plays (see Answer.ClockTrusted).
	ClockTrusted bool `json:"clock_trusted"`
}

// Trusted is Options for a clock known to be right.
var Trusted = Options{ClockTrusted: true}

// Source says where an Answer comes from.
type Source string

// Sources of an answer, strongest first.
const (
	SourceNotice   Source = "notice"   // emergency notices for the device's region
	SourceSchedule Source = "schedule" // the winning schedules
	SourceFallback Source = "fallback" // the device kind's fallback programme
	SourceNone     Source = "none"     // nothing at all: the player shows its idle screen
)

// Reasons an answer gives for playing only time-independent content.
const (
	ReasonUntrustedClock   = "clock not trusted: playing only content that does not depend on the time (always schedules and the fallback)"
	ReasonUntrustedClockZH = "设备时钟未校准：暂时只播放不依赖时间的内容（始终播放的排期和默认节目）"
)

// Answer is what plays on one device at one instant. Its slices may be
// shared with the Compiled it came from and with other answers: read them,
// do not modify them.
type Answer struct {
	Source Source `json:"source"`
	// Notices are the active emergency notices for the device's region, by
	// start then ID. The player shows them all, in turn, and nothing else.
	Notices []Notice `json:"notices,omitempty"`
	// Programmes are the winning schedules' programmes, by schedule ID:
	// every schedule at the highest active priority, which share airtime
	// in turn (the player alternates between them). For the fallback there
	// is one, with no ScheduleID.
	Programmes []Playing `json:"programmes,omitempty"`
	// Until is the instant this answer next changes; the player sleeps
	// until exactly then and resolves again. Zero means never (and is
	// always zero on an untrusted clock).
	Until time.Time `json:"until,omitzero"`
	// ClockTrusted is false when the answer was made without trusting the
	// clock; Reason then says so in English, ReasonZH in Chinese.
	ClockTrusted bool   `json:"clock_trusted"`
	Reason       string `json:"reason,omitempty"`
	ReasonZH     string `json:"reason_zh,omitempty"`
}

// Playing is one programme that plays, with the entries whose items may
// play now (items outside their validity are left out).
type Playing struct {
	ScheduleID  string  `json:"schedule_id,omitempty"`
	ProgrammeID string  `json:"programme_id"`
	Priority    int     `json:"priority"`
	Entries     []Entry `json:"entries"`
}

// Same reports whether a and b play the same thing (Until aside).
func (a Answer) Same(b Answer) bool {
	if a.Source != b.Source || a.ClockTrusted != b.ClockTrusted || a.Reason != b.Reason || a.ReasonZH != b.ReasonZH ||
		len(a.Notices) != len(b.Notices) || len(a.Programmes) != len(b.Programmes) {
		return false
	}
	for i := range a.Notices {
		x, y := &a.Notices[i], &b.Notices[i]
		if x.ID != y.ID || x.Text != y.Text || !x.Start.Equal(y.Start) || !x.Expiry.Equal(y.Expiry) || x.Withdrawn != y.Withdrawn || !slices.Equal(x.Regions, y.Regions) {
			return false
		}
	}
	for i := range a.Programmes {
		x, y := &a.Programmes[i], &b.Programmes[i]
		if x.ScheduleID != y.ScheduleID || x.ProgrammeID != y.ProgrammeID || x.Priority != y.Priority || !slices.Equal(x.Entries, y.Entries) {
			return false
		}
	}
	return true
}

// ItemIDs returns the IDs of every item the answer plays, sorted, once each.
func (a Answer) ItemIDs() []string {
	var ids []string
	for _, p := range a.Programmes {
		for _, e := range p.Entries {
			ids = append(ids, e.ItemID)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// Resolve compiles set and answers what plays on dev at now. To resolve
// many devices or instants, Compile once and use Compiled.Resolve or
// Compiled.Snapshot.
func Resolve(dev Device, now time.Time, set *Set, opts Options) (Answer, error) {
	c, err := Compile(set)
	if err != nil {
		return Answer{}, err
	}
	return c.Resolve(dev, now, opts), nil
}

// Resolve answers what plays on dev at now and until when.
//
// On a trusted clock: the active notices for dev's region if any; else the
// schedules selecting dev that are active at now with at least one
// playable entry, at the highest priority among them; else dev's kind's
// fallback programme. On an untrusted clock: notices, timed schedules and
// items with validity bounds are left out, and Until is zero.
func (c *Compiled) Resolve(dev Device, now time.Time, opts Options) Answer {
	ev := evaluation{c: c, t: now, trusted: opts.ClockTrusted}
	return ev.resolve(dev)
}

// Snapshot evaluates every schedule at now once, so that resolving many
// devices at the same instant costs only their targeting. A Snapshot is
// immutable and safe for concurrent use.
func (c *Compiled) Snapshot(now time.Time, opts Options) *Snapshot {
	ev := evaluation{c: c, t: now, trusted: opts.ClockTrusted}
	ev.states = make([]schedState, len(c.scheds))
	progs := make([]*[]Entry, len(c.progs))
	ck := &clock{}
	for i := range c.scheds {
		ev.states[i] = ev.state(ck, i, progs)
	}
	ev.fallback = make(map[string][]Entry, len(c.fallbacks))
	for kind, pi := range c.fallbacks {
		ev.fallback[kind] = ev.progEntries(pi, progs)
	}
	return &Snapshot{ev: ev}
}

// Snapshot is every schedule evaluated at one instant; see
// Compiled.Snapshot.
type Snapshot struct{ ev evaluation }

// Resolve answers what plays on dev at the snapshot's instant; it equals
// Compiled.Resolve at that instant.
func (s *Snapshot) Resolve(dev Device) Answer { return s.ev.resolve(dev) }

// schedState is a schedule at one instant: active (its window holds and
// its programme has a playable entry), when that next changes, and what
// it would play.
type schedState struct {
	active  bool
	next    time.Time
	entries []Entry
}

// evaluation resolves at one instant, from precomputed states when it has
// them.
type evaluation struct {
	c        *Compiled
	t        time.Time
	trusted  bool
	states   []schedState
	fallback map[string][]Entry
}

func (ev *evaluation) progEntries(pi int, cache []*[]Entry) []Entry {
	if cache != nil && cache[pi] != nil {
		return *cache[pi]
	}
	e := ev.c.progs[pi].playable(ev.t, ev.trusted)
	if cache != nil {
		cache[pi] = &e
	}
	return e
}

func (ev *evaluation) state(ck *clock, i int, progs []*[]Entry) schedState {
	cs := &ev.c.scheds[i]
	if !ev.trusted {
		if !cs.always {
			return schedState{}
		}
		e := ev.c.progs[cs.prog].timeless
		return schedState{active: len(e) > 0, entries: e}
	}
	on, next := cs.windowState(ck, ev.t)
	if !on {
		return schedState{next: next}
	}
	e := ev.progEntries(cs.prog, progs)
	return schedState{active: len(e) > 0, next: earliest(next, ev.c.progs[cs.prog].next(ev.t)), entries: e}
}

// earliest returns the earlier of two instants, zero meaning never.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func (ev *evaluation) resolve(dev Device) Answer {
	c, t := ev.c, ev.t
	a := Answer{ClockTrusted: ev.trusted}
	if !ev.trusted {
		a.Reason, a.ReasonZH = ReasonUntrustedClock, ReasonUntrustedClockZH
	}
	var until time.Time
	if ev.trusted {
		var pending time.Time
		for i := range c.notices {
			n := &c.notices[i]
			if n.Withdrawn || !n.Expiry.After(t) || !noticeCovers(n, dev.Region) {
				continue
			}
			if n.Start.After(t) {
				pending = earliest(pending, n.Start)
				continue
			}
			a.Notices = append(a.Notices, *n)
			until = earliest(until, n.Expiry)
		}
		until = earliest(until, pending)
		if len(a.Notices) > 0 {
			a.Source, a.Until = SourceNotice, until
			return a
		}
	}

	var buf [128]int32
	cands := c.candidates(dev, buf[:0])
	var stbuf [128]schedState
	states := stbuf[:0]
	var ck *clock
	best := -1
	for _, i := range cands {
		var st schedState
		if ev.states != nil {
			st = ev.states[i]
		} else {
			if ck == nil {
				ck = &clock{}
			}
			st = ev.state(ck, int(i), nil)
		}
		states = append(states, st)
		if st.active {
			best = max(best, c.scheds[i].s.Priority)
		}
	}
	for k, i := range cands {
		st := &states[k]
		p := c.scheds[i].s.Priority
		if p < best {
			continue // cannot change the answer while a higher priority plays
		}
		until = earliest(until, st.next)
		if st.active && p == best {
			a.Programmes = append(a.Programmes, Playing{ScheduleID: c.scheds[i].s.ID, ProgrammeID: c.scheds[i].s.ProgrammeID, Priority: p, Entries: st.entries})
		}
	}
	if best >= 0 {
		a.Source = SourceSchedule
	} else if pi, ok := c.fallbacks[dev.Kind]; ok {
		var e []Entry
		if ev.fallback != nil {
			e = ev.fallback[dev.Kind]
		} else {
			e = c.progs[pi].playable(t, ev.trusted)
		}
		if ev.trusted {
			until = earliest(until, c.progs[pi].next(t))
		}
		if len(e) > 0 {
			a.Source = SourceFallback
			a.Programmes = []Playing{{ProgrammeID: c.progs[pi].p.ID, Entries: e}}
		}
	}
	if a.Source == "" {
		a.Source = SourceNone
	}
	if ev.trusted {
		a.Until = until
	}
	return a
}

func noticeCovers(n *Notice, region string) bool {
	for _, r := range n.Regions {
		if InRegion(region, r) {
			return true
		}
	}
	return false
}
