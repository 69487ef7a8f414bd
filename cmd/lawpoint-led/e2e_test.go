package main

// End-to-end tests of issue 4: a real fleet (init, demo, serve on real
// sockets, the embedded broker or Debian's Mosquitto), virtual BX boards on
// real pseudo-terminals, and `lawpoint-led run` as real child processes
// (this test binary re-executed), checked by what the boards show.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"lawpoint/content"
	"lawpoint/content/demo"
	"lawpoint/device"
	"lawpoint/device/cache"
	"lawpoint/display"
	"lawpoint/display/bx"
	"lawpoint/display/dots"
	"lawpoint/display/render"
	"lawpoint/display/virtual"
	"lawpoint/fleet/api"
	"lawpoint/fleet/client"
	"lawpoint/fleet/server"
)

const childEnv = "LAWPOINT_LED_E2E_RUN"

func TestMain(m *testing.M) {
	if args := os.Getenv(childEnv); args != "" {
		var a []string
		if err := json.Unmarshal([]byte(args), &a); err != nil {
			panic(err)
		}
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		code := runAgent(ctx, a, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// Demo boards of two townships.
const (
	boardA = "led-bangtou-baxia" // 仙游县/榜头镇/坝下村
	boardB = "led-duwei-yunju"   // 仙游县/度尾镇/云居村
	kiosk  = "kiosk-bangtou-baxia"
)

var boardCfg = display.Config{Model: mustModel("bx-5e2"), Width: 128, Height: 32}

func mustModel(name string) *bx.Model {
	m, err := bx.LookupModel(name)
	if err != nil {
		panic(err)
	}
	return m
}

// freeAddr returns a free loopback address.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// county is one fleet data folder and the fleet serving it.
type county struct {
	t      *testing.T
	data   string
	tokens map[string]string
	http   string // host:port
	mqtt   string // host:port of the embedded broker
	broker string // external broker URL, if any
	stop   func()
	api    *client.Client
}

func newCounty(t *testing.T) *county { return newCountyWith(t, nil) }

// newCountyWith calls external, if given, after seeding and before serving:
// it starts an external broker and returns its URL.
func newCountyWith(t *testing.T, external func(c *county) string) *county {
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
	// Seeding twice changes nothing and makes fresh tokens.
	again, err := server.Demo(ctx, c.data)
	if err != nil || len(again.DevicesCreated) != 0 || again.ContentAdded != 0 || len(again.Tokens) != len(demo.Devices()) {
		t.Fatalf("demo again: %+v, %v; want nothing new and a token per device", again, err)
	}
	c.tokens = d.Tokens
	c.api = &client.Client{URL: "http://" + c.http}
	if external != nil {
		c.broker = external(c)
	}
	c.start()
	lr, err := c.api.Login(ctx, res.Admin, res.AdminPassword, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c.api.Token = lr.Token
	t.Cleanup(func() { c.stop() })
	return c
}

func (c *county) brokerURL() string {
	if c.broker != "" {
		return c.broker
	}
	return "mqtt://" + c.mqtt
}

// start serves the fleet on the county's fixed addresses.
func (c *county) start() {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	cfg := server.ServeConfig{Data: c.data, MQTT: c.mqtt, HTTP: c.http, DeviceMQTTURL: c.brokerURL(), Broker: c.broker,
		Logger: quietLog(c.t, "fleet"), Ready: func(map[string]string) { close(ready) }}
	if c.broker != "" {
		cfg.MQTT = ""
	}
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

// ledBoard is a virtual BX-5E2 on a pseudo-terminal.
type ledBoard struct {
	*virtual.Board
	path string
	dir  string // the device's data folder
	id   string
	cmd  *exec.Cmd
	log  *bytes.Buffer
}

func newBoard(t *testing.T, id string) *ledBoard {
	t.Helper()
	vb, err := virtual.New(virtual.Config{Model: boardCfg.Model, Width: boardCfg.Width, Height: boardCfg.Height})
	if err != nil {
		t.Fatal(err)
	}
	master, path, err := display.OpenPTY()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	hold, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { vb.Serve(ctx, master); close(done) }()
	t.Cleanup(func() { cancel(); master.Close(); hold.Close(); <-done })
	return &ledBoard{Board: vb, path: path, dir: filepath.Join(t.TempDir(), id), id: id}
}

// run starts `lawpoint-led run` for the board (enrolling with the token
// the first time) as a child process.
func (b *ledBoard) run(t *testing.T, c *county, fleetURL string) {
	t.Helper()
	args := []string{"--data", b.dir, "--port", b.path, "--model", "bx-5e2", "--size", "128x32"}
	if _, err := os.Stat(filepath.Join(b.dir, device.CredentialsFile)); err != nil {
		if fleetURL == "" {
			fleetURL = "http://" + c.http
		}
		args = append(args, "--enrol-token", c.tokens[b.id], "--fleet", fleetURL)
	}
	j, _ := json.Marshal(args)
	b.cmd = exec.Command(os.Args[0], "-test.run=^$")
	b.cmd.Env = append(os.Environ(), childEnv+"="+string(j))
	b.log = &bytes.Buffer{}
	b.cmd.Stderr = &syncWriter{w: b.log}
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmd := b.cmd
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
}

// stop ends the agent with SIGTERM (clean) or SIGKILL.
func (b *ledBoard) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	b.cmd.Process.Signal(sig)
	err := b.cmd.Wait()
	if sig == syscall.SIGTERM && err != nil {
		t.Fatalf("%s: lawpoint-led run did not stop cleanly: %v\n%s", b.id, err, b.log)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// page is what area 0 of a BX-5E2 128x32 shows first for a message.
func page(t *testing.T, m display.Message) *dots.Bitmap {
	t.Helper()
	b, err := display.NewBoard(boardCfg)
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := b.Command(display.Area{}, m)
	if err != nil {
		t.Fatal(err)
	}
	return cmd.(bx.PictureUpdate).Area.Pages[0].Bitmap
}

// demoPages are the first pages of every demo text, by item ID.
func demoPages(t *testing.T) map[string]*dots.Bitmap {
	out := map[string]*dots.Bitmap{}
	for _, it := range demo.Set().Items {
		if it.Text != nil {
			out[it.ID] = page(t, display.MessageOf(*it.Text))
		}
	}
	return out
}

// shown names which of want the board's area 0 shows now ("" for none).
func shown(b *virtual.Board, want map[string]*dots.Bitmap) string {
	a, ok := b.Area(0)
	if !ok || len(a.Pages) == 0 {
		return ""
	}
	for name, bm := range want {
		if a.Pages[0].Equal(bm) {
			return name
		}
	}
	return ""
}

// waitShows waits until the board shows one of want and returns which.
func waitShows(t *testing.T, b *ledBoard, within time.Duration, what string, want map[string]*dots.Bitmap) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	var got string
	err := b.Wait(ctx, func(vb *virtual.Board) bool {
		got = shown(vb, want)
		return got != ""
	})
	if err != nil {
		t.Fatalf("%s does not show %s; it shows:\n%s%s\nagent log:\n%s", b.id, what, b.Text(), b.Bitmap().Text(), b.log)
	}
	return got
}

func textPage(t *testing.T, s string, c dots.Color) map[string]*dots.Bitmap {
	return map[string]*dots.Bitmap{s: page(t, display.Text(s, c))}
}

// addMessage adds a text item and a programme playing it alone, then a
// schedule for regions at priority.
func (c *county) addMessage(id, text string, priority int, regions ...string) {
	c.t.Helper()
	ctx := context.Background()
	it := content.NewText(id, 1, content.Text{Body: text, Colour: content.ColourGreen, Effect: content.EffectStatic, StaySeconds: 8})
	_, err := c.api.AddContent(ctx, api.ContentRequest{Items: []content.Item{it},
		Programmes: []content.Programme{{ID: id, Name: id, Entries: []content.Entry{{ItemID: id, Seconds: 10}}}}})
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.api.AddSchedule(ctx, content.Schedule{ID: id, Name: id, ProgrammeID: id, Priority: priority, Always: true,
		Target: content.Target{Regions: regions, Kinds: []string{"led"}}}); err != nil {
		c.t.Fatal(err)
	}
}

func greenPage(t *testing.T, s string) map[string]*dots.Bitmap {
	return map[string]*dots.Bitmap{s: page(t, display.Text(s, dots.Green))}
}

func (c *county) notice(id, text, region string) {
	c.t.Helper()
	n := content.Notice{ID: id, Text: text, Regions: []string{region}, Expiry: time.Now().Add(24 * time.Hour).Truncate(time.Second)}
	if err := c.api.Do(context.Background(), http.MethodPost, "/api/notices", n, nil); err != nil {
		c.t.Fatal(err)
	}
}

func (c *county) withdraw(id string) {
	c.t.Helper()
	if err := c.api.Do(context.Background(), http.MethodPost, "/api/notices/"+id+"/withdraw", nil, nil); err != nil {
		c.t.Fatal(err)
	}
}

// desiredVersion is the fleet's desired version for a device.
func (c *county) desiredVersion(id string) uint64 {
	c.t.Helper()
	var raw struct {
		Rollout struct {
			Version uint64 `json:"desired_version"`
		} `json:"rollout"`
	}
	if err := c.api.Do(context.Background(), http.MethodGet, "/api/devices/"+id, nil, &raw); err != nil {
		c.t.Fatal(err)
	}
	return raw.Rollout.Version
}

func skipLong(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: skipped with -short")
	}
}

// TestEndToEnd: the demo county on the embedded broker, two boards in two
// townships. A notice for one township changes only its board; a broker
// restart, a board offline during a change, and a board killed during a
// download all end with every board showing what the fleet assigned.
func TestEndToEnd(t *testing.T) {
	skipLong(t)
	c := newCounty(t)
	a, b := newBoard(t, boardA), newBoard(t, boardB)
	// Board B reaches the fleet's HTTP side through a proxy that can stall
	// a download (for the kill test below).
	px := newStallProxy(t, "http://"+c.http)
	a.run(t, c, "")
	b.run(t, c, px.URL)
	demoP := demoPages(t)
	waitShows(t, a, time.Minute, "a demo message", demoP)
	waitShows(t, b, time.Minute, "a demo message", demoP)

	t.Run("ACL", func(t *testing.T) { checkACL(t, c, c.mqtt) })

	// An emergency notice for 榜头镇: board A shows it at once, B does not.
	versionB := c.desiredVersion(boardB)
	notice := "防汛紧急通知：请远离河道"
	noticeP := textPage(t, notice, dots.Red)
	c.notice("bangtou-flood", notice, "仙游县/榜头镇")
	waitShows(t, a, 30*time.Second, "the notice for 榜头镇", noticeP)
	if got := shown(b.Board, noticeP); got != "" {
		t.Fatal("board B in 度尾镇 shows the notice for 榜头镇")
	}
	if v := c.desiredVersion(boardB); v != versionB {
		t.Fatalf("board B got a new desired state (version %d → %d) for a notice outside its township", versionB, v)
	}
	if shown(b.Board, demoP) == "" {
		t.Fatalf("board B stopped showing the demo programme:\n%s", b.Bitmap().Text())
	}

	t.Run("screenshot", func(t *testing.T) { checkScreenshot(t, c, a) })
	t.Run("identify", func(t *testing.T) {
		if _, err := c.api.Command(context.Background(), boardA, api.CommandRequest{Kind: "identify", Args: json.RawMessage(`{"seconds":2}`)}); err != nil {
			t.Fatal(err)
		}
		m := display.Text(IdentifyText(boardA), dots.Yellow)
		m.Effect = bx.EffectScrollLeft
		waitShows(t, a, 30*time.Second, "its device ID", map[string]*dots.Bitmap{"id": page(t, m)})
		waitShows(t, a, 30*time.Second, "the notice again after identifying", noticeP)
	})

	// The broker restarts; both boards come back and take a county-wide
	// change made afterwards.
	c.stop()
	c.start()
	c.withdraw("bangtou-flood")
	county := "全县新消息：法律援助请拨打12348"
	c.addMessage("county-new", county, 200, demo.County)
	waitShows(t, a, time.Minute, "the county-wide message after the broker restart", greenPage(t, county))
	waitShows(t, b, time.Minute, "the county-wide message after the broker restart", greenPage(t, county))

	// Board B is off while 度尾镇 gets its own message; it shows it when it
	// is back. What it played before is then in the fleet as proof of play.
	b.stop(t, syscall.SIGTERM)
	duwei := "度尾镇：调解纠纷到司法所"
	c.addMessage("duwei-new", duwei, 300, "仙游县/度尾镇")
	b.run(t, c, "")
	waitShows(t, b, time.Minute, "度尾镇's message after coming back", greenPage(t, duwei))
	if got := shown(a.Board, greenPage(t, duwei)); got != "" {
		t.Fatal("board A in 榜头镇 shows the message for 度尾镇")
	}
	waitPlayEvents(t, c, boardB)

	t.Run("kill -9 during a download", func(t *testing.T) { checkKillDuringDownload(t, c, b, px, duwei) })
}

// checkACL: mosquitto_sub/mosquitto_pub holding device A's credentials
// (the demo kiosk, enrolled for real) can neither read board B's topics
// nor write A's own desired state.
func checkACL(t *testing.T, c *county, addr string) {
	dir := filepath.Join(t.TempDir(), kiosk)
	if _, err := device.Enrol(context.Background(), dir, device.Enrolment{FleetURL: "http://" + c.http, Token: c.tokens[kiosk], BrokerURL: c.brokerURL()}); err != nil {
		t.Fatal(err)
	}
	checkACLAs(t, c, addr, dir)
}

// checkACLAs is checkACL with the enrolled kiosk's data folder.
func checkACLAs(t *testing.T, c *county, addr, dir string) {
	host := "127.0.0.1"
	for _, bin := range []string{"mosquitto_sub", "mosquitto_pub"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed (apt-get install mosquitto-clients)", bin)
		}
	}
	creds, err := device.LoadCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(addr)
	auth := []string{"-h", host, "-p", port, "-u", creds.DeviceID, "-P", creds.Password, "-i", creds.DeviceID, "-V", "mqttv311"}
	sub := func(topic string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, _ := exec.CommandContext(ctx, "mosquitto_sub", append(auth, "-t", topic, "-v", "-W", "3")...).CombinedOutput()
		return string(out)
	}
	// Its own desired state is readable (the credentials work) ...
	own := sub("lp/v1/dev/" + kiosk + "/desired")
	if !strings.Contains(own, `"manifest"`) {
		t.Fatalf("device A cannot read its own desired state; the test is broken:\n%s", own)
	}
	// ... board B's is not, directly or through wildcards.
	for _, topic := range []string{"lp/v1/dev/" + boardB + "/desired", "lp/v1/dev/+/desired", "#", "lp/v1/dev/" + boardB + "/#"} {
		if out := sub(topic); strings.Contains(out, boardB) {
			t.Errorf("device A read board B's topics through %q:\n%s", topic, out)
		}
	}
	// Writing its own desired state does not reach anyone.
	forged := `{"schema":1,"version":999999,"settings":{"brightness":1,"volume":0,"time_zone":"Asia/Shanghai","telemetry_interval_s":60}}`
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	exec.CommandContext(ctx, "mosquitto_pub", append(auth, "-t", "lp/v1/dev/"+kiosk+"/desired", "-q", "1", "-r", "-m", forged)...).Run()
	if out := sub("lp/v1/dev/" + kiosk + "/desired"); strings.Contains(out, "999999") || !strings.Contains(out, `"manifest"`) {
		t.Errorf("device A replaced its own desired state:\n%s", out)
	}
}

// checkScreenshot asks board A for a screenshot through the API and
// compares its dots with what the virtual board shows.
func checkScreenshot(t *testing.T, c *county, b *ledBoard) {
	ctx := context.Background()
	cmd, err := c.api.Command(ctx, b.id, api.CommandRequest{Kind: "screenshot"})
	if err != nil {
		t.Fatal(err)
	}
	var view api.CommandView
	for deadline := time.Now().Add(time.Minute); ; {
		view = api.CommandView{}
		if err := c.api.Do(ctx, http.MethodGet, "/api/devices/"+b.id+"/commands/"+cmd.ID, nil, &view); err != nil {
			t.Fatal(err)
		}
		if view.Screenshot != "" || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if view.Screenshot == "" {
		t.Fatalf("no screenshot: %+v", view)
	}
	req, _ := http.NewRequest(http.MethodGet, c.api.URL+view.Screenshot, nil)
	req.Header.Set("Authorization", "Bearer "+c.api.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	img, err := png.Decode(resp.Body)
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	want := b.Bitmap()
	s := screenshotPNG.Scale
	if img.Bounds().Dx() != want.W*s || img.Bounds().Dy() != want.H*s {
		t.Fatalf("screenshot is %v, want %dx%d", img.Bounds(), want.W*s, want.H*s)
	}
	for y := range want.H {
		for x := range want.W {
			r, g, _, _ := img.At(x*s+s/2, y*s+s/2).RGBA()
			lit := want.At(x, y) != dots.Off
			if (r > 0x8000 || g > 0x8000) != lit {
				t.Fatalf("screenshot dot (%d,%d) lit=%v, the board's is %v", x, y, !lit, want.At(x, y))
			}
		}
	}
}

// waitPlayEvents waits until the fleet holds proof of play from id.
func waitPlayEvents(t *testing.T, c *county, id string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		var raw json.RawMessage
		if err := c.api.Do(context.Background(), http.MethodGet, "/api/devices/"+id+"/events", nil, &raw); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte(`"play"`)) && bytes.Contains(raw, []byte(`"plays"`)) {
			return
		}
	}
	t.Fatalf("no proof of play from %s reached the fleet", id)
}

// stallProxy forwards to the fleet and can stall the next item download
// after a number of bytes.
type stallProxy struct {
	URL     string
	armed   atomic.Bool
	stalled chan struct{}
	release chan struct{}
	ranges  atomic.Int32 // downloads that asked for a Range
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	u, _ := url.Parse(target)
	p := &stallProxy{stalled: make(chan struct{}, 1), release: make(chan struct{})}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/content/items/") {
			if r.Header.Get("Range") != "" {
				p.ranges.Add(1)
			}
			if p.armed.CompareAndSwap(true, false) {
				rp.ServeHTTP(&stallWriter{ResponseWriter: w, p: p, left: 2000}, r)
				return
			}
		}
		rp.ServeHTTP(w, r)
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	p.URL = "http://" + l.Addr().String()
	return p
}

type stallWriter struct {
	http.ResponseWriter
	p    *stallProxy
	left int
	done bool
}

func (s *stallWriter) Write(b []byte) (int, error) {
	if s.done {
		return 0, io.ErrClosedPipe
	}
	if len(b) <= s.left {
		s.left -= len(b)
		return s.ResponseWriter.Write(b)
	}
	n, _ := s.ResponseWriter.Write(b[:s.left])
	s.ResponseWriter.(http.Flusher).Flush()
	s.done = true
	s.p.stalled <- struct{}{}
	<-s.p.release
	return n, io.ErrClosedPipe
}

// checkKillDuringDownload: board B is killed with SIGKILL while a picture
// downloads; its data folder then holds one whole, verified set (the old
// one), and after a restart it resumes the download and shows the picture.
func checkKillDuringDownload(t *testing.T, c *county, b *ledBoard, px *stallProxy, old string) {
	ctx := context.Background()
	img := noise(128, 32)
	var buf bytes.Buffer
	png.Encode(&buf, img)
	sum, err := c.api.Upload(ctx, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	it := content.Item{ID: "duwei-picture", Kind: content.KindImage, SHA256: sum, Image: &content.Image{Alt: "度尾镇法治宣传图"}}
	px.armed.Store(true)
	if _, err := c.api.AddContent(ctx, api.ContentRequest{Items: []content.Item{it},
		Programmes: []content.Programme{{ID: "duwei-picture", Name: "picture", Entries: []content.Entry{{ItemID: "duwei-picture", Seconds: 10}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.api.AddSchedule(ctx, content.Schedule{ID: "duwei-picture", Name: "picture", ProgrammeID: "duwei-picture", Priority: 400, Always: true,
		Target: content.Target{Regions: []string{"仙游县/度尾镇"}, Kinds: []string{"led"}}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-px.stalled:
	case <-time.After(time.Minute):
		t.Fatalf("board B never started downloading the picture\n%s", b.log)
	}
	// The proxy has sent the first bytes; wait until the board has them in
	// its partial file, so the kill really lands mid-download.
	part := filepath.Join(b.dir, device.ContentDir, "partial", sum+".part")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if fi, err := os.Stat(part); err == nil && fi.Size() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("board B never wrote the first bytes of the picture to %s\n%s", part, b.log)
		}
	}
	before := readSet(t, b.dir)
	b.stop(t, syscall.SIGKILL)
	close(px.release)
	after := readSet(t, b.dir)
	if after == nil || after.Serial() != before.Serial() {
		t.Fatalf("after SIGKILL mid-download the board holds serial %d, want the old whole set %d", after.Serial(), before.Serial())
	}
	for _, r := range after.Manifest.Items {
		if _, err := os.Stat(after.Path(r)); err != nil {
			t.Fatalf("the set in use after SIGKILL lacks item %s: %v", r.ID, err)
		}
	}
	if shown(b.Board, greenPage(t, old)) == "" {
		t.Fatal("board B no longer shows its message after the kill")
	}
	b.run(t, c, "")
	dev, err := display.NewBoard(boardCfg)
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := dev.PictureCommand(display.Area{}, img, render.PictureOptions{Dither: render.FloydSteinberg})
	if err != nil {
		t.Fatal(err)
	}
	waitShows(t, b, time.Minute, "the picture after the restart", map[string]*dots.Bitmap{"picture": cmd.(bx.PictureUpdate).Area.Pages[0].Bitmap})
	if px.ranges.Load() == 0 {
		t.Error("the restarted board downloaded the picture from the start instead of resuming with Range")
	}
}

func readSet(t *testing.T, dir string) *cache.Set {
	t.Helper()
	creds, err := device.LoadCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := creds.PublicKey()
	cc, err := cache.Open(filepath.Join(dir, device.ContentDir), creds.DeviceID, pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cc.Current()
}

func noise(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	x := uint32(12345)
	for i := range img.Pix {
		x = x*1103515245 + 12345
		img.Pix[i] = byte(x >> 16)
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 0xff
	}
	// A bright frame so the picture is recognisable on the board.
	for x := range w {
		img.Set(x, 0, color.RGBA{255, 0, 0, 255})
		img.Set(x, h-1, color.RGBA{0, 255, 0, 255})
	}
	return img
}

// quietLog is a component's log: on stderr with -v, else discarded.
func quietLog(t *testing.T, name string) *slog.Logger {
	var w io.Writer = io.Discard
	if testing.Verbose() {
		w = os.Stderr
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn})).With("component", name)
}

// mosquitto is Debian's broker with the files export-mosquitto writes.
type mosquitto struct {
	t    *testing.T
	dir  string
	data string
	addr string
	cmd  *exec.Cmd
}

func startMosquitto(t *testing.T, data string) *mosquitto {
	t.Helper()
	if _, err := exec.LookPath("mosquitto"); err != nil {
		t.Skip("mosquitto is not installed (apt-get install mosquitto)")
	}
	dir, err := os.MkdirTemp("", "lawpoint-mosquitto-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755) // mosquitto started as root reads its files as the mosquitto user
	m := &mosquitto{t: t, dir: dir, data: data, addr: freeAddr(t)}
	m.export()
	_, port, _ := net.SplitHostPort(m.addr)
	conf := fmt.Sprintf("listener %s 127.0.0.1\nallow_anonymous false\npassword_file %s\nacl_file %s\npersistence false\nmax_packet_size 1048576\n",
		port, filepath.Join(dir, server.MosquittoPasswordFile), filepath.Join(dir, server.MosquittoACLFile))
	if err := os.WriteFile(filepath.Join(dir, "mosquitto.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	m.start()
	t.Cleanup(m.kill)
	return m
}

// export writes the accounts and ACL of the fleet's store for mosquitto
// (as `lawpoint-fleet export-mosquitto` does) and makes them readable.
func (m *mosquitto) export() {
	m.t.Helper()
	if _, err := server.ExportMosquitto(context.Background(), m.data, m.dir); err != nil {
		m.t.Fatal(err)
	}
	for _, f := range []string{server.MosquittoPasswordFile, server.MosquittoACLFile} {
		os.Chmod(filepath.Join(m.dir, f), 0o644)
	}
	if m.cmd != nil {
		m.cmd.Process.Signal(syscall.SIGHUP) // reload accounts and ACL
		time.Sleep(200 * time.Millisecond)
	}
}

func (m *mosquitto) start() {
	m.t.Helper()
	m.cmd = exec.Command("mosquitto", "-c", filepath.Join(m.dir, "mosquitto.conf"))
	if testing.Verbose() {
		m.cmd.Stderr = os.Stderr
	}
	if err := m.cmd.Start(); err != nil {
		m.t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if conn, err := net.Dial("tcp", m.addr); err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			m.t.Fatal("mosquitto does not listen")
		}
	}
}

func (m *mosquitto) kill() {
	if m.cmd != nil {
		m.cmd.Process.Kill()
		m.cmd.Wait()
		m.cmd = nil
	}
}

// TestEndToEndMosquitto runs the same protocol through Debian's Mosquitto
// (`lawpoint-fleet serve --broker`, accounts from export-mosquitto): the
// board shows the demo, then a notice; device credentials cannot cross
// the ACL; after Mosquitto restarts (losing every retained message) the
// board reconnects and takes the next change.
func TestEndToEndMosquitto(t *testing.T) {
	skipLong(t)
	var m *mosquitto
	c := newCountyWith(t, func(c *county) string {
		m = startMosquitto(t, c.data)
		return "mqtt://" + m.addr
	})
	a := newBoard(t, boardA)
	ctx := context.Background()
	if _, err := device.Enrol(ctx, a.dir, device.Enrolment{FleetURL: "http://" + c.http, Token: c.tokens[boardA]}); err != nil {
		t.Fatal(err)
	}
	kdir := filepath.Join(t.TempDir(), kiosk)
	if _, err := device.Enrol(ctx, kdir, device.Enrolment{FleetURL: "http://" + c.http, Token: c.tokens[kiosk]}); err != nil {
		t.Fatal(err)
	}
	m.export() // the enrolled devices' accounts
	a.run(t, c, "")
	waitShows(t, a, time.Minute, "a demo message", demoPages(t))

	notice := "防汛紧急通知：请远离河道"
	c.notice("bangtou-flood", notice, "仙游县/榜头镇")
	waitShows(t, a, 30*time.Second, "the notice for 榜头镇", textPage(t, notice, dots.Red))

	t.Run("ACL", func(t *testing.T) { checkACLAs(t, c, m.addr, kdir) })

	m.kill()
	m.start()
	county := "全县新消息：法律援助请拨打12348"
	c.withdraw("bangtou-flood")
	c.addMessage("county-new", county, 200, demo.County)
	waitShows(t, a, 2*time.Minute, "the county-wide message after Mosquitto restarted", greenPage(t, county))
}
