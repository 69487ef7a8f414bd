package console

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"lawpoint/content"
	"lawpoint/fleet"
)

func bj(y int, m time.Month, d, h, mi int) time.Time {
	return time.Date(y, m, d, h, mi, 0, 0, shanghai)
}

// monthFleet is scheduleFleet (boards in 坝下村 and 紫溪村 of 榜头镇, a kiosk
// in 坝下村, a board in 盖尾镇) with December 2026 content, the clock at
// Wednesday 9 December 2026, 15:00 Beijing time:
//
//   - xf-week 宪法宣传周, 榜头镇, 500, Monday to Friday 08:00-12:00, 1-10 Dec;
//   - fz 反诈专场, 紫溪村, 500, 9 Dec 10:00-11:00 (conflicts with xf-week);
//   - night 周末夜间普法, 坝下村, 300, Friday and Saturday 22:00-02:00
//     overnight, only 12 Dec (so Friday 11 Dec's occurrence does not play);
//   - evening 晚间反诈, 坝下村, 200, daily 18:00-20:00, its only item valid
//     until 20 Dec 00:00;
//   - county 县级周日宣传, the whole county, 100, Sundays all day;
//   - notice n-power for 榜头镇 on 15 Dec 09:00-19:00.
func monthFleet(t *testing.T) *fixture {
	f := scheduleFleet(t)
	f.clock.mu.Lock()
	f.clock.t = bj(2026, 12, 9, 15, 0)
	f.clock.mu.Unlock()
	ctx := t.Context()
	fz := content.NewText("fangzha", 1, content.Text{Body: "谨防电信诈骗"})
	fz.ValidUntil = bj(2026, 12, 20, 0, 0)
	if _, err := f.lib.PutItem(ctx, "admin", fz); err != nil {
		t.Fatal(err)
	}
	if err := f.lib.PutProgramme(ctx, "admin", content.Programme{ID: "prog-fz", Entries: []content.Entry{{ItemID: "fangzha", Seconds: 20}}}); err != nil {
		t.Fatal(err)
	}
	weekdays := content.Days(time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday)
	win := func(h1, h2 int, overnight bool) []content.Window {
		return []content.Window{{Start: content.Clock(h1, 0, 0), End: content.Clock(h2, 0, 0), Overnight: overnight}}
	}
	for _, s := range []content.Schedule{
		{ID: "xf-week", Name: "宪法宣传周", ProgrammeID: "prog-xianfa", Priority: 500, Target: content.Target{Regions: []string{"仙游县/榜头镇"}},
			DateFrom: content.NewDate(2026, 12, 1), DateUntil: content.NewDate(2026, 12, 10), Weekdays: weekdays, Windows: win(8, 12, false)},
		{ID: "fz", Name: "反诈专场", ProgrammeID: "prog-xianfa", Priority: 500, Target: content.Target{Regions: []string{"仙游县/榜头镇/紫溪村"}},
			DateFrom: content.NewDate(2026, 12, 9), DateUntil: content.NewDate(2026, 12, 9), Weekdays: content.EveryDay, Windows: win(10, 11, false)},
		{ID: "night", Name: "周末夜间普法", ProgrammeID: "prog-xianfa", Priority: 300, Target: content.Target{Regions: []string{"仙游县/榜头镇/坝下村"}},
			DateFrom: content.NewDate(2026, 12, 12), DateUntil: content.NewDate(2026, 12, 12), Weekdays: content.Days(time.Friday, time.Saturday), Windows: win(22, 2, true)},
		{ID: "evening", Name: "晚间反诈", ProgrammeID: "prog-fz", Priority: 200, Target: content.Target{Regions: []string{"仙游县/榜头镇/坝下村"}},
			Weekdays: content.EveryDay, Windows: win(18, 20, false)},
		{ID: "county", Name: "县级周日宣传", ProgrammeID: "prog-xianfa", Priority: 100, Target: content.Target{Regions: []string{"仙游县"}},
			Weekdays: content.Days(time.Sunday)},
	} {
		if err := f.lib.PutSchedule(ctx, "admin", s); err != nil {
			t.Fatalf("%s: %v", s.ID, err)
		}
	}
	if err := f.lib.PutNotice(ctx, "admin", content.Notice{ID: "n-power", Text: "停电通知：榜头镇今日检修线路，办事请改日", Regions: []string{"仙游县/榜头镇"},
		Start: bj(2026, 12, 15, 9, 0), Expiry: bj(2026, 12, 15, 19, 0)}); err != nil {
		t.Fatal(err)
	}
	return f
}

type monthCell struct {
	class, html, text string
}

var (
	monthCellRE = regexp.MustCompile(`(?s)<td data-date="(\d{4}-\d\d-\d\d)" class="([^"]*)"[^>]*>(.*?)</td>`)
	tagRE       = regexp.MustCompile(`<[^>]+>`)
)

// monthCells returns the calendar's cells by date, with their text as a
// reader sees it (tags dropped, spaces collapsed).
func monthCells(t *testing.T, p page) (map[string]monthCell, []string) {
	t.Helper()
	if p.status != http.StatusOK {
		t.Fatalf("month page: %d\n%s", p.status, p.body)
	}
	cells := map[string]monthCell{}
	var order []string
	for _, m := range monthCellRE.FindAllStringSubmatch(p.body, -1) {
		text := strings.Join(strings.Fields(tagRE.ReplaceAllString(m[3], " ")), " ")
		cells[m[1]] = monthCell{class: m[2], html: m[3], text: text}
		order = append(order, m[1])
	}
	return cells, order
}

func dec(days ...int) []string {
	var out []string
	for _, d := range days {
		out = append(out, fmt.Sprintf("2026-12-%02d", d))
	}
	return out
}

// wantOn checks that text shows in exactly the cells of the given dates.
func wantOn(t *testing.T, cells map[string]monthCell, text string, dates []string) {
	t.Helper()
	var got []string
	for date, c := range cells {
		if strings.Contains(c.text, text) {
			got = append(got, date)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, dates) {
		t.Errorf("%q shows on %v, want %v", text, got, dates)
	}
}

func TestMonthCalendar(t *testing.T) {
	f := monthFleet(t)
	b := f.browser()
	b.signIn("admin")
	region := url.QueryEscape("仙游县/榜头镇")
	p := b.get("/schedules/month?region=" + region + "&month=2026-12")
	cells, order := monthCells(t, p)
	mustContain(t, p, "排期月视图", "2026年12月", `<th scope="col">一</th><th scope="col">二</th><th scope="col">三</th><th scope="col">四</th><th scope="col">五</th><th scope="col">六</th><th scope="col">日</th>`)

	// Monday first: from Monday 30 November to Sunday 3 January; days
	// outside December greyed and empty.
	if len(order) != 35 || order[0] != "2026-11-30" || order[34] != "2027-01-03" {
		t.Fatalf("grid runs %v", order)
	}
	for _, date := range []string{"2026-11-30", "2027-01-01", "2027-01-03"} {
		if c := cells[date]; !strings.Contains(c.class, "out") || strings.Contains(c.html, "<li") {
			t.Errorf("%s: class %q, %q", date, c.class, c.text)
		}
	}
	if c := cells["2026-12-31"]; strings.Contains(c.class, "out") {
		t.Errorf("31 December greyed: %q", c.class)
	}

	// Weekdays within 1-10 December, exactly, with the window and priority.
	wantOn(t, cells, "08:00–12:00 宪法宣传周 优先级500", dec(1, 2, 3, 4, 7, 8, 9, 10))
	// The overnight window shows once, on the day it starts; Friday 11th's
	// occurrence is outside the dates, and Sunday 13th 00:00-02:00 is
	// Saturday's.
	wantOn(t, cells, "22:00–次日02:00 周末夜间普法 优先级300", dec(12))
	wantOn(t, cells, "周末夜间普法", dec(12))
	// Item validity: the evening programme's only item ends on the 20th.
	// On the 15th the notice (until 19:00) leaves it 19:00-20:00.
	var evening []string
	for d := 1; d <= 19; d++ {
		if d != 15 {
			evening = append(evening, dec(d)...)
		}
	}
	wantOn(t, cells, "18:00–20:00 晚间反诈 优先级200 2台", evening)
	wantOn(t, cells, "19:00–20:00 晚间反诈", dec(15))
	// Sundays, the whole day on every board of the township (the evening
	// schedule outranks it in 坝下村 18:00-20:00, but 紫溪村 plays it all day).
	wantOn(t, cells, "全天 县级周日宣传 优先级100 3台", dec(6, 13, 20, 27))

	// The notice, marked, with its hours, on its day only.
	wantOn(t, cells, "紧急通知 09:00–19:00 停电通知：榜头镇今日检修线路，办事请改日 3台", dec(15))
	if c := cells["2026-12-15"]; !strings.Contains(c.class, "has-notice") || !strings.Contains(c.html, `<span class="badge urgent">紧急通知</span>`) || !strings.Contains(c.html, `href="/notices/n-power"`) {
		t.Errorf("notice day: %q %s", c.class, c.html)
	}

	// The conflict: same priority, same board (led-zixi), 9 December.
	wantOn(t, cells, "冲突", dec(9))
	c9 := cells["2026-12-09"]
	if !strings.Contains(c9.class, "has-conflict") || !strings.Contains(c9.html, `<span class="badge conflict">冲突</span>`) ||
		!strings.Contains(c9.text, "冲突 反诈专场 与 宪法宣传周 优先级500 10:00–11:00 1台") ||
		!strings.Contains(c9.html, `href="/schedules/fz/edit"`) || !strings.Contains(c9.html, `href="/schedules/xf-week/edit"`) {
		t.Errorf("conflict day: %q\n%s", c9.class, c9.html)
	}
	if !strings.Contains(c9.text, "10:00–11:00 反诈专场 优先级500 1台") {
		t.Errorf("9 December: %s", c9.text)
	}

	// Today, once.
	var today []string
	for date, c := range cells {
		if strings.Contains(c.class, "today") {
			today = append(today, date)
		}
	}
	if !slices.Equal(today, dec(9)) || !strings.Contains(c9.html, "今天") {
		t.Errorf("today: %v", today)
	}

	// Schedule names lead to their edit pages for an administrator.
	if c := cells["2026-12-01"]; !strings.Contains(c.html, `<a href="/schedules/xf-week/edit"`) {
		t.Errorf("no edit link: %s", c.html)
	}
	// The week view of today's week, and back.
	mustContain(t, p, `id="to-week" href="/schedules/week?region=`+region+`&amp;week=2026-12-09"`)
	wk := b.get("/schedules/week?region=" + region + "&week=2026-12-09")
	mustContain(t, wk, `id="to-month" href="/schedules/month?month=2026-12&amp;region=`+region+`"`)
	// Week of Monday 30 November: most of it is December.
	mustContain(t, b.get("/schedules/week?region="+region+"&week=2026-11-30"), `href="/schedules/month?month=2026-12&amp;region=`)
	mustContain(t, b.get("/schedules/week?region="+region+"&week=2026-11-23"), `href="/schedules/month?month=2026-11&amp;region=`)

	// The administrator's default is the whole county (the 盖尾镇 board gets
	// the county's Sundays too).
	all, _ := monthCells(t, b.get("/schedules/month?month=2026-12"))
	wantOn(t, all, "全天 县级周日宣传 优先级100 4台", dec(6, 13, 20, 27))
	// Only the kiosk: what plays on kiosks.
	kiosk, _ := monthCells(t, b.get("/schedules/month?month=2026-12&kind=kiosk&region="+region))
	wantOn(t, kiosk, "08:00–12:00 宪法宣传周 优先级500 1台", dec(1, 2, 3, 4, 7, 8, 9, 10))
	wantOn(t, kiosk, "冲突", nil)
}

func TestMonthNavigationAcrossTheYear(t *testing.T) {
	f := monthFleet(t)
	b := f.browser()
	b.signIn("admin")
	region := url.QueryEscape("仙游县/榜头镇")
	p := b.get("/schedules/month?region=" + region + "&month=2026-12")
	mustContain(t, p, `id="month-next" href="/schedules/month?month=2027-01&amp;region=`+region+`"`,
		`id="month-prev" href="/schedules/month?month=2026-11&amp;region=`+region+`"`)

	p = b.get("/schedules/month?month=2027-01&region=" + region)
	cells, order := monthCells(t, p)
	mustContain(t, p, "2027年1月", `id="month-prev" href="/schedules/month?month=2026-12&amp;region=`+region+`"`,
		`id="month-next" href="/schedules/month?month=2027-02&amp;region=`)
	// 1 January 2027 is a Friday: the grid starts on Monday 28 December.
	if order[0] != "2026-12-28" || order[len(order)-1] != "2027-01-31" || len(order) != 35 {
		t.Fatalf("January grid: %v", order)
	}
	if c := cells["2027-01-01"]; strings.Contains(c.class, "out") {
		t.Errorf("1 January greyed: %q", c.class)
	}
	// 3 January is greyed in December's grid but plays in January's.
	var sundays []string
	for _, d := range []int{3, 10, 17, 24, 31} {
		sundays = append(sundays, fmt.Sprintf("2027-01-%02d", d))
	}
	wantOn(t, cells, "全天 县级周日宣传", sundays)
	if strings.Contains(p.body, `class="today"`) {
		t.Error("today highlighted in another month")
	}
	// The kind filter is kept when navigating.
	mustContain(t, b.get("/schedules/month?month=2027-01&kind=led"), `href="/schedules/month?kind=led&amp;month=2026-12"`)
	// Without ?month=: the clock's month.
	mustContain(t, b.get("/schedules/month"), "2026年12月")
}

func TestMonthBadInput(t *testing.T) {
	f := monthFleet(t)
	b := f.browser()
	b.signIn("admin")
	for q, want := range map[string]string{
		"month=2026-13":             `id="month-error">月份格式有误：“2026-13”，请按“年-月”填写，例如 2026-12`,
		"month=abc":                 `id="month-error">月份格式有误：“abc”`,
		"month=2026-12-01":          `id="month-error">月份格式有误`,
		"month=12%2F2026":           `id="month-error">月份格式有误：“12/2026”`,
		"month=1999-12":             `id="month-error">月份须在 2000-01 到 2099-12 之间`,
		"month=2026-12&kind=screen": `id="kind-error">设备类型只能是 LED屏 或 自助一体机`,
	} {
		p := b.get("/schedules/month?" + q)
		if p.status != http.StatusBadRequest {
			t.Errorf("%s: status %d", q, p.status)
		}
		mustContain(t, p, want, `aria-invalid="true"`, "查看本月排期")
		if strings.Contains(p.body, `id="month-grid"`) {
			t.Errorf("%s: a calendar is shown for bad input", q)
		}
	}
}

func TestMonthOperatorConfined(t *testing.T) {
	f := monthFleet(t)
	o := f.browser()
	o.signIn("bangtou")

	// Default: their township; the county's schedule plays there but is
	// not theirs to edit; their township's is.
	p := o.get("/schedules/month?month=2026-12")
	cells, _ := monthCells(t, p)
	mustContain(t, p, "排期月视图 <small>仙游县/榜头镇 · 2026年12月</small>", "本区域 3 台设备")
	if strings.Contains(p.body, "盖尾镇") {
		t.Error("another township is offered to the operator")
	}
	sun := cells["2026-12-06"]
	if !strings.Contains(sun.text, "全天 县级周日宣传 优先级100 3台") || strings.Contains(sun.html, "/schedules/county/edit") {
		t.Errorf("county schedule for the operator: %s", sun.html)
	}
	if !strings.Contains(cells["2026-12-01"].html, `href="/schedules/xf-week/edit"`) {
		t.Errorf("own township's schedule not editable: %s", cells["2026-12-01"].html)
	}

	// Another township, or the whole county: 403, audited.
	for _, region := range []string{"仙游县/盖尾镇", "仙游县"} {
		p := o.get("/schedules/month?month=2026-12&region=" + url.QueryEscape(region))
		if p.status != http.StatusForbidden {
			t.Fatalf("%s: status %d", region, p.status)
		}
		mustContain(t, p, "只能查看本乡镇的排期")
		if strings.Contains(p.body, "month-grid") {
			t.Errorf("%s: calendar shown", region)
		}
	}
	rows := f.audit(fleet.AuditFilter{Actor: "bangtou", Action: fleet.AuditDenied})
	if len(rows) != 2 {
		t.Fatalf("refusals audited: %+v", rows)
	}
	var regions []string
	for _, r := range rows {
		if r.Target != "month" || r.Outcome != fleet.OutcomeDenied || r.Role != fleet.StaffOperator {
			t.Errorf("audit row: %+v", r)
		}
		regions = append(regions, r.Region)
	}
	slices.Sort(regions)
	if !slices.Equal(regions, []string{"仙游县", "仙游县/盖尾镇"}) {
		t.Errorf("audited regions: %v", regions)
	}

	// A viewer sees everything and edits nothing.
	v := f.browser()
	v.signIn("viewer")
	vp := v.get("/schedules/month?month=2026-12&region=" + url.QueryEscape("仙游县/榜头镇"))
	if vp.status != http.StatusOK || strings.Contains(vp.body, "/edit") {
		t.Errorf("viewer: %d, edit links: %v", vp.status, strings.Contains(vp.body, "/edit"))
	}
	mustContain(t, vp, "宪法宣传周", `href="/schedules"`)
}

// The calendar in headless Chromium at a county office PC's width and a
// tablet's: the page never scrolls sideways. A probe script, added by the
// test server (the console's CSP allows same-origin scripts), writes the
// horizontal overflow into the DOM that Chromium dumps. Screenshots:
// LAWPOINT_SCREENSHOTS=dir keeps them.
func TestChromiumMonthFits(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("headless Chromium is not installed (%s missing): run `apt-get install chromium` to run the browser tests", chromiumPath)
	}
	f := monthFleet(t)
	b := f.browser()
	b.signIn("admin")
	u, _ := url.Parse(f.srv.URL)
	var cookies []string
	for _, ck := range b.c.Jar.Cookies(u) {
		cookies = append(cookies, ck.Name+"="+ck.Value)
	}
	const probe = `document.body.setAttribute("data-overflow", String(document.documentElement.scrollWidth - document.documentElement.clientWidth));`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/probe.js" {
			w.Header().Set("Content-Type", "text/javascript")
			_, _ = io.WriteString(w, probe)
			return
		}
		r.Header.Set("Cookie", strings.Join(cookies, "; "))
		rec := httptest.NewRecorder()
		f.console.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = io.WriteString(w, strings.Replace(rec.Body.String(), "</body>", `<script src="/probe.js"></script></body>`, 1))
	}))
	defer srv.Close()
	dir := os.Getenv("LAWPOINT_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	path := "/schedules/month?month=2026-12&region=" + url.QueryEscape("仙游县/榜头镇")
	for _, width := range []int{1280, 768} {
		size := fmt.Sprintf("--window-size=%d,1000", width)
		dom := chromium(t, size, "--dump-dom", srv.URL+path)
		if !strings.Contains(dom, "宪法宣传周") || !strings.Contains(dom, "data-overflow=") {
			t.Fatalf("%d px: the calendar did not load:\n%s", width, dom)
		}
		if !strings.Contains(dom, `data-overflow="0"`) {
			i := strings.Index(dom, "data-overflow=")
			t.Errorf("%d px: the page scrolls sideways (%s)", width, dom[i:i+20])
		}
		out := filepath.Join(dir, fmt.Sprintf("month-%d.png", width))
		chromium(t, size, "--screenshot="+out, srv.URL+path)
		if st, err := os.Stat(out); err != nil || st.Size() < 1000 {
			t.Errorf("screenshot %s: %v", out, err)
		}
	}
}

// benchCounty is a synthetic county for the month calendar: 18 townships
// of 16 villages, each village with two LED boards and a kiosk (864
// devices, a quarter of the boards tagged 集市), 4 county schedules, 4 per
// township, one one-day event per village (288, conflicting with a
// township schedule of the same priority on some days), and 3 notices.
func benchCounty(b *testing.B) (*content.Compiled, []content.Device) {
	set := &content.Set{}
	for i := range 12 {
		it := content.NewText(fmt.Sprintf("t%d", i), 1, content.Text{Body: fmt.Sprintf("普法宣传第%d条", i)})
		if i%6 == 5 {
			it.ValidUntil = bj(2026, 12, 5*(i/6+1), 0, 0)
		}
		set.Items = append(set.Items, it)
	}
	for p := range 6 {
		set.Programmes = append(set.Programmes, content.Programme{ID: fmt.Sprintf("p%d", p),
			Entries: []content.Entry{{ItemID: fmt.Sprintf("t%d", 2*p), Seconds: 30}, {ItemID: fmt.Sprintf("t%d", 2*p+1), Seconds: 30}}})
	}
	win := func(h1, m1, h2, m2 int, overnight bool) []content.Window {
		return []content.Window{{Start: content.Clock(h1, m1, 0), End: content.Clock(h2, m2, 0), Overnight: overnight}}
	}
	weekdays := content.Days(time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday)
	add := func(s content.Schedule) { set.Schedules = append(set.Schedules, s) }
	add(content.Schedule{ID: "c-always", ProgrammeID: "p0", Priority: 10, Always: true, Target: content.Target{Regions: []string{"仙游县"}, Kinds: []string{"led"}}})
	add(content.Schedule{ID: "c-work", ProgrammeID: "p1", Priority: 100, Target: content.Target{Regions: []string{"仙游县"}}, Weekdays: weekdays, Windows: win(8, 0, 18, 0, false)})
	add(content.Schedule{ID: "c-market", ProgrammeID: "p2", Priority: 300, Target: content.Target{Tags: []string{"集市"}}, Weekdays: content.Days(time.Saturday, time.Sunday), Windows: win(7, 0, 12, 0, false)})
	add(content.Schedule{ID: "c-night", ProgrammeID: "p3", Priority: 150, Target: content.Target{Regions: []string{"仙游县"}, Kinds: []string{"led"}},
		DateFrom: content.NewDate(2026, 12, 1), DateUntil: content.NewDate(2026, 12, 10), Weekdays: content.EveryDay, Windows: win(20, 0, 6, 0, true)})
	var devs []content.Device
	for t := range 18 {
		town := fmt.Sprintf("仙游县/镇%02d", t)
		add(content.Schedule{ID: fmt.Sprintf("t%02d-mwf", t), ProgrammeID: "p4", Priority: 200, Target: content.Target{Regions: []string{town}},
			Weekdays: content.Days(time.Monday, time.Wednesday, time.Friday), Windows: win(9, 0, 11, 0, false)})
		add(content.Schedule{ID: fmt.Sprintf("t%02d-tt", t), ProgrammeID: "p5", Priority: 200, Target: content.Target{Regions: []string{town}},
			Weekdays: content.Days(time.Tuesday, time.Thursday), Windows: win(14, 0, 17, 0, false)})
		add(content.Schedule{ID: fmt.Sprintf("t%02d-week", t), ProgrammeID: "p1", Priority: 400, Target: content.Target{Regions: []string{town}},
			DateFrom: content.NewDate(2026, 12, 7), DateUntil: content.NewDate(2026, 12, 13), Weekdays: content.EveryDay})
		add(content.Schedule{ID: fmt.Sprintf("t%02d-kiosk", t), ProgrammeID: "p2", Priority: 250, Target: content.Target{Regions: []string{town}, Kinds: []string{"kiosk"}},
			Weekdays: weekdays, Windows: win(8, 30, 17, 30, false)})
		for v := range 16 {
			vil := fmt.Sprintf("%s/村%02d", town, v)
			add(content.Schedule{ID: fmt.Sprintf("v%02d-%02d", t, v), ProgrammeID: "p3", Priority: 200, Target: content.Target{Regions: []string{vil}},
				DateFrom: content.NewDate(2026, 12, 1+(t+v)%28), DateUntil: content.NewDate(2026, 12, 1+(t+v)%28), Weekdays: content.EveryDay, Windows: win(10, 0, 12, 0, false)})
			for k := range 3 {
				d := content.Device{ID: fmt.Sprintf("d-%02d-%02d-%d", t, v, k), Kind: "led", Region: vil}
				if k == 2 {
					d.Kind = "kiosk"
				} else if v%4 == 0 {
					d.Tags = []string{"集市"}
				}
				devs = append(devs, d)
			}
		}
	}
	set.Notices = []content.Notice{
		{ID: "n-county", Text: "寒潮预警", Regions: []string{"仙游县"}, Start: bj(2026, 12, 3, 6, 0), Expiry: bj(2026, 12, 3, 20, 0)},
		{ID: "n-town", Text: "停电通知", Regions: []string{"仙游县/镇03"}, Start: bj(2026, 12, 17, 8, 0), Expiry: bj(2026, 12, 18, 18, 0)},
		{ID: "n-old", Text: "已撤回", Regions: []string{"仙游县/镇04"}, Start: bj(2026, 12, 20, 8, 0), Expiry: bj(2026, 12, 21, 8, 0), Withdrawn: true},
	}
	comp, err := content.Compile(set)
	if err != nil {
		b.Fatal(err)
	}
	return comp, devs
}

// BenchmarkMonthCounty is the county administrator's month view: every
// device of the county, grouped (see planMonth).
func BenchmarkMonthCounty(b *testing.B) {
	comp, devs := benchCounty(b)
	first := bj(2026, 12, 1, 0, 0)
	var mp monthPlan
	for b.Loop() {
		mp = planMonth(comp, devs, first)
	}
	conflicts := 0
	for _, d := range mp.Days {
		conflicts += len(d.Conflicts)
	}
	if conflicts == 0 || len(mp.Days[2].Notices) == 0 {
		b.Fatalf("the synthetic county has %d conflict-days and no notice on 3 December", conflicts)
	}
	b.ReportMetric(float64(mp.Devices), "devices")
	b.ReportMetric(float64(mp.Groups), "groups")
}

// BenchmarkMonthCountyPerDevice is the same month planned device by device
// (what grouping saves).
func BenchmarkMonthCountyPerDevice(b *testing.B) {
	comp, devs := benchCounty(b)
	first := bj(2026, 12, 1, 0, 0)
	for b.Loop() {
		for i := range devs {
			planMonth(comp, devs[i:i+1], first)
		}
	}
	b.ReportMetric(float64(len(devs)), "devices")
}

// BenchmarkMonthTownship is a township operator's month view (48 devices).
func BenchmarkMonthTownship(b *testing.B) {
	comp, devs := benchCounty(b)
	devs = slices.DeleteFunc(devs, func(d content.Device) bool { return !content.InRegion(d.Region, "仙游县/镇03") })
	first := bj(2026, 12, 1, 0, 0)
	var mp monthPlan
	for b.Loop() {
		mp = planMonth(comp, devs, first)
	}
	b.ReportMetric(float64(mp.Devices), "devices")
	b.ReportMetric(float64(mp.Groups), "groups")
}
