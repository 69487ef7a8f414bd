package queue

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestCallNextTakesTheOldestTicket(t *testing.T) {
	ctx := context.Background()
	clk := newClock(at("2026-05-04", "09:00"), true)
	q, _ := openTest(t, clk)
	if _, err := q.CallNext(ctx, "", 1); !errors.Is(err, ErrEmpty) {
		t.Fatalf("calling with nobody waiting: %v, want ErrEmpty", err)
	}
	if _, err := q.CallNext(ctx, "", 0); !errors.Is(err, ErrWindow) {
		t.Fatalf("window 0: %v, want ErrWindow", err)
	}
	issue(t, q, "B")
	issue(t, q, "A")
	issue(t, q, "B")
	got, err := q.CallNext(ctx, "", 1)
	if err != nil || got.Number != "B001" || got.Window != 1 || got.Status != StatusCalled {
		t.Fatalf("call next (all) = %+v, %v; want B001 at window 1", got, err)
	}
	got, _ = q.CallNext(ctx, "A", 2)
	if got.Number != "A001" {
		t.Fatalf("call next A = %s, want A001", got.Number)
	}
	if _, err := q.CallNext(ctx, "A", 2); !errors.Is(err, ErrEmpty) {
		t.Fatalf("no A left: %v, want ErrEmpty", err)
	}
	// 叫下一位 at window 2 finished A001 even though no A was waiting.
	if a, _ := q.Lookup(ctx, got.ID); a.Status != StatusServed {
		t.Fatalf("A001 after the next call at its window: %s, want served", a.Status)
	}
	calls, _ := q.Calls(ctx)
	if len(calls) != 1 || calls[0].Text() != "请 B001 号到 1 号窗口" {
		t.Fatalf("open calls = %+v", calls)
	}
}

func TestCallsAreAnnouncedAndRecallChimesAgain(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk := newClock(at("2026-05-04", "09:00"), true)
	q, _ := openTest(t, clk)
	notes := q.Watch(ctx)
	next := func(kind NoticeKind) Notice {
		t.Helper()
		// Notices are sent before the change returns: they are waiting.
		for {
			select {
			case n := <-notes:
				if n.Kind == kind {
					return n
				}
			default:
				t.Fatalf("no %s notice", kind)
				return Notice{}
			}
		}
	}
	issue(t, q, "A")
	issue(t, q, "A")
	issue(t, q, "A")
	q.CallNext(ctx, "", 1)
	first := next(NoticeCalled)
	tk, _ := q.CallNext(ctx, "", 1)
	n := next(NoticeCalled)
	if n.Call.Text() != "请 A002 号到 1 号窗口" || n.Call.Seq <= first.Call.Seq {
		t.Fatalf("second call notice = %+v (first %+v)", n.Call, first.Call)
	}
	if _, err := q.Recall(ctx, tk.ID); err != nil {
		t.Fatal(err)
	}
	r := next(NoticeCalled)
	if r.Call.Ticket != "A002" || r.Call.Seq <= n.Call.Seq {
		t.Fatalf("recall notice = %+v; want A002 with a newer Seq than %d", r.Call, n.Call.Seq)
	}
	cur, ok, _ := q.Current(ctx)
	if !ok || cur.Text() != "请 A002 号到 1 号窗口" || cur.Seq != r.Call.Seq {
		t.Fatalf("current call = %+v, %v", cur, ok)
	}
	q.CallNext(ctx, "", 3)
	if cur, _, _ := q.Current(ctx); cur.Text() != "请 A003 号到 3 号窗口" {
		t.Fatalf("current call after window 3 called = %q", cur.Text())
	}
}

func TestServeNoShowAndWrongStates(t *testing.T) {
	ctx := context.Background()
	clk := newClock(at("2026-05-04", "09:00"), true)
	q, _ := openTest(t, clk)
	a := issue(t, q, "A")
	if _, err := q.Serve(ctx, a.ID); !errors.Is(err, ErrState) {
		t.Fatalf("serving a ticket never called: %v, want ErrState", err)
	}
	if _, err := q.Serve(ctx, "nope"); !errors.Is(err, ErrNoTicket) {
		t.Fatalf("serving an unknown ticket: %v, want ErrNoTicket", err)
	}
	q.CallNext(ctx, "", 1)
	if got, err := q.NoShow(ctx, a.ID); err != nil || got.Status != StatusNoShow {
		t.Fatalf("no-show: %+v, %v", got, err)
	}
	if _, err := q.Serve(ctx, a.ID); !errors.Is(err, ErrState) {
		t.Fatalf("serving a no-show: %v, want ErrState", err)
	}
	if _, err := q.Recall(ctx, a.ID); !errors.Is(err, ErrState) {
		t.Fatalf("recalling a no-show: %v, want ErrState", err)
	}
	if _, ok, _ := q.Current(ctx); ok {
		t.Fatal("a no-show is still shown as called")
	}
}

func TestTransferKeepsTheNumberAndThePlaceByIssue(t *testing.T) {
	ctx := context.Background()
	clk := newClock(at("2026-05-04", "09:00"), true)
	q, _ := openTest(t, clk)
	a := issue(t, q, "A")
	clk.advance(time.Minute)
	issue(t, q, "B")
	issue(t, q, "B")
	q.CallNext(ctx, "A", 1)
	moved, err := q.Transfer(ctx, a.ID, "B")
	if err != nil {
		t.Fatal(err)
	}
	if moved.Number != "A001" || moved.Category != "B" || moved.Name != "法律援助" || moved.Ahead != 0 || moved.Status != StatusWaiting {
		t.Fatalf("transferred ticket = %+v; want A001 waiting first for 法律援助", moved)
	}
	if _, err := q.Transfer(ctx, a.ID, "B"); !errors.Is(err, ErrState) {
		t.Fatalf("transfer to the same category: %v, want ErrState", err)
	}
	if _, err := q.Transfer(ctx, a.ID, "Z"); !errors.Is(err, ErrUnknownCategory) {
		t.Fatalf("transfer to Z: %v, want ErrUnknownCategory", err)
	}
	got, _ := q.CallNext(ctx, "B", 2)
	if got.Number != "A001" || got.Window != 2 {
		t.Fatalf("first B call = %s at %d, want A001 (issued before B001) at 2", got.Number, got.Window)
	}
	snap, _ := q.Snapshot(ctx)
	if w := snap.Queues[1]; w.Category.Prefix != "B" || len(w.Tickets) != 2 || w.Tickets[1].Ahead != 1 {
		t.Fatalf("B queue = %+v", w)
	}
}

func TestRemovedCategoryTicketsCanStillBeCalled(t *testing.T) {
	ctx := context.Background()
	clk := newClock(at("2026-05-04", "09:00"), true)
	q, _ := openTest(t, clk)
	issue(t, q, "D")
	if err := q.SetCategories(ctx, []Category{{"A", "法律咨询", "consultation"}}); err != nil {
		t.Fatal(err)
	}
	snap, _ := q.Snapshot(ctx)
	last := snap.Queues[len(snap.Queues)-1]
	if last.Offered || last.Category.Name != "公证咨询" || len(last.Tickets) != 1 {
		t.Fatalf("removed category's queue = %+v", last)
	}
	if got, err := q.CallNext(ctx, "", 1); err != nil || got.Number != "D001" {
		t.Fatalf("call next = %+v, %v", got, err)
	}
}
