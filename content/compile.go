package content

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Compiled is a validated Set indexed for resolving: schedules by the
// regions, tags, kinds and device IDs of their targets, programmes with
// their validity boundaries, zones loaded. It is immutable and safe for
// concurrent use. Compile copies what it needs, but items, programmes,
// schedules and notices are shared with the Set: do not change them after
// compiling.
type Compiled struct {
	items      map[string]*Item
	progs      []cProgramme
	progByID   map[string]int
	scheds     []cSchedule // sorted by schedule ID
	notices    []Notice    // sorted by start, then ID
	fallbacks  map[string]int
	byRegion   map[string][]int32
	byTag      map[string][]int32
	byKind     map[string][]int32
	byDevice   map[string][]int32
	set        *Set
	scheduleAt map[string]int
}

type cProgramme struct {
	p        *Programme
	entries  []cEntry
	all      []Entry     // every entry, shared when no item has validity bounds
	timeless []Entry     // entries whose items have no validity bounds
	bounds   []time.Time // sorted validity boundaries of its items
}

type cEntry struct {
	Entry
	item *Item
}

type cSchedule struct {
	s        *Schedule
	prog     int
	always   bool
	loc      *time.Location
	from     int64 // first day (day number), or minDay
	until    int64 // last day (day number), or maxDay
	weekdays Weekdays
	wins     []win
}

// win is a window in seconds after the midnight of the day it belongs to;
// an overnight window's end is past 86400.
type win struct{ start, end int64 }

const (
	minDay = -1 << 40
	maxDay = 1 << 40
)

// Compile validates set and indexes it. The error is Problems when the set
// is invalid.
func Compile(set *Set) (*Compiled, error) {
	zc, ps := set.validate()
	if len(ps) > 0 {
		return nil, ps
	}
	c := &Compiled{
		items:      make(map[string]*Item, len(set.Items)),
		progByID:   make(map[string]int, len(set.Programmes)),
		fallbacks:  map[string]int{},
		byRegion:   map[string][]int32{},
		byTag:      map[string][]int32{},
		byKind:     map[string][]int32{},
		byDevice:   map[string][]int32{},
		set:        set,
		scheduleAt: map[string]int{},
	}
	for i := range set.Items {
		c.items[set.Items[i].ID] = &set.Items[i]
	}
	for i := range set.Programmes {
		p := &set.Programmes[i]
		cp := cProgramme{p: p}
		for _, e := range p.Entries {
			it := c.items[e.ItemID]
			cp.entries = append(cp.entries, cEntry{e, it})
			if it.ValidFrom.IsZero() && it.ValidUntil.IsZero() {
				cp.timeless = append(cp.timeless, e)
			}
			for _, b := range []time.Time{it.ValidFrom, it.ValidUntil} {
				if !b.IsZero() {
					cp.bounds = append(cp.bounds, b)
				}
			}
		}
		slices.SortFunc(cp.bounds, time.Time.Compare)
		cp.bounds = slices.CompactFunc(cp.bounds, time.Time.Equal)
		if len(cp.bounds) == 0 {
			cp.all = cp.timeless
		}
		c.progByID[p.ID] = len(c.progs)
		c.progs = append(c.progs, cp)
	}
	for kind, pid := range set.Fallbacks {
		c.fallbacks[kind] = c.progByID[pid]
	}
	order := make([]*Schedule, len(set.Schedules))
	for i := range set.Schedules {
		order[i] = &set.Schedules[i]
	}
	slices.SortFunc(order, func(a, b *Schedule) int { return strings.Compare(a.ID, b.ID) })
	for i, s := range order {
		loc, _ := zc.load(s.Zone)
		cs := cSchedule{s: s, prog: c.progByID[s.ProgrammeID], always: s.Always, loc: loc, from: minDay, until: maxDay, weekdays: s.Weekdays}
		if !s.DateFrom.IsZero() {
			cs.from = s.DateFrom.dayNumber()
		}
		if !s.DateUntil.IsZero() {
			cs.until = s.DateUntil.dayNumber()
		}
		for _, w := range s.Windows {
			end := int64(w.End)
			if w.Overnight {
				end += 86400
			}
			cs.wins = append(cs.wins, win{int64(w.Start), end})
		}
		if len(cs.wins) == 0 {
			cs.wins = []win{{0, 86400}}
		}
		c.scheds = append(c.scheds, cs)
		c.scheduleAt[s.ID] = i
		c.index(int32(i), &s.Target)
	}
	c.notices = slices.Clone(set.Notices)
	slices.SortFunc(c.notices, func(a, b Notice) int {
		return cmp.Or(a.Start.Compare(b.Start), strings.Compare(a.ID, b.ID))
	})
	return c, nil
}

// index files schedule i under the keys that can select a device: its
// regions if it has any, else its tags, else its kinds; and its explicit
// device IDs. Resolve then checks the full target on each candidate.
func (c *Compiled) index(i int32, t *Target) {
	add := func(m map[string][]int32, keys []string) {
		for _, k := range keys {
			if l := m[k]; len(l) == 0 || l[len(l)-1] != i {
				m[k] = append(l, i)
			}
		}
	}
	switch {
	case len(t.Regions) > 0:
		add(c.byRegion, t.Regions)
	case len(t.Tags) > 0:
		add(c.byTag, t.Tags)
	case len(t.Kinds) > 0:
		add(c.byKind, t.Kinds)
	}
	add(c.byDevice, t.Devices)
}

// Set returns the set c was compiled from.
func (c *Compiled) Set() *Set { return c.set }

// Item returns the item with the given ID.
func (c *Compiled) Item(id string) (Item, bool) {
	it, ok := c.items[id]
	if !ok {
		return Item{}, false
	}
	return *it, true
}

// Targeted returns the IDs of the schedules whose targets select dev, in ID
// order.
func (c *Compiled) Targeted(dev Device) []string {
	var buf [128]int32
	var out []string
	for _, i := range c.candidates(dev, buf[:0]) {
		out = append(out, c.scheds[i].s.ID)
	}
	return out
}

// candidates returns, in schedule-ID order, the schedules selecting dev.
func (c *Compiled) candidates(dev Device, buf []int32) []int32 {
	r := dev.Region
	for i := 0; i <= len(r); i++ {
		if i == len(r) || r[i] == '/' {
			buf = append(buf, c.byRegion[r[:i]]...)
		}
	}
	for _, t := range dev.Tags {
		buf = append(buf, c.byTag[t]...)
	}
	buf = append(buf, c.byKind[dev.Kind]...)
	buf = append(buf, c.byDevice[dev.ID]...)
	slices.Sort(buf)
	buf = slices.Compact(buf)
	out := buf[:0]
	for _, i := range buf {
		if c.scheds[i].s.Target.Matches(dev) {
			out = append(out, i)
		}
	}
	return out
}

// playable returns the entries of the programme whose items may play at t.
// The result may be shared: do not modify it.
func (cp *cProgramme) playable(t time.Time, trusted bool) []Entry {
	if !trusted {
		return cp.timeless
	}
	if cp.bounds == nil {
		return cp.all
	}
	var out []Entry
	for _, e := range cp.entries {
		if e.item.playableAt(t, true) {
			out = append(out, e.Entry)
		}
	}
	return out
}

// next returns the first validity boundary of the programme's items after
// t, or the zero time.
func (cp *cProgramme) next(t time.Time) time.Time {
	i, found := slices.BinarySearchFunc(cp.bounds, t, time.Time.Compare)
	if found {
		i++
	}
	if i < len(cp.bounds) {
		return cp.bounds[i]
	}
	return time.Time{}
}

// clock converts civil days and wall times to instants for one evaluation,
// remembering the midnights it has computed; it is not shared between
// goroutines.
type clock struct {
	n    int
	days [24]dayEntry
}

type dayEntry struct {
	loc       *time.Location
	day       int64
	midnight  time.Time
	regularTo time.Time // the offset of midnight holds until here (zero: for ever)
}

// wall returns the instant the wall clock in loc reads sec seconds after
// the midnight starting day (see wallInstant).
func (ck *clock) wall(loc *time.Location, day, sec int64) time.Time {
	var de *dayEntry
	for i := 0; i < ck.n; i++ {
		if ck.days[i].day == day && ck.days[i].loc == loc {
			de = &ck.days[i]
			break
		}
	}
	if de == nil {
		m := wallInstant(day, 0, loc)
		_, end := m.ZoneBounds()
		if h, mi, s := m.Clock(); h != 0 || mi != 0 || s != 0 {
			end = m // midnight itself was skipped: never take the short cut
		}
		slot := ck.n
		if slot == len(ck.days) {
			slot = int(uint64(day) % uint64(len(ck.days)))
		} else {
			ck.n++
		}
		ck.days[slot] = dayEntry{loc: loc, day: day, midnight: m, regularTo: end}
		de = &ck.days[slot]
	}
	t := de.midnight.Add(time.Duration(sec) * time.Second)
	if de.regularTo.IsZero() || t.Before(de.regularTo) {
		return t // one offset from midnight to t: the wall clock reads sec
	}
	return wallInstant(day, sec, loc)
}

// today returns the civil day number of t in loc.
func (ck *clock) today(t time.Time, loc *time.Location) int64 { return localDay(t, loc) }

// eligible reports whether the schedule plays on civil day `day`.
func (cs *cSchedule) eligible(day int64) bool {
	return day >= cs.from && day <= cs.until && cs.weekdays.Has(weekdayOfDay(day))
}

// coverEnd returns the latest end of the schedule's occurrences that
// contain t, or the zero time when none does.
func (cs *cSchedule) coverEnd(ck *clock, t time.Time) time.Time {
	var end time.Time
	d := ck.today(t, cs.loc)
	last := d
	if !t.Before(ck.wall(cs.loc, d+1, 0)) { // a clock set back past midnight
		last = d + 1
	}
	for day := d - 1; day <= last; day++ {
		if !cs.eligible(day) {
			continue
		}
		for _, w := range cs.wins {
			s := ck.wall(cs.loc, day, w.start)
			if t.Before(s) {
				continue
			}
			if e := ck.wall(cs.loc, day, w.end); t.Before(e) && e.After(end) {
				end = e
			}
		}
	}
	return end
}

// windowState reports whether the schedule's dates, weekdays and windows
// hold at t, and the next instant that changes (zero: never).
func (cs *cSchedule) windowState(ck *clock, t time.Time) (bool, time.Time) {
	if cs.always {
		return true, time.Time{}
	}
	if end := cs.coverEnd(ck, t); !end.IsZero() {
		for range 8 { // windows that overlap or abut keep it active
			more := cs.coverEnd(ck, end)
			if more.IsZero() {
				break
			}
			end = more
		}
		return true, end
	}
	d := ck.today(t, cs.loc)
	lo := max(d-1, cs.from)
	hi := min(lo+9, cs.until)
	var next time.Time
	for day := lo; day <= hi; day++ {
		if !cs.eligible(day) {
			continue
		}
		for _, w := range cs.wins {
			s := ck.wall(cs.loc, day, w.start)
			if !s.After(t) || (!next.IsZero() && !s.Before(next)) {
				continue
			}
			if e := ck.wall(cs.loc, day, w.end); e.After(s) { // not swallowed by a DST jump
				next = s
			}
		}
		if !next.IsZero() && day > d {
			break
		}
	}
	if next.IsZero() && hi < cs.until {
		// Nothing in ten days (windows lost to clock changes): look again then.
		next = ck.wall(cs.loc, hi+1, 0)
	}
	return false, next
}
