package console

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"lawpoint/content"
	"lawpoint/device/wire"
	"lawpoint/fleet"
)

func reportAt(day, hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", day+" "+hhmm, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

// presence stores one presence observation received at when.
func (f *fixture) presence(id string, online bool, session uint64, when time.Time) {
	f.t.Helper()
	vs, err := f.store.UpdatePresence(f.t.Context(), []fleet.Presence{{DeviceID: id, Online: online, Session: session, LastSeen: when}})
	if err != nil || vs[0] != wire.Applied {
		f.t.Fatalf("presence of %s: %v %v", id, vs, err)
	}
}

// reportFleet seeds two villages of 榜头镇 and one of 度尾镇 with queue,
// rating, booking and proof-of-play events on 2026-05-04 and -05. The
// devices are registered on 2026-05-01; in 2026-05-03..06 the 坝下村
// kiosk is online throughout, the board the first two days, the 后庄村
// kiosk never, the 度尾镇 kiosk from 05-04 12:00 on. It is now 2026-05-20.
func reportFleet(t *testing.T) *fixture {
	f := newFixture(t, nil)
	ctx := t.Context()
	f.clock.t = reportAt("2026-05-20", "10:00")
	f.reg.SetClock(func() time.Time { return reportAt("2026-05-01", "08:00") })
	f.device("kiosk-baxia", fleet.KindKiosk, "仙游县/榜头镇/坝下村", "kiosk")
	f.device("kiosk-houzhuang", fleet.KindKiosk, "仙游县/榜头镇/后庄村", "kiosk")
	f.device("kiosk-duwei", fleet.KindKiosk, "仙游县/度尾镇/中峰村", "kiosk")
	f.device("board-baxia", fleet.KindLED, "仙游县/榜头镇/坝下村", "BX-5E2 128x32")
	f.presence("kiosk-baxia", true, 1, reportAt("2026-05-02", "08:00"))
	f.presence("board-baxia", true, 1, reportAt("2026-05-02", "08:00"))
	f.presence("board-baxia", false, 1, reportAt("2026-05-05", "00:00"))
	f.presence("kiosk-duwei", true, 3, reportAt("2026-05-04", "12:00"))
	seqs := map[string]uint64{}
	add := func(dev string, typ wire.EventType, at time.Time, data any) {
		t.Helper()
		seqs[dev]++
		seq := seqs[dev]
		raw, _ := json.Marshal(data)
		e := wire.Event{Seq: seq, Type: typ, At: at.UTC(), ClockTrusted: true, BootID: "boot-1", UptimeMS: seq * 1000, Data: raw}
		p, _ := json.Marshal(e)
		fe := fleet.Event{DeviceID: dev, Key: wire.EventID(dev, seq), Type: string(typ), Payload: p, Occurred: e.At,
			Received: e.At, DeviceSeq: seq, Fingerprint: e.Fingerprint()}
		if _, _, err := f.store.AddEventBatch(ctx, dev, []fleet.Event{fe}); err != nil {
			t.Fatal(err)
		}
	}
	d1, d2 := "2026-05-04", "2026-05-05"
	tk := func(day, n string, serviceS int) wire.TicketData {
		return wire.TicketData{Ticket: n, Service: "consultation", Day: day, Counter: "1", ServiceS: serviceS}
	}
	// 坝下村: A001 waits 2 min, served in 7; A002 waits 10, no-show; day 2
	// A003 waits 5, served in 10.
	add("kiosk-baxia", wire.EventTicketIssued, reportAt(d1, "08:00"), tk(d1, "A001", 0))
	add("kiosk-baxia", wire.EventTicketIssued, reportAt(d1, "08:01"), tk(d1, "A002", 0))
	add("kiosk-baxia", wire.EventTicketCalled, reportAt(d1, "08:02"), tk(d1, "A001", 0))
	add("kiosk-baxia", wire.EventTicketServed, reportAt(d1, "08:09"), tk(d1, "A001", 420))
	add("kiosk-baxia", wire.EventTicketCalled, reportAt(d1, "08:11"), tk(d1, "A002", 0))
	add("kiosk-baxia", wire.EventTicketNoShow, reportAt(d1, "08:16"), tk(d1, "A002", 0))
	add("kiosk-baxia", wire.EventTicketIssued, reportAt(d2, "09:00"), tk(d2, "A001", 0))
	add("kiosk-baxia", wire.EventTicketCalled, reportAt(d2, "09:05"), tk(d2, "A001", 0))
	add("kiosk-baxia", wire.EventTicketServed, reportAt(d2, "09:15"), tk(d2, "A001", 600))
	add("kiosk-baxia", wire.EventRating, reportAt(d1, "08:10"), wire.RatingData{Service: "consultation", Score: 5})
	add("kiosk-baxia", wire.EventRating, reportAt(d1, "08:20"), wire.RatingData{Service: "consultation", Score: 2})
	// 后庄村: one ticket, waits 7 min, served in 5; rated 4.
	add("kiosk-houzhuang", wire.EventTicketIssued, reportAt(d1, "09:00"), tk(d1, "A001", 0))
	add("kiosk-houzhuang", wire.EventTicketCalled, reportAt(d1, "09:07"), tk(d1, "A001", 0))
	add("kiosk-houzhuang", wire.EventTicketServed, reportAt(d1, "09:12"), tk(d1, "A001", 300))
	add("kiosk-houzhuang", wire.EventRating, reportAt(d1, "09:13"), wire.RatingData{Service: "consultation", Score: 4})
	// 度尾镇: two tickets, another township.
	add("kiosk-duwei", wire.EventTicketIssued, reportAt(d1, "10:00"), tk(d1, "A001", 0))
	add("kiosk-duwei", wire.EventTicketIssued, reportAt(d1, "10:05"), tk(d1, "A002", 0))
	// Proof of play on the board: msg-1 on both days, msg-2 before the period.
	play := func(item string, from time.Time, plays int) wire.PlayData {
		return wire.PlayData{ItemID: item, ItemVersion: 1, ManifestSerial: 1, From: from.UTC(), To: from.Add(time.Hour).UTC(), Plays: plays, Seconds: plays * 10}
	}
	add("board-baxia", wire.EventPlay, reportAt(d1, "11:00"), play("msg-1", reportAt(d1, "10:00"), 40))
	add("board-baxia", wire.EventPlay, reportAt(d2, "11:00"), play("msg-1", reportAt(d2, "10:00"), 20))
	add("board-baxia", wire.EventPlay, reportAt("2026-04-01", "11:00"), play("msg-2", reportAt("2026-04-01", "10:00"), 5))

	// One consultation booked at 坝下村 for 2026-05-04 14:00.
	bk := fleet.NewBookings(f.store, nil)
	bk.SetClock(func() time.Time { return reportAt("2026-05-03", "20:00") })
	if _, err := bk.PutAdviser(ctx, fleet.Adviser{ID: "lin", Name: "林志明", Kind: fleet.AdviserLawyer, Serves: []string{"仙游县/榜头镇"},
		Services: []string{"consultation"}, Active: true, SlotMinutes: 30, HorizonDays: 14,
		Hours: map[string][]string{"mon": {"14:00-15:00"}}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := bk.Book(ctx, "kiosk-baxia", wire.BookRequest{IdempotencyKey: "k1", Service: "consultation", AdviserID: "lin",
		SlotStart: reportAt(d1, "14:00"), Phone: "13812345678"}); err != nil {
		t.Fatal(err)
	}
	return f
}

var tdRE = regexp.MustCompile(`<td class="n ([a-z0-9-]+)">([^<]*)</td>`)

// reportRowOf returns the cells of the report table's row for region.
func reportRowOf(t *testing.T, p page, region string) map[string]string {
	t.Helper()
	i := strings.Index(p.body, `data-region="`+region+`"`)
	if i < 0 {
		t.Fatalf("no report row for %s:\n%s", region, p.body)
	}
	rest := p.body[i:]
	rest = rest[:strings.Index(rest, "</tr>")]
	out := map[string]string{}
	for _, m := range tdRE.FindAllStringSubmatch(rest, -1) {
		out[m[1]] = m[2]
	}
	return out
}

func wantCells(t *testing.T, region string, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s %s = %q, want %q", region, k, got[k], v)
		}
	}
}

func TestReportsTableChartsAndCSV(t *testing.T) {
	f := reportFleet(t)
	b := f.browser()
	b.signIn("admin")
	q := "from=2026-05-03&to=2026-05-06&region=" + url.QueryEscape("仙游县/榜头镇")
	p := b.get("/reports?" + q)
	if p.status != http.StatusOK {
		t.Fatalf("reports: %d\n%s", p.status, p.body)
	}
	mustContain(t, p, "各乡镇、村汇总", "每日取号数", "每日设备平均在线率", "满意度评价", "等候时间分布", `href="/reports.csv?`,
		"<th>平均在线率</th>", "县平台自身停机期间收不到消息，这段时间按离线计")
	baxia := map[string]string{"tickets": "3", "served": "2", "no-shows": "1", "bookings": "1", "cancelled": "0",
		"avg-wait": "5.7", "avg-service": "8.5", "ratings": "2", "score-2": "1", "score-5": "1", "score-4": "0", "rating-avg": "3.50",
		"uptime": "75.0%", "uptime-good": "1/2"}
	houzhuang := map[string]string{"tickets": "1", "served": "1", "no-shows": "0", "bookings": "0",
		"avg-wait": "7.0", "avg-service": "5.0", "ratings": "1", "score-4": "1", "rating-avg": "4.00",
		"uptime": "0.0%", "uptime-good": "0/1"}
	town := map[string]string{"tickets": "4", "served": "3", "no-shows": "1", "bookings": "1",
		"avg-wait": "6.0", "avg-service": "7.3", "ratings": "3", "rating-avg": "3.67",
		"uptime": "50.0%", "uptime-good": "1/3"}
	wantCells(t, "坝下村", reportRowOf(t, p, "仙游县/榜头镇/坝下村"), baxia)
	wantCells(t, "后庄村", reportRowOf(t, p, "仙游县/榜头镇/后庄村"), houzhuang)
	wantCells(t, "榜头镇", reportRowOf(t, p, "仙游县/榜头镇"), town)
	wantCells(t, "合计", reportRowOf(t, p, "合计"), town)
	if strings.Contains(p.body, `data-region="仙游县/度尾镇`) {
		t.Error("another township in a 榜头镇 report")
	}

	// One bar per day of the period (4 days), with the day's tickets.
	bars := regexp.MustCompile(`<rect class="day-bar" data-day="([0-9-]+)" data-n="(\d+)"`).FindAllStringSubmatch(p.body, -1)
	var got []string
	for _, m := range bars {
		got = append(got, m[1]+"="+m[2])
	}
	if strings.Join(got, " ") != "2026-05-03=0 2026-05-04=3 2026-05-05=1 2026-05-06=0" {
		t.Errorf("day bars %v", got)
	}
	// Mean uptime of 榜头镇's three devices per day: 2 of 3 online, then 1.
	if got := uptimeBars(p); got != "2026-05-03=66.6 2026-05-04=66.6 2026-05-05=33.3 2026-05-06=33.3" {
		t.Errorf("uptime bars %v", got)
	}
	mustContain(t, p, `<title>2026-05-05：平均在线率 33.3%</title>`)
	if n := strings.Count(p.body, `class="wait-bar"`); n != fleet.Bands {
		t.Errorf("%d wait bands", n)
	}
	for _, band := range []string{`data-band="0" data-n="1"`, `data-band="1" data-n="1"`, `data-band="2" data-n="1"`, `data-band="3" data-n="1"`, `data-band="4" data-n="0"`} {
		if !strings.Contains(p.body, band) {
			t.Errorf("wait histogram lacks %s", band)
		}
	}
	mustContain(t, p, `class="sat-seg" data-score="5"`, "5分 很满意", "<svg")
	if strings.Contains(p.body, "<script>") {
		t.Error("inline script on the reports page")
	}
	// Plays: msg-1 on both days, msg-2 outside the period.
	mustContain(t, p, `<tr data-item="msg-1"><td>msg-1</td><td class="title">（内容库中没有）</td><td class="n plays">60</td><td class="n hours">0.2</td><td class="n devices">1</td></tr>`,
		`id="plays-csv" href="/reports.csv?`)
	// The plays table as its own CSV.
	pc := b.get("/reports.csv?" + q + "&table=plays")
	if pc.status != http.StatusOK || !strings.Contains(pc.header.Get("Content-Disposition"), "lawpoint-plays-") {
		t.Fatalf("plays csv: %d %v", pc.status, pc.header)
	}
	if got := strings.TrimPrefix(pc.body, "\ufeff"); got != "内容编号,内容,播放次数,播放时长（小时）,设备数\r\nmsg-1,,60,0.2,1\r\n" {
		t.Errorf("plays csv:\n%q", got)
	}
	// With the item in the library, its kind and text stand beside its ID.
	if _, err := f.lib.PutItem(t.Context(), "admin", content.NewText("msg-1", 1, content.Text{Body: "遇到纠纷找人民调解"})); err != nil {
		t.Fatal(err)
	}
	mustContain(t, b.get("/reports?"+q), `<td>msg-1</td><td class="title">LED文字：遇到纠纷找人民调解</td>`)
	if got := b.get("/reports.csv?" + q + "&table=plays").body; !strings.Contains(got, "msg-1,LED文字：遇到纠纷找人民调解,60,0.2,1") {
		t.Errorf("plays csv with the item:\n%q", got)
	}
	if strings.Contains(p.body, "msg-2") {
		t.Error("a play outside the period is counted")
	}

	// The county: both townships.
	p = b.get("/reports?from=2026-05-03&to=2026-05-06")
	wantCells(t, "合计", reportRowOf(t, p, "合计"), map[string]string{"tickets": "6"})
	wantCells(t, "度尾镇", reportRowOf(t, p, "仙游县/度尾镇"), map[string]string{"tickets": "2", "avg-wait": "—", "rating-avg": "—",
		"uptime": "62.5%", "uptime-good": "0/1"})
	wantCells(t, "合计", reportRowOf(t, p, "合计"), map[string]string{"uptime": "53.1%", "uptime-good": "1/4"})

	// CSV: BOM, Chinese header, the same rows.
	c := b.get("/reports.csv?" + q)
	if c.status != http.StatusOK || !strings.HasPrefix(c.header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(c.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv: %d %v", c.status, c.header)
	}
	if !strings.HasPrefix(c.body, "\ufeff") {
		t.Fatal("no UTF-8 BOM")
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(c.body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "级别,区域,取号数,已办结,过号,预约数,取消预约,平均等候（分钟）,平均办理（分钟）,评价数,1分,2分,3分,4分,5分,满意度均分,设备数,平均在线率（%）,在线率≥95%的设备" {
		t.Errorf("header %q", recs[0])
	}
	// Villages in code-point order of their paths (后 U+540E before 坝 U+575D).
	want := []string{
		"合计,合计,4,3,1,1,0,6.0,7.3,3,0,1,0,1,1,3.67,3,50.0,1",
		"乡镇,仙游县/榜头镇,4,3,1,1,0,6.0,7.3,3,0,1,0,1,1,3.67,3,50.0,1",
		"村,仙游县/榜头镇/后庄村,1,1,0,0,0,7.0,5.0,1,0,0,0,1,0,4.00,1,0.0,0",
		"村,仙游县/榜头镇/坝下村,3,2,1,1,0,5.7,8.5,2,0,1,0,0,1,3.50,2,75.0,1",
	}
	if len(recs) != len(want)+1 {
		t.Fatalf("csv rows %q", recs)
	}
	for i, w := range want {
		if g := strings.Join(recs[i+1], ","); g != w {
			t.Errorf("csv row %d = %s, want %s", i+1, g, w)
		}
	}

	// Bad dates: the message beside the field, nothing computed.
	p = b.get("/reports?from=2026-05-06&to=2026-05-03")
	if p.status != http.StatusBadRequest {
		t.Fatalf("reversed period: %d", p.status)
	}
	mustContain(t, p, `<p class="field-error">结束日期早于开始日期</p>`)
	if strings.Contains(p.body, `id="report"`) {
		t.Error("a table for a reversed period")
	}
	if c := b.get("/reports.csv?from=x"); c.status != http.StatusBadRequest {
		t.Errorf("csv with a bad date: %d", c.status)
	}
}

func TestReportsDefaultPeriod(t *testing.T) {
	f := newFixture(t, nil)
	f.clock.t = reportAt("2026-11-27", "10:00")
	b := f.browser()
	b.signIn("viewer")
	p := b.get("/reports")
	if p.status != http.StatusOK {
		t.Fatalf("%d %s", p.status, p.body)
	}
	mustContain(t, p, `name="from" type="date" value="2026-10-29"`, `name="to" type="date" value="2026-11-27"`, `class="on">报表</a>`)
	if n := strings.Count(p.body, `class="day-bar"`); n != 30 {
		t.Errorf("%d day bars, want 30", n)
	}
}

func TestReportsOperatorConfined(t *testing.T) {
	f := reportFleet(t)
	b := f.browser()
	b.signIn("bangtou")
	// Own township by default: 度尾镇 is not in it.
	p := b.get("/reports?from=2026-05-03&to=2026-05-06")
	if p.status != http.StatusOK {
		t.Fatalf("own township: %d", p.status)
	}
	wantCells(t, "合计", reportRowOf(t, p, "合计"), map[string]string{"tickets": "4"})
	if strings.Contains(p.body, "度尾镇") {
		t.Error("an operator sees another township")
	}
	other := url.QueryEscape("仙游县/度尾镇")
	for _, path := range []string{"/reports?region=" + other, "/reports.csv?from=2026-05-03&to=2026-05-06&region=" + other} {
		p := b.get(path)
		if p.status != http.StatusForbidden {
			t.Fatalf("%s: %d", path, p.status)
		}
		mustContain(t, p, "您只能查看本乡镇（仙游县/榜头镇）的报表。")
		if strings.Contains(p.body, "级别,区域") {
			t.Error("CSV data in a refusal")
		}
	}
	rows := f.audit(fleet.AuditFilter{Actor: "bangtou", Outcome: fleet.OutcomeDenied})
	if len(rows) != 2 || rows[0].Region != "仙游县/度尾镇" || rows[0].Action != fleet.AuditDenied {
		t.Fatalf("audit %+v", rows)
	}
	// A village of the own township is fine.
	if p := b.get("/reports?from=2026-05-03&to=2026-05-06&region=" + url.QueryEscape("仙游县/榜头镇/后庄村")); p.status != http.StatusOK {
		t.Fatalf("own village: %d", p.status)
	} else {
		wantCells(t, "合计", reportRowOf(t, p, "合计"), map[string]string{"tickets": "1"})
	}
}

// uptimeBars lists the uptime chart's bars as "day=percent".
func uptimeBars(p page) string {
	var got []string
	for _, m := range regexp.MustCompile(`<rect class="uptime-bar" data-day="([0-9-]+)" data-n="([0-9.]+)"`).FindAllStringSubmatch(p.body, -1) {
		got = append(got, m[1]+"="+m[2])
	}
	return strings.Join(got, " ")
}

// TestReportsUptime: a kiosk online 06:00–18:00 each day shows 50 % up to
// now (today counts until now, not to midnight); one registered in the
// middle of the period and revoked before its end counts only in between;
// the CSV has the same figure; an operator's report counts only their
// township's devices.
func TestReportsUptime(t *testing.T) {
	f := newFixture(t, nil)
	ctx := t.Context()
	f.clock.t = reportAt("2026-05-06", "12:00")
	const baxia = "仙游县/榜头镇/坝下村"
	f.reg.SetClock(func() time.Time { return reportAt("2026-05-01", "08:00") })
	f.device("kiosk-day", fleet.KindKiosk, baxia, "kiosk")
	f.device("kiosk-z", fleet.KindKiosk, "仙游县/度尾镇/中峰村", "kiosk")
	f.reg.SetClock(func() time.Time { return reportAt("2026-05-05", "00:00") })
	f.device("kiosk-new", fleet.KindKiosk, baxia, "kiosk")
	for i, day := range []string{"2026-05-04", "2026-05-05", "2026-05-06"} {
		f.presence("kiosk-day", true, uint64(i+1), reportAt(day, "06:00"))
		if day != "2026-05-06" { // still online now
			f.presence("kiosk-day", false, uint64(i+1), reportAt(day, "18:00"))
		}
	}
	f.presence("kiosk-new", true, 1, reportAt("2026-05-05", "06:00"))
	if err := f.store.RevokeDevice(ctx, "kiosk-new", reportAt("2026-05-06", "06:00")); err != nil {
		t.Fatal(err)
	}
	f.presence("kiosk-z", true, 1, reportAt("2026-05-02", "06:00"))

	b := f.browser()
	b.signIn("admin")
	q := "from=2026-05-04&to=2026-05-06&region=" + url.QueryEscape("仙游县/榜头镇")
	p := b.get("/reports?" + q)
	if p.status != http.StatusOK {
		t.Fatalf("reports: %d\n%s", p.status, p.body)
	}
	// kiosk-day: 30 h online of 60 h (05-04 00:00 to now); kiosk-new: 24 h of
	// 30 h (05-05 00:00 to its revocation).
	wantCells(t, "坝下村", reportRowOf(t, p, baxia), map[string]string{"uptime": "65.0%", "uptime-good": "0/2", "tickets": "0"})
	if got := uptimeBars(p); got != "2026-05-04=50.0 2026-05-05=62.5 2026-05-06=75.0" {
		t.Errorf("uptime bars %v", got)
	}
	c := b.get("/reports.csv?" + q)
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(c.body, "\ufeff"))).ReadAll()
	if err != nil || c.status != http.StatusOK {
		t.Fatal(c.status, err)
	}
	col := slices.Index(recs[0], "平均在线率（%）")
	if col < 0 {
		t.Fatalf("no uptime column in %q", recs[0])
	}
	var row []string
	for _, r := range recs[1:] {
		if r[1] == baxia {
			row = r
		}
	}
	if row == nil || row[col] != "65.0" || row[col-1] != "2" || row[col+1] != "0" {
		t.Errorf("csv row of 坝下村 %q", row)
	}

	// The county has kiosk-z too (100 %); the 榜头镇 operator does not see it.
	p = b.get("/reports?from=2026-05-04&to=2026-05-06")
	wantCells(t, "合计", reportRowOf(t, p, "合计"), map[string]string{"uptime": "76.6%", "uptime-good": "1/3"})
	op := f.browser()
	op.signIn("bangtou")
	p = op.get("/reports?from=2026-05-04&to=2026-05-06")
	wantCells(t, "合计", reportRowOf(t, p, "合计"), map[string]string{"uptime": "65.0%", "uptime-good": "0/2"})
	if strings.Contains(p.body, "中峰村") {
		t.Error("an operator sees another township's devices")
	}

	// A period still to come has no uptime.
	p = b.get("/reports?from=2026-06-01&to=2026-06-02")
	wantCells(t, "合计", reportRowOf(t, p, "合计"), map[string]string{"uptime": "—", "uptime-good": "—"})
	if got := uptimeBars(p); got != "" {
		t.Errorf("uptime bars for the future: %v", got)
	}
}
