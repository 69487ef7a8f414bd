package console

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"lawpoint/fleet"
)

// signInWith signs in with a given password; the answer of POST /login.
func (b *browser) signInWith(user, pw string) page {
	b.f.t.Helper()
	lp := b.get("/login")
	return b.post("/login", url.Values{"csrf": {csrfOf(b.f.t, lp)}, "username": {user}, "password": {pw}, "next": {"/"}})
}

// account stores an account (with the fixture's password) whose password
// need not be changed, as the fixture's own accounts.
func (f *fixture) account(a fleet.Account) {
	f.t.Helper()
	a.Hash, a.Created = quickHash(password), time.Now()
	if err := f.store.CreateAccount(f.t.Context(), a, fleet.AuditEntry{At: time.Now(), Actor: "test", Action: fleet.AuditAccount,
		Target: a.Username, Outcome: fleet.OutcomeOK}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) state(user string) (fleet.Account, fleet.AccountState) {
	f.t.Helper()
	a, st, err := f.store.AccountWithState(f.t.Context(), user)
	if err != nil {
		f.t.Fatal(err)
	}
	return a, st
}

// apiToken logs user in through the API's login (fleet.Registry.Login).
func (f *fixture) apiToken(user, pw string) string {
	f.t.Helper()
	tok, _, err := f.reg.Login(f.t.Context(), user, pw, time.Hour)
	if err != nil {
		f.t.Fatalf("API login of %s: %v", user, err)
	}
	return tok
}

func (f *fixture) apiTokenWorks(tok string) bool {
	f.t.Helper()
	_, err := f.reg.SessionStaff(f.t.Context(), tok)
	if err != nil && !errors.Is(err, fleet.ErrUnauthorized) && !errors.Is(err, fleet.ErrNotFound) {
		f.t.Fatal(err)
	}
	return err == nil
}

// signedOut reports whether the browser's session is gone: a page sends
// it to the sign-in form.
func (b *browser) signedOut() bool {
	p := b.get("/")
	return p.status == http.StatusSeeOther && strings.HasPrefix(p.header.Get("Location"), "/login")
}

func changeForm(tok, current, next, confirm string) url.Values {
	return url.Values{"csrf": {tok}, "current": {current}, "new": {next}, "confirm": {confirm}}
}

func TestPasswordChangeRulesAndMessages(t *testing.T) {
	f := newFixture(t, nil)
	f.account(fleet.Account{Username: "bangtou-duty", Role: fleet.StaffOperator, Township: "仙游县/榜头镇"})
	b := f.browser()
	tok := b.signIn("bangtou-duty")

	p := b.get("/account/password")
	if p.status != http.StatusOK {
		t.Fatalf("password page: %d", p.status)
	}
	mustContain(t, p, "当前密码", "新密码", "再次输入新密码", `<p class="hint" id="new-rules">至少10个字符；不能与用户名相同；不能与当前密码相同</p>`)
	if strings.Contains(p.body, `id="must-change"`) {
		t.Error("an account with its own password is told to change it")
	}
	if !strings.Contains(b.get("/").body, `href="/account/password"`) {
		t.Error("the page header has no link to 修改密码")
	}

	for _, c := range []struct {
		name                   string
		current, next, confirm string
		field, want            string
	}{
		{"no current", "", "a-new-password-1", "a-new-password-1", "current", "请填写当前密码"},
		{"too short", password, "short-9ch", "short-9ch", "new", "新密码至少需要10个字符（现在是9个）"},
		{"no new", password, "", "", "new", "请填写新密码"},
		{"username", password, "Bangtou-Duty", "Bangtou-Duty", "new", "新密码不能与用户名相同"},
		{"current", password, password, password, "new", "新密码不能与当前密码相同"},
		{"confirm differs", password, "a-new-password-1", "a-new-password-2", "confirm", "两次输入的新密码不一致"},
		{"confirm empty", password, "a-new-password-1", "", "confirm", "请再输入一次新密码"},
		{"wrong current", "not the password", "a-new-password-1", "a-new-password-1", "current", "当前密码不正确"},
	} {
		p := b.post("/account/password", changeForm(tok, c.current, c.next, c.confirm))
		if p.status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", c.name, p.status)
		}
		want := `<p class="field-error" id="` + c.field + `-error">` + c.want + `</p>`
		if !strings.Contains(p.body, want) {
			t.Errorf("%s: the page lacks %s:\n%s", c.name, want, p.body)
		}
		if c.next != "" && strings.Contains(p.body, c.next) && c.next != password {
			t.Errorf("%s: the page shows the new password back", c.name)
		}
	}
	// Several problems at once, each beside its field.
	p = b.post("/account/password", changeForm(tok, "", "short", "other"))
	mustContain(t, p, `id="current-error">请填写当前密码`, `id="new-error">新密码至少需要10个字符`, `id="confirm-error">两次输入的新密码不一致`)

	// Nothing was changed: the old password still signs in.
	a, st := f.state("bangtou-duty")
	if !fleet.VerifyStaffPassword(a.Hash, password) || st.MustChange || !st.PasswordSet.IsZero() {
		t.Fatalf("a refused change changed the account: %+v", st)
	}
	rows := f.audit(fleet.AuditFilter{Action: fleet.AuditAccount, Actor: "bangtou-duty"})
	if len(rows) != 1 || rows[0].Outcome != fleet.OutcomeFailed || rows[0].Summary != "修改密码失败：当前密码不正确" {
		t.Fatalf("audit of the wrong current password: %+v", rows)
	}
}

func TestPasswordChangeRevokesOtherSessionsKeepsThisOne(t *testing.T) {
	f := newFixture(t, nil)
	here, there := f.browser(), f.browser()
	tok := here.signIn("viewer")
	there.signIn("viewer")
	otherTok := f.apiToken("viewer", password)
	adminTok := f.apiToken("admin", password)
	admin := f.browser()
	admin.signIn("admin")

	const next = "viewer-own-pw-2026"
	p := here.post("/account/password", changeForm(tok, password, next, next))
	if p.status != http.StatusOK {
		t.Fatalf("change: %d\n%s", p.status, p.body)
	}
	mustContain(t, p, "密码已修改", "lawpointctl 的 API 令牌已全部失效", "当前这个浏览器保持登录")
	if strings.Contains(p.body, next) {
		t.Error("the page shows the new password")
	}

	if here.signedOut() {
		t.Error("the session that changed the password was signed out")
	}
	if !there.signedOut() {
		t.Error("the account's other browser is still signed in")
	}
	if f.apiTokenWorks(otherTok) {
		t.Error("the account's API token still works")
	}
	if admin.signedOut() || !f.apiTokenWorks(adminTok) {
		t.Error("another account's session or token was revoked")
	}

	if p := f.browser().signInWith("viewer", password); p.status != http.StatusUnauthorized {
		t.Errorf("the old password signs in: %d", p.status)
	}
	if p := f.browser().signInWith("viewer", next); p.status != http.StatusSeeOther {
		t.Errorf("the new password does not sign in: %d", p.status)
	}
	f.apiToken("viewer", next)

	rows := f.audit(fleet.AuditFilter{Action: fleet.AuditAccount, Target: "viewer", Outcome: fleet.OutcomeOK})
	if len(rows) == 0 || rows[0].Actor != "viewer" || rows[0].Summary != "修改了自己的密码；已注销其他 1 个控制台登录、1 个 API 令牌" {
		t.Fatalf("audit row of the change: %+v", rows)
	}
	for _, r := range f.audit(fleet.AuditFilter{}) {
		if strings.Contains(r.Summary+r.Before+r.After, next) {
			t.Fatalf("the audit log holds the password: %+v", r)
		}
	}
}

func TestPasswordChangeLimitsWrongCurrentPasswords(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Limits = Limits{AccountFailures: 2, AccountWindow: time.Hour} })
	b := f.browser()
	tok := b.signIn("viewer")
	for range 2 {
		if p := b.post("/account/password", changeForm(tok, "guess", "a-new-password-1", "a-new-password-1")); p.status != http.StatusBadRequest {
			t.Fatalf("wrong current password: %d", p.status)
		}
	}
	p := b.post("/account/password", changeForm(tok, password, "a-new-password-1", "a-new-password-1"))
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
		t.Fatalf("third try: %d %q", p.status, p.header.Get("Retry-After"))
	}
	mustContain(t, p, "尝试次数过多，请 ", " 分钟后再试。")
	if a, _ := f.state("viewer"); !fleet.VerifyStaffPassword(a.Hash, password) {
		t.Fatal("the password changed past the limit")
	}
	rows := f.audit(fleet.AuditFilter{Action: fleet.AuditAccount, Outcome: fleet.OutcomeDenied})
	if len(rows) != 1 || rows[0].Summary != "修改密码尝试过于频繁，已暂时拒绝" {
		t.Fatalf("audit of the refusal: %+v", rows)
	}
	// The guesses count as failed sign-ins of the account do.
	if p := f.browser().signInWith("viewer", password); p.status != http.StatusTooManyRequests {
		t.Errorf("sign-in after the guesses: %d", p.status)
	}
}

var secretRE = regexp.MustCompile(`<p class="secret">([^<]+)</p>`)

func TestNewAccountMustChangePasswordFirst(t *testing.T) {
	f := newFixture(t, nil)
	f.device("led-bt", fleet.KindLED, "仙游县/榜头镇/坝下村", "bx-5e2")
	admin := f.browser()
	atok := admin.signIn("admin")
	p := admin.post("/accounts", url.Values{"csrf": {atok}, "username": {"bangtou2"}, "role": {"operator"}, "township": {"仙游县/榜头镇"}})
	m := secretRE.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil {
		t.Fatalf("create: %d\n%s", p.status, p.body)
	}
	once := m[1]
	if _, st := f.state("bangtou2"); !st.MustChange {
		t.Fatal("a new account is not marked to change its password")
	}
	mustContain(t, admin.get("/accounts"), "待修改密码")

	// The API refuses it until the password is changed.
	if _, _, err := f.reg.Login(t.Context(), "bangtou2", once, time.Hour); !errors.Is(err, fleet.ErrPasswordChangeRequired) {
		t.Fatalf("API login before the change: %v", err)
	}
	if _, _, err := f.reg.Login(t.Context(), "bangtou2", "wrong-password", time.Hour); !errors.Is(err, fleet.ErrBadCredentials) {
		t.Fatalf("API login with a wrong password: %v (must not tell the account must change)", err)
	}

	b := f.browser()
	if p := b.signInWith("bangtou2", once); p.status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", p.status)
	}
	for _, path := range []string{"/", "/devices/led-bt", "/library", "/library/message", "/schedules", "/notices", "/reports", "/bookings", "/advisers", "/programmes", "/accounts", "/audit", "/nope"} {
		p := b.get(path)
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/account/password?next="+url.QueryEscape(path) {
			t.Errorf("GET %s before the change: %d → %q", path, p.status, p.header.Get("Location"))
		}
	}
	pp := b.get("/account/password?next=%2Flibrary")
	mustContain(t, pp, `id="must-change"`, "您的密码是初始密码或由管理员重置的密码", "然后才能使用其他功能")
	tok := csrfOf(t, pp)
	// A form elsewhere does nothing and leads to the password page too.
	p = b.post("/library/message", url.Values{"csrf": {tok}, "id": {"x1"}, "body": {"测试"}, "action": {"save"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/account/password" {
		t.Errorf("POST before the change: %d → %q", p.status, p.header.Get("Location"))
	}
	if set, _, err := f.lib.Set(t.Context()); err != nil || len(set.Items) != 0 {
		t.Errorf("a form was saved before the password was changed: %v", err)
	}
	req, _ := http.NewRequest("GET", f.srv.URL+"/rollout.json", nil)
	req.Header.Set("Accept", "application/json")
	if p := b.do(req); p.status != http.StatusForbidden || !strings.Contains(p.body, "请先设置") {
		t.Errorf("JSON before the change: %d %s", p.status, p.body)
	}

	const own = "bangtou2-own-pw"
	p = b.post("/account/password", url.Values{"csrf": {tok}, "current": {once}, "new": {own}, "confirm": {own}, "next": {"/library"}})
	if p.status != http.StatusOK {
		t.Fatalf("change: %d\n%s", p.status, p.body)
	}
	mustContain(t, p, "密码已修改", `href="/library"`, "继续")
	if strings.Contains(p.body, `id="must-change"`) {
		t.Error("the page still says the password must be changed")
	}
	for _, path := range []string{"/", "/library", "/devices/led-bt"} {
		if p := b.get(path); p.status != http.StatusOK {
			t.Errorf("GET %s after the change: %d", path, p.status)
		}
	}
	if _, st := f.state("bangtou2"); st.MustChange || st.PasswordSet.IsZero() {
		t.Fatalf("state after the change: %+v", st)
	}
	f.apiToken("bangtou2", own)
	mustContain(t, admin.get("/accounts"), `<tr data-account="bangtou2">`)
}

func TestSignOutWhileChangeIsPending(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.store.SetMustChange(t.Context(), "viewer", true); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	b.signInWith("viewer", password)
	tok := csrfOf(t, b.get("/account/password"))
	p := b.post("/logout", url.Values{"csrf": {tok}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/login" {
		t.Fatalf("sign-out while a change is pending: %d → %q", p.status, p.header.Get("Location"))
	}
	if !b.signedOut() {
		t.Error("still signed in")
	}
}

func TestAdminResetsPassword(t *testing.T) {
	f := newFixture(t, nil)
	admin := f.browser()
	atok := admin.signIn("admin")
	viewer := f.browser()
	viewer.signIn("viewer")
	vtok := f.apiToken("viewer", password)

	// The accounts page leads to a confirmation step.
	ap := admin.get("/accounts")
	mustContain(t, ap, `href="/accounts?confirm=reset&amp;user=viewer"`, `href="/accounts?confirm=disable&amp;user=viewer"`)
	cp := admin.get("/accounts?confirm=reset&user=viewer")
	if cp.status != http.StatusOK {
		t.Fatalf("confirm page: %d", cp.status)
	}
	mustContain(t, cp, "确认重置密码", "确定要重置账号 <strong>viewer</strong>", `action="/accounts/reset"`, `name="user" value="viewer"`)
	if secretRE.MatchString(cp.body) {
		t.Fatal("the confirmation step already shows a password")
	}
	if viewer.signedOut() {
		t.Fatal("the confirmation step did something")
	}

	p := admin.post("/accounts/reset", url.Values{"csrf": {atok}, "user": {"viewer"}})
	m := secretRE.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil {
		t.Fatalf("reset: %d\n%s", p.status, p.body)
	}
	pw := m[1]
	mustContain(t, p, "已重置账号 <strong>viewer</strong> 的密码", "只显示这一次")
	if again := admin.get("/accounts"); strings.Contains(again.body, pw) {
		t.Error("the new password is shown a second time")
	}

	if !viewer.signedOut() {
		t.Error("the account's browser is still signed in after the reset")
	}
	if f.apiTokenWorks(vtok) {
		t.Error("the account's API token still works after the reset")
	}
	if p := f.browser().signInWith("viewer", password); p.status != http.StatusUnauthorized {
		t.Errorf("the old password still signs in: %d", p.status)
	}
	if _, _, err := f.reg.Login(t.Context(), "viewer", pw, time.Hour); !errors.Is(err, fleet.ErrPasswordChangeRequired) {
		t.Errorf("API login with the reset password: %v", err)
	}
	nb := f.browser()
	if p := nb.signInWith("viewer", pw); p.status != http.StatusSeeOther {
		t.Fatalf("the new password does not sign in: %d", p.status)
	}
	if p := nb.get("/"); p.header.Get("Location") != "/account/password?next=%2F" {
		t.Errorf("after a reset the account is not sent to change its password: %d %q", p.status, p.header.Get("Location"))
	}

	rows := f.audit(fleet.AuditFilter{Action: fleet.AuditAccount, Actor: "admin"})
	if len(rows) != 1 || rows[0].Target != "viewer" || rows[0].Summary != "重置账号 viewer 的密码（须在下次登录时修改）；已注销 1 个控制台登录、1 个 API 令牌" {
		t.Fatalf("audit of the reset: %+v", rows)
	}
	if strings.Contains(rows[0].Summary+rows[0].Before+rows[0].After, pw) {
		t.Error("the audit row holds the password")
	}
}

func TestDisabledAccountIsShutOut(t *testing.T) {
	f := newFixture(t, nil)
	admin := f.browser()
	atok := admin.signIn("admin")
	op := f.browser()
	op.signIn("bangtou")
	optok := f.apiToken("bangtou", password)

	cp := admin.get("/accounts?confirm=disable&user=bangtou")
	mustContain(t, cp, "确认停用账号", "确定要停用账号 <strong>bangtou</strong>（乡镇操作员，仙游县/榜头镇）", `action="/accounts/disable"`)
	if op.signedOut() {
		t.Fatal("the confirmation step disabled the account")
	}
	p := admin.post("/accounts/disable", url.Values{"csrf": {atok}, "user": {"bangtou"}})
	if p.status != http.StatusOK {
		t.Fatalf("disable: %d\n%s", p.status, p.body)
	}
	mustContain(t, p, "已停用账号 bangtou", `<tr data-account="bangtou">`, "已停用")

	// Its session and token stop working at once.
	if !op.signedOut() {
		t.Error("the disabled account's browser is still signed in")
	}
	if f.apiTokenWorks(optok) {
		t.Error("the disabled account's API token still works")
	}

	// Sign-in is refused as a wrong password would be; the audit says why.
	right := f.browser().signInWith("bangtou", password)
	wrong := f.browser().signInWith("bangtou", "not-the-password")
	if right.status != http.StatusUnauthorized || wrong.status != right.status {
		t.Fatalf("sign-in of a disabled account: %d (wrong password: %d)", right.status, wrong.status)
	}
	mustContain(t, right, `id="password-error">用户名或密码错误</p>`)
	if strings.Contains(right.body, "停用") {
		t.Error("the sign-in page tells outsiders the account is disabled")
	}
	rows := f.audit(fleet.AuditFilter{Action: fleet.AuditLogin, Target: "bangtou", Outcome: fleet.OutcomeDenied})
	if len(rows) != 2 || rows[0].Summary != "登录被拒绝：账号已停用" {
		t.Fatalf("audit of the refused sign-ins: %+v", rows)
	}
	if _, _, err := f.reg.Login(t.Context(), "bangtou", password, time.Hour); !errors.Is(err, fleet.ErrAccountDisabled) {
		t.Fatalf("API login of a disabled account: %v", err)
	}
	rows = f.audit(fleet.AuditFilter{Action: fleet.AuditAccount, Actor: "admin"})
	if len(rows) != 1 || rows[0].Summary != "停用账号 bangtou（乡镇操作员）；已注销 1 个控制台登录、1 个 API 令牌" ||
		rows[0].Region != "仙游县/榜头镇" || rows[0].After != "disabled=true" {
		t.Fatalf("audit of the disabling: %+v", rows)
	}

	// Disabling twice says so; enabling lets it sign in with its password.
	if p := admin.post("/accounts/disable", url.Values{"csrf": {atok}, "user": {"bangtou"}}); p.status != http.StatusConflict {
		t.Errorf("disabling twice: %d", p.status)
	} else {
		mustContain(t, p, "该账号已是停用状态")
	}
	ap := admin.get("/accounts")
	mustContain(t, ap, `action="/accounts/enable"`)
	if p := admin.post("/accounts/enable", url.Values{"csrf": {atok}, "user": {"bangtou"}}); p.status != http.StatusOK {
		t.Fatalf("enable: %d", p.status)
	} else {
		mustContain(t, p, "已重新启用账号 bangtou")
	}
	if p := f.browser().signInWith("bangtou", password); p.status != http.StatusSeeOther {
		t.Errorf("sign-in after enabling: %d", p.status)
	}
	if p := admin.post("/accounts/disable", url.Values{"csrf": {atok}, "user": {"nobody"}}); p.status != http.StatusNotFound {
		t.Errorf("disable an unknown account: %d", p.status)
	}
}

func TestAdminCannotLockTheCountyOut(t *testing.T) {
	f := newFixture(t, nil)
	admin := f.browser()
	atok := admin.signIn("admin")
	ap := admin.get("/accounts")
	if strings.Contains(ap.body, "user=admin") {
		t.Error("the accounts page offers actions on the admin's own account")
	}
	mustContain(t, ap, `<tr data-account="admin">`, "修改我的密码")
	for _, c := range []struct{ path, why string }{
		{"/accounts/disable", "不能停用自己的账号"},
		{"/accounts/reset", "不能在这里重置自己的密码"},
	} {
		p := admin.post(c.path, url.Values{"csrf": {atok}, "user": {"admin"}})
		if p.status != http.StatusForbidden {
			t.Errorf("POST %s for oneself: %d", c.path, p.status)
		}
		mustContain(t, p, c.why)
	}
	if p := admin.get("/accounts?confirm=disable&user=admin"); p.status != http.StatusForbidden {
		t.Errorf("confirm disabling oneself: %d", p.status)
	}
	if rows := f.audit(fleet.AuditFilter{Action: fleet.AuditDenied, Actor: "admin"}); len(rows) != 3 {
		t.Errorf("self refusals audited: %d rows", len(rows))
	}
	if admin.signedOut() {
		t.Fatal("the admin was signed out")
	}
	if _, st := f.state("admin"); st.Disabled || st.MustChange {
		t.Fatalf("the admin's account changed: %+v", st)
	}

	// Other roles are refused every account action (403, audited).
	v := f.browser()
	vtok := v.signIn("viewer")
	for _, path := range []string{"/accounts/disable", "/accounts/reset", "/accounts/enable"} {
		if p := v.post(path, url.Values{"csrf": {vtok}, "user": {"bangtou"}}); p.status != http.StatusForbidden {
			t.Errorf("viewer POST %s: %d", path, p.status)
		}
	}
	if rows := f.audit(fleet.AuditFilter{Action: fleet.AuditDenied, Actor: "viewer"}); len(rows) != 3 {
		t.Errorf("viewer refusals audited: %d rows", len(rows))
	}
	if _, st := f.state("bangtou"); st.Disabled {
		t.Fatal("a viewer disabled an account")
	}

	// A second administrator may be disabled; the store refuses to disable
	// the last enabled one whoever asks (two administrators disabling each
	// other at once).
	f.account(fleet.Account{Username: "admin2", Role: fleet.StaffAdmin})
	if p := admin.post("/accounts/disable", url.Values{"csrf": {atok}, "user": {"admin2"}}); p.status != http.StatusOK {
		t.Fatalf("disable the second admin: %d", p.status)
	}
	err := f.store.SetDisabled(t.Context(), "admin", time.Now(), func(fleet.Revoked) fleet.AuditEntry {
		return fleet.AuditEntry{At: time.Now(), Actor: "admin2", Action: fleet.AuditAccount, Target: "admin", Outcome: fleet.OutcomeOK}
	})
	if !errors.Is(err, fleet.ErrLastAdmin) {
		t.Fatalf("disabling the last enabled admin: %v", err)
	}
	if admin.signedOut() {
		t.Fatal("the last admin was signed out")
	}
}
