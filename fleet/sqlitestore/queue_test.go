package sqlitestore

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"lawpoint/content"
	"lawpoint/device/wire"
	"lawpoint/fleet"
)

// ticketEvent is a stored event as Ingest makes it from a kiosk's batch.
func ticketEvent(t *testing.T, device string, seq uint64, typ wire.EventType, d wire.TicketData) fleet.Event {
	t.Helper()
	data, _ := json.Marshal(d)
	e := wire.Event{Seq: seq, Type: typ, At: t0, ClockTrusted: true, BootID: "boot-1", UptimeMS: seq * 1000, Data: data}
	raw, _ := json.Marshal(e)
	return fleet.Event{DeviceID: device, Key: wire.EventID(device, seq), Type: string(typ), Payload: raw,
		Occurred: t0, Received: t0, DeviceSeq: seq, Fingerprint: e.Fingerprint()}
}

func TestTicketEventsOfOneKioskAndDay(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	for _, d := range []fleet.Device{dev("kiosk-baxia", "仙游县/榜头镇/坝下村", fleet.KindKiosk), dev("kiosk-yunju", "仙游县/度尾镇/云居村", fleet.KindKiosk)} {
		if err := s.CreateDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	day, other := "2026-11-27", "2026-11-26"
	td := func(n, svc, day, counter string) wire.TicketData {
		return wire.TicketData{Ticket: n, Service: svc, Day: day, Counter: counter}
	}
	// Stored in two batches, the second arriving first (batches in
	// flight at once): the kiosk's order is its sequence numbers.
	second := []fleet.Event{
		ticketEvent(t, "kiosk-baxia", 4, wire.EventTicketCalled, td("A001", "consultation", day, "1")),
		ticketEvent(t, "kiosk-baxia", 5, wire.EventTicketIssued, td("A003", "consultation", day, "")),
	}
	first := []fleet.Event{
		ticketEvent(t, "kiosk-baxia", 1, wire.EventTicketIssued, td("A001", "consultation", day, "")),
		ticketEvent(t, "kiosk-baxia", 2, wire.EventTicketIssued, td("A001", "consultation", other, "")),
		ticketEvent(t, "kiosk-baxia", 3, wire.EventTicketIssued, td("A002", "consultation", day, "")),
	}
	for _, b := range [][]fleet.Event{second, first} {
		if _, _, err := s.AddEventBatch(ctx, "kiosk-baxia", b); err != nil {
			t.Fatal(err)
		}
	}
	// Another kiosk's tickets of the same day, a rating, and an event
	// whose payload is not JSON (AddEvents stores what it is given) stay
	// out, and the last one does not break the index.
	if _, _, err := s.AddEventBatch(ctx, "kiosk-yunju", []fleet.Event{ticketEvent(t, "kiosk-yunju", 1, wire.EventTicketIssued, td("A001", "mediation", day, ""))}); err != nil {
		t.Fatal(err)
	}
	rating, _ := json.Marshal(wire.Event{Seq: 6, Type: wire.EventRating, At: t0, BootID: "b", Data: json.RawMessage(`{"service":"consultation","score":5,"day":"` + day + `"}`)})
	if _, err := s.AddEvents(ctx, []fleet.Event{
		{DeviceID: "kiosk-baxia", Key: "kiosk-baxia:6", Type: string(wire.EventRating), Payload: rating, Occurred: t0, Received: t0},
		{DeviceID: "kiosk-baxia", Key: "junk", Type: string(wire.EventTicketIssued), Payload: []byte("not json"), Occurred: t0, Received: t0},
	}); err != nil {
		t.Fatalf("an unreadable ticket payload cannot be stored: %v", err)
	}

	evs, err := s.TicketEvents(ctx, "kiosk-baxia", day)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, fmt.Sprintf("%s %s %s", e.Type, e.Data.Ticket, e.Data.Counter))
	}
	want := []string{"ticket.issued A001 ", "ticket.issued A002 ", "ticket.called A001 1", "ticket.issued A003 "}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("ticket events %q, want %q", got, want)
	}
	if evs, err := s.TicketEvents(ctx, "kiosk-baxia", "2026-11-28"); err != nil || len(evs) != 0 {
		t.Fatalf("a day without tickets: %v %v", evs, err)
	}
	st, ok := fleet.TicketStatusOf(evs, "A003")
	if !ok || st.State != fleet.TicketWaiting || st.Ahead != 1 {
		t.Fatalf("A003: %+v %v; want waiting behind A002", st, ok)
	}
}

func TestTicketEventsUseTheIndex(t *testing.T) {
	s := open(t)
	rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+ticketEventsQuery, "kiosk-baxia", "2026-11-27")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	p := strings.Join(plan, "; ")
	if !strings.Contains(p, "USING INDEX events_ticket_day") || strings.Contains(p, "SCAN events") {
		t.Fatalf("the ticket query does not search events_ticket_day: %s", p)
	}
}

func TestDropOldVersionsKeepsTheNewest(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	for i := 1; i <= 3; i++ {
		_, rev, err := s.ContentSet(ctx)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(content.Notice{ID: "call-1", Text: fmt.Sprintf("请 A00%d 号到 1 号窗口", i), Regions: []string{"仙游县"},
			Start: t0, Expiry: t0.Add(60e9)})
		if _, err := s.PutContent(ctx, rev, []fleet.ContentRecord{{Kind: fleet.RecordNotice, ID: "call-1", Body: body, Created: t0}}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.DropOldVersions(ctx, fleet.RecordNotice, "call-1")
	if err != nil || n != 2 {
		t.Fatalf("dropped %d, %v; want the 2 older versions", n, err)
	}
	set, rev, err := s.ContentSet(ctx)
	if err != nil || len(set.Notices) != 1 || set.Notices[0].Text != "请 A003 号到 1 号窗口" {
		t.Fatalf("after the drop: %+v %v", set.Notices, err)
	}
	// The next version follows the newest.
	body, _ := json.Marshal(content.Notice{ID: "call-1", Text: "请 A004 号到 1 号窗口", Regions: []string{"仙游县"}, Start: t0, Expiry: t0.Add(60e9)})
	if _, err := s.PutContent(ctx, rev, []fleet.ContentRecord{{Kind: fleet.RecordNotice, ID: "call-1", Body: body, Created: t0}}); err != nil {
		t.Fatal(err)
	}
	if h, err := s.ContentHistory(ctx, fleet.RecordNotice, "call-1"); err != nil || len(h) != 2 || h[1].Version != 4 {
		t.Fatalf("history %+v %v", h, err)
	}
}
