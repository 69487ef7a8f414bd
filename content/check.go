package content

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// CheckHorizon is how far ahead Check looks for overlapping schedules when
// given no horizon.
const CheckHorizon = 366 * 24 * time.Hour

// Report is the outcome of the authoring checks run before a set is saved.
type Report struct {
	// Problems must be fixed before saving.
	Problems Problems `json:"problems,omitempty"`
	// Conflicts are not errors (equal priorities share airtime) but staff
	// should confirm them before saving.
	Conflicts []Conflict `json:"conflicts,omitempty"`
}

// Err returns the problems as an error, or nil when the set may be saved.
func (r *Report) Err() error { return r.Problems.err() }

// Conflict is two schedules at the same priority that select the same
// devices at the same time; where both play they share airtime in turn.
type Conflict struct {
	Schedules [2]string `json:"schedules"` // the two schedule IDs, in order
	Priority  int       `json:"priority"`
	Devices   []string  `json:"devices"` // the devices both select, sorted
	// Start and End bound the first stretch in which both play.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Overlaps counts the separate stretches within the checked horizon.
	Overlaps int `json:"overlaps"`
	// Message describes the conflict for staff, in Simplified Chinese.
	Message string `json:"message"`
}

// Check runs every authoring check on set against the fleet's devices:
// Validate, then that every schedule target and notice selects at least
// one device (ErrNoDevice), then Conflicts from `from` for horizon
// (CheckHorizon when zero or less).
func Check(set *Set, devices []Device, from time.Time, horizon time.Duration) Report {
	c, err := Compile(set)
	if err != nil {
		return Report{Problems: err.(Problems)}
	}
	var r Report
	ps := problems{}
	reached := map[string]bool{}
	var buf [128]int32
	for _, d := range devices {
		for _, i := range c.candidates(d, buf[:0]) {
			reached[c.scheds[i].s.ID] = true
		}
	}
	for i := range set.Schedules {
		s := &set.Schedules[i]
		if !reached[s.ID] {
			ps.prefix = elem("schedules", i, s.ID)
			ps.add(ErrNoDevice, "target", "selects none of the fleet's devices", "check the regions, tags, kinds and exclusions against the device list", "投放范围内没有任何设备，请核对区域、标签、设备类型和排除项")
		}
	}
	for i := range set.Notices {
		n := &set.Notices[i]
		if !slices.ContainsFunc(devices, func(d Device) bool { return noticeCovers(n, d.Region) }) {
			ps.prefix = elem("notices", i, n.ID)
			ps.add(ErrNoDevice, "regions", "no device of the fleet is in these regions", "check the region names against the device list", "所选区域内没有任何设备，请核对区域名称")
		}
	}
	r.Problems = ps.list
	r.Conflicts = c.Conflicts(devices, from, horizon)
	return r
}

// Conflicts finds pairs of schedules at the same priority that select a
// common device and are both active at some instant in [from, from+horizon)
// (CheckHorizon when horizon is zero or less). Item validity is not
// considered. Conflicts are sorted by schedule IDs.
func (c *Compiled) Conflicts(devices []Device, from time.Time, horizon time.Duration) []Conflict {
	if horizon <= 0 {
		horizon = CheckHorizon
	}
	to := from.Add(horizon)
	shared := map[[2]int32][]string{}
	var buf [128]int32
	for _, d := range devices {
		cands := c.candidates(d, buf[:0])
		for x := 0; x < len(cands); x++ {
			for y := x + 1; y < len(cands); y++ {
				a, b := cands[x], cands[y]
				if c.scheds[a].s.Priority == c.scheds[b].s.Priority {
					shared[[2]int32{a, b}] = append(shared[[2]int32{a, b}], d.ID)
				}
			}
		}
	}
	pairs := make([][2]int32, 0, len(shared))
	for p := range shared {
		pairs = append(pairs, p)
	}
	slices.SortFunc(pairs, func(p, q [2]int32) int {
		if p[0] != q[0] {
			return int(p[0] - q[0])
		}
		return int(p[1] - q[1])
	})
	spans := map[int32][]span{}
	spansOf := func(i int32) []span {
		if s, ok := spans[i]; ok {
			return s
		}
		s := c.scheds[i].spans(from, to)
		spans[i] = s
		return s
	}
	var out []Conflict
	for _, p := range pairs {
		over := intersect(spansOf(p[0]), spansOf(p[1]))
		if len(over) == 0 {
			continue
		}
		a, b := c.scheds[p[0]], c.scheds[p[1]]
		devs := shared[p]
		slices.Sort(devs)
		devs = slices.Compact(devs)
		cf := Conflict{Schedules: [2]string{a.s.ID, b.s.ID}, Priority: a.s.Priority, Devices: devs, Start: over[0].start, End: over[0].end, Overlaps: len(over)}
		cf.Message = fmt.Sprintf("排期“%s”与“%s”优先级相同（%d），自 %s 起同时生效（共 %d 段），涉及 %d 台设备（%s）；届时两者轮流播放。如只需播放其一，请调整优先级、时段或投放范围。",
			a.s.ID, b.s.ID, a.s.Priority, over[0].start.In(a.loc).Format("2006-01-02 15:04"), len(over), len(devs), deviceList(devs))
		out = append(out, cf)
	}
	return out
}

func deviceList(ids []string) string {
	if len(ids) <= 5 {
		return strings.Join(ids, "、")
	}
	return strings.Join(ids[:5], "、") + fmt.Sprintf(" 等 %d 台", len(ids))
}

type span struct{ start, end time.Time }

// spans lists the stretches of [from, to) in which the schedule's dates,
// weekdays and windows hold.
func (cs *cSchedule) spans(from, to time.Time) []span {
	var out []span
	ck := &clock{}
	for t, n := from, 0; t.Before(to) && n < 100000; n++ {
		on, next := cs.windowState(ck, t)
		if next.IsZero() || next.After(to) {
			next = to
		}
		if on {
			if k := len(out); k > 0 && out[k-1].end.Equal(t) {
				out[k-1].end = next
			} else {
				out = append(out, span{t, next})
			}
		}
		t = next
	}
	return out
}

// intersect returns the overlaps of two sorted lists of disjoint spans.
func intersect(a, b []span) []span {
	var out []span
	for i, j := 0, 0; i < len(a) && j < len(b); {
		s, e := a[i].start, a[i].end
		if b[j].start.After(s) {
			s = b[j].start
		}
		if b[j].end.Before(e) {
			e = b[j].end
		}
		if s.Before(e) {
			out = append(out, span{s, e})
		}
		if a[i].end.Before(b[j].end) {
			i++
		} else {
			j++
		}
	}
	return out
}
