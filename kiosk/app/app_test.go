package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"lawpoint/device"
	"lawpoint/device/cache"
	"lawpoint/device/wire"
	"lawpoint/kiosk/flow"
	"lawpoint/kiosk/printer"
	"lawpoint/kiosk/queue"
)

// fakeAgent keeps what RecordOnce stored, once per key, as the agent does.
type fakeAgent struct {
	mu     sync.Mutex
	keys   []string
	events map[string]wire.Event
	calls  int
}

func (f *fakeAgent) ID() string          { return "kiosk-test" }
func (f *fakeAgent) Content() *cache.Set { return nil }
func (f *fakeAgent) RecordOnce(_ context.Context, key string, typ wire.EventType, data any) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.events == nil {
		f.events = map[string]wire.Event{}
	}
	if _, ok := f.events[key]; !ok {
		raw, _ := json.Marshal(data)
		f.events[key] = wire.Event{Type: typ, Data: raw}
		f.keys = append(f.keys, key)
	}
	return uint64(len(f.keys)), nil
}

func (f *fakeAgent) ofType(typ wire.EventType) []wire.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []wire.Event
	for _, k := range f.keys {
		if f.events[k].Type == typ {
			out = append(out, f.events[k])
		}
	}
	return out
}

func openTest(t *testing.T, cfg Config) *App {
	t.Helper()
	a, err := Open(context.Background(), Options{Dir: t.TempDir(), Config: cfg,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), NTP: func(context.Context) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func TestQueueEventsGoToTheAgentUnderTheQueuesKeys(t *testing.T) {
	a := openTest(t, Config{})
	ctx := context.Background()
	ag := &fakeAgent{}
	a.setAgent(ag, nil)
	for range 3 {
		if _, err := a.Services().Queue.Issue(ctx, "A"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Queue().CallNext(ctx, "", 1); err != nil {
		t.Fatal(err)
	}
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	evs, _ := a.Queue().Events(ctx, 0, 0)
	if len(ag.keys) != len(evs) || len(evs) != 4 {
		t.Fatalf("agent got keys %v for queue events %v", ag.keys, evs)
	}
	for i, e := range evs {
		if ag.keys[i] != e.Key || !e.Forwarded {
			t.Errorf("event %d: agent key %q, queue key %q forwarded %v", i, ag.keys[i], e.Key, e.Forwarded)
		}
	}
	// The same hand-over again (a crash before the queue marked it) adds nothing.
	for _, e := range evs {
		var d wire.TicketData
		json.Unmarshal(e.Data, &d)
		a.outbox.Record(ctx, string(e.Kind), d) // the oldest pending is gone: refused, or…
		ag.RecordOnce(ctx, e.Key, e.Kind, d)    // …the agent dedupes by key
	}
	if len(ag.keys) != 4 {
		t.Fatalf("after a replay the agent holds %d events; want 4", len(ag.keys))
	}
}

func TestPrinterFaultShownAndReportedOnce(t *testing.T) {
	a := openTest(t, Config{Point: "坝下村法律服务联系点"})
	ctx := context.Background()
	ag := &fakeAgent{}
	a.setAgent(ag, nil)
	v, _ := printer.VirtualOf(a.Printer())
	v.Set(printer.Condition{PaperOut: true})
	svc := a.Services()
	tk, err := svc.Queue.Issue(ctx, "A")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		err = svc.Printer.PrintTicket(ctx, tk)
		if got := flow.UserMessage(err, ""); got != "打印机缺纸，请联系工作人员" {
			t.Fatalf("UserMessage(%v) = %q", err, got)
		}
	}
	if p := a.psvc.Part(); p.Status != wire.PrinterPaperOut {
		t.Fatalf("printer part %+v, want paper_out", p)
	}
	v.Set(printer.Condition{})
	if err := svc.Printer.PrintTicket(ctx, tk); err != nil {
		t.Fatal(err)
	}
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	faults := ag.ofType(wire.EventFault)
	if len(faults) != 2 {
		t.Fatalf("fault events %d, want one raised (three failures in an hour) and one cleared", len(faults))
	}
	var raised, cleared wire.FaultData
	json.Unmarshal(faults[0].Data, &raised)
	json.Unmarshal(faults[1].Data, &cleared)
	if raised.Code != "printer.paper_out" || raised.Cleared || cleared.Code != "printer.paper_out" || !cleared.Cleared {
		t.Fatalf("faults %+v then %+v", raised, cleared)
	}
	if rs := v.Receipts(); len(rs) != 1 || !strings.Contains(strings.Join(rs[0].Texts(), ""), tk.Number) {
		t.Fatalf("receipts %v: want the one printed after the paper came back", rs)
	}
}

func TestRatingLinkedToTicket(t *testing.T) {
	a := openTest(t, Config{})
	ctx := context.Background()
	ag := &fakeAgent{}
	a.setAgent(ag, nil)
	tk, err := a.Services().Queue.Issue(ctx, "B")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Services().Ratings.Rate(ctx, flow.Rating{Score: 1, Reasons: []string{"等得太久", "没听明白"}, TicketID: tk.ID}); err != nil {
		t.Fatal(err)
	}
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	rs := ag.ofType(wire.EventRating)
	if len(rs) != 1 {
		t.Fatalf("%d rating events", len(rs))
	}
	var d wire.RatingData
	json.Unmarshal(rs[0].Data, &d)
	if d.Score != 2 || d.Ticket != tk.Number || d.Service != wire.ServiceLegalAid || strings.Join(d.Tags, ",") != "long_wait,unclear" {
		t.Fatalf("rating %+v", d)
	}
}

// A booking with the fleet unreachable is kept (待确认) with one UUID as the
// event's request_id and key; the fleet is then asked with that same key.
func TestBookingPendingThenResolvedWithTheSameKey(t *testing.T) {
	var mu sync.Mutex
	var keys []string
	up := false
	fleet := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		var req wire.BookRequest
		json.NewDecoder(r.Body).Decode(&req)
		keys = append(keys, req.IdempotencyKey)
		if !up {
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		if user, pass, _ := r.BasicAuth(); user != "kiosk-test" || pass != "pw" || req.Phone != "13812345678" {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
		json.NewEncoder(w).Encode(wire.KioskBooking{Code: "K7M2QX", Status: "confirmed", SlotStart: req.SlotStart,
			SlotEnd: req.SlotStart.Add(30 * time.Minute), Phone: "138****5678", MeetingURL: "https://meet.example/x", Replayed: true})
	}))
	defer fleet.Close()
	a := openTest(t, Config{FleetURL: fleet.URL})
	ctx := context.Background()
	ag := &fakeAgent{}
	api, err := newFleetAPI(device.Credentials{DeviceID: "kiosk-test", Password: "pw", FleetURL: fleet.URL})
	if err != nil {
		t.Fatal(err)
	}
	a.setAgent(ag, api)
	var outcomes []Outcome
	a.opts.Outcome = func(o Outcome) { outcomes = append(outcomes, o) }

	start := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	b, err := a.Services().Bookings.Book(ctx, flow.BookingRequest{Service: "法律咨询", AdviserID: "lin", Phone: "13812345678",
		Slot: flow.Slot{Start: start, End: start.Add(30 * time.Minute)}})
	if err != nil || b.Status != flow.BookingPending || b.Code == "" {
		t.Fatalf("booking %+v, %v: want pending with a reference", b, err)
	}
	if err := a.forward(ctx); err != nil {
		t.Fatal(err)
	}
	reqs := ag.ofType(wire.EventBookingRequested)
	if len(reqs) != 1 {
		t.Fatalf("%d booking.requested events", len(reqs))
	}
	var d wire.BookingData
	json.Unmarshal(reqs[0].Data, &d)
	if ag.keys[0] != d.RequestID || d.Service != "consultation" || d.Contact.Phone != "13812345678" || !d.SlotStart.Equal(start) {
		t.Fatalf("event key %q data %+v", ag.keys[0], d)
	}
	mu.Lock()
	up = true
	mu.Unlock()
	if err := a.bookings.resolve(ctx); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0] != d.RequestID || keys[1] != d.RequestID {
		t.Fatalf("fleet asked with keys %v; want the event's request_id %s", keys, d.RequestID)
	}
	if len(outcomes) != 1 || outcomes[0].Booking.Status != flow.BookingConfirmed || outcomes[0].Booking.Code != "K7M2QX" || outcomes[0].Ref != b.Code {
		t.Fatalf("outcomes %+v", outcomes)
	}
	r, err := a.store.requestByCode(ctx, "K7M2QX")
	if err != nil || r.Status != reqConfirmed || r.Phone != "138****5678" {
		t.Fatalf("kept request %+v, %v: want confirmed with the phone masked", r, err)
	}
	if err := a.bookings.resolve(ctx); err != nil || len(outcomes) != 1 {
		t.Fatalf("a resolved request was asked about again: %v, %d outcomes", err, len(outcomes))
	}
}

func TestNoFleetOffersDemoAdvisersAndKeepsBookings(t *testing.T) {
	a := openTest(t, Config{})
	ads := a.Services().Bookings.Advisers("法律咨询")
	if len(ads) == 0 {
		t.Fatal("no advisers without a fleet; want the demonstration advisers")
	}
	if info := a.Services().Info.Info(); info.PointName == "" || info.Hotline != "12348" {
		t.Fatalf("info %+v", info)
	}
	if len(a.Services().Content.Articles()) == 0 {
		t.Fatal("no articles without a content set; want the demonstration articles")
	}
}

func TestAnnouncement(t *testing.T) {
	if got := Announcement(queueCall("A003", 1)); got != "请A零零三号到1号窗口" {
		t.Fatalf("Announcement = %q", got)
	}
}

func queueCall(number string, window int) queue.Call {
	return queue.Call{Ticket: number, Window: window}
}
