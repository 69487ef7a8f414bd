package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"lawpoint/device/wire"
	"lawpoint/fleet"
)

// An adviser's profile (基本信息): ID (new advisers only), name, kind, own
// villages, served regions, services, active and the adviser's own phone.
// New advisers are made here (GET/POST /advisers/new) and the profile of
// an existing one is changed with POST /advisers/{id}/profile; hours, slot
// length and leave stay on the hours form (advisers.go).

// maxAdviserRegions bounds each of the own and serves lists.
const maxAdviserRegions = 100

// profileForm is the profile form as typed.
type profileForm struct {
	ID, Name, Kind string
	// Own and Serves are the regions picked in the lists; OwnMore and
	// ServesMore the paths typed beside them.
	Own, Serves         []string
	OwnMore, ServesMore string
	Services            []string
	Active              bool
	Phone               string
	// ConfirmInactive confirms deactivating an adviser that still has
	// bookings to come.
	ConfirmInactive bool
}

// profileOf is the form filled from a stored adviser; the phone is masked
// unless the account may see numbers (fleet.PermPhone).
func profileOf(a fleet.Adviser, acct fleet.Account) profileForm {
	f := profileForm{ID: a.ID, Name: a.Name, Kind: a.Kind, Own: slices.Clone(a.Own), Serves: slices.Clone(a.Serves),
		Services: slices.Clone(a.Services), Active: a.Active, Phone: a.Phone}
	if !acct.Role.Can(fleet.PermPhone) {
		f.Phone = wire.MaskPhone(a.Phone)
	}
	return f
}

func readProfileForm(r *http.Request) profileForm {
	_ = r.ParseForm()
	f := profileForm{ID: strings.ToLower(trimmed(r, "id")), Name: trimmed(r, "name"), Kind: trimmed(r, "kind"),
		OwnMore: trimmed(r, "own_more"), ServesMore: trimmed(r, "serves_more"), Active: r.PostFormValue("active") == "1",
		Phone: trimmed(r, "phone"), ConfirmInactive: r.PostFormValue("confirm_inactive") == "1"}
	for _, v := range r.PostForm["own"] {
		if v = strings.TrimSpace(v); v != "" {
			f.Own = append(f.Own, v)
		}
	}
	for _, v := range r.PostForm["serves"] {
		if v = strings.TrimSpace(v); v != "" {
			f.Serves = append(f.Serves, v)
		}
	}
	for _, v := range r.PostForm["service"] {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(f.Services, v) {
			f.Services = append(f.Services, v)
		}
	}
	return f
}

// HasOwn, HasServes and HasService mark the picked options.
func (f profileForm) HasOwn(r string) bool     { return slices.Contains(f.Own, r) }
func (f profileForm) HasServes(r string) bool  { return slices.Contains(f.Serves, r) }
func (f profileForm) HasService(s string) bool { return slices.Contains(f.Services, s) }

// readRegions reads the picked and typed paths of one list: each must be a
// region path; duplicates are dropped.
func readRegions(picked []string, typed, field, what string, errs map[string]string) []string {
	out := []string{}
	for _, v := range append(slices.Clone(picked), splitIntervals(typed)...) {
		v = strings.TrimSuffix(strings.TrimSpace(v), "/")
		if v == "" {
			continue
		}
		n, err := fleet.NormalizeRegion(v)
		if err != nil {
			if errs[field] == "" {
				errs[field] = "“" + v + "”不是有效的" + what + "，须为“县/镇/村”形式，例如 仙游县/榜头镇/坝下村"
			}
			continue
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if len(out) > maxAdviserRegions && errs[field] == "" {
		errs[field] = fmt.Sprintf("%s最多%d个", what, maxAdviserRegions)
	}
	return out
}

// apply checks the form and returns a with the profile's fields replaced
// (hours, slot length and the rest are kept); errs gets a Chinese message
// per field (keys: id, name, kind, own, serves, services, phone). The ID is
// not touched: the caller checks a new one.
func (f profileForm) apply(a fleet.Adviser, errs map[string]string) fleet.Adviser {
	switch n := utf8.RuneCountInString(f.Name); {
	case f.Name == "":
		errs["name"] = "请填写姓名"
	case n > 32:
		errs["name"] = fmt.Sprintf("姓名最多32个字（现在%d个字）", n)
	case strings.ContainsFunc(f.Name, func(r rune) bool { return unicode.IsControl(r) || r == utf8.RuneError }):
		errs["name"] = "姓名含有无法显示的字符，请重新输入"
	}
	a.Name = f.Name
	switch f.Kind {
	case fleet.AdviserVillage, fleet.AdviserLawyer:
		a.Kind = f.Kind
	default:
		errs["kind"] = "请选择类型：法律顾问或律师"
	}
	a.Own = readRegions(f.Own, f.OwnMore, "own", "本村区域", errs)
	a.Serves = readRegions(f.Serves, f.ServesMore, "serves", "服务区域", errs)
	a.Services = nil
	for _, s := range f.Services {
		if !fleet.ValidService(s) {
			errs["services"] = "服务类型无效，请从列表中选择"
			continue
		}
		a.Services = append(a.Services, s)
	}
	if len(f.Services) == 0 {
		errs["services"] = "请至少选择一项服务（群众按服务类型预约）"
	}
	// Spaces and dashes are how people write numbers; the stored number
	// is digits only. A masked number sent back keeps the stored one.
	phone := strings.NewReplacer(" ", "", "-", "", "　", "").Replace(f.Phone)
	phone = fleet.KeepMaskedPhone(phone, a.Phone)
	if phone != "" && !fleet.ValidMobile(phone) {
		errs["phone"] = "手机号码须为以1开头的11位数字，例如 13812345678；不留电话请清空"
	}
	a.Phone = phone
	a.Active = f.Active
	return a
}

// profileFieldOf maps a fleet.Adviser field ("serves[0]") to the form's.
func profileFieldOf(field string) string {
	name, _, _ := strings.Cut(field, "[")
	switch name {
	case "id", "name", "kind", "own", "serves", "services", "phone":
		return name
	}
	return ""
}

// mayCreateAdviser reports whether acct may add advisers at all:
// administrators, and operators with a township (within it).
func mayCreateAdviser(acct fleet.Account) bool {
	return acct.Admin() || acct.Role == fleet.StaffOperator && acct.Township != ""
}

// pick is an option of the profile form (a region, a service, a kind).
type pick struct {
	Value, Label, Hint string
}

// upcomingRow is a confirmed booking still to come, listed when an adviser
// is (or is about to be) deactivated.
type upcomingRow struct {
	Code, Day, When, Service, ContactPoint string
}

// profileView is the profile form with its options.
type profileView struct {
	Form     profileForm
	Errors   map[string]string
	New      bool
	OwnOpts  []pick
	Serves   []pick
	Services []pick
	Kinds    []pick
	Township string // an operator's township, for the hint
	// Top: the form needs attention (errors, confirmation) and is shown
	// first on the adviser page rather than below the hours.
	Top bool
	// AskInactive: the confirmation step for deactivating an adviser with
	// bookings to come (Upcoming, Hidden).
	AskInactive bool
	Upcoming    []upcomingRow
	// Hidden counts upcoming bookings in regions the account may not see.
	Hidden int
}

// UpcomingCount is every upcoming booking, listed or not.
func (p *profileView) UpcomingCount() int { return len(p.Upcoming) + p.Hidden }

// profileView builds the form's options: the region tree the account may
// act on (notices' tree; own villages from the village level down) with
// the picked regions added, the services with the kiosk's queue categories
// that use them, and the two kinds.
func (c *Console) profileView(ctx context.Context, acct fleet.Account, f profileForm, errs map[string]string, isNew bool) (*profileView, error) {
	if errs == nil {
		errs = map[string]string{}
	}
	p := &profileView{Form: f, Errors: errs, New: isNew, Township: acct.Scope(),
		Kinds: []pick{{Value: fleet.AdviserVillage, Label: "法律顾问（村居法律顾问）"}, {Value: fleet.AdviserLawyer, Label: "律师"}}}
	tree, err := c.noticeRegions(ctx, acct)
	if err != nil {
		return nil, err
	}
	add := func(list []pick, picked []string, villagesOnly bool) []pick {
		for _, o := range tree {
			if !villagesOnly || strings.Count(o.Value, "/") >= 2 {
				list = append(list, pick{Value: o.Value, Label: o.Label})
			}
		}
		for _, v := range picked {
			if !slices.ContainsFunc(list, func(p pick) bool { return p.Value == v }) {
				list = append(list, pick{Value: v, Label: v})
			}
		}
		return list
	}
	p.OwnOpts = add(nil, f.Own, true)
	p.Serves = add(nil, f.Serves, false)
	cats := map[string][]string{}
	if bk, err := c.bookings(); err == nil {
		if cs, _, err := bk.Categories(ctx); err == nil {
			for _, cat := range cs {
				cats[cat.Service] = append(cats[cat.Service], cat.Name)
			}
		}
	}
	for _, s := range fleet.ServiceCodes {
		o := pick{Value: s, Label: fleet.ServiceName(s)}
		if names := cats[s]; len(names) > 0 {
			o.Hint = "自助机取号类别：" + strings.Join(names, "、")
		}
		p.Services = append(p.Services, o)
	}
	return p, nil
}

// upcoming lists an adviser's confirmed bookings from now on: the rows of
// regions acct may see, and how many others there are.
func (c *Console) upcoming(ctx context.Context, bk *fleet.Bookings, acct fleet.Account, id string) ([]upcomingRow, int, error) {
	bs, err := bk.List(ctx, fleet.BookingFilter{AdviserID: id, From: c.now(), Status: wire.BookingConfirmed})
	if err != nil {
		return nil, 0, err
	}
	var rows []upcomingRow
	hidden := 0
	for _, b := range bs {
		if !acct.CanSee(b.Region) {
			hidden++
			continue
		}
		start := b.SlotStart.In(shanghai)
		rows = append(rows, upcomingRow{Code: b.Code, Day: start.Format(time.DateOnly),
			When:    start.Format("2006-01-02 15:04") + "–" + b.SlotEnd.In(shanghai).Format("15:04"),
			Service: fleet.ServiceName(b.Service), ContactPoint: b.ContactPoint})
	}
	return rows, hidden, nil
}

// adviserIDFor makes an ID from the name: its Latin letters and digits, or
// the kind and random hex digits for a Chinese name, with "-2"... if
// taken. "new" is never used (it is the new-adviser page's address).
func adviserIDFor(name, kind string, taken func(string) bool) string {
	base := slugOf(name)
	if len(base) < 3 {
		base = newID(kind + "-")
	}
	return uniqueID(base, func(id string) bool { return id == "new" || taken(id) })
}

// newAdviserPage is the form for a new adviser or lawyer.
func (c *Console) newAdviserPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if !mayCreateAdviser(rc.acct) {
		c.deny(w, r, rc, "adviser (new)", "", "您的账号不能添加顾问或律师。")
		return
	}
	f := profileForm{Kind: fleet.AdviserVillage, Services: []string{wire.ServiceConsultation}, Active: true}
	c.showNewAdviser(w, r, rc, http.StatusOK, f, nil)
}

func (c *Console) showNewAdviser(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, f profileForm, errs map[string]string) {
	p, err := c.profileView(r.Context(), rc.acct, f, errs, true)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	c.page(w, r, rc, status, "adviser", "添加顾问或律师", "advisers", adviserData{Profile: p, Errors: map[string]string{}})
}

// createAdviser stores a new adviser: one PutAdviser call once every field
// is right, audited; an operator only within their township.
func (c *Console) createAdviser(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if !mayCreateAdviser(rc.acct) {
		c.deny(w, r, rc, "adviser (new)", "", "您的账号不能添加顾问或律师。")
		return
	}
	bk, err := c.bookings()
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	ctx := r.Context()
	f := readProfileForm(r)
	errs := map[string]string{}
	// Defaults as the API's: no hours yet, Normalize's slot length,
	// buffer, notice and horizon, Beijing time.
	next := f.apply(fleet.Adviser{Hours: map[string][]string{}}, errs)
	region := strings.Join(adviserRegions(next), ",")
	if errs["own"] == "" && errs["serves"] == "" && !actsOnAdviser(rc.acct, next) {
		c.deny(w, r, rc, "adviser "+cmpOr(f.ID, "(new)"), region, "乡镇操作员只能添加本村和服务区域都在本乡镇（"+rc.acct.Township+"）以内的顾问；服务全县或其他乡镇的顾问由县级管理员添加。")
		return
	}
	all, err := bk.Advisers(ctx)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	taken := func(id string) bool {
		return slices.ContainsFunc(all, func(a fleet.Adviser) bool { return a.ID == id })
	}
	switch {
	case f.ID == "" && errs["name"] == "":
		f.ID = adviserIDFor(f.Name, cmpOr(next.Kind, fleet.AdviserVillage), taken)
	case f.ID == "":
		// Made from the name once the name is right.
	case fleet.ValidateDeviceID(f.ID) != nil:
		errs["id"] = "编号须为3到64个小写英文字母、数字或“-”（不能以“-”开头），例如 lin-zhiming"
	case f.ID == "new":
		errs["id"] = "“new”不能用作编号，请换一个"
	case taken(f.ID):
		errs["id"] = "编号“" + f.ID + "”已被使用，请换一个"
	}
	next.ID = f.ID
	if len(errs) == 0 {
		saved, err := bk.PutAdviser(ctx, next)
		var fe *fleet.FieldError
		switch {
		case errors.As(err, &fe):
			errs[profileFieldOf(fe.Field)] = fe.Err.Zh
		case err != nil:
			c.internal(w, r, rc, err)
			return
		default:
			c.record(r, rc, fleet.AuditEntry{Action: auditAdviser, Target: "adviser " + saved.ID, Region: region,
				Summary: fmt.Sprintf("添加%s %s（%s）：%s", fleet.AdviserKindName(saved.Kind), saved.Name, saved.ID, profileSummary(saved)),
				After:   auditAdviserJSON(saved)})
			http.Redirect(w, r, "/advisers/"+saved.ID+"?done=created", http.StatusSeeOther)
			return
		}
	}
	c.showNewAdviser(w, r, rc, http.StatusBadRequest, f, errs)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// profileSummary is an adviser's profile in one line for the audit log
// (the phone masked).
func profileSummary(a fleet.Adviser) string {
	parts := []string{"本村 " + listOrNone(a.Own), "服务区域 " + regionText(a.Serves), "服务 " + servicesText(a.Services)}
	if len(a.Own) > 0 && len(a.Serves) == 0 {
		parts[1] = "服务区域 无"
	}
	if a.Active {
		parts = append(parts, "接受预约")
	} else {
		parts = append(parts, "停用")
	}
	if a.Phone != "" {
		parts = append(parts, "电话 "+wire.MaskPhone(a.Phone))
	}
	return strings.Join(parts, "，")
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "无"
	}
	return strings.Join(l, "、")
}

func servicesText(ss []string) string {
	names := make([]string, 0, len(ss))
	for _, s := range ss {
		names = append(names, fleet.ServiceName(s))
	}
	return listOrNone(names)
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// profileChanges says what changed, in Chinese (phones masked).
func profileChanges(old, next fleet.Adviser) []string {
	var out []string
	if old.Name != next.Name {
		out = append(out, "姓名 "+old.Name+" → "+next.Name)
	}
	if old.Kind != next.Kind {
		out = append(out, "类型 "+fleet.AdviserKindName(old.Kind)+" → "+fleet.AdviserKindName(next.Kind))
	}
	if !sameSet(old.Own, next.Own) {
		out = append(out, "本村 "+listOrNone(old.Own)+" → "+listOrNone(next.Own))
	}
	if !sameSet(old.Serves, next.Serves) {
		out = append(out, "服务区域 "+listOrNone(old.Serves)+" → "+listOrNone(next.Serves))
	}
	if !sameSet(old.Services, next.Services) {
		out = append(out, "服务 "+servicesText(old.Services)+" → "+servicesText(next.Services))
	}
	if old.Active != next.Active {
		if next.Active {
			out = append(out, "启用（接受预约）")
		} else {
			out = append(out, "停用")
		}
	}
	if old.Phone != next.Phone {
		out = append(out, "电话 "+cmpOr(wire.MaskPhone(old.Phone), "无")+" → "+cmpOr(wire.MaskPhone(next.Phone), "无"))
	}
	return out
}

// saveProfile changes an adviser's name, kind, regions, services, active
// and phone. Nothing is stored unless every field is right; an operator
// keeps the adviser within their township; deactivating an adviser with
// bookings to come asks for confirmation first (the bookings stay).
func (c *Console) saveProfile(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	bk, a, exc, _, ok := c.adviserToChange(w, r, rc, "您无权修改该顾问的基本信息。")
	if !ok {
		return
	}
	ctx := r.Context()
	f := readProfileForm(r)
	f.ID = a.ID
	errs := map[string]string{}
	next := f.apply(a, errs)
	if errs["own"] == "" && errs["serves"] == "" && !actsOnAdviser(rc.acct, next) {
		c.deny(w, r, rc, "adviser "+a.ID, strings.Join(adviserRegions(next), ","),
			"顾问的本村和服务区域只能在本乡镇（"+rc.acct.Township+"）以内；服务全县或其他乡镇的顾问由县级管理员管理。")
		return
	}
	status := http.StatusBadRequest
	var p *profileView
	show := func() {
		pv, err := c.profileView(ctx, rc.acct, f, errs, false)
		if err != nil {
			c.internal(w, r, rc, err)
			return
		}
		if p != nil {
			pv.AskInactive, pv.Upcoming, pv.Hidden = p.AskInactive, p.Upcoming, p.Hidden
		}
		pv.Top = true
		d := adviserData{Form: formOfAdviser(a), Errors: map[string]string{}, ExcErrors: map[string]string{}, Exc: exceptionForm{Kind: fleet.ExceptionOff}, Profile: pv}
		c.showAdviser(w, r, rc, status, a, exc, d)
	}
	if len(errs) > 0 {
		show()
		return
	}
	changes := profileChanges(a, next)
	if len(changes) == 0 {
		http.Redirect(w, r, "/advisers/"+a.ID+"?done=unchanged", http.StatusSeeOther)
		return
	}
	note := ""
	if a.Active && !next.Active {
		rows, hidden, err := c.upcoming(ctx, bk, rc.acct, a.ID)
		if err != nil {
			c.internal(w, r, rc, err)
			return
		}
		if n := len(rows) + hidden; n > 0 {
			if !f.ConfirmInactive {
				p, status = &profileView{AskInactive: true, Upcoming: rows, Hidden: hidden}, http.StatusConflict
				show()
				return
			}
			note = fmt.Sprintf("（停用时仍有 %d 个未开始的预约，未取消）", n)
		}
	}
	saved, err := bk.PutAdviser(ctx, next)
	var fe *fleet.FieldError
	switch {
	case errors.As(err, &fe):
		errs[profileFieldOf(fe.Field)] = fe.Err.Zh
		show()
		return
	case err != nil:
		c.internal(w, r, rc, err)
		return
	}
	c.record(r, rc, fleet.AuditEntry{Action: auditAdviser, Target: "adviser " + a.ID, Region: strings.Join(adviserRegions(saved), ","),
		Summary: "修改 " + a.Name + " 的基本信息：" + strings.Join(changes, "；") + note,
		Before:  auditAdviserJSON(a), After: auditAdviserJSON(saved)})
	http.Redirect(w, r, "/advisers/"+a.ID+"?done=profile", http.StatusSeeOther)
}
