package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"lawpoint/content"
	"lawpoint/fleet"
)

func init() {
	pageNames = append(pageNames, "schedules", "schedule_form", "drafts", "week")
}

// maxWindows is how many daily windows the form offers.
const maxWindows = 3

var weekdayNames = [7]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// weekdayOrder is Monday first, as Chinese calendars show it.
var weekdayOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

type windowForm struct {
	Start, End string
	Overnight  bool
}

// scheduleForm is the schedule form as typed.
type scheduleForm struct {
	ID, Name, Programme, Priority string
	Regions                       []string
	Tags                          string
	Kinds                         []string
	Always                        bool
	DateFrom, DateUntil           string
	Weekdays                      map[int]bool
	Windows                       []windowForm
	Zone                          string
}

func readScheduleForm(r *http.Request) scheduleForm {
	_ = r.ParseForm()
	f := scheduleForm{ID: trimmed(r, "id"), Name: trimmed(r, "name"), Programme: trimmed(r, "programme"), Priority: trimmed(r, "priority"),
		Tags: trimmed(r, "tags"), Always: r.PostFormValue("always") == "1", DateFrom: trimmed(r, "date_from"), DateUntil: trimmed(r, "date_until"),
		Zone: trimmed(r, "zone"), Weekdays: map[int]bool{}}
	for _, v := range r.PostForm["region"] {
		if v = strings.TrimSuffix(strings.TrimSpace(v), "/"); v != "" {
			f.Regions = append(f.Regions, v)
		}
	}
	for _, v := range r.PostForm["kind"] {
		f.Kinds = append(f.Kinds, strings.TrimSpace(v))
	}
	for _, v := range r.PostForm["weekday"] {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= 6 {
			f.Weekdays[n] = true
		}
	}
	for i := range maxWindows {
		n := strconv.Itoa(i)
		f.Windows = append(f.Windows, windowForm{Start: trimmed(r, "start"+n), End: trimmed(r, "end"+n), Overnight: r.PostFormValue("overnight"+n) == "1"})
	}
	return f
}

// formOf fills the form from a stored schedule.
func formOf(s content.Schedule) scheduleForm {
	f := scheduleForm{ID: s.ID, Name: s.Name, Programme: s.ProgrammeID, Priority: strconv.Itoa(s.Priority), Regions: s.Target.Regions,
		Tags: strings.Join(s.Target.Tags, "，"), Kinds: s.Target.Kinds, Always: s.Always, Zone: s.Zone, Weekdays: map[int]bool{}}
	if !s.DateFrom.IsZero() {
		f.DateFrom = s.DateFrom.String()
	}
	if !s.DateUntil.IsZero() {
		f.DateUntil = s.DateUntil.String()
	}
	for d := range 7 {
		if s.Weekdays.Has(time.Weekday(d)) {
			f.Weekdays[d] = true
		}
	}
	for _, w := range s.Windows {
		f.Windows = append(f.Windows, windowForm{Start: w.Start.String(), End: w.End.String(), Overnight: w.Overnight})
	}
	for len(f.Windows) < maxWindows {
		f.Windows = append(f.Windows, windowForm{})
	}
	return f
}

// schedule turns the form into a content.Schedule; errs gets a Chinese
// message per field the form itself can tell is wrong (the rest is
// content validation's).
func (f scheduleForm) schedule(errs map[string]string) content.Schedule {
	s := content.Schedule{ID: f.ID, Name: f.Name, ProgrammeID: f.Programme, Always: f.Always, Zone: f.Zone,
		Target: content.Target{Regions: f.Regions, Tags: splitTags(f.Tags), Kinds: f.Kinds}}
	if f.ID == "" {
		errs["id"] = "请填写排期编号，例如 xianfa-week（字母、数字、点、下划线或连字符）"
	}
	if f.Programme == "" {
		errs["programme"] = "请选择要播放的节目"
	}
	if f.Priority == "" {
		errs["priority"] = fmt.Sprintf("请填写优先级（%d–%d，数值越大越优先）", content.MinPriority, content.MaxPriority)
	} else if p, err := strconv.Atoi(f.Priority); err != nil {
		errs["priority"] = "优先级须为整数"
	} else {
		s.Priority = p
	}
	for _, k := range f.Kinds {
		if k != string(fleet.KindKiosk) && k != string(fleet.KindLED) {
			errs["target"] = "设备类型只能是自助一体机或LED屏"
		}
	}
	var err error
	if f.DateFrom != "" {
		if s.DateFrom, err = content.ParseDate(f.DateFrom); err != nil {
			errs["dates"] = "开始日期格式有误，请按 2026-11-27 填写"
		}
	}
	if f.DateUntil != "" {
		if s.DateUntil, err = content.ParseDate(f.DateUntil); err != nil {
			errs["dates"] = "结束日期格式有误，请按 2026-11-27 填写"
		}
	}
	var days []time.Weekday
	for d := range 7 {
		if f.Weekdays[d] {
			days = append(days, time.Weekday(d))
		}
	}
	if len(days) > 0 {
		s.Weekdays = content.Days(days...)
	}
	for i, w := range f.Windows {
		if w.Start == "" && w.End == "" {
			continue
		}
		st, err1 := content.ParseClock(w.Start)
		en, err2 := content.ParseClock(w.End)
		if err1 != nil || err2 != nil {
			errs["windows"] = fmt.Sprintf("第%d个时段的时间格式有误，请按 08:30 填写", i+1)
			continue
		}
		s.Windows = append(s.Windows, content.Window{Start: st, End: en, Overnight: w.Overnight})
	}
	return s
}

// scheduleField maps a content problem's field to the form's field.
func scheduleField(field string) string {
	i := strings.Index(field, "].")
	if !strings.HasPrefix(field, "schedules[") || i < 0 {
		return ""
	}
	f := field[i+2:]
	switch {
	case f == "id":
		return "id"
	case strings.HasPrefix(f, "programme_id"):
		return "programme"
	case f == "priority":
		return "priority"
	case strings.HasPrefix(f, "target"):
		return "target"
	case strings.HasPrefix(f, "date"):
		return "dates"
	case strings.HasPrefix(f, "weekdays"):
		return "weekdays"
	case strings.HasPrefix(f, "windows"):
		return "windows"
	case f == "zone":
		return "zone"
	case f == "always":
		return "always"
	}
	return ""
}

type scheduleFormData struct {
	Form       scheduleForm
	Errors     map[string]string
	Editing    bool
	Programmes []option
	Regions    []option
	Kinds      []option
	Weekdays   []option
	Conflicts  []content.Conflict
	Draft      bool // the account's changes are drafts
}

// Has reports whether the form selects region r.
func (f scheduleForm) Has(r string) bool       { return slices.Contains(f.Regions, r) }
func (f scheduleForm) HasKind(k string) bool   { return slices.Contains(f.Kinds, k) }
func (f scheduleForm) HasDay(d string) bool    { n, _ := strconv.Atoi(d); return f.Weekdays[n] }
func (w windowForm) Checked() bool             { return w.Overnight }
func (d scheduleFormData) Err(f string) string { return d.Errors[f] }

func (c *Console) showScheduleForm(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, d scheduleFormData) {
	ctx := r.Context()
	set, _, err := c.cfg.Library.Set(ctx)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	for _, p := range set.Programmes {
		label := p.ID
		if p.Name != "" {
			label = p.Name + "（" + p.ID + "）"
		}
		d.Programmes = append(d.Programmes, option{p.ID, label})
	}
	if d.Regions, err = c.noticeRegions(ctx, rc.acct); err != nil {
		c.internal(w, r, rc, err)
		return
	}
	d.Kinds = []option{{string(fleet.KindKiosk), "自助一体机"}, {string(fleet.KindLED), "LED屏"}}
	for _, wd := range weekdayOrder {
		d.Weekdays = append(d.Weekdays, option{strconv.Itoa(int(wd)), weekdayNames[wd]})
	}
	for len(d.Form.Windows) < maxWindows {
		d.Form.Windows = append(d.Form.Windows, windowForm{})
	}
	d.Draft = rc.acct.NeedsApproval()
	c.page(w, r, rc, status, "schedule_form", "编辑排期", "schedules", d)
}

// scheduleRegion is the audit region of a schedule's target.
func scheduleRegion(s content.Schedule) string { return strings.Join(s.Target.Regions, ",") }

// mayChange reports whether acct may write a schedule with this target: an
// administrator always; an operator only for regions (at least one) all
// within their township, and no device list.
func mayChange(acct fleet.Account, t content.Target) bool {
	if acct.Admin() {
		return true
	}
	if acct.Role != fleet.StaffOperator || len(t.Regions) == 0 || len(t.Devices) > 0 {
		return false
	}
	return !slices.ContainsFunc(t.Regions, func(r string) bool { return !acct.CanAct(r) })
}

func (c *Console) newSchedulePage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if rc.acct.Role == fleet.StaffViewer {
		c.deny(w, r, rc, "schedule", "", "只读账号不能编辑排期。")
		return
	}
	// ?programme= preselects the programme ("排期播放" on a message).
	f := scheduleForm{Priority: "100", Weekdays: map[int]bool{}, Programme: r.URL.Query().Get("programme")}
	if s := rc.acct.Scope(); s != "" {
		f.Regions = []string{s}
	}
	c.showScheduleForm(w, r, rc, http.StatusOK, scheduleFormData{Form: f, Errors: map[string]string{}})
}

func (c *Console) editSchedulePage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s, ok, err := c.cfg.Library.Schedule(r.Context(), r.PathValue("id"))
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	if !ok {
		c.errorPage(w, r, rc, http.StatusNotFound, "排期不存在", "没有编号为“"+r.PathValue("id")+"”的排期。")
		return
	}
	if !mayChange(rc.acct, s.Target) {
		c.deny(w, r, rc, s.ID, scheduleRegion(s), "您无权修改这个排期（它不只针对您所在的乡镇）。")
		return
	}
	c.showScheduleForm(w, r, rc, http.StatusOK, scheduleFormData{Form: formOf(s), Errors: map[string]string{}, Editing: true})
}

// saveSchedule validates the form on the server (content validation, via
// Library.CheckSchedule), shows conflicts with the devices affected and
// asks for confirmation, then stores: an administrator's change through
// the Library (then the rollout page), an operator's as a draft.
func (c *Console) saveSchedule(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	ctx := r.Context()
	f := readScheduleForm(r)
	errs := map[string]string{}
	d := scheduleFormData{Form: f, Errors: errs, Editing: r.PostFormValue("editing") == "1"}
	s := f.schedule(errs)
	if rc.acct.Role == fleet.StaffViewer || !mayChange(rc.acct, s.Target) {
		if rc.acct.Role == fleet.StaffOperator {
			c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditDenied, Target: s.ID, Region: scheduleRegion(s), Outcome: fleet.OutcomeDenied,
				Summary: "乡镇操作员试图为本乡镇以外编排排期"})
			errs["target"] = "只能为本乡镇（" + rc.acct.Township + "）内的区域编排，请至少选择一个本乡镇的区域"
			c.showScheduleForm(w, r, rc, http.StatusBadRequest, d)
			return
		}
		c.deny(w, r, rc, s.ID, scheduleRegion(s), "只读账号不能编辑排期。")
		return
	}
	old, exists, err := c.cfg.Library.Schedule(ctx, s.ID)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	if exists && !d.Editing && errs["id"] == "" {
		errs["id"] = "该编号已有排期。如要修改，请从排期列表点“修改”；否则请换一个编号"
	}
	if exists && !mayChange(rc.acct, old.Target) {
		c.deny(w, r, rc, s.ID, scheduleRegion(old), "您无权修改这个排期（它不只针对您所在的乡镇）。")
		return
	}
	if len(errs) > 0 {
		c.showScheduleForm(w, r, rc, http.StatusBadRequest, d)
		return
	}
	rep, err := c.cfg.Library.CheckSchedule(ctx, s)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	problemsBeside(rep.Problems, errs, scheduleField)
	if len(errs) > 0 {
		c.showScheduleForm(w, r, rc, http.StatusBadRequest, d)
		return
	}
	if len(rep.Conflicts) > 0 && r.PostFormValue("confirm") != "1" {
		d.Conflicts = rep.Conflicts
		c.showScheduleForm(w, r, rc, http.StatusConflict, d)
		return
	}
	after, _ := json.Marshal(s)
	var before string
	if exists {
		b, _ := json.Marshal(old)
		before = string(b)
	}
	conflictNote := ""
	if len(rep.Conflicts) > 0 {
		conflictNote = fmt.Sprintf("（确认了 %d 处冲突）", len(rep.Conflicts))
	}
	if rc.acct.NeedsApproval() {
		ds, ok := c.draftStore(w, r, rc)
		if !ok {
			return
		}
		id, err := ds.AddDraft(ctx, fleet.ScheduleDraft{ScheduleID: s.ID, Body: after, Author: rc.acct.Username, Township: rc.acct.Township, Created: c.now()})
		if err != nil {
			c.internal(w, r, rc, err)
			return
		}
		c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditSchedule, Target: s.ID, Region: scheduleRegion(s),
			Summary: fmt.Sprintf("提交排期草稿 %s（草稿 #%d），待县级管理员审批%s", s.ID, id, conflictNote), Before: before, After: string(after)})
		http.Redirect(w, r, "/schedules?done=drafted", http.StatusSeeOther)
		return
	}
	if err := c.cfg.Library.PutSchedule(ctx, rc.acct.Username, s); err != nil {
		c.internal(w, r, rc, err)
		return
	}
	c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditSchedule, Target: s.ID, Region: scheduleRegion(s),
		Summary: fmt.Sprintf("保存并发布排期 %s%s", s.ID, conflictNote), Before: before, After: string(after)})
	http.Redirect(w, r, "/rollout?schedule="+s.ID, http.StatusSeeOther)
}

type scheduleRow struct {
	content.Schedule
	When, Targets string
	CanEdit       bool
}

type draftRow struct {
	fleet.ScheduleDraft
	Schedule  content.Schedule
	When      string
	Targets   string
	Conflicts []content.Conflict
	Problem   string
	Plays     string // the programme's name, items and seconds (approval page)
	// Replaces is the stored schedule of the same ID the draft would
	// replace, described ("" when the ID is new).
	Replaces string
}

type schedulesData struct {
	Schedules []scheduleRow
	Drafts    []draftRow
	Flash     string
	CanWrite  bool
	Pending   int
}

func whenText(s content.Schedule) string {
	if s.Always {
		return "始终播放"
	}
	var parts []string
	if !s.DateFrom.IsZero() || !s.DateUntil.IsZero() {
		from, until := "不限", "不限"
		if !s.DateFrom.IsZero() {
			from = s.DateFrom.String()
		}
		if !s.DateUntil.IsZero() {
			until = s.DateUntil.String()
		}
		parts = append(parts, from+" 至 "+until)
	}
	if !s.Weekdays.IsZero() {
		var ds []string
		for _, wd := range weekdayOrder {
			if s.Weekdays.Has(wd) {
				ds = append(ds, weekdayNames[wd])
			}
		}
		parts = append(parts, strings.Join(ds, "、"))
	} else {
		parts = append(parts, "每天")
	}
	if len(s.Windows) == 0 {
		parts = append(parts, "全天")
	}
	for _, w := range s.Windows {
		t := w.Start.String() + "–" + w.End.String()
		if w.Overnight {
			t += "（跨夜）"
		}
		parts = append(parts, t)
	}
	return strings.Join(parts, "，")
}

func targetText(t content.Target) string {
	var parts []string
	if len(t.Regions) > 0 {
		parts = append(parts, "区域："+strings.Join(t.Regions, "、"))
	}
	if len(t.Tags) > 0 {
		parts = append(parts, "标签："+strings.Join(t.Tags, "、"))
	}
	if len(t.Kinds) > 0 {
		var ks []string
		for _, k := range t.Kinds {
			ks = append(ks, fleet.Kind(k).Label())
		}
		parts = append(parts, "类型："+strings.Join(ks, "、"))
	}
	if len(t.Devices) > 0 {
		parts = append(parts, "设备："+strings.Join(t.Devices, "、"))
	}
	return strings.Join(parts, "；")
}

// visibleTo reports whether acct sees a schedule: administrators and
// viewers all; an operator those touching their township.
func visibleTo(acct fleet.Account, t content.Target) bool {
	if acct.Scope() == "" {
		return true
	}
	return len(t.Regions) == 0 || slices.ContainsFunc(t.Regions, func(r string) bool {
		return acct.CanSee(r) || content.InRegion(acct.Scope(), r)
	})
}

func (c *Console) schedulesPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	ctx := r.Context()
	set, _, err := c.cfg.Library.Set(ctx)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	d := schedulesData{CanWrite: rc.acct.Role != fleet.StaffViewer}
	for _, s := range set.Schedules {
		if visibleTo(rc.acct, s.Target) {
			d.Schedules = append(d.Schedules, scheduleRow{Schedule: s, When: whenText(s), Targets: targetText(s.Target), CanEdit: d.CanWrite && mayChange(rc.acct, s.Target)})
		}
	}
	slices.SortFunc(d.Schedules, func(a, b scheduleRow) int { return strings.Compare(a.ID, b.ID) })
	if ds, ok := c.store.(fleet.DraftStore); ok {
		all, err := ds.Drafts(ctx, "")
		if err != nil {
			c.internal(w, r, rc, err)
			return
		}
		for _, dr := range all {
			if dr.State == fleet.DraftPending {
				d.Pending++
			}
			if rc.acct.Admin() || dr.Author == rc.acct.Username {
				d.Drafts = append(d.Drafts, c.draftRowOf(ctx, dr, false))
			}
		}
	}
	d.Flash = doneFlash(r, map[string]string{
		"drafted":  "已提交草稿，县级管理员审批后生效。",
		"rejected": "已退回草稿。",
		"deleted":  "已删除排期，相关设备将在下次更新时改播其他内容。",
	})
	c.page(w, r, rc, http.StatusOK, "schedules", "排期", "schedules", d)
}

func (c *Console) draftRowOf(ctx context.Context, dr fleet.ScheduleDraft, check bool) draftRow {
	row := draftRow{ScheduleDraft: dr}
	if err := json.Unmarshal(dr.Body, &row.Schedule); err != nil {
		row.Problem = "草稿内容无法读取"
		return row
	}
	row.When, row.Targets = whenText(row.Schedule), targetText(row.Schedule.Target)
	if check && dr.State == fleet.DraftPending {
		// The approver sees what the draft would play, not just an ID.
		if comp, err := c.compiled(ctx); err == nil {
			set := comp.Set()
			if i := slices.IndexFunc(set.Programmes, func(p content.Programme) bool { return p.ID == row.Schedule.ProgrammeID }); i >= 0 {
				row.Plays = programmeText(set.Programmes[i], itemIndex(set, c.now()))
			}
		}
		problem, replaces := c.draftReplaces(ctx, dr)
		if problem != "" {
			row.Problem = problem
			return row
		}
		row.Replaces = replaces
		rep, err := c.cfg.Library.CheckSchedule(ctx, row.Schedule)
		if err != nil {
			row.Problem = fleet.StaffMessage(err)
		} else {
			row.Conflicts = rep.Conflicts
			var msgs []string
			for _, p := range rep.Problems {
				msgs = append(msgs, p.Message)
			}
			row.Problem = strings.Join(msgs, "；")
		}
	}
	return row
}

// draftReplaces looks at the schedule stored under the draft's ID now: a
// draft may replace only a schedule its author could still change (the
// county may have written one under that ID since, or moved its target);
// otherwise the draft cannot be approved (problem). replaces describes the
// schedule it would replace.
func (c *Console) draftReplaces(ctx context.Context, dr fleet.ScheduleDraft) (problem, replaces string) {
	old, ok, err := c.cfg.Library.Schedule(ctx, dr.ScheduleID)
	if err != nil {
		return fleet.StaffMessage(err), ""
	}
	if !ok {
		return "", ""
	}
	author, err := c.accounts.Store().Account(ctx, dr.Author)
	if err != nil || !mayChange(author, old.Target) {
		return "编号“" + dr.ScheduleID + "”现在是一个超出提交人乡镇的排期（" + targetText(old.Target) + "），不能用这个草稿替换它；请退回草稿，请提交人换一个编号。", ""
	}
	return "", fmt.Sprintf("将替换现有排期“%s”：%s，%s，优先级%d", old.ID, targetText(old.Target), whenText(old), old.Priority)
}

// draftStore is the store's schedule drafts; ok is false, with a 500
// answered, when the store keeps none.
func (c *Console) draftStore(w http.ResponseWriter, r *http.Request, rc *reqCtx) (ds fleet.DraftStore, ok bool) {
	if ds, ok = c.store.(fleet.DraftStore); !ok {
		c.internal(w, r, rc, errors.New("console: the fleet store keeps no schedule drafts"))
	}
	return ds, ok
}

// draftsPage is the administrators' approval page: pending drafts with
// their problems and conflicts (checked against the current content).
func (c *Console) draftsPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if !rc.acct.Admin() {
		c.deny(w, r, rc, "schedule_drafts", rc.acct.Scope(), "只有县级管理员可以审批排期草稿。")
		return
	}
	c.showDrafts(w, r, rc, http.StatusOK, "")
}

func (c *Console) showDrafts(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, msg string) {
	ds, ok := c.draftStore(w, r, rc)
	if !ok {
		return
	}
	all, err := ds.Drafts(r.Context(), fleet.DraftPending)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	d := schedulesData{Flash: msg}
	for _, dr := range all {
		d.Drafts = append(d.Drafts, c.draftRowOf(r.Context(), dr, true))
	}
	c.page(w, r, rc, status, "drafts", "审批排期草稿", "schedules", d)
}

// decideDraft approves (stores the schedule through the Library) or
// rejects a pending draft.
func (c *Console) decideDraft(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if !rc.acct.Admin() {
		c.deny(w, r, rc, "draft #"+r.PathValue("id"), rc.acct.Scope(), "只有县级管理员可以审批排期草稿。")
		return
	}
	ds, ok := c.draftStore(w, r, rc)
	if !ok {
		return
	}
	ctx := r.Context()
	dr, err := ds.Draft(ctx, id)
	if errors.Is(err, fleet.ErrNotFound) {
		c.errorPage(w, r, rc, http.StatusNotFound, "草稿不存在", "没有这个排期草稿。")
		return
	}
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	if dr.State != fleet.DraftPending {
		c.showDrafts(w, r, rc, http.StatusConflict, "这个草稿已经处理过了。")
		return
	}
	row := c.draftRowOf(ctx, dr, true)
	if r.PostFormValue("action") == "reject" {
		if err := ds.DecideDraft(ctx, id, fleet.DraftRejected, rc.acct.Username, trimmed(r, "note"), c.now()); err != nil {
			c.internal(w, r, rc, err)
			return
		}
		c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditApprove, Target: dr.ScheduleID, Region: scheduleRegion(row.Schedule), Outcome: fleet.OutcomeOK,
			Summary: fmt.Sprintf("退回 %s 提交的排期草稿 #%d（%s）", dr.Author, id, dr.ScheduleID), After: string(dr.Body)})
		http.Redirect(w, r, "/schedules?done=rejected", http.StatusSeeOther)
		return
	}
	if row.Problem != "" {
		c.showDrafts(w, r, rc, http.StatusBadRequest, "草稿 #"+strconv.FormatInt(id, 10)+" 不能通过："+row.Problem)
		return
	}
	if len(row.Conflicts) > 0 && r.PostFormValue("confirm") != "1" {
		c.showDrafts(w, r, rc, http.StatusConflict, "草稿 #"+strconv.FormatInt(id, 10)+" 与现有排期冲突，请勾选“确认冲突”后再通过。")
		return
	}
	var before string
	if old, ok, _ := c.cfg.Library.Schedule(ctx, dr.ScheduleID); ok {
		b, _ := json.Marshal(old)
		before = string(b)
	}
	if err := c.cfg.Library.PutSchedule(ctx, rc.acct.Username, row.Schedule); err != nil {
		c.internal(w, r, rc, err)
		return
	}
	if err := ds.DecideDraft(ctx, id, fleet.DraftApproved, rc.acct.Username, "", c.now()); err != nil {
		c.internal(w, r, rc, err)
		return
	}
	c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditApprove, Target: dr.ScheduleID, Region: scheduleRegion(row.Schedule),
		Summary: fmt.Sprintf("通过 %s 提交的排期草稿 #%d 并发布 %s", dr.Author, id, dr.ScheduleID), Before: before, After: string(dr.Body)})
	http.Redirect(w, r, "/rollout?schedule="+dr.ScheduleID, http.StatusSeeOther)
}
