package api_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"lawpoint/content"
	"lawpoint/fleet"
	"lawpoint/fleet/api"
)

// lastAuditID is the newest audit row's ID (0 for none).
func (c *townships) lastAuditID() int64 {
	c.t.Helper()
	rows, err := c.st.AuditLog(c.t.Context(), fleet.AuditFilter{Limit: 1})
	if err != nil {
		c.t.Fatal(err)
	}
	if len(rows) == 0 {
		return 0
	}
	return rows[0].ID
}

// auditSince returns the rows written after the row with ID id, oldest
// first.
func (c *townships) auditSince(id int64) []fleet.AuditEntry {
	c.t.Helper()
	rows, err := c.st.AuditLog(c.t.Context(), fleet.AuditFilter{Limit: 1000})
	if err != nil {
		c.t.Fatal(err)
	}
	var out []fleet.AuditEntry
	for _, r := range rows {
		if r.ID > id {
			out = append(out, r)
		}
	}
	slices.Reverse(out)
	return out
}

// auditWant is the row a successful change writes.
type auditWant struct {
	action, target, region string
}

// Every successful change through the API, as the county administrator,
// writes exactly one audit row with the console's action, the object as
// target and its region, a Chinese summary, and never a phone number;
// reads and the schedule check write none. The table must name every
// staff route that is not a GET, so a change added without its audit row
// fails here.
func TestEveryChangeIsAudited(t *testing.T) {
	c := newTownships(t)
	picture := sha256.Sum256([]byte("bytes of a picture"))
	wants := map[string]auditWant{
		"POST /api/logout":                           {fleet.AuditLogout, "admin", ""},
		"POST /api/devices":                          {fleet.AuditDevice, "led-new", villDW},
		"POST /api/devices/{id}/token":               {fleet.AuditDevice, "led-dw", villDW},
		"POST /api/devices/{id}/revoke":              {fleet.AuditDevice, "led-dw2", villDW},
		"PUT /api/devices/{id}/settings":             {fleet.AuditDevice, "led-dw", villDW},
		"PUT /api/devices/{id}/board":                {fleet.AuditDevice, "led-dw", villDW},
		"POST /api/devices/{id}/commands":            {fleet.AuditCommand, "led-dw", villDW},
		"POST /api/content":                          {fleet.AuditContent, "county-item", ""},
		"POST /api/content/blobs":                    {fleet.AuditContent, hex.EncodeToString(picture[:]), ""},
		"POST /api/schedules":                        {fleet.AuditSchedule, "dw-new", townDW},
		"DELETE /api/schedules/{id}":                 {fleet.AuditSchedule, "sched-dw2", townDW},
		"POST /api/notices":                          {fleet.AuditPublish, "n-new", townDW},
		"POST /api/notices/{id}/withdraw":            {fleet.AuditNoticeWithdraw, "notice-dw", townDW},
		"PUT /api/advisers/{id}":                     {fleet.AuditAdviser, "adviser wu-wenhua", townDW},
		"POST /api/advisers/{id}/exceptions":         {fleet.AuditAdviser, "adviser wu-wenhua", townDW},
		"DELETE /api/advisers/{id}/exceptions/{eid}": {fleet.AuditAdviser, "adviser wu-wenhua", townDW},
		"POST /api/advisers/{id}/calendar":           {fleet.AuditAdviser, "adviser wu-wenhua", townDW},
		"POST /api/bookings/{code}/cancel":           {fleet.AuditBookingCancel, "booking " + c.bookDW, villDW},
		"PUT /api/booking/settings":                  {fleet.AuditContent, "booking settings", ""},
		"PUT /api/categories":                        {fleet.AuditContent, "categories", ""},
	}
	// Checks store nothing and write no row.
	silent := map[string]bool{"POST /api/schedules/check": true}

	table := staffRoutes(c)
	var changes, named []string
	for _, r := range table {
		if r.method != "GET" && !silent[r.pattern] {
			changes = append(changes, r.pattern)
		}
	}
	for p := range wants {
		named = append(named, p)
	}
	sort.Strings(changes)
	sort.Strings(named)
	if !slices.Equal(changes, named) {
		t.Fatalf("changing routes:\n%v\naudit expectations:\n%v\nadd the audit row of every change", changes, named)
	}

	for _, r := range table {
		tok := c.tokens["admin"]
		if r.fresh {
			tok = c.login("admin")
		}
		last := c.lastAuditID()
		code, raw := c.withToken(tok, r.method, r.path, r.body(c), nil)
		if code != r.admin {
			t.Errorf("%s as admin: %d %s, want %d", r.pattern, code, raw, r.admin)
			continue
		}
		rows := c.auditSince(last)
		want, changes := wants[r.pattern]
		if !changes {
			if len(rows) != 0 {
				t.Errorf("%s (stores nothing) wrote audit rows %+v", r.pattern, rows)
			}
			continue
		}
		if len(rows) != 1 {
			t.Errorf("%s: %d new audit rows %+v, want 1", r.pattern, len(rows), rows)
			continue
		}
		got := rows[0]
		if got.Action != want.action || got.Actor != "admin" || got.Role != fleet.StaffAdmin || got.Target != want.target || got.Region != want.region ||
			got.Outcome != fleet.OutcomeOK || !strings.HasPrefix(got.Summary, "通过接口") || !hasHan(got.Summary) || strings.Contains(got.Summary, "\n") ||
			got.Address == "" {
			t.Errorf("%s: audit row %+v, want action %s, actor admin, target %q, region %q, ok, a one-line Chinese summary", r.pattern, got,
				want.action, want.target, want.region)
		}
		for _, secret := range []string{"13800000001", "13800000002", tok} {
			if strings.Contains(got.Summary+got.Before+got.After, secret) {
				t.Errorf("%s: audit row shows %q: %+v", r.pattern, secret, got)
			}
		}
	}
}

// What the rows say: a command's kind and ID, a schedule and a notice
// before and after, an adviser's phone masked, a cancelled booking's code
// without the villager's number; tokens never.
func TestAuditRowsSayWhatChanged(t *testing.T) {
	c := newTownships(t)
	row := func(method, path string, body any, want int) fleet.AuditEntry {
		t.Helper()
		last := c.lastAuditID()
		var out map[string]any
		if code, raw := c.as("admin", method, path, body, &out); code != want {
			t.Fatalf("%s %s: %d %s", method, path, code, raw)
		}
		rows := c.auditSince(last)
		if len(rows) != 1 {
			t.Fatalf("%s %s: audit rows %+v, want 1", method, path, rows)
		}
		if tok, ok := out["token"].(string); ok && strings.Contains(rows[0].Summary+rows[0].Before+rows[0].After, tok) {
			t.Fatalf("%s %s: the token is in the audit row %+v", method, path, rows[0])
		}
		return rows[0]
	}

	e := row("POST", "/api/devices/led-dw/commands", api.CommandRequest{Kind: "reboot"}, http.StatusCreated)
	if e.Summary != "通过接口发送指令：重启设备" || !strings.HasPrefix(e.After, "reboot") || !strings.Contains(e.After, "id=") {
		t.Errorf("reboot row: %+v", e)
	}
	e = row("POST", "/api/devices/led-dw/token", nil, http.StatusCreated)
	if !strings.Contains(e.Summary, "注册码") || e.After != "" {
		t.Errorf("token row: %+v", e)
	}

	changed := schedule("sched-dw", townDW, villBT)
	e = row("POST", "/api/schedules", changed, http.StatusCreated)
	var before, after content.Schedule
	if json.Unmarshal([]byte(e.Before), &before) != nil || json.Unmarshal([]byte(e.After), &after) != nil ||
		!slices.Equal(before.Target.Regions, []string{townDW}) || !slices.Equal(after.Target.Regions, []string{townDW, villBT}) ||
		e.Region != townDW+","+villBT || !strings.Contains(e.Summary, "保存并发布排期 sched-dw") {
		t.Errorf("schedule change row: %+v", e)
	}

	e = row("POST", "/api/notices", content.Notice{ID: "notice-dw", Text: "暴雨红色预警", Regions: []string{townDW}, Expiry: expiry}, http.StatusCreated)
	if !strings.Contains(e.Before, "暴雨预警") || !strings.Contains(e.After, "暴雨红色预警") || !strings.Contains(e.Summary, "修改并发布紧急通知 notice-dw 到 "+townDW+"（2 块LED屏）") {
		t.Errorf("notice change row: %+v", e)
	}

	wu := wuAdviser()
	wu.Phone = "13912345678"
	e = row("PUT", "/api/advisers/wu-wenhua", wu, http.StatusOK)
	if strings.Contains(e.After, "13912345678") || !strings.Contains(e.After, "139****5678") || !strings.Contains(e.Summary, "修改") {
		t.Errorf("adviser row shows the phone unmasked: %+v", e)
	}

	e = row("POST", "/api/bookings/"+c.bookDW+"/cancel", nil, http.StatusOK)
	if e.Before != "status=confirmed" || e.After != "status=cancelled" || !strings.Contains(e.Summary, c.bookDW) || strings.Contains(e.Summary+e.Before+e.After, "13800000001") {
		t.Errorf("cancel row: %+v", e)
	}

	// A content request is one row naming each record it stored.
	e = row("POST", "/api/content", api.ContentRequest{
		Items:      []content.Item{{ID: "dw-item", Kind: content.KindText, Text: &content.Text{Body: "度尾镇普法"}}},
		Programmes: []content.Programme{{ID: "p-dw", Entries: []content.Entry{{ItemID: "dw-item", Seconds: 10}}}},
		Fallbacks:  map[string]string{"led": "p-dw"},
	}, http.StatusCreated)
	if e.Target != "dw-item,p-dw,fallback led" || !strings.Contains(e.Summary, "新建素材 dw-item（第1版）") || !strings.Contains(e.Summary, "LED屏的默认节目设为 p-dw") ||
		!strings.Contains(e.After, "度尾镇普法") || e.Before != "" {
		t.Errorf("content row: %+v", e)
	}
}

// API sign-ins are audited as the console's: signed in (ok, with the
// operator's township), wrong password or unknown name (failed), too many
// attempts (denied); no row shows the password.
func TestAPISignInsAreAudited(t *testing.T) {
	c := newTownships(t)
	login := func(user, pw string) int {
		t.Helper()
		code, _ := c.withToken("", "POST", "/api/login", api.LoginRequest{Username: user, Password: pw}, nil)
		return code
	}
	logins := func(outcome string) []fleet.AuditEntry {
		t.Helper()
		rows, err := c.st.AuditLog(t.Context(), fleet.AuditFilter{Action: fleet.AuditLogin, Outcome: outcome})
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}

	if code := login("bangtou", staffPW); code != http.StatusOK {
		t.Fatalf("operator sign-in: %d", code)
	}
	ok := logins(fleet.OutcomeOK)
	if len(ok) != 1 || ok[0].Actor != "bangtou" || ok[0].Role != fleet.StaffOperator || ok[0].Target != "bangtou" || ok[0].Region != townBT ||
		ok[0].Summary != "通过接口登录成功" || ok[0].Address == "" {
		t.Fatalf("sign-in rows: %+v", ok)
	}

	if code := login("admin", "wrong password"); code != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", code)
	}
	if code := login("nobody", "wrong password"); code != http.StatusUnauthorized {
		t.Fatalf("unknown name: %d", code)
	}
	failed := logins(fleet.OutcomeFailed)
	if len(failed) != 2 || failed[1].Actor != "admin" || failed[1].Role != fleet.StaffAdmin || failed[0].Actor != "nobody" || failed[0].Role != "" ||
		failed[0].Summary != "通过接口登录失败：用户名或密码错误" {
		t.Fatalf("failed sign-in rows: %+v", failed)
	}
	for _, r := range failed {
		if strings.Contains(r.Summary+r.Before+r.After, "wrong password") {
			t.Fatalf("a row shows the password: %+v", r)
		}
	}

	// Past the limit (10 attempts a minute per address and per name) an
	// attempt is refused before the password is checked, and audited as
	// denied.
	refused := 0
	for range 12 {
		if login("viewer", staffPW) == http.StatusTooManyRequests {
			refused++
			break
		}
	}
	if refused != 1 {
		t.Fatal("twelve sign-ins in a row were never refused")
	}
	denied := logins(fleet.OutcomeDenied)
	if len(denied) != 1 || denied[0].Actor != "viewer" || !strings.Contains(denied[0].Summary, "过于频繁") {
		t.Fatalf("refused sign-in rows: %+v", denied)
	}

	// A sign-out is audited too.
	tok := c.login("bangtou")
	if code, raw := c.withToken(tok, "POST", "/api/logout", nil, nil); code != http.StatusOK {
		t.Fatalf("sign-out: %d %s", code, raw)
	}
	rows, _ := c.st.AuditLog(t.Context(), fleet.AuditFilter{Action: fleet.AuditLogout})
	if len(rows) != 1 || rows[0].Actor != "bangtou" || rows[0].Target != "bangtou" {
		t.Fatalf("sign-out rows: %+v", rows)
	}
}

// POST /api/notices obeys the console's notice rules (fleet.Library.
// CheckNotice): at most 30 days, regions without "." or ".." levels and
// holding a device, text within the LED limit; every problem is listed
// with its field and a Chinese message; nothing refused is stored; the
// stored regions are normalized.
func TestAPINoticeRules(t *testing.T) {
	c := newTownships(t)
	notices := func() []content.Notice {
		t.Helper()
		set, _, err := c.lib.Set(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return set.Notices
	}
	stored := len(notices())
	for _, tc := range []struct {
		name, user string
		n          content.Notice
		fields     []string
		message    string
	}{
		{"ten years", "admin", content.Notice{ID: "n-long", Text: "暴雨预警", Regions: []string{townDW}, Expiry: time.Now().AddDate(10, 0, 0)},
			[]string{"expiry"}, "紧急通知最长有效 30 天"},
		{"a '..' path", "admin", content.Notice{ID: "n-dots", Text: "暴雨预警", Regions: []string{townBT + "/../度尾镇"}, Expiry: expiry},
			[]string{"regions[0]"}, "不能包含“.”或“..”"},
		{"an operator's '..' path out of the township", "bangtou", content.Notice{ID: "n-dots", Text: "暴雨预警", Regions: []string{townBT + "/../度尾镇"}, Expiry: expiry},
			[]string{"regions[0]"}, "不能包含“.”或“..”"},
		{"a region without devices", "admin", content.Notice{ID: "n-none", Text: "暴雨预警", Regions: []string{"仙游县/枫亭镇"}, Expiry: expiry},
			[]string{"regions[0]"}, "该区域没有设备"},
		{"expired", "admin", content.Notice{ID: "n-old", Text: "暴雨预警", Regions: []string{townDW}, Expiry: time.Now().Add(-time.Hour)},
			[]string{"expiry"}, "截止时间须晚于现在"},
		{"too long for the boards", "admin", content.Notice{ID: "n-text", Text: strings.Repeat("雨", content.MaxTextRunes+1), Regions: []string{townDW}, Expiry: expiry},
			[]string{"text"}, "上限"},
		{"all at once", "admin", content.Notice{ID: "n-all", Regions: []string{"仙游县/./度尾镇"}, Expiry: time.Now().AddDate(1, 0, 0)},
			[]string{"text", "regions[0]", "expiry"}, "请输入通知内容"},
	} {
		code, raw := c.as(tc.user, "POST", "/api/notices", tc.n, nil)
		var eb api.ErrorBody
		_ = json.Unmarshal(raw, &eb)
		var fields []string
		for _, p := range eb.Problems {
			fields = append(fields, p.Field)
			if !hasHan(p.Message) {
				t.Errorf("%s: problem %+v has no Chinese message", tc.name, p)
			}
		}
		if code != http.StatusBadRequest || eb.Field != tc.fields[0] || !strings.Contains(eb.Message, tc.message) || !slices.Equal(fields, tc.fields) {
			t.Errorf("%s: %d %s, want 400 on %v saying …%s…", tc.name, code, raw, tc.fields, tc.message)
		}
	}
	if n := len(notices()); n != stored {
		t.Fatalf("refused notices were stored: %d notices, want %d", n, stored)
	}

	var got content.Notice
	if code, raw := c.as("admin", "POST", "/api/notices", content.Notice{ID: "n-ok", Text: " 停电通知 ", Regions: []string{" 仙游县 / 度尾镇 /"}, Expiry: expiry}, &got); code != http.StatusCreated {
		t.Fatalf("a valid notice: %d %s", code, raw)
	}
	ns := notices()
	i := slices.IndexFunc(ns, func(n content.Notice) bool { return n.ID == "n-ok" })
	if i < 0 || !slices.Equal(ns[i].Regions, []string{townDW}) || ns[i].Text != "停电通知" || !slices.Equal(got.Regions, []string{townDW}) {
		t.Fatalf("stored notice %+v, answer %+v: want the region normalized", ns, got)
	}
}

// A problem elsewhere in the content set (a notice whose region has no
// device) does not stop an unrelated schedule: the administrator's is
// published, the operator's drafted, the check reports nothing.
func TestAPIScheduleNotBlockedByOtherRecords(t *testing.T) {
	c := newTownships(t)
	ctx := t.Context()
	// Stored directly, as a notice whose boards were later removed.
	if err := c.lib.PutNotice(ctx, "admin", content.Notice{ID: "n-empty", Text: "停电通知", Regions: []string{"仙游县/枫亭镇"},
		Start: time.Now().Truncate(time.Second), Expiry: expiry}); err != nil {
		t.Fatal(err)
	}
	var cr api.CheckResponse
	if code, raw := c.as("admin", "POST", "/api/schedules/check", schedule("bt-check", villBT), &cr); code != http.StatusOK || len(cr.Problems) != 0 {
		t.Fatalf("check of an unrelated schedule: %d %s", code, raw)
	}
	if code, raw := c.as("admin", "POST", "/api/schedules", schedule("bt-admin", villBT), &cr); code != http.StatusCreated || !cr.Stored {
		t.Fatalf("the administrator's unrelated schedule: %d %s", code, raw)
	}
	if code, raw := c.as("bangtou", "POST", "/api/schedules", schedule("bt-draft", villBT), &cr); code != http.StatusAccepted || cr.DraftID == 0 {
		t.Fatalf("the operator's unrelated schedule: %d %s, want a draft", code, raw)
	}
	// The schedule's own problem is still refused.
	if code, raw := c.as("bangtou", "POST", "/api/schedules", schedule("bt-none", townBT+"/无此村"), nil); code != http.StatusBadRequest ||
		!strings.Contains(string(raw), "schedules[bt-none].target") {
		t.Fatalf("the operator's schedule selecting no device: %d %s, want 400 on its target", code, raw)
	}
}
