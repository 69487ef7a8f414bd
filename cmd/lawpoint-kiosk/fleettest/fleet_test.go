package fleettest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet/client"
	"lawpoint/fleet/server"
	"lawpoint/kiosk/app"
	"lawpoint/kiosk/flow"
	"lawpoint/kiosk/printer"
)

const (
	kioskID = "kiosk-bangtou-baxia" // 仙游县/榜头镇/坝下村 in the demo county
	point   = "坝下村法律服务联系点"
	phone   = "13812345678"
)

func quietLog(name string) *slog.Logger {
	var w io.Writer = io.Discard
	if testing.Verbose() {
		w = os.Stderr
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})).With("component", name)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// county is a fleet data folder served on fixed loopback addresses, so it
// can be stopped (the village's link is down) and started again.
type county struct {
	t          *testing.T
	data       string
	http, mqtt string
	token      string
	api        *client.Client
	stop       func()
}

func newCounty(t *testing.T) *county {
	t.Helper()
	c := &county{t: t, data: filepath.Join(t.TempDir(), "fleet"), http: freeAddr(t), mqtt: freeAddr(t)}
	ctx := context.Background()
	res, err := server.Init(ctx, server.InitConfig{Data: c.data})
	if err != nil {
		t.Fatal(err)
	}
	d, err := server.Demo(ctx, c.data)
	if err != nil {
		t.Fatal(err)
	}
	c.token = d.Tokens[kioskID]
	if c.token == "" {
		t.Fatalf("the demo county has no kiosk %s", kioskID)
	}
	c.api = &client.Client{URL: "http://" + c.http}
	c.start()
	t.Cleanup(func() { c.stop() })
	lr, err := c.api.Login(ctx, res.Admin, res.AdminPassword, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c.api.Token = lr.Token
	// The village's own adviser, working around the clock so that the test
	// finds free slots whatever the time of day.
	all := []string{"00:00-24:00"}
	adviser := map[string]any{"id": "lin-zhiming", "name": "林志明", "kind": "adviser", "own": []string{"仙游县/榜头镇/坝下村"},
		"services": []string{"consultation"}, "slot_minutes": 30, "horizon_days": 14, "time_zone": "Asia/Shanghai", "active": true,
		"hours": map[string][]string{"mon": all, "tue": all, "wed": all, "thu": all, "fri": all, "sat": all, "sun": all}}
	if err := c.api.Do(ctx, "PUT", "/api/advisers/lin-zhiming", adviser, nil); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *county) start() {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	cfg := server.ServeConfig{Data: c.data, MQTT: c.mqtt, HTTP: c.http, DeviceMQTTURL: "mqtt://" + c.mqtt,
		Logger: quietLog("fleet").With(), Ready: func(map[string]string) { close(ready) }}
	go func() { done <- server.Serve(ctx, cfg) }()
	select {
	case <-ready:
	case err := <-done:
		c.t.Fatalf("fleet did not start: %v", err)
	case <-time.After(30 * time.Second):
		c.t.Fatal("fleet did not start within 30 s")
	}
	var once sync.Once
	c.stop = func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
}

type storedEvent struct {
	Key   string     `json:"key"`
	Type  string     `json:"type"`
	Event wire.Event `json:"event"`
}

// events are every event the fleet stored from the kiosk.
func (c *county) events() []storedEvent {
	c.t.Helper()
	var all []storedEvent
	after := int64(0)
	for {
		var page struct {
			Events []struct {
				Seq int64 `json:"seq"`
				storedEvent
			} `json:"events"`
		}
		if err := c.api.Do(context.Background(), "GET", fmt.Sprintf("/api/devices/%s/events?after=%d", kioskID, after), nil, &page); err != nil {
			c.t.Fatal(err)
		}
		for _, e := range page.Events {
			all = append(all, e.storedEvent)
			after = e.Seq
		}
		if len(page.Events) < 500 {
			return all
		}
	}
}

func ofType(es []storedEvent, typ wire.EventType) []storedEvent {
	var out []storedEvent
	for _, e := range es {
		if e.Type == string(typ) {
			out = append(out, e)
		}
	}
	return out
}

func (c *county) bookings() []map[string]any {
	c.t.Helper()
	var out struct {
		Bookings []map[string]any `json:"bookings"`
	}
	from := time.Now().Add(-24 * time.Hour).Format(time.DateOnly)
	to := time.Now().Add(15 * 24 * time.Hour).Format(time.DateOnly)
	if err := c.api.Do(context.Background(), "GET", "/api/bookings?from="+from+"&to="+to, nil, &out); err != nil {
		c.t.Fatal(err)
	}
	return out.Bookings
}

// kiosk is lawpoint-kiosk's services on a data folder, driven through the
// screens' state machine as a villager's taps would.
type kiosk struct {
	t        *testing.T
	dir      string
	cfg      app.Config
	a        *app.App
	f        *flow.App
	v        *printer.Virtual
	cancel   func()
	done     chan struct{}
	outcomes chan app.Outcome
}

func newKiosk(t *testing.T, c *county) *kiosk {
	k := &kiosk{t: t, dir: filepath.Join(t.TempDir(), "kiosk"), outcomes: make(chan app.Outcome, 100),
		cfg: app.Config{Point: point, FleetURL: "http://" + c.http, EnrolToken: c.token, Printer: "virtual:"}}
	k.start()
	t.Cleanup(k.stop)
	return k
}

func (k *kiosk) start() {
	k.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, app.Options{Dir: k.dir, Config: k.cfg, Log: quietLog("kiosk"), AppVersion: "test",
		NTP:     func(context.Context) bool { return true },
		Backoff: wire.Backoff{Min: 50 * time.Millisecond, Max: 300 * time.Millisecond}, Every: 200 * time.Millisecond,
		Outcome: func(o app.Outcome) { k.outcomes <- o }})
	if err != nil {
		cancel()
		k.t.Fatal(err)
	}
	v, ok := printer.VirtualOf(a.Printer())
	if !ok {
		k.t.Fatal("printer virtual: is not the virtual printer")
	}
	k.a, k.v, k.cancel, k.done = a, v, cancel, make(chan struct{})
	go func() {
		defer close(k.done)
		a.Run(ctx)
	}()
	k.f = flow.New(a.Services(), flow.Config{Sync: true, TapGuard: -1, Now: a.Now})
}

func (k *kiosk) stop() {
	if k.a == nil {
		return
	}
	k.cancel()
	<-k.done
	if err := k.a.Close(); err != nil {
		k.t.Error(err)
	}
	k.a = nil
}

func (k *kiosk) tap(ids ...string) flow.View {
	for _, id := range ids {
		if _, ok := k.f.View().Find(id); !ok {
			k.t.Fatalf("screen %s has no target %s (view %+v)", k.f.View().Screen, id, k.f.View())
		}
		k.f.Tap(id)
	}
	return k.f.View()
}

// ticket takes a ticket of the first category (法律咨询).
func (k *kiosk) ticket() flow.View {
	k.f.Home()
	v := k.tap(flow.TargetTicket, flow.ChoiceTarget(0))
	if v.Ticket == nil {
		k.t.Fatalf("no ticket shown: %+v", v)
	}
	return v
}

// book books the first free slot of the village's adviser on the first
// bookable day from day on (0 today, 1 tomorrow …).
func (k *kiosk) book(day int) flow.View {
	k.t.Helper()
	k.f.Home()
	v := k.tap(flow.TargetBooking, flow.ChoiceTarget(0))
	if len(v.Choices) == 0 || !strings.Contains(v.Choices[0].Label, "林志明") {
		k.t.Fatalf("adviser list %+v: want 林志明 first", v.Choices)
	}
	v = k.tap(flow.ChoiceTarget(0))
	picked := false
	for i, c := range v.Choices {
		if i >= day && !c.Disabled {
			v = k.tap(c.ID)
			picked = true
			break
		}
	}
	if !picked {
		k.t.Fatalf("no bookable day from day %d: %+v", day, v.Choices)
	}
	v = k.tap(flow.ChoiceTarget(0))
	for _, d := range phone {
		k.tap(flow.KeyTarget(int(d - '0')))
	}
	return k.tap(flow.TargetPhoneOK, flow.TargetConfirm)
}

func (k *kiosk) rate() flow.View {
	k.f.Home()
	return k.tap(flow.TargetRating, flow.FaceTarget(3), flow.ReasonTarget(0), flow.TargetSubmit)
}

// eventually polls cond until it holds (the fleet and the agent work on
// their own goroutines); it never asserts a duration.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// receiptText is a receipt's text runs, one a line (Lines would space out
// the large code).
func receiptText(r printer.Receipt) string { return strings.Join(r.Texts(), "\n") }

func TestKioskWithFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a fleet")
	}
	c := newCounty(t)
	k := newKiosk(t, c)
	eventually(t, "the kiosk enrols", func() bool { return k.a.DeviceAgent() != nil })

	t.Run("ticket", func(t *testing.T) {
		// The number is in the queue's store (with its ticket.issued event)
		// before the printer sees the receipt.
		var stored []string
		var mu sync.Mutex
		k.v.OnReceipt = func(r printer.Receipt) {
			evs, _ := k.a.Queue().Events(context.Background(), 0, 0)
			mu.Lock()
			defer mu.Unlock()
			for _, e := range evs {
				var d wire.TicketData
				json.Unmarshal(e.Data, &d)
				if e.Kind == wire.EventTicketIssued {
					stored = append(stored, d.Ticket)
				}
			}
		}
		v := k.ticket()
		if v.Ticket.Number != "A001" || v.Notice != nil {
			t.Fatalf("ticket %+v notice %+v: want A001 and no printer notice", v.Ticket, v.Notice)
		}
		rs, err := k.v.Wait(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		if !slices.Contains(stored, "A001") {
			t.Errorf("when the receipt printed the queue's store held %v; want A001 stored first", stored)
		}
		mu.Unlock()
		texts := strings.Join(rs[0].Texts(), "|")
		for _, want := range []string{"A001", point, "法律咨询", "排队取号凭条"} {
			if !strings.Contains(texts, want) {
				t.Errorf("receipt texts %q lack %q", texts, want)
			}
		}
		id := ticketID(t, k, "A001")
		statusURL := "http://" + c.http + "/t/" + kioskID + "/" + ticketDay(t, k, id) + "/A001"
		if qr := rs[0].QRs(); len(qr) != 1 || qr[0] != statusURL {
			t.Errorf("receipt QR codes %q, want the status page %s", qr, statusURL)
		}
		if errs := k.v.Errors(); len(errs) > 0 {
			t.Errorf("the printer could not decode what it got: %v", errs)
		}
		eventually(t, "ticket.issued A001 reaches the fleet", func() bool { return len(issued(c.events(), "A001")) == 1 })
		// The QR code opens the ticket's public status page (no sign-in).
		if resp, err := http.Get(statusURL); err != nil {
			t.Error(err)
		} else {
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, want := range []string{"A001", "法律咨询", "等候中", "前面还有"} {
				if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), want) {
					t.Errorf("the status page %s (%d) lacks %q", statusURL, resp.StatusCode, want)
				}
			}
		}
		// A replay of the queue's hand-over (a crash before it marked the
		// event forwarded) is counted once.
		if _, err := k.a.DeviceAgent().RecordOnce(context.Background(), id+":issued", wire.EventTicketIssued,
			wire.TicketData{Ticket: "A001", Service: "consultation", Day: ticketDay(t, k, id)}); err != nil {
			t.Fatal(err)
		}
		k.ticket() // A002: once it arrives, anything the replay sent would have too
		eventually(t, "A002 reaches the fleet", func() bool { return len(issued(c.events(), "A002")) == 1 })
		if n := len(issued(c.events(), "A001")); n != 1 {
			t.Fatalf("the fleet holds %d ticket.issued events for A001; want 1", n)
		}
	})

	t.Run("paper out", func(t *testing.T) {
		k.v.Set(printer.Condition{PaperOut: true})
		defer k.v.Set(printer.Condition{})
		v := k.ticket()
		if v.Ticket.Number != "A003" {
			t.Fatalf("ticket %+v: want A003 issued although the printer has no paper", v.Ticket)
		}
		if v.Notice == nil || !strings.Contains(v.Notice.Text, "打印机缺纸") || !strings.Contains(v.Notice.Text, "请记住屏幕上的号码") {
			t.Fatalf("notice %+v: want the printer's message and 请记住屏幕上的号码", v.Notice)
		}
		if p := k.a.DeviceAgent().Sample().Printer; p == nil || p.Status != wire.PrinterPaperOut {
			t.Errorf("telemetry printer part %+v, want paper_out", p)
		}
		eventually(t, "the printer fault reaches the fleet", func() bool {
			for _, e := range ofType(c.events(), wire.EventFault) {
				var d wire.FaultData
				json.Unmarshal(e.Event.Data, &d)
				if d.Code == "printer.paper_out" && d.Component == "printer" && !d.Cleared {
					return true
				}
			}
			return false
		})
		eventually(t, "A003 reaches the fleet", func() bool { return len(issued(c.events(), "A003")) == 1 })
	})

	var online string
	t.Run("booking online", func(t *testing.T) {
		n := len(k.v.Receipts())
		v := k.book(1)
		if v.Screen != flow.ScreenBookingResult || v.Title != "预约成功" || v.Code == nil || len(v.Code.Code) != 6 {
			t.Fatalf("booking result %s %q code %+v notice %+v: want 预约成功 with a 6-character code", v.Screen, v.Title, v.Code, v.Notice)
		}
		online = v.Code.Code
		rs, err := k.v.Wait(context.Background(), n+1)
		if err != nil {
			t.Fatal(err)
		}
		slip := receiptText(rs[n])
		if !strings.Contains(slip, online) || !strings.Contains(slip, "已确认") || strings.Contains(slip, phone) || !strings.Contains(slip, "138****5678") {
			t.Errorf("slip:\n%s\nwant the code, 已确认 and the phone masked", slip)
		}
		if !bookedOnce(c.bookings(), online) {
			t.Fatalf("fleet bookings %v: want %s once", c.bookings(), online)
		}
	})

	t.Run("booking offline then confirmed", func(t *testing.T) {
		c.stop()
		v := k.book(1)
		if v.Title != "已记下，待确认" || v.Code == nil {
			t.Fatalf("offline booking %q code %+v notice %+v: want 已记下，待确认", v.Title, v.Code, v.Notice)
		}
		ref := v.Code.Code
		rs := k.v.Receipts()
		if slip := receiptText(rs[len(rs)-1]); !strings.Contains(slip, "待确认") || !strings.Contains(slip, ref) {
			t.Errorf("pending slip:\n%s\nwant 待确认 and %s", slip, ref)
		}
		c.start()
		var o app.Outcome
		select {
		case o = <-k.outcomes:
		case <-time.After(90 * time.Second):
			t.Fatal("the kiosk never learned the outcome of the booking kept offline")
		}
		if o.Ref != ref || o.Booking.Status != flow.BookingConfirmed || len(o.Booking.Code) != 6 || o.Booking.Code == online {
			t.Fatalf("outcome %+v: want %s confirmed with a new code", o, ref)
		}
		eventually(t, "the outcome's slip prints", func() bool {
			rs := k.v.Receipts()
			return strings.Contains(receiptText(rs[len(rs)-1]), o.Booking.Code)
		})
		eventually(t, "booking.requested reaches the fleet", func() bool {
			return len(ofType(c.events(), wire.EventBookingRequested)) == 1
		})
		if !bookedOnce(c.bookings(), o.Booking.Code) || len(c.bookings()) != 2 {
			t.Fatalf("fleet bookings %v: want %s and %s, once each", c.bookings(), online, o.Booking.Code)
		}
	})

	t.Run("rating", func(t *testing.T) {
		v := k.rate()
		if v.Screen != flow.ScreenRatingThanks || v.Notice != nil {
			t.Fatalf("rating ended on %s notice %+v", v.Screen, v.Notice)
		}
		eventually(t, "the rating reaches the fleet", func() bool { return len(ofType(c.events(), wire.EventRating)) == 1 })
		var d wire.RatingData
		json.Unmarshal(ofType(c.events(), wire.EventRating)[0].Event.Data, &d)
		if d.Score != app.Score(3) || !slices.Equal(d.Tags, []string{"attitude_good"}) {
			t.Fatalf("rating %+v: want score %d (满意) with attitude_good", d, app.Score(3))
		}
	})

	t.Run("offline for a day", func(t *testing.T) {
		before := c.events()
		c.stop()
		const tickets, books, ratings = 12, 3, 5
		var numbers, refs []string
		for i := range tickets {
			numbers = append(numbers, k.ticket().Ticket.Number)
			if i == tickets/2 {
				// A power cut halfway: everything is on disk.
				k.stop()
				k.start()
			}
		}
		for range books {
			v := k.book(2)
			if v.Title != "已记下，待确认" {
				t.Fatalf("offline booking: %q %+v", v.Title, v.Notice)
			}
			refs = append(refs, v.Code.Code)
		}
		for range ratings {
			k.rate()
		}
		c.start()
		eventually(t, "every ticket, booking request and rating arrives", func() bool {
			es := c.events()
			return len(ofType(es, wire.EventTicketIssued)) == len(ofType(before, wire.EventTicketIssued))+tickets &&
				len(ofType(es, wire.EventBookingRequested)) == 1+books &&
				len(ofType(es, wire.EventRating)) == 1+ratings
		})
		got := map[string]bool{}
		for i := range books {
			select {
			case o := <-k.outcomes:
				if o.Booking.Status != flow.BookingConfirmed || !slices.Contains(refs, o.Ref) || got[o.Ref] {
					t.Fatalf("outcome %d: %+v (refs %v)", i, o, refs)
				}
				got[o.Ref] = true
			case <-time.After(90 * time.Second):
				t.Fatalf("only %d of %d outcomes learned", i, books)
			}
		}
		// Let the outbox settle, then check every one arrived exactly once.
		if err := k.a.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		es := c.events()
		for _, n := range numbers {
			if m := len(issued(es, n)); m != 1 {
				t.Errorf("ticket %s arrived %d times; want once", n, m)
			}
		}
		if n := len(ofType(es, wire.EventRating)); n != 1+ratings {
			t.Errorf("%d ratings arrived; want %d", n, 1+ratings)
		}
		ids := map[string]int{}
		for _, e := range ofType(es, wire.EventBookingRequested) {
			var d wire.BookingData
			json.Unmarshal(e.Event.Data, &d)
			ids[d.RequestID]++
		}
		for id, n := range ids {
			if n != 1 {
				t.Errorf("booking request %s arrived %d times", id, n)
			}
		}
		if bs := c.bookings(); len(bs) != 2+books {
			t.Errorf("the fleet holds %d bookings; want %d (each request booked once)", len(bs), 2+books)
		}
		if n, _ := k.a.Waiting(context.Background()); n != 0 {
			t.Errorf("%d events still wait in the kiosk's outbox", n)
		}
	})
}

func issued(es []storedEvent, number string) []storedEvent {
	var out []storedEvent
	for _, e := range ofType(es, wire.EventTicketIssued) {
		var d wire.TicketData
		json.Unmarshal(e.Event.Data, &d)
		if d.Ticket == number {
			out = append(out, e)
		}
	}
	return out
}

func bookedOnce(bs []map[string]any, code string) bool {
	n := 0
	for _, b := range bs {
		if b["code"] == code && b["status"] == "confirmed" {
			n++
		}
	}
	return n == 1
}

func ticketID(t *testing.T, k *kiosk, number string) string {
	t.Helper()
	snap, err := k.a.Queue().Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range snap.Queues {
		for _, tk := range q.Tickets {
			if tk.Number == number {
				return tk.ID
			}
		}
	}
	t.Fatalf("ticket %s is not waiting", number)
	return ""
}

func ticketDay(t *testing.T, k *kiosk, id string) string {
	tk, err := k.a.Queue().Lookup(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return tk.Day
}
