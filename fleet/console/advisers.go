package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"lawpoint/content"
	"lawpoint/device/wire"
	"lawpoint/fleet"
)

// Audit actions of the adviser and booking pages (the audit page lists
// them by these names).
const (
	auditAdviser       = "adviser"        // an adviser added, or its profile, hours, leave or extra hours changed
	auditBookingCancel = "booking_cancel" // a booking cancelled by staff
)

func init() {
	pageNames = append(pageNames, "advisers", "adviser")
	actionNames = append(actionNames, option{auditAdviser, "顾问与律师"}, option{auditBookingCancel, "取消预约"})
}

// adviserDayNames are the Chinese names of fleet.Weekdays, in order.
var adviserDayNames = map[string]string{"mon": "周一", "tue": "周二", "wed": "周三", "thu": "周四", "fri": "周五", "sat": "周六", "sun": "周日"}

// adviserRegions are the regions an adviser serves (its own villages and
// the regions it serves); none means the whole county.
func adviserRegions(a fleet.Adviser) []string {
	return append(slices.Clone(a.Own), a.Serves...)
}

// seesAdviser reports whether acct may see a: administrators and viewers
// see every adviser; an operator those serving a region in their township
// or covering it (a county-wide adviser included).
func seesAdviser(acct fleet.Account, a fleet.Adviser) bool {
	scope := acct.Scope()
	if acct.Role != fleet.StaffOperator {
		return acct.CanSee("")
	}
	regs := adviserRegions(a)
	if scope == "" {
		return false
	}
	if len(regs) == 0 {
		return true
	}
	return slices.ContainsFunc(regs, func(r string) bool { return acct.CanSee(r) || content.InRegion(scope, r) })
}

// actsOnAdviser reports whether acct may change a: administrators any
// adviser; an operator only one whose every region lies in their township
// (an adviser serving the whole county or another township is the
// county's); viewers none.
func actsOnAdviser(acct fleet.Account, a fleet.Adviser) bool {
	switch acct.Role {
	case fleet.StaffAdmin:
		return true
	case fleet.StaffOperator:
		regs := adviserRegions(a)
		return len(regs) > 0 && !slices.ContainsFunc(regs, func(r string) bool { return !acct.CanAct(r) })
	}
	return false
}

func regionText(regs []string) string {
	if len(regs) == 0 {
		return "全县"
	}
	return strings.Join(regs, "、")
}

// hoursText is one weekday's intervals as typed in the form.
func hoursText(ivs []string) string { return strings.Join(ivs, ", ") }

// splitIntervals reads "09:00-12:00, 14:00-17:00" (commas, Chinese commas,
// semicolons or spaces between intervals).
func splitIntervals(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == '，' || r == ';' || r == '；' || r == '、' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
}

type adviserRow struct {
	fleet.Adviser
	KindName string
	Own      string
	Serves   string
	Services string
	Hours    string
	CanEdit  bool
}

type advisersData struct {
	Advisers  []adviserRow
	CanCreate bool // the 添加顾问或律师 button
}

func summaryHours(a fleet.Adviser) string {
	var parts []string
	for _, d := range fleet.Weekdays {
		if ivs := a.Hours[d]; len(ivs) > 0 {
			parts = append(parts, adviserDayNames[d]+" "+hoursText(ivs))
		}
	}
	if len(parts) == 0 {
		return "未设置"
	}
	return strings.Join(parts, "；")
}

// advisersPage lists the advisers and lawyers the account may see, with
// the villages they serve.
func (c *Console) advisersPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	bk, err := c.bookings()
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	as, err := bk.Advisers(r.Context())
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	d := advisersData{CanCreate: mayCreateAdviser(rc.acct)}
	for _, a := range as {
		if !seesAdviser(rc.acct, a) {
			continue
		}
		row := adviserRow{Adviser: a, KindName: fleet.AdviserKindName(a.Kind), Own: strings.Join(a.Own, "、"), Serves: strings.Join(a.Serves, "、"),
			Services: servicesText(a.Services), Hours: summaryHours(a), CanEdit: actsOnAdviser(rc.acct, a)}
		if len(a.Own) == 0 && len(a.Serves) == 0 {
			row.Serves = "全县"
		}
		d.Advisers = append(d.Advisers, row)
	}
	c.page(w, r, rc, http.StatusOK, "advisers", "顾问与律师", "advisers", d)
}

// adviserForm is the hours form as typed.
type adviserForm struct {
	Hours                               map[string]string
	Slot, Buffer, Notice, Horizon, Zone string
}

func formOfAdviser(a fleet.Adviser) adviserForm {
	f := adviserForm{Hours: map[string]string{}, Slot: strconv.Itoa(a.SlotMinutes), Buffer: strconv.Itoa(a.BufferMinutes),
		Notice: strconv.Itoa(a.MinNoticeMinutes), Horizon: strconv.Itoa(a.HorizonDays)}
	for _, d := range fleet.Weekdays {
		f.Hours[d] = hoursText(a.Hours[d])
	}
	return f
}

func readAdviserForm(r *http.Request) adviserForm {
	f := adviserForm{Hours: map[string]string{}, Slot: trimmed(r, "slot_minutes"), Buffer: trimmed(r, "buffer_minutes"),
		Notice: trimmed(r, "min_notice_minutes"), Horizon: trimmed(r, "horizon_days")}
	for _, d := range fleet.Weekdays {
		f.Hours[d] = trimmed(r, "hours_"+d)
	}
	return f
}

// apply checks the form and returns the adviser with the new hours and
// settings; errs gets a Chinese message per field (keys: hours_mon …,
// slot_minutes, buffer_minutes, min_notice_minutes, horizon_days).
func (f adviserForm) apply(a fleet.Adviser, errs map[string]string) fleet.Adviser {
	num := func(field, v string, lo, hi int, msg string) int {
		n, err := strconv.Atoi(v)
		switch {
		case v == "":
			errs[field] = "请填写" + msg
		case err != nil:
			errs[field] = msg + "须为整数"
		case n < lo || n > hi:
			errs[field] = fmt.Sprintf("%s须为%d到%d", msg, lo, hi)
		}
		return n
	}
	a.SlotMinutes = num("slot_minutes", f.Slot, 5, 240, "每次咨询时长（分钟）")
	a.BufferMinutes = num("buffer_minutes", f.Buffer, 0, 120, "两次咨询间隔（分钟）")
	a.MinNoticeMinutes = num("min_notice_minutes", f.Notice, 0, 7*24*60, "最短提前预约时间（分钟）")
	a.HorizonDays = num("horizon_days", f.Horizon, 0, 180, "可提前预约天数")
	a.Hours = map[string][]string{}
	for _, d := range fleet.Weekdays {
		ivs := splitIntervals(f.Hours[d])
		if len(ivs) > 12 {
			errs["hours_"+d] = "一天最多12个时间段"
			continue
		}
		if len(ivs) == 0 {
			continue
		}
		// Check the day on its own, so every bad day gets its message.
		one := fleet.Adviser{ID: a.ID, Name: a.Name, Kind: a.Kind, TimeZone: a.TimeZone, Hours: map[string][]string{d: ivs}}
		var fe *fleet.FieldError
		if err := one.Normalize(); errors.As(err, &fe) && strings.HasPrefix(fe.Field, "hours") {
			errs["hours_"+d] = fe.Err.Zh
			continue
		}
		a.Hours[d] = ivs
	}
	return a
}

// adviserFieldOf maps a fleet.Adviser field ("hours.mon[0]") to the form's.
func adviserFieldOf(field string) string {
	if rest, ok := strings.CutPrefix(field, "hours."); ok {
		day, _, _ := strings.Cut(rest, "[")
		return "hours_" + day
	}
	switch field {
	case "slot_minutes", "buffer_minutes", "min_notice_minutes", "horizon_days":
		return field
	}
	return ""
}

// exceptionForm is the leave / extra hours form.
type exceptionForm struct {
	Kind, From, To, Note string
}

type dayRow struct {
	Key, Label, Value, Error string
}

type exceptionRow struct {
	fleet.Exception
	KindName string
}

type adviserData struct {
	Adviser    fleet.Adviser
	KindName   string
	Own        string
	Serves     string
	Services   string
	Phone      string // masked
	Form       adviserForm
	Days       []dayRow
	Errors     map[string]string
	Exceptions []exceptionRow
	Exc        exceptionForm
	ExcErrors  map[string]string
	CanEdit    bool
	Flash      string
	// Profile is the 基本信息 form (adviser_profile.go); on its own for a
	// new adviser (Profile.New).
	Profile *profileView
	// Upcoming are the confirmed bookings to come of an inactive adviser
	// (they stay valid: staff call the villagers or cancel them), Hidden
	// those in regions the account may not see.
	Upcoming []upcomingRow
	Hidden   int
}

// findAdviser loads the adviser of the path for acct: 404 when unknown,
// 403 (audited) when outside the operator's township.
func (c *Console) findAdviser(w http.ResponseWriter, r *http.Request, rc *reqCtx) (*fleet.Bookings, fleet.Adviser, []fleet.Exception, bool) {
	bk, err := c.bookings()
	if err != nil {
		c.internal(w, r, rc, err)
		return nil, fleet.Adviser{}, nil, false
	}
	a, exc, err := bk.Adviser(r.Context(), r.PathValue("id"))
	if errors.Is(err, fleet.ErrNotFound) {
		c.errorPage(w, r, rc, http.StatusNotFound, "没有找到", "没有这位顾问或律师。")
		return nil, a, nil, false
	}
	if err != nil {
		c.internal(w, r, rc, err)
		return nil, a, nil, false
	}
	if !seesAdviser(rc.acct, a) {
		c.deny(w, r, rc, "adviser "+a.ID, strings.Join(adviserRegions(a), ","), "该顾问不在您所属乡镇的服务范围内。")
		return nil, a, nil, false
	}
	return bk, a, exc, true
}

// adviserToChange finds the adviser of the path, as findAdviser does, for a
// change: an account that may not change it (actsOnAdviser) is refused
// with why (403, audited). region is the adviser's regions, for the audit
// row; ok is false when it has answered.
func (c *Console) adviserToChange(w http.ResponseWriter, r *http.Request, rc *reqCtx, why string) (bk *fleet.Bookings, a fleet.Adviser, exc []fleet.Exception, region string, ok bool) {
	if bk, a, exc, ok = c.findAdviser(w, r, rc); !ok {
		return nil, a, nil, "", false
	}
	region = strings.Join(adviserRegions(a), ",")
	if !actsOnAdviser(rc.acct, a) {
		c.deny(w, r, rc, "adviser "+a.ID, region, why)
		return nil, a, nil, region, false
	}
	return bk, a, exc, region, true
}

func (c *Console) adviserPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	_, a, exc, ok := c.findAdviser(w, r, rc)
	if !ok {
		return
	}
	d := adviserData{Form: formOfAdviser(a), Errors: map[string]string{}, ExcErrors: map[string]string{}, Exc: exceptionForm{Kind: fleet.ExceptionOff}}
	d.Flash = doneFlash(r, map[string]string{
		"saved":     "工作时间已保存。",
		"exception": "请假/加班已添加。",
		"removed":   "请假/加班已删除。",
		"created":   "已添加。请在下方设置每周工作时间：设置之前，群众在自助机上看得到该顾问，但约不到时段。",
		"profile":   "基本信息已保存。",
		"unchanged": "基本信息没有变化，未保存。",
	})
	c.showAdviser(w, r, rc, http.StatusOK, a, exc, d)
}

func (c *Console) showAdviser(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, a fleet.Adviser, exc []fleet.Exception, d adviserData) {
	d.Adviser, d.KindName, d.CanEdit = a, fleet.AdviserKindName(a.Kind), actsOnAdviser(rc.acct, a)
	d.Own, d.Serves = strings.Join(a.Own, "、"), strings.Join(a.Serves, "、")
	if len(a.Own) == 0 && len(a.Serves) == 0 {
		d.Serves = "全县"
	}
	d.Phone = wire.MaskPhone(a.Phone)
	d.Services = servicesText(a.Services)
	if d.Profile == nil && d.CanEdit {
		p, err := c.profileView(r.Context(), rc.acct, profileOf(a, rc.acct), nil, false)
		if err != nil {
			c.internal(w, r, rc, err)
			return
		}
		d.Profile = p
	}
	if !a.Active {
		// An inactive adviser is offered to nobody, but its bookings to
		// come stay valid: say how many, on every visit.
		if bk, err := c.bookings(); err == nil {
			if rows, hidden, err := c.upcoming(r.Context(), bk, rc.acct, a.ID); err == nil {
				d.Upcoming, d.Hidden = rows, hidden
			} else {
				c.log.Warn("upcoming bookings of an inactive adviser not listed", "adviser", a.ID, "error", err)
			}
		}
	}
	for _, k := range fleet.Weekdays {
		d.Days = append(d.Days, dayRow{Key: k, Label: adviserDayNames[k], Value: d.Form.Hours[k], Error: d.Errors["hours_"+k]})
	}
	for _, e := range exc {
		d.Exceptions = append(d.Exceptions, exceptionRow{Exception: e, KindName: fleet.ExceptionKindName(e.Kind)})
	}
	c.page(w, r, rc, status, "adviser", a.Name+" · 顾问与律师", "advisers", d)
}

// auditAdviserJSON is the adviser as the audit log keeps it (the adviser's
// own phone number masked, so a change shows without the number).
func auditAdviserJSON(a fleet.Adviser) string {
	a.Phone = wire.MaskPhone(a.Phone)
	b, _ := json.Marshal(a)
	return string(b)
}

// saveAdviser stores the weekly hours, slot length, buffer, minimum notice
// and horizon. Nothing is stored unless every field is right.
func (c *Console) saveAdviser(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	bk, a, exc, region, ok := c.adviserToChange(w, r, rc, "您无权修改该顾问的工作时间。")
	if !ok {
		return
	}
	f := readAdviserForm(r)
	d := adviserData{Form: f, Errors: map[string]string{}, ExcErrors: map[string]string{}, Exc: exceptionForm{Kind: fleet.ExceptionOff}}
	next := f.apply(a, d.Errors)
	if len(d.Errors) == 0 {
		saved, err := bk.PutAdviser(r.Context(), next)
		var fe *fleet.FieldError
		switch {
		case errors.As(err, &fe):
			d.Errors[adviserFieldOf(fe.Field)] = fe.Err.Zh
		case err != nil:
			c.internal(w, r, rc, err)
			return
		default:
			c.record(r, rc, fleet.AuditEntry{Action: auditAdviser, Target: "adviser " + a.ID, Region: region,
				Summary: "修改 " + a.Name + " 的工作时间和预约设置", Before: auditAdviserJSON(a), After: auditAdviserJSON(saved)})
			http.Redirect(w, r, "/advisers/"+a.ID+"?done=saved", http.StatusSeeOther)
			return
		}
	}
	c.showAdviser(w, r, rc, http.StatusBadRequest, a, exc, d)
}

// parseLocalTime reads a datetime-local value or, for whole days, a date
// (a "to" date means the end of that day).
func parseLocalTime(v string, end bool) (time.Time, bool) {
	if t, err := time.ParseInLocation(datetimeLocal, v, shanghai); err == nil {
		return t, true
	}
	if t, err := time.ParseInLocation(time.DateOnly, v, shanghai); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, true
	}
	return time.Time{}, false
}

// addException adds leave (off) or extra hours.
func (c *Console) addException(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	bk, a, exc, region, ok := c.adviserToChange(w, r, rc, "您无权修改该顾问的请假或加班。")
	if !ok {
		return
	}
	ef := exceptionForm{Kind: trimmed(r, "kind"), From: trimmed(r, "from"), To: trimmed(r, "to"), Note: trimmed(r, "note")}
	errs := map[string]string{}
	if ef.Kind != fleet.ExceptionOff && ef.Kind != fleet.ExceptionExtra {
		errs["kind"] = "请选择请假或加班"
	}
	from, okF := parseLocalTime(ef.From, false)
	to, okT := parseLocalTime(ef.To, true)
	switch {
	case ef.From == "":
		errs["from"] = "请填写开始时间"
	case !okF:
		errs["from"] = "开始时间格式有误，请按“2026-11-27T09:00”或“2026-11-27”填写"
	}
	switch {
	case ef.To == "":
		errs["to"] = "请填写结束时间"
	case !okT:
		errs["to"] = "结束时间格式有误，请按“2026-11-27T12:00”或“2026-11-27”填写"
	case okF && !to.After(from):
		errs["to"] = "结束时间须晚于开始时间"
	case okF && to.Sub(from) > 366*24*time.Hour:
		errs["to"] = "一次请假或加班最长一年"
	}
	if utf8.RuneCountInString(ef.Note) > 200 {
		errs["note"] = "备注最多200个字"
	}
	if len(errs) == 0 {
		e, err := bk.AddException(r.Context(), fleet.Exception{AdviserID: a.ID, Kind: ef.Kind, From: from.UTC(), To: to.UTC(), Note: ef.Note})
		var fe *fleet.FieldError
		switch {
		case errors.As(err, &fe):
			errs[fe.Field] = fe.Err.Zh
		case err != nil:
			c.internal(w, r, rc, err)
			return
		default:
			after, _ := json.Marshal(e)
			c.record(r, rc, fleet.AuditEntry{Action: auditAdviser, Target: "adviser " + a.ID, Region: region,
				Summary: fmt.Sprintf("为 %s 添加%s：%s 至 %s", a.Name, fleet.ExceptionKindName(e.Kind), e.From.In(shanghai).Format("2006-01-02 15:04"), e.To.In(shanghai).Format("2006-01-02 15:04")),
				After:   string(after)})
			http.Redirect(w, r, "/advisers/"+a.ID+"?done=exception", http.StatusSeeOther)
			return
		}
	}
	d := adviserData{Form: formOfAdviser(a), Errors: map[string]string{}, Exc: ef, ExcErrors: errs}
	c.showAdviser(w, r, rc, http.StatusBadRequest, a, exc, d)
}

// deleteException removes leave or extra hours.
func (c *Console) deleteException(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	bk, a, exc, region, ok := c.adviserToChange(w, r, rc, "您无权修改该顾问的请假或加班。")
	if !ok {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("eid"), 10, 64)
	i := slices.IndexFunc(exc, func(e fleet.Exception) bool { return e.ID == id })
	if i < 0 {
		c.errorPage(w, r, rc, http.StatusNotFound, "没有找到", "没有这条请假或加班记录（可能已删除或已过期）。")
		return
	}
	if err := bk.DeleteException(r.Context(), a.ID, id); err != nil && !errors.Is(err, fleet.ErrNotFound) {
		c.internal(w, r, rc, err)
		return
	}
	before, _ := json.Marshal(exc[i])
	c.record(r, rc, fleet.AuditEntry{Action: auditAdviser, Target: "adviser " + a.ID, Region: region,
		Summary: "删除 " + a.Name + " 的一条" + fleet.ExceptionKindName(exc[i].Kind), Before: string(before)})
	http.Redirect(w, r, "/advisers/"+a.ID+"?done=removed", http.StatusSeeOther)
}
