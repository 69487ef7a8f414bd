package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"lawpoint/content"
	"lawpoint/device/wire"
	"lawpoint/fleet"
	"lawpoint/fleet/api"
)

const (
	callKiosk   = "kiosk-bangtou-baxia"
	callBoard   = "led-bangtou-baxia" // the same village as the kiosk
	callOther   = "led-duwei-yunju"   // another township's village
	callVillage = "仙游县/榜头镇/坝下村"
)

// enrolAt creates and enrols a device with a contact point.
func (c *county) enrolAt(id, kind, region, point string) string {
	c.t.Helper()
	var cr api.CreateDeviceResponse
	c.must("POST", "/api/devices", api.CreateDeviceRequest{ID: id, Kind: kind, Region: region, ContactPoint: point}, &cr)
	var er api.EnrolResponse
	c.must("POST", "/api/enrol", api.EnrolRequest{Token: cr.Enrolment.Token}, &er)
	return er.Password
}

// ticketEvents publishes a kiosk's ticket events as one batch (at the
// fleet's clock, trusted) and waits for them to be acknowledged as stored.
func (d *device) ticketEvents(at time.Time, first uint64, evs ...[3]string) {
	d.t.Helper()
	var es []wire.Event
	for i, e := range evs {
		data, _ := json.Marshal(wire.TicketData{Ticket: e[1], Service: wire.ServiceConsultation, Day: "2025-12-04", Counter: e[2]})
		seq := first + uint64(i)
		es = append(es, wire.Event{Seq: seq, Type: wire.EventType(e[0]), At: at, ClockTrusted: true, BootID: "boot-1", UptimeMS: seq * 1000, Data: data})
	}
	d.publish(wire.KindEvents, wire.EventBatch{Batch: fmt.Sprintf("b-%d", first), Events: es}, false)
	ack, err := wire.DecodeAck(d.next(wire.KindAck))
	if err != nil || len(ack.Rejected) > 0 || len(ack.Conflict) > 0 {
		d.t.Fatalf("ack %+v %v", ack, err)
	}
	for _, e := range es {
		if !ack.Stored.Contains(e.Seq) {
			d.t.Fatalf("event %d not stored: %+v", e.Seq, ack)
		}
	}
}

// manifestWith waits for a desired state whose manifest carries a notice
// with text made for a call at the fleet's clock now (not an earlier call's
// notice with the same text), and returns the verified manifest.
func (c *county) manifestWith(d *device, text string) *content.Manifest {
	c.t.Helper()
	for {
		des, err := wire.DecodeDesired(d.next(wire.KindDesired))
		if err != nil {
			c.t.Fatal(err)
		}
		if !des.HasManifest() {
			continue
		}
		m, err := content.Verify(des.Manifest, c.pub, d.id, 0, c.clock(), true)
		if err != nil {
			c.t.Fatalf("the board's manifest does not verify: %v", err)
		}
		for _, n := range m.Notices {
			if n.Text == text && n.Expiry.After(c.clock().Add(fleet.DefaultCallShow/2)) {
				return m
			}
		}
	}
}

// shows is what the board plays at t according to its manifest: the
// notices' texts, or the programme.
func shows(m *content.Manifest, t time.Time) string {
	a, ok := m.At(t, true)
	if !ok {
		return "manifest ran out"
	}
	if a.Source == content.SourceNotice {
		var ts []string
		for _, n := range a.Notices {
			ts = append(ts, n.Text)
		}
		return strings.Join(ts, " / ")
	}
	if len(a.Programmes) > 0 {
		return "programme " + a.Programmes[0].ProgrammeID
	}
	return string(a.Source)
}

func (c *county) page(path string) (int, string) {
	c.t.Helper()
	resp, err := http.Get(c.http.URL + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A ticket called at a village kiosk shows on that village's LED board
// at once, as a short notice that the next call replaces and that expires
// back to the programme; another village's board gets nothing. The
// receipt's status page follows the same events.
func TestTicketCallShowsOnTheVillageBoard(t *testing.T) {
	c := newCounty(t)
	c.app.Calls.SetClock(c.clock)
	kpw := c.enrolAt(callKiosk, "kiosk", callVillage, "坝下村法律服务联系点")
	apw := c.enrol(callBoard, "led", callVillage)
	bpw := c.enrol(callOther, "led", "仙游县/度尾镇/云居村")
	c.addContent("constitution-day", "12月4日国家宪法日：尊崇宪法，学习宪法")
	board := c.connect(callBoard, apw, 1)
	other := c.connect(callOther, bpw, 1)
	board.desired(c.settled(callBoard).Version)
	otherBefore := c.settled(callOther)
	other.desired(otherBefore.Version)
	kiosk := c.connect(callKiosk, kpw, 1)

	kiosk.ticketEvents(c.clock(), 1,
		[3]string{"ticket.issued", "A001", ""}, [3]string{"ticket.issued", "A002", ""}, [3]string{"ticket.issued", "A003", ""})
	kiosk.ticketEvents(c.clock(), 4, [3]string{"ticket.called", "A001", "1"})

	m := c.manifestWith(board, "请 A001 号到 1 号窗口")
	if got := shows(m, c.clock()); got != "请 A001 号到 1 号窗口" {
		t.Fatalf("the village board shows %q right after the call", got)
	}
	if got := shows(m, c.clock().Add(fleet.DefaultCallShow+time.Second)); got != "programme p-constitution-day" {
		t.Fatalf("a minute after the call the board shows %q, want its programme back", got)
	}
	if st := c.settled(callOther); st.Version != otherBefore.Version || strings.Contains(string(st.Payload), "窗口") {
		t.Fatalf("the other village's board got version %d (had %d) after the call", st.Version, otherBefore.Version)
	}

	// The receipt's QR code of A003 opens its status page: waiting behind
	// A002 (A001 is called), no sign-in, nothing personal.
	code, body := c.page("/t/" + callKiosk + "/2025-12-04/A003")
	if code != http.StatusOK {
		t.Fatalf("status page of A003: %d\n%s", code, body)
	}
	for _, want := range []string{"A003", "法律咨询", "等候中", "前面还有", "1 人", "坝下村法律服务联系点", `http-equiv="refresh"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the status page of A003 lacks %q", want)
		}
	}
	if _, body := c.page("/t/" + callKiosk + "/2025-12-04/A001"); !strings.Contains(body, "已叫号，请到 1 号窗口") {
		t.Errorf("the status page of the called A001 says:\n%s", body)
	}
	if code, body := c.page("/t/" + callKiosk + "/2025-12-04/A009"); code != http.StatusNotFound || !strings.Contains(body, "查询不到该号票") {
		t.Errorf("an unknown number: %d\n%s", code, body)
	}

	// The next call (and a recall) replaces the notice: one call at a
	// time on the board, and one call notice for the village in the store.
	c.advance(20 * time.Second)
	kiosk.ticketEvents(c.clock(), 5, [3]string{"ticket.no_show", "A001", ""}, [3]string{"ticket.called", "A002", "2"})
	m = c.manifestWith(board, "请 A002 号到 2 号窗口")
	if got := shows(m, c.clock()); got != "请 A002 号到 2 号窗口" {
		t.Fatalf("after the next call the board shows %q", got)
	}
	c.advance(50 * time.Second) // the first call's minute is over; the second's is not
	kiosk.ticketEvents(c.clock(), 7, [3]string{"ticket.called", "A002", "2"})
	m = c.manifestWith(board, "请 A002 号到 2 号窗口")
	calls := 0
	for _, n := range m.Notices {
		if strings.Contains(n.Text, "号窗口") {
			calls++
		}
	}
	if calls != 1 || shows(m, c.clock().Add(30*time.Second)) != "请 A002 号到 2 号窗口" {
		t.Fatalf("after a recall the manifest carries %d call notices: %+v", calls, m.Notices)
	}
	if h, err := c.st.ContentHistory(t.Context(), fleet.RecordNotice, fleet.CallNoticeID(callVillage)); err != nil || len(h) != 1 {
		t.Fatalf("stored call notice versions: %d %v; want only the newest", len(h), err)
	}
	if _, body := c.page("/t/" + callKiosk + "/2025-12-04/A003"); !strings.Contains(body, "前面还有") || !strings.Contains(body, "0 人") {
		t.Errorf("A003 after A001 no-show and A002 called:\n%s", body)
	}

	// A call that reaches the fleet long after it happened (the kiosk was
	// offline) is not shown: the counter has moved on.
	before := c.settled(callBoard).Version
	kiosk.ticketEvents(c.clock().Add(-10*time.Minute), 8, [3]string{"ticket.called", "A003", "1"})
	c.app.Calls.Flush(t.Context())
	if st := c.settled(callBoard); st.Version != before || strings.Contains(string(st.Payload), "A003") {
		t.Fatalf("a stale call changed the board's state (version %d, had %d)", st.Version, before)
	}
	if st := c.settled(callOther); st.Version != otherBefore.Version {
		t.Fatalf("the other village's board got version %d (had %d)", st.Version, otherBefore.Version)
	}
}
