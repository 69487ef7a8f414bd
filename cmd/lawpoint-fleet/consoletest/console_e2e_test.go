// Package consoletest drives the staff console (fleet/console) end to end in
// Debian's headless Chromium through the DevTools protocol, against a real
// county (init, demo, serve) with virtual BX boards on pseudo-terminals run
// by real `lawpoint-led run` agents, and checks what staff see in the pages
// and what the boards show (issue 6, "Tests").
package consoletest

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"lawpoint/content"
	"lawpoint/display"
	"lawpoint/display/bx"
	"lawpoint/display/dots"
	"lawpoint/display/render"
	"lawpoint/display/virtual"
	"lawpoint/fleet/client"
	"lawpoint/fleet/server"
)

// Demo boards: two in 榜头镇, one in 度尾镇.
const (
	boardBaxia = "led-bangtou-baxia" // 仙游县/榜头镇/坝下村
	boardZixi  = "led-bangtou-zixi"  // 仙游县/榜头镇/紫溪村
	boardDuwei = "led-duwei-yunju"   // 仙游县/度尾镇/云居村
	bangtou    = "仙游县/榜头镇"
)

var boardCfg = display.Config{Model: mustModel("bx-5e2"), Width: 128, Height: 32}

func mustModel(name string) *bx.Model {
	m, err := bx.LookupModel(name)
	if err != nil {
		panic(err)
	}
	return m
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

func quietLog(t *testing.T, name string) *slog.Logger {
	var w io.Writer = io.Discard
	if testing.Verbose() {
		w = os.Stderr
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn})).With("component", name)
}

// county is a fleet data folder (init + demo) served on real sockets.
type county struct {
	data, http, mqtt string
	admin, password  string
	tokens           map[string]string
	api              *client.Client
}

func newCounty(t *testing.T) *county {
	t.Helper()
	c := &county{data: filepath.Join(t.TempDir(), "fleet"), http: freeAddr(t), mqtt: freeAddr(t)}
	ctx := context.Background()
	res, err := server.Init(ctx, server.InitConfig{Data: c.data})
	if err != nil {
		t.Fatal(err)
	}
	c.admin, c.password = res.Admin, res.AdminPassword
	d, err := server.Demo(ctx, c.data)
	if err != nil {
		t.Fatal(err)
	}
	c.tokens = d.Tokens
	sctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	cfg := server.ServeConfig{Data: c.data, MQTT: c.mqtt, HTTP: c.http, DeviceMQTTURL: "mqtt://" + c.mqtt,
		Logger: quietLog(t, "fleet"), Ready: func(map[string]string) { close(ready) }}
	go func() { done <- server.Serve(sctx, cfg) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("fleet did not start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("fleet did not start within 30 s")
	}
	t.Cleanup(func() { cancel(); <-done })
	c.api = &client.Client{URL: "http://" + c.http}
	lr, err := c.api.Login(ctx, c.admin, c.password, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c.api.Token = lr.Token
	return c
}

// buildAgent builds lawpoint-led once for the test.
func buildAgent(t *testing.T) string {
	t.Helper()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		if goBin, err = exec.LookPath("go"); err != nil {
			t.Skip("the go command is needed to build lawpoint-led for the boards")
		}
	}
	out := filepath.Join(t.TempDir(), "lawpoint-led")
	cmd := exec.Command(goBin, "build", "-o", out, "lawpoint/cmd/lawpoint-led")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build lawpoint-led: %v\n%s", err, b)
	}
	return out
}

// ledBoard is a virtual BX-5E2 128x32 on a pseudo-terminal driven by a
// `lawpoint-led run` child process.
type ledBoard struct {
	*virtual.Board
	id  string
	log *syncBuf
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func startBoard(t *testing.T, c *county, agent, id string) *ledBoard {
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
	b := &ledBoard{Board: vb, id: id, log: &syncBuf{}}
	cmd := exec.Command(agent, "run", "--data", filepath.Join(t.TempDir(), id), "--port", path, "--model", "bx-5e2", "--size", "128x32",
		"--enrol-token", c.tokens[id], "--fleet", "http://"+c.http)
	cmd.Stderr = b.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return b
}

// firstPage is what area 0 of a BX-5E2 128x32 shows first for m, through
// the driver (as the agent and the console's preview do).
func firstPage(t *testing.T, m display.Message) *dots.Bitmap {
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

func shows(b *virtual.Board, want *dots.Bitmap) bool {
	a, ok := b.Area(0)
	return ok && len(a.Pages) > 0 && a.Pages[0].Equal(want)
}

func waitShows(t *testing.T, b *ledBoard, within time.Duration, what string, want *dots.Bitmap) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	if err := b.Wait(ctx, func(vb *virtual.Board) bool { return shows(vb, want) }); err != nil {
		t.Fatalf("%s does not show %s within %v; it shows:\n%s%s\nagent log:\n%s", b.id, what, within, b.Text(), b.Bitmap().Text(), b.log)
	}
}

// TestConsoleInChromium: county staff use the console in a real browser;
// the boards show what they publish.
func TestConsoleInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: skipped with -short")
	}
	br := startBrowser(t)
	agent := buildAgent(t)
	c := newCounty(t)
	baxia, zixi, duwei := startBoard(t, c, agent, boardBaxia), startBoard(t, c, agent, boardZixi), startBoard(t, c, agent, boardDuwei)
	base := "http://" + c.http
	// The boards have enrolled and show something before staff start.
	for _, b := range []*ledBoard{baxia, zixi, duwei} {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		if err := b.Wait(ctx, func(vb *virtual.Board) bool { a, ok := vb.Area(0); return ok && len(a.Pages) > 0 }); err != nil {
			cancel()
			t.Fatalf("%s shows nothing after enrolling:\n%s", b.id, b.log)
		}
		cancel()
	}

	// Sign in as the administrator from init, as a person would: the
	// browser also asks for /favicon.ico after the page loads.
	br.navigate(base + "/")
	if !strings.Contains(br.url(), "/login") || !strings.Contains(br.text(), "工作人员登录") {
		t.Fatalf("the overview without a session is not the sign-in page: %s\n%s", br.url(), br.text())
	}
	br.waitRequest("/favicon.ico", 5*time.Second)
	br.fill(map[string]string{"#username": c.admin, "#password": c.password})
	br.submit(`document.querySelector("form[action='/login'] button[type=submit]").click()`, "sign-in")
	if got := br.text(); strings.Contains(got, "登录表单已失效") {
		// Known console bug: GET /favicon.ico without a session redirects to
		// /login, whose answer sets a fresh lawpoint_login cookie, so the
		// form's double-submit token no longer matches and the first
		// sign-in in a real browser is refused.
		t.Errorf("signing in with the form as loaded is refused (403 %q): the browser's /favicon.ico request was redirected to /login, "+
			"which replaced the lawpoint_login cookie; fleet/console should answer /favicon.ico itself (or not rotate a valid login cookie). Requests:\n%s",
			"登录表单已失效或来源不明", br.requestLog())
		// Go on without the favicon request to check the rest.
		br.call("Network.setBlockedURLs", map[string]any{"urls": []string{"*/favicon.ico"}})
		signIn(t, br, base, c.admin, c.password)
	}
	overview := br.text()
	for _, want := range []string{"仙游县", "榜头镇", "度尾镇", boardBaxia} {
		if !strings.Contains(overview, want) {
			t.Fatalf("the overview after signing in lacks %q (%s):\n%s", want, br.url(), overview)
		}
	}
	br.screenshot("overview")

	// A form without its CSRF token is refused and nothing is done.
	t.Run("CSRF", func(t *testing.T) {
		defer br.use(t)()
		br.navigate(base + "/accounts")
		br.fill(map[string]string{"#username": "no-token", "#township": ""})
		br.submit(`(() => { const f = document.querySelector("form[action='/accounts']"); f.querySelector("input[name=csrf]").remove();
			f.querySelector("button[type=submit]").click(); return true })()`, "account form without csrf")
		if got := br.text(); !strings.Contains(got, "表单已失效或来源不明") {
			t.Fatalf("a form without its CSRF token was not refused:\n%s", got)
		}
		br.navigate(base + "/accounts")
		if strings.Contains(br.evalString(`document.getElementById("accounts").innerText`), "no-token") {
			t.Fatal("the account from the form without its CSRF token was created")
		}
	})

	// Write an LED message; its preview appears as the driver's dots.
	const itemID = "bangtou-e2e"
	message := "榜头镇普法：遇纠纷找调解"
	wantMsg := firstPage(t, display.MessageOf(content.Text{Body: message, Colour: content.ColourGreen, Effect: content.EffectStatic}))
	br.navigate(base + "/library/message")
	br.fill(map[string]string{"#id": itemID, "#colour": "green", "#effect": "static", "#body": message})
	br.waitJS(`(() => { const i = document.querySelector("#previews .preview img.led"); return !!i && i.complete && i.naturalWidth > 0 })()`,
		30*time.Second, "the live preview image")
	src := br.evalString(`document.querySelector("#previews .preview img.led").src`)
	board := br.evalString(`document.querySelector("#previews .preview").dataset.board`)
	if !strings.Contains(board, "bx-5e2/128x32") {
		t.Errorf("the preview is for board %q, want the demo boards' bx-5e2/128x32", board)
	}
	br.screenshot("library-preview")
	checkPreviewPNG(t, br, base, src, wantMsg)

	// As a running text (跑马灯) the preview offers a demo that moves the
	// pages through a window the board's size.
	br.fill(map[string]string{"#effect": "continuous_left"})
	br.waitJS(`!!document.querySelector("#previews .led-demo button")`, 30*time.Second, "the 播放演示 button")
	br.eval(`document.querySelector("#previews .led-demo button").click()`)
	br.waitJS(`(() => { const v = document.querySelector("#previews .led-demo-view"); return !!v && !v.hidden && v.getBoundingClientRect().width > 0 })()`,
		10*time.Second, "the demo window")
	first := br.evalString(`getComputedStyle(document.querySelector("#previews .led-demo-strip")).transform`)
	br.waitJS(`getComputedStyle(document.querySelector("#previews .led-demo-strip")).transform !== `+js(first),
		10*time.Second, "the demo strip moving")
	if w, still := br.evalString(`String(document.querySelector("#previews .led-demo-view").getBoundingClientRect().width)`),
		br.evalString(`String(document.querySelector("#previews figure img.led").getBoundingClientRect().width)`); w != still {
		t.Errorf("the demo window is %s px wide, the still page %s px", w, still)
	}
	br.screenshot("library-preview-demo")
	br.fill(map[string]string{"#effect": "static"})
	br.waitJS(`!document.querySelector("#previews .led-demo")`, 30*time.Second, "the static preview again")
	br.submit(`document.querySelector("button[name=action][value=save]").click()`, "save the message")
	if got := br.text(); !strings.Contains(br.url(), "/library") || !strings.Contains(got, itemID) {
		t.Fatalf("saving the message did not lead to the library listing it (%s):\n%s", br.url(), got)
	}

	// 排期播放 on the saved message in the library: the console makes a
	// one-entry programme for it and opens the schedule form with it chosen.
	br.click(fmt.Sprintf(`#items tr[data-item="%s"] form[action="/programmes/quick"] button`, itemID), "排期播放")
	progID := "prog-" + itemID
	if !strings.Contains(br.url(), "/schedules/new?programme="+progID) {
		t.Fatalf("排期播放 did not open the schedule form with the message's programme %s (%s):\n%s", progID, br.url(), br.text())
	}
	if got := br.evalString(`document.querySelector("#programme").value`); got != progID {
		t.Fatalf("the schedule form from 排期播放 has programme %q chosen, want %q", got, progID)
	}
	if got := br.evalString(`document.querySelector("#programme").selectedOptions[0].textContent`); !strings.Contains(got, "LED文字：榜头镇普法") {
		t.Errorf("the chosen programme reads %q, want the one-entry programme named after the message", got)
	}

	// Finish the schedule form for 榜头镇; the rollout page follows, and
	// 坝下村's board shows the message while 度尾镇's does not.
	br.fill(map[string]string{"#id": itemID, "#name": "榜头镇普法", "#priority": "500"})
	chooseTargets(br, bangtou)
	br.submit(`document.querySelector("form[action='/schedules'] button[type=submit]").click()`, "save the schedule")
	if !strings.Contains(br.url(), "/rollout?schedule="+itemID) {
		t.Fatalf("saving the schedule did not open its rollout page (%s):\n%s", br.url(), br.text())
	}
	waitShows(t, baxia, 90*time.Second, "the message scheduled to 榜头镇", wantMsg)
	// The rollout page counts both boards of 榜头镇 converged (it polls; a
	// reload is the fallback).
	waitConverged(t, br, 2)
	if got := br.text(); !strings.Contains(got, boardBaxia) || !strings.Contains(got, boardZixi) || strings.Contains(got, boardDuwei) {
		t.Errorf("the rollout page should list the two boards of 榜头镇 and not 度尾镇's:\n%s", got)
	}
	br.screenshot("rollout")
	waitShows(t, zixi, 60*time.Second, "the message scheduled to 榜头镇", wantMsg)
	if shows(duwei.Board, wantMsg) {
		t.Fatal("度尾镇's board shows the message scheduled to 榜头镇")
	}
	// 正在播放 names the schedule on the overview and the device page, and
	// the board has applied it (no "not yet synchronised" warning).
	checkShowing(t, br, base, bangtou, boardBaxia, "schedule", "排期“榜头镇普法”")
	if _, got := showing(t, br, base, bangtou, boardBaxia); strings.Contains(got, "设备尚未同步") {
		t.Errorf("the overview says 坝下村's board has not synchronised after the rollout converged: %q", got)
	}
	if _, got := showing(t, br, base, "仙游县/度尾镇", boardDuwei); strings.Contains(got, "榜头镇普法") {
		t.Errorf("the overview says 度尾镇's board plays the schedule for 榜头镇: %q", got)
	}

	// An emergency notice for 榜头镇 with its confirmation step: every board
	// of 榜头镇 switches, 度尾镇's does not.
	notice := "防汛紧急通知：请远离河道"
	wantNotice := firstPage(t, display.Text(notice, dots.Red))
	br.navigate(base + "/notices/new")
	beijing := time.FixedZone("CST", 8*3600)
	expiry := time.Now().In(beijing).Add(24 * time.Hour).Format("2006-01-02T15:04")
	br.fill(map[string]string{"#text": notice, "#region": bangtou, "#expiry": expiry})
	br.submit(`document.querySelector("button[name=action][value=confirm]").click()`, "notice confirmation")
	conf := br.text()
	if !strings.Contains(conf, "确认发布紧急通知") || !strings.Contains(conf, notice) {
		t.Fatalf("no confirmation step for the notice:\n%s", conf)
	}
	if n := br.evalString(`(document.getElementById("boards") || {}).textContent || ""`); n != "2" {
		t.Errorf("the confirmation says %q boards switch, want 2 (坝下村, 紫溪村):\n%s", n, conf)
	}
	br.waitJS(`(() => { const i = document.querySelector("#previews img.led"); return !!i && i.complete && i.naturalWidth > 0 })()`,
		30*time.Second, "the notice preview image")
	br.screenshot("notice-confirm")
	if shows(baxia.Board, wantNotice) {
		t.Fatal("the board shows the notice before it is confirmed")
	}
	br.submit(`document.querySelector("button[name=action][value=publish]").click()`, "publish the notice")
	if got := br.text(); !strings.Contains(br.url(), "/notices/notice-") || !strings.Contains(got, notice) {
		t.Fatalf("publishing did not open the notice (%s):\n%s", br.url(), got)
	}
	noticePage := strings.SplitN(br.url(), "?", 2)[0]
	waitShows(t, baxia, 60*time.Second, "the notice for 榜头镇", wantNotice)
	waitShows(t, zixi, 60*time.Second, "the notice for 榜头镇", wantNotice)
	if shows(duwei.Board, wantNotice) {
		t.Fatal("度尾镇's board shows the notice for 榜头镇")
	}
	br.screenshot("notice")
	// While the notice is in force, 正在播放 names the notice.
	checkShowing(t, br, base, bangtou, boardBaxia, "notice", "紧急通知 “"+notice+"”")

	// Withdraw the notice from its page, through the confirmation step: the
	// page says it is withdrawn, and the boards go back to the schedule's
	// message.
	br.navigate(noticePage)
	br.click(`form[action$="/withdraw"] button[name=action][value=confirm]`, "withdraw the notice")
	if got := br.text(); !strings.Contains(got, "确定撤回这条紧急通知吗") || !strings.Contains(got, "恢复原来的节目") {
		t.Fatalf("withdrawing has no confirmation step:\n%s", got)
	}
	if shows(baxia.Board, wantMsg) {
		t.Fatal("the board left the notice before the withdrawal was confirmed")
	}
	br.click(`#confirm button[name=action][value=withdraw]`, "confirm the withdrawal")
	if got := br.text(); !strings.Contains(br.url(), "done=withdrawn") || !strings.Contains(got, "紧急通知已撤回") {
		t.Fatalf("confirming the withdrawal did not come back to the notice saying so (%s):\n%s", br.url(), got)
	}
	if got := br.evalString(`document.querySelector("h1 .badge").textContent`); got != "已撤回" {
		t.Errorf("the withdrawn notice's page shows the state %q, want 已撤回", got)
	}
	if v, _ := br.eval(`document.body.innerText.includes("撤回通知…")`).(bool); v {
		t.Errorf("the withdrawn notice still offers 撤回通知…")
	}
	waitShows(t, baxia, 60*time.Second, "the schedule's message again after the withdrawal", wantMsg)
	waitShows(t, zixi, 60*time.Second, "the schedule's message again after the withdrawal", wantMsg)
	// The notice's page counts both boards as having left the notice.
	br.navigate(noticePage)
	if got := br.evalString(`document.querySelector("h1 .badge").textContent`); got != "已撤回" {
		t.Errorf("the withdrawn notice's page shows the state %q after a reload, want 已撤回", got)
	}
	waitPage(t, br, fmt.Sprintf(`["%s", "%s"].every(d => { const b = document.querySelector('#rollout tr[data-device="' + d + '"] .badge'); return !!b && b.textContent === "已生效" })`, boardBaxia, boardZixi),
		60*time.Second, "the withdrawn notice's delivery 已生效 on both boards of 榜头镇")
	br.screenshot("notice-withdrawn")
	checkShowing(t, br, base, bangtou, boardBaxia, "schedule", "排期“榜头镇普法”")

	// What another township has, for the operator to be refused below: a
	// schedule for 度尾镇 (priority 5, under the county's own) and a notice
	// for 鲤城街道 (whose board is not running here).
	br.navigate(base + "/schedules/new")
	br.fill(map[string]string{"#id": "duwei-e2e", "#name": "度尾镇普法", "#programme": "street-evening", "#priority": "5"})
	chooseTargets(br, "仙游县/度尾镇")
	br.submit(`document.querySelector("form[action='/schedules'] button[type=submit]").click()`, "save 度尾镇's schedule")
	if !strings.Contains(br.url(), "/rollout?schedule=duwei-e2e") {
		t.Fatalf("saving 度尾镇's schedule did not open its rollout page (%s):\n%s", br.url(), br.text())
	}
	br.navigate(base + "/notices/new")
	br.fill(map[string]string{"#text": "鲤城街道停水通知", "#region": "仙游县/鲤城街道", "#expiry": expiry})
	br.click(`button[name=action][value=confirm]`, "鲤城街道's notice confirmation")
	br.click(`button[name=action][value=publish]`, "publish 鲤城街道's notice")
	if !strings.Contains(br.url(), "/notices/notice-") {
		t.Fatalf("publishing 鲤城街道's notice did not open it (%s):\n%s", br.url(), br.text())
	}
	otherNotice := strings.TrimPrefix(strings.SplitN(br.url(), "?", 2)[0], base)

	// A township operator of 榜头镇, created on the accounts page: refused
	// 度尾镇's device page, may open 榜头镇's; writes a message and
	// schedules it for the township, which becomes a draft the boards do not
	// play; refused another township's schedule, month view, reports and
	// notice.
	opItem, opMessage, opSchedule := "bangtou-op-e2e", "调解室周三全天开放", "bangtou-op-e2e"
	wantOp := firstPage(t, display.MessageOf(content.Text{Body: opMessage, Colour: content.ColourGreen, Effect: content.EffectStatic}))
	drafted := t.Run("operator", func(t *testing.T) {
		defer br.use(t)()
		br.navigate(base + "/accounts")
		br.fill(map[string]string{"#username": "bangtou-op", "#role": "operator", "#township": bangtou})
		br.submit(`document.querySelector("form[action='/accounts'] button[type=submit]").click()`, "create the operator")
		pw := strings.TrimSpace(br.evalString(`(document.querySelector(".secret") || {}).textContent || ""`))
		if pw == "" {
			t.Fatalf("no one-time password for the new operator:\n%s", br.text())
		}
		signOut(t, br, base)
		signIn(t, br, base, "bangtou-op", pw)
		// A new account changes its one-time password first (until then every page leads to 修改密码).
		br.fill(map[string]string{"#current": pw, "#new": "bangtou-op-e2e-pw", "#confirm": "bangtou-op-e2e-pw"})
		br.click("form[action='/account/password'] button[type=submit]", "change the operator's one-time password")
		br.navigate(base + "/")
		if got := br.text(); strings.Contains(got, boardDuwei) || !strings.Contains(got, boardBaxia) {
			t.Errorf("the operator's overview should list 榜头镇's boards only:\n%s", got)
		}
		refused(t, br, base, "/devices/"+boardDuwei, "该设备不属于您所在的乡镇")
		br.navigate(base + "/devices/" + boardBaxia)
		if got := br.text(); strings.Contains(got, "无权访问") || !strings.Contains(got, boardBaxia) {
			t.Fatalf("the operator of 榜头镇 cannot open 坝下村's device page:\n%s", got)
		}

		// The operator's message, scheduled with 排期播放: the form says it
		// will be a draft, and saving says it awaits approval.
		br.navigate(base + "/library/message")
		br.fill(map[string]string{"#id": opItem, "#colour": "green", "#effect": "static", "#body": opMessage})
		br.click("button[name=action][value=save]", "save the operator's message")
		if got := br.text(); !strings.Contains(br.url(), "/library") || !strings.Contains(got, opItem) {
			t.Fatalf("saving the operator's message did not lead to the library listing it (%s):\n%s", br.url(), got)
		}
		br.click(fmt.Sprintf(`#items tr[data-item="%s"] form[action="/programmes/quick"] button`, opItem), "排期播放 as the operator")
		if got := br.evalString(`document.querySelector("#programme").value`); got != "prog-"+opItem {
			t.Fatalf("排期播放 opened the schedule form with programme %q, want prog-%s (%s):\n%s", got, opItem, br.url(), br.text())
		}
		form := br.text()
		if !strings.Contains(form, "保存为草稿，县级管理员审批后才会生效") {
			t.Errorf("the operator's schedule form does not say it becomes a draft:\n%s", form)
		}
		if got := br.evalString(`[...document.querySelector("#region").selectedOptions].map(o => o.value).join(",")`); got != bangtou {
			t.Errorf("the operator's schedule form has regions %q chosen, want their township %s", got, bangtou)
		}
		br.fill(map[string]string{"#id": opSchedule, "#name": "调解室开放", "#priority": "600"})
		chooseTargets(br, bangtou)
		br.click("form[action='/schedules'] button[type=submit]", "submit the operator's draft")
		got := br.text()
		if !strings.Contains(br.url(), "done=drafted") || !strings.Contains(got, "已提交草稿，县级管理员审批后生效") {
			t.Fatalf("submitting the operator's schedule does not say it awaits approval (%s):\n%s", br.url(), got)
		}
		if st := br.evalString(fmt.Sprintf(`[...document.querySelectorAll("tr[data-draft]")].filter(r => r.children[1].textContent === %s).map(r => r.innerText).join("\n")`, js(opSchedule))); !strings.Contains(st, "待审批") {
			t.Errorf("the operator's drafts list %s as %q, want 待审批:\n%s", opSchedule, st, got)
		}
		if v, _ := br.eval(fmt.Sprintf(`!!document.querySelector('tr[data-schedule="%s"]')`, opSchedule)).(bool); v {
			t.Errorf("the draft %s is listed among the schedules in force:\n%s", opSchedule, got)
		}
		// Nothing plays it yet: 正在播放 still names the county's schedule.
		checkShowing(t, br, base, bangtou, boardBaxia, "schedule", "排期“榜头镇普法”")

		// Another township's schedule, month view, reports and notice.
		refused(t, br, base, "/schedules/duwei-e2e/edit", "您无权修改这个排期")
		refused(t, br, base, "/schedules/month?region="+url.QueryEscape("仙游县/度尾镇"), "只能查看本乡镇的排期")
		refused(t, br, base, "/reports?region="+url.QueryEscape("仙游县/度尾镇"), "")
		refused(t, br, base, otherNotice, "这条紧急通知不属于您所在的乡镇")
		// Their own township's month view opens.
		br.navigate(base + "/schedules/month?region=" + url.QueryEscape(bangtou))
		if st := br.status(); st != 200 || !strings.Contains(br.text(), "排期月视图") {
			t.Errorf("the operator's own month view: status %d:\n%s", st, br.text())
		}
	})

	// Back as the administrator: the audit log lists the operator's
	// refusals; the boards still play the county's schedule.
	signOut(t, br, base)
	signIn(t, br, base, c.admin, c.password)
	t.Run("refusals audited", func(t *testing.T) {
		defer br.use(t)()
		br.navigate(base + "/audit?actor=bangtou-op&outcome=denied")
		rows := br.evalString(`[...document.querySelectorAll("#audit tbody tr[data-outcome=denied]")].map(r => r.innerText).join("\n")`)
		for _, want := range []string{"GET /devices/" + boardDuwei, "GET /schedules/duwei-e2e/edit", "GET /schedules/month", "GET /reports", "GET " + otherNotice} {
			if !strings.Contains(rows, want) {
				t.Errorf("the audit log lacks the operator's refusal %q; its denied rows for bangtou-op:\n%s", want, rows)
			}
		}
		if !strings.Contains(rows, "仙游县/度尾镇") || !strings.Contains(rows, "仙游县/鲤城街道") {
			t.Errorf("the audit rows should name the regions refused (度尾镇, 鲤城街道):\n%s", rows)
		}
	})
	if drafted {
		for _, b := range []*ledBoard{baxia, zixi} {
			if !shows(b.Board, wantMsg) || shows(b.Board, wantOp) {
				t.Errorf("%s changed before the operator's draft was approved:\n%s", b.id, b.Text())
			}
		}
	}

	// The pages fit an office PC (1280 px) and a tablet (768 px) without
	// sideways scrolling; screenshots at 768 px for a person to look at.
	t.Run("layout", func(t *testing.T) { defer br.use(t)(); checkLayout(t, br, base, itemID) })

	// The administrator approves the draft on /schedules/drafts: the boards
	// of 榜头镇 show the operator's message, 度尾镇's does not.
	t.Run("approve", func(t *testing.T) {
		defer br.use(t)()
		if !drafted {
			t.Skip("the operator's draft was not made")
		}
		br.navigate(base + "/schedules/drafts")
		sel := fmt.Sprintf(`[...document.querySelectorAll("section[data-draft]")].find(s => s.querySelector("h2").textContent.includes(%s))`, js(opSchedule))
		card := br.evalString(`(` + sel + ` || {}).innerText || ""`)
		if !strings.Contains(card, "bangtou-op") || !strings.Contains(card, "prog-"+opItem) || !strings.Contains(card, "区域："+bangtou) {
			t.Fatalf("the drafts page does not show the operator's draft %s with its author, programme and region:\n%s", opSchedule, br.text())
		}
		br.submit(`(`+sel+`).querySelector("button[name=action][value=approve]").click()`, "approve the draft")
		if !strings.Contains(br.url(), "/rollout?schedule="+opSchedule) {
			t.Fatalf("approving did not open the schedule's rollout page (%s):\n%s", br.url(), br.text())
		}
		waitShows(t, baxia, 90*time.Second, "the operator's approved schedule", wantOp)
		waitShows(t, zixi, 60*time.Second, "the operator's approved schedule", wantOp)
		if shows(duwei.Board, wantOp) {
			t.Fatal("度尾镇's board shows the schedule approved for 榜头镇")
		}
		checkShowing(t, br, base, bangtou, boardBaxia, "schedule", "排期“调解室开放”")
		br.navigate(base + "/schedules/drafts")
		if got := br.text(); strings.Contains(got, opSchedule) || !strings.Contains(got, "没有待审批的草稿") {
			t.Errorf("the approved draft is still pending:\n%s", got)
		}
	})
}

// signIn signs in through the form once the page's requests have settled
// and the login cookie still matches the form's token (working around the
// favicon bug reported above, so the rest of the scenario is checked).
func signIn(t *testing.T, br *browser, base, user, password string) {
	t.Helper()
	for try := 0; ; try++ {
		br.navigate(base + "/login")
		for n := -1; n != len(br.requestLog()); time.Sleep(700 * time.Millisecond) {
			n = len(br.requestLog())
		}
		tok := br.evalString(`document.querySelector("form[action='/login'] input[name=csrf]").value`)
		if strings.Contains(br.cookieHeader(base+"/login"), "lawpoint_login="+tok) {
			break
		}
		if try == 5 {
			t.Fatalf("the sign-in form's token never matched the login cookie:\n%s", br.requestLog())
		}
	}
	br.fill(map[string]string{"#username": user, "#password": password})
	br.submit(`document.querySelector("form[action='/login'] button[type=submit]").click()`, "sign in as "+user)
	if got := br.text(); strings.Contains(got, "工作人员登录") || strings.Contains(got, "请求已拒绝") {
		t.Fatalf("signing in as %s failed (%s):\n%s", user, br.url(), got)
	}
}

// checkPreviewPNG fetches the preview image the page shows, with the
// browser's session, at one pixel per dot, and compares it with the
// driver's first page.
func checkPreviewPNG(t *testing.T, br *browser, base, src string, want *dots.Bitmap) {
	t.Helper()
	u, err := url.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("scale", "1")
	u.RawQuery = q.Encode()
	req, _ := http.NewRequest(http.MethodGet, u.String(), nil)
	req.Header.Set("Cookie", br.cookieHeader(base))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("preview %s: %s %s\n%s", u, resp.Status, resp.Header.Get("Content-Type"), b)
	}
	img, err := png.Decode(resp.Body)
	if err != nil {
		t.Fatalf("the preview is not a PNG: %v", err)
	}
	if img.Bounds().Dx() != boardCfg.Width || img.Bounds().Dy() != boardCfg.Height {
		t.Fatalf("the preview at scale=1 is %v, want the board's %dx%d", img.Bounds(), boardCfg.Width, boardCfg.Height)
	}
	exp, err := render.LEDImage(want, render.PNGOptions{Scale: 1})
	if err != nil {
		t.Fatal(err)
	}
	for y := range boardCfg.Height {
		for x := range boardCfg.Width {
			r1, g1, b1, _ := img.At(x, y).RGBA()
			r2, g2, b2, _ := exp.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 {
				t.Fatalf("preview dot (%d,%d) differs from the driver's page", x, y)
			}
		}
	}
}
