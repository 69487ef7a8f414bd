package console

import (
	"crypto/ed25519"
	"encoding/json"
	"image/png"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"lawpoint/content"
	"lawpoint/device/wire"
	"lawpoint/display"
	"lawpoint/display/bx"
	"lawpoint/display/dots"
	"lawpoint/fleet"
)

// noticeFleet is a fixture with boards in two townships, a kiosk, and a
// Distributor that issues desired state on demand.
func noticeFleet(t *testing.T) (*fixture, *fleet.Distributor) {
	f := newFixture(t, nil)
	f.device("led-baxia", fleet.KindLED, "仙游县/榜头镇/坝下村", "BX-5E2 128x32")
	f.device("led-zixi", fleet.KindLED, "仙游县/榜头镇/紫溪村", "BX-5E2 128x32")
	f.device("kiosk-baxia", fleet.KindKiosk, "仙游县/榜头镇/坝下村", "")
	f.device("led-gaiwei", fleet.KindLED, "仙游县/盖尾镇/前连村", "BX-5E2 128x32")
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return f, fleet.NewDistributor(f.store, &nopBus{}, key, nil)
}

// report stores a device's reported state about its current desired version.
func (f *fixture) report(id string, seq uint64, status wire.Status, reason *wire.Reason) {
	f.t.Helper()
	st, err := f.store.State(f.t.Context(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	rep := wire.Reported{Session: 1, Seq: seq, DesiredVersion: st.Version, ManifestSerial: st.Serial, Status: status, Reason: reason, At: time.Now()}
	if _, err := f.store.UpdateReported(f.t.Context(), []fleet.ReportedUpdate{{DeviceID: id, Reported: rep, Received: time.Now()}}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) rollout(b *browser, q string) rolloutSummary {
	f.t.Helper()
	p := b.get("/rollout.json?" + q)
	var s rolloutSummary
	if p.status != 200 || json.Unmarshal([]byte(p.body), &s) != nil {
		f.t.Fatalf("rollout.json?%s: %d %s", q, p.status, p.body)
	}
	return s
}

func expiryIn(d time.Duration) string { return time.Now().Add(d).In(shanghai).Format(datetimeLocal) }

func TestNoticeRefusals(t *testing.T) {
	f, _ := noticeFleet(t)
	ctx := t.Context()

	// A viewer cannot open the form nor publish: 403, audited, nothing stored.
	v := f.browser()
	tok := v.signIn("viewer")
	if p := v.get("/notices/new"); p.status != http.StatusForbidden {
		t.Fatalf("viewer form: %d", p.status)
	}
	p := v.post("/notices/new", url.Values{"csrf": {tok}, "action": {"publish"}, "text": {"停电通知"}, "region": {"仙游县"}, "expiry": {expiryIn(time.Hour)}})
	if p.status != http.StatusForbidden {
		t.Fatalf("viewer publish: %d", p.status)
	}
	if rows := f.audit(fleet.AuditFilter{Actor: "viewer", Action: fleet.AuditDenied}); len(rows) != 2 {
		t.Fatalf("viewer refusals audited: %+v", rows)
	}
	if l := v.get("/notices"); l.status != 200 || strings.Contains(l.body, `href="/notices/new"`) {
		t.Fatalf("viewer list offers publishing: %d", l.status)
	}

	// No CSRF token: 403, nothing stored.
	a := f.browser()
	atok := a.signIn("admin")
	if p := a.post("/notices/new", url.Values{"action": {"publish"}, "text": {"停电通知"}, "region": {"仙游县"}, "expiry": {expiryIn(time.Hour)}}); p.status != http.StatusForbidden {
		t.Fatalf("no CSRF: %d", p.status)
	}

	// Field errors beside their fields.
	p = a.post("/notices/new", url.Values{"csrf": {atok}, "action": {"confirm"}, "text": {""}, "region": {""}, "expiry": {expiryIn(-time.Hour)}})
	if p.status != http.StatusBadRequest {
		t.Fatalf("bad form: %d", p.status)
	}
	mustContain(t, p, `id="text-error">请输入通知内容`, `id="region-error">请选择发布区域`, `id="expiry-error">截止时间须晚于现在`)
	p = a.post("/notices/new", url.Values{"csrf": {atok}, "action": {"publish"}, "text": {"x"}, "region": {"仙游县"}, "expiry": {expiryIn(40 * 24 * time.Hour)}})
	mustContain(t, p, `id="expiry-error">紧急通知最长有效 30 天`)

	// A township operator is confined to their township: the form lists
	// only it, and another township is refused beside the field, audited.
	o := f.browser()
	otok := o.signIn("bangtou")
	form := o.get("/notices/new")
	mustContain(t, form, `value="仙游县/榜头镇"`, `value="仙游县/榜头镇/坝下村"`)
	if strings.Contains(form.body, "盖尾镇") || strings.Contains(form.body, `value="仙游县"`) {
		t.Fatalf("operator offered other regions:\n%s", form.body)
	}
	p = o.post("/notices/new", url.Values{"csrf": {otok}, "action": {"publish"}, "text": {"停电通知"}, "region": {"仙游县/盖尾镇"}, "expiry": {expiryIn(time.Hour)}})
	if p.status != http.StatusBadRequest {
		t.Fatalf("operator, other township: %d", p.status)
	}
	mustContain(t, p, `id="region-error">只能向本乡镇（仙游县/榜头镇）发布紧急通知`)
	if rows := f.audit(fleet.AuditFilter{Actor: "bangtou", Action: fleet.AuditDenied}); len(rows) != 1 || rows[0].Region != "仙游县/盖尾镇" {
		t.Fatalf("operator refusal audited: %+v", rows)
	}
	set, _, _ := f.lib.Set(ctx)
	if len(set.Notices) != 0 {
		t.Fatalf("refused notices stored: %+v", set.Notices)
	}
}

func TestNoticePublishDeliverWithdraw(t *testing.T) {
	f, dist := noticeFleet(t)
	ctx := t.Context()
	b := f.browser()
	tok := b.signIn("bangtou")
	text := "紧急通知：今日下午榜头镇停电，调解室暂停服务。"
	exp := expiryIn(3 * time.Hour)

	// Step 1: the confirmation shows the exact preview and how many boards switch.
	p := b.post("/notices/new", url.Values{"csrf": {tok}, "action": {"confirm"}, "text": {text}, "region": {"仙游县/榜头镇"}, "expiry": {exp}})
	if p.status != 200 {
		t.Fatalf("confirm: %d %s", p.status, p.body)
	}
	mustContain(t, p, "确认发布紧急通知", `<strong id="boards">2</strong> 块LED屏将立即改为播放这条通知`, "1 台自助一体机也将显示",
		`name="action" value="publish"`, `data-board="bx-5e2/128x32/dual"`, "共 2 块", "/notices/preview.png?")
	if strings.Contains(p.body, "led-gaiwei") {
		t.Fatal("a board outside the region is in the preview")
	}
	set, _, _ := f.lib.Set(ctx)
	if len(set.Notices) != 0 {
		t.Fatal("the confirmation step stored the notice")
	}

	// The preview image is the board's own dots for the notice message.
	q := url.Values{"text": {text}, "board": {"bx-5e2/128x32/dual"}, "scale": {"1"}, "page": {"0"}}
	img := b.get("/notices/preview.png?" + q.Encode())
	if img.status != 200 || img.header.Get("Content-Type") != "image/png" {
		t.Fatalf("notice preview: %d %s", img.status, img.body)
	}
	got, err := png.Decode(strings.NewReader(img.body))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := bx.LookupModel("bx-5e2")
	board, _ := display.NewBoard(display.Config{Model: m, Width: 128, Height: 32})
	cmd, err := board.Command(display.Area{}, display.Text(text, dots.Red))
	if err != nil {
		t.Fatal(err)
	}
	want := cmd.(bx.PictureUpdate).Area.Pages[0].Bitmap.Image()
	if lit := sameDots(t, got, want); lit < 100 {
		t.Fatalf("only %d dots lit", lit)
	}

	// Step 2: publish.
	p = b.post("/notices/new", url.Values{"csrf": {tok}, "action": {"publish"}, "text": {text}, "region": {"仙游县/榜头镇"}, "expiry": {exp}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/notices/notice-") {
		t.Fatalf("publish: %d %q %s", p.status, p.header.Get("Location"), p.body)
	}
	loc := p.header.Get("Location")
	id := strings.TrimPrefix(strings.TrimSuffix(loc, "?done=published"), "/notices/")
	set, _, _ = f.lib.Set(ctx)
	if len(set.Notices) != 1 || set.Notices[0].ID != id || set.Notices[0].Text != text || set.Notices[0].Regions[0] != "仙游县/榜头镇" ||
		set.Notices[0].Expiry.In(shanghai).Format(datetimeLocal) != exp {
		t.Fatalf("stored: %+v", set.Notices)
	}
	rows := f.audit(fleet.AuditFilter{Action: fleet.AuditPublish})
	if len(rows) != 1 || rows[0].Actor != "bangtou" || rows[0].Target != id || rows[0].Region != "仙游县/榜头镇" || !strings.Contains(rows[0].After, text) {
		t.Fatalf("publish audit: %+v", rows)
	}

	// Before the Distributor ran: every device in the region is waiting.
	p = b.get(loc)
	mustContain(t, p, "紧急通知已发布", text, "生效中", `data-rollout="/rollout.json?notice=`+id+`"`, `data-device="led-baxia"`,
		`data-device="kiosk-baxia"`, "待下发", `max="3" value="0"`)
	if strings.Contains(p.body, "led-gaiwei") {
		t.Fatal("a device outside the region is listed")
	}

	// The Distributor issues the notice; one board converges, one fails.
	if _, err := dist.RecomputeAll(ctx); err != nil {
		t.Fatal(err)
	}
	s := f.rollout(b, "notice="+id)
	if s.Total != 3 || s.Pending != 3 || s.Devices[0].StatusName != "待同步" {
		t.Fatalf("after issue: %+v", s)
	}
	f.report("led-baxia", 1, wire.Converged, nil)
	f.report("led-zixi", 1, wire.Failed, &wire.Reason{Code: "display_error", Message: "board not answering"})
	s = f.rollout(b, "notice="+id)
	if s.Total != 3 || s.Converged != 1 || s.Failed != 1 || s.Pending != 1 || s.Percent != 33 || s.Done {
		t.Fatalf("after reports: %+v", s)
	}
	if s.Devices[0].ID != "led-zixi" || !strings.Contains(s.Devices[0].Reason, "display_error（board not answering）") {
		t.Fatalf("the failure comes first with its reason: %+v", s.Devices[0])
	}
	p = b.get("/notices/" + id)
	mustContain(t, p, `<span class="badge converged">已生效</span>`, `<span class="badge failed">失败</span>`, "设备尚未上报状态", `max="3" value="1"`)
	rp := b.get("/rollout?notice=" + id)
	mustContain(t, rp, "发布进度", `<strong class="r-converged">1</strong> / <strong class="r-total">3</strong>`, `<strong class="r-failed">1</strong>`)

	// Another township's operator cannot see it (403, audited).
	acct := fleet.Account{Username: "gaiwei", Role: fleet.StaffOperator, Township: "仙游县/盖尾镇", Hash: quickHash(password), Created: time.Now()}
	if err := f.store.CreateAccount(ctx, acct, fleet.AuditEntry{At: time.Now(), Actor: "test", Action: fleet.AuditAccount, Target: "gaiwei", Outcome: fleet.OutcomeOK}); err != nil {
		t.Fatal(err)
	}
	g := f.browser()
	gtok := g.signIn("gaiwei")
	if p := g.get("/notices/" + id); p.status != http.StatusForbidden {
		t.Fatalf("other township: %d", p.status)
	}
	if p := g.post("/notices/"+id+"/withdraw", url.Values{"csrf": {gtok}, "action": {"withdraw"}}); p.status != http.StatusForbidden {
		t.Fatalf("other township withdraw: %d", p.status)
	}
	if l := g.get("/notices"); strings.Contains(l.body, id) {
		t.Fatal("other township lists the notice")
	}
	if rows := f.audit(fleet.AuditFilter{Actor: "gaiwei", Action: fleet.AuditDenied}); len(rows) != 2 || rows[0].Target != id {
		t.Fatalf("other township refusals: %+v", rows)
	}

	// Withdraw: a confirmation step first, then the notice is withdrawn.
	p = b.post("/notices/"+id+"/withdraw", url.Values{"csrf": {tok}, "action": {"confirm"}})
	mustContain(t, p, "确定撤回这条紧急通知吗", `value="withdraw"`)
	set, _, _ = f.lib.Set(ctx)
	if set.Notices[0].Withdrawn {
		t.Fatal("withdrawn at the confirmation step")
	}
	p = b.post("/notices/"+id+"/withdraw", url.Values{"csrf": {tok}, "action": {"withdraw"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("withdraw: %d %s", p.status, p.body)
	}
	set, _, _ = f.lib.Set(ctx)
	if !set.Notices[0].Withdrawn {
		t.Fatal("not withdrawn")
	}
	rows = f.audit(fleet.AuditFilter{Action: fleet.AuditNoticeWithdraw})
	if len(rows) != 1 || rows[0].Actor != "bangtou" || !strings.Contains(rows[0].After, `"withdrawn":true`) {
		t.Fatalf("withdraw audit: %+v", rows)
	}
	p = b.get("/notices/" + id)
	mustContain(t, p, "已撤回", "待下发")
	if strings.Contains(p.body, "撤回通知…") {
		t.Fatal("a withdrawn notice offers withdrawal")
	}
	// The Distributor removes it; boards that report converge.
	if _, err := dist.RecomputeAll(ctx); err != nil {
		t.Fatal(err)
	}
	for i, d := range []string{"led-baxia", "led-zixi", "kiosk-baxia"} {
		f.report(d, uint64(2+i), wire.Converged, nil)
	}
	if s := f.rollout(b, "notice="+id); s.Converged != 3 || !s.Done {
		t.Fatalf("after withdrawal: %+v", s)
	}
}

// The notice rules are fleet.Library.CheckNotice's, the API's too: a
// region path with "." or ".." levels or without devices is refused beside
// the field (an operator's "..", which would pass a prefix check, as
// well), a notice runs at most 30 days, and the stored region is the
// normalized path.
func TestNoticeRulesSharedWithTheAPI(t *testing.T) {
	f, _ := noticeFleet(t)
	ctx := t.Context()
	a := f.browser()
	atok := a.signIn("admin")
	post := func(b *browser, tok, action, region, expiry string) page {
		return b.post("/notices/new", url.Values{"csrf": {tok}, "action": {action}, "text": {"停电通知"}, "region": {region}, "expiry": {expiry}})
	}
	for _, c := range []struct{ region, want string }{
		{"仙游县/榜头镇/../盖尾镇", `id="region-error">区域路径不能包含“.”或“..”`},
		{"仙游县/./榜头镇", `id="region-error">区域路径不能包含“.”或“..”`},
		{"仙游县/枫亭镇", `id="region-error">该区域没有设备，请从列表中选择`},
		{"仙游县//榜头镇", `id="region-error">所属区域中有空的层级`},
	} {
		p := post(a, atok, "publish", c.region, expiryIn(time.Hour))
		if p.status != http.StatusBadRequest {
			t.Fatalf("region %q: %d, want 400", c.region, p.status)
		}
		mustContain(t, p, c.want)
	}
	p := post(a, atok, "confirm", "仙游县/榜头镇", expiryIn(10*365*24*time.Hour))
	if p.status != http.StatusBadRequest {
		t.Fatalf("a ten-year notice: %d", p.status)
	}
	mustContain(t, p, `id="expiry-error">紧急通知最长有效 30 天`)

	o := f.browser()
	otok := o.signIn("bangtou")
	p = post(o, otok, "publish", "仙游县/榜头镇/../盖尾镇", expiryIn(time.Hour))
	if p.status != http.StatusBadRequest {
		t.Fatalf("the operator's '..' path: %d", p.status)
	}
	mustContain(t, p, `id="region-error">区域路径不能包含“.”或“..”`)
	if set, _, _ := f.lib.Set(ctx); len(set.Notices) != 0 {
		t.Fatalf("refused notices stored: %+v", set.Notices)
	}

	// Spaces around the levels are dropped: stored as the plain path.
	p = post(o, otok, "publish", " 仙游县 / 榜头镇 / 坝下村 ", expiryIn(time.Hour))
	if p.status != http.StatusSeeOther {
		t.Fatalf("publish with spaces: %d %s", p.status, p.body)
	}
	set, _, _ := f.lib.Set(ctx)
	if len(set.Notices) != 1 || !slices.Equal(set.Notices[0].Regions, []string{"仙游县/榜头镇/坝下村"}) {
		t.Fatalf("stored: %+v", set.Notices)
	}
	if rows := f.audit(fleet.AuditFilter{Action: fleet.AuditPublish}); len(rows) != 1 || rows[0].Region != "仙游县/榜头镇/坝下村" {
		t.Fatalf("publish audit: %+v", rows)
	}
}

// A notice (or a schedule) whose only board was revoked does not stop the
// console from saving, drafting or approving an unrelated schedule: only
// the problems of the schedule being saved are shown.
func TestStaleNoticeDoesNotBlockScheduleSaves(t *testing.T) {
	f := scheduleFleet(t)
	ctx := t.Context()
	a := f.browser()
	atok := a.signIn("admin")
	p := a.post("/notices/new", url.Values{"csrf": {atok}, "action": {"publish"}, "text": {"停电通知"}, "region": {"仙游县/盖尾镇"}, "expiry": {expiryIn(time.Hour)}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("notice for 盖尾镇: %d %s", p.status, p.body)
	}
	if err := f.lib.PutSchedule(ctx, "admin", content.Schedule{ID: "gw", ProgrammeID: "prog-xianfa", Priority: 5, Always: true,
		Target: content.Target{Regions: []string{"仙游县/盖尾镇"}}}); err != nil {
		t.Fatal(err)
	}
	if err := f.reg.Revoke(ctx, "led-gaiwei"); err != nil {
		t.Fatal(err)
	}

	p = a.post("/schedules", schedValues(atok, "s1", "仙游县/榜头镇", "100"))
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/rollout?schedule=s1" {
		t.Fatalf("the administrator's schedule: %d %s", p.status, p.body)
	}
	o := f.browser()
	otok := o.signIn("bangtou")
	p = o.post("/schedules", schedValues(otok, "bt-1", "仙游县/榜头镇/坝下村", "200"))
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/schedules?done=drafted" {
		t.Fatalf("the operator's draft: %d %s", p.status, p.body)
	}
	drafts, err := f.store.Drafts(ctx, fleet.DraftPending)
	if err != nil || len(drafts) != 1 {
		t.Fatalf("drafts: %+v %v", drafts, err)
	}
	p = a.post("/schedules/drafts/"+strconv.FormatInt(drafts[0].ID, 10), url.Values{"csrf": {atok}, "action": {"approve"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/rollout?schedule=bt-1" {
		t.Fatalf("approval: %d %s", p.status, p.body)
	}
	set, _, _ := f.lib.Set(ctx)
	var ids []string
	for _, s := range set.Schedules {
		ids = append(ids, s.ID)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"bt-1", "gw", "s1"}) {
		t.Fatalf("schedules stored: %v", ids)
	}
}
