package console

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"lawpoint/content"
	"lawpoint/device/wire"
	"lawpoint/fleet"
)

// showingCell returns the text of a device's 正在播放 cell on the overview.
func showingCell(t *testing.T, body, id string) string {
	t.Helper()
	row := regexp.MustCompile(`(?s)<tr data-device="` + id + `">.*?</tr>`).FindString(body)
	m := regexp.MustCompile(`(?s)<td class="showing ([a-z]+)">(.*?)</td>`).FindStringSubmatch(row)
	if m == nil {
		t.Fatalf("no 正在播放 cell for %s in:\n%s", id, row)
	}
	return m[1] + ": " + regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[2], " ")
}

// The overview and the device page say what each device plays right now,
// by the resolver the devices run: the winning schedule, an emergency
// notice over everything in its region, the fallback, or nothing; with a
// device's untrusted clock only time-independent content; and a warning
// while the device has not applied the current version.
func TestOverviewShowsWhatPlaysNow(t *testing.T) {
	f := scheduleFleet(t)
	ctx := t.Context()
	// Wednesday 9 December 2026, 10:00 in Beijing.
	f.clock.mu.Lock()
	f.clock.t = time.Date(2026, 12, 9, 10, 0, 0, 0, shanghai)
	f.clock.mu.Unlock()
	if err := f.lib.PutProgramme(ctx, "admin", content.Programme{ID: "prog-idle", Name: "默认宣传", Entries: []content.Entry{{ItemID: "xianfa", Seconds: 10}}}); err != nil {
		t.Fatal(err)
	}
	if err := f.lib.SetFallback(ctx, "admin", "led", "prog-idle"); err != nil {
		t.Fatal(err)
	}
	if err := f.lib.PutSchedule(ctx, "admin", content.Schedule{ID: "xf-week", Name: "宪法宣传周", ProgrammeID: "prog-xianfa", Priority: 500,
		Target: content.Target{Regions: []string{"仙游县/榜头镇"}}, Weekdays: content.EveryDay,
		Windows: []content.Window{{Start: content.Clock(8, 0, 0), End: content.Clock(12, 0, 0)}}}); err != nil {
		t.Fatal(err)
	}
	// led-zixi's clock is not trusted: its timed schedule does not play.
	s, _ := json.Marshal(wire.Sample{At: f.clock.Now(), ClockTrusted: false, BootID: "b"})
	if err := f.store.AddTelemetry(ctx, []fleet.TelemetrySample{{DeviceID: "led-zixi", At: f.clock.Now(), Received: f.clock.Now(), Sample: s}}); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	b.signIn("admin")

	p := b.get("/")
	if got := showingCell(t, p.body, "led-baxia"); !strings.Contains(got, "schedule: 排期“宪法宣传周”：节目“宪法宣传”") || !strings.Contains(got, "至 12-09 12:00") {
		t.Errorf("led-baxia shows %q", got)
	}
	if got := showingCell(t, p.body, "led-zixi"); !strings.HasPrefix(got, "fallback: 默认节目“默认宣传”") || !strings.Contains(got, "设备时钟未校准") {
		t.Errorf("led-zixi (untrusted clock) shows %q", got)
	}
	if got := showingCell(t, p.body, "led-gaiwei"); !strings.HasPrefix(got, "fallback: 默认节目“默认宣传”") {
		t.Errorf("led-gaiwei (another township) shows %q", got)
	}
	if got := showingCell(t, p.body, "kiosk-baxia"); !strings.Contains(got, "排期“宪法宣传周”") {
		t.Errorf("kiosk-baxia (the schedule targets every kind) shows %q", got)
	}
	// Nobody has applied anything yet: every row warns.
	if got := showingCell(t, p.body, "led-baxia"); !strings.Contains(got, "设备尚未同步到最新内容") {
		t.Errorf("no stale warning before the device reported: %q", got)
	}

	// An emergency notice outranks the schedule in its region only.
	if err := f.lib.PutNotice(ctx, "admin", content.Notice{ID: "n1", Text: "寒潮预警：今夜气温骤降，请注意防寒保暖并检查电线。", Regions: []string{"仙游县/榜头镇/坝下村"},
		Start: f.clock.Now().Add(-time.Minute), Expiry: f.clock.Now().Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	p = b.get("/")
	if got := showingCell(t, p.body, "led-baxia"); !strings.HasPrefix(got, "notice: 紧急通知 “寒潮预警：今夜气温骤降，请注意防寒保暖并检查电线…”") || !strings.Contains(got, "至 12-09 12:00") {
		t.Errorf("led-baxia under the notice shows %q", got)
	}
	if got := showingCell(t, p.body, "led-zixi"); strings.Contains(got, "紧急通知") {
		t.Errorf("the notice for 坝下村 reached 紫溪村's row: %q", got)
	}
	dp := b.get("/devices/led-baxia")
	mustContain(t, dp, `<dd id="showing" class="showing notice">紧急通知 “寒潮预警`)

	// Without a fallback or schedule, a device plays nothing and says so.
	if err := f.lib.SetFallback(ctx, "admin", "led", ""); err != nil {
		t.Fatal(err)
	}
	if got := showingCell(t, b.get("/").body, "led-gaiwei"); !strings.HasPrefix(got, "none: 没有可播放的内容（待机画面）") {
		t.Errorf("led-gaiwei without content shows %q", got)
	}
}
