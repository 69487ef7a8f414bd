package app

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"lawpoint/device"
	"lawpoint/device/wire"
	"lawpoint/kiosk/flow"
	"lawpoint/kiosk/printer"
	"lawpoint/kiosk/queue"
)

// fakeFleet answers the kiosk's lookup, cancel and reschedule routes for
// one booking, as fleet/api does: a wrong code or phone is the same 404,
// and after misses 429.
type fakeFleet struct {
	mu     sync.Mutex
	b      wire.KioskBooking
	phone  string
	misses int
	taken  bool // the next reschedule finds the slot taken
	paths  []string
	bodies []string
}

func (f *fakeFleet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var body struct {
		Code      string    `json:"code"`
		Phone     string    `json:"phone"`
		SlotStart time.Time `json:"slot_start"`
	}
	raw := new(strings.Builder)
	json.NewDecoder(teeReader{r.Body, raw}).Decode(&body)
	f.paths = append(f.paths, r.URL.Path)
	f.bodies = append(f.bodies, raw.String())
	code := body.Code
	if strings.HasPrefix(r.URL.Path, "/api/kiosk/bookings/") && r.URL.Path != "/api/kiosk/bookings/lookup" {
		code = strings.Split(strings.TrimPrefix(r.URL.Path, "/api/kiosk/bookings/"), "/")[0]
	}
	if f.misses >= 3 {
		w.WriteHeader(http.StatusTooManyRequests)
		json.NewEncoder(w).Encode(map[string]string{"code": "too_many_requests", "error": "too many attempts", "message": "尝试次数过多"})
		return
	}
	if code != f.b.Code || body.Phone != f.phone {
		f.misses++
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(map[string]string{"code": "booking_not_found", "error": "no booking with that code and phone number", "message": "没有找到该预约"})
		return
	}
	switch {
	case strings.HasSuffix(r.URL.Path, "/cancel"):
		f.b.Status = wire.BookingCancelled
	case strings.HasSuffix(r.URL.Path, "/reschedule"):
		if f.taken {
			f.taken = false
			w.WriteHeader(http.StatusConflict)
			json.NewEncoder(w).Encode(wire.SlotTaken{Code: "slot_taken", Error: "taken", Message: "该时段已被预约",
				NextSlots: []wire.KioskSlot{{Start: body.SlotStart.Add(time.Hour), End: body.SlotStart.Add(90 * time.Minute)}}})
			return
		}
		if f.b.Status == wire.BookingCancelled {
			w.WriteHeader(http.StatusConflict)
			json.NewEncoder(w).Encode(map[string]string{"code": "booking_cancelled", "error": "cancelled", "message": "该预约已取消"})
			return
		}
		d := f.b.SlotEnd.Sub(f.b.SlotStart)
		f.b.SlotStart, f.b.SlotEnd = body.SlotStart, body.SlotStart.Add(d)
	}
	json.NewEncoder(w).Encode(f.b)
}

type teeReader struct {
	r interface{ Read([]byte) (int, error) }
	w *strings.Builder
}

func (t teeReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.w.Write(p[:n])
	return n, err
}

func openWithFleet(t *testing.T, h http.Handler, cfg Config) *App {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg.FleetURL = srv.URL
	a := openTest(t, cfg)
	api, err := newFleetAPI(device.Credentials{DeviceID: "kiosk-test", Password: "pw", FleetURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	a.setAgent(&fakeAgent{}, api)
	return a
}

func TestMyBookingsLookupCancelMoveOnTheFleet(t *testing.T) {
	start := time.Now().Add(26 * time.Hour).Truncate(time.Hour).UTC()
	f := &fakeFleet{phone: "13812345678", b: wire.KioskBooking{Code: "K7M2QX", Status: wire.BookingConfirmed, Service: wire.ServiceLegalAid,
		AdviserID: "lin", AdviserName: "林志明", SlotStart: start, SlotEnd: start.Add(30 * time.Minute), Phone: "138****5678",
		MeetingURL: "https://meet.example.cn/lawpoint-abc"}}
	a := openWithFleet(t, f, Config{})
	ctx := context.Background()
	mine := a.Services().MyBookings

	info, err := mine.Lookup(ctx, "k7m2qx", "13812345678")
	if err != nil {
		t.Fatal(err)
	}
	if info.Code != "K7M2QX" || info.Status != flow.BookingConfirmed || info.Service != "法律援助" || info.AdviserName != "林志明" ||
		!info.Slot.Start.Equal(start) || info.Slot.Start.Location() != a.Location() || info.Phone != "138****5678" {
		t.Fatalf("found %+v", info)
	}
	// Looked up here: its call is offered here.
	if cs := a.Services().Video.Consultations(); len(cs) != 1 || cs[0].Code != "K7M2QX" || cs[0].MeetingURL == "" {
		t.Fatalf("consultations %+v", cs)
	}

	// A move to a slot taken meanwhile: the next free ones.
	f.taken = true
	_, err = mine.Reschedule(ctx, "K7M2QX", "13812345678", flow.Slot{Start: start.Add(2 * time.Hour)})
	var taken *flow.SlotTakenError
	if !errors.As(err, &taken) || len(taken.Next) != 1 || !taken.Next[0].Start.Equal(start.Add(3*time.Hour)) {
		t.Fatalf("reschedule to a taken slot: %v", err)
	}
	info, err = mine.Reschedule(ctx, "K7M2QX", "13812345678", taken.Next[0])
	if err != nil || !info.Slot.Start.Equal(start.Add(3*time.Hour)) {
		t.Fatalf("moved: %+v, %v", info, err)
	}
	if cs := a.Services().Video.Consultations(); len(cs) != 1 || !cs[0].Slot.Start.Equal(start.Add(3*time.Hour)) {
		t.Fatalf("consultations after the move %+v", cs)
	}
	info, err = mine.Cancel(ctx, "K7M2QX", "13812345678")
	if err != nil || info.Status != flow.BookingCancelled {
		t.Fatalf("cancelled: %+v, %v", info, err)
	}
	if cs := a.Services().Video.Consultations(); len(cs) != 0 {
		t.Fatalf("a cancelled booking still offers its call: %+v", cs)
	}
	if _, err := mine.Reschedule(ctx, "K7M2QX", "13812345678", taken.Next[0]); !errors.Is(err, flow.ErrBookingGone) {
		t.Fatalf("moving a cancelled booking: %v", err)
	}
	if !strings.Contains(f.bodies[len(f.bodies)-1], `"phone":"13812345678"`) {
		t.Errorf("the fleet was not sent the phone: %s", f.bodies[len(f.bodies)-1])
	}

	// Wrong code and wrong phone: one error; then too many.
	if _, err := mine.Lookup(ctx, "K7M2QA", "13812345678"); !errors.Is(err, flow.ErrBookingNotFound) {
		t.Fatalf("wrong code: %v", err)
	}
	if _, err := mine.Lookup(ctx, "K7M2QX", "13912345678"); !errors.Is(err, flow.ErrBookingNotFound) {
		t.Fatalf("wrong phone: %v", err)
	}
	mine.Lookup(ctx, "K7M2QA", "13812345678")
	if _, err := mine.Lookup(ctx, "K7M2QX", "13812345678"); !errors.Is(err, flow.ErrTooManyTries) {
		t.Fatalf("after three misses: %v", err)
	}
}

func TestMyBookingsWithoutFleetSaySo(t *testing.T) {
	a := openTest(t, Config{})
	_, err := a.Services().MyBookings.Lookup(context.Background(), "K7M2QX", "13812345678")
	if got := flow.UserMessage(err, ""); !strings.Contains(got, "连不上县里的系统") {
		t.Fatalf("no fleet: %v (%q)", err, got)
	}
}

// A request kept 待确认 prints an 8-character reference in the code
// alphabet; typed on the kiosk it finds the request, with its phone only.
func TestPendingReferenceIsFoundHere(t *testing.T) {
	a := openTest(t, Config{})
	ctx := context.Background()
	start := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	b, err := a.Services().Bookings.Book(ctx, flow.BookingRequest{Service: "法律咨询", AdviserID: "lin", Phone: "13812345678",
		Slot: flow.Slot{Start: start, End: start.Add(30 * time.Minute)}})
	if err != nil || b.Status != flow.BookingPending {
		t.Fatalf("%+v %v", b, err)
	}
	if err := flow.ValidCode(b.Code); err != nil || len(b.Code) != flow.RefLen {
		t.Fatalf("reference %q cannot be typed on the code keypad: %v", b.Code, err)
	}
	info, err := a.Services().MyBookings.Lookup(ctx, b.Code, "13812345678")
	if err != nil || info.Status != flow.BookingPending || info.Phone != "138****5678" || info.Service != "法律咨询" {
		t.Fatalf("found %+v, %v", info, err)
	}
	if _, err := a.Services().MyBookings.Lookup(ctx, b.Code, "13912345678"); !errors.Is(err, flow.ErrBookingNotFound) {
		t.Fatalf("wrong phone: %v", err)
	}
	if _, err := a.Services().MyBookings.Lookup(ctx, "ABCDEFGH", "13812345678"); !errors.Is(err, flow.ErrBookingNotFound) {
		t.Fatalf("unknown reference: %v", err)
	}
}

// 开始视频咨询 on the real services: the configured command runs with the
// meeting link (no shell between), 视频通话中… while it runs, home when it
// exits, then 去评价.
func TestVideoCallRunsTheConfiguredCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "argv")
	a := openTest(t, Config{VideoCommand: []string{"sh", "-c", `printf '%s\n' "$@" > "$0.tmp"; sleep 0.3; mv "$0.tmp" "$0"`, out, "--kiosk", "{url}"}})
	ctx := context.Background()
	now := a.Now()
	meeting := "https://meet.example.cn/lawpoint-k7m2qx?x=1&y=$(reboot)"
	if err := a.store.keepBooking(ctx, wire.KioskBooking{Code: "K7M2QX", Status: wire.BookingConfirmed, Service: wire.ServiceConsultation,
		AdviserID: "lin", AdviserName: "林志明", SlotStart: now.Add(5 * time.Minute), SlotEnd: now.Add(35 * time.Minute),
		Phone: "13812345678", MeetingURL: meeting}, now); err != nil {
		t.Fatal(err)
	}
	if r, _ := a.store.requestByCode(ctx, "K7M2QX"); r.Phone != "138****5678" {
		t.Fatalf("kept phone %q", r.Phone)
	}
	a.videos.refresh(ctx)
	notify := make(chan struct{}, 64)
	f := flow.New(a.Services(), flow.Config{Now: a.Now, Notify: func() {
		select {
		case notify <- struct{}{}:
		default:
		}
	}})
	v := f.View()
	b, ok := v.Find("开始视频咨询")
	if !ok {
		t.Fatalf("home does not offer the call 5 minutes before:\n%s", v.Text())
	}
	f.Tap(b.ID)
	if v := f.View(); v.Screen != flow.ScreenVideoCall || v.Title != "视频通话中…" {
		t.Fatalf("during the call: %s %q", v.Screen, v.Title)
	}
	deadline := time.After(10 * time.Second)
	for f.View().Screen != flow.ScreenHome {
		select {
		case <-notify:
			f.Drain()
		case <-deadline:
			t.Fatalf("still on %s after the client exited", f.View().Screen)
		}
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "--kiosk\n"+meeting+"\n" {
		t.Fatalf("the client got %q", got)
	}
	if _, ok := f.View().Find("去评价"); !ok {
		t.Fatalf("no 去评价 after the call:\n%s", f.View().Text())
	}
}

func TestVideoClientMissingOrLinkBad(t *testing.T) {
	a := openTest(t, Config{VideoCommand: []string{"no-such-video-client-lawpoint", "{url}"}})
	ctx := context.Background()
	err := a.Services().Video.Call(ctx, flow.Consultation{Code: "K7M2QX", MeetingURL: "https://meet.example.cn/x"})
	if got := flow.UserMessage(err, ""); !strings.Contains(got, "没有装视频软件") {
		t.Fatalf("missing client: %v (%q)", err, got)
	}
	err = a.Services().Video.Call(ctx, flow.Consultation{Code: "K7M2QX", MeetingURL: "--disable-web-security"})
	if got := flow.UserMessage(err, ""); !strings.Contains(got, "视频地址不对") {
		t.Fatalf("a link that is a flag: %v (%q)", err, got)
	}
	d := openTest(t, Config{})
	if c := d.videos.Command("https://m.example/x"); c[0] != "chromium" || c[len(c)-1] != "https://m.example/x" ||
		!strings.HasPrefix(c[4], "--user-data-dir="+d.opts.Dir) {
		t.Errorf("default command %v", c)
	}
}

func TestEndVideoStopsTheClient(t *testing.T) {
	a := openTest(t, Config{VideoCommand: []string{"sleep", "30"}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	began := time.Now()
	go func() {
		done <- a.Services().Video.Call(ctx, flow.Consultation{Code: "K7M2QX", MeetingURL: "https://m.example/x"})
	}()
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil || time.Since(began) > 5*time.Second {
			t.Fatalf("stopped: %v after %v", err, time.Since(began))
		}
	case <-time.After(8 * time.Second):
		t.Fatal("the client was not stopped")
	}
}

// A late outcome reaches the screens through Updates, phone masked.
func TestLateOutcomeGoesToTheScreens(t *testing.T) {
	a := openTest(t, Config{})
	a.outcome(context.Background(), Outcome{Ref: "ABCDEFGH", Booking: flow.Booking{Code: "K7M2QX", Status: flow.BookingConfirmed,
		AdviserName: "林志明", Phone: "13812345678", Slot: flow.Slot{Start: a.Now().Add(time.Hour)}}})
	select {
	case <-a.Services().Updates.Changes():
	default:
		t.Fatal("no change signalled")
	}
	got := a.Services().Updates.TakeOutcomes()
	if len(got) != 1 || got[0].Code != "K7M2QX" || got[0].Phone != "138****5678" {
		t.Fatalf("outcomes %+v", got)
	}
	if again := a.Services().Updates.TakeOutcomes(); len(again) != 0 {
		t.Fatalf("taken twice: %+v", again)
	}
}

// The chime plays, with the WAV file, before the call is handed on to be
// spoken.
func TestChimeBeforeTheSpokenCall(t *testing.T) {
	dir := t.TempDir()
	logf := filepath.Join(dir, "sounds")
	var mu sync.Mutex
	spoken := make(chan string, 1)
	a, err := Open(context.Background(), Options{Dir: filepath.Join(dir, "data"), Log: quiet(),
		Config: Config{ChimeCommand: &[]string{"sh", "-c", `echo "chime $1" >> "$0"`, logf, "{file}"}},
		NTP:    func(context.Context) bool { return true },
		Announce: func(c queue.Call) {
			mu.Lock()
			defer mu.Unlock()
			b, _ := os.ReadFile(logf)
			spoken <- string(b) + "voice " + Announcement(c)
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	if _, err := a.Services().Queue.Issue(ctx, "A"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the watcher is up
	if _, err := a.Queue().CallNext(ctx, "", 1); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-spoken:
		want := "chime " + filepath.Join(dir, "data", "chime.wav") + "\nvoice 请A零零一号到1号窗口"
		if got != want {
			t.Fatalf("heard %q, want %q", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the call was not announced")
	}
}

// The cancellation slip says 已取消, with the phone masked and no link.
func TestCancellationSlip(t *testing.T) {
	a := openTest(t, Config{Point: "坝下村法律服务联系点"})
	err := a.Services().Printer.PrintBooking(context.Background(), flow.Booking{Code: "K7M2QX", Status: flow.BookingCancelled,
		Service: "法律咨询", AdviserName: "林志明", Phone: "13812345678", Slot: flow.Slot{Start: time.Date(2025, 11, 28, 1, 30, 0, 0, time.UTC)}})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := printer.VirtualOf(a.Printer())
	rs := v.Receipts()
	if len(rs) != 1 {
		t.Fatalf("%d receipts", len(rs))
	}
	txt := strings.Join(rs[0].Texts(), "\n")
	for _, want := range []string{"坝下村法律服务联系点", "视频咨询取消凭条", "K7M2QX", "状态：已取消", "林**", "2025年11月28日 09:30", "138****5678"} {
		if !strings.Contains(txt, want) {
			t.Errorf("slip lacks %q:\n%s", want, txt)
		}
	}
	if strings.Contains(txt, "13812345678") {
		t.Errorf("full phone on paper:\n%s", txt)
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
