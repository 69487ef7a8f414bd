package console

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"lawpoint/content"
	"lawpoint/fleet"
)

// A township operator asking for another township's rollout page or a
// device's week view by address gets 403, audited; the week view of a
// region opens on the device most schedules reach.
func TestRolloutAndWeekStayInTheTownship(t *testing.T) {
	f := scheduleFleet(t)
	ctx := t.Context()
	if err := f.lib.PutSchedule(ctx, "admin", content.Schedule{ID: "gw-week", Name: "盖尾普法", ProgrammeID: "prog-xianfa", Priority: 100,
		Target: content.Target{Regions: []string{"仙游县/盖尾镇"}}, Always: true}); err != nil {
		t.Fatal(err)
	}
	if err := f.lib.PutSchedule(ctx, "admin", content.Schedule{ID: "bt-led", Name: "榜头LED", ProgrammeID: "prog-xianfa", Priority: 100,
		Target: content.Target{Regions: []string{"仙游县/榜头镇"}, Kinds: []string{"led"}}, Always: true}); err != nil {
		t.Fatal(err)
	}
	if err := f.lib.PutNotice(ctx, "admin", content.Notice{ID: "gw-flood", Text: "盖尾镇防汛通知", Regions: []string{"仙游县/盖尾镇"},
		Start: f.clock.Now().Add(-time.Minute).Truncate(time.Second), Expiry: f.clock.Now().Add(time.Hour).Truncate(time.Second)}); err != nil {
		t.Fatal(err)
	}
	o := f.browser()
	o.signIn("bangtou")
	for _, path := range []string{"/rollout?schedule=gw-week", "/rollout.json?schedule=gw-week", "/rollout?notice=gw-flood",
		"/schedules/week?device=led-gaiwei"} {
		if p := o.get(path); p.status != http.StatusForbidden {
			t.Errorf("operator %s: %d, want 403", path, p.status)
		}
	}
	rows := f.audit(fleet.AuditFilter{Actor: "bangtou", Action: fleet.AuditDenied})
	if len(rows) != 4 {
		t.Fatalf("refusals audited: %+v", rows)
	}
	for _, r := range rows {
		if r.Region != "仙游县/盖尾镇" && r.Region != "仙游县/盖尾镇/前连村" {
			t.Errorf("refusal without the region: %+v", r)
		}
	}
	// Their own township's rollout works, and links back to the list.
	p := o.get("/rollout?schedule=bt-led")
	mustContain(t, p, `href="/schedules"`)
	if p.status != http.StatusOK {
		t.Fatalf("own rollout: %d", p.status)
	}
	// The week view of 榜头镇 opens on a board the LED schedule reaches,
	// not on the kiosk (first in ID order) that plays only its fallback.
	mustContain(t, o.get("/schedules/week?region=仙游县/榜头镇"), `<option value="led-baxia" selected`)
	// A device asked for outside the region shown: its own region.
	a := f.browser()
	a.signIn("admin")
	if p := a.get("/schedules/week?region=仙游县/榜头镇&device=led-gaiwei"); p.status != http.StatusOK {
		t.Fatalf("admin, device in another region: %d", p.status)
	} else {
		mustContain(t, p, `<option value="led-gaiwei" selected`)
	}
	if p := a.get("/schedules/week?device=led-none"); p.status != http.StatusNotFound {
		t.Fatalf("unknown device: %d", p.status)
	}
}

// A draft may not replace a schedule its author could not change: the
// county wrote one under the same ID meanwhile. The approver is told, and
// approval is refused with the county's schedule left as it is. A draft
// replacing the township's own schedule says so.
func TestDraftCannotReplaceTheCountysSchedule(t *testing.T) {
	f := scheduleFleet(t)
	ctx := t.Context()
	o := f.browser()
	otok := o.signIn("bangtou")
	for _, id := range []string{"shared-id", "bt-own"} {
		if p := o.post("/schedules", schedValues(otok, id, "仙游县/榜头镇", "200")); p.status != http.StatusSeeOther {
			t.Fatalf("draft %s: %d", id, p.status)
		}
	}
	drafts, _ := f.store.Drafts(ctx, fleet.DraftPending)
	if len(drafts) != 2 {
		t.Fatalf("drafts: %+v", drafts)
	}
	county := content.Schedule{ID: "shared-id", Name: "盖尾普法", ProgrammeID: "prog-xianfa", Priority: 100,
		Target: content.Target{Regions: []string{"仙游县/盖尾镇"}}, Always: true}
	if err := f.lib.PutSchedule(ctx, "admin", county); err != nil {
		t.Fatal(err)
	}
	own := county
	own.ID, own.Target = "bt-own", content.Target{Regions: []string{"仙游县/榜头镇/坝下村"}}
	if err := f.lib.PutSchedule(ctx, "admin", own); err != nil {
		t.Fatal(err)
	}
	a := f.browser()
	atok := a.signIn("admin")
	page := a.get("/schedules/drafts")
	mustContain(t, page, "不能通过：编号“shared-id”现在是一个超出提交人乡镇的排期", `<p class="warn replaces">将替换现有排期“bt-own”：`)
	var sharedDraft int64
	for _, d := range drafts {
		if d.ScheduleID == "shared-id" {
			sharedDraft = d.ID
		}
	}
	if p := a.post("/schedules/drafts/"+itoa(sharedDraft), url.Values{"csrf": {atok}, "action": {"approve"}}); p.status != http.StatusBadRequest {
		t.Fatalf("approving over the county's schedule: %d", p.status)
	}
	set, _, _ := f.lib.Set(ctx)
	for _, s := range set.Schedules {
		if s.ID == "shared-id" && (len(s.Target.Regions) != 1 || s.Target.Regions[0] != "仙游县/盖尾镇") {
			t.Fatalf("the county's schedule was replaced: %+v", s)
		}
	}
}
