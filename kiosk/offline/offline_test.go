package offline

import (
	"context"
	"testing"
	"time"
)

func TestTicketNumbersSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	q, err := OpenQueue(dir)
	if err != nil {
		t.Fatal(err)
	}
	q.now = func() time.Time { return time.Date(2025, 11, 27, 9, 0, 0, 0, time.Local) }
	a, _ := q.Issue(context.Background(), "consult")
	b, _ := q.Issue(context.Background(), "consult")
	q2, err := OpenQueue(dir)
	if err != nil {
		t.Fatal(err)
	}
	q2.now = func() time.Time { return time.Date(1970, 1, 1, 0, 5, 0, 0, time.Local) } // the clock was lost
	c, _ := q2.Issue(context.Background(), "consult")
	if a.Number != "A001" || b.Number != "A002" || c.Number != "A003" || c.ClockTrusted {
		t.Errorf("numbers %s %s %s (trusted %v)", a.Number, b.Number, c.Number, c.ClockTrusted)
	}
}

func TestOfflineBookingAwaitsConfirmation(t *testing.T) {
	b := NewBookings()
	b.now = func() time.Time { return time.Date(2025, 11, 27, 8, 0, 0, 0, time.Local) }
	slots := b.Slots("adviser-lin", time.Date(2025, 11, 27, 0, 0, 0, 0, time.Local))
	if len(slots) == 0 || slots[0].Start.Hour() != 9 {
		t.Fatalf("slots %v", slots)
	}
	got, err := b.Book(context.Background(), flowReq(slots[0]))
	if err != nil || got.Status != "pending" || len(got.Code) != 4 {
		t.Fatalf("book %+v %v", got, err)
	}
	if again := b.Slots("adviser-lin", slots[0].Start); len(again) != len(slots)-1 {
		t.Errorf("the booked slot is still offered")
	}
}
