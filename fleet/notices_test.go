package fleet_test

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"lawpoint/content"
	"lawpoint/fleet"
	"lawpoint/fleet/sqlitestore"
)

// newLibrary is a library on a real store with LED boards in two villages
// of 榜头镇 and one of 度尾镇, and led-old, revoked, the only device of
// 盖尾镇. The library's clock is fixed at now.
func newLibrary(t *testing.T, now time.Time) (*fleet.Library, *fleet.Registry) {
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
	reg := fleet.NewRegistry(st)
	for _, d := range []fleet.Device{
		{ID: "led-baxia", Kind: fleet.KindLED, Region: "仙游县/榜头镇/坝下村"},
		{ID: "led-zixi", Kind: fleet.KindLED, Region: "仙游县/榜头镇/紫溪村"},
		{ID: "led-zhongfeng", Kind: fleet.KindLED, Region: "仙游县/度尾镇/中峰村"},
		{ID: "led-old", Kind: fleet.KindLED, Region: "仙游县/盖尾镇/前连村"},
	} {
		if _, err := reg.CreateDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := reg.Revoke(ctx, "led-old"); err != nil {
		t.Fatal(err)
	}
	lib := fleet.NewLibrary(st, blobs)
	lib.SetClock(func() time.Time { return now })
	return lib, reg
}

// fieldErrors returns the fields and Chinese messages of a CheckNotice
// refusal.
func fieldErrors(t *testing.T, err error) map[string]string {
	t.Helper()
	var fes fleet.FieldErrors
	if !errors.As(err, &fes) {
		t.Fatalf("error %v (%T), want fleet.FieldErrors", err, err)
	}
	out := map[string]string{}
	for _, fe := range fes {
		out[fe.Field] = fe.Err.Zh
	}
	var first *fleet.FieldError
	if !errors.As(err, &first) || first != fes[0] {
		t.Fatalf("errors.As does not find the first field error in %v", err)
	}
	return out
}

// The notice rules shared by the console and the API: text within the LED
// limit, regions normalized and holding an active device, no "." or ".."
// levels, expiry in the future and at most 30 days after the start.
func TestCheckNotice(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	lib, _ := newLibrary(t, now)
	ctx := t.Context()
	ok := content.Notice{ID: "n1", Text: "暴雨预警", Regions: []string{"仙游县/榜头镇"}, Expiry: now.Add(2 * time.Hour)}

	got, err := lib.CheckNotice(ctx, content.Notice{ID: "n1", Text: "  暴雨预警\r\n请勿外出 ", Regions: []string{" 仙游县 / 榜头镇 /", "仙游县/榜头镇", "仙游县/度尾镇/中峰村"},
		Expiry: now.Add(2 * time.Hour)}, now)
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != "暴雨预警\n请勿外出" || !slices.Equal(got.Regions, []string{"仙游县/榜头镇", "仙游县/度尾镇/中峰村"}) || !got.Start.Equal(now) {
		t.Fatalf("checked notice %+v: want trimmed text, normalized regions without the repeat, start now", got)
	}
	// An explicit start in the future moves the 30-day bound with it.
	later := ok
	later.Start, later.Expiry = now.Add(24*time.Hour), now.Add(24*time.Hour).AddDate(0, 0, 30)
	if _, err := lib.CheckNotice(ctx, later, now); err != nil {
		t.Fatalf("a notice of exactly 30 days from a later start: %v", err)
	}

	for _, c := range []struct {
		name  string
		edit  func(n *content.Notice)
		field string
		zh    string
	}{
		{"empty text", func(n *content.Notice) { n.Text = " \n " }, "text", "请输入通知内容"},
		{"text over the LED limit", func(n *content.Notice) { n.Text = strings.Repeat("雨", content.MaxTextRunes+1) }, "text", "超过 2000 字的上限"},
		{"invalid UTF-8", func(n *content.Notice) { n.Text = "暴雨\xff" }, "text", "编码有误"},
		{"no region", func(n *content.Notice) { n.Regions = nil }, "regions", "请选择发布区域"},
		{"a '..' level", func(n *content.Notice) { n.Regions = []string{"仙游县/榜头镇/../度尾镇"} }, "regions[0]", "不能包含“.”或“..”"},
		{"a '.' level", func(n *content.Notice) { n.Regions = []string{"仙游县/榜头镇", "仙游县/./榜头镇"} }, "regions[1]", "不能包含“.”或“..”"},
		{"an empty level", func(n *content.Notice) { n.Regions = []string{"仙游县//榜头镇"} }, "regions[0]", "空的层级"},
		{"a region without devices", func(n *content.Notice) { n.Regions = []string{"仙游县/枫亭镇"} }, "regions[0]", "该区域没有设备"},
		{"a region whose only device is revoked", func(n *content.Notice) { n.Regions = []string{"仙游县/盖尾镇"} }, "regions[0]", "该区域没有设备"},
		{"a prefix that is not a level", func(n *content.Notice) { n.Regions = []string{"仙游县/榜头"} }, "regions[0]", "该区域没有设备"},
		{"no expiry", func(n *content.Notice) { n.Expiry = time.Time{} }, "expiry", "请设置截止时间"},
		{"expired", func(n *content.Notice) { n.Expiry = now.Add(-time.Hour) }, "expiry", "截止时间须晚于现在"},
		{"ten years", func(n *content.Notice) { n.Expiry = now.AddDate(10, 0, 0) }, "expiry", "紧急通知最长有效 30 天"},
		{"31 days", func(n *content.Notice) { n.Expiry = now.AddDate(0, 0, 31) }, "expiry", "紧急通知最长有效 30 天"},
		{"expires before it starts", func(n *content.Notice) { n.Start, n.Expiry = now.Add(3*time.Hour), now.Add(2*time.Hour) }, "expiry", "截止时间须晚于开始时间"},
	} {
		n := ok
		n.Regions = slices.Clone(ok.Regions)
		c.edit(&n)
		_, err := lib.CheckNotice(ctx, n, now)
		fields := fieldErrors(t, err)
		if len(fields) != 1 || !strings.Contains(fields[c.field], c.zh) {
			t.Errorf("%s: problems %v, want only %s: …%s…", c.name, fields, c.field, c.zh)
		}
	}

	// Every field's problem at once, in the order of the fields.
	_, err = lib.CheckNotice(ctx, content.Notice{ID: "n2", Regions: []string{"仙游县/榜头镇/../度尾镇"}, Expiry: now.AddDate(10, 0, 0)}, now)
	var fes fleet.FieldErrors
	if !errors.As(err, &fes) || len(fes) != 3 || fes[0].Field != "text" || fes[1].Field != "regions[0]" || fes[2].Field != "expiry" {
		t.Fatalf("a notice wrong in three fields: %v", err)
	}
	// Nothing is stored by a check.
	if set, _, _ := lib.Set(ctx); len(set.Notices) != 0 {
		t.Fatalf("CheckNotice stored %+v", set.Notices)
	}
}

// A problem elsewhere in the content set (a notice or a schedule whose
// devices were all revoked) is not reported as the checked schedule's;
// the schedule's own problems and conflicts still are.
func TestCheckScheduleReportsOnlyItsOwnProblems(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	lib, reg := newLibrary(t, now)
	ctx := t.Context()
	if _, err := lib.PutItem(ctx, "admin", content.Item{ID: "xianfa", Kind: content.KindText, Text: &content.Text{Body: "学习宪法"}}); err != nil {
		t.Fatal(err)
	}
	if err := lib.PutProgramme(ctx, "admin", content.Programme{ID: "p", Entries: []content.Entry{{ItemID: "xianfa", Seconds: 10}}}); err != nil {
		t.Fatal(err)
	}
	sched := func(id string, regions ...string) content.Schedule {
		return content.Schedule{ID: id, ProgrammeID: "p", Priority: 10, Always: true, Target: content.Target{Regions: regions}}
	}
	// Both stored while 度尾镇's board was active; then it is revoked.
	if err := lib.PutSchedule(ctx, "admin", sched("duwei", "仙游县/度尾镇")); err != nil {
		t.Fatal(err)
	}
	if err := lib.PutNotice(ctx, "admin", content.Notice{ID: "n-duwei", Text: "停电通知", Regions: []string{"仙游县/度尾镇"}, Start: now, Expiry: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := reg.Revoke(ctx, "led-zhongfeng"); err != nil {
		t.Fatal(err)
	}

	rep, err := lib.CheckSchedule(ctx, sched("baxia", "仙游县/榜头镇/坝下村"))
	if err != nil || len(rep.Problems) != 0 || len(rep.Conflicts) != 0 {
		t.Fatalf("an unrelated valid schedule: %+v, %v; want no problems", rep, err)
	}
	if err := lib.PutSchedule(ctx, "admin", sched("baxia", "仙游县/榜头镇/坝下村")); err != nil {
		t.Fatalf("storing it: %v", err)
	}

	// Its own problems and conflicts are still reported.
	rep, _ = lib.CheckSchedule(ctx, sched("fengting", "仙游县/枫亭镇"))
	if len(rep.Problems) != 1 || rep.Problems[0].Field != "schedules[fengting].target" {
		t.Fatalf("a schedule selecting no device: %+v", rep.Problems)
	}
	bad := sched("bad", "仙游县/榜头镇")
	bad.ProgrammeID = "nope"
	rep, _ = lib.CheckSchedule(ctx, bad)
	if len(rep.Problems) != 1 || rep.Problems[0].Field != "schedules[bad].programme_id" {
		t.Fatalf("a schedule with an unknown programme: %+v", rep.Problems)
	}
	rep, _ = lib.CheckSchedule(ctx, sched("town", "仙游县/榜头镇"))
	if len(rep.Problems) != 0 || len(rep.Conflicts) != 1 || rep.Conflicts[0].Schedules != [2]string{"baxia", "town"} {
		t.Fatalf("a schedule conflicting with baxia: %+v", rep)
	}
	// Re-checking the schedule that lost its devices reports it.
	rep, _ = lib.CheckSchedule(ctx, sched("duwei", "仙游县/度尾镇"))
	if len(rep.Problems) != 1 || rep.Problems[0].Field != "schedules[duwei].target" {
		t.Fatalf("the schedule whose board was revoked: %+v", rep.Problems)
	}
}
