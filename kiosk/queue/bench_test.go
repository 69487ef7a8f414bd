package queue

import (
	"context"
	"slices"
	"testing"
	"time"
)

// BenchmarkIssue measures Issue with the store on disk (WAL,
// synchronous=FULL: every ticket is fsynced) and no network; it reports
// the p50 and p99 latency of single issues. Goal: p99 under 20 ms.
func BenchmarkIssue(b *testing.B) {
	benchIssue(b, 0)
}

// BenchmarkIssueBusyDay is the same with a day's history in the store
// (2,000 finished tickets and 100 waiting).
func BenchmarkIssueBusyDay(b *testing.B) {
	benchIssue(b, 2000)
}

func benchIssue(b *testing.B, history int) {
	ctx := context.Background()
	clk := newClock(at("2026-05-04", "09:00"), true)
	q, _ := openTest(b, clk)
	for i := range history + 100 {
		issue(b, q, string(rune('A'+i%4)))
		if i < history {
			tk, err := q.CallNext(ctx, "", 1+i%3)
			if err != nil {
				b.Fatal(err)
			}
			clk.advance(time.Minute)
			q.Serve(ctx, tk.ID)
		}
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if _, err := q.Issue(ctx, string(rune('A'+i%4))); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}
