package fleet

import (
	"slices"
	"time"

	"lawpoint/device/wire"
)

// Slot is a consultation time [Start, End).
type Slot struct {
	Start, End time.Time
}

type interval struct{ from, to time.Time }

func (i interval) overlaps(from, to time.Time) bool { return i.from.Before(to) && from.Before(i.to) }

// FreeSlots returns the free slots of adviser a on the local date day
// (YYYY-MM-DD in the adviser's time zone), given its exceptions and
// bookings (any range covering the day; cancelled ones are ignored) and
// the time now:
//
//   - working time is the weekly hours of that weekday plus extra hours,
//     merged where they overlap or touch;
//   - slots are laid on a grid from the start of each working interval,
//     one every SlotMinutes + BufferMinutes, and must fit inside it, so
//     slot times stay the same whatever is booked or on leave;
//   - a slot is dropped when it overlaps leave, or a confirmed booking
//     widened by the buffer on both sides (bookings made before a change
//     of the grid still keep their gap);
//   - it must start at least MinNoticeMinutes after now, and on or before
//     the local date today + HorizonDays.
//
// An inactive adviser has no slots. A day that cannot be read has none.
func FreeSlots(a Adviser, day string, exc []Exception, booked []Booking, now time.Time) []Slot {
	if !a.Active {
		return nil
	}
	loc := a.Location()
	d0, err := time.ParseInLocation(time.DateOnly, day, loc)
	if err != nil {
		return nil
	}
	d1 := d0.AddDate(0, 0, 1)
	y, m, d := now.In(loc).Date()
	lastStart := time.Date(y, m, d, 0, 0, 0, 0, loc).AddDate(0, 0, a.HorizonDays+1) // exclusive
	earliest := now.Add(time.Duration(a.MinNoticeMinutes) * time.Minute)
	if !d0.Before(lastStart) || !d1.After(earliest) {
		return nil
	}

	var work []interval
	for _, iv := range a.Hours[Weekdays[(int(d0.Weekday())+6)%7]] {
		s, err := parseDailyInterval(iv)
		if err != nil {
			continue
		}
		work = append(work, interval{atMinute(d0, s.from, loc), atMinute(d0, s.to, loc)})
	}
	var off []interval
	for _, e := range exc {
		iv := interval{e.From, e.To}
		if !iv.overlaps(d0, d1) {
			continue
		}
		switch e.Kind {
		case ExceptionExtra:
			work = append(work, interval{maxTime(e.From, d0), minTime(e.To, d1)})
		case ExceptionOff:
			off = append(off, iv)
		}
	}
	work = mergeIntervals(work)

	slot := time.Duration(a.SlotMinutes) * time.Minute
	buf := time.Duration(a.BufferMinutes) * time.Minute
	var busy []interval
	for _, b := range booked {
		if b.Status == wire.BookingConfirmed && b.AdviserID == a.ID {
			busy = append(busy, interval{b.SlotStart.Add(-buf), b.SlotEnd.Add(buf)})
		}
	}
	var out []Slot
	for _, w := range work {
		for t := w.from; !t.Add(slot).After(w.to); t = t.Add(slot + buf) {
			end := t.Add(slot)
			if t.Before(earliest) || !t.Before(lastStart) || hits(off, t, end) || hits(busy, t, end) {
				continue
			}
			out = append(out, Slot{Start: t, End: end})
		}
	}
	return out
}

func hits(ivs []interval, from, to time.Time) bool {
	for _, iv := range ivs {
		if iv.overlaps(from, to) {
			return true
		}
	}
	return false
}

// atMinute is minute m of the local day d0 (m may be 24*60: the next
// midnight), built with time.Date so a DST change would still land right.
func atMinute(d0 time.Time, m int, loc *time.Location) time.Time {
	y, mo, d := d0.Date()
	return time.Date(y, mo, d, m/60, m%60, 0, 0, loc)
}

func mergeIntervals(ivs []interval) []interval {
	slices.SortFunc(ivs, func(x, y interval) int { return x.from.Compare(y.from) })
	var out []interval
	for _, iv := range ivs {
		if !iv.from.Before(iv.to) {
			continue
		}
		if n := len(out); n > 0 && !iv.from.After(out[n-1].to) {
			out[n-1].to = maxTime(out[n-1].to, iv.to)
			continue
		}
		out = append(out, iv)
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// BookingWindow is the range in which a can have bookable slots at now:
// from the start of today to the end of today + HorizonDays, local time.
func BookingWindow(a Adviser, now time.Time) (from, to time.Time) {
	loc := a.Location()
	y, m, d := now.In(loc).Date()
	from = time.Date(y, m, d, 0, 0, 0, 0, loc)
	return from, from.AddDate(0, 0, a.HorizonDays+1)
}

// NextFreeSlots returns up to n free slots of a starting at or after from,
// across days, within the booking horizon.
func NextFreeSlots(a Adviser, from time.Time, n int, exc []Exception, booked []Booking, now time.Time) []Slot {
	loc := a.Location()
	_, end := BookingWindow(a, now)
	var out []Slot
	for d := from.In(loc); d.Before(end) && len(out) < n; d = d.AddDate(0, 0, 1) {
		for _, s := range FreeSlots(a, d.Format(time.DateOnly), exc, booked, now) {
			if !s.Start.Before(from) && len(out) < n {
				out = append(out, s)
			}
		}
	}
	return out
}
