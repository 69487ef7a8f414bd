package fleet_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet"
)

var cst = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

func at(day, hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", day+" "+hhmm, cst)
	if err != nil {
		panic(err)
	}
	return t
}

func starts(ss []fleet.Slot) string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Start.In(cst).Format("01-02 15:04"))
	}
	return strings.Join(out, " ")
}

// 2026-05-04 is a Monday.
func baseAdviser() fleet.Adviser {
	a := fleet.Adviser{ID: "lin", Name: "林志明", Active: true, SlotMinutes: 30, BufferMinutes: 10, HorizonDays: 7,
		Hours: map[string][]string{"mon": {"09:00-11:00", "14:00-15:00"}, "tue": {"09:00-10:00"}}}
	if err := a.Normalize(); err != nil {
		panic(err)
	}
	return a
}

func TestFreeSlots(t *testing.T) {
	monday := "2026-05-04"
	early := at("2026-05-03", "20:00") // Sunday evening
	bk := func(start string, status string) fleet.Booking {
		s := at(monday, start)
		return fleet.Booking{AdviserID: "lin", SlotStart: s, SlotEnd: s.Add(30 * time.Minute), Status: status}
	}
	for _, tc := range []struct {
		name   string
		edit   func(*fleet.Adviser)
		day    string
		exc    []fleet.Exception
		booked []fleet.Booking
		now    time.Time
		want   string
	}{
		{name: "grid of slot plus buffer, fitting each interval", day: monday, now: early,
			want: "05-04 09:00 05-04 09:40 05-04 10:20 05-04 14:00"},
		{name: "no hours on a Wednesday", day: "2026-05-06", now: early, want: ""},
		{name: "inactive adviser", day: monday, now: early, edit: func(a *fleet.Adviser) { a.Active = false }, want: ""},
		{name: "leave for the morning", day: monday, now: early,
			exc:  []fleet.Exception{{Kind: fleet.ExceptionOff, From: at(monday, "08:00"), To: at(monday, "12:00")}},
			want: "05-04 14:00"},
		{name: "leave cutting one slot keeps the grid", day: monday, now: early,
			exc:  []fleet.Exception{{Kind: fleet.ExceptionOff, From: at(monday, "09:50"), To: at(monday, "10:00")}},
			want: "05-04 09:00 05-04 10:20 05-04 14:00"},
		{name: "whole-day leave over several days", day: monday, now: early,
			exc:  []fleet.Exception{{Kind: fleet.ExceptionOff, From: at("2026-05-03", "00:00"), To: at("2026-05-06", "00:00")}},
			want: ""},
		{name: "extra hours touching the afternoon continue its grid", day: monday, now: early,
			exc:  []fleet.Exception{{Kind: fleet.ExceptionExtra, From: at(monday, "15:00"), To: at(monday, "16:00")}},
			want: "05-04 09:00 05-04 09:40 05-04 10:20 05-04 14:00 05-04 14:40 05-04 15:20"},
		{name: "extra hours on a free day", day: "2026-05-06", now: early,
			exc:  []fleet.Exception{{Kind: fleet.ExceptionExtra, From: at("2026-05-06", "19:00"), To: at("2026-05-06", "20:00")}},
			want: "05-06 19:00"},
		{name: "a booking takes its slot", day: monday, now: early, booked: []fleet.Booking{bk("09:40", wire.BookingConfirmed)},
			want: "05-04 09:00 05-04 10:20 05-04 14:00"},
		{name: "a cancelled booking frees it", day: monday, now: early, booked: []fleet.Booking{bk("09:40", wire.BookingConfirmed), bk("09:00", wire.BookingCancelled)},
			want: "05-04 09:00 05-04 10:20 05-04 14:00"},
		{name: "an off-grid booking blocks slots within its buffer", day: monday, now: early, booked: []fleet.Booking{bk("10:05", wire.BookingConfirmed)},
			want: "05-04 09:00 05-04 14:00"},
		{name: "minimum notice", day: monday, now: at(monday, "08:45"), edit: func(a *fleet.Adviser) { a.MinNoticeMinutes = 60 },
			want: "05-04 10:20 05-04 14:00"}, // 09:40 is 55 minutes away
		{name: "slots already begun are gone", day: monday, now: at(monday, "09:01"),
			want: "05-04 09:40 05-04 10:20 05-04 14:00"},
		{name: "last day of the horizon is bookable", day: "2026-05-11", now: early, // Sunday + 8 days is Monday 11th
			edit: func(a *fleet.Adviser) { a.HorizonDays = 8 }, want: "05-11 09:00 05-11 09:40 05-11 10:20 05-11 14:00"},
		{name: "beyond the horizon", day: "2026-05-11", now: early, want: ""},
		{name: "horizon 0 is today only", day: "2026-05-05", now: at(monday, "07:00"), edit: func(a *fleet.Adviser) { a.HorizonDays = 0 }, want: ""},
		{name: "a day in the past", day: "2026-04-27", now: early, want: ""},
		{name: "no buffer packs slots", day: "2026-05-05", now: early, edit: func(a *fleet.Adviser) { a.BufferMinutes = 0 },
			want: "05-05 09:00 05-05 09:30"},
		{name: "bad day", day: "5/4", now: early, want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := baseAdviser()
			if tc.edit != nil {
				tc.edit(&a)
			}
			got := starts(fleet.FreeSlots(a, tc.day, tc.exc, tc.booked, tc.now))
			if got != tc.want {
				t.Errorf("slots\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestNextFreeSlotsCrossDays(t *testing.T) {
	a := baseAdviser()
	// Tuesday has one slot (09:40 would end at 10:10, after 10:00); the next Monday is past the 7-day horizon.
	got := fleet.NextFreeSlots(a, at("2026-05-04", "14:00"), 5, nil, nil, at("2026-05-03", "20:00"))
	if s := starts(got); s != "05-04 14:00 05-05 09:00" {
		t.Fatalf("next slots %q", s)
	}
	if got[0].End.Sub(got[0].Start) != 30*time.Minute {
		t.Fatalf("slot length %v", got[0].End.Sub(got[0].Start))
	}
}

func TestAdviserNormalizeRefusesBadInput(t *testing.T) {
	for field, edit := range map[string]func(*fleet.Adviser){
		"id":             func(a *fleet.Adviser) { a.ID = "Lin Zhiming" },
		"name":           func(a *fleet.Adviser) { a.Name = " " },
		"kind":           func(a *fleet.Adviser) { a.Kind = "judge" },
		"hours.mon[0]":   func(a *fleet.Adviser) { a.Hours = map[string][]string{"mon": {"11:00-09:00"}} },
		"hours.mon":      func(a *fleet.Adviser) { a.Hours = map[string][]string{"mon": {"09:00-11:00", "10:00-12:00"}} },
		"hours.monday":   func(a *fleet.Adviser) { a.Hours = map[string][]string{"monday": {"09:00-11:00"}} },
		"slot_minutes":   func(a *fleet.Adviser) { a.SlotMinutes = 2 },
		"buffer_minutes": func(a *fleet.Adviser) { a.BufferMinutes = -1 },
		"horizon_days":   func(a *fleet.Adviser) { a.HorizonDays = 400 },
		"services[0]":    func(a *fleet.Adviser) { a.Services = []string{"divorce"} },
		"own[0]":         func(a *fleet.Adviser) { a.Own = []string{"仙游县//坝下村"} },
		"time_zone":      func(a *fleet.Adviser) { a.TimeZone = "Mars/Olympus" },
	} {
		a := fleet.Adviser{ID: "lin", Name: "林志明"}
		edit(&a)
		err := a.Normalize()
		var fe *fleet.FieldError
		if !asField(err, &fe) || fe.Field != field || fe.Err.Zh == "" {
			t.Errorf("%s: got %v", field, err)
		}
	}
	a := fleet.Adviser{ID: "lin", Name: "林志明"}
	if err := a.Normalize(); err != nil || a.TimeZone != "Asia/Shanghai" || a.SlotMinutes != 30 || !slices.Equal(a.Services, []string{"consultation"}) {
		t.Fatalf("defaults: %v %+v", err, a)
	}
}

func asField(err error, fe **fleet.FieldError) bool {
	f, ok := err.(*fleet.FieldError)
	*fe = f
	return ok
}

func TestBookingCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		c := fleet.NewBookingCode()
		if len(c) != 6 || strings.ContainsAny(c, "0O1I") {
			t.Fatalf("code %q", c)
		}
		seen[c] = true
	}
	if len(seen) < 1990 {
		t.Fatalf("only %d distinct codes of 2000", len(seen))
	}
}
