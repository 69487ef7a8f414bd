package queue

import (
	"context"
	"database/sql"
	"time"
)

// Clock tells the queue what time it is and whether to believe it.
// *device.Clock satisfies it: trusted after NTP or a fleet time reply in
// this boot. BootID names the machine's current boot; with Config.Uptime it
// lets the queue place, once the clock is trusted, a ticket that was issued
// earlier in the same boot with an untrusted clock.
type Clock interface {
	Now() time.Time
	Trusted() bool
	BootID() string
}

// dayState is the persisted business day (meta key "day"). Day is the
// label of the current business day (local YYYY-MM-DD); it moves only
// forward and only on a trusted clock, except that a label first taken
// from an untrusted clock (Trusted false) is corrected by the first trusted
// one. Gen is the numbering run: numbers restart (A001) only when Gen
// grows. UBoot and UUptimeMS locate the newest ticket issued with an
// untrusted clock since the last trusted observation ("" if none).
type dayState struct {
	Day       string `json:"day"`
	Trusted   bool   `json:"trusted"`
	Gen       int64  `json:"gen"`
	UBoot     string `json:"untrusted_boot,omitempty"`
	UUptimeMS int64  `json:"untrusted_uptime_ms,omitempty"`
	// Carried counts day changes that kept numbering (for the report).
	Carried int64 `json:"carried,omitempty"`
}

// observation is one reading of the clocks, taken at the start of an
// operation.
type observation struct {
	now     time.Time
	trusted bool
	boot    string
	uptime  time.Duration
}

func (q *Queue) observe() observation {
	return observation{now: q.cfg.Clock.Now(), trusted: q.cfg.Clock.Trusted(), boot: q.cfg.Clock.BootID(), uptime: q.cfg.Uptime()}
}

func (q *Queue) date(t time.Time) string { return t.In(q.cfg.Location).Format(time.DateOnly) }

// rollDay applies the business-day rules of docs/QUEUE.md to an
// observation, inside the caller's transaction, and returns the state in
// effect. With an untrusted clock nothing moves: numbering continues.
func (q *Queue) rollDay(ctx context.Context, tx *sql.Tx, o observation) (dayState, error) {
	var ds dayState
	if _, err := getMeta(ctx, tx, "day", &ds); err != nil {
		return ds, err
	}
	before := ds
	today := q.date(o.now)
	switch {
	case ds.Day == "":
		// First start ever: take whatever the clock says, noting whether
		// to believe it.
		ds = dayState{Day: today, Trusted: o.trusted, Gen: 1}
	case !o.trusted:
		// Keep the day and the numbering; the ticket's own record says
		// its time was untrusted.
	case today == ds.Day:
		ds.Trusted, ds.UBoot, ds.UUptimeMS = true, "", 0
	case today < ds.Day && ds.Trusted:
		// A trusted clock behind a trusted day: the day never moves back.
		// Keep numbering; say so once per run.
		if !q.warned("clock.behind." + ds.Day) {
			q.log.Warn("trusted clock is behind the business day; keeping the day and its numbering", "clock_day", today, "business_day", ds.Day)
		}
		ds.UBoot, ds.UUptimeMS = "", 0
	case today < ds.Day:
		// The label came from an untrusted clock that ran ahead (only
		// possible on the very first start): correct the label, keep the
		// numbering, since nothing shows the day has changed.
		q.log.Info("business day corrected by the first trusted clock; numbering continues", "from", ds.Day, "to", today)
		ds = dayState{Day: today, Trusted: true, Gen: ds.Gen, Carried: ds.Carried}
	default: // today > ds.Day on a trusted clock: the date has really changed.
		if q.untrustedMayBeToday(ds, o, today) {
			// Tickets were issued with an untrusted clock that may
			// already have been today: a fresh A001 could repeat a
			// number a villager holds. Move the day, keep numbering.
			q.log.Info("new business day continues the numbering: tickets issued with an untrusted clock may belong to it",
				"from", ds.Day, "to", today)
			ds = dayState{Day: today, Trusted: true, Gen: ds.Gen, Carried: ds.Carried + 1}
			break
		}
		res, err := tx.ExecContext(ctx, "UPDATE tickets SET status = ? WHERE gen = ? AND status IN (?, ?)",
			StatusExpired, ds.Gen, StatusWaiting, StatusCalled)
		if err != nil {
			return ds, err
		}
		n, _ := res.RowsAffected()
		q.log.Info("new business day; numbering starts again", "from", ds.Day, "to", today, "expired_tickets", n)
		ds = dayState{Day: today, Trusted: true, Gen: ds.Gen + 1, Carried: ds.Carried}
	}
	if ds != before {
		if err := setMeta(ctx, tx, "day", ds); err != nil {
			return ds, err
		}
	}
	return ds, nil
}

// untrustedMayBeToday reports whether the newest ticket issued with an
// untrusted clock (since the last trusted observation) may have been issued
// on the date today. Within the same boot the monotonic uptime places it
// exactly; from another boot nothing can, so it may.
func (q *Queue) untrustedMayBeToday(ds dayState, o observation, today string) bool {
	if ds.UBoot == "" {
		return false
	}
	if ds.UBoot != o.boot {
		return true
	}
	at := o.now.Add(-(o.uptime - time.Duration(ds.UUptimeMS)*time.Millisecond))
	return q.date(at) >= today
}

// noteUntrusted records a ticket issued with an untrusted clock.
func (q *Queue) noteUntrusted(ctx context.Context, tx *sql.Tx, ds dayState, o observation) error {
	ds.UBoot, ds.UUptimeMS = o.boot, o.uptime.Milliseconds()
	return setMeta(ctx, tx, "day", ds)
}
