package device

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lawpoint/content"
	"lawpoint/device/cache"
	"lawpoint/device/devicetest"
	"lawpoint/device/wire"
)

const devID = "led-0001"

// rig is a Mosquitto broker behind a cuttable proxy, a test fleet that
// acks events and answers time requests, a county and an item server.
type rig struct {
	t      *testing.T
	mq     *devicetest.Mosquitto
	proxy  *devicetest.Proxy
	fleet  *devicetest.Fleet
	county *devicetest.County
	items  *devicetest.ItemServer
	dir    string

	mu         sync.Mutex
	stored     map[uint64]int // seq → times received
	dropAcks   int            // acks still to drop
	fleetAhead time.Duration  // the fleet's clock minus ours
}

func newRig(t *testing.T) *rig {
	if testing.Short() {
		t.Skip("-short: starts a broker")
	}
	r := &rig{t: t, mq: devicetest.StartMosquitto(t, devID), county: devicetest.NewCounty(t),
		items: devicetest.NewItemServer(t), dir: t.TempDir(), stored: map[uint64]int{}}
	r.proxy = devicetest.NewProxy(t, fmt.Sprintf("127.0.0.1:%d", r.mq.Port))
	r.fleet = devicetest.NewFleet(t, r.mq.URL(), r.mq.Passwords[devicetest.FleetUser])
	r.fleet.OnMessage = r.respond
	r.items.User, r.items.Password = devID, r.mq.Passwords[devID]
	err := SaveCredentials(r.dir, Credentials{DeviceID: devID, Password: r.mq.Passwords[devID],
		BrokerURL: "mqtt://" + r.proxy.Addr, FleetURL: r.items.URL, CountyKey: content.EncodePublicKey(r.county.Public)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// respond plays the fleet: acks event batches (storing each seq), answers
// time requests.
func (r *rig) respond(f *devicetest.Fleet, m devicetest.Message) {
	switch m.Kind {
	case wire.KindEvents:
		b, err := wire.DecodeEventBatch(m.Payload)
		if err != nil {
			r.t.Errorf("the device sent an unreadable batch: %v", err)
			return
		}
		r.mu.Lock()
		if r.dropAcks > 0 {
			r.dropAcks--
			r.mu.Unlock()
			return
		}
		var seqs []uint64
		for _, e := range b.Events {
			r.stored[e.Seq]++
			seqs = append(seqs, e.Seq)
		}
		r.mu.Unlock()
		f.Publish(m.Device, wire.Ack{Schema: 1, Batch: b.Batch, Stored: wire.RangesOf(seqs...)})
	case wire.KindTimeRequest:
		q, err := wire.DecodeTimeRequest(m.Payload)
		if err != nil {
			return
		}
		r.mu.Lock()
		ahead := r.fleetAhead
		r.mu.Unlock()
		f.Publish(m.Device, wire.TimeReply{Schema: 1, ID: q.ID, UptimeMS: q.UptimeMS, FleetTime: time.Now().Add(ahead)})
	}
}

// start builds an agent on the rig's data folder and runs it until the
// returned stop is called.
func (r *rig) start(h Hooks) (*Agent, func()) {
	r.t.Helper()
	a := r.agent(h)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			r.t.Errorf("Run returned %v; want context.Canceled", err)
		}
		a.Close()
	}
	r.t.Cleanup(stop)
	return a, stop
}

func (r *rig) agent(h Hooks) *Agent {
	r.t.Helper()
	a, err := New(context.Background(), Config{Dir: r.dir, Kind: wire.LED, AppVersion: "0.1.0-test", Hooks: h,
		Log:     testLog(),
		Backoff: wire.Backoff{Min: 20 * time.Millisecond, Max: 200 * time.Millisecond},
		NTP:     func(context.Context) bool { return false }, AckTimeout: 300 * time.Millisecond,
		DownloadRetryDelay: 10 * time.Millisecond})
	if err != nil {
		r.t.Fatal(err)
	}
	return a
}

func presences(msgs []devicetest.Message) []wire.Presence {
	var out []wire.Presence
	for _, m := range msgs {
		if m.Kind == wire.KindPresence {
			if p, err := wire.DecodePresence(m.Payload); err == nil {
				out = append(out, p)
			}
		}
	}
	return out
}

func hasPresence(status wire.PresenceStatus, session uint64, reason string) func([]devicetest.Message) bool {
	return func(msgs []devicetest.Message) bool {
		for _, p := range presences(msgs) {
			if p.Status == status && p.Session == session && p.Reason == reason {
				return true
			}
		}
		return false
	}
}

func lastReported(msgs []devicetest.Message) (wire.Reported, bool) {
	var last wire.Reported
	ok := false
	for _, m := range msgs {
		if m.Kind != wire.KindReported {
			continue
		}
		if r, err := wire.DecodeReported(m.Payload); err == nil && (!ok || r.Newer(last)) {
			last, ok = r, true
		}
	}
	return last, ok
}

func results(msgs []devicetest.Message, id string) []wire.Result {
	var out []wire.Result
	for _, m := range msgs {
		if m.Kind == wire.KindResult {
			if r, err := wire.DecodeResult(m.Payload); err == nil && r.ID == id {
				out = append(out, r)
			}
		}
	}
	return out
}

func command(id string, kind wire.CommandKind, args any) wire.Command {
	c := wire.Command{Schema: 1, ID: id, Kind: kind, IssuedAt: time.Now(), Deadline: time.Now().Add(time.Hour)}
	if args != nil {
		c.Args, _ = json.Marshal(args)
	}
	return c
}

// The device announces itself online with a fresh session on every
// connect; a link that drops makes the broker publish its will (offline,
// lost, same session); a clean stop says shutdown.
func TestPresenceOnlineWillAndShutdown(t *testing.T) {
	r := newRig(t)
	_, stop := r.start(Hooks{})
	r.fleet.Wait(10*time.Second, "online presence, session 1", hasPresence(wire.Online, 1, ""))
	r.fleet.Wait(10*time.Second, "reported state", func(m []devicetest.Message) bool { _, ok := lastReported(m); return ok })

	r.proxy.Cut() // the village link drops without a DISCONNECT
	r.fleet.Wait(10*time.Second, "the will: offline lost, session 1", hasPresence(wire.Offline, 1, wire.OfflineLost))
	r.fleet.Wait(10*time.Second, "online again with session 2", hasPresence(wire.Online, 2, ""))

	var st wire.PresenceState
	for _, p := range presences(r.fleet.Messages("")) {
		st, _ = st.Apply(p)
	}
	if !st.Online || st.Session != 2 {
		t.Fatalf("fleet presence state %+v; want online in session 2", st)
	}
	stop()
	r.fleet.Wait(10*time.Second, "offline shutdown, session 2", hasPresence(wire.Offline, 2, wire.OfflineShutdown))
	for _, p := range presences(r.fleet.Messages("")) {
		if p.Status == wire.Offline && p.Session == 2 && p.Reason == wire.OfflineLost {
			t.Fatal("a clean stop also published the will")
		}
	}
}

// After a broker restart (sessions and subscriptions lost) the device
// reconnects with a new session, subscribes again and answers commands.
func TestResubscribeAfterBrokerRestart(t *testing.T) {
	r := newRig(t)
	r.start(Hooks{})
	r.fleet.Wait(10*time.Second, "online, session 1", hasPresence(wire.Online, 1, ""))
	r.mq.Restart()
	r.fleet.Wait(20*time.Second, "online after the restart", func(m []devicetest.Message) bool {
		for _, p := range presences(m) {
			if p.Status == wire.Online && p.Session >= 2 {
				return true
			}
		}
		return false
	})
	r.fleet.Publish(devID, command("ping-after-restart", wire.CmdPing, nil))
	r.fleet.Wait(10*time.Second, "the ping result", func(m []devicetest.Message) bool {
		res := results(m, "ping-after-restart")
		return len(res) > 0 && res[0].Status == wire.ResultOK
	})
}

// Events recorded while offline survive a restart, reach the fleet, and
// each is stored once even when an ack is lost and a batch is resent; the
// outbox empties only as acks arrive.
func TestOutboxSurvivesRestartAndArrivesOnce(t *testing.T) {
	r := newRig(t)
	a := r.agent(Hooks{})
	ctx := context.Background()
	const n = 250 // two batches
	for i := range n {
		data := wire.TicketData{Ticket: fmt.Sprintf("A%03d", i), Service: wire.ServiceLegalAid, Day: "2026-05-04"}
		if _, err := a.Record(ctx, wire.EventTicketIssued, data); err != nil {
			t.Fatal(err)
		}
	}
	// A bad event is refused at once, with the reason.
	if _, err := a.Record(ctx, wire.EventRating, wire.RatingData{Service: wire.ServiceLegalAid, Score: 6}); !errors.Is(err, wire.ErrInvalid) {
		t.Fatalf("recording a rating of 6: %v; want an invalid-field error", err)
	}
	a.Close() // power cut before any network

	r.mu.Lock()
	r.dropAcks = 1 // the first ack is lost on the way
	r.mu.Unlock()
	a, stop := r.start(Hooks{})
	deadline := time.Now().Add(20 * time.Second)
	for {
		r.mu.Lock()
		got := len(r.stored)
		r.mu.Unlock()
		left, _ := a.store.OutboxLen(ctx)
		if got == n && left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fleet stored %d of %d events; %d still in the outbox", got, n, left)
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.mu.Lock()
	for seq := uint64(1); seq <= n; seq++ {
		if r.stored[seq] != 1 {
			t.Errorf("event %s stored %d times; want once", wire.EventID(devID, seq), r.stored[seq])
		}
	}
	r.mu.Unlock()
	// The batch whose ack was lost was sent again with the same bytes.
	counts := map[string]int{}
	for _, m := range r.fleet.Messages(wire.KindEvents) {
		counts[string(m.Payload)]++
	}
	resent := 0
	for _, c := range counts {
		if c > 1 {
			resent++
		}
	}
	if resent == 0 {
		t.Error("no batch was resent byte for byte after its ack was lost")
	}
	stop()
	a = r.agent(Hooks{})
	defer a.Close()
	if seq, _ := a.Record(ctx, wire.EventTicketIssued, wire.TicketData{Ticket: "B001", Service: wire.ServiceNotary, Day: "2026-05-04"}); seq != n+1 {
		t.Fatalf("next event after restart has seq %d; want %d", seq, n+1)
	}
}

// A command runs once per ID, also when the fleet repeats it and across a
// restart; repeats get the stored result. Unknown kinds and bad arguments
// are answered, not run.
func TestCommandRunsOncePerID(t *testing.T) {
	r := newRig(t)
	var runs atomic.Int32
	var level atomic.Int32
	hooks := Hooks{SetBrightness: func(p int) error { runs.Add(1); level.Store(int32(p)); return nil }}
	_, stop := r.start(hooks)
	r.fleet.Wait(10*time.Second, "online", hasPresence(wire.Online, 1, ""))
	bright := command("cmd-bright-1", wire.CmdSetBrightness, wire.SetBrightnessArgs{Percent: 30})
	for range 3 {
		r.fleet.Publish(devID, bright)
	}
	r.fleet.Publish(devID, command("cmd-ping-1", wire.CmdPing, nil))
	r.fleet.Wait(10*time.Second, "three answers to the repeated command and the ping", func(m []devicetest.Message) bool {
		return len(results(m, "cmd-bright-1")) == 3 && len(results(m, "cmd-ping-1")) == 1
	})
	if runs.Load() != 1 || level.Load() != 30 {
		t.Fatalf("brightness hook ran %d times (level %d); want once at 30", runs.Load(), level.Load())
	}
	res := results(r.fleet.Messages(""), "cmd-bright-1")
	for _, x := range res[1:] {
		if x.Status != res[0].Status || !x.At.Equal(res[0].At) {
			t.Fatalf("a repeat got a different result %+v; want the stored %+v", x, res[0])
		}
	}
	stop()

	_, stop = r.start(hooks)
	r.fleet.Publish(devID, bright)
	r.fleet.Publish(devID, command("cmd-odd", "teleport", nil))
	r.fleet.Publish(devID, command("cmd-bad", wire.CmdSetBrightness, wire.SetBrightnessArgs{Percent: 300}))
	r.fleet.Wait(10*time.Second, "answers after the restart", func(m []devicetest.Message) bool {
		return len(results(m, "cmd-bright-1")) >= 4 && len(results(m, "cmd-odd")) == 1 && len(results(m, "cmd-bad")) == 1
	})
	if runs.Load() != 1 {
		t.Fatalf("after a restart the repeated command ran again (%d runs)", runs.Load())
	}
	if s := results(r.fleet.Messages(""), "cmd-odd")[0].Status; s != wire.ResultUnsupported {
		t.Errorf("unknown command answered %s; want unsupported", s)
	}
	if s := results(r.fleet.Messages(""), "cmd-bad")[0]; s.Status != wire.ResultFailed || s.Message == "" {
		t.Errorf("bad arguments answered %+v; want failed with a message", s)
	}
	stop()
}

// A screenshot is uploaded by HTTP PUT with the device's credentials and
// described in the result.
func TestScreenshotUpload(t *testing.T) {
	r := newRig(t)
	var got []byte
	var auth string
	upload := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		u, _, _ := req.BasicAuth()
		auth = req.Method + " " + u + " " + req.URL.Path
		got, _ = io.ReadAll(req.Body)
	}))
	defer upload.Close()
	c, _ := LoadCredentials(r.dir)
	c.FleetURL = upload.URL
	SaveCredentials(r.dir, c)
	pic := pngOf(t, 64, 16)
	r.start(Hooks{Screenshot: func(context.Context) ([]byte, error) { return pic, nil }})
	r.fleet.Wait(10*time.Second, "online", hasPresence(wire.Online, 1, ""))
	r.fleet.Publish(devID, command("cmd-shot", wire.CmdScreenshot, wire.ScreenshotArgs{UploadPath: "/api/devices/led-0001/screenshots/cmd-shot"}))
	r.fleet.Wait(10*time.Second, "the screenshot result", func(m []devicetest.Message) bool { return len(results(m, "cmd-shot")) == 1 })
	res := results(r.fleet.Messages(""), "cmd-shot")[0]
	var d wire.ScreenshotData
	json.Unmarshal(res.Data, &d)
	if res.Status != wire.ResultOK || d.Width != 64 || d.Height != 16 || d.Size != int64(len(pic)) {
		t.Fatalf("result %+v data %+v; want ok, 64x16, %d bytes", res, d, len(pic))
	}
	if auth != "PUT led-0001 /api/devices/led-0001/screenshots/cmd-shot" || !slices.Equal(got, pic) {
		t.Fatalf("upload %q with %d bytes; want the PNG PUT by led-0001", auth, len(got))
	}
}

// The desired state's signed manifest is verified, its items downloaded
// (a dropped download resumes with Range), and the set switched; a
// tampered manifest is refused with the old set kept; an older serial is
// refused as a rollback.
func TestDesiredContentAppliedTamperedRejected(t *testing.T) {
	r := newRig(t)
	issued := time.Now().UTC().Truncate(time.Second)
	img1, data1 := devicetest.Image("img-aid", 1, 200_000, 1)
	img2, data2 := devicetest.Image("img-law", 1, 50_000, 2)
	text := content.NewText("t-law", 1, content.Text{Body: "学习民法典，护航美好生活"})
	r.items.Add(img1, data1)
	r.items.Add(img2, data2)
	r.items.CutAfter(img1, 60_000)
	_, signed1 := r.county.Manifest(t, devID, 1, issued, img1, text)
	_, signed2 := r.county.Manifest(t, devID, 2, issued, img1, img2, text)

	var mu sync.Mutex
	var inUse []uint64
	var applied []wire.Settings
	hooks := Hooks{
		Content: func(s *cache.Set) { mu.Lock(); inUse = append(inUse, s.Serial()); mu.Unlock() },
		Settings: func(s wire.Settings, _ *time.Location) error {
			mu.Lock()
			applied = append(applied, s)
			mu.Unlock()
			return nil
		},
	}
	a, _ := r.start(hooks)
	settings := wire.Settings{Brightness: 70, Volume: 50, TimeZone: "Asia/Shanghai", TelemetryInterval: 60}
	desired := func(version uint64, manifest []byte) wire.Desired {
		return wire.Desired{Schema: 1, Version: version, IssuedAt: issued, Settings: settings, Manifest: manifest}
	}
	reportedIs := func(version, serial uint64, status wire.Status, code string) func([]devicetest.Message) bool {
		return func(m []devicetest.Message) bool {
			rep, ok := lastReported(m)
			return ok && rep.DesiredVersion == version && rep.ManifestSerial == serial && rep.Status == status &&
				(code == "" && rep.Reason == nil || rep.Reason != nil && rep.Reason.Code == code)
		}
	}

	r.fleet.Publish(devID, desired(1, signed1))
	r.fleet.Wait(20*time.Second, "converged on version 1 with manifest 1", reportedIs(1, 1, wire.Converged, ""))
	if got := r.items.RangedRequests(img1); !slices.Equal(got, []string{"bytes=60000-"}) {
		t.Errorf("ranged requests for the dropped item %v; want one resuming at byte 60000", got)
	}
	if _, path, ok := a.Content().Item("img-aid"); !ok || !fileIs(path, data1) {
		t.Fatal("the downloaded item is not in use with its bytes")
	}

	r.fleet.Publish(devID, desired(2, devicetest.Tamper(t, signed2)))
	r.fleet.Wait(20*time.Second, "failed version 2 (signature), manifest 1 kept", reportedIs(2, 1, wire.Failed, "manifest_signature"))
	if a.Content().Serial() != 1 {
		t.Fatalf("after a tampered manifest the set in use is %d; want 1", a.Content().Serial())
	}
	for _, req := range r.items.Requests() {
		if req.Path == content.ItemPath("img-law", 1) {
			t.Fatal("an item of the tampered manifest was downloaded")
		}
	}

	r.fleet.Publish(devID, desired(3, signed2))
	r.fleet.Wait(20*time.Second, "converged on version 3 with manifest 2", reportedIs(3, 2, wire.Converged, ""))
	r.fleet.Publish(devID, desired(4, signed1))
	r.fleet.Wait(20*time.Second, "failed version 4 (rollback), manifest 2 kept", reportedIs(4, 2, wire.Failed, "manifest_rollback"))

	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(inUse, []uint64{1, 2}) {
		t.Errorf("content hook saw sets %v; want 1 then 2", inUse)
	}
	if len(applied) != 2 || applied[0].Brightness != 70 {
		t.Errorf("settings hook saw %+v; want the settings of versions 1 and 3", applied)
	}
}

// A device whose session counter fell behind the fleet's record (restored
// backup) jumps past the session_floor and reconnects; a desired state
// with a field out of range is reported failed without changing anything.
func TestSessionFloorAndMalformedDesired(t *testing.T) {
	r := newRig(t)
	r.start(Hooks{})
	r.fleet.Wait(10*time.Second, "online, session 1", hasPresence(wire.Online, 1, ""))
	settings := wire.Settings{Brightness: 70, Volume: 50, TimeZone: "Asia/Shanghai", TelemetryInterval: 60}
	r.fleet.Publish(devID, wire.Desired{Schema: 1, Version: 5, IssuedAt: time.Now(), Settings: settings, SessionFloor: 40})
	r.fleet.Wait(10*time.Second, "a clean goodbye of session 1 and online with session 41", func(m []devicetest.Message) bool {
		return hasPresence(wire.Offline, 1, wire.OfflineShutdown)(m) && hasPresence(wire.Online, 41, "")(m)
	})
	bad := []byte(`{"schema":1,"version":6,"issued_at":"2026-05-04T09:30:00Z","settings":{"brightness":180,"volume":60,"time_zone":"Asia/Shanghai","telemetry_interval_s":60},"session_floor":0}`)
	r.fleet.PublishRaw(devID, wire.KindDesired, bad)
	r.fleet.Wait(10*time.Second, "failed desired_malformed, still version 5", func(m []devicetest.Message) bool {
		rep, ok := lastReported(m)
		return ok && rep.Status == wire.Failed && rep.Reason.Code == "desired_malformed" && rep.DesiredVersion == 5
	})
}

// The fleet's time reply makes the clock trusted and sets Now from it.
func TestClockTrustsFleetTime(t *testing.T) {
	r := newRig(t)
	r.fleetAhead = 3 * time.Hour // the Pi woke with a clock 3 h behind
	a, _ := r.start(Hooks{})
	if a.ClockTrusted() {
		t.Fatal("the clock is trusted before NTP or the fleet said anything")
	}
	deadline := time.Now().Add(10 * time.Second)
	for !a.ClockTrusted() {
		if time.Now().After(deadline) {
			t.Fatal("the clock never became trusted from the fleet's time reply")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if off := a.Now().Sub(time.Now()); off < 2*time.Hour+59*time.Minute || off > 3*time.Hour+time.Minute {
		t.Fatalf("Now is %v from the system clock; want the fleet's +3h", off)
	}
}

// testLog discards the agent's log unless LAWPOINT_TEST_LOG=1.
func testLog() *slog.Logger {
	if os.Getenv("LAWPOINT_TEST_LOG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func fileIs(path string, want []byte) bool {
	b, err := os.ReadFile(path)
	return err == nil && slices.Equal(b, want)
}
