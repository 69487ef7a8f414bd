package content

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	_ "time/tzdata" // zones must work on a Pi without system tzdata
)

// DefaultZone is the time zone of a schedule that names none.
const DefaultZone = "Asia/Shanghai"

// Date is a civil date (no time, no zone), written "2006-01-02" in JSON.
// The zero Date means "no bound".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the civil date y-m-d.
func NewDate(y int, m time.Month, d int) Date { return Date{Year: y, Month: m, Day: d} }

// DateOf returns the civil date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// IsZero reports whether d is the unset date.
func (d Date) IsZero() bool { return d == Date{} }

// valid reports whether d names a real calendar day.
func (d Date) valid() bool {
	if d.Year < 1970 || d.Year > 9999 || d.Month < 1 || d.Month > 12 || d.Day < 1 {
		return false
	}
	return DateOf(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)) == d
}

// String formats d as "2006-01-02", or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// ParseDate parses "2006-01-02".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("content: date %q is not YYYY-MM-DD; write it like 2024-12-04: %w", s, err)
	}
	return DateOf(t), nil
}

// MarshalJSON writes d as "2006-01-02".
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads "2006-01-02" (or "" for no bound).
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("content: a date must be a string like \"2024-12-04\": %w", err)
	}
	if s == "" {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// dayNumber counts days since 1970-01-01 (day 0, a Thursday).
func (d Date) dayNumber() int64 {
	return floorDiv(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix(), 86400)
}

func dateOfDay(n int64) Date { return DateOf(time.Unix(n*86400, 0).UTC()) }

func weekdayOfDay(n int64) time.Weekday { return time.Weekday(((n+4)%7 + 7) % 7) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// ClockTime is a wall-clock time of day in seconds after midnight, 0 to
// 86400 inclusive (86400 is "24:00", allowed only as a window's end). JSON
// writes "HH:MM", or "HH:MM:SS" when seconds are set.
type ClockTime int32

// Clock returns the ClockTime h:m:s.
func Clock(h, m, s int) ClockTime { return ClockTime(h*3600 + m*60 + s) }

// String formats c as "HH:MM" or "HH:MM:SS".
func (c ClockTime) String() string {
	h, m, s := int(c)/3600, int(c)%3600/60, int(c)%60
	if s != 0 {
		return fmt.Sprintf("%02d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%02d:%02d", h, m)
}

// ParseClock parses "HH:MM" or "HH:MM:SS", 00:00 to 24:00.
func ParseClock(s string) (ClockTime, error) {
	bad := func() (ClockTime, error) {
		return 0, fmt.Errorf("content: time of day %q is not HH:MM between 00:00 and 24:00; write it like 07:30 or 22:00", s)
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return bad()
	}
	var v [3]int
	for i, p := range parts {
		if len(p) != 2 {
			return bad()
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return bad()
		}
		v[i] = n
	}
	if v[1] > 59 || v[2] > 59 || v[0] > 24 || (v[0] == 24 && (v[1] != 0 || v[2] != 0)) {
		return bad()
	}
	return Clock(v[0], v[1], v[2]), nil
}

// MarshalJSON writes c as "HH:MM" or "HH:MM:SS".
func (c ClockTime) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

// UnmarshalJSON reads "HH:MM" or "HH:MM:SS".
func (c *ClockTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("content: a time of day must be a string like \"07:30\": %w", err)
	}
	v, err := ParseClock(s)
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Weekdays is a set of days of the week; bit i is time.Weekday(i). JSON
// writes a list of "mon".."sun".
type Weekdays uint8

// Common weekday sets.
const (
	EveryDay Weekdays = 0x7f
	WorkDays Weekdays = 1<<time.Monday | 1<<time.Tuesday | 1<<time.Wednesday | 1<<time.Thursday | 1<<time.Friday
	Weekend  Weekdays = 1<<time.Saturday | 1<<time.Sunday
)

var weekdayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Days returns the set holding exactly the given days.
func Days(days ...time.Weekday) Weekdays {
	var w Weekdays
	for _, d := range days {
		w |= 1 << (d % 7)
	}
	return w
}

// Has reports whether d is in w.
func (w Weekdays) Has(d time.Weekday) bool { return w&(1<<d) != 0 }

// IsZero reports whether no day is set.
func (w Weekdays) IsZero() bool { return w&EveryDay == 0 }

// MarshalJSON writes w as a list of day names, Monday first.
func (w Weekdays) MarshalJSON() ([]byte, error) {
	names := make([]string, 0, 7)
	for i := 1; i <= 7; i++ {
		if w.Has(time.Weekday(i % 7)) {
			names = append(names, weekdayNames[i%7])
		}
	}
	return json.Marshal(names)
}

// UnmarshalJSON reads a list of day names ("mon".."sun").
func (w *Weekdays) UnmarshalJSON(b []byte) error {
	var names []string
	if err := json.Unmarshal(b, &names); err != nil {
		return fmt.Errorf("content: weekdays must be a list like [\"mon\",\"sat\"]: %w", err)
	}
	var v Weekdays
	for _, n := range names {
		i := -1
		for j, wn := range weekdayNames {
			if strings.EqualFold(n, wn) {
				i = j
			}
		}
		if i < 0 {
			return fmt.Errorf("content: weekday %q is unknown; use mon, tue, wed, thu, fri, sat or sun", n)
		}
		v |= 1 << i
	}
	*w = v
	return nil
}

// zoneCache loads each IANA zone once; time.LoadLocation reads the
// embedded database every call.
type zoneCache map[string]*time.Location

func (zc zoneCache) load(name string) (*time.Location, error) {
	if name == "" {
		name = DefaultZone
	}
	if loc, ok := zc[name]; ok {
		return loc, nil
	}
	if name == "Local" || strings.TrimSpace(name) != name {
		return nil, fmt.Errorf("content: zone %q is not an IANA zone name", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zc[name] = loc
	return loc, nil
}

// wallInstant returns the instant at which the wall clock in loc reads sec
// seconds after the midnight that starts civil day `day` (sec may reach
// 86400 or more, running into the next days). A wall time skipped by a
// daylight-saving jump moves forward by the jump (02:30 on a spring-forward
// night becomes 03:30 new time); a wall time that happens twice takes the
// earlier instant.
func wallInstant(day int64, sec int64, loc *time.Location) time.Time {
	naive := day*86400 + sec
	if loc == time.UTC {
		return time.Unix(naive, 0).UTC()
	}
	_, oEarly := time.Unix(naive-30*3600, 0).In(loc).Zone()
	_, oLate := time.Unix(naive+30*3600, 0).In(loc).Zone()
	u1 := naive - int64(oEarly)
	if oEarly == oLate {
		if _, o := time.Unix(u1, 0).In(loc).Zone(); o == oEarly {
			return time.Unix(u1, 0).In(loc)
		}
		// Two transitions inside a few hours: let the time package decide.
		d := dateOfDay(day)
		return time.Date(d.Year, d.Month, d.Day, 0, 0, int(sec), 0, loc)
	}
	u2 := naive - int64(oLate)
	_, o1 := time.Unix(u1, 0).In(loc).Zone()
	_, o2 := time.Unix(u2, 0).In(loc).Zone()
	switch {
	case o1 == oEarly && o2 == oLate:
		return time.Unix(min(u1, u2), 0).In(loc)
	case o1 == oEarly:
		return time.Unix(u1, 0).In(loc)
	case o2 == oLate:
		return time.Unix(u2, 0).In(loc)
	default: // in the gap: keep the old offset, which lands after the jump
		return time.Unix(u1, 0).In(loc)
	}
}

// localDay returns the civil day number of t in loc.
func localDay(t time.Time, loc *time.Location) int64 {
	_, off := t.In(loc).Zone()
	return floorDiv(t.Unix()+int64(off), 86400)
}
