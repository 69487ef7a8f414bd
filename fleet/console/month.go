package console

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"lawpoint/content"
	"lawpoint/fleet"
)

func init() {
	pageNames = append(pageNames, "month")
}

// monthLayout is the form of ?month= (what <input type="month"> sends).
const monthLayout = "2006-01"

// The months the calendar accepts.
const (
	minMonthYear = 2000
	maxMonthYear = 2099
)

// calSpan is a stretch [start, end) of time.
type calSpan struct{ start, end time.Time }

// calPlay is one schedule or notice playing on one day: the stretches it
// plays (already attributed to that day) and on how many devices.
type calPlay struct {
	ID      string
	Spans   []calSpan
	Devices int
}

// calConflict is a content.Conflict restricted to one day, with the number
// of the region's devices it concerns.
type calConflict struct {
	content.Conflict
	DeviceCount int
}

// monthDay is what plays on one Beijing day of the month.
type monthDay struct {
	Start     time.Time // 00:00 Beijing time
	Schedules []calPlay // by first start, then schedule ID
	Notices   []calPlay // by first start, then notice ID
	Conflicts []calConflict
}

// monthPlan is what plays on a set of devices, day by day, for one month.
type monthPlan struct {
	Days []monthDay
	// Groups is how many distinct device profiles were planned.
	Groups  int
	Devices int
}

// devGroup is devices that resolve alike: the same kind, the same
// schedules targeting them and the same notices covering their region.
type devGroup struct {
	dev content.Device // the first of them, planned for all
	n   int
}

// groupDevices groups devs by what the resolver looks at: a device enters
// content.Compiled.Resolve only through its kind (the fallback), the
// schedules whose targets select it (Compiled.Targeted) and the notices
// covering its region. Devices alike in those three resolve to the same
// answers at every instant, so one plan serves them all. Notices not in
// force in [from, to) are left out of the key.
func groupDevices(comp *content.Compiled, devs []content.Device, from, to time.Time) []devGroup {
	notices := comp.Set().Notices
	idx := map[string]int{}
	var groups []devGroup
	var key strings.Builder
	for _, d := range devs {
		key.Reset()
		key.WriteString(d.Kind)
		key.WriteByte(0)
		for _, id := range comp.Targeted(d) {
			key.WriteString(id)
			key.WriteByte(1)
		}
		key.WriteByte(0)
		for i := range notices {
			n := &notices[i]
			if n.Withdrawn || !n.Start.Before(to) || !n.Expiry.After(from) {
				continue
			}
			if slices.ContainsFunc(n.Regions, func(r string) bool { return content.InRegion(d.Region, r) }) {
				key.WriteString(n.ID)
				key.WriteByte(1)
			}
		}
		k := key.String()
		if i, ok := idx[k]; ok {
			groups[i].n++
			continue
		}
		idx[k] = len(groups)
		groups = append(groups, devGroup{dev: d, n: 1})
	}
	return groups
}

// planMonth works out what plays on devs on each Beijing day of the month
// starting at first (00:00 of the 1st, Beijing time).
//
// It does not decide anything itself: every device group (groupDevices)
// gets the content compiler's own plan (Compiled.Plan, the resolver the
// devices run), from the 1st to one day past the month's end so that the
// last night's overnight window is whole. What the plan plays is then
// attributed to days: a schedule's stretch belongs to the day its window
// started on (content's rule, so 22:00-02:00 shows once, on its first
// day, as 22:00–次日02:00), a notice's to each day it is in force.
// Conflicts are content.Compiled.Conflicts asked for each day with a
// device of each group.
func planMonth(comp *content.Compiled, devs []content.Device, first time.Time) monthPlan {
	end := first.AddDate(0, 1, 0)
	planTo := end.AddDate(0, 0, 1)
	var days []monthDay
	for d := first; d.Before(end); d = d.AddDate(0, 0, 1) {
		days = append(days, monthDay{Start: d})
	}
	groups := groupDevices(comp, devs, first, planTo)
	mp := monthPlan{Days: days, Groups: len(groups), Devices: len(devs)}

	byID := map[string]*content.Schedule{}
	set := comp.Set()
	for i := range set.Schedules {
		byID[set.Schedules[i].ID] = &set.Schedules[i]
	}
	locs := map[string]*time.Location{}
	occ := map[string][][]calSpan{} // schedule ID -> day -> its windows starting that day
	occurrencesOf := func(id string, day int) []calSpan {
		o := occ[id]
		if o == nil {
			o = make([][]calSpan, len(days))
			occ[id] = o
		}
		if o[day] == nil {
			o[day] = windowsStarting(byID[id], days[day].Start, locs)
		}
		return o[day]
	}

	scheds := make([]map[string]*calPlay, len(days))
	notes := make([]map[string]*calPlay, len(days))
	add := func(m []map[string]*calPlay, day int, id string, spans []calSpan, n int) {
		if len(spans) == 0 {
			return
		}
		if m[day] == nil {
			m[day] = map[string]*calPlay{}
		}
		p := m[day][id]
		if p == nil {
			p = &calPlay{ID: id}
			m[day][id] = p
		}
		p.Spans = append(p.Spans, spans...)
		p.Devices += n
	}

	for _, g := range groups {
		plan := comp.Plan(g.dev, first, planTo.Sub(first))
		plays := map[string][]calSpan{}
		notices := map[string][]calSpan{}
		for _, sg := range plan.Segments {
			switch sg.Answer.Source {
			case content.SourceNotice:
				for _, n := range sg.Answer.Notices {
					notices[n.ID] = extend(notices[n.ID], sg.Start, sg.End)
				}
			case content.SourceSchedule:
				for _, p := range sg.Answer.Programmes {
					plays[p.ScheduleID] = extend(plays[p.ScheduleID], sg.Start, sg.End)
				}
			}
		}
		for id, spans := range plays {
			if byID[id] == nil {
				continue
			}
			for k := range days {
				add(scheds, k, id, overlaps(spans, occurrencesOf(id, k)), g.n)
			}
		}
		for id, spans := range notices {
			for k, d := range days {
				add(notes, k, id, overlaps(spans, []calSpan{{d.Start, d.Start.AddDate(0, 0, 1)}}), g.n)
			}
		}
	}
	for k := range days {
		days[k].Schedules = sortedPlays(scheds[k])
		days[k].Notices = sortedPlays(notes[k])
	}

	// Conflicts: once for the month, then day by day only if there are any,
	// and only with the devices that take part.
	reps := make([]content.Device, len(groups))
	count := map[string]int{}
	for i, g := range groups {
		reps[i] = g.dev
		count[g.dev.ID] = g.n
	}
	all := comp.Conflicts(reps, first, end.Sub(first))
	if len(all) == 0 {
		return mp
	}
	involved := map[string]bool{}
	for _, cf := range all {
		for _, id := range cf.Devices {
			involved[id] = true
		}
	}
	reps = slices.DeleteFunc(reps, func(d content.Device) bool { return !involved[d.ID] })
	for k := range days {
		start := days[k].Start
		for _, cf := range comp.Conflicts(reps, start, start.AddDate(0, 0, 1).Sub(start)) {
			n := 0
			for _, id := range cf.Devices {
				n += count[id]
			}
			days[k].Conflicts = append(days[k].Conflicts, calConflict{Conflict: cf, DeviceCount: n})
		}
	}
	return mp
}

// extend appends [start, end) to spans, merging it with the last one when
// they touch.
func extend(spans []calSpan, start, end time.Time) []calSpan {
	if n := len(spans); n > 0 && !spans[n-1].end.Before(start) {
		if end.After(spans[n-1].end) {
			spans[n-1].end = end
		}
		return spans
	}
	return append(spans, calSpan{start, end})
}

// unite sorts spans and merges those that overlap or touch.
func unite(spans []calSpan) []calSpan {
	slices.SortFunc(spans, func(a, b calSpan) int { return a.start.Compare(b.start) })
	var out []calSpan
	for _, s := range spans {
		out = extend(out, s.start, s.end)
	}
	return out
}

// overlaps returns the parts of plays (sorted) inside any of within.
func overlaps(plays, within []calSpan) []calSpan {
	var out []calSpan
	for _, w := range within {
		for _, p := range plays {
			if !p.end.After(w.start) {
				continue
			}
			if !p.start.Before(w.end) {
				break
			}
			s, e := p.start, p.end
			if w.start.After(s) {
				s = w.start
			}
			if w.end.Before(e) {
				e = w.end
			}
			out = append(out, calSpan{s, e})
		}
	}
	return unite(out)
}

// windowsStarting returns the occurrences of s's windows that start on the
// Beijing day beginning at day, whether or not they play (the plan says
// that): a window belongs to the day it starts on. An always schedule, and
// a timed one without windows, occupy the whole day. A schedule in another
// zone has its windows read on that zone's clock and kept by the Beijing
// day they start on.
func windowsStarting(s *content.Schedule, day time.Time, locs map[string]*time.Location) []calSpan {
	next := day.AddDate(0, 0, 1)
	if s.Always {
		return []calSpan{{day, next}}
	}
	loc := shanghai
	if s.Zone != "" {
		if l, ok := locs[s.Zone]; ok {
			loc = l
		} else if l, err := time.LoadLocation(s.Zone); err == nil {
			locs[s.Zone], loc = l, l
		}
	}
	wins := s.Windows
	if len(wins) == 0 {
		wins = []content.Window{{Start: 0, End: content.Clock(24, 0, 0)}}
	}
	y, m, d := day.In(shanghai).Date()
	var out []calSpan
	for k := -1; k <= 1; k++ {
		if loc == shanghai && k != 0 {
			continue
		}
		for _, w := range wins {
			start := time.Date(y, m, d+k, 0, 0, int(w.Start), 0, loc)
			if start.Before(day) || !start.Before(next) {
				continue
			}
			endDay := d + k
			if w.Overnight {
				endDay++
			}
			out = append(out, calSpan{start, time.Date(y, m, endDay, 0, 0, int(w.End), 0, loc)})
		}
	}
	slices.SortFunc(out, func(a, b calSpan) int { return a.start.Compare(b.start) })
	return out
}

func sortedPlays(m map[string]*calPlay) []calPlay {
	out := make([]calPlay, 0, len(m))
	for _, p := range m {
		p.Spans = unite(p.Spans)
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b calPlay) int {
		if c := a.Spans[0].start.Compare(b.Spans[0].start); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// clockOn is t on the Beijing clock as seen from the day starting at day:
// "08:00", "次日02:00", and "24:00" for the end of the day.
func clockOn(t, day time.Time, isEnd bool) string {
	// Minutes are enough for staff; a notice published at 12:13:35 shows
	// from 12:13.
	t = t.In(shanghai)
	hm := t.Format("15:04")
	ty, tm, td := t.Date()
	dy, dm, dd := day.In(shanghai).Date()
	n := int(time.Date(ty, tm, td, 0, 0, 0, 0, time.UTC).Sub(time.Date(dy, dm, dd, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
	switch {
	case n == 0:
		return hm
	case n == 1 && isEnd && hm == "00:00":
		return "24:00"
	case n == 1:
		return "次日" + hm
	case n == -1:
		return "前日" + hm
	}
	return fmt.Sprintf("%d日后%s", n, hm)
}

// spansText says when something plays on the day starting at day.
func spansText(spans []calSpan, day time.Time) string {
	next := day.AddDate(0, 0, 1)
	var parts []string
	for _, s := range spans {
		if s.start.Equal(day) && s.end.Equal(next) {
			parts = append(parts, "全天")
			continue
		}
		parts = append(parts, clockOn(s.start, day, false)+"–"+clockOn(s.end, day, true))
	}
	return strings.Join(parts, "、")
}

// Page data.

type calRef struct {
	ID, Name string
	Href     string // the edit page when the account may change it, else the list
	Editable bool
}

type calEntry struct {
	calRef
	Times    string
	Priority int
	Devices  int
}

type calNoticeView struct {
	ID, Text, Times string
	Devices         int
}

type calConflictView struct {
	A, B     calRef
	Priority int
	Times    string
	Devices  int
}

type calCell struct {
	Date      string // YYYY-MM-DD
	Day       int
	Weekday   string
	InMonth   bool
	Today     bool
	Entries   []calEntry
	Notices   []calNoticeView
	Conflicts []calConflictView
}

// Class is the cell's CSS classes.
func (c calCell) Class() string {
	var cl []string
	if !c.InMonth {
		cl = append(cl, "out")
	}
	if c.Today {
		cl = append(cl, "today")
	}
	if len(c.Notices) > 0 {
		cl = append(cl, "has-notice")
	}
	if len(c.Conflicts) > 0 {
		cl = append(cl, "has-conflict")
	}
	return strings.Join(cl, " ")
}

type monthData struct {
	Region      string
	RegionLabel string
	Scope       string
	Regions     []regionOption
	Kind        string
	Kinds       []option
	Month       string // as asked (shown back when it is wrong)
	Title       string // 2026年12月
	Errors      map[string]string
	PrevHref    string
	NextHref    string
	ThisHref    string
	WeekHref    string
	Heads       [7]string
	Weeks       [][7]calCell
	Devices     int
	Groups      int
	None        bool
}

// monthHeads are the calendar's columns, Monday first.
var monthHeads = [7]string{"一", "二", "三", "四", "五", "六", "日"}

func monthHref(region, kind string, month time.Time) string {
	q := url.Values{"month": {month.Format(monthLayout)}}
	if region != "" {
		q.Set("region", region)
	}
	if kind != "" {
		q.Set("kind", kind)
	}
	return "/schedules/month?" + q.Encode()
}

// parseMonth reads ?month= (YYYY-MM); it returns the 1st, 00:00 Beijing
// time, or a message for the field.
func parseMonth(s string) (time.Time, string) {
	t, err := time.ParseInLocation(monthLayout, s, shanghai)
	if err != nil {
		return time.Time{}, "月份格式有误：“" + s + "”，请按“年-月”填写，例如 2026-12"
	}
	if t.Year() < minMonthYear || t.Year() > maxMonthYear {
		return time.Time{}, fmt.Sprintf("月份须在 %d-01 到 %d-12 之间", minMonthYear, maxMonthYear)
	}
	return t, ""
}

// monthPage is the schedule calendar: for one month, Monday first, what
// plays on each Beijing day on the devices of a region (?region=, default
// the account's scope; operators only their township), optionally one
// kind (?kind=led|kiosk): schedules with their times, emergency notices,
// conflicts; see planMonth.
func (c *Console) monthPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	ctx := r.Context()
	region, ok := c.calendarRegion(w, r, rc, "month")
	if !ok {
		return
	}
	now := c.now().In(shanghai)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, shanghai)
	d := monthData{Region: region, RegionLabel: region, Scope: rc.acct.Scope(), Kind: trimmed(r, "kind"), Month: trimmed(r, "month"),
		Errors: map[string]string{}, Heads: monthHeads,
		Kinds: []option{{"", "全部设备"}, {string(fleet.KindLED), "LED屏"}, {string(fleet.KindKiosk), "自助一体机"}}}
	if region == "" {
		d.RegionLabel = "全县"
	}
	var err error
	if d.Regions, err = c.regionOptions(ctx, d.Scope); err != nil {
		c.internal(w, r, rc, err)
		return
	}
	if d.Kind != "" && d.Kind != string(fleet.KindLED) && d.Kind != string(fleet.KindKiosk) {
		d.Errors["kind"] = "设备类型只能是 LED屏 或 自助一体机"
	}
	first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, shanghai)
	if d.Month != "" {
		var msg string
		if first, msg = parseMonth(d.Month); msg != "" {
			d.Errors["month"] = msg
		}
	}
	if len(d.Errors) > 0 {
		d.ThisHref = monthHref(region, "", today)
		c.page(w, r, rc, http.StatusBadRequest, "month", "排期月视图", "schedules", d)
		return
	}
	d.Month = first.Format(monthLayout)
	d.Title = fmt.Sprintf("%d年%d月", first.Year(), first.Month())
	d.PrevHref = monthHref(region, d.Kind, first.AddDate(0, -1, 0))
	d.NextHref = monthHref(region, d.Kind, first.AddDate(0, 1, 0))
	d.ThisHref = monthHref(region, d.Kind, today)
	weekDay := first
	if today.Year() == first.Year() && today.Month() == first.Month() {
		weekDay = today
	}
	wq := url.Values{"week": {weekDay.Format("2006-01-02")}}
	if region != "" {
		wq.Set("region", region)
	}
	d.WeekHref = "/schedules/week?" + wq.Encode()

	devs, err := c.cfg.Registry.Devices(ctx, fleet.Filter{Region: region, Kind: fleet.Kind(d.Kind)})
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	comp, err := c.compiled(ctx)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	set := comp.Set()
	cds := make([]content.Device, len(devs))
	for i, dv := range devs {
		cds[i] = fleet.ContentDevice(dv)
	}
	d.None = len(cds) == 0
	var mp monthPlan
	if !d.None {
		mp = planMonth(comp, cds, first)
	}
	d.Devices, d.Groups = mp.Devices, mp.Groups

	refs := map[string]calRef{}
	refOf := func(id string) calRef {
		if ref, ok := refs[id]; ok {
			return ref
		}
		ref := calRef{ID: id, Name: id, Href: "/schedules"}
		if i := slices.IndexFunc(set.Schedules, func(s content.Schedule) bool { return s.ID == id }); i >= 0 {
			s := set.Schedules[i]
			if s.Name != "" {
				ref.Name = s.Name
			}
			if mayChange(rc.acct, s.Target) {
				ref.Href, ref.Editable = "/schedules/"+url.PathEscape(id)+"/edit", true
			}
		}
		refs[id] = ref
		return ref
	}
	priority := map[string]int{}
	for _, s := range set.Schedules {
		priority[s.ID] = s.Priority
	}
	notices := map[string]content.Notice{}
	for _, n := range set.Notices {
		notices[n.ID] = n
	}

	// The grid: Monday on or before the 1st to Sunday on or after the last.
	start := first.AddDate(0, 0, -((int(first.Weekday()) + 6) % 7))
	last := first.AddDate(0, 1, -1)
	for day := start; !day.After(last); {
		var wk [7]calCell
		for k := range 7 {
			cell := calCell{Date: day.Format("2006-01-02"), Day: day.Day(), Weekday: weekdayNames[day.Weekday()],
				InMonth: day.Month() == first.Month(), Today: day.Equal(today)}
			if cell.InMonth && !d.None {
				md := mp.Days[day.Day()-1]
				for _, p := range md.Schedules {
					cell.Entries = append(cell.Entries, calEntry{calRef: refOf(p.ID), Times: spansText(p.Spans, day), Priority: priority[p.ID], Devices: p.Devices})
				}
				for _, p := range md.Notices {
					cell.Notices = append(cell.Notices, calNoticeView{ID: p.ID, Text: shorten(notices[p.ID].Text, 40), Times: spansText(p.Spans, day), Devices: p.Devices})
				}
				for _, cf := range md.Conflicts {
					times := clockOn(cf.Start, day, false) + "–" + clockOn(cf.End, day, true)
					if cf.Overlaps > 1 {
						times += fmt.Sprintf(" 等%d段", cf.Overlaps)
					}
					cell.Conflicts = append(cell.Conflicts, calConflictView{A: refOf(cf.Schedules[0]), B: refOf(cf.Schedules[1]), Priority: cf.Priority,
						Times: times, Devices: cf.DeviceCount})
				}
			}
			wk[k] = cell
			day = day.AddDate(0, 0, 1)
		}
		d.Weeks = append(d.Weeks, wk)
	}
	c.page(w, r, rc, http.StatusOK, "month", "排期月视图", "schedules", d)
}

// shorten cuts s to n characters, marking the cut.
func shorten(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n]) + "…"
}
