package fleet_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet"
	"lawpoint/fleet/sqlitestore"
)

func tev(typ wire.EventType, n, svc, counter string) fleet.TicketEvent {
	return fleet.TicketEvent{Type: typ, Data: wire.TicketData{Ticket: n, Service: svc, Day: "2026-11-27", Counter: counter}}
}

// What a villager holding a ticket reads on its status page, from the
// kiosk's events in the order it recorded them.
func TestTicketStatusFromTheKiosksEvents(t *testing.T) {
	evs := []fleet.TicketEvent{
		tev(wire.EventTicketIssued, "A001", "consultation", ""),
		tev(wire.EventTicketIssued, "B001", "legal_aid", ""),
		tev(wire.EventTicketIssued, "A002", "consultation", ""),
		tev(wire.EventTicketIssued, "A003", "consultation", ""),
		tev(wire.EventTicketIssued, "A004", "consultation", ""),
		tev(wire.EventTicketIssued, "A005", "consultation", ""),
		tev(wire.EventTicketCalled, "A001", "consultation", "1"),
		tev(wire.EventTicketServed, "A001", "consultation", "1"),
		tev(wire.EventTicketCalled, "A002", "consultation", "2"),
		tev(wire.EventTicketNoShow, "A002", "consultation", ""),
		// A003 was sent to 法律援助 at the counter: the fleet sees it
		// called under its new service.
		tev(wire.EventTicketCalled, "A003", "legal_aid", "1"),
		tev(wire.EventTicketCalled, "A003", "legal_aid", "3"), // recalled to another window
		tev(wire.EventTicketIssued, "A006", "consultation", ""),
	}
	for _, c := range []struct {
		n      string
		status string
		ahead  int
		svc    string
	}{
		{"A001", "已办结", 0, "consultation"},
		{"A002", "已过号", 0, "consultation"},
		{"A003", "已叫号，请到 3 号窗口", 0, "legal_aid"},
		{"A004", "等候中", 0, "consultation"}, // A001–A003 are no longer waiting; B001 is another service
		{"A005", "等候中", 1, "consultation"}, // A004
		{"A006", "等候中", 2, "consultation"}, // A004, A005
		{"B001", "等候中", 0, "legal_aid"},
	} {
		st, ok := fleet.TicketStatusOf(evs, c.n)
		if !ok || st.StatusText() != c.status || st.Ahead != c.ahead || st.Service != c.svc {
			t.Errorf("%s: %+v (%q) found=%v; want %q with %d ahead in %s", c.n, st, st.StatusText(), ok, c.status, c.ahead, c.svc)
		}
	}
	if _, ok := fleet.TicketStatusOf(evs, "A007"); ok {
		t.Error("a number never issued is found")
	}
}

func TestTicketLookupNamesTheCategoryAndPoint(t *testing.T) {
	ctx := t.Context()
	s, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	reg := fleet.NewRegistry(s)
	for _, d := range []fleet.Device{
		{ID: "kiosk-baxia", Kind: fleet.KindKiosk, Region: "仙游县/榜头镇/坝下村", ContactPoint: "坝下村法律服务联系点"},
		{ID: "kiosk-yunju", Kind: fleet.KindKiosk, Region: "仙游县/度尾镇/云居村"},
		{ID: "led-baxia", Kind: fleet.KindLED, Region: "仙游县/榜头镇/坝下村"},
	} {
		if _, err := reg.CreateDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)
	add := func(dev string, seq uint64, typ wire.EventType, d wire.TicketData) {
		data, _ := json.Marshal(d)
		e := wire.Event{Seq: seq, Type: typ, At: at, ClockTrusted: true, BootID: "b1", Data: data}
		raw, _ := json.Marshal(e)
		if _, _, err := s.AddEventBatch(ctx, dev, []fleet.Event{{DeviceID: dev, Key: wire.EventID(dev, seq), Type: string(typ), Payload: raw,
			Occurred: at, Received: at, DeviceSeq: seq, Fingerprint: e.Fingerprint()}}); err != nil {
			t.Fatal(err)
		}
	}
	add("kiosk-baxia", 1, wire.EventTicketIssued, wire.TicketData{Ticket: "C001", Service: "mediation", Day: "2026-11-27"})
	add("kiosk-yunju", 1, wire.EventTicketIssued, wire.TicketData{Ticket: "E001", Service: "notary", Day: "2026-11-27"})
	tk := fleet.NewTickets(s)
	st, err := tk.Status(ctx, "kiosk-baxia", "2026-11-27", "C001")
	if err != nil || st.Category != "人民调解" || st.ContactPoint != "坝下村法律服务联系点" || st.StatusText() != "等候中" {
		t.Fatalf("C001: %+v %v", st, err)
	}
	// A prefix the categories do not have: the only category of the
	// service names it; without a contact point, the village does.
	st, err = tk.Status(ctx, "kiosk-yunju", "2026-11-27", "E001")
	if err != nil || st.Category != "公证咨询" || st.ContactPoint != "云居村法律服务联系点" {
		t.Fatalf("E001: %+v %v", st, err)
	}
	for _, q := range [][3]string{
		{"kiosk-baxia", "2026-11-28", "C001"}, // another day
		{"kiosk-yunju", "2026-11-27", "C001"}, // another kiosk
		{"led-baxia", "2026-11-27", "C001"},   // not a kiosk
		{"kiosk-nowhere", "2026-11-27", "C001"},
		{"kiosk-baxia", "2026-02-30", "C001"},
		{"kiosk-baxia", "2026-11-27", "c001"},
	} {
		if _, err := tk.Status(ctx, q[0], q[1], q[2]); !errors.Is(err, fleet.ErrNotFound) {
			t.Errorf("%v: %v, want not found", q, err)
		}
	}
}
