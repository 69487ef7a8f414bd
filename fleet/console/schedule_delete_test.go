package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"lawpoint/fleet"
)

// A county administrator deletes a schedule through a confirmation step
// that says how many devices it reaches; operators and viewers are
// refused (403, audited) and the schedule stays.
func TestDeleteSchedule(t *testing.T) {
	f := scheduleFleet(t)
	ctx := t.Context()
	a := f.browser()
	atok := a.signIn("admin")
	if p := a.post("/schedules", schedValues(atok, "bt-1", "仙游县/榜头镇", "200")); p.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", p.status, p.body)
	}
	mustContain(t, a.get("/schedules"), `<a href="/schedules/delete?id=bt-1" class="danger">删除</a>`)

	// Operator and viewer: no link, and refused by address too.
	o := f.browser()
	otok := o.signIn("bangtou")
	if p := o.get("/schedules"); strings.Contains(p.body, "/schedules/delete?id=bt-1") {
		t.Fatal("an operator is offered 删除")
	}
	if p := o.post("/schedules/delete", url.Values{"csrf": {otok}, "id": {"bt-1"}}); p.status != http.StatusForbidden {
		t.Fatalf("operator delete: %d", p.status)
	} else {
		mustContain(t, p, "只有县级管理员可以删除排期")
	}
	v := f.browser()
	if p := v.get("/schedules/delete?id=bt-1"); p.status != http.StatusSeeOther {
		t.Fatalf("signed out: %d", p.status)
	}
	vtok := v.signIn("viewer")
	if p := v.post("/schedules/delete", url.Values{"csrf": {vtok}, "id": {"bt-1"}}); p.status != http.StatusForbidden {
		t.Fatalf("viewer delete: %d", p.status)
	}
	if rows := f.audit(fleet.AuditFilter{Action: fleet.AuditDenied}); len(rows) != 2 || rows[0].Target != "bt-1" || rows[0].Region != "仙游县/榜头镇" {
		t.Fatalf("refusals audited: %+v", rows)
	}
	if set, _, _ := f.lib.Set(ctx); len(set.Schedules) != 1 {
		t.Fatalf("a refused delete removed the schedule: %+v", set.Schedules)
	}

	// The confirmation step counts the devices it reaches: the township's
	// three (two boards and a kiosk), not 盖尾镇's board.
	cp := a.get("/schedules/delete?id=bt-1")
	mustContain(t, cp, "确认删除排期", `<dd id="devices">3 台</dd>`, "仙游县/榜头镇")
	if p := a.post("/schedules/delete", url.Values{"id": {"bt-1"}}); p.status != http.StatusForbidden {
		t.Fatalf("delete without CSRF: %d", p.status)
	}
	p := a.post("/schedules/delete", url.Values{"csrf": {csrfOf(t, cp)}, "id": {"bt-1"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/schedules?done=deleted" {
		t.Fatalf("delete: %d %s", p.status, p.body)
	}
	if set, _, _ := f.lib.Set(ctx); len(set.Schedules) != 0 {
		t.Fatalf("still there: %+v", set.Schedules)
	}
	mustContain(t, a.get("/schedules?done=deleted"), "已删除排期")
	rows := f.audit(fleet.AuditFilter{Actor: "admin", Action: fleet.AuditSchedule})
	if len(rows) == 0 || !strings.Contains(rows[0].Summary, "删除排期 bt-1") || !strings.Contains(rows[0].Before, `"id":"bt-1"`) {
		t.Fatalf("delete audit: %+v", rows)
	}
	if p := a.get("/schedules/delete?id=bt-1"); p.status != http.StatusNotFound {
		t.Fatalf("deleted twice: %d", p.status)
	}
}

// A rejected draft shows its author who decided and why.
func TestRejectedDraftShowsTheNote(t *testing.T) {
	f := scheduleFleet(t)
	o := f.browser()
	otok := o.signIn("bangtou")
	if p := o.post("/schedules", schedValues(otok, "bt-2", "仙游县/榜头镇/坝下村", "200")); p.status != http.StatusSeeOther {
		t.Fatalf("draft: %d", p.status)
	}
	drafts, _ := f.store.Drafts(t.Context(), fleet.DraftPending)
	if len(drafts) != 1 {
		t.Fatalf("drafts: %+v", drafts)
	}
	a := f.browser()
	atok := a.signIn("admin")
	p := a.post("/schedules/drafts/"+itoa(drafts[0].ID), url.Values{"csrf": {atok}, "action": {"reject"}, "note": {"与县里宪法日活动时间冲突，请改到下午"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("reject: %d %s", p.status, p.body)
	}
	mustContain(t, o.get("/schedules"), `<span class="badge failed">已退回</span>`, "admin（", "：与县里宪法日活动时间冲突，请改到下午</td>")
}
