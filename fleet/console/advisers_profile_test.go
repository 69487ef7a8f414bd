package console

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"lawpoint/device/wire"
	"lawpoint/fleet"
)

// profileValues is a filled 基本信息 form.
func profileValues(csrf, name, kind string, services ...string) url.Values {
	return url.Values{"csrf": {csrf}, "name": {name}, "kind": {kind}, "service": services, "active": {"1"}}
}

// kioskLists returns the IDs of the advisers a kiosk offers for service.
func kioskLists(t *testing.T, bk *fleet.Bookings, device, service string) map[string]wire.KioskAdviser {
	t.Helper()
	as, err := bk.KioskAdvisers(t.Context(), device, service)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]wire.KioskAdviser{}
	for _, a := range as {
		out[a.ID] = a
	}
	return out
}

func adviserIDs(t *testing.T, bk *fleet.Bookings) []string {
	t.Helper()
	as, err := bk.Advisers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range as {
		ids = append(ids, a.ID)
	}
	return ids
}

// noFullNumber fails when an audit row holds a full phone number.
func noFullNumber(t *testing.T, rows []fleet.AuditEntry, numbers ...string) {
	t.Helper()
	for _, r := range rows {
		for _, n := range numbers {
			if strings.Contains(r.Summary+r.Before+r.After, n) {
				t.Fatalf("audit row holds the full number %s: %+v", n, r)
			}
		}
	}
}

func TestAdviserCreate(t *testing.T) {
	f, bk := bookingFleet(t)
	a := f.browser()
	tok := a.signIn("admin")

	mustContain(t, a.get("/advisers"), `href="/advisers/new"`, "添加顾问或律师")
	form := a.get("/advisers/new")
	if form.status != http.StatusOK {
		t.Fatalf("new adviser form: %d", form.status)
	}
	// Regions from the tree of registered devices, services with their
	// Chinese names (and the kiosk's queue category), consultation ticked.
	mustContain(t, form, `<option value="仙游县/榜头镇/坝下村"`, `<option value="仙游县/盖尾镇"`, `name="own_more"`, `name="serves_more"`,
		`value="notary"`, "公证", "自助机取号类别：公证咨询", `value="consultation" checked`, `name="active" value="1" checked`)

	// Empty name, a bad phone, no service, a bad typed region: every
	// message beside its field, typed values kept, nothing stored.
	before := adviserIDs(t, bk)
	bad := url.Values{"csrf": {tok}, "id": {"zheng-lvshi"}, "name": {""}, "kind": {fleet.AdviserLawyer}, "phone": {"1390000"},
		"serves_more": {"仙游县//盖尾镇"}, "active": {"1"}}
	p := a.post("/advisers/new", bad)
	if p.status != http.StatusBadRequest {
		t.Fatalf("bad new adviser: %d", p.status)
	}
	mustContain(t, p, `id="profile-name-error">请填写姓名`, `id="profile-phone-error">手机号码须为以1开头的11位数字`,
		`id="profile-services-error">请至少选择一项服务`, `id="profile-serves-error">“仙游县//盖尾镇”不是有效的服务区域`,
		`value="zheng-lvshi"`, `value="1390000"`, `value="lawyer" checked`)
	if strings.Contains(p.body, `id="profile-id-error"`) || strings.Contains(p.body, `id="profile-kind-error"`) {
		t.Fatal("a good field got an error")
	}
	if after := adviserIDs(t, bk); !slices.Equal(before, after) {
		t.Fatalf("a refused form stored an adviser: %v", after)
	}
	if rows := f.audit(fleet.AuditFilter{Action: auditAdviser}); len(rows) != 0 {
		t.Fatalf("refused form audited: %+v", rows)
	}

	// A taken ID and the reserved "new" are refused beside the ID.
	good := profileValues(tok, "郑华", fleet.AdviserLawyer, wire.ServiceConsultation, wire.ServiceNotary)
	for id, want := range map[string]string{"lin": "编号“lin”已被使用", "new": "“new”不能用作编号", "Zheng_Hua": "编号须为3到64个小写英文字母"} {
		good.Set("id", id)
		p = a.post("/advisers/new", good)
		if p.status != http.StatusBadRequest {
			t.Fatalf("id %q: %d", id, p.status)
		}
		mustContain(t, p, `id="profile-id-error">`+want)
	}

	// A lawyer for 盖尾镇, own adviser of 前连村 (typed), with a phone
	// written with spaces.
	good.Set("id", "zheng-lvshi")
	good.Set("serves", "仙游县/盖尾镇")
	good.Set("own_more", "仙游县/盖尾镇/前连村")
	good.Set("phone", "139 0000 2222")
	p = a.post("/advisers/new", good)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/advisers/zheng-lvshi?done=created" {
		t.Fatalf("create: %d %s %s", p.status, p.header.Get("Location"), p.body)
	}
	got := f.adviser(bk, "zheng-lvshi")
	if got.Name != "郑华" || got.Kind != fleet.AdviserLawyer || !slices.Equal(got.Serves, []string{"仙游县/盖尾镇"}) ||
		!slices.Equal(got.Own, []string{"仙游县/盖尾镇/前连村"}) || !slices.Equal(got.Services, []string{"consultation", "notary"}) ||
		got.Phone != "13900002222" || !got.Active || len(got.Hours) != 0 || got.SlotMinutes != 30 || got.BufferMinutes != 0 ||
		got.MinNoticeMinutes != 0 || got.HorizonDays != 14 || got.TimeZone != fleet.DefaultTimeZone {
		t.Fatalf("stored: %+v", got)
	}
	mustContain(t, a.get("/advisers/zheng-lvshi?done=created"), "已添加。请在下方设置每周工作时间", "郑华", "律师")
	mustContain(t, a.get("/advisers"), `data-adviser="zheng-lvshi"`, "郑华", "仙游县/盖尾镇/前连村", "法律咨询、公证")

	// The kiosk of the served village lists it (as its own adviser) for
	// both services; the other township's kiosk does not.
	if k, ok := kioskLists(t, bk, "kiosk-gaiwei", wire.ServiceNotary)["zheng-lvshi"]; !ok || !k.Own || k.KindName != "律师" {
		t.Fatalf("gaiwei kiosk, notary: %+v", kioskLists(t, bk, "kiosk-gaiwei", wire.ServiceNotary))
	}
	if _, ok := kioskLists(t, bk, "kiosk-baxia", wire.ServiceConsultation)["zheng-lvshi"]; ok {
		t.Fatal("榜头镇's kiosk lists 盖尾镇's lawyer")
	}

	// Audited with the masked phone only.
	rows := f.audit(fleet.AuditFilter{Action: auditAdviser, Target: "adviser zheng-lvshi"})
	if len(rows) != 1 || rows[0].Actor != "admin" || rows[0].Region != "仙游县/盖尾镇/前连村,仙游县/盖尾镇" ||
		!strings.Contains(rows[0].Summary, "添加律师 郑华（zheng-lvshi）") || !strings.Contains(rows[0].Summary, "电话 139****2222") ||
		!strings.Contains(rows[0].After, `"phone":"139****2222"`) {
		t.Fatalf("create audit: %+v", rows)
	}
	noFullNumber(t, rows, "13900002222")

	// IDs from the name: Latin letters kept, a Chinese name gets the kind
	// and random hex digits.
	named := profileValues(tok, "Li Ming", fleet.AdviserVillage, wire.ServiceConsultation)
	if p = a.post("/advisers/new", named); p.header.Get("Location") != "/advisers/li-ming?done=created" {
		t.Fatalf("ID from a Latin name: %d %s", p.status, p.header.Get("Location"))
	}
	if p = a.post("/advisers/new", named); p.header.Get("Location") != "/advisers/li-ming-2?done=created" {
		t.Fatalf("second ID from the same name: %s", p.header.Get("Location"))
	}
	p = a.post("/advisers/new", profileValues(tok, "黄小梅", fleet.AdviserVillage, wire.ServiceMediation))
	if loc := p.header.Get("Location"); !strings.HasPrefix(loc, "/advisers/adviser-") || fleet.ValidateDeviceID(strings.TrimSuffix(strings.TrimPrefix(loc, "/advisers/"), "?done=created")) != nil {
		t.Fatalf("ID from a Chinese name: %s", loc)
	}
}

func TestAdviserCreateRoles(t *testing.T) {
	f, bk := bookingFleet(t)
	f.device("kiosk-dongbian", fleet.KindKiosk, "仙游县/榜头镇/东边村", "kiosk")

	// An operator adds an adviser for their township, picked from their
	// township's tree only.
	o := f.browser()
	otok := o.signIn("bangtou")
	mustContain(t, o.get("/advisers"), `href="/advisers/new"`)
	form := o.get("/advisers/new")
	mustContain(t, form, `<option value="仙游县/榜头镇/东边村"`, "本乡镇（仙游县/榜头镇）")
	if strings.Contains(form.body, "盖尾镇") {
		t.Fatal("operator offered another township's regions")
	}
	v := profileValues(otok, "许建国", fleet.AdviserVillage, wire.ServiceConsultation, wire.ServiceMediation)
	v.Set("id", "xu-jianguo")
	v.Set("own", "仙游县/榜头镇/东边村")
	if p := o.post("/advisers/new", v); p.status != http.StatusSeeOther {
		t.Fatalf("operator, own township: %d %s", p.status, p.body)
	}
	if k, ok := kioskLists(t, bk, "kiosk-dongbian", wire.ServiceMediation)["xu-jianguo"]; !ok || !k.Own {
		t.Fatalf("operator's adviser not at the village kiosk: %+v", k)
	}
	if rows := f.audit(fleet.AuditFilter{Actor: "bangtou", Action: auditAdviser}); len(rows) != 1 || rows[0].Target != "adviser xu-jianguo" {
		t.Fatalf("operator's create audited: %+v", rows)
	}

	// Another township (typed), also beside their own, and the whole
	// county: 403, audited with the regions, nothing stored.
	before := adviserIDs(t, bk)
	for i, c := range []struct{ own, serves, region string }{
		{"", "仙游县/盖尾镇", "仙游县/盖尾镇"},
		{"仙游县/榜头镇/坝下村", "仙游县/盖尾镇/前连村", "仙游县/榜头镇/坝下村,仙游县/盖尾镇/前连村"},
		{"", "", ""},
	} {
		v := profileValues(otok, "越权", fleet.AdviserLawyer, wire.ServiceConsultation)
		v.Set("id", "yuequan")
		v.Set("own_more", c.own)
		v.Set("serves_more", c.serves)
		p := o.post("/advisers/new", v)
		if p.status != http.StatusForbidden || !strings.Contains(p.body, "由县级管理员添加") {
			t.Fatalf("case %d: %d %s", i, p.status, p.body)
		}
		rows := f.audit(fleet.AuditFilter{Actor: "bangtou", Action: fleet.AuditDenied})
		if len(rows) != i+1 || rows[0].Region != c.region || rows[0].Target != "adviser yuequan" || rows[0].Outcome != fleet.OutcomeDenied {
			t.Fatalf("case %d audited: %+v", i, rows)
		}
	}
	if after := adviserIDs(t, bk); !slices.Equal(before, after) {
		t.Fatalf("refused creates stored: %v", after)
	}

	// A viewer: no button, form and save refused, audited.
	vw := f.browser()
	vtok := vw.signIn("viewer")
	if strings.Contains(vw.get("/advisers").body, `href="/advisers/new"`) {
		t.Fatal("viewer offered 添加顾问或律师")
	}
	if p := vw.get("/advisers/new"); p.status != http.StatusForbidden {
		t.Fatalf("viewer form: %d", p.status)
	}
	v = profileValues(vtok, "只读", fleet.AdviserVillage, wire.ServiceConsultation)
	v.Set("id", "zhidu")
	if p := vw.post("/advisers/new", v); p.status != http.StatusForbidden {
		t.Fatalf("viewer create: %d", p.status)
	}
	if rows := f.audit(fleet.AuditFilter{Actor: "viewer", Action: fleet.AuditDenied}); len(rows) != 2 {
		t.Fatalf("viewer refusals audited: %+v", rows)
	}
	if after := adviserIDs(t, bk); !slices.Equal(before, after) {
		t.Fatalf("viewer's create stored: %v", after)
	}
}

func TestAdviserProfileEdit(t *testing.T) {
	f, bk := bookingFleet(t)
	a := f.browser()
	tok := a.signIn("admin")

	// The administrator may see numbers: the form holds the full one.
	page := a.get("/advisers/lin")
	mustContain(t, page, `id="profile"`, `action="/advisers/lin/profile"`, `id="profile-phone" name="phone" value="13900001111"`,
		`value="adviser" checked`, `<option value="仙游县/榜头镇/坝下村" selected`, `value="consultation" checked`)
	// A viewer reads the record with the number masked, and no form.
	vw := f.browser()
	vtok := vw.signIn("viewer")
	vp := vw.get("/advisers/lin")
	mustContain(t, vp, "139****1111", "法律咨询", `id="readonly"`)
	if strings.Contains(vp.body, "13900001111") || strings.Contains(vp.body, `id="profile"`) {
		t.Fatal("viewer sees the number or the profile form")
	}

	// Lawyer, notary instead of consultation; the phone sent back masked
	// (as an account without the phone permission is shown it).
	v := profileValues(tok, "林志明", fleet.AdviserLawyer, wire.ServiceNotary)
	v["own"] = []string{"仙游县/榜头镇/坝下村"}
	v["serves"] = []string{"仙游县/榜头镇"}
	v.Set("phone", "139****1111")
	p := a.post("/advisers/lin/profile", v)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/advisers/lin?done=profile" {
		t.Fatalf("profile save: %d %s", p.status, p.body)
	}
	got := f.adviser(bk, "lin")
	if got.Kind != fleet.AdviserLawyer || !slices.Equal(got.Services, []string{"notary"}) || got.Phone != "13900001111" ||
		len(got.Hours["mon"]) != 2 || got.SlotMinutes != 30 || !got.Active {
		t.Fatalf("stored: %+v", got)
	}
	mustContain(t, a.get("/advisers/lin?done=profile"), "基本信息已保存")
	// The kiosk now offers lin for notary, as a lawyer, and no longer for
	// consultation.
	if k, ok := kioskLists(t, bk, "kiosk-baxia", wire.ServiceNotary)["lin"]; !ok || k.Kind != fleet.AdviserLawyer || k.KindName != "律师" || !k.Own {
		t.Fatalf("kiosk, notary: %+v", kioskLists(t, bk, "kiosk-baxia", wire.ServiceNotary))
	}
	if _, ok := kioskLists(t, bk, "kiosk-baxia", wire.ServiceConsultation)["lin"]; ok {
		t.Fatal("kiosk still offers lin for consultation")
	}
	rows := f.audit(fleet.AuditFilter{Action: auditAdviser, Target: "adviser lin"})
	if len(rows) != 1 || !strings.Contains(rows[0].Summary, "类型 法律顾问 → 律师") || !strings.Contains(rows[0].Summary, "服务 法律咨询 → 公证") ||
		strings.Contains(rows[0].Summary, "电话") || !strings.Contains(rows[0].Before, `"phone":"139****1111"`) {
		t.Fatalf("profile audit: %+v", rows)
	}
	noFullNumber(t, rows, "13900001111")

	// The same again changes nothing: no store, no row.
	if p = a.post("/advisers/lin/profile", v); p.header.Get("Location") != "/advisers/lin?done=unchanged" {
		t.Fatalf("unchanged save: %d %s", p.status, p.header.Get("Location"))
	}
	if rows = f.audit(fleet.AuditFilter{Action: auditAdviser, Target: "adviser lin"}); len(rows) != 1 {
		t.Fatalf("unchanged save audited: %d rows", len(rows))
	}

	// Bad fields: beside them, the hours form still there, nothing stored.
	bad := profileValues(tok, "", fleet.AdviserLawyer)
	bad.Set("phone", "1390000111x")
	p = a.post("/advisers/lin/profile", bad)
	if p.status != http.StatusBadRequest {
		t.Fatalf("bad profile: %d", p.status)
	}
	mustContain(t, p, `id="profile-name-error">请填写姓名`, `id="profile-phone-error">`, `id="profile-services-error">`,
		`value="1390000111x"`, "基本信息有几项需要修改", `id="hours_mon"`)
	if strings.Index(p.body, `id="profile"`) > strings.Index(p.body, `id="hours_mon"`) {
		t.Fatal("a profile form with errors is not shown first")
	}
	if now := f.adviser(bk, "lin"); now.Name != "林志明" || now.Phone != "13900001111" || !slices.Equal(now.Services, []string{"notary"}) {
		t.Fatalf("bad profile stored: %+v", now)
	}

	// A new number: stored; audited masked.
	v.Set("phone", "13800002222")
	if p = a.post("/advisers/lin/profile", v); p.status != http.StatusSeeOther {
		t.Fatalf("new phone: %d %s", p.status, p.body)
	}
	if got = f.adviser(bk, "lin"); got.Phone != "13800002222" {
		t.Fatalf("phone not stored: %q", got.Phone)
	}
	rows = f.audit(fleet.AuditFilter{Action: auditAdviser, Target: "adviser lin"})
	if len(rows) != 2 || !strings.Contains(rows[0].Summary, "电话 139****1111 → 138****2222") {
		t.Fatalf("phone change audit: %+v", rows)
	}
	noFullNumber(t, rows, "13900001111", "13800002222")

	// The viewer may not save: 403, audited, nothing stored.
	vv := profileValues(vtok, "改名", fleet.AdviserVillage, wire.ServiceConsultation)
	if p = vw.post("/advisers/lin/profile", vv); p.status != http.StatusForbidden {
		t.Fatalf("viewer save: %d", p.status)
	}
	if rows := f.audit(fleet.AuditFilter{Actor: "viewer", Action: fleet.AuditDenied}); len(rows) != 1 || rows[0].Target != "adviser lin" {
		t.Fatalf("viewer refusal audited: %+v", rows)
	}

	// An operator: their township's adviser yes, moving it out of the
	// township no; another township's and the county's lawyer no.
	o := f.browser()
	otok := o.signIn("bangtou")
	ov := profileValues(otok, "林志明", fleet.AdviserVillage, wire.ServiceConsultation, wire.ServiceNotary)
	ov["own"] = []string{"仙游县/榜头镇/坝下村"}
	ov["serves"] = []string{"仙游县/榜头镇"}
	ov.Set("phone", "13800002222")
	if p = o.post("/advisers/lin/profile", ov); p.status != http.StatusSeeOther {
		t.Fatalf("operator, own adviser: %d %s", p.status, p.body)
	}
	ov.Set("serves_more", "仙游县/盖尾镇")
	if p = o.post("/advisers/lin/profile", ov); p.status != http.StatusForbidden {
		t.Fatalf("operator, serving another township: %d", p.status)
	}
	ov.Del("serves_more")
	if p = o.post("/advisers/wu-lvshi/profile", ov); p.status != http.StatusForbidden {
		t.Fatalf("operator, county lawyer: %d", p.status)
	}
	if p = o.post("/advisers/chen/profile", ov); p.status != http.StatusForbidden {
		t.Fatalf("operator, other township: %d", p.status)
	}
	rows = f.audit(fleet.AuditFilter{Actor: "bangtou", Action: fleet.AuditDenied})
	if len(rows) != 3 || rows[2].Region != "仙游县/榜头镇/坝下村,仙游县/榜头镇,仙游县/盖尾镇" || rows[1].Target != "adviser wu-lvshi" || rows[0].Region != "仙游县/盖尾镇" {
		t.Fatalf("operator refusals audited: %+v", rows)
	}
	if got = f.adviser(bk, "lin"); !slices.Equal(got.Serves, []string{"仙游县/榜头镇"}) || got.Kind != fleet.AdviserVillage {
		t.Fatalf("operator's saves: %+v", got)
	}
	if got := f.adviser(bk, "wu-lvshi"); got.Name != "吴律师" {
		t.Fatalf("county lawyer changed: %+v", got)
	}
}

func TestAdviserDeactivateWithBookings(t *testing.T) {
	f, bk := bookingFleet(t)
	b, _, err := bk.Book(t.Context(), "kiosk-baxia", wire.BookRequest{IdempotencyKey: "k1", Service: wire.ServiceConsultation, AdviserID: "lin",
		SlotStart: reportAt(tomorrow(), "09:00"), Phone: "13812345678", Name: "张三"})
	if err != nil {
		t.Fatal(err)
	}
	a := f.browser()
	tok := a.signIn("admin")
	v := profileValues(tok, "林志明", fleet.AdviserVillage, wire.ServiceConsultation)
	v["own"] = []string{"仙游县/榜头镇/坝下村"}
	v["serves"] = []string{"仙游县/榜头镇"}
	v.Set("phone", "13900001111")
	v.Del("active")

	// First the warning with the booking to come; nothing stored.
	p := a.post("/advisers/lin/profile", v)
	if p.status != http.StatusConflict {
		t.Fatalf("deactivate with a booking: %d %s", p.status, p.body)
	}
	mustContain(t, p, `id="confirm-inactive"`, "该顾问还有 1 个未开始的预约", "不会自动取消", `data-booking="`+b.Code+`"`, `name="confirm_inactive"`)
	if !f.adviser(bk, "lin").Active {
		t.Fatal("deactivated before confirmation")
	}
	if rows := f.audit(fleet.AuditFilter{Action: auditAdviser}); len(rows) != 0 {
		t.Fatalf("unconfirmed deactivation audited: %+v", rows)
	}

	// Confirmed: inactive, the booking kept, the kiosk no longer offers
	// lin, and the page keeps saying a booking remains.
	v.Set("confirm_inactive", "1")
	if p = a.post("/advisers/lin/profile", v); p.status != http.StatusSeeOther {
		t.Fatalf("confirmed deactivation: %d %s", p.status, p.body)
	}
	if f.adviser(bk, "lin").Active {
		t.Fatal("not deactivated")
	}
	bs, err := bk.List(t.Context(), fleet.BookingFilter{AdviserID: "lin"})
	if err != nil || len(bs) != 1 || bs[0].Status != wire.BookingConfirmed {
		t.Fatalf("booking after deactivation: %+v %v", bs, err)
	}
	if _, ok := kioskLists(t, bk, "kiosk-baxia", wire.ServiceConsultation)["lin"]; ok {
		t.Fatal("kiosk offers an inactive adviser")
	}
	rows := f.audit(fleet.AuditFilter{Action: auditAdviser})
	if len(rows) != 1 || !strings.Contains(rows[0].Summary, "停用") || !strings.Contains(rows[0].Summary, "仍有 1 个未开始的预约，未取消") {
		t.Fatalf("deactivation audit: %+v", rows)
	}
	mustContain(t, a.get("/advisers/lin"), `id="inactive-bookings"`, "还有 1 个未开始的预约没有取消", b.Code)

	// An adviser without bookings is deactivated at once.
	cv := profileValues(tok, "陈海", fleet.AdviserVillage, wire.ServiceConsultation)
	cv["serves"] = []string{"仙游县/盖尾镇"}
	cv.Del("active")
	if p = a.post("/advisers/chen/profile", cv); p.status != http.StatusSeeOther || f.adviser(bk, "chen").Active {
		t.Fatalf("deactivate without bookings: %d", p.status)
	}
}
