package queue

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"lawpoint/device/wire"
)

func TestCategoriesDefaultUntilTheFleetSendsAList(t *testing.T) {
	ctx := context.Background()
	clk := newClock(at("2026-05-04", "09:00"), true)
	q, path := openTest(t, clk)
	if got := q.Categories(); !slices.Equal(got, DefaultCategories()) {
		t.Fatalf("categories before the fleet = %v, want the defaults", got)
	}
	bad := map[string][]Category{
		"empty list":       {},
		"duplicate prefix": {{"A", "法律咨询", "consultation"}, {"A", "法律援助", "legal_aid"}},
		"lowercase prefix": {{"a", "法律咨询", "consultation"}},
		"two letters":      {{"AB", "法律咨询", "consultation"}},
		"empty name":       {{"A", " ", "consultation"}},
		"no Chinese":       {{"A", "Legal advice", "consultation"}},
		"name too long":    {{"A", strings.Repeat("法", MaxCategoryName+1), "consultation"}},
		"unknown service":  {{"A", "法律咨询", "divorce"}},
	}
	for name, cs := range bad {
		err := q.SetCategories(ctx, cs)
		if !errors.Is(err, ErrInvalidCategories) {
			t.Errorf("%s: SetCategories = %v, want ErrInvalidCategories", name, err)
		}
	}
	if got := q.Categories(); !slices.Equal(got, DefaultCategories()) {
		t.Fatalf("a refused list changed the categories: %v", got)
	}
	fleet := []Category{{"A", "法律咨询", "consultation"}, {"E", "司法鉴定", "appraisal"}}
	if err := q.SetCategories(ctx, fleet); err != nil {
		t.Fatal(err)
	}
	q = reopen(t, q, path, clk)
	if got := q.Categories(); !slices.Equal(got, fleet) {
		t.Fatalf("after a restart without the fleet, categories = %v, want the fleet's %v", got, fleet)
	}
	if _, err := q.Issue(ctx, "B"); !errors.Is(err, ErrUnknownCategory) {
		t.Fatalf("issuing for a category the fleet removed: %v, want ErrUnknownCategory", err)
	}
	if tk := issue(t, q, "E"); tk.Number != "E001" || tk.Name != "司法鉴定" {
		t.Fatalf("new category ticket = %s %s", tk.Number, tk.Name)
	}
}

func TestIssueNumbersRunPerCategoryAndSurviveARestart(t *testing.T) {
	clk := newClock(at("2026-05-04", "09:00"), true)
	q, path := openTest(t, clk)
	got := numbers(issue(t, q, "A"), issue(t, q, "A"), issue(t, q, "B"), issue(t, q, "A"))
	if want := []string{"A001", "A002", "B001", "A003"}; !slices.Equal(got, want) {
		t.Fatalf("numbers = %v, want %v", got, want)
	}
	q = reopen(t, q, path, clk)
	tk := issue(t, q, "A")
	if tk.Number != "A004" {
		t.Fatalf("after a restart the next A is %s, want A004", tk.Number)
	}
	if tk.Ahead != 3 || tk.Wait != 3*4*time.Minute {
		t.Fatalf("A004: ahead %d, wait %v; want 3 ahead and 3 x the default 4 min", tk.Ahead, tk.Wait)
	}
	if !tk.ClockTrusted || !tk.IssuedAt.Equal(at("2026-05-04", "09:00")) || tk.Day != "2026-05-04" || tk.ID == "" {
		t.Fatalf("ticket fields: %+v", tk)
	}
	b := issue(t, q, "B")
	if b.Number != "B002" || b.Ahead != 1 {
		t.Fatalf("B: %s with %d ahead, want B002 with 1", b.Number, b.Ahead)
	}
	got2, err := q.Lookup(context.Background(), tk.ID)
	if err != nil || got2.Number != "A004" || got2.Ahead != 3 {
		t.Fatalf("Lookup = %+v, %v", got2, err)
	}
}

func TestEstimatedWaitAveragesTodaysLastServices(t *testing.T) {
	ctx := context.Background()
	clk := newClock(at("2026-05-04", "09:00"), true)
	q, _ := openTest(t, clk)
	q.cfg.AverageOf = 3
	// Six A services of 1..6 minutes; the last three average 5 minutes.
	for i := 1; i <= 6; i++ {
		issue(t, q, "A")
		tk, err := q.CallNext(ctx, "A", 1)
		if err != nil {
			t.Fatal(err)
		}
		clk.advance(time.Duration(i) * time.Minute)
		if _, err := q.Serve(ctx, tk.ID); err != nil {
			t.Fatal(err)
		}
	}
	issue(t, q, "A")
	issue(t, q, "A")
	tk := issue(t, q, "A")
	if tk.Ahead != 2 || tk.Wait != 10*time.Minute {
		t.Fatalf("wait = %v with %d ahead, want 10m0s (2 x the 5 min average)", tk.Wait, tk.Ahead)
	}
	if b := issue(t, q, "B"); b.Ahead != 0 || b.Wait != 0 {
		t.Fatalf("first B: %d ahead, wait %v", b.Ahead, b.Wait)
	}
	b := issue(t, q, "B")
	if b.Wait != 4*time.Minute {
		t.Fatalf("B with no service today waits %v, want the default 4m", b.Wait)
	}
}

func TestEveryChangeIsAnEventTheFleetAccepts(t *testing.T) {
	ctx := context.Background()
	clk := newClock(at("2026-05-04", "09:00"), true)
	q, _ := openTest(t, clk)
	a := issue(t, q, "A")
	issue(t, q, "A")
	if _, err := q.CallNext(ctx, "", 2); err != nil {
		t.Fatal(err)
	}
	q.Recall(ctx, a.ID)
	clk.advance(90 * time.Second)
	q.Serve(ctx, a.ID)
	b, _ := q.CallNext(ctx, "A", 2)
	q.Transfer(ctx, b.ID, "C")
	c, _ := q.CallNext(ctx, "C", 3)
	q.NoShow(ctx, c.ID)

	evs, err := q.Events(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	keys := map[string]bool{}
	for i, e := range evs {
		kinds = append(kinds, string(e.Kind))
		if keys[e.Key] {
			t.Errorf("idempotency key %s used twice", e.Key)
		}
		keys[e.Key] = true
		if e.Local != (e.Kind == EventTicketTransferred) {
			t.Errorf("event %s: local = %v", e.Kind, e.Local)
		}
		if e.Local {
			continue
		}
		we := wire.Event{Seq: uint64(i + 1), Type: e.Kind, At: e.At, ClockTrusted: e.ClockTrusted, BootID: "b", Data: e.Data}
		d, err := we.DecodeData()
		if err != nil {
			t.Errorf("the fleet would reject %s %s: %v", e.Kind, e.Data, err)
			continue
		}
		if e.Kind == wire.EventTicketServed && d.(*wire.TicketData).ServiceS != 90 {
			t.Errorf("served event service_s = %d, want 90", d.(*wire.TicketData).ServiceS)
		}
	}
	want := []string{"ticket.issued", "ticket.issued", "ticket.called", "ticket.called", "ticket.served",
		"ticket.called", "ticket.transferred", "ticket.called", "ticket.no_show"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("events = %v\nwant     %v", kinds, want)
	}
	var d TransferData
	json.Unmarshal(evs[6].Data, &d)
	if d.Ticket != "A002" || d.Service != "mediation" || d.FromService != "consultation" {
		t.Fatalf("transfer event data = %+v", d)
	}
}

// recorder is an agent outbox that can be made to fail.
type recorder struct {
	got  []string
	fail bool
}

func (r *recorder) Record(ctx context.Context, kind string, data any) error {
	if r.fail {
		return errors.New("disk full")
	}
	d := data.(wire.TicketData)
	r.got = append(r.got, kind+" "+d.Ticket)
	return nil
}

func TestForwardHandsEventsToTheAgentOnceInOrder(t *testing.T) {
	ctx := context.Background()
	clk := newClock(at("2026-05-04", "09:00"), false)
	q, _ := openTest(t, clk)
	a := issue(t, q, "A")
	out := &recorder{fail: true}
	if err := q.Forward(ctx, out); err == nil {
		t.Fatal("a failing agent outbox was not reported")
	}
	q.CallNext(ctx, "", 1)
	q.Transfer(ctx, a.ID, "B")
	out.fail = false
	if err := q.Forward(ctx, out); err != nil {
		t.Fatal(err)
	}
	if err := q.Forward(ctx, out); err != nil {
		t.Fatal(err)
	}
	want := []string{"ticket.issued A001", "ticket.called A001"}
	if !slices.Equal(out.got, want) {
		t.Fatalf("agent got %v, want %v (each once, transfers kept locally)", out.got, want)
	}
}

// chanOutbox passes each event to the test.
type chanOutbox chan string

func (c chanOutbox) Record(ctx context.Context, kind string, data any) error {
	c <- kind + " " + data.(wire.TicketData).Ticket
	return nil
}

func TestRunHandsNewEventsOverWithoutBeingAsked(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	clk := newClock(at("2026-05-04", "09:00"), true)
	q, _ := openTest(t, clk)
	out := make(chanOutbox, 16)
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx, out) }()
	issue(t, q, "B")
	if got := <-out; got != "ticket.issued B001" {
		t.Fatalf("agent got %q", got)
	}
	q.CallNext(ctx, "", 4)
	if got := <-out; got != "ticket.called B001" {
		t.Fatalf("agent got %q", got)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
}
