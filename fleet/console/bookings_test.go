package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet"
)

// bookingFleet has kiosks in 榜头镇 and 盖尾镇, an adviser for each
// township and a county-wide lawyer, all working every day.
func bookingFleet(t *testing.T) (*fixture, *fleet.Bookings) {
	f := newFixture(t, nil)
	f.device("kiosk-baxia", fleet.KindKiosk, "仙游县/榜头镇/坝下村", "kiosk")
	f.device("kiosk-gaiwei", fleet.KindKiosk, "仙游县/盖尾镇/前连村", "kiosk")
	bk := fleet.NewBookings(f.store, nil)
	all := map[string][]string{}
	for _, d := range fleet.Weekdays {
		all[d] = []string{"08:00-12:00", "14:00-18:00"}
	}
	for _, a := range []fleet.Adviser{
		{ID: "lin", Name: "林志明", Kind: fleet.AdviserVillage, Own: []string{"仙游县/榜头镇/坝下村"}, Serves: []string{"仙游县/榜头镇"}, Phone: "13900001111"},
		{ID: "chen", Name: "陈海", Kind: fleet.AdviserVillage, Serves: []string{"仙游县/盖尾镇"}},
		{ID: "wu-lvshi", Name: "吴律师", Kind: fleet.AdviserLawyer},
	} {
		a.Active, a.Hours = true, all
		if _, err := bk.PutAdviser(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	}
	return f, bk
}

func tomorrow() string { return time.Now().In(shanghai).AddDate(0, 0, 1).Format(time.DateOnly) }

func (f *fixture) adviser(bk *fleet.Bookings, id string) fleet.Adviser {
	f.t.Helper()
	a, _, err := bk.Adviser(f.t.Context(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

func TestAdviserForm(t *testing.T) {
	f, bk := bookingFleet(t)
	a := f.browser()
	tok := a.signIn("admin")

	list := a.get("/advisers")
	mustContain(t, list, `data-adviser="lin"`, "林志明", "仙游县/榜头镇/坝下村", "吴律师", "全县", "周一 08:00-12:00, 14:00-18:00")

	// Bad fields: every message beside its field, nothing stored.
	before := f.adviser(bk, "lin")
	form := url.Values{"csrf": {tok}, "hours_mon": {"09:00-12:00, 11:00-13:00"}, "hours_tue": {"9点到12点"}, "hours_wed": {"09:00-12:00"},
		"slot_minutes": {"3"}, "buffer_minutes": {"10"}, "min_notice_minutes": {"60"}, "horizon_days": {"abc"}}
	p := a.post("/advisers/lin", form)
	if p.status != http.StatusBadRequest {
		t.Fatalf("bad form: %d", p.status)
	}
	mustContain(t, p, `id="hours_mon-error">同一天的工作时间段有重叠，请合并`, `id="hours_tue-error">工作时间须为“09:00-12:00”形式`,
		`id="slot_minutes-error">每次咨询时长（分钟）须为5到240`, `id="horizon_days-error">可提前预约天数须为整数`,
		`value="9点到12点"`)
	if strings.Contains(p.body, `id="hours_wed-error"`) {
		t.Fatal("a good day got an error")
	}
	if after := f.adviser(bk, "lin"); after.SlotMinutes != before.SlotMinutes || len(after.Hours["wed"]) != 2 {
		t.Fatalf("a refused form was stored: %+v", after)
	}
	if rows := f.audit(fleet.AuditFilter{Action: auditAdviser}); len(rows) != 0 {
		t.Fatalf("refused form audited as a change: %+v", rows)
	}

	// A good form is stored and audited with before and after.
	form.Set("hours_mon", "09:00-12:00，14:30-17:30")
	form.Set("hours_tue", "")
	form.Set("slot_minutes", "20")
	form.Set("horizon_days", "7")
	p = a.post("/advisers/lin", form)
	if p.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", p.status, p.body)
	}
	got := f.adviser(bk, "lin")
	if got.SlotMinutes != 20 || got.BufferMinutes != 10 || got.MinNoticeMinutes != 60 || got.HorizonDays != 7 ||
		strings.Join(got.Hours["mon"], ",") != "09:00-12:00,14:30-17:30" || len(got.Hours["tue"]) != 0 || got.Name != "林志明" || got.Phone != "13900001111" {
		t.Fatalf("stored: %+v", got)
	}
	rows := f.audit(fleet.AuditFilter{Action: auditAdviser})
	if len(rows) != 1 || rows[0].Actor != "admin" || !strings.Contains(rows[0].Before, `"slot_minutes":30`) || !strings.Contains(rows[0].After, `"slot_minutes":20`) ||
		strings.Contains(rows[0].After, "13900001111") {
		t.Fatalf("save audit: %+v", rows)
	}
	mustContain(t, a.get("/advisers/lin?done=saved"), "工作时间已保存", `value="09:00-12:00, 14:30-17:30"`, "139****1111")

	// Leave: bad period beside the field; a good one listed, then removed.
	p = a.post("/advisers/lin/exceptions", url.Values{"csrf": {tok}, "kind": {"off"}, "from": {"2026-12-03T12:00"}, "to": {"2026-12-03T09:00"}})
	if p.status != http.StatusBadRequest {
		t.Fatalf("bad leave: %d", p.status)
	}
	mustContain(t, p, `id="to-error">结束时间须晚于开始时间`)
	from := time.Now().In(shanghai).AddDate(0, 0, 2).Format(time.DateOnly)
	p = a.post("/advisers/lin/exceptions", url.Values{"csrf": {tok}, "kind": {"off"}, "from": {from}, "to": {from}, "note": {"开庭"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("leave: %d %s", p.status, p.body)
	}
	_, exc, _ := bk.Adviser(t.Context(), "lin")
	if len(exc) != 1 || exc[0].To.Sub(exc[0].From) != 24*time.Hour || exc[0].Note != "开庭" {
		t.Fatalf("leave stored: %+v", exc)
	}
	page := a.get("/advisers/lin")
	mustContain(t, page, "请假", "开庭", "/advisers/lin/exceptions/")
	p = a.post("/advisers/lin/exceptions/"+jsonID(exc[0].ID)+"/delete", url.Values{"csrf": {tok}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("remove leave: %d", p.status)
	}
	if _, exc, _ = bk.Adviser(t.Context(), "lin"); len(exc) != 0 {
		t.Fatalf("leave not removed: %+v", exc)
	}
	if rows := f.audit(fleet.AuditFilter{Action: auditAdviser}); len(rows) != 3 {
		t.Fatalf("leave changes audited: %d rows", len(rows))
	}
}

func jsonID(id int64) string { b, _ := json.Marshal(id); return string(b) }

func TestAdviserRoles(t *testing.T) {
	f, bk := bookingFleet(t)

	// An operator sees their township's advisers and the county's lawyer,
	// edits only their own township's, and is refused another township's.
	o := f.browser()
	otok := o.signIn("bangtou")
	list := o.get("/advisers")
	mustContain(t, list, `data-adviser="lin"`, `data-adviser="wu-lvshi"`)
	if strings.Contains(list.body, `data-adviser="chen"`) {
		t.Fatal("operator sees another township's adviser")
	}
	if p := o.get("/advisers/chen"); p.status != http.StatusForbidden {
		t.Fatalf("operator, other township page: %d", p.status)
	}
	form := url.Values{"csrf": {otok}, "hours_mon": {"09:00-10:00"}, "slot_minutes": {"30"}, "buffer_minutes": {"0"}, "min_notice_minutes": {"0"}, "horizon_days": {"14"}}
	if p := o.post("/advisers/chen", form); p.status != http.StatusForbidden {
		t.Fatalf("operator, other township save: %d", p.status)
	}
	rows := f.audit(fleet.AuditFilter{Actor: "bangtou", Action: fleet.AuditDenied})
	if len(rows) != 2 || rows[0].Region != "仙游县/盖尾镇" || rows[0].Target != "adviser chen" || rows[0].Outcome != fleet.OutcomeDenied {
		t.Fatalf("operator refusals audited: %+v", rows)
	}
	if got := f.adviser(bk, "chen"); len(got.Hours["mon"]) != 2 {
		t.Fatalf("refused save stored: %+v", got)
	}
	// The county-wide lawyer: read only for the operator.
	mustContain(t, o.get("/advisers/wu-lvshi"), `id="readonly"`)
	if p := o.post("/advisers/wu-lvshi", form); p.status != http.StatusForbidden {
		t.Fatalf("operator, county lawyer: %d", p.status)
	}
	// Their own township's adviser: saved.
	if p := o.post("/advisers/lin", form); p.status != http.StatusSeeOther {
		t.Fatalf("operator, own adviser: %d %s", p.status, p.body)
	}

	// A viewer reads, cannot save or add leave: 403, audited.
	v := f.browser()
	vtok := v.signIn("viewer")
	p := v.get("/advisers/chen")
	mustContain(t, p, `id="readonly"`, "<fieldset disabled>")
	if strings.Contains(p.body, ">保存</button>") || strings.Contains(p.body, "添加请假或加班") {
		t.Fatal("viewer offered changes")
	}
	form.Set("csrf", vtok)
	if p := v.post("/advisers/chen", form); p.status != http.StatusForbidden {
		t.Fatalf("viewer save: %d", p.status)
	}
	if p := v.post("/advisers/chen/exceptions", url.Values{"csrf": {vtok}, "kind": {"off"}, "from": {"2026-12-01"}, "to": {"2026-12-01"}}); p.status != http.StatusForbidden {
		t.Fatalf("viewer leave: %d", p.status)
	}
	if rows := f.audit(fleet.AuditFilter{Actor: "viewer", Action: fleet.AuditDenied}); len(rows) != 2 {
		t.Fatalf("viewer refusals audited: %+v", rows)
	}
}

func TestBookingsPage(t *testing.T) {
	f, bk := bookingFleet(t)
	ctx := t.Context()
	day := tomorrow()
	slot := func(hhmm string) time.Time { return reportAt(day, hhmm) }
	b1, _, err := bk.Book(ctx, "kiosk-baxia", wire.BookRequest{IdempotencyKey: "k1", Service: "consultation", AdviserID: "lin", SlotStart: slot("09:00"),
		Phone: "13812345678", Name: "张三丰"})
	if err != nil {
		t.Fatal(err)
	}
	b2, _, err := bk.Book(ctx, "kiosk-gaiwei", wire.BookRequest{IdempotencyKey: "k2", Service: "consultation", AdviserID: "chen", SlotStart: slot("14:00"),
		Phone: "13698765432"})
	if err != nil {
		t.Fatal(err)
	}

	// A viewer sees both points, phones and names masked, no actions.
	v := f.browser()
	vtok := v.signIn("viewer")
	p := v.get("/bookings?day=" + day)
	mustContain(t, p, "仙游县/榜头镇/坝下村 联系点", "仙游县/盖尾镇/前连村 联系点", `data-booking="`+b1.Code+`"`, "09:00–09:30", "林志明",
		"138****5678", "张**", "136****5432", "已确认")
	if strings.Contains(p.body, "13812345678") || strings.Contains(p.body, "张三丰") || strings.Contains(p.body, "显示号码") || strings.Contains(p.body, "取消预约") {
		t.Fatalf("viewer sees a full number or actions:\n%s", p.body)
	}
	if p := v.post("/bookings/"+b1.Code+"/phone", url.Values{"csrf": {vtok}}); p.status != http.StatusForbidden || strings.Contains(p.body, "13812345678") {
		t.Fatalf("viewer reveal: %d", p.status)
	}
	if p := v.post("/bookings/"+b1.Code+"/cancel", url.Values{"csrf": {vtok}, "action": {"cancel"}}); p.status != http.StatusForbidden {
		t.Fatalf("viewer cancel: %d", p.status)
	}
	if rows := f.audit(fleet.AuditFilter{Actor: "viewer", Action: fleet.AuditDenied}); len(rows) != 2 {
		t.Fatalf("viewer refusals audited: %+v", rows)
	}
	if p := v.get("/bookings?day=2026-13-01"); p.status != http.StatusBadRequest {
		t.Fatalf("bad day: %d", p.status)
	} else {
		mustContain(t, p, `id="day-error">日期格式有误`)
	}

	// An operator sees only their township, masked until "显示号码": they
	// call their villagers back (the phone permission), and only theirs.
	o := f.browser()
	otok := o.signIn("bangtou")
	p = o.get("/bookings?day=" + day)
	mustContain(t, p, b1.Code, "138****5678", "取消预约", "显示号码")
	if strings.Contains(p.body, b2.Code) || strings.Contains(p.body, "盖尾镇") || strings.Contains(p.body, "13812345678") {
		t.Fatalf("operator sees another township or a full number:\n%s", p.body)
	}
	if p := o.post("/bookings/"+b2.Code+"/cancel", url.Values{"csrf": {otok}, "action": {"cancel"}}); p.status != http.StatusForbidden {
		t.Fatalf("operator cancels another township's booking: %d", p.status)
	}
	if p := o.post("/bookings/"+b2.Code+"/phone", url.Values{"csrf": {otok}, "day": {day}}); p.status != http.StatusForbidden || strings.Contains(p.body, "13698765432") {
		t.Fatalf("operator reveals another township's number: %d", p.status)
	}
	if rows := f.audit(fleet.AuditFilter{Actor: "bangtou", Action: fleet.AuditDenied}); len(rows) != 2 || rows[0].Region != "仙游县/盖尾镇/前连村" ||
		rows[1].Region != "仙游县/盖尾镇/前连村" {
		t.Fatalf("operator refusals audited: %+v", rows)
	}
	if p := o.post("/bookings/"+b1.Code+"/phone", url.Values{"csrf": {otok}, "day": {day}}); p.status != 200 {
		t.Fatalf("operator reveals their own township's number: %d", p.status)
	} else {
		mustContain(t, p, "13812345678", "张三丰")
	}
	if rows := f.audit(fleet.AuditFilter{Actor: "bangtou", Action: fleet.AuditShowPersonal}); len(rows) != 1 || rows[0].Target != "booking "+b1.Code ||
		strings.Contains(rows[0].Summary+rows[0].After, "13812345678") {
		t.Fatalf("operator's reveal audited: %+v", rows)
	}

	// The administrator has the phone permission: masked until "显示号码",
	// which is audited without the number.
	a := f.browser()
	atok := a.signIn("admin")
	p = a.get("/bookings?day=" + day)
	mustContain(t, p, "138****5678", "显示号码")
	if strings.Contains(p.body, "13812345678") {
		t.Fatal("full number before 显示号码")
	}
	if p := a.post("/bookings/"+b1.Code+"/phone", url.Values{"day": {day}}); p.status != http.StatusForbidden || strings.Contains(p.body, "13812345678") {
		t.Fatalf("reveal without CSRF: %d", p.status)
	}
	p = a.post("/bookings/"+b1.Code+"/phone", url.Values{"csrf": {atok}, "day": {day}})
	if p.status != 200 {
		t.Fatalf("reveal: %d", p.status)
	}
	mustContain(t, p, "13812345678", "张三丰", "136****5432")
	rows := f.audit(fleet.AuditFilter{Actor: "admin", Action: fleet.AuditShowPersonal})
	if len(rows) != 1 || rows[0].Actor != "admin" || rows[0].Target != "booking "+b1.Code || rows[0].Region != "仙游县/榜头镇/坝下村" ||
		strings.Contains(rows[0].Summary+rows[0].Before+rows[0].After, "13812345678") {
		t.Fatalf("reveal audit: %+v", rows)
	}

	// Cancel: refused without CSRF; a confirmation step; then cancelled and audited.
	if p := a.post("/bookings/"+b1.Code+"/cancel", url.Values{"action": {"cancel"}, "day": {day}}); p.status != http.StatusForbidden {
		t.Fatalf("cancel without CSRF: %d", p.status)
	}
	status := func() string {
		bs, err := bk.List(ctx, fleet.BookingFilter{AdviserID: "lin"})
		if err != nil || len(bs) != 1 {
			t.Fatalf("bookings: %v %+v", err, bs)
		}
		return bs[0].Status
	}
	if s := status(); s != wire.BookingConfirmed {
		t.Fatalf("cancelled without CSRF: %s", s)
	}
	p = a.post("/bookings/"+b1.Code+"/cancel", url.Values{"csrf": {atok}, "action": {"confirm"}, "day": {day}})
	mustContain(t, p, "确认取消预约", `name="action" value="cancel"`, b1.Code)
	if s := status(); s != wire.BookingConfirmed {
		t.Fatalf("the confirmation step cancelled: %s", s)
	}
	p = a.post("/bookings/"+b1.Code+"/cancel", url.Values{"csrf": {atok}, "action": {"cancel"}, "day": {day}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/bookings?day="+day+"&done=cancelled" {
		t.Fatalf("cancel: %d %s", p.status, p.header.Get("Location"))
	}
	if s := status(); s != wire.BookingCancelled {
		t.Fatalf("not cancelled: %s", s)
	}
	rows = f.audit(fleet.AuditFilter{Action: auditBookingCancel})
	if len(rows) != 1 || rows[0].Target != "booking "+b1.Code || rows[0].Before != "status=confirmed" || rows[0].After != "status=cancelled" {
		t.Fatalf("cancel audit: %+v", rows)
	}
	p = a.get("/bookings?day=" + day + "&done=cancelled")
	mustContain(t, p, "预约已取消", "已取消")
	if rows := f.audit(fleet.AuditFilter{Action: fleet.AuditCSRF}); len(rows) != 2 {
		t.Fatalf("CSRF refusals audited: %+v", rows)
	}
}

func TestBookingRequestsPage(t *testing.T) {
	f, _ := bookingFleet(t)
	ctx := t.Context()
	// An offline request for a slot that has passed: unconfirmed.
	add := func(dev string, seq uint64, data wire.BookingData) {
		raw, _ := json.Marshal(data)
		at := time.Now().Add(-time.Hour)
		e := wire.Event{Seq: seq, Type: wire.EventBookingRequested, At: at.UTC(), ClockTrusted: true, BootID: "boot-1", UptimeMS: seq * 1000, Data: raw}
		p, _ := json.Marshal(e)
		fe := fleet.Event{DeviceID: dev, Key: wire.EventID(dev, seq), Type: string(e.Type), Payload: p, Occurred: e.At,
			Received: e.At, DeviceSeq: seq, Fingerprint: e.Fingerprint()}
		if _, _, err := f.store.AddEventBatch(ctx, dev, []fleet.Event{fe}); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-2 * time.Hour).Truncate(time.Hour)
	add("kiosk-baxia", 1, wire.BookingData{RequestID: "req-1", Service: "consultation", AdviserID: "lin", SlotStart: past,
		Contact: wire.Contact{Name: "李四", Phone: "13712345678"}})
	add("kiosk-gaiwei", 1, wire.BookingData{RequestID: "req-2", Service: "consultation", AdviserID: "chen", SlotStart: past,
		Contact: wire.Contact{Name: "王五", Phone: "13587654321"}})

	v := f.browser()
	v.signIn("viewer")
	p := v.get("/bookings/requests")
	mustContain(t, p, `data-request="kiosk-baxia/req-1"`, `data-request="kiosk-gaiwei/req-2"`, "所选时段已被预约或已过", "137****5678", "李*", "林志明")
	if strings.Contains(p.body, "13712345678") || strings.Contains(p.body, "显示号码") {
		t.Fatal("viewer sees a full number")
	}
	mustContain(t, v.get("/bookings"), "待确认的预约请求（2）")

	o := f.browser()
	o.signIn("bangtou")
	p = o.get("/bookings/requests")
	if !strings.Contains(p.body, "req-1") || strings.Contains(p.body, "req-2") {
		t.Fatalf("operator's requests:\n%s", p.body)
	}

	a := f.browser()
	atok := a.signIn("admin")
	p = a.post("/bookings/requests/phone", url.Values{"csrf": {atok}, "request": {"kiosk-baxia/req-1"}})
	mustContain(t, p, "13712345678", "李四", "135****4321")
	rows := f.audit(fleet.AuditFilter{Action: fleet.AuditShowPersonal})
	if len(rows) != 1 || rows[0].Target != "request kiosk-baxia/req-1" || strings.Contains(rows[0].Summary, "13712345678") {
		t.Fatalf("reveal audit: %+v", rows)
	}
}
