package fleet

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"lawpoint/device/wire"
)

// BandMinutes is the width of the waiting and service time bands.
const BandMinutes = 3

// Bands is how many bands a distribution has: 0–3, 3–6, … 57–60 minutes,
// and a last one for 60 minutes or more.
const Bands = 21

// DayFigures are one contact point's figures for one day.
type DayFigures struct {
	Day          string `json:"day"`
	ContactPoint string `json:"contact_point"`
	Region       string `json:"region"`
	// TicketsIssued, Served and NoShows count queue tickets of the day.
	TicketsIssued int `json:"tickets_issued"`
	Served        int `json:"served"`
	NoShows       int `json:"no_shows"`
	// WaitBands[i] counts tickets whose wait (issue to first call, both on
	// a trusted clock) was in [3i, 3i+3) minutes; the last band is 60+.
	WaitBands []int `json:"wait_bands"`
	// WaitUnknown counts called tickets whose wait is unknown (a clock
	// that was not trusted).
	WaitUnknown int `json:"wait_unknown"`
	// ServiceBands[i] counts services (call to 完成) of [3i, 3i+3) minutes.
	ServiceBands []int `json:"service_bands"`
	// Bookings count consultations booked for that day at the point's
	// kiosks (confirmed), and those cancelled.
	Bookings          int `json:"bookings"`
	BookingsCancelled int `json:"bookings_cancelled"`
	// Ratings[s-1] counts ratings with score s (1..5).
	Ratings       []int   `json:"ratings"`
	RatingAverage float64 `json:"rating_average"` // 0 when there are none
}

// FiguresQuery selects figures: local days From..To inclusive
// (YYYY-MM-DD) and a region prefix.
type FiguresQuery struct {
	From, To string
	Region   string
}

// Band returns the band index of a duration.
func Band(d time.Duration) int {
	if d < 0 {
		d = 0
	}
	return min(int(d/(BandMinutes*time.Minute)), Bands-1)
}

// Figures computes the daily figures per contact point, ordered by day
// then contact point. Device events are projected first, so the figures
// include everything stored.
func (b *Bookings) Figures(ctx context.Context, q FiguresQuery) ([]DayFigures, error) {
	from, err1 := time.Parse(time.DateOnly, q.From)
	to, err2 := time.Parse(time.DateOnly, q.To)
	switch {
	case err1 != nil:
		return nil, invalidField("from", "give a date YYYY-MM-DD", "开始日期须为“2026-05-04”形式")
	case err2 != nil:
		return nil, invalidField("to", "give a date YYYY-MM-DD", "结束日期须为“2026-05-04”形式")
	case to.Before(from):
		return nil, invalidField("to", "is before from", "结束日期早于开始日期")
	case to.Sub(from) > 400*24*time.Hour:
		return nil, invalidField("to", "ask for at most 400 days at a time", "一次最多查询400天")
	}
	if q.Region != "" {
		if q.Region, err1 = NormalizeRegion(q.Region); err1 != nil {
			return nil, invalidField("region", "is not a region path like 仙游县/榜头镇", "区域须为“县/镇/村”形式")
		}
	}
	if err := b.CatchUp(ctx); err != nil {
		return nil, err
	}
	type key struct{ day, cp string }
	m := map[key]*DayFigures{}
	get := func(day, cp, region string) *DayFigures {
		k := key{day, cp}
		f := m[k]
		if f == nil {
			f = &DayFigures{Day: day, ContactPoint: cp, Region: region, WaitBands: make([]int, Bands),
				ServiceBands: make([]int, Bands), Ratings: make([]int, 5)}
			m[k] = f
		}
		return f
	}
	in := func(region string) bool { return RegionWithin(region, q.Region) }
	err := b.store.ScanTickets(ctx, q.From, q.To, func(t TicketRow) error {
		if !in(t.Region) {
			return nil
		}
		f := get(t.Day, t.ContactPoint, t.Region)
		if t.Issued {
			f.TicketsIssued++
		}
		if t.Served {
			f.Served++
			if t.ServiceS >= 0 {
				f.ServiceBands[Band(time.Duration(t.ServiceS)*time.Second)]++
			}
		}
		if t.NoShow {
			f.NoShows++
		}
		switch {
		case !t.IssuedAt.IsZero() && !t.CalledAt.IsZero():
			f.WaitBands[Band(t.CalledAt.Sub(t.IssuedAt))]++
		case t.Served || t.NoShow || !t.CalledAt.IsZero():
			f.WaitUnknown++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("figures: tickets: %w", err)
	}
	err = b.store.ScanRatings(ctx, q.From, q.To, func(r RatingRow) error {
		if in(r.Region) {
			get(r.Day, r.ContactPoint, r.Region).Ratings[r.Score-1]++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("figures: ratings: %w", err)
	}
	loc := shanghai()
	start := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc)
	end := time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, 1)
	err = b.store.BookingRead(ctx, func(tx BookingTx) error {
		bs, err := tx.Bookings(BookingFilter{From: start, To: end, Region: q.Region})
		if err != nil {
			return err
		}
		for _, bk := range bs {
			cp := bk.ContactPoint
			if cp == "" {
				cp = bk.DeviceID
			}
			f := get(bk.SlotStart.In(loc).Format(time.DateOnly), cp, bk.Region)
			if bk.Status == wire.BookingConfirmed {
				f.Bookings++
			} else {
				f.BookingsCancelled++
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("figures: bookings: %w", err)
	}
	out := make([]DayFigures, 0, len(m))
	for _, f := range m {
		n, sum := 0, 0
		for i, c := range f.Ratings {
			n += c
			sum += c * (i + 1)
		}
		if n > 0 {
			f.RatingAverage = math.Round(float64(sum)/float64(n)*100) / 100
		}
		out = append(out, *f)
	}
	slices.SortFunc(out, func(x, y DayFigures) int {
		if x.Day != y.Day {
			if x.Day < y.Day {
				return -1
			}
			return 1
		}
		switch {
		case x.ContactPoint < y.ContactPoint:
			return -1
		case x.ContactPoint > y.ContactPoint:
			return 1
		}
		return 0
	})
	return out, nil
}
