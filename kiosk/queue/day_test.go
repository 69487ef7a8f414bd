package queue

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func dayOf(t *testing.T, q *Queue) (string, bool) {
	t.Helper()
	d, trusted, err := q.Day(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d, trusted
}

func TestUntrustedClockContinuesTheSequence(t *testing.T) {
	clk := newClock(at("2026-05-04", "16:00"), true)
	q, _ := openTest(t, clk)
	issue(t, q, "A")
	issue(t, q, "A")
	// A power cut; the clock comes back a day later, wrong and untrusted.
	clk.reboot(at("2026-05-05", "08:00"))
	tk := issue(t, q, "A")
	if tk.Number != "A003" || tk.ClockTrusted || tk.Day != "2026-05-04" {
		t.Fatalf("untrusted next day: %s day %s trusted %v; want A003 on 2026-05-04, untrusted", tk.Number, tk.Day, tk.ClockTrusted)
	}
	// Even a clock that jumps back a month continues.
	clk.set(at("2026-04-01", "08:00"), false)
	if tk := issue(t, q, "A"); tk.Number != "A004" {
		t.Fatalf("clock a month back: %s, want A004", tk.Number)
	}
}

func TestTrustedNewDateStartsANewDay(t *testing.T) {
	ctx := context.Background()
	clk := newClock(at("2026-05-04", "16:00"), true)
	q, _ := openTest(t, clk)
	old := issue(t, q, "A")
	issue(t, q, "A")
	clk.advance(17 * time.Hour) // 09:00 next day, same boot, trusted
	tk := issue(t, q, "A")
	if tk.Number != "A001" || tk.Day != "2026-05-05" || tk.Ahead != 0 {
		t.Fatalf("next day: %s on %s with %d ahead; want A001 on 2026-05-05, nobody ahead", tk.Number, tk.Day, tk.Ahead)
	}
	if o, _ := q.Lookup(ctx, old.ID); o.Status != StatusExpired {
		t.Fatalf("yesterday's waiting ticket is %s, want expired", o.Status)
	}
	// A trusted clock stepping back a day does not move the day back.
	clk.set(at("2026-05-04", "10:00"), true)
	if tk := issue(t, q, "A"); tk.Number != "A002" || tk.Day != "2026-05-05" {
		t.Fatalf("trusted clock behind the day: %s on %s, want A002 on 2026-05-05", tk.Number, tk.Day)
	}
}

func TestTickStartsTheDayWithoutATicket(t *testing.T) {
	ctx := context.Background()
	clk := newClock(at("2026-05-04", "16:00"), true)
	q, _ := openTest(t, clk)
	issue(t, q, "A")
	clk.advance(10 * time.Hour)
	if err := q.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if d, _ := dayOf(t, q); d != "2026-05-05" {
		t.Fatalf("day after Tick = %s", d)
	}
	snap, _ := q.Snapshot(ctx)
	if len(snap.Queues[0].Tickets) != 0 {
		t.Fatal("yesterday's ticket still waits on the new day")
	}
}

// After a night's power cut the clock restarts at the evening before
// (fake-hwclock) and the morning's tickets continue yesterday's numbers.
// When the clock becomes trusted in the same boot, those tickets are known
// (by uptime) to be today's: restarting at A001 would repeat numbers
// villagers hold, so numbering continues on the new day.
func TestMorningTicketsOnAnUntrustedClockKeepTheNumbering(t *testing.T) {
	clk := newClock(at("2026-05-04", "16:00"), true)
	q, _ := openTest(t, clk)
	for range 5 {
		issue(t, q, "A")
	}
	clk.reboot(at("2026-05-04", "17:30")) // really 2026-05-05 08:00
	morning := issue(t, q, "A")
	if morning.Number != "A006" {
		t.Fatalf("morning ticket = %s, want A006", morning.Number)
	}
	clk.advance(time.Hour)
	clk.set(at("2026-05-05", "09:00"), true) // NTP
	tk := issue(t, q, "A")
	if tk.Number != "A007" || tk.Day != "2026-05-05" {
		t.Fatalf("after the clock is trusted: %s on %s; want A007 (continuing) on 2026-05-05", tk.Number, tk.Day)
	}
	if d, trusted := dayOf(t, q); d != "2026-05-05" || !trusted {
		t.Fatalf("day = %s trusted %v", d, trusted)
	}
	// The day after, with a trusted clock all along: a fresh start.
	clk.advance(24 * time.Hour)
	if tk := issue(t, q, "A"); tk.Number != "A001" || tk.Day != "2026-05-06" {
		t.Fatalf("the following day: %s on %s, want A001 on 2026-05-06", tk.Number, tk.Day)
	}
}

// Tickets issued in the evening on an untrusted clock that is placed, in
// the same boot, on the evening before: the next morning starts at A001.
func TestUntrustedEveningPlacedByUptimeAllowsANewDay(t *testing.T) {
	clk := newClock(at("2026-05-04", "09:00"), true)
	q, _ := openTest(t, clk)
	issue(t, q, "A")
	clk.reboot(at("2026-05-04", "12:00")) // really 2026-05-04 15:00
	issue(t, q, "A")
	clk.advance(18 * time.Hour) // really 2026-05-05 09:00
	clk.set(at("2026-05-05", "09:00"), true)
	if tk := issue(t, q, "A"); tk.Number != "A001" || tk.Day != "2026-05-05" {
		t.Fatalf("got %s on %s, want A001 on 2026-05-05", tk.Number, tk.Day)
	}
}

// Tickets from a boot that never saw a trusted clock cannot be placed:
// numbering continues.
func TestUntrustedTicketsOfAnotherBootKeepTheNumbering(t *testing.T) {
	clk := newClock(at("2026-05-04", "09:00"), true)
	q, _ := openTest(t, clk)
	issue(t, q, "A")
	clk.reboot(at("2026-05-04", "12:00"))
	issue(t, q, "A") // A002: when was it really?
	clk.reboot(at("2026-05-04", "12:10"))
	clk.set(at("2026-05-05", "10:00"), true)
	if tk := issue(t, q, "A"); tk.Number != "A003" || tk.Day != "2026-05-05" {
		t.Fatalf("got %s on %s, want A003 on 2026-05-05", tk.Number, tk.Day)
	}
}

// On the very first start the clock may be ahead and untrusted; the first
// trusted reading corrects the day's label, and numbering continues.
func TestFirstStartOnAClockAheadCorrectsTheLabel(t *testing.T) {
	clk := newClock(at("2026-05-10", "09:00"), false)
	q, _ := openTest(t, clk)
	if tk := issue(t, q, "A"); tk.Day != "2026-05-10" {
		t.Fatalf("first day label = %s", tk.Day)
	}
	clk.set(at("2026-05-04", "09:05"), true)
	if tk := issue(t, q, "A"); tk.Number != "A002" || tk.Day != "2026-05-04" {
		t.Fatalf("got %s on %s, want A002 on 2026-05-04", tk.Number, tk.Day)
	}
}

// The promise, checked over random histories of power cuts, wrong clocks,
// NTP fixes and time passing: no two tickets issued on the same real date
// carry the same number.
func TestNumbersNeverRepeatOnARealDay(t *testing.T) {
	runs := 10
	if testing.Short() {
		runs = 4
	}
	for seed := range runs {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(seed), 7))
			real := at("2026-05-04", "08:00")
			clk := newClock(real, true)
			q, _ := openTest(t, clk)
			skew := time.Duration(0)
			seen := map[string]string{} // real date + number -> history step
			for step := range 300 {
				switch op := r.IntN(20); {
				case op < 12:
					tk := issue(t, q, string(rune('A'+r.IntN(2))))
					key := real.In(cst).Format(time.DateOnly) + " " + tk.Number
					if prev, dup := seen[key]; dup {
						t.Fatalf("step %d: %s issued again on the same real day (first at %s)", step, key, prev)
					}
					seen[key] = fmt.Sprint(step)
				case op < 16:
					d := time.Duration(r.IntN(600)) * time.Minute
					real = real.Add(d)
					clk.advance(d)
				case op < 18: // power cut: off for a while, clock comes back wrong
					real = real.Add(time.Duration(r.IntN(20*60)) * time.Minute)
					skew = time.Duration(r.IntN(6*24*60)-3*24*60) * time.Minute
					clk.reboot(real.Add(skew))
				case op < 19: // NTP or the fleet fixes the clock
					clk.set(real, true)
				default:
					q.Tick(context.Background())
				}
			}
		})
	}
}
