package console

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"lawpoint/content"
	"lawpoint/fleet"
	"lawpoint/fleet/sqlitestore"
)

func scheduleFleet(t *testing.T) *fixture {
	f, _ := noticeFleet(t)
	ctx := t.Context()
	if _, err := f.lib.PutItem(ctx, "admin", content.NewText("xianfa", 1, content.Text{Body: "学习宪法", Colour: content.ColourRed, Effect: content.EffectStatic})); err != nil {
		t.Fatal(err)
	}
	if err := f.lib.PutProgramme(ctx, "admin", content.Programme{ID: "prog-xianfa", Name: "宪法宣传", Entries: []content.Entry{{ItemID: "xianfa", Seconds: 30}}}); err != nil {
		t.Fatal(err)
	}
	return f
}

func schedValues(tok, id, region, priority string, extra ...string) url.Values {
	v := url.Values{"csrf": {tok}, "id": {id}, "name": {"宪法宣传周"}, "programme": {"prog-xianfa"}, "priority": {priority},
		"region": {region}, "weekday": {"1", "2", "3", "4", "5"}, "start0": {"08:00"}, "end0": {"12:00"}, "date_from": {"2026-01-01"}, "date_until": {"2030-12-31"}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v
}

func TestSchedulesAdmin(t *testing.T) {
	f := scheduleFleet(t)
	ctx := t.Context()
	b := f.browser()
	tok := b.signIn("admin")
	mustContain(t, b.get("/schedules/new"), "新建排期", `value="prog-xianfa"`, `value="仙游县/榜头镇"`)

	// Server-side validation: messages beside their fields, nothing stored.
	p := b.post("/schedules", schedValues(tok, "s1", "仙游县/榜头镇", "2000", "start1", "22:00", "end1", "02:00"))
	if p.status != http.StatusBadRequest {
		t.Fatalf("invalid: %d", p.status)
	}
	mustContain(t, p, `id="priority-error">优先级须在 0 到 1000 之间`, `id="windows-error">`)
	p = b.post("/schedules", schedValues(tok, "s1", "仙游县/榜头镇", "abc", "start0", "8点"))
	mustContain(t, p, `id="priority-error">优先级须为整数`, `id="windows-error">第1个时段的时间格式有误`)
	if set, _, _ := f.lib.Set(ctx); len(set.Schedules) != 0 {
		t.Fatalf("stored: %+v", set.Schedules)
	}

	// Saved and published: off to its rollout page; audited.
	p = b.post("/schedules", schedValues(tok, "s1", "仙游县/榜头镇", "100"))
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/rollout?schedule=s1" {
		t.Fatalf("save: %d %q %s", p.status, p.header.Get("Location"), p.body)
	}
	set, _, _ := f.lib.Set(ctx)
	if len(set.Schedules) != 1 || set.Schedules[0].Priority != 100 || len(set.Schedules[0].Windows) != 1 || !set.Schedules[0].Weekdays.Has(1) || set.Schedules[0].Weekdays.Has(0) {
		t.Fatalf("stored: %+v", set.Schedules)
	}
	if rows := f.audit(fleet.AuditFilter{Action: fleet.AuditSchedule}); len(rows) != 1 || rows[0].Target != "s1" || !strings.Contains(rows[0].After, "prog-xianfa") {
		t.Fatalf("audit: %+v", rows)
	}
	rp := b.get("/rollout?schedule=s1")
	mustContain(t, rp, "发布进度", `<strong class="r-total">3</strong>`, `data-device="led-zixi"`)
	if s := f.rollout(b, "schedule=s1"); s.Total != 3 || s.Pending != 3 {
		t.Fatalf("rollout: %+v", s)
	}

	// A conflict (same priority, same devices, same time) is shown with
	// the devices; saving needs the confirmation.
	p = b.post("/schedules", schedValues(tok, "s2", "仙游县/榜头镇/坝下村", "100"))
	if p.status != http.StatusConflict {
		t.Fatalf("conflict: %d %s", p.status, p.body)
	}
	mustContain(t, p, "与现有排期冲突", "led-baxia", `name="confirm" value="1"`)
	if set, _, _ := f.lib.Set(ctx); len(set.Schedules) != 1 {
		t.Fatal("a conflicting schedule was stored without confirmation")
	}
	p = b.post("/schedules", schedValues(tok, "s2", "仙游县/榜头镇/坝下村", "100", "confirm", "1"))
	if p.status != http.StatusSeeOther {
		t.Fatalf("confirmed: %d %s", p.status, p.body)
	}
	if rows := f.audit(fleet.AuditFilter{Action: fleet.AuditSchedule}); len(rows) != 2 || !strings.Contains(rows[0].Summary, "确认了 1 处冲突") {
		t.Fatalf("audit: %+v", rows)
	}

	// The list and the week view (Monday 08:00-12:00 plays both, shared).
	mustContain(t, b.get("/schedules"), `data-schedule="s1"`, "周一、周二、周三、周四、周五，08:00–12:00", `href="/schedules/s1/edit"`)
	wk := b.get("/schedules/week?region=" + url.QueryEscape("仙游县/榜头镇") + "&device=led-baxia&week=2026-11-23")
	if wk.status != 200 {
		t.Fatalf("week: %d", wk.status)
	}
	rows := regexp.MustCompile(`<tr><th>(\d+):00</th>(.*?)</tr>`).FindAllStringSubmatch(wk.body, -1)
	if len(rows) != 24 {
		t.Fatalf("week grid has %d rows:\n%s", len(rows), wk.body)
	}
	cells := regexp.MustCompile(`<td class="([a-z]*)">([^<]*)</td>`)
	nine := cells.FindAllStringSubmatch(rows[9][2], -1)
	if len(nine) != 7 || nine[0][1] != "conflict" || nine[0][2] != "s1、s2" || nine[6][2] != "" {
		t.Fatalf("Monday/Sunday 09:00: %q", nine)
	}
	if one := cells.FindAllStringSubmatch(rows[13][2], -1); one[0][1] != "" {
		t.Fatalf("Monday 13:00: %q", one)
	}
	wk = b.get("/schedules/week?region=" + url.QueryEscape("仙游县/榜头镇/紫溪村") + "&week=2026-11-23")
	nine = cells.FindAllStringSubmatch(regexp.MustCompile(`<tr><th>9:00</th>(.*?)</tr>`).FindStringSubmatch(wk.body)[1], -1)
	if nine[0][1] != "play" || nine[0][2] != "s1" {
		t.Fatalf("紫溪村 Monday 09:00: %q", nine)
	}
}

func TestScheduleDraftsApproval(t *testing.T) {
	f := scheduleFleet(t)
	ctx := t.Context()
	o := f.browser()
	otok := o.signIn("bangtou")

	// Another township: refused beside the field, audited.
	p := o.post("/schedules", schedValues(otok, "gw", "仙游县/盖尾镇", "100"))
	if p.status != http.StatusBadRequest {
		t.Fatalf("other township: %d", p.status)
	}
	mustContain(t, p, `id="target-error">只能为本乡镇（仙游县/榜头镇）内的区域编排`)
	if rows := f.audit(fleet.AuditFilter{Actor: "bangtou", Action: fleet.AuditDenied}); len(rows) != 1 || rows[0].Region != "仙游县/盖尾镇" {
		t.Fatalf("refusal audit: %+v", rows)
	}
	// The operator's schedule becomes a draft, not content.
	p = o.post("/schedules", schedValues(otok, "bt-1", "仙游县/榜头镇/坝下村", "200"))
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/schedules?done=drafted" {
		t.Fatalf("draft: %d %s", p.status, p.body)
	}
	if set, _, _ := f.lib.Set(ctx); len(set.Schedules) != 0 {
		t.Fatal("an operator's draft was published")
	}
	mustContain(t, o.get("/schedules?done=drafted"), "已提交草稿", `<span class="badge pending">待审批</span>`)
	if p := o.get("/schedules/drafts"); p.status != http.StatusForbidden {
		t.Fatalf("operator approval page: %d", p.status)
	}
	drafts, _ := f.store.Drafts(ctx, fleet.DraftPending)
	if len(drafts) != 1 || drafts[0].Author != "bangtou" || drafts[0].Township != "仙游县/榜头镇" {
		t.Fatalf("drafts: %+v", drafts)
	}
	id := drafts[0].ID
	if p := o.post("/schedules/drafts/"+itoa(id), url.Values{"csrf": {otok}, "action": {"approve"}}); p.status != http.StatusForbidden {
		t.Fatalf("operator approves: %d", p.status)
	}
	// Viewers cannot write schedules.
	v := f.browser()
	vtok := v.signIn("viewer")
	if p := v.post("/schedules", schedValues(vtok, "v1", "仙游县", "1")); p.status != http.StatusForbidden {
		t.Fatalf("viewer: %d", p.status)
	}

	// The administrator approves: stored through the Library, audited.
	a := f.browser()
	atok := a.signIn("admin")
	mustContain(t, a.get("/schedules/drafts"), "草稿 #"+itoa(id)+" · bt-1", "bangtou（仙游县/榜头镇）",
		"<pre class=\"plays\">名称：宪法宣传\n1. xianfa（LED文字：学习宪法） 30秒\n一轮共 30秒</pre>")
	p = a.post("/schedules/drafts/"+itoa(id), url.Values{"csrf": {atok}, "action": {"approve"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/rollout?schedule=bt-1" {
		t.Fatalf("approve: %d %s", p.status, p.body)
	}
	set, _, _ := f.lib.Set(ctx)
	if len(set.Schedules) != 1 || set.Schedules[0].ID != "bt-1" || set.Schedules[0].Priority != 200 {
		t.Fatalf("approved: %+v", set.Schedules)
	}
	if rows := f.audit(fleet.AuditFilter{Action: fleet.AuditApprove}); len(rows) != 1 || rows[0].Actor != "admin" || !strings.Contains(rows[0].Summary, "bangtou") {
		t.Fatalf("approve audit: %+v", rows)
	}
	if p := a.post("/schedules/drafts/"+itoa(id), url.Values{"csrf": {atok}, "action": {"approve"}}); p.status != http.StatusConflict {
		t.Fatalf("approved twice: %d", p.status)
	}
	var _ fleet.DraftStore = (*sqlitestore.Store)(nil)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
