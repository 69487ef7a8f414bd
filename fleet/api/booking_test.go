package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet"
	"lawpoint/fleet/api"
	"lawpoint/fleet/sqlitestore"
)

var cst = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

func at(day, hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", day+" "+hhmm, cst)
	if err != nil {
		panic(err)
	}
	return t
}

// county is a fleet API on a real SQLite store behind httptest, with a
// fixed clock (Sunday 2026-05-03 20:00 in Shanghai) and enrolled kiosks.
type county struct {
	t     testing.TB
	st    *sqlitestore.Store
	reg   *fleet.Registry
	bk    *fleet.Bookings
	srv   *httptest.Server
	token string
	pw    map[string]string // device ID → MQTT password

	mu  sync.Mutex
	now time.Time
}

func newCounty(t testing.TB) *county {
	t.Helper()
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	c := &county{t: t, st: st, reg: fleet.NewRegistry(st), pw: map[string]string{}, now: at("2026-05-03", "20:00")}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c.bk = fleet.NewBookings(st, log)
	c.bk.SetClock(c.clock)
	c.srv = httptest.NewServer(api.New(api.Config{Registry: c.reg, Bookings: c.bk, Logger: log}))
	t.Cleanup(func() {
		c.srv.Close()
		st.Close()
	})
	pw, err := c.reg.CreateStaff(t.Context(), "admin", fleet.StaffAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if c.token, _, err = c.reg.Login(t.Context(), "admin", pw, time.Hour); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *county) clock() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *county) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func (c *county) kiosk(id, region, point string) {
	c.t.Helper()
	ctx := c.t.Context()
	if _, err := c.reg.CreateDevice(ctx, fleet.Device{ID: id, Kind: fleet.KindKiosk, Region: region, ContactPoint: point}); err != nil {
		c.t.Fatal(err)
	}
	tok, _, err := c.reg.CreateToken(ctx, id, 0)
	if err != nil {
		c.t.Fatal(err)
	}
	e, err := c.reg.Enrol(ctx, tok)
	if err != nil {
		c.t.Fatal(err)
	}
	c.pw[id] = e.Password
}

// do sends a request as staff (device "") or as a device, and decodes a
// 2xx answer into out; it returns the status and the raw body.
func (c *county) do(device, method, path string, body, out any) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.srv.URL+path, rd)
	if device != "" {
		req.SetBasicAuth(device, c.pw[device])
	} else {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		c.t.Error(err)
		return 0, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode < 300 && out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Errorf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return resp.StatusCode, raw
}

func (c *county) must(device, method, path string, body, out any) {
	c.t.Helper()
	if code, raw := c.do(device, method, path, body, out); code >= 300 {
		c.t.Fatalf("%s %s: %d %s", method, path, code, raw)
	}
}

// lin serves the township, Monday 09:00-11:00 and 14:00-15:00, 30-minute
// slots with 10 minutes between; chen is 坝下村's own adviser.
func (c *county) advisers() {
	c.must("", "PUT", "/api/advisers/lin", fleet.Adviser{Name: "林志明", Kind: fleet.AdviserLawyer, Serves: []string{"仙游县/榜头镇"},
		Services: []string{"consultation", "legal_aid"}, Active: true, SlotMinutes: 30, BufferMinutes: 10, HorizonDays: 14,
		Hours: map[string][]string{"mon": {"09:00-11:00", "14:00-15:00"}, "tue": {"09:00-12:00"}}}, nil)
	c.must("", "PUT", "/api/advisers/chen", fleet.Adviser{Name: "陈秀英", Kind: fleet.AdviserVillage, Own: []string{"仙游县/榜头镇/坝下村"},
		Services: []string{"consultation"}, Active: true, SlotMinutes: 20, HorizonDays: 7,
		Hours: map[string][]string{"mon": {"15:00-16:00"}}}, nil)
}

func book(key, adviser string, start time.Time, phone string) wire.BookRequest {
	return wire.BookRequest{IdempotencyKey: key, Service: "consultation", AdviserID: adviser, SlotStart: start, Phone: phone}
}

// TestHundredKiosksOneSlot: 100 requests for one slot at once, from 50
// enrolled kiosks over real HTTP: exactly one booking; the 99 others get
// 409 with the next free slots, which do not include the taken one.
func TestHundredKiosksOneSlot(t *testing.T) {
	c := newCounty(t)
	c.advisers()
	ids := make([]string, 50)
	for i := range ids {
		ids[i] = fmt.Sprintf("kiosk-%02d", i)
		c.kiosk(ids[i], "仙游县/榜头镇/村"+fmt.Sprint(i), fmt.Sprintf("联系点%02d", i))
	}
	slot := at("2026-05-04", "09:40")
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		won      []wire.KioskBooking
		conflict int
		others   []string
	)
	startGun := make(chan struct{})
	for i := range 100 {
		wg.Go(func() {
			<-startGun
			var kb wire.KioskBooking
			code, raw := c.do(ids[i%50], "POST", "/api/kiosk/bookings", book(fmt.Sprintf("req-%03d", i), "lin", slot, fmt.Sprintf("138%08d", i)), &kb)
			mu.Lock()
			defer mu.Unlock()
			switch code {
			case http.StatusCreated:
				won = append(won, kb)
			case http.StatusConflict:
				var st wire.SlotTaken
				if err := json.Unmarshal(raw, &st); err != nil || st.Code != "slot_taken" || st.Message == "" || len(st.NextSlots) == 0 {
					others = append(others, string(raw))
					return
				}
				for _, s := range st.NextSlots {
					if s.Start.Equal(slot) || s.Start.Before(slot) {
						others = append(others, "offered the taken or an earlier slot: "+string(raw))
					}
				}
				if !st.NextSlots[0].Start.Equal(at("2026-05-04", "10:20")) {
					others = append(others, "first next slot: "+string(raw))
				}
				conflict++
			default:
				others = append(others, fmt.Sprintf("%d %s", code, raw))
			}
		})
	}
	close(startGun)
	wg.Wait()
	if len(won) != 1 || conflict != 99 || len(others) != 0 {
		t.Fatalf("won %d, conflicts %d, other answers %d: %v", len(won), conflict, len(others), others)
	}
	if w := won[0]; !strings.Contains(w.Phone, "****") || w.Status != "confirmed" || len(w.Code) != 6 || !strings.HasPrefix(w.MeetingURL, "https://") {
		t.Fatalf("booking %+v", w)
	}
	var list struct{ Bookings []api.BookingView }
	c.must("", "GET", "/api/bookings?day=2026-05-04", nil, &list)
	if len(list.Bookings) != 1 || list.Bookings[0].Code != won[0].Code {
		t.Fatalf("stored bookings %+v", list.Bookings)
	}
	var slots wire.KioskSlots
	c.must(ids[0], "GET", "/api/kiosk/slots?adviser=lin&day=2026-05-04", nil, &slots)
	for _, s := range slots.Slots {
		if s.Start.Equal(slot) {
			t.Fatal("the booked slot is still offered")
		}
	}
}

func TestBookingReplayCancelRescheduleAndStaffViews(t *testing.T) {
	c := newCounty(t)
	c.advisers()
	c.kiosk("kiosk-baxia", "仙游县/榜头镇/坝下村", "坝下村联系点")
	c.kiosk("kiosk-other", "仙游县/榜头镇/后庄村", "后庄村联系点")
	c.kiosk("kiosk-far", "仙游县/度尾镇/东村", "东村联系点")

	// The village's own adviser first; lin serves the township; nobody
	// serves 度尾镇.
	var as wire.KioskAdvisers
	c.must("kiosk-baxia", "GET", "/api/kiosk/advisers?service=consultation", nil, &as)
	if len(as.Advisers) != 2 || as.Advisers[0].ID != "chen" || !as.Advisers[0].Own || as.Advisers[0].KindName != "法律顾问" || as.Advisers[1].KindName != "律师" {
		t.Fatalf("advisers at 坝下村: %+v", as.Advisers)
	}
	c.must("kiosk-other", "GET", "/api/kiosk/advisers?service=consultation", nil, &as)
	if len(as.Advisers) != 1 || as.Advisers[0].ID != "lin" {
		t.Fatalf("advisers at 后庄村: %+v", as.Advisers)
	}
	c.must("kiosk-baxia", "GET", "/api/kiosk/advisers?service=legal_aid", nil, &as)
	if len(as.Advisers) != 1 || as.Advisers[0].ID != "lin" {
		t.Fatalf("legal aid advisers: %+v", as.Advisers)
	}
	c.must("kiosk-far", "GET", "/api/kiosk/advisers", nil, &as)
	if len(as.Advisers) != 0 {
		t.Fatalf("advisers at 度尾镇: %+v", as.Advisers)
	}
	// Devices only, with their own password.
	if code, _ := c.do("", "GET", "/api/kiosk/advisers", nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("staff token on a kiosk route: %d", code)
	}

	slot := at("2026-05-04", "09:00")
	var first, again wire.KioskBooking
	if code, raw := c.do("kiosk-baxia", "POST", "/api/kiosk/bookings", book("uuid-1", "lin", slot, "13812345678"), &first); code != http.StatusCreated {
		t.Fatalf("book: %d %s", code, raw)
	}
	// The outbox resends: same key, same booking, nothing new.
	if code, raw := c.do("kiosk-baxia", "POST", "/api/kiosk/bookings", book("uuid-1", "lin", slot, "13812345678"), &again); code != http.StatusOK || again.Code != first.Code || !again.Replayed {
		t.Fatalf("replay: %d %s", code, raw)
	}
	// Another kiosk using the same key is another request.
	if code, _ := c.do("kiosk-other", "POST", "/api/kiosk/bookings", book("uuid-1", "lin", slot, "13900000000"), nil); code != http.StatusConflict {
		t.Fatalf("same key from another kiosk: %d", code)
	}
	// Bad input names the field, in Chinese for people.
	for field, req := range map[string]wire.BookRequest{
		"phone":           book("uuid-2", "lin", slot.Add(40*time.Minute), "12345"),
		"idempotency_key": book("", "lin", slot, "13812345678"),
		"adviser_id":      book("uuid-3", "nobody", slot, "13812345678"),
	} {
		code, raw := c.do("kiosk-baxia", "POST", "/api/kiosk/bookings", req, nil)
		var eb api.ErrorBody
		_ = json.Unmarshal(raw, &eb)
		if code < 400 || code >= 500 || eb.Field != field || eb.Message == "" || eb.Error == "" {
			t.Errorf("%s: %d %s", field, code, raw)
		}
	}
	// Too late (minimum notice passed) or off the grid: 409 with slots.
	if code, raw := c.do("kiosk-baxia", "POST", "/api/kiosk/bookings", book("uuid-4", "lin", at("2026-05-04", "09:15"), "13812345678"), nil); code != http.StatusConflict || !strings.Contains(string(raw), "next_slots") {
		t.Fatalf("off-grid slot: %d %s", code, raw)
	}

	// Staff: masked by default, full with phone=1 (admin may).
	var list struct{ Bookings []api.BookingView }
	c.must("", "GET", "/api/bookings?day=2026-05-04&contact_point=坝下村联系点", nil, &list)
	if len(list.Bookings) != 1 || list.Bookings[0].Phone != "138****5678" || !list.Bookings[0].Masked {
		t.Fatalf("masked list %+v", list.Bookings)
	}
	c.must("", "GET", "/api/bookings?day=2026-05-04&phone=1", nil, &list)
	if len(list.Bookings) != 1 || list.Bookings[0].Phone != "13812345678" {
		t.Fatalf("full list %+v", list.Bookings)
	}
	c.must("", "GET", "/api/bookings?day=2026-05-04&contact_point=后庄村联系点", nil, &list)
	if len(list.Bookings) != 0 {
		t.Fatalf("other point %+v", list.Bookings)
	}

	// Wrong phone: not found, same as a wrong code.
	if code, _ := c.do("kiosk-baxia", "POST", "/api/kiosk/bookings/lookup", wire.BookingLookup{Code: first.Code, Phone: "13800000000"}, nil); code != http.StatusNotFound {
		t.Fatalf("lookup with a wrong phone: %d", code)
	}
	var got wire.KioskBooking
	c.must("kiosk-other", "POST", "/api/kiosk/bookings/lookup", wire.BookingLookup{Code: strings.ToLower(first.Code), Phone: "13812345678"}, &got)
	if got.Code != first.Code || got.AdviserName != "林志明" || got.Phone != "138****5678" {
		t.Fatalf("lookup %+v", got)
	}
	// Reschedule to a taken slot: 409; to a free one: moved, same code.
	var other wire.KioskBooking
	c.must("kiosk-other", "POST", "/api/kiosk/bookings", book("uuid-9", "lin", at("2026-05-04", "10:20"), "13900000000"), &other)
	if code, _ := c.do("kiosk-baxia", "POST", "/api/kiosk/bookings/"+first.Code+"/reschedule", wire.RescheduleRequest{Phone: "13812345678", SlotStart: other.SlotStart}, nil); code != http.StatusConflict {
		t.Fatalf("reschedule onto a booked slot: %d", code)
	}
	var moved wire.KioskBooking
	c.must("kiosk-baxia", "POST", "/api/kiosk/bookings/"+first.Code+"/reschedule", wire.RescheduleRequest{Phone: "13812345678", SlotStart: at("2026-05-05", "09:00")}, &moved)
	if moved.Code != first.Code || !moved.SlotStart.Equal(at("2026-05-05", "09:00")) || moved.MeetingURL != first.MeetingURL {
		t.Fatalf("moved %+v", moved)
	}
	// The old slot is free again.
	var slots wire.KioskSlots
	c.must("kiosk-baxia", "GET", "/api/kiosk/slots?adviser=lin&day=2026-05-04", nil, &slots)
	if len(slots.Slots) == 0 || !slots.Slots[0].Start.Equal(slot) {
		t.Fatalf("slots after the move %+v", slots.Slots)
	}
	var cancelled wire.KioskBooking
	c.must("kiosk-baxia", "POST", "/api/kiosk/bookings/"+first.Code+"/cancel", wire.BookingLookup{Phone: "13812345678"}, &cancelled)
	if cancelled.Status != "cancelled" {
		t.Fatalf("cancel %+v", cancelled)
	}
	if code, _ := c.do("kiosk-baxia", "POST", "/api/kiosk/bookings/"+first.Code+"/reschedule", wire.RescheduleRequest{Phone: "13812345678", SlotStart: slot}, nil); code != http.StatusConflict {
		t.Fatalf("reschedule a cancelled booking: %d", code)
	}
	// A replay after the cancel still answers that booking, as it is.
	c.must("kiosk-baxia", "POST", "/api/kiosk/bookings", book("uuid-1", "lin", slot, "13812345678"), &again)
	if again.Code != first.Code || again.Status != "cancelled" {
		t.Fatalf("replay after cancel %+v", again)
	}

	// Leave on Monday morning removes its slots.
	c.must("", "POST", "/api/advisers/lin/exceptions", api.ExceptionRequest{Kind: "off", From: at("2026-05-04", "00:00"), To: at("2026-05-04", "12:00"), Note: "开庭"}, nil)
	c.must("kiosk-baxia", "GET", "/api/kiosk/slots?adviser=lin&day=2026-05-04", nil, &slots)
	if len(slots.Slots) != 1 || !slots.Slots[0].Start.Equal(at("2026-05-04", "14:00")) {
		t.Fatalf("slots with leave %+v", slots.Slots)
	}

	// The meeting link follows the configured template.
	c.must("", "PUT", "/api/booking/settings", api.BookingSettings{MeetingURLTemplate: "https://meet.example.cn/lawpoint-{code}"}, nil)
	var b3 wire.KioskBooking
	c.must("kiosk-baxia", "POST", "/api/kiosk/bookings", book("uuid-5", "chen", at("2026-05-04", "15:20"), "13700001111"), &b3)
	if b3.MeetingURL != "https://meet.example.cn/lawpoint-"+b3.Code {
		t.Fatalf("meeting link %q", b3.MeetingURL)
	}
	if code, _ := c.do("", "PUT", "/api/booking/settings", api.BookingSettings{MeetingURLTemplate: "http://x"}, nil); code != http.StatusBadRequest {
		t.Fatalf("bad template: %d", code)
	}
}

func TestCalendarFeedAtASecretRotatableURL(t *testing.T) {
	c := newCounty(t)
	c.advisers()
	c.kiosk("kiosk-baxia", "仙游县/榜头镇/坝下村", "坝下村联系点")
	var b wire.KioskBooking
	c.must("kiosk-baxia", "POST", "/api/kiosk/bookings", book("u1", "lin", at("2026-05-04", "09:00"), "13812345678"), &b)
	var ct api.CalendarToken
	c.must("", "POST", "/api/advisers/lin/calendar", nil, &ct)
	resp, err := http.Get(c.srv.URL + ct.Path)
	if err != nil {
		t.Fatal(err)
	}
	feed, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") ||
		!strings.Contains(string(feed), b.Code) || strings.Contains(string(feed), "13812345678") || !strings.Contains(string(feed), "DTSTART:20260504T010000Z") {
		t.Fatalf("feed %d %s", resp.StatusCode, feed)
	}
	var ct2 api.CalendarToken
	c.must("", "POST", "/api/advisers/lin/calendar", nil, &ct2)
	if resp, _ := http.Get(c.srv.URL + ct.Path); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("old calendar URL after rotation: %d", resp.StatusCode)
	}
	if resp, _ := http.Get(c.srv.URL + ct2.Path); resp.StatusCode != http.StatusOK {
		t.Fatalf("new calendar URL: %d", resp.StatusCode)
	}
}

// ev builds a stored device event as Ingest stores it.
func ev(device string, seq uint64, typ wire.EventType, at time.Time, trusted bool, data any) fleet.Event {
	raw, _ := json.Marshal(data)
	e := wire.Event{Seq: seq, Type: typ, At: at.UTC(), ClockTrusted: trusted, BootID: "boot-1", UptimeMS: seq * 1000, Data: raw}
	p, _ := json.Marshal(e)
	return fleet.Event{DeviceID: device, Key: wire.EventID(device, seq), Type: string(typ), Payload: p, Occurred: e.At,
		Received: at.UTC(), DeviceSeq: seq, Fingerprint: e.Fingerprint()}
}

func TestFiguresAndBookingRequestsFromEvents(t *testing.T) {
	c := newCounty(t)
	c.advisers()
	c.kiosk("kiosk-baxia", "仙游县/榜头镇/坝下村", "坝下村联系点")
	c.kiosk("kiosk-houzhuang", "仙游县/榜头镇/后庄村", "后庄村联系点")
	day := "2026-05-04"
	c.set(at(day, "07:00"))
	td := func(ticket, svc string, extra ...any) wire.TicketData {
		d := wire.TicketData{Ticket: ticket, Service: svc, Day: day}
		if len(extra) > 0 {
			d.Counter = "1"
		}
		if len(extra) > 1 {
			d.ServiceS = extra[1].(int)
		}
		return d
	}
	var es []fleet.Event
	seq := uint64(0)
	add := func(typ wire.EventType, t time.Time, trusted bool, data any) {
		seq++
		es = append(es, ev("kiosk-baxia", seq, typ, t, trusted, data))
	}
	// A001: waits 2 min, served in 7 min. A002: waits 10 min, no-show.
	// A003: issued on an untrusted clock, served (wait unknown), 65 min.
	// A004: issued, still waiting.
	add(wire.EventTicketIssued, at(day, "08:00"), true, td("A001", "consultation"))
	add(wire.EventTicketIssued, at(day, "08:01"), true, td("A002", "consultation"))
	add(wire.EventTicketCalled, at(day, "08:02"), true, td("A001", "consultation", "1"))
	add(wire.EventTicketServed, at(day, "08:09"), true, td("A001", "consultation", "1", 420))
	add(wire.EventTicketCalled, at(day, "08:11"), true, td("A002", "consultation", "1"))
	add(wire.EventTicketCalled, at(day, "08:15"), true, td("A002", "consultation", "1")) // recall: the first call counts
	add(wire.EventTicketNoShow, at(day, "08:16"), true, td("A002", "consultation"))
	add(wire.EventTicketIssued, at("2026-05-01", "03:00"), false, td("B001", "legal_aid"))
	add(wire.EventTicketCalled, at("2026-05-01", "03:30"), false, td("B001", "legal_aid", "1"))
	add(wire.EventTicketServed, at("2026-05-01", "04:35"), false, td("B001", "legal_aid", "1", 3900))
	add(wire.EventTicketIssued, at(day, "08:30"), true, td("A004", "consultation"))
	add(wire.EventRating, at(day, "08:10"), true, wire.RatingData{Service: "consultation", Ticket: "A001", Score: 5})
	add(wire.EventRating, at(day, "08:20"), true, wire.RatingData{Service: "consultation", Score: 2, Tags: []string{"wait"}})
	add(wire.EventRating, at(day, "08:21"), true, wire.RatingData{Service: "consultation", Score: 5})
	// Booking requests from the outbox: one free slot, one taken by then.
	add(wire.EventBookingRequested, at("2026-05-03", "21:00"), true, wire.BookingData{RequestID: "req-ok", Service: "consultation",
		AdviserID: "lin", SlotStart: at(day, "14:00"), Contact: wire.Contact{Name: "张三", Phone: "13812345678"}})
	add(wire.EventBookingRequested, at("2026-05-03", "21:05"), true, wire.BookingData{RequestID: "req-late", Service: "consultation",
		AdviserID: "lin", SlotStart: at(day, "14:00"), Contact: wire.Contact{Name: "李四", Phone: "13900001111"}})
	// The other point: one served ticket.
	es = append(es, ev("kiosk-houzhuang", 1, wire.EventTicketIssued, at(day, "09:00"), true, wire.TicketData{Ticket: "A001", Service: "mediation", Day: day}))
	for _, e := range es {
		if _, _, err := c.st.AddEventBatch(t.Context(), e.DeviceID, []fleet.Event{e}); err != nil {
			t.Fatal(err)
		}
	}
	// Resent events are stored once by Ingest and so counted once.
	if _, _, err := c.st.AddEventBatch(t.Context(), "kiosk-baxia", es[:3]); err != nil {
		t.Fatal(err)
	}

	var fig struct {
		BandMinutes int                `json:"band_minutes"`
		Days        []fleet.DayFigures `json:"days"`
	}
	c.must("", "GET", "/api/figures?from="+day+"&to="+day+"&region=仙游县/榜头镇", nil, &fig)
	if fig.BandMinutes != 3 || len(fig.Days) != 2 {
		t.Fatalf("figures %+v", fig)
	}
	var f fleet.DayFigures
	for _, d := range fig.Days {
		if d.ContactPoint == "坝下村联系点" && d.Day == day {
			f = d
		}
	}
	want := func(name string, got, w int) {
		if got != w {
			t.Errorf("%s = %d, want %d", name, got, w)
		}
	}
	want("tickets issued", f.TicketsIssued, 4)
	want("served", f.Served, 2)
	want("no-shows", f.NoShows, 1)
	want("wait 0-3", f.WaitBands[0], 1)
	want("wait 9-12", f.WaitBands[3], 1)
	want("wait unknown", f.WaitUnknown, 1)
	want("service 6-9", f.ServiceBands[2], 1)
	want("service 60+", f.ServiceBands[20], 1)
	want("bookings", f.Bookings, 1)
	want("ratings 5", f.Ratings[4], 2)
	want("ratings 2", f.Ratings[1], 1)
	if f.RatingAverage != 4 {
		t.Errorf("average %v", f.RatingAverage)
	}

	// The request that found its slot taken waits for staff, masked.
	var reqs struct{ Requests []api.RequestView }
	c.must("", "GET", "/api/bookings/requests", nil, &reqs)
	if len(reqs.Requests) != 1 || reqs.Requests[0].RequestID != "req-late" || reqs.Requests[0].Reason != "slot_taken" ||
		reqs.Requests[0].Phone != "139****1111" || reqs.Requests[0].Name != "李*" || reqs.Requests[0].ReasonText == "" {
		t.Fatalf("unconfirmed requests %+v", reqs.Requests)
	}
	// The kiosk comes online and posts the confirmed request again: the
	// booking made from its event is returned.
	var kb wire.KioskBooking
	if code, raw := c.do("kiosk-baxia", "POST", "/api/kiosk/bookings", book("req-ok", "lin", at(day, "14:00"), "13812345678"), &kb); code != http.StatusOK || !kb.Replayed {
		t.Fatalf("online replay of an outbox request: %d %s", code, raw)
	}
	// The other one books another slot online with the same key: the
	// request is confirmed and leaves the staff list.
	c.must("kiosk-baxia", "POST", "/api/kiosk/bookings", book("req-late", "lin", at("2026-05-05", "09:00"), "13900001111"), &kb)
	c.must("", "GET", "/api/bookings/requests", nil, &reqs)
	if len(reqs.Requests) != 0 {
		t.Fatalf("still unconfirmed %+v", reqs.Requests)
	}
	if code, _ := c.do("", "GET", "/api/figures?from=2026-05-04&to=2026-05-01", nil, nil); code != http.StatusBadRequest {
		t.Fatalf("reversed range: %d", code)
	}
}

func TestCategoriesForKiosks(t *testing.T) {
	c := newCounty(t)
	c.kiosk("kiosk-baxia", "仙游县/榜头镇/坝下村", "坝下村联系点")
	var cs wire.KioskCategories
	c.must("kiosk-baxia", "GET", "/api/kiosk/categories", nil, &cs)
	if len(cs.Categories) != 4 || cs.Revision != 0 || cs.Categories[0].Name != "法律咨询" {
		t.Fatalf("defaults %+v", cs)
	}
	set := wire.KioskCategories{Categories: []wire.KioskCategory{{Prefix: "A", Name: "法律咨询", Service: "consultation"}, {Prefix: "E", Name: "安置帮教", Service: "resettlement"}}}
	c.must("", "PUT", "/api/categories", set, nil)
	c.must("kiosk-baxia", "GET", "/api/kiosk/categories", nil, &cs)
	if len(cs.Categories) != 2 || cs.Revision != 1 || cs.Categories[1].Prefix != "E" {
		t.Fatalf("after change %+v", cs)
	}
	bad := wire.KioskCategories{Categories: []wire.KioskCategory{{Prefix: "A", Name: "法律咨询", Service: "consultation"}, {Prefix: "A", Name: "重复", Service: "other"}}}
	code, raw := c.do("", "PUT", "/api/categories", bad, nil)
	if code != http.StatusBadRequest || !strings.Contains(string(raw), "categories[1].prefix") {
		t.Fatalf("duplicate prefix: %d %s", code, raw)
	}
	c.must("kiosk-baxia", "GET", "/api/kiosk/categories", nil, &cs)
	if len(cs.Categories) != 2 || cs.Revision != 1 {
		t.Fatalf("a refused change changed the list: %+v", cs)
	}
}

// BenchmarkBookingContention: parallel kiosks asking over HTTP for the
// same 4 slots; almost every request is refused with the next free slots,
// which is the expensive answer.
func BenchmarkBookingContention(b *testing.B) {
	c := newCounty(b)
	c.advisers()
	ids := make([]string, 50)
	for i := range ids {
		ids[i] = fmt.Sprintf("kiosk-%02d", i)
		c.kiosk(ids[i], "仙游县/榜头镇/村"+fmt.Sprint(i), "")
	}
	slots := []time.Time{at("2026-05-04", "09:00"), at("2026-05-04", "09:40"), at("2026-05-04", "10:20"), at("2026-05-04", "14:00")}
	var (
		mu    sync.Mutex
		n     int
		codes = map[int]int{}
	)
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			i := n
			n++
			mu.Unlock()
			code, _ := c.do(ids[i%50], "POST", "/api/kiosk/bookings", book(fmt.Sprintf("b-%d", i), "lin", slots[i%4], "13812345678"), nil)
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}
	})
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "req/s")
	if codes[http.StatusCreated] > 4 {
		b.Fatalf("answers %v", codes)
	}
}
