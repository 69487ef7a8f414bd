package server_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"lawpoint/content"
	"lawpoint/device/wire"
	"lawpoint/fleet"
	"lawpoint/fleet/api"
	"lawpoint/fleet/broker"
	"lawpoint/fleet/server"
	"lawpoint/fleet/sqlitestore"
)

const waitLimit = 10 * time.Second

// county is a running fleet: store, embedded broker on a real TCP port,
// the App, and its API behind an httptest server.
type county struct {
	t     *testing.T
	data  string
	st    *sqlitestore.Store
	b     *broker.Broker
	app   *server.App
	http  *httptest.Server
	mqtt  string
	token string
	admin string // the admin's password
	pub   ed25519.PublicKey

	mu  sync.Mutex
	now time.Time // the fleet's clock, moved by tests
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newCounty(t *testing.T) *county {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	res, err := server.Init(t.Context(), server.InitConfig{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlitestore.Open(t.Context(), filepath.Join(data, server.StoreFile))
	if err != nil {
		t.Fatal(err)
	}
	c := &county{t: t, data: data, st: st, now: time.Date(2025, 12, 4, 1, 0, 0, 0, time.UTC)}
	c.pub, _ = content.DecodePublicKey(res.PublicKey)
	c.startBroker()
	t.Cleanup(func() {
		c.stop()
		st.Close()
	})
	c.admin = res.AdminPassword
	c.login("admin", res.AdminPassword)
	return c
}

func (c *county) clock() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *county) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// startBroker starts a broker and the app on the store (again after stop).
func (c *county) startBroker() {
	t := c.t
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.b, err = broker.New(fleet.NewRegistry(c.st), broker.Config{Listeners: []net.Listener{ln}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.b.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	c.mqtt = "tcp://" + ln.Addr().String()
	key, err := server.LoadSigningKey(c.data)
	if err != nil {
		t.Fatal(err)
	}
	c.app, err = server.NewApp(server.AppConfig{Store: c.st, Bus: c.b.Bus(), Key: key, BlobDir: filepath.Join(c.data, server.BlobDir), Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	c.app.Dispatcher.Tick = 20 * time.Millisecond
	c.app.Dispatcher.ResendAfter = 200 * time.Millisecond
	c.app.Dispatcher.SetClock(c.clock)
	c.app.Distributor.SetClock(c.clock)
	c.app.Library.SetClock(c.clock)
	c.app.Registry.SetClock(c.clock)
	c.app.Ingest.SetClock(c.clock)
	if err := c.app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.http == nil {
		c.http = httptest.NewServer(c.app.Handler())
	} else {
		c.http.Config.Handler = c.app.Handler()
	}
}

func (c *county) stop() {
	c.b.Close()
	c.app.Stop()
	if c.http != nil {
		c.http.Close()
	}
}

// call sends a JSON request with the staff token and decodes the answer.
func (c *county) call(method, path string, body, out any) (int, api.ErrorBody) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.http.URL+path, rd)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var eb api.ErrorBody
	if resp.StatusCode >= 300 {
		if err := json.Unmarshal(raw, &eb); err != nil {
			c.t.Fatalf("%s %s: %d with a body that is not the JSON error shape: %s", method, path, resp.StatusCode, raw)
		}
		return resp.StatusCode, eb
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return resp.StatusCode, eb
}

func (c *county) must(method, path string, body, out any) {
	c.t.Helper()
	if code, eb := c.call(method, path, body, out); code >= 300 {
		c.t.Fatalf("%s %s: %d %+v", method, path, code, eb)
	}
}

func (c *county) login(user, pw string) {
	var lr api.LoginResponse
	c.must("POST", "/api/login", api.LoginRequest{Username: user, Password: pw}, &lr)
	c.token = lr.Token
}

// enrol creates a device through the API and enrols it; it returns the
// device's password.
func (c *county) enrol(id, kind, region string) string {
	c.t.Helper()
	var cr api.CreateDeviceResponse
	c.must("POST", "/api/devices", api.CreateDeviceRequest{ID: id, Kind: kind, Region: region}, &cr)
	var er api.EnrolResponse
	c.must("POST", "/api/enrol", api.EnrolRequest{Token: cr.Enrolment.Token}, &er)
	if er.DeviceID != id || er.Password == "" || er.PublicKey != content.EncodePublicKey(c.pub) {
		c.t.Fatalf("enrolment answer %+v", er)
	}
	return er.Password
}

// addContent stores a text item, a programme playing it and a fallback.
func (c *county) addContent(itemID, body string) content.Item {
	var out struct {
		Items []content.Item `json:"items"`
	}
	c.must("POST", "/api/content", api.ContentRequest{
		Items:      []content.Item{{ID: itemID, Kind: content.KindText, Text: &content.Text{Body: body}}},
		Programmes: []content.Programme{{ID: "p-" + itemID, Entries: []content.Entry{{ItemID: itemID, Seconds: 10}}}},
		Fallbacks:  map[string]string{content.DeviceLED: "p-" + itemID},
	}, &out)
	return out.Items[0]
}

// device is a paho client acting as a board's agent.
type device struct {
	t       *testing.T
	id      string
	session uint64
	cl      paho.Client
	msgs    map[wire.Kind]chan []byte
}

func (c *county) connect(id, password string, session uint64) *device {
	t := c.t
	d := &device{t: t, id: id, session: session, msgs: map[wire.Kind]chan []byte{}}
	for _, k := range []wire.Kind{wire.KindDesired, wire.KindCommand, wire.KindAck, wire.KindTime} {
		d.msgs[k] = make(chan []byte, 64)
	}
	will, _ := wire.Encode(wire.Will(session))
	opts := paho.NewClientOptions().AddBroker(c.mqtt).SetClientID(id).SetUsername(id).SetPassword(password).
		SetCleanSession(false).SetAutoReconnect(false).SetProtocolVersion(4).
		SetBinaryWill(wire.Topic(id, wire.KindPresence), will, 1, true)
	d.cl = paho.NewClient(opts)
	if tk := d.cl.Connect(); !tk.WaitTimeout(waitLimit) || tk.Error() != nil {
		t.Fatalf("device %s cannot connect: %v", id, tk.Error())
	}
	for k, ch := range d.msgs {
		ch := ch
		if tk := d.cl.Subscribe(wire.Topic(id, k), 1, func(_ paho.Client, m paho.Message) { ch <- m.Payload() }); !tk.WaitTimeout(waitLimit) || tk.Error() != nil {
			t.Fatalf("subscribe: %v", tk.Error())
		}
	}
	d.publish(wire.KindPresence, wire.Presence{Status: wire.Online, Session: session, DeviceKind: wire.LED, AppVersion: "test"}, true)
	t.Cleanup(func() { d.cl.Disconnect(0) })
	return d
}

func (d *device) publish(k wire.Kind, p wire.Payload, retain bool) {
	d.t.Helper()
	b, err := wire.Encode(p)
	if err != nil {
		d.t.Fatal(err)
	}
	d.publishRaw(k, b, retain)
}

func (d *device) publishRaw(k wire.Kind, b []byte, retain bool) {
	d.t.Helper()
	qos := byte(1)
	if k == wire.KindTelemetry || k == wire.KindTimeRequest {
		qos = 0
	}
	if tk := d.cl.Publish(wire.Topic(d.id, k), qos, retain, b); !tk.WaitTimeout(waitLimit) || tk.Error() != nil {
		d.t.Fatalf("publish %s: %v", k, tk.Error())
	}
}

func (d *device) next(k wire.Kind) []byte {
	d.t.Helper()
	select {
	case b := <-d.msgs[k]:
		return b
	case <-time.After(waitLimit):
		d.t.Fatalf("device %s got no %s message", d.id, k)
		return nil
	}
}

// desired waits for a desired state of at least version min.
func (d *device) desired(min uint64) wire.Desired {
	d.t.Helper()
	for {
		des, err := wire.DecodeDesired(d.next(wire.KindDesired))
		if err != nil {
			d.t.Fatalf("desired state does not decode: %v", err)
		}
		if des.Version >= min {
			return des
		}
	}
}

// settled recomputes desired state now and returns the device's stored
// state, so a test knows which version the device must end up with.
func (c *county) settled(id string) fleet.DeviceState {
	c.t.Helper()
	if _, err := c.app.Distributor.RecomputeAll(c.t.Context()); err != nil {
		c.t.Fatal(err)
	}
	st, err := c.st.State(c.t.Context(), id)
	if err != nil {
		c.t.Fatal(err)
	}
	return st
}

// eventually polls cond until it holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestDesiredStateIsSignedPublishedAndConverges(t *testing.T) {
	c := newCounty(t)
	pw := c.enrol("led-baxia-01", "led", "仙游县/榜头镇/坝下村")
	item := c.addContent("constitution-day", "12月4日国家宪法日：尊崇宪法，学习宪法")

	d := c.connect("led-baxia-01", pw, 1)
	des := d.desired(c.settled("led-baxia-01").Version)
	if des.Settings != fleet.DefaultSettings || !des.HasManifest() {
		t.Fatalf("desired state %+v: want the default settings and a manifest", des)
	}
	m, err := content.Verify(des.Manifest, c.pub, "led-baxia-01", 0, c.clock(), true)
	if err != nil {
		t.Fatalf("the manifest does not verify with the county key: %v", err)
	}
	if len(m.Items) != 1 || m.Items[0].ID != item.ID || m.Items[0].Path != content.ItemPath(item.ID, item.Version) {
		t.Fatalf("manifest items %+v; want the text item", m.Items)
	}
	a, _ := m.At(c.clock(), true)
	if a.Source != content.SourceFallback {
		t.Fatalf("the board plays %+v, want the fallback programme", a)
	}

	eventually(t, "the board online and pending", func() bool {
		var st api.Status
		c.must("GET", "/api/status", nil, &st)
		return st.Devices == 1 && st.Online == 1 && st.Pending == 1 && st.Converged == 0
	})
	d.publish(wire.KindReported, wire.Reported{Session: 1, Seq: 1, DesiredVersion: des.Version, ManifestSerial: m.Serial,
		Status: wire.Converged, Settings: &des.Settings, At: c.clock(), ClockTrusted: true}, true)
	eventually(t, "the device to count as converged", func() bool {
		var st api.Status
		c.must("GET", "/api/status", nil, &st)
		return st.Converged == 1 && st.Pending == 0
	})

	// A new schedule reaches the board as a new, higher version with a
	// higher serial, and the board is pending until it reports it.
	c.must("POST", "/api/content", api.ContentRequest{
		Items:      []content.Item{{ID: "anti-fraud", Kind: content.KindText, Text: &content.Text{Body: "谨防电信诈骗"}}},
		Programmes: []content.Programme{{ID: "p-fraud", Entries: []content.Entry{{ItemID: "anti-fraud", Seconds: 8}}}},
	}, nil)
	var sr api.CheckResponse
	c.must("POST", "/api/schedules", content.Schedule{ID: "s-fraud", ProgrammeID: "p-fraud", Priority: 10, Always: true,
		Target: content.Target{Regions: []string{"仙游县/榜头镇"}}}, &sr)
	des2 := d.desired(c.settled("led-baxia-01").Version)
	if des2.Version <= des.Version {
		t.Fatalf("version %d after a schedule change, not above %d", des2.Version, des.Version)
	}
	m2, err := content.Verify(des2.Manifest, c.pub, "led-baxia-01", m.Serial, c.clock(), true)
	if err != nil {
		t.Fatalf("second manifest: %v", err)
	}
	if a, _ := m2.At(c.clock(), true); a.Source != content.SourceSchedule || a.Programmes[0].ProgrammeID != "p-fraud" {
		t.Fatalf("after the schedule the board plays %+v", a)
	}
	var dd api.DeviceDetail
	c.must("GET", "/api/devices/led-baxia-01", nil, &dd)
	if dd.Rollout.Status != wire.Pending || dd.Rollout.Desired != des2.Version {
		t.Fatalf("rollout after the change %+v; want pending on version %d", dd.Rollout, des2.Version)
	}
	d.publish(wire.KindReported, wire.Reported{Session: 1, Seq: 2, DesiredVersion: des2.Version, Status: wire.Failed,
		Reason: &wire.Reason{Code: "disk_full", Message: "no space"}, At: c.clock()}, true)
	eventually(t, "the failure to show", func() bool {
		var st api.Status
		c.must("GET", "/api/status", nil, &st)
		return st.Failed == 1 && st.FailedReasons["disk_full"] == 1
	})

	// A broker restart loses retained messages; the fleet republishes the
	// same version, so a reconnecting board finds its desired state.
	c.b.Close()
	c.app.Stop()
	c.startBroker()
	d2 := c.connect("led-baxia-01", pw, 2)
	if got := d2.desired(1); got.Version != des2.Version {
		t.Fatalf("after the broker restart the board got version %d, want the same %d", got.Version, des2.Version)
	}
}

func TestSessionFloorForADeviceThatLostItsCounter(t *testing.T) {
	c := newCounty(t)
	pw := c.enrol("led-0001", "led", "仙游县/榜头镇")
	c.addContent("t1", "法律援助热线12348")
	d := c.connect("led-0001", pw, 7)
	first := d.desired(c.settled("led-0001").Version)
	if first.SessionFloor != 0 {
		t.Fatalf("session_floor %d before any loss", first.SessionFloor)
	}
	d.cl.Disconnect(0)
	d2 := c.connect("led-0001", pw, 3) // restored backup: counter went back
	eventually(t, "the session floor to be stored", func() bool {
		st, _ := c.st.State(t.Context(), "led-0001")
		return st.SessionFloor == 7
	})
	des := d2.desired(c.settled("led-0001").Version)
	if des.SessionFloor != 7 {
		t.Fatalf("session_floor %d, want the newest session seen (7)", des.SessionFloor)
	}
}

func TestDownloadResumesWithRange(t *testing.T) {
	c := newCounty(t)
	pw := c.enrol("kiosk-baxia-01", "kiosk", "仙游县/榜头镇/坝下村")

	// A picture is uploaded with its SHA-256, then added as an item.
	img := image.NewRGBA(image.Rect(0, 0, 64, 32))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 31)
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	pic := buf.Bytes()
	sum := sha256.Sum256(pic)
	sumHex := hex.EncodeToString(sum[:])

	req, _ := http.NewRequest("POST", c.http.URL+"/api/content/blobs", bytes.NewReader(pic))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("X-Content-SHA256", strings.Repeat("0", 64))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("upload with a wrong sha256: %d, want 400", resp.StatusCode)
	}
	req, _ = http.NewRequest("POST", c.http.URL+"/api/content/blobs", bytes.NewReader(pic))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("X-Content-SHA256", sumHex)
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	var out struct {
		Items []content.Item `json:"items"`
	}
	c.must("POST", "/api/content", api.ContentRequest{Items: []content.Item{{ID: "poster", Kind: content.KindImage, SHA256: sumHex,
		Image: &content.Image{Alt: "宪法宣传海报"}}}}, &out)
	it := out.Items[0]
	if it.Image.Width != 64 || it.Image.Height != 32 || it.Size != int64(len(pic)) {
		t.Fatalf("stored image item %+v", it)
	}

	get := func(user, pass, rng string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", c.http.URL+content.ItemPath(it.ID, it.Version), nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	if resp, _ := get("", "", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("download without credentials: %d", resp.StatusCode)
	}
	if resp, _ := get("kiosk-baxia-01", "wrong", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("download with a wrong password: %d", resp.StatusCode)
	}
	// The link drops after 100 bytes; the device resumes from there.
	resp1, part1 := get("kiosk-baxia-01", pw, "bytes=0-99")
	resp2, part2 := get("kiosk-baxia-01", pw, "bytes=100-")
	if resp1.StatusCode != http.StatusPartialContent || resp2.StatusCode != http.StatusPartialContent {
		t.Fatalf("range answers %d and %d, want 206", resp1.StatusCode, resp2.StatusCode)
	}
	whole := append(part1, part2...)
	if err := it.CheckPayload(whole); err != nil {
		t.Fatalf("resumed download: %v", err)
	}
}

func TestCommandToOfflineDeviceIsDeliveredWhenItReturnsOrExpires(t *testing.T) {
	c := newCounty(t)
	pw := c.enrol("led-0002", "led", "仙游县/榜头镇")

	var ping, late api.CommandView
	c.must("POST", "/api/devices/led-0002/commands", api.CommandRequest{Kind: "ping", DeadlineSeconds: 3600}, &ping)
	c.must("POST", "/api/devices/led-0002/commands", api.CommandRequest{Kind: "identify", Args: json.RawMessage(`{"seconds":5}`), DeadlineSeconds: 60}, &late)
	if ping.State != "pending" || ping.Sends != 0 {
		t.Fatalf("a command for an offline device: %+v; want pending, not sent", ping)
	}
	// The identify command's deadline passes while the board is away.
	c.advance(2 * time.Minute)
	eventually(t, "the identify command to expire", func() bool {
		var v api.CommandView
		c.must("GET", "/api/devices/led-0002/commands/"+late.ID, nil, &v)
		return v.State == "expired"
	})

	d := c.connect("led-0002", pw, 1)
	cmd, err := wire.DecodeCommand(d.next(wire.KindCommand))
	if err != nil {
		t.Fatal(err)
	}
	if cmd.ID != ping.ID || cmd.Kind != wire.CmdPing {
		t.Fatalf("the returning board got %+v; want only the ping (the identify expired)", cmd)
	}
	// No result yet: the fleet sends it again.
	c.advance(time.Minute)
	if again, _ := wire.DecodeCommand(d.next(wire.KindCommand)); again.ID != ping.ID {
		t.Fatalf("resend: %+v", again)
	}
	data, _ := json.Marshal(wire.PingData{UptimeS: 42, AppVersion: "test"})
	d.publish(wire.KindResult, wire.Result{ID: ping.ID, Kind: wire.CmdPing, Status: wire.ResultOK, Data: data, At: c.clock(), ClockTrusted: true}, false)
	eventually(t, "the ping result", func() bool {
		var v api.CommandView
		c.must("GET", "/api/devices/led-0002/commands/"+ping.ID, nil, &v)
		return v.State == "done" && v.Result != nil && v.Result.Status == wire.ResultOK
	})
	// A late answer to the expired command is kept, marked late.
	d.publish(wire.KindResult, wire.Result{ID: late.ID, Kind: wire.CmdIdentify, Status: wire.ResultExpired, Message: "too late", At: c.clock()}, false)
	eventually(t, "the late result", func() bool {
		var v api.CommandView
		c.must("GET", "/api/devices/led-0002/commands/"+late.ID, nil, &v)
		return v.Late && v.State == "expired"
	})

	// Unknown kinds and bad arguments are refused and nothing is stored.
	var before struct {
		Commands []api.CommandView `json:"commands"`
	}
	c.must("GET", "/api/devices/led-0002/commands", nil, &before)
	if code, eb := c.call("POST", "/api/devices/led-0002/commands", api.CommandRequest{Kind: "self_destruct"}, nil); code != 400 || eb.Field != "kind" || eb.Message == "" {
		t.Fatalf("unknown kind: %d %+v", code, eb)
	}
	if code, eb := c.call("POST", "/api/devices/led-0002/commands", api.CommandRequest{Kind: "set_brightness", Args: json.RawMessage(`{"percent":150}`)}, nil); code != 400 || eb.Field != "args" {
		t.Fatalf("brightness 150: %d %+v", code, eb)
	}
	var after struct {
		Commands []api.CommandView `json:"commands"`
	}
	c.must("GET", "/api/devices/led-0002/commands", nil, &after)
	if len(after.Commands) != len(before.Commands) {
		t.Fatalf("refused commands were stored: %d → %d", len(before.Commands), len(after.Commands))
	}
}

func TestScreenshotUploadedByTheDevice(t *testing.T) {
	c := newCounty(t)
	pw := c.enrol("led-0003", "led", "仙游县/榜头镇")
	other := c.enrol("led-0004", "led", "仙游县/榜头镇")
	d := c.connect("led-0003", pw, 1)
	eventually(t, "the board to be online", func() bool {
		var dd api.DeviceDetail
		c.must("GET", "/api/devices/led-0003", nil, &dd)
		return dd.Online
	})
	var v api.CommandView
	c.must("POST", "/api/devices/led-0003/commands", api.CommandRequest{Kind: "screenshot"}, &v)
	cmd, _ := wire.DecodeCommand(d.next(wire.KindCommand))
	args, err := cmd.DecodeArgs()
	if err != nil {
		t.Fatal(err)
	}
	path := args.(*wire.ScreenshotArgs).UploadPath
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 64, 16)))

	put := func(user, pass string, body []byte) int {
		req, _ := http.NewRequest("PUT", c.http.URL+path, bytes.NewReader(body))
		req.SetBasicAuth(user, pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := put("led-0004", other, buf.Bytes()); code != http.StatusForbidden {
		t.Fatalf("another board uploading this board's screenshot: %d, want 403", code)
	}
	if code := put("led-0003", pw, []byte("not a png")); code != http.StatusBadRequest {
		t.Fatalf("a non-PNG screenshot: %d, want 400", code)
	}
	if code := put("led-0003", pw, buf.Bytes()); code != http.StatusCreated {
		t.Fatalf("screenshot upload: %d", code)
	}
	sum := sha256.Sum256(buf.Bytes())
	data, _ := json.Marshal(wire.ScreenshotData{SHA256: hex.EncodeToString(sum[:]), Size: int64(buf.Len()), Width: 64, Height: 16})
	d.publish(wire.KindResult, wire.Result{ID: cmd.ID, Kind: wire.CmdScreenshot, Status: wire.ResultOK, Data: data, At: c.clock()}, false)
	eventually(t, "the screenshot result", func() bool {
		c.must("GET", "/api/devices/led-0003/commands/"+v.ID, nil, &v)
		return v.State == "done" && v.Screenshot != ""
	})
	req, _ := http.NewRequest("GET", c.http.URL+v.Screenshot, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, buf.Bytes()) || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("the staff see %d bytes of %s", len(got), resp.Header.Get("Content-Type"))
	}
}

func event(seq uint64, typ wire.EventType, data string) wire.Event {
	return wire.Event{Seq: seq, Type: typ, At: time.Date(2025, 12, 4, 9, 30, 0, 0, time.UTC), ClockTrusted: true,
		BootID: "boot-1", UptimeMS: seq * 1000, Data: json.RawMessage(data)}
}

func TestEventsStoredOnceAndAcknowledged(t *testing.T) {
	c := newCounty(t)
	pw := c.enrol("kiosk-0001", "kiosk", "仙游县/榜头镇/坝下村")
	d := c.connect("kiosk-0001", pw, 1)
	batch := wire.EventBatch{Batch: "b-1", Events: []wire.Event{
		event(1, wire.EventTicketIssued, `{"ticket":"A001","service":"legal_aid","day":"2025-12-04"}`),
		event(2, wire.EventRating, `{"service":"legal_aid","score":5}`),
		event(3, wire.EventRating, `{"service":"legal_aid","score":6}`),
		event(4, wire.EventBookingRequested, `{"request_id":"r-1","service":"consultation","slot_start":"2025-12-05T02:00:00Z","contact":{"name":"张三丰","phone":"13812345678"}}`),
	}}
	for round := 0; round < 2; round++ { // the second is a resend after a lost ack
		d.publish(wire.KindEvents, batch, false)
		ack, err := wire.DecodeAck(d.next(wire.KindAck))
		if err != nil {
			t.Fatal(err)
		}
		if ack.Batch != "b-1" || len(ack.Stored) != 2 || !ack.Stored.Contains(1) || !ack.Stored.Contains(2) || !ack.Stored.Contains(4) ||
			len(ack.Rejected) != 1 || ack.Rejected[0].Seq != 3 {
			t.Fatalf("round %d ack %+v; want 1,2,4 stored and 3 rejected", round, ack)
		}
	}
	var evs struct {
		Events []json.RawMessage `json:"events"`
	}
	c.must("GET", "/api/devices/kiosk-0001/events", nil, &evs)
	if len(evs.Events) != 3 {
		t.Fatalf("%d events stored after a resend, want 3", len(evs.Events))
	}

	// The device lost its counter and reuses seq 2 for another event.
	d.publish(wire.KindEvents, wire.EventBatch{Batch: "b-2", Events: []wire.Event{
		event(2, wire.EventTicketIssued, `{"ticket":"A002","service":"mediation","day":"2025-12-04"}`)}}, false)
	ack, _ := wire.DecodeAck(d.next(wire.KindAck))
	if !ack.Conflict.Contains(2) || ack.NextSeq != 5 {
		t.Fatalf("ack %+v; want seq 2 in conflict and next_seq 5", ack)
	}
	// A batch that cannot be read but names itself gets an error ack.
	d.publishRaw(wire.KindEvents, []byte(`{"schema":1,"batch":"b-3","events":"nope"}`), false)
	if ack, _ := wire.DecodeAck(d.next(wire.KindAck)); ack.Batch != "b-3" || ack.Error == nil {
		t.Fatalf("error ack %+v", ack)
	}
	c.must("GET", "/api/devices/kiosk-0001/events", nil, &evs)
	if len(evs.Events) != 3 {
		t.Fatalf("%d events after a conflict and a bad batch, want still 3", len(evs.Events))
	}

	// Telemetry is stored, and the fleet answers time requests.
	d.publish(wire.KindTelemetry, wire.TelemetryBatch{Samples: []wire.Sample{{At: c.clock(), ClockTrusted: true, BootID: "boot-1", UptimeS: 60,
		MemTotalBytes: 4 << 30, MemAvailBytes: 3 << 30, DiskTotalBytes: 32 << 30, DiskFreeBytes: 20 << 30, AppVersion: "test"}}}, false)
	eventually(t, "the telemetry sample", func() bool {
		var ts struct {
			Samples []json.RawMessage `json:"samples"`
		}
		c.must("GET", "/api/devices/kiosk-0001/telemetry", nil, &ts)
		return len(ts.Samples) == 1
	})
	d.publish(wire.KindTimeRequest, wire.TimeRequest{ID: "q1", UptimeMS: 1234}, false)
	if tr, err := wire.DecodeTime(d.next(wire.KindTime)); err != nil || tr.ID != "q1" || !tr.FleetTime.Equal(c.clock()) {
		t.Fatalf("time reply %+v %v", tr, err)
	}
	// Old telemetry is pruned after the retention period.
	c.app.Ingest.SetClock(func() time.Time { return c.clock().Add(fleet.DefaultTelemetryRetention + time.Hour) })
	if n, err := c.app.Ingest.PruneNow(t.Context()); err != nil || n != 1 {
		t.Fatalf("prune: %d %v", n, err)
	}
}

func TestBadInputIsRefusedWithFieldsAndNothingStored(t *testing.T) {
	c := newCounty(t)
	c.addContent("t1", "学法守法")
	for _, tc := range []struct {
		name, path string
		body       any
		field      string
	}{
		{"upper-case device ID", "/api/devices", api.CreateDeviceRequest{ID: "LED-1", Kind: "led", Region: "仙游县"}, "id"},
		{"unknown device kind", "/api/devices", api.CreateDeviceRequest{ID: "tv-1", Kind: "tv", Region: "仙游县"}, "kind"},
		{"empty region level", "/api/devices", api.CreateDeviceRequest{ID: "led-9", Kind: "led", Region: "仙游县//坝下村"}, "region"},
		{"unknown field", "/api/devices", map[string]any{"id": "led-9", "kind": "led", "region": "仙游县", "colour": "red"}, "colour"},
		{"wrong type", "/api/devices", map[string]any{"id": 9}, "id"},
		{"reversed window", "/api/schedules", json.RawMessage(`{"id":"s1","programme_id":"p-t1","priority":1,"target":{"regions":["仙游县"]},"weekdays":["mon","fri"],"windows":[{"start":"22:00","end":"06:00"}]}`), "windows[0]"},
		{"unknown programme", "/api/schedules", content.Schedule{ID: "s2", ProgrammeID: "nope", Priority: 1, Always: true, Target: content.Target{Regions: []string{"仙游县"}}}, "programme_id"},
		{"notice without expiry", "/api/notices", content.Notice{ID: "n1", Text: "暴雨预警", Regions: []string{"仙游县"}}, "expiry"},
		{"item of unknown kind", "/api/content", api.ContentRequest{Items: []content.Item{{ID: "x", Kind: "video"}}}, "kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, eb := c.call("POST", tc.path, tc.body, nil)
			if code != http.StatusBadRequest || !strings.Contains(eb.Field, tc.field) || eb.Message == "" || eb.Error == "" {
				t.Fatalf("%d %+v; want 400 naming %q with an English error and a Chinese message", code, eb, tc.field)
			}
		})
	}
	var devs struct {
		Devices []api.DeviceView `json:"devices"`
	}
	c.must("GET", "/api/devices", nil, &devs)
	var scheds struct {
		Schedules []content.Schedule `json:"schedules"`
	}
	c.must("GET", "/api/schedules", nil, &scheds)
	var cv api.ContentView
	c.must("GET", "/api/content", nil, &cv)
	if len(devs.Devices) != 0 || len(scheds.Schedules) != 0 || len(cv.Items) != 1 {
		t.Fatalf("refused input was stored: %d devices, %d schedules, %d items", len(devs.Devices), len(scheds.Schedules), len(cv.Items))
	}
	// Without a token nothing is served; enrolment tokens work once.
	tok := c.token
	c.token = ""
	if code, eb := c.call("GET", "/api/devices", nil, nil); code != http.StatusUnauthorized || eb.Message == "" {
		t.Fatalf("no token: %d %+v", code, eb)
	}
	c.token = tok
	var cr api.CreateDeviceResponse
	c.must("POST", "/api/devices", api.CreateDeviceRequest{ID: "led-10", Kind: "led", Region: "仙游县"}, &cr)
	c.must("POST", "/api/enrol", api.EnrolRequest{Token: cr.Enrolment.Token}, nil)
	if code, eb := c.call("POST", "/api/enrol", api.EnrolRequest{Token: cr.Enrolment.Token}, nil); code != http.StatusForbidden || eb.Code != "token_used" {
		t.Fatalf("second use of a token: %d %+v", code, eb)
	}
}

func TestScheduleCheckReportsConflictsWithDevices(t *testing.T) {
	c := newCounty(t)
	c.enrol("led-a", "led", "仙游县/榜头镇/坝下村")
	c.enrol("led-b", "led", "仙游县/度尾镇")
	c.addContent("t1", "学法守法")
	c.must("POST", "/api/schedules", content.Schedule{ID: "s-town", ProgrammeID: "p-t1", Priority: 5, Always: true,
		Target: content.Target{Regions: []string{"仙游县/榜头镇"}}}, nil)
	var cr api.CheckResponse
	c.must("POST", "/api/schedules/check", content.Schedule{ID: "s-county", ProgrammeID: "p-t1", Priority: 5, Always: true,
		Target: content.Target{Regions: []string{"仙游县"}}}, &cr)
	if cr.Stored || len(cr.Conflicts) != 1 || fmt.Sprint(cr.Conflicts[0].Devices) != "[led-a]" || cr.Conflicts[0].Message == "" {
		t.Fatalf("check: %+v; want one conflict on led-a, nothing stored", cr)
	}
	var scheds struct {
		Schedules []content.Schedule `json:"schedules"`
	}
	c.must("GET", "/api/schedules", nil, &scheds)
	if len(scheds.Schedules) != 1 {
		t.Fatalf("check stored the schedule: %d schedules", len(scheds.Schedules))
	}
}

func TestExportMosquitto(t *testing.T) {
	c := newCounty(t)
	c.enrol("led-0001", "led", "仙游县")
	out := filepath.Join(t.TempDir(), "mosq")
	res, err := server.ExportMosquitto(t.Context(), c.data, out)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := os.ReadFile(res.PasswordFile)
	acl, _ := os.ReadFile(res.ACLFile)
	if res.Devices != 1 || res.Fleet != 1 || !strings.Contains(string(pw), "led-0001:$6$") || !strings.Contains(string(pw), wire.DefaultFleetUser+":$6$") {
		t.Fatalf("password file:\n%s", pw)
	}
	want, _ := wire.MosquittoACL([]string{"led-0001"}, wire.DefaultFleetUser)
	if string(acl) != want {
		t.Fatalf("acl file:\n%s\nwant:\n%s", acl, want)
	}
}
