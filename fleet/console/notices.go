package console

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"lawpoint/content"
	"lawpoint/display"
	"lawpoint/display/dots"
	"lawpoint/fleet"
)

func init() {
	pageNames = append(pageNames, "notices", "notice_form", "notice", "rollout")
}

// MaxNoticeDays bounds how long an emergency notice may run (the rule is
// fleet.Library.CheckNotice's, shared with the API).
const MaxNoticeDays = fleet.MaxNoticeDays

const datetimeLocal = "2006-01-02T15:04"

// noticeForm is the emergency notice form.
type noticeForm struct {
	Text, Region, Expiry string
}

func readNoticeForm(r *http.Request) noticeForm {
	return noticeForm{Text: strings.TrimSpace(strings.ReplaceAll(r.FormValue("text"), "\r\n", "\n")),
		Region: strings.TrimSuffix(trimmed(r, "region"), "/"), Expiry: trimmed(r, "expiry")}
}

// checkNotice validates the form for acct and returns the notice to store
// (its region normalized, its start now). The form's own formats are
// checked here; the notice rules (text, region, expiry) are
// fleet.Library.CheckNotice's, the same the API applies; whether acct may
// publish to the region is acct.CanAct on the normalized region. errs gets
// a Chinese message per form field.
func (c *Console) checkNotice(ctx context.Context, f noticeForm, acct fleet.Account, now time.Time, errs map[string]string) (content.Notice, error) {
	n := content.Notice{ID: newNoticeID(now), Text: f.Text, Start: now.UTC().Truncate(time.Second)}
	if f.Region != "" {
		n.Regions = []string{f.Region}
	}
	if f.Expiry != "" {
		exp, err := time.ParseInLocation(datetimeLocal, f.Expiry, shanghai)
		if err != nil {
			errs["expiry"] = "截止时间格式有误，请按“2026-11-27T18:00”填写"
		} else {
			n.Expiry = exp.UTC()
		}
	}
	checked, err := c.cfg.Library.CheckNotice(ctx, n, now)
	var fes fleet.FieldErrors
	if err != nil && !errors.As(err, &fes) {
		return n, err
	}
	for _, fe := range fes {
		field := fe.Field
		if strings.HasPrefix(field, "regions") {
			field = "region"
		}
		if errs[field] == "" {
			errs[field] = fe.Err.Zh
		}
	}
	if errs["region"] == "" && len(checked.Regions) == 1 && !acct.CanAct(checked.Regions[0]) {
		errs["region"] = "只能向本乡镇（" + acct.Township + "）发布紧急通知"
	}
	return checked, nil
}

// noticeRegions is the region tree (every level that has devices) the
// account may publish to, county first.
func (c *Console) noticeRegions(ctx context.Context, acct fleet.Account) ([]option, error) {
	devs, err := c.cfg.Registry.Devices(ctx, fleet.Filter{Region: acct.Scope()})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var paths []string
	for _, d := range devs {
		parts := strings.Split(d.Region, "/")
		for n := 1; n <= len(parts); n++ {
			p := strings.Join(parts[:n], "/")
			if !seen[p] && acct.CanAct(p) {
				seen[p] = true
				paths = append(paths, p)
			}
		}
	}
	slices.Sort(paths)
	out := make([]option, 0, len(paths))
	for _, p := range paths {
		depth := strings.Count(p, "/")
		out = append(out, option{p, strings.Repeat("　", depth) + p[strings.LastIndex(p, "/")+1:] + "（" + p + "）"})
	}
	return out, nil
}

// noticeRow is a notice in the list and on its page.
type noticeRow struct {
	content.Notice
	State, StateClass string
	Author            string
	Published         time.Time
	CanWithdraw       bool
}

func (c *Console) noticeRowOf(ctx context.Context, n content.Notice, acct fleet.Account) noticeRow {
	row := noticeRow{Notice: n}
	now := c.now()
	switch {
	case n.Withdrawn:
		row.State, row.StateClass = "已撤回", "off"
	case !now.Before(n.Expiry):
		row.State, row.StateClass = "已过期", "off"
	case now.Before(n.Start):
		row.State, row.StateClass = "未开始", "pending"
	default:
		row.State, row.StateClass = "生效中", "failed"
	}
	if hist, err := c.store.ContentHistory(ctx, fleet.RecordNotice, n.ID); err == nil && len(hist) > 0 {
		row.Author, row.Published = hist[0].Author, hist[0].Created
	}
	row.CanWithdraw = !n.Withdrawn && now.Before(n.Expiry) && len(n.Regions) > 0 &&
		!slices.ContainsFunc(n.Regions, func(r string) bool { return !acct.CanAct(r) })
	return row
}

// seesNotice reports whether acct may see n: an operator sees notices for
// regions within their township or covering it.
func seesNotice(acct fleet.Account, n content.Notice) bool {
	return slices.ContainsFunc(n.Regions, func(r string) bool {
		return acct.CanSee(r) || (acct.Scope() != "" && content.InRegion(acct.Scope(), r))
	})
}

type noticesData struct {
	Notices []noticeRow
	CanAct  bool
}

// noticesPage lists the emergency notices, newest first.
func (c *Console) noticesPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	set, _, err := c.cfg.Library.Set(r.Context())
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	d := noticesData{CanAct: rc.acct.Role != fleet.StaffViewer}
	for _, n := range set.Notices {
		if seesNotice(rc.acct, n) {
			d.Notices = append(d.Notices, c.noticeRowOf(r.Context(), n, rc.acct))
		}
	}
	slices.SortFunc(d.Notices, func(a, b noticeRow) int { return b.Start.Compare(a.Start) })
	c.page(w, r, rc, http.StatusOK, "notices", "紧急通知", "notices", d)
}

type noticeFormData struct {
	Form     noticeForm
	Errors   map[string]string
	Regions  []option
	Confirm  bool // the confirmation step
	Previews []preview
	Boards   int // LED boards that will switch
	Kiosks   int // kiosks that will show it too
	Expiry   time.Time
	MinDate  string
}

// newNoticePage shows the empty form.
func (c *Console) newNoticePage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if rc.acct.Role == fleet.StaffViewer {
		c.deny(w, r, rc, "notice", "", "只读账号不能发布紧急通知。")
		return
	}
	f := noticeForm{Region: rc.acct.Scope(), Expiry: c.now().Add(2 * time.Hour).In(shanghai).Format(datetimeLocal)}
	c.showNoticeForm(w, r, rc, http.StatusOK, noticeFormData{Form: f, Errors: map[string]string{}})
}

func (c *Console) showNoticeForm(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, d noticeFormData) {
	var err error
	if d.Regions == nil {
		if d.Regions, err = c.noticeRegions(r.Context(), rc.acct); err != nil {
			c.internal(w, r, rc, err)
			return
		}
	}
	d.MinDate = c.now().In(shanghai).Format(datetimeLocal)
	title := "发布紧急通知"
	if d.Confirm {
		title = "确认发布紧急通知"
	}
	c.page(w, r, rc, status, "notice_form", title, "notices", d)
}

// postNotice handles the form: action=confirm shows the confirmation step
// (the exact LED preview per board model and the number of boards that
// will switch); action=publish stores the notice (fleet.Library.PutNotice)
// and goes to its delivery page; action=edit goes back to the form.
func (c *Console) postNotice(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	f := readNoticeForm(r)
	if rc.acct.Role == fleet.StaffViewer {
		c.deny(w, r, rc, "notice", f.Region, "只读账号不能发布紧急通知。")
		return
	}
	ctx := r.Context()
	regions, err := c.noticeRegions(ctx, rc.acct)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	d := noticeFormData{Form: f, Errors: map[string]string{}, Regions: regions}
	action := r.PostFormValue("action")
	n, err := c.checkNotice(ctx, f, rc.acct, c.now(), d.Errors)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	if len(n.Regions) == 1 {
		d.Form.Region = n.Regions[0]
	}
	if f.Region != "" && !rc.acct.CanAct(d.Form.Region) {
		c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditDenied, Target: "notice", Region: d.Form.Region, Outcome: fleet.OutcomeDenied,
			Summary: "乡镇操作员试图向本乡镇以外发布紧急通知"})
	}
	if action == "edit" {
		c.showNoticeForm(w, r, rc, http.StatusOK, d)
		return
	}
	if len(d.Errors) == 0 {
		if err := c.noticeTargets(ctx, &d); err != nil {
			c.internal(w, r, rc, err)
			return
		}
		for _, p := range d.Previews {
			if p.Error != "" && d.Errors["text"] == "" {
				d.Errors["text"] = p.Error
			}
		}
	}
	if len(d.Errors) > 0 {
		c.showNoticeForm(w, r, rc, http.StatusBadRequest, d)
		return
	}
	d.Expiry = n.Expiry
	if action != "publish" {
		d.Confirm = true
		c.showNoticeForm(w, r, rc, http.StatusOK, d)
		return
	}
	region := n.Regions[0]
	if err := c.cfg.Library.PutNotice(ctx, rc.acct.Username, n); err != nil {
		if noticeProblems(err, d.Errors) {
			c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditPublish, Target: n.ID, Region: region, Outcome: fleet.OutcomeFailed,
				Summary: "紧急通知未能发布：" + strings.Join(mapValues(d.Errors), "；")})
			c.showNoticeForm(w, r, rc, http.StatusBadRequest, d)
			return
		}
		c.internal(w, r, rc, err)
		return
	}
	after, _ := json.Marshal(n)
	c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditPublish, Target: n.ID, Region: region,
		Summary: fmt.Sprintf("发布紧急通知 %s 到 %s（%d 块LED屏），截止 %s", n.ID, region, d.Boards, n.Expiry.In(shanghai).Format("2006-01-02 15:04")),
		After:   string(after)})
	http.Redirect(w, r, "/notices/"+n.ID+"?done=published", http.StatusSeeOther)
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// noticeProblems puts content problems of a notice beside the form fields.
func noticeProblems(err error, errs map[string]string) bool {
	var ps content.Problems
	if errors.As(err, &ps) && len(ps) > 0 {
		problemsBeside(ps, errs, noticeFieldOf)
		return true
	}
	return problemsToFields(err, errs)
}

// noticeFieldOf maps a content problem's field to the notice form's.
func noticeFieldOf(field string) string {
	switch {
	case strings.HasSuffix(field, "text"):
		return "text"
	case strings.Contains(field, "regions"):
		return "region"
	case strings.HasSuffix(field, "expiry"), strings.HasSuffix(field, "start"):
		return "expiry"
	}
	return ""
}

func newNoticeID(now time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return "notice-" + now.In(shanghai).Format("20060102-1504") + "-" + hex.EncodeToString(b)
}

// noticeTargets fills the previews (exact dots per board model and size
// among the LED boards in the region) and the device counts.
func (c *Console) noticeTargets(ctx context.Context, d *noticeFormData) error {
	devs, err := c.cfg.Registry.Devices(ctx, fleet.Filter{Region: d.Form.Region})
	if err != nil {
		return err
	}
	var leds []fleet.Device
	for _, dv := range devs {
		switch dv.Kind {
		case fleet.KindLED:
			leds = append(leds, dv)
		case fleet.KindKiosk:
			d.Kiosks++
		}
	}
	d.Boards = len(leds)
	d.Previews = []preview{}
	for _, v := range variantsOf(leds) {
		p := preview{Label: v.Spec.Label(), Board: v.Spec.Key(), Count: v.Count, Devices: v.Devices, Pages: []string{}}
		pages, err := c.noticePages(v.Spec, d.Form.Text)
		if err != nil {
			p.Error = previewError(v.Spec, content.Text{Body: d.Form.Text}, err)
		} else {
			s := scaleFor(v.Spec.W)
			p.Width, p.Height = v.Spec.W*s, v.Spec.H*s
			for i := range pages {
				q := url.Values{"text": {d.Form.Text}, "board": {v.Spec.Key()}, "scale": {strconv.Itoa(s)}, "page": {strconv.Itoa(i)}}
				p.Pages = append(p.Pages, "/notices/preview.png?"+q.Encode())
			}
		}
		d.Previews = append(d.Previews, p)
	}
	return nil
}

// noticeMessage is the message a board shows for a notice: exactly what
// display.Player sends (display.Text in red, no effect).
func noticeMessage(text string) display.Message { return display.Text(text, dots.Red) }

// noticePages renders a notice as the board shows it, through the driver's
// own command (as pagesFor does for library texts).
func (c *Console) noticePages(spec boardSpec, text string) ([]*dots.Bitmap, error) {
	return c.messagePages(spec, noticeMessage(text))
}

// noticePreviewPNG draws one page of a notice on one board model and size.
func (c *Console) noticePreviewPNG(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	text := strings.TrimSpace(r.FormValue("text"))
	spec, err := parseSpec(r.FormValue("board"))
	if text == "" || utf8.RuneCountInString(text) > content.MaxTextRunes || err != nil {
		c.errorPage(w, r, rc, http.StatusBadRequest, "无法预览", "预览参数有误，请回到通知页面重新预览。")
		return
	}
	pages, err := c.noticePages(spec, text)
	c.previewPage(w, r, rc, spec, content.Text{Body: text}, pages, err)
}

// findNotice returns the notice named in the path, answering 404 or 403
// (audited) itself when it cannot be shown.
func (c *Console) findNotice(w http.ResponseWriter, r *http.Request, rc *reqCtx) (content.Notice, bool) {
	id := r.PathValue("id")
	n, found, err := c.cfg.Library.Notice(r.Context(), id)
	if err != nil {
		c.internal(w, r, rc, err)
		return content.Notice{}, false
	}
	if !found {
		c.errorPage(w, r, rc, http.StatusNotFound, "通知不存在", "没有编号为“"+id+"”的紧急通知。")
		return content.Notice{}, false
	}
	if !seesNotice(rc.acct, n) {
		c.deny(w, r, rc, n.ID, strings.Join(n.Regions, ","), "这条紧急通知不属于您所在的乡镇。")
		return content.Notice{}, false
	}
	return n, true
}

type noticeData struct {
	Notice   noticeRow
	Rollout  rolloutSummary
	JSON     string
	Confirm  bool // withdraw confirmation step
	Flash    string
	Previews []preview
}

// noticePage shows a notice and its delivery per device; it refreshes
// itself (console.js polls /rollout.json while anything is pending).
func (c *Console) noticePage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	n, ok := c.findNotice(w, r, rc)
	if !ok {
		return
	}
	c.showNotice(w, r, rc, n, false)
}

func (c *Console) showNotice(w http.ResponseWriter, r *http.Request, rc *reqCtx, n content.Notice, confirm bool) {
	ctx := r.Context()
	all, err := c.cfg.Registry.Devices(ctx, fleet.Filter{})
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	devs, reached, err := c.noticeRollout(ctx, n, all, rc.acct)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	s, err := c.rolloutOf(ctx, devs, reached)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	d := noticeData{Notice: c.noticeRowOf(ctx, n, rc.acct), Rollout: s, JSON: "/rollout.json?notice=" + n.ID, Confirm: confirm}
	d.Flash = doneFlash(r, map[string]string{
		"published": "紧急通知已发布，正在下发到该区域的设备。下表会自动刷新。",
		"withdrawn": "紧急通知已撤回，设备将恢复原来的节目。",
	})
	c.page(w, r, rc, http.StatusOK, "notice", "紧急通知 "+n.ID, "notices", d)
}

// withdrawNotice: action=confirm shows the confirmation step; action=
// withdraw withdraws the notice (fleet.Library.WithdrawNotice).
func (c *Console) withdrawNotice(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	n, ok := c.findNotice(w, r, rc)
	if !ok {
		return
	}
	region := strings.Join(n.Regions, ",")
	if slices.ContainsFunc(n.Regions, func(reg string) bool { return !rc.acct.CanAct(reg) }) {
		c.deny(w, r, rc, n.ID, region, "您无权撤回这条紧急通知。")
		return
	}
	if n.Withdrawn {
		http.Redirect(w, r, "/notices/"+n.ID, http.StatusSeeOther)
		return
	}
	if r.PostFormValue("action") != "withdraw" {
		c.showNotice(w, r, rc, n, true)
		return
	}
	if err := c.cfg.Library.WithdrawNotice(r.Context(), rc.acct.Username, n.ID); err != nil {
		c.internal(w, r, rc, err)
		return
	}
	before, _ := json.Marshal(n)
	n.Withdrawn = true
	after, _ := json.Marshal(n)
	c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditNoticeWithdraw, Target: n.ID, Region: region,
		Summary: "撤回紧急通知 " + n.ID, Before: string(before), After: string(after)})
	http.Redirect(w, r, "/notices/"+n.ID+"?done=withdrawn", http.StatusSeeOther)
}
