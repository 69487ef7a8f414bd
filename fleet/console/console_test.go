package console

import (
	"bytes"
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"lawpoint/content"
	"lawpoint/device/wire"
	"lawpoint/display"
	"lawpoint/display/bx"
	"lawpoint/fleet"
	"lawpoint/fleet/sqlitestore"
)

// quickHash is a PBKDF2 hash with few iterations, so tests sign in fast
// (VerifyStaffPassword reads the work factor from the hash).
func quickHash(pw string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key, _ := pbkdf2.Key(sha256.New, pw, salt, 1000, 32)
	return fmt.Sprintf("pbkdf2-sha256$1000$%s$%s", base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

type nopBus struct {
	mu    sync.Mutex
	count int
}

func (b *nopBus) Publish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) error {
	b.mu.Lock()
	b.count++
	b.mu.Unlock()
	return nil
}
func (b *nopBus) Subscribe(ctx context.Context, filter string, qos byte, h fleet.Handler) error {
	return nil
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	t       *testing.T
	store   *sqlitestore.Store
	reg     *fleet.Registry
	lib     *fleet.Library
	console *Console
	srv     *httptest.Server
	clock   *clock
}

const password = "correct horse 7"

func newFixture(t *testing.T, mod func(*Config)) *fixture {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	st, err := sqlitestore.Open(ctx, filepath.Join(dir, "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	blobs, err := fleet.NewBlobs(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now()}
	reg := fleet.NewRegistry(st)
	lib := fleet.NewLibrary(st, blobs)
	disp := fleet.NewDispatcher(st, &nopBus{}, nil)
	cfg := Config{Registry: reg, Library: lib, Dispatcher: disp, Now: clk.Now}
	if mod != nil {
		mod(&cfg)
	}
	c := New(cfg)
	f := &fixture{t: t, store: st, reg: reg, lib: lib, console: c, clock: clk}
	f.srv = httptest.NewServer(c)
	t.Cleanup(f.srv.Close)
	for _, a := range []fleet.Account{
		{Username: "admin", Role: fleet.StaffAdmin},
		{Username: "bangtou", Role: fleet.StaffOperator, Township: "仙游县/榜头镇"},
		{Username: "viewer", Role: fleet.StaffViewer},
	} {
		a.Hash, a.Created = quickHash(password), time.Now()
		if err := st.CreateAccount(ctx, a, fleet.AuditEntry{At: time.Now(), Actor: "test", Action: fleet.AuditAccount, Target: a.Username, Outcome: fleet.OutcomeOK}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *fixture) device(id string, kind fleet.Kind, region, model string) {
	f.t.Helper()
	if _, err := f.reg.CreateDevice(f.t.Context(), fleet.Device{ID: id, Kind: kind, Region: region, Model: model, ContactPoint: region + " 联系点"}); err != nil {
		f.t.Fatal(err)
	}
}

// browser is a client with cookies that does not follow redirects.
type browser struct {
	f *fixture
	c *http.Client
}

func (f *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{f: f, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	body   string
	header http.Header
}

func (b *browser) do(req *http.Request) page {
	b.f.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, string(body), resp.Header}
}

func (b *browser) get(path string) page {
	req, _ := http.NewRequest("GET", b.f.srv.URL+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	req, _ := http.NewRequest("POST", b.f.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, p page) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF token in the page:\n%s", p.body)
	}
	return m[1]
}

// signIn signs in through the form and returns the CSRF token of the
// signed-in pages.
func (b *browser) signIn(user string) string {
	t := b.f.t
	t.Helper()
	lp := b.get("/login")
	p := b.post("/login", url.Values{"csrf": {csrfOf(t, lp)}, "username": {user}, "password": {password}, "next": {"/"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("sign-in as %s: status %d:\n%s", user, p.status, p.body)
	}
	return csrfOf(t, b.get("/"))
}

func (f *fixture) audit(filter fleet.AuditFilter) []fleet.AuditEntry {
	f.t.Helper()
	rows, err := f.console.Audit().List(f.t.Context(), filter)
	if err != nil {
		f.t.Fatal(err)
	}
	return rows
}

func mustContain(t *testing.T, p page, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(p.body, w) {
			t.Errorf("page (status %d) lacks %q:\n%s", p.status, w, p.body)
		}
	}
}

func TestSignInAndOut(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()

	p := b.get("/library")
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?next=%2Flibrary" {
		t.Fatalf("signed out: status %d, Location %q; want 303 to the sign-in page", p.status, p.header.Get("Location"))
	}
	lp := b.get("/login")
	mustContain(t, lp, "工作人员登录", `lang="zh-CN"`, `name="username"`)
	resp, err := b.c.PostForm(f.srv.URL+"/login", url.Values{"csrf": {csrfOf(t, lp)}, "username": {"admin"}, "password": {password}, "next": {"/library"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/library" {
		t.Fatalf("sign-in: status %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var sc *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			sc = c
		}
	}
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Path != "/" || !strings.HasPrefix(sc.Value, "lpc_") {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/", sc)
	}
	// Only the hash of the token is stored.
	if _, err := f.store.ConsoleSession(t.Context(), fleet.TokenHash(sc.Value)); err != nil {
		t.Fatalf("session not stored by its hash: %v", err)
	}
	lib := b.get("/library")
	mustContain(t, lib, "内容库", "admin", "县级管理员", "退出登录")

	rows := f.audit(fleet.AuditFilter{Action: fleet.AuditLogin})
	if len(rows) != 1 || rows[0].Actor != "admin" || rows[0].Outcome != fleet.OutcomeOK || rows[0].Address == "" {
		t.Fatalf("audit after sign-in: %+v", rows)
	}

	out := b.post("/logout", url.Values{"csrf": {csrfOf(t, lib)}})
	if out.status != http.StatusSeeOther || out.header.Get("Location") != "/login" {
		t.Fatalf("sign-out: status %d to %q", out.status, out.header.Get("Location"))
	}
	if p := b.get("/"); p.status != http.StatusSeeOther {
		t.Fatalf("after sign-out / answered %d, want a redirect to sign in", p.status)
	}
	// The old cookie is dead on the server too.
	old := f.browser()
	u, _ := url.Parse(f.srv.URL)
	old.c.Jar.SetCookies(u, []*http.Cookie{sc})
	if p := old.get("/"); p.status != http.StatusSeeOther {
		t.Fatalf("the signed-out session still works: %d", p.status)
	}
	if rows := f.audit(fleet.AuditFilter{Action: fleet.AuditLogout}); len(rows) != 1 || rows[0].Actor != "admin" {
		t.Fatalf("audit after sign-out: %+v", rows)
	}
}

func TestSessionExpires(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()
	b.signIn("admin")
	f.clock.Add(20 * time.Minute)
	if p := b.get("/"); p.status != http.StatusOK {
		t.Fatalf("after 20 idle minutes: %d, want 200", p.status)
	}
	f.clock.Add(31 * time.Minute)
	if p := b.get("/"); p.status != http.StatusSeeOther {
		t.Fatalf("after 31 idle minutes: %d, want a redirect to sign in", p.status)
	}
	// Absolute: active every 20 minutes, still ended after 12 hours.
	b2 := f.browser()
	b2.signIn("admin")
	for i := 1; i <= 40; i++ {
		f.clock.Add(20 * time.Minute)
		elapsed := time.Duration(i) * 20 * time.Minute
		if p := b2.get("/library"); p.status != http.StatusOK {
			if elapsed < fleet.DefaultConsoleAbsolute {
				t.Fatalf("active session ended after %v", elapsed)
			}
			return
		}
	}
	t.Fatal("an active session outlived the absolute limit")
}

func TestWrongPassword(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()
	lp := b.get("/login")
	p := b.post("/login", url.Values{"csrf": {csrfOf(t, lp)}, "username": {"admin"}, "password": {"nope"}})
	if p.status != http.StatusUnauthorized {
		t.Fatalf("wrong password: status %d", p.status)
	}
	mustContain(t, p, `<p class="field-error" id="password-error">用户名或密码错误</p>`, `value="admin"`)
	if strings.Contains(p.body, "nope") {
		t.Error("the page echoes the wrong password")
	}
	rows := f.audit(fleet.AuditFilter{Action: fleet.AuditLogin})
	if len(rows) != 1 || rows[0].Outcome != fleet.OutcomeFailed || rows[0].Actor != "admin" {
		t.Fatalf("audit after a wrong password: %+v", rows)
	}
	// An empty field is shown beside it.
	p = b.post("/login", url.Values{"csrf": {csrfOf(t, p)}, "username": {""}, "password": {"x"}})
	if p.status != http.StatusBadRequest {
		t.Fatalf("empty username: %d", p.status)
	}
	mustContain(t, p, `id="username-error">请填写用户名`)
}

func TestLoginRateLimit(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Limits = Limits{AccountFailures: 3, AccountWindow: 15 * time.Minute} })
	b := f.browser()
	p := b.get("/login")
	for i := 0; i < 3; i++ {
		p = b.post("/login", url.Values{"csrf": {csrfOf(t, p)}, "username": {"admin"}, "password": {"wrong"}})
		if p.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, p.status)
		}
	}
	// Now even the right password is refused for that account...
	p = b.post("/login", url.Values{"csrf": {csrfOf(t, p)}, "username": {"admin"}, "password": {password}})
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
		t.Fatalf("after 3 failures: status %d, Retry-After %q", p.status, p.header.Get("Retry-After"))
	}
	mustContain(t, p, "登录尝试次数过多")
	if rows := f.audit(fleet.AuditFilter{Action: fleet.AuditLogin, Outcome: fleet.OutcomeDenied}); len(rows) != 1 {
		t.Fatalf("the refusal is not audited: %+v", rows)
	}
	// ...but not another account from the same address.
	if p := f.browser(); true {
		p.signIn("viewer")
	}
	f.clock.Add(16 * time.Minute)
	f.browser().signIn("admin")

	// Per address: a low limit refuses the next attempt whatever the name.
	g := newFixture(t, func(c *Config) { c.Limits = Limits{AddressAttempts: 2, AddressWindow: time.Minute} })
	b = g.browser()
	p = b.get("/login")
	for _, u := range []string{"a1", "a2"} {
		p = b.post("/login", url.Values{"csrf": {csrfOf(t, p)}, "username": {u}, "password": {"x"}})
	}
	p = b.post("/login", url.Values{"csrf": {csrfOf(t, p)}, "username": {"viewer"}, "password": {password}})
	if p.status != http.StatusTooManyRequests {
		t.Fatalf("third attempt from one address: %d", p.status)
	}
}

func TestCSRFRefused(t *testing.T) {
	f := newFixture(t, nil)
	f.device("led-baxia", fleet.KindLED, "仙游县/榜头镇/坝下村", "BX-5E2 128x32")
	b := f.browser()
	tok := b.signIn("admin")

	for _, form := range []url.Values{{"kind": {"reboot"}}, {"kind": {"reboot"}, "csrf": {"forged"}}} {
		p := b.post("/devices/led-baxia/commands", form)
		if p.status != http.StatusForbidden {
			t.Fatalf("POST without a valid token: %d", p.status)
		}
		mustContain(t, p, "缺少安全校验码", "请刷新页面后重新提交")
	}
	if cmds, _ := f.store.Commands(t.Context(), "led-baxia", 10); len(cmds) != 0 {
		t.Fatalf("a refused form stored commands: %+v", cmds)
	}
	if rows := f.audit(fleet.AuditFilter{Action: fleet.AuditCSRF}); len(rows) != 2 || rows[0].Actor != "admin" || rows[0].Outcome != fleet.OutcomeDenied {
		t.Fatalf("CSRF refusals in the audit log: %+v", rows)
	}
	// Another session's token does not work either.
	other := f.browser()
	otherTok := other.signIn("admin")
	if p := b.post("/devices/led-baxia/commands", url.Values{"kind": {"ping"}, "csrf": {otherTok}}); p.status != http.StatusForbidden {
		t.Fatalf("another session's token accepted: %d", p.status)
	}
	// The sign-in form needs its token too.
	if p := f.browser().post("/login", url.Values{"username": {"admin"}, "password": {password}}); p.status != http.StatusForbidden {
		t.Fatalf("sign-in without a token: %d", p.status)
	} else {
		mustContain(t, p, "缺少安全校验码")
	}
	// With the token the same form goes through.
	if p := b.post("/devices/led-baxia/commands", url.Values{"kind": {"ping"}, "csrf": {tok}}); p.status != http.StatusSeeOther {
		t.Fatalf("with the token: %d\n%s", p.status, p.body)
	}
}

func TestRolesAndTownships(t *testing.T) {
	f := newFixture(t, nil)
	f.device("led-baxia", fleet.KindLED, "仙游县/榜头镇/坝下村", "BX-5E2 128x32")
	f.device("led-yunju", fleet.KindLED, "仙游县/度尾镇/云居村", "BX-5K1")
	op := f.browser()
	tok := op.signIn("bangtou")

	p := op.get("/devices/led-yunju")
	if p.status != http.StatusForbidden {
		t.Fatalf("operator of 榜头镇 on a 度尾镇 device: %d", p.status)
	}
	mustContain(t, p, "无权访问", "不属于您所在的乡镇")
	if strings.Contains(p.body, "BX-5K1") {
		t.Error("the 403 page shows the device's details")
	}
	rows := f.audit(fleet.AuditFilter{Action: fleet.AuditDenied})
	if len(rows) != 1 || rows[0].Actor != "bangtou" || rows[0].Target != "led-yunju" || rows[0].Region != "仙游县/度尾镇/云居村" || rows[0].Outcome != fleet.OutcomeDenied {
		t.Fatalf("the refusal in the audit log: %+v", rows)
	}
	if p := op.post("/devices/led-yunju/commands", url.Values{"kind": {"reboot"}, "csrf": {tok}}); p.status != http.StatusForbidden {
		t.Fatalf("operator command on another township: %d", p.status)
	}
	if cmds, _ := f.store.Commands(t.Context(), "led-yunju", 10); len(cmds) != 0 {
		t.Fatal("a refused command was stored")
	}
	if p := op.get("/?region=" + url.QueryEscape("仙游县/度尾镇")); p.status != http.StatusForbidden {
		t.Fatalf("operator overview of another township: %d", p.status)
	}
	own := op.get("/devices/led-baxia")
	if own.status != http.StatusOK {
		t.Fatalf("operator on own device: %d", own.status)
	}
	mustContain(t, own, "led-baxia", "重启设备", "调节亮度")
	ov := op.get("/")
	mustContain(t, ov, "榜头镇", "led-baxia")
	if strings.Contains(ov.body, "度尾镇") || strings.Contains(ov.body, "led-yunju") {
		t.Error("the operator's overview shows another township")
	}
	if p := op.get("/audit"); p.status != http.StatusForbidden {
		t.Fatalf("operator on the audit log: %d", p.status)
	}

	v := f.browser()
	vt := v.signIn("viewer")
	dp := v.get("/devices/led-yunju")
	if dp.status != http.StatusOK || strings.Contains(dp.body, `value="reboot"`) {
		t.Fatalf("viewer's device page: %d, shows actions: %v", dp.status, strings.Contains(dp.body, `value="reboot"`))
	}
	mustContain(t, dp, "只读")
	if p := v.post("/devices/led-yunju/commands", url.Values{"kind": {"ping"}, "csrf": {vt}}); p.status != http.StatusForbidden {
		t.Fatalf("viewer command: %d", p.status)
	}
}

func TestDeviceCommands(t *testing.T) {
	f := newFixture(t, nil)
	f.device("led-baxia", fleet.KindLED, "仙游县/榜头镇/坝下村", "BX-5E2 128x32")
	b := f.browser()
	tok := b.signIn("admin")

	p := b.post("/devices/led-baxia/commands", url.Values{"kind": {"set_brightness"}, "percent": {"150"}, "csrf": {tok}})
	if p.status != http.StatusBadRequest {
		t.Fatalf("brightness 150: %d", p.status)
	}
	mustContain(t, p, `<p class="field-error">亮度须为0到100之间的整数</p>`, `value="150"`)
	if cmds, _ := f.store.Commands(t.Context(), "led-baxia", 10); len(cmds) != 0 {
		t.Fatal("a refused command was stored")
	}
	p = b.post("/devices/led-baxia/commands", url.Values{"kind": {"set_brightness"}, "percent": {"40"}, "csrf": {tok}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("brightness 40: %d\n%s", p.status, p.body)
	}
	cmds, _ := f.store.Commands(t.Context(), "led-baxia", 10)
	if len(cmds) != 1 || cmds[0].Kind != wire.CmdSetBrightness || string(cmds[0].Args) != `{"percent":40}` || cmds[0].CreatedBy != "admin" {
		t.Fatalf("stored commands: %+v", cmds)
	}
	dp := b.get("/devices/led-baxia?done=sent")
	mustContain(t, dp, "指令已提交", "调节亮度", "等待设备上线", `data-poll="/devices/led-baxia/commands.json"`)
	rows := f.audit(fleet.AuditFilter{Action: fleet.AuditCommand})
	if len(rows) != 1 || rows[0].Target != "led-baxia" || !strings.Contains(rows[0].After, `{"percent":40}`) {
		t.Fatalf("command audit: %+v", rows)
	}
	// The polling JSON, and a screenshot shown in the page once uploaded.
	p = b.post("/devices/led-baxia/commands", url.Values{"kind": {"screenshot"}, "csrf": {tok}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("screenshot: %d", p.status)
	}
	cmds, _ = f.store.Commands(t.Context(), "led-baxia", 10)
	shot := cmds[slices.IndexFunc(cmds, func(c fleet.Command) bool { return c.Kind == wire.CmdScreenshot })]
	var pic bytes.Buffer
	_ = png.Encode(&pic, image.NewGray(image.Rect(0, 0, 4, 4)))
	sum, err := f.lib.Blobs().PutBytes(pic.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.AttachScreenshot(t.Context(), "led-baxia", shot.ID, sum); err != nil {
		t.Fatal(err)
	}
	var j struct {
		Commands []commandJSON `json:"commands"`
	}
	jp := b.get("/devices/led-baxia/commands.json")
	i := slices.IndexFunc(j.Commands, func(c commandJSON) bool { return c.ID == shot.ID })
	if err := json.Unmarshal([]byte(jp.body), &j); err != nil || len(j.Commands) != 2 {
		t.Fatalf("commands.json: %v %s", err, jp.body)
	}
	i = slices.IndexFunc(j.Commands, func(c commandJSON) bool { return c.ID == shot.ID })
	if i < 0 || j.Commands[i].Screenshot == "" {
		t.Fatalf("commands.json lacks the screenshot: %s", jp.body)
	}
	img := b.get(j.Commands[i].Screenshot)
	if img.status != 200 || img.header.Get("Content-Type") != "image/png" || img.body != pic.String() {
		t.Fatalf("screenshot: %d %q", img.status, img.header.Get("Content-Type"))
	}
	mustContain(t, b.get("/devices/led-baxia"), `<img class="screenshot" src="/devices/led-baxia/screenshots/`+shot.ID+`"`)
}

// previewBoard renders text as the display driver would for a board.
func previewBoard(t *testing.T, model string, w, h int, text content.Text) *image.RGBA {
	t.Helper()
	m, err := bx.LookupModel(model)
	if err != nil {
		t.Fatal(err)
	}
	b, err := display.NewBoard(display.Config{Model: m, Width: w, Height: h})
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := b.Command(display.Area{}, display.MessageOf(text))
	if err != nil {
		t.Fatal(err)
	}
	return cmd.(bx.PictureUpdate).Area.Pages[0].Bitmap.Image()
}

// sameDots fails unless the preview got shows exactly the board's dots
// want; it returns how many dots are lit.
func sameDots(t *testing.T, got, want image.Image) (lit int) {
	t.Helper()
	if got.Bounds() != want.Bounds() {
		t.Fatalf("preview is %v, the board %v", got.Bounds(), want.Bounds())
	}
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			gr, gg, gb, _ := got.At(x, y).RGBA()
			wr, wg, wb, _ := want.At(x, y).RGBA()
			if gr != wr || gg != wg || gb != wb {
				t.Fatalf("dot (%d,%d) differs: preview %v, board %v", x, y, got.At(x, y), want.At(x, y))
			}
			if gr > 0 || gg > 0 || gb > 0 {
				lit++
			}
		}
	}
	return lit
}

func TestPreviewPNGMatchesDisplay(t *testing.T) {
	f := newFixture(t, nil)
	f.device("led-baxia", fleet.KindLED, "仙游县/榜头镇/坝下村", "Raspberry Pi 4 + BX-5E2 128x32")
	f.device("led-zixi", fleet.KindLED, "仙游县/榜头镇/紫溪村", "BX-5K1")
	b := f.browser()
	b.signIn("admin")
	body := "宪法是国家的根本法，尊崇宪法、学习宪法。"
	q := url.Values{"body": {body}, "colour": {"green"}, "effect": {"static"}, "board": {"bx-5e2/128x32/dual"}, "scale": {"1"}, "page": {"0"}}
	p := b.get("/library/preview.png?" + q.Encode())
	if p.status != 200 || p.header.Get("Content-Type") != "image/png" {
		t.Fatalf("preview: %d %q %s", p.status, p.header.Get("Content-Type"), p.body)
	}
	got, err := png.Decode(strings.NewReader(p.body))
	if err != nil {
		t.Fatal(err)
	}
	want := previewBoard(t, "bx-5e2", 128, 32, content.Text{Body: body, Colour: content.ColourGreen, Effect: content.EffectStatic})
	if lit := sameDots(t, got, want); lit < 100 {
		t.Fatalf("only %d dots lit: the preview is blank", lit)
	}

	// The JSON lists one preview per board model and size among the
	// targeted devices; a font card refuses characters outside GB2312.
	jq := url.Values{"body": {"张喆䶮的权益"}, "colour": {"red"}, "effect": {"static"}, "target": {"仙游县/榜头镇"}}
	jp := b.get("/library/preview.json?" + jq.Encode())
	var out struct {
		Previews []preview `json:"previews"`
	}
	if err := json.Unmarshal([]byte(jp.body), &out); err != nil || len(out.Previews) != 2 {
		t.Fatalf("preview.json: %v %s", err, jp.body)
	}
	byBoard := map[string]preview{}
	for _, pv := range out.Previews {
		byBoard[pv.Board] = pv
	}
	fc := byBoard["bx-5k1/64x16/dual"]
	if !strings.Contains(fc.Error, "字库卡") || !strings.Contains(fc.Error, "“䶮”") || strings.Contains(fc.Error, "“张”") || len(fc.Pages) != 0 {
		t.Fatalf("font card preview: %+v", fc)
	}
	if !strings.Contains(fc.Label, "未登记屏幕尺寸") {
		t.Errorf("the guessed size is not said: %q", fc.Label)
	}
	if pc := byBoard["bx-5e2/128x32/dual"]; pc.Error != "" || len(pc.Pages) == 0 || pc.Count != 1 {
		t.Fatalf("picture card preview: %+v", pc)
	}

	// Too long for a font card: the error beside the body, nothing saved.
	tok := csrfOf(t, b.get("/library/message"))
	long := strings.Repeat("法", 600)
	sp := b.post("/library/message", url.Values{"csrf": {tok}, "action": {"save"}, "id": {"too-long"}, "body": {long},
		"colour": {"red"}, "effect": {"static"}, "target": {"仙游县/榜头镇/紫溪村"}})
	if sp.status != http.StatusBadRequest {
		t.Fatalf("too long: %d", sp.status)
	}
	mustContain(t, sp, `id="body-error" >文字太长，BX-5K1 64×16 的屏放不下`)
	set, _, _ := f.lib.Set(t.Context())
	if len(set.Items) != 0 {
		t.Fatalf("a refused message was stored: %+v", set.Items)
	}
}

func TestSaveMessage(t *testing.T) {
	f := newFixture(t, nil)
	f.device("led-baxia", fleet.KindLED, "仙游县/榜头镇/坝下村", "BX-5E2 128x32")
	b := f.browser()
	tok := b.signIn("admin")
	form := url.Values{"csrf": {tok}, "action": {"save"}, "id": {""}, "body": {"邻里纠纷找调解。"}, "colour": {"green"}, "effect": {"static"}, "tags": {"人民调解，调解"}}
	p := b.post("/library/message", form)
	if p.status != http.StatusBadRequest {
		t.Fatalf("no id: %d", p.status)
	}
	mustContain(t, p, `id="id-error">请填写素材编号`, "邻里纠纷找调解。")
	form.Set("id", "tiaojie-2")
	if p := b.post("/library/message", form); p.status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", p.status, p.body)
	}
	set, _, _ := f.lib.Set(t.Context())
	if len(set.Items) != 1 || set.Items[0].ID != "tiaojie-2" || set.Items[0].Text.Body != "邻里纠纷找调解。" || len(set.Items[0].Tags) != 2 {
		t.Fatalf("stored: %+v", set.Items)
	}
	lib := b.get("/library?done=saved")
	mustContain(t, lib, "已保存", "tiaojie-2", "邻里纠纷找调解。")
	rows := f.audit(fleet.AuditFilter{Action: fleet.AuditContent})
	if len(rows) != 1 || rows[0].Target != "tiaojie-2" || rows[0].After != "邻里纠纷找调解。" {
		t.Fatalf("content audit: %+v", rows)
	}
	// A township operator cannot overwrite the county's item.
	op := f.browser()
	otok := op.signIn("bangtou")
	form.Set("csrf", otok)
	form.Set("editing", "1")
	form.Set("body", "改掉")
	p = op.post("/library/message", form)
	if p.status != http.StatusBadRequest {
		t.Fatalf("operator overwriting the county's item: %d", p.status)
	}
	mustContain(t, p, "由admin创建，您不能修改")
	if rows := f.audit(fleet.AuditFilter{Action: fleet.AuditDenied, Actor: "bangtou"}); len(rows) != 1 {
		t.Fatalf("the refusal is not audited: %+v", rows)
	}
}

func TestOverviewCounts(t *testing.T) {
	f := newFixture(t, nil)
	ctx := t.Context()
	f.device("led-baxia", fleet.KindLED, "仙游县/榜头镇/坝下村", "BX-5E2 128x32")
	f.device("kiosk-baxia", fleet.KindKiosk, "仙游县/榜头镇/坝下村", "Pi 5")
	f.device("led-zixi", fleet.KindLED, "仙游县/榜头镇/紫溪村", "BX-5K1")
	f.device("kiosk-zixi", fleet.KindKiosk, "仙游县/榜头镇/紫溪村", "Pi 4")
	f.device("led-yunju", fleet.KindLED, "仙游县/度尾镇/云居村", "BX-5K1")
	now := time.Now()
	var ps []fleet.Presence
	for _, id := range []string{"led-baxia", "kiosk-baxia", "led-zixi", "kiosk-zixi"} {
		ps = append(ps, fleet.Presence{DeviceID: id, Online: true, Session: 1, LastSeen: now})
	}
	if _, err := f.store.UpdatePresence(ctx, ps); err != nil {
		t.Fatal(err)
	}
	// Desired version 1 for every device; baxia's two converged, zixi's LED
	// failed; the rest pending.
	var ups []fleet.DesiredUpdate
	for _, id := range []string{"led-baxia", "kiosk-baxia", "led-zixi", "kiosk-zixi", "led-yunju"} {
		ups = append(ups, fleet.DesiredUpdate{DeviceID: id, Version: 1, Serial: 1, Digest: "d", Expires: now.Add(time.Hour), Issued: now, Payload: []byte("{}")})
	}
	if _, err := f.store.PutDesired(ctx, ups); err != nil {
		t.Fatal(err)
	}
	rep := func(id string, st wire.Status, reason *wire.Reason) fleet.ReportedUpdate {
		return fleet.ReportedUpdate{DeviceID: id, Received: now, Reported: wire.Reported{Schema: wire.Schema, Session: 1, Seq: 1, DesiredVersion: 1, ManifestSerial: 1, Status: st, Reason: reason}}
	}
	if _, err := f.store.UpdateReported(ctx, []fleet.ReportedUpdate{rep("led-baxia", wire.Converged, nil), rep("kiosk-baxia", wire.Converged, nil),
		rep("led-zixi", wire.Failed, &wire.Reason{Code: "signature_invalid", Message: "manifest signature does not verify"})}); err != nil {
		t.Fatal(err)
	}
	// zixi's kiosk is out of paper.
	s, _ := json.Marshal(wire.Sample{At: now, ClockTrusted: true, BootID: "b", DiskTotalBytes: 100, DiskFreeBytes: 50, Printer: &wire.PartStatus{Status: wire.PrinterPaperOut}})
	if err := f.store.AddTelemetry(ctx, []fleet.TelemetrySample{{DeviceID: "kiosk-zixi", At: now, Received: now, Sample: s}}); err != nil {
		t.Fatal(err)
	}

	b := f.browser()
	b.signIn("admin")
	p := b.get("/")
	if p.status != 200 {
		t.Fatalf("overview: %d", p.status)
	}
	// region → devices, online, converged, pending, failed, points, kiosk ok, board ok, both ok
	// kiosk-zixi (no report) and led-yunju are pending; zixi has neither a
	// working kiosk (no paper) nor a working board (failed update).
	want := map[string][9]int{
		"仙游县":         {5, 4, 2, 2, 1, 3, 1, 1, 1},
		"仙游县/榜头镇":     {4, 4, 2, 1, 1, 2, 1, 1, 1},
		"仙游县/榜头镇/坝下村": {2, 2, 2, 0, 0, 1, 1, 1, 1},
		"仙游县/榜头镇/紫溪村": {2, 2, 0, 1, 1, 1, 0, 0, 0},
		"仙游县/度尾镇":     {1, 0, 0, 1, 0, 1, 0, 0, 0},
	}
	cols := []string{"devices", "online", "converged", "pending", "failed", "points", "kiosk-ok", "board-ok", "both-ok"}
	for region, nums := range want {
		re := regexp.MustCompile(`(?s)<tr class="[^"]*" data-region="` + regexp.QuoteMeta(region) + `">(.*?)</tr>`)
		m := re.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no row for %s in:\n%s", region, p.body)
		}
		for i, col := range cols {
			cell := regexp.MustCompile(`<td class="n ` + col + `">(\d+)</td>`).FindStringSubmatch(m[1])
			if cell == nil || cell[1] != fmt.Sprint(nums[i]) {
				t.Errorf("%s %s = %v, want %d", region, col, cell, nums[i])
			}
		}
	}
	mustContain(t, p, "打印机缺纸", "内容更新失败：signature_invalid", "更新失败", "已同步", "离线")
	// A village selected lists only its devices.
	v := b.get("/?region=" + url.QueryEscape("仙游县/榜头镇/紫溪村"))
	mustContain(t, v, "led-zixi", "kiosk-zixi", "（2 台）")
	if strings.Contains(v.body, `data-device="led-yunju"`) {
		t.Error("the village list shows another township's device")
	}
}

func TestTicketPage(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()
	// The older QR form (a ticket UUID) and the new one without ticket
	// data both answer a clean "not found", with no staff page around it.
	for _, path := range []string{"/t/4f2a9c00-1111-2222-3333-444455556666", "/t/kiosk-bangtou-baxia/2026-11-27/A003"} {
		p := b.get(path)
		if p.status != http.StatusNotFound {
			t.Fatalf("%s: %d", path, p.status)
		}
		mustContain(t, p, "查询不到该号票")
		for _, leak := range []string{"设备总览", "退出登录", "csrf"} {
			if strings.Contains(p.body, leak) {
				t.Errorf("the public page shows %q", leak)
			}
		}
	}
	var asked []string
	g := newFixture(t, func(c *Config) {
		c.Tickets = func(r *http.Request, dev, day, num string) (Ticket, bool, error) {
			asked = append(asked, dev+" "+day+" "+num)
			switch num {
			case "A023":
				return Ticket{Number: "A023", Category: "法律咨询", Status: "等候中", Ahead: 3, Point: "坝下村法律服务联系点"}, true, nil
			case "A003":
				return Ticket{Number: "A003", Category: "法律咨询", Status: "已叫号，请到 1 号窗口", Ahead: -1, Point: "坝下村法律服务联系点"}, true, nil
			}
			return Ticket{}, false, nil
		}
	})
	gb := g.browser()
	p := gb.get("/t/kiosk-bangtou-baxia/2026-11-27/A023")
	if p.status != 200 {
		t.Fatalf("known ticket: %d", p.status)
	}
	mustContain(t, p, "A023", "法律咨询", "等候中", "前面还有", "3 人", "坝下村法律服务联系点", `<meta http-equiv="refresh" content="30">`)
	if asked[0] != "kiosk-bangtou-baxia 2026-11-27 A023" {
		t.Errorf("looked up %q", asked[0])
	}
	p = gb.get("/t/kiosk-bangtou-baxia/2026-11-27/A003")
	mustContain(t, p, "A003", "已叫号，请到 1 号窗口")
	if strings.Contains(p.body, "前面还有") {
		t.Error("a called ticket shows people ahead")
	}
	n := len(asked)
	for _, path := range []string{"/t/" + url.PathEscape("<script>"), "/t/Kiosk-X/2026-11-27/A003", "/t/kiosk-bangtou-baxia/27-11-2026/A003",
		"/t/kiosk-bangtou-baxia/2026-11-27/" + url.PathEscape("<b>"), "/t/kiosk-bangtou-baxia/2026-11-27/A9"} {
		if p := gb.get(path); p.status != http.StatusNotFound {
			t.Errorf("odd ticket path %s: %d", path, p.status)
		} else {
			mustContain(t, p, "查询不到该号票")
		}
	}
	if len(asked) != n {
		t.Errorf("malformed paths reached the lookup: %q", asked[n:])
	}
}

func TestAccountsAndAuditPage(t *testing.T) {
	f := newFixture(t, nil)
	b := f.browser()
	tok := b.signIn("admin")
	p := b.post("/accounts", url.Values{"csrf": {tok}, "username": {"duwei"}, "role": {"operator"}, "township": {""}})
	if p.status != http.StatusBadRequest {
		t.Fatalf("operator without township: %d", p.status)
	}
	mustContain(t, p, "乡镇操作员须指定所属乡镇")
	p = b.post("/accounts", url.Values{"csrf": {tok}, "username": {"duwei"}, "role": {"operator"}, "township": {"仙游县/度尾镇"}})
	if p.status != 200 {
		t.Fatalf("create: %d\n%s", p.status, p.body)
	}
	pw := regexp.MustCompile(`<p class="secret">([^<]+)</p>`).FindStringSubmatch(p.body)
	if pw == nil {
		t.Fatalf("no one-time password shown:\n%s", p.body)
	}
	a, err := f.store.Account(t.Context(), "duwei")
	if err != nil || a.Role != fleet.StaffOperator || a.Township != "仙游县/度尾镇" || !fleet.VerifyStaffPassword(a.Hash, pw[1]) {
		t.Fatalf("stored account: %+v %v", a, err)
	}
	ap := b.get("/audit?action=account")
	mustContain(t, ap, "创建账号 duwei", "role=operator township=仙游县/度尾镇")
	if strings.Contains(ap.body, pw[1]) {
		t.Error("the audit log shows the password")
	}
	if p := b.get("/audit?from=2026-13-01"); p.status != http.StatusBadRequest {
		t.Fatalf("bad date: %d", p.status)
	} else {
		mustContain(t, p, "日期格式应为")
	}
	lp := b.get("/audit?outcome=ok&action=login")
	mustContain(t, lp, "登录成功")
}
