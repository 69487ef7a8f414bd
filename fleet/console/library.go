package console

import (
	"bytes"
	"context"
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
	"lawpoint/display/bx"
	"lawpoint/display/dots"
	"lawpoint/display/render"
	"lawpoint/display/virtual"
	"lawpoint/fleet"
)

type itemRow struct {
	content.Item
	Summary  string
	KindName string
	// Validity is the item's validity in Beijing time ("" when unbounded);
	// Expired says it has ended and never plays again.
	Validity string
	Expired  bool
}

// itemRowOf describes an item for lists and pickers: its kind and a one-line
// summary (the message, the article's title, the picture's alt text or size).
func itemRowOf(it content.Item, now time.Time) itemRow {
	row := itemRow{Item: it, KindName: itemKindName(it.Kind), Validity: validityText(it), Expired: expired(it, now)}
	switch {
	case it.Text != nil && it.Kind == content.KindText:
		row.Summary = it.Text.Body
	case it.Article != nil && it.Kind == content.KindArticle:
		row.Summary = it.Article.Title
	case it.Image != nil && it.Kind == content.KindImage:
		row.Summary = fmt.Sprintf("%s %d×%d", it.Image.Format, it.Image.Width, it.Image.Height)
	}
	return row
}

// itemKindName is the Chinese name of an item kind.
func itemKindName(k content.ItemKind) string {
	switch k {
	case content.KindText:
		return "LED文字"
	case content.KindArticle:
		return "文章"
	case content.KindImage:
		return "图片"
	}
	return ""
}

// Title is the item's summary shortened for a picker or a programme entry.
func (r itemRow) Title() string {
	s := r.Summary
	if r.Kind == content.KindImage && r.Image != nil && r.Image.Alt != "" {
		s = r.Image.Alt
	}
	s = strings.Join(strings.Fields(s), " ")
	if rs := []rune(s); len(rs) > 30 {
		s = string(rs[:30]) + "…"
	}
	return s
}

// expired reports whether the item's validity has ended at now: it never
// plays again.
func expired(it content.Item, now time.Time) bool {
	return !it.ValidUntil.IsZero() && !now.Before(it.ValidUntil)
}

// validityText is the item's validity in Beijing time, "" when unbounded.
func validityText(it content.Item) string {
	if it.ValidFrom.IsZero() && it.ValidUntil.IsZero() {
		return ""
	}
	from, until := "不限", "不限"
	if !it.ValidFrom.IsZero() {
		from = it.ValidFrom.In(shanghai).Format("2006-01-02 15:04")
	}
	if !it.ValidUntil.IsZero() {
		until = it.ValidUntil.In(shanghai).Format("2006-01-02 15:04")
	}
	return from + " 至 " + until
}

type libraryData struct {
	Items    []itemRow
	CanWrite bool // the account may write items (and schedule messages)
	// The filter as asked: kind (text, image, article), tag, words, and
	// whether expired items are listed; Tags are every tag with its count.
	Kind, Tag, Q string
	Expired      bool
	Tags         []tagCount
	Total        int // items in the library, before the filter
}

type tagCount struct {
	Tag   string
	Count int
}

// libraryPage lists the library's items, filtered by kind, tag and words
// (ID, message, title, alt text, tags), newest IDs not first but in ID
// order so that a list reads the same every time.
func (c *Console) libraryPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	set, _, err := c.cfg.Library.Set(r.Context())
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	q := r.URL.Query()
	d := libraryData{CanWrite: rc.acct.Role != fleet.StaffViewer, Kind: q.Get("kind"), Tag: strings.TrimSpace(q.Get("tag")),
		Q: strings.TrimSpace(q.Get("q")), Expired: q.Get("expired") == "1", Total: len(set.Items)}
	now := c.now()
	counts := map[string]int{}
	words := strings.Fields(strings.ToLower(d.Q))
	for _, it := range set.Items {
		for _, t := range it.Tags {
			counts[t]++
		}
		row := itemRowOf(it, now)
		if (d.Kind != "" && string(it.Kind) != d.Kind) || (d.Tag != "" && !slices.Contains(it.Tags, d.Tag)) ||
			(row.Expired && !d.Expired && d.Q == "") {
			continue
		}
		hay := strings.ToLower(it.ID + " " + row.Summary + " " + strings.Join(it.Tags, " "))
		if slices.ContainsFunc(words, func(w string) bool { return !strings.Contains(hay, w) }) {
			continue
		}
		d.Items = append(d.Items, row)
	}
	for t, n := range counts {
		d.Tags = append(d.Tags, tagCount{t, n})
	}
	slices.SortFunc(d.Tags, func(a, b tagCount) int { return strings.Compare(a.Tag, b.Tag) })
	slices.SortFunc(d.Items, func(a, b itemRow) int { return strings.Compare(a.ID, b.ID) })
	c.page(w, r, rc, http.StatusOK, "library", "内容库", "library", d)
}

// msgForm is the "write an LED message" form.
type msgForm struct {
	ID, Body, Colour, Effect, Speed, Stay, Tags, Target string
}

func readMsgForm(r *http.Request) msgForm {
	return msgForm{ID: trimmed(r, "id"), Body: strings.TrimSpace(strings.ReplaceAll(r.FormValue("body"), "\r\n", "\n")),
		Colour: trimmed(r, "colour"), Effect: trimmed(r, "effect"), Speed: trimmed(r, "speed"), Stay: trimmed(r, "stay"),
		Tags: trimmed(r, "tags"), Target: strings.TrimSuffix(trimmed(r, "target"), "/")}
}

var colours = []option{{"red", "红色"}, {"green", "绿色"}, {"yellow", "黄色"}}
var effects = []option{{"static", "静止"}, {"scroll_left", "左移入"}, {"continuous_left", "连续左滚动（跑马灯）"},
	{"scroll_up", "上移入"}, {"flash", "闪烁"}, {"typewriter", "逐字出现"}}

type option struct{ Value, Label string }

// text checks the form's message fields and returns the content text;
// errs gets a Chinese message per bad field.
func (f msgForm) text(errs map[string]string) content.Text {
	t := content.Text{Body: f.Body, Colour: content.Colour(f.Colour), Effect: content.Effect(f.Effect)}
	if t.Colour == "" {
		t.Colour = content.ColourRed
	}
	if !slices.ContainsFunc(colours, func(o option) bool { return o.Value == string(t.Colour) }) {
		errs["colour"] = "请选择颜色：红色、绿色或黄色"
	}
	if t.Effect == "" {
		t.Effect = content.EffectStatic
	}
	if !slices.ContainsFunc(effects, func(o option) bool { return o.Value == string(t.Effect) }) {
		errs["effect"] = "请选择一种显示效果"
	}
	switch n := utf8.RuneCountInString(f.Body); {
	case f.Body == "":
		errs["body"] = "请输入要播放的文字"
	case !utf8.ValidString(f.Body):
		errs["body"] = "文字编码有误，请重新输入"
	case n > content.MaxTextRunes:
		errs["body"] = fmt.Sprintf("文字共 %d 字，超过 %d 字的上限，请删减或拆分为多条", n, content.MaxTextRunes)
	}
	if f.Speed != "" {
		v, err := strconv.Atoi(f.Speed)
		if err != nil || v < 1 || v > 8 {
			errs["speed"] = "速度须为1（最慢）到8（最快）"
		}
		t.Speed = v
	}
	if f.Stay != "" {
		v, err := strconv.Atoi(f.Stay)
		if err != nil || v < 1 || v > 600 {
			errs["stay"] = "停留时间须为1到600秒"
		}
		t.StaySeconds = v
	}
	return t
}

// query is the form's message as URL parameters (preview images).
func (f msgForm) query() url.Values {
	return url.Values{"body": {f.Body}, "colour": {f.Colour}, "effect": {f.Effect}, "speed": {f.Speed}, "stay": {f.Stay}}
}

// msgFormOf is the form of a stored LED text (its message fields only).
func msgFormOf(t content.Text) msgForm {
	f := msgForm{Body: t.Body, Colour: string(t.Colour), Effect: string(t.Effect)}
	if t.Speed > 0 {
		f.Speed = strconv.Itoa(t.Speed)
	}
	if t.StaySeconds > 0 {
		f.Stay = strconv.Itoa(t.StaySeconds)
	}
	return f
}

// previewURL is the address of one page of the form's message on one
// board model and size (previewPNG draws it).
func (f msgForm) previewURL(spec boardSpec, page, scale int) string {
	q := f.query()
	q.Set("board", spec.Key())
	q.Set("scale", strconv.Itoa(scale))
	q.Set("page", strconv.Itoa(page))
	return "/library/preview.png?" + q.Encode()
}

// preview is one board variant's rendering for the page and the JSON.
type preview struct {
	Label   string   `json:"label"`
	Board   string   `json:"board"`
	Count   int      `json:"devices"`
	Devices []string `json:"device_ids"`
	Pages   []string `json:"pages"` // image URLs, one per page
	Error   string   `json:"error,omitempty"`
	Width   int      `json:"width"`  // of each image, pixels
	Height  int      `json:"height"` // of each image, pixels
	Scroll  bool     `json:"scroll"`
	// For the page's motion demo: dots per second a scroll moves
	// (approximate: the card's firmware sets the real pace) and seconds a
	// page stays.
	DotsPerSecond int     `json:"dots_per_second"`
	StaySeconds   float64 `json:"stay_seconds"`
	Scale         int     `json:"scale"` // image pixels per dot
}

// pagesFor renders text exactly as the board would show it: the driver's
// own command (display.Board.Command, as Show would send it); a picture
// controller's pages are its dots, a font card's text is drawn as the
// virtual board draws it (16-dot font standing in for the card's GB2312
// font). Errors are the driver's: text outside GB2312 on a font card, text
// too long for the board.
func (c *Console) pagesFor(spec boardSpec, t content.Text) ([]*dots.Bitmap, error) {
	return c.messagePages(spec, display.MessageOf(t))
}

// messagePages renders m on one board model and size through the driver's
// own command: what pagesFor and the notice preview show.
func (c *Console) messagePages(spec boardSpec, m display.Message) ([]*dots.Bitmap, error) {
	b, err := display.NewBoard(display.Config{Model: spec.Model, Width: spec.W, Height: spec.H, Colors: spec.Colors, Fonts: c.cfg.Fonts, Name: spec.Model.Label})
	if err != nil {
		return nil, err
	}
	cmd, err := b.Command(display.Area{}, m)
	if err != nil {
		return nil, err
	}
	switch cmd := cmd.(type) {
	case bx.PictureUpdate:
		out := make([]*dots.Bitmap, len(cmd.Area.Pages))
		for i, p := range cmd.Area.Pages {
			out[i] = p.Bitmap
		}
		return out, nil
	case bx.TextUpdate:
		return virtual.DrawText(c.cfg.Fonts, cmd.Areas[0], spec.Colors)
	}
	return nil, fmt.Errorf("console: unexpected LED command %T", cmd)
}

// previewError says in Chinese why a board cannot show the text.
func previewError(spec boardSpec, t content.Text, err error) string {
	switch {
	case errors.Is(err, display.ErrNeedsPicture):
		bad := bx.NotInGB2312(t.Body)
		s := make([]string, len(bad))
		for i, r := range bad {
			s[i] = "“" + string(r) + "”"
		}
		return fmt.Sprintf("%s 是字库卡，显示不了这些字：%s。请替换这些字，或为该屏改用 BX-5E/6E 图片控制卡。", spec.Model.Label, strings.Join(s, "、"))
	case errors.Is(err, display.ErrTooLong):
		return fmt.Sprintf("文字太长，%s %d×%d 的屏放不下。请删减文字、改用“连续左滚动”，或分成几条。", spec.Model.Label, spec.W, spec.H)
	case errors.Is(err, render.ErrFontMissing):
		return "服务器缺少预览用的字体（unifont、文泉驿），请联系系统管理员安装。"
	}
	var me *render.MissingGlyphsError
	if errors.As(err, &me) {
		s := make([]string, len(me.Runes))
		for i, r := range me.Runes {
			s[i] = fmt.Sprintf("“%c”（U+%04X）", r, r)
		}
		return fmt.Sprintf("%s 的屏用的字体里没有这些字：%s。请换用常用字或删去这些字。", spec.Model.Label, strings.Join(s, "、"))
	}
	return "无法生成预览：" + err.Error()
}

// demoPace is the motion of the preview's demo: a scroll's speed in dots
// per second (content speed 1 slowest … 8 fastest, 0 the board's default;
// an approximation of the card's pace, which its firmware sets) and how
// long each page stays (display.DefaultStay unless the text says).
func demoPace(t content.Text) (dotsPerSecond int, stay float64) {
	speed := t.Speed
	if speed < 1 || speed > 8 {
		speed = 4
	}
	stay = display.DefaultStay.Seconds()
	if t.StaySeconds > 0 {
		stay = float64(t.StaySeconds)
	}
	return 8 * speed, stay
}

// scaleFor picks how many pixels a dot takes in the page's preview.
func scaleFor(w int) int { return max(3, min(8, 640/max(w, 1))) }

// previews renders the form's text for every board variant among the LED
// devices in target.
func (c *Console) previews(ctx context.Context, f msgForm, t content.Text, target string) ([]preview, error) {
	devs, err := c.cfg.Registry.Devices(ctx, fleet.Filter{Region: target, Kind: fleet.KindLED})
	if err != nil {
		return nil, err
	}
	var out []preview
	for _, v := range variantsOf(devs) {
		p := preview{Label: v.Spec.Label(), Board: v.Spec.Key(), Count: v.Count, Devices: v.Devices, Pages: []string{}}
		pages, err := c.pagesFor(v.Spec, t)
		if err != nil {
			p.Error = previewError(v.Spec, t, err)
		} else {
			s := scaleFor(v.Spec.W)
			p.Width, p.Height, p.Scale = v.Spec.W*s, v.Spec.H*s, s
			p.Scroll = t.Effect == content.EffectContinuous || t.Effect == content.EffectScrollLeft
			p.DotsPerSecond, p.StaySeconds = demoPace(t)
			for i := range pages {
				p.Pages = append(p.Pages, f.previewURL(v.Spec, i, s))
			}
		}
		out = append(out, p)
	}
	return out, nil
}

type messageData struct {
	Form     msgForm
	Errors   map[string]string
	Previews []preview
	Colours  []option
	Effects  []option
	Targets  []option
	Editing  bool
	Problem  string
	// CanSchedule shows "排期播放" on a saved message (not for viewers).
	CanSchedule bool
}

// targets lists the regions the account may preview against: its scope
// and every township and village with LED boards in it.
func (c *Console) targets(ctx context.Context, acct fleet.Account) ([]option, error) {
	devs, err := c.cfg.Registry.Devices(ctx, fleet.Filter{Region: acct.Scope(), Kind: fleet.KindLED})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var paths []string
	for _, d := range devs {
		parts := strings.Split(d.Region, "/")
		for n := 1; n <= min(3, len(parts)); n++ {
			p := strings.Join(parts[:n], "/")
			if !seen[p] && acct.CanSee(p) {
				seen[p] = true
				paths = append(paths, p)
			}
		}
	}
	slices.Sort(paths)
	var out []option
	if acct.Scope() == "" {
		out = append(out, option{"", "全部LED屏"})
	}
	for _, p := range paths {
		out = append(out, option{p, p})
	}
	if len(out) == 0 {
		out = append(out, option{acct.Scope(), acct.Scope()})
	}
	return out, nil
}

func (c *Console) messagePage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	f := msgForm{Colour: "red", Effect: "static", Target: rc.acct.Scope()}
	d := messageData{Errors: map[string]string{}}
	if id := trimmed(r, "id"); id != "" {
		set, _, err := c.cfg.Library.Set(r.Context())
		if err != nil {
			c.internal(w, r, rc, err)
			return
		}
		i := slices.IndexFunc(set.Items, func(it content.Item) bool { return it.ID == id })
		if i < 0 || set.Items[i].Kind != content.KindText || set.Items[i].Text == nil {
			c.errorPage(w, r, rc, http.StatusNotFound, "素材不存在", "没有编号为“"+id+"”的LED文字素材。")
			return
		}
		it := set.Items[i]
		f = msgFormOf(*it.Text)
		f.ID, f.Tags, f.Target = it.ID, strings.Join(it.Tags, "，"), rc.acct.Scope()
		d.Editing = true
		d.CanSchedule = rc.acct.Role != fleet.StaffViewer
	}
	d.Form = f
	c.showMessage(w, r, rc, http.StatusOK, d, f.Body != "")
}

func (c *Console) showMessage(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, d messageData, withPreview bool) {
	var err error
	d.Colours, d.Effects = colours, effects
	if d.Targets, err = c.targets(r.Context(), rc.acct); err != nil {
		c.internal(w, r, rc, err)
		return
	}
	if withPreview && d.Previews == nil {
		t := d.Form.text(map[string]string{})
		if d.Previews, err = c.previews(r.Context(), d.Form, t, d.Form.Target); err != nil {
			c.internal(w, r, rc, err)
			return
		}
	}
	c.page(w, r, rc, status, "message", "编写LED文字", "library", d)
}

// splitTags reads tags separated by commas (either width) or spaces.
func splitTags(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ' ' || r == '\u3000' })
}

// itemFieldOf maps a content problem's field to the form's.
func itemFieldOf(field string) string {
	switch {
	case strings.HasSuffix(field, "text.body"), strings.HasSuffix(field, "text"):
		return "body"
	case strings.HasSuffix(field, "text.colour"):
		return "colour"
	case strings.HasSuffix(field, "text.effect"):
		return "effect"
	case strings.HasSuffix(field, "text.speed"):
		return "speed"
	case strings.HasSuffix(field, "text.stay_seconds"):
		return "stay"
	case strings.Contains(field, "tags"):
		return "tags"
	case strings.HasSuffix(field, "valid_from"):
		return "valid_from"
	case strings.HasSuffix(field, "valid_until"):
		return "valid_until"
	case strings.HasSuffix(field, "id"):
		return "id"
	}
	return ""
}

func (c *Console) saveMessage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	f := readMsgForm(r)
	errs := map[string]string{}
	d := messageData{Form: f, Errors: errs, Editing: r.PostFormValue("editing") == "1"}
	if f.Target != "" && !rc.acct.CanSee(f.Target) {
		errs["target"] = "只能预览本乡镇（" + rc.acct.Township + "）的LED屏"
		f.Target = rc.acct.Scope()
		d.Form.Target = f.Target
	}
	if f.Target == "" && rc.acct.Scope() != "" {
		f.Target = rc.acct.Scope()
		d.Form.Target = f.Target
	}
	t := f.text(errs)
	previews, err := c.previews(r.Context(), f, t, f.Target)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	d.Previews = previews
	if r.PostFormValue("action") != "save" {
		status := http.StatusOK
		if len(errs) > 0 {
			status = http.StatusBadRequest
		}
		c.showMessage(w, r, rc, status, d, false)
		return
	}
	if !rc.acct.CanAct(f.Target) {
		c.deny(w, r, rc, f.ID, f.Target, "只读账号不能保存内容。")
		return
	}
	if f.ID == "" {
		errs["id"] = "请填写素材编号，例如 xianfa-2026-1（字母、数字、点、下划线或连字符）"
	}
	for _, p := range previews {
		if p.Error != "" && errs["body"] == "" {
			errs["body"] = p.Error
		}
	}
	it := content.NewText(f.ID, 1, t)
	it.Tags = splitTags(f.Tags)
	if len(errs) == 0 {
		if err := (&content.Set{Items: []content.Item{it}}).Validate(); err != nil {
			problemsToFields(err, errs)
		}
	}
	// A township operator writes new items and changes only those they
	// wrote first; the county's items are read-only to them.
	var before string
	if len(errs) == 0 {
		hist, err := c.store.ContentHistory(r.Context(), fleet.RecordItem, f.ID)
		if err != nil {
			c.internal(w, r, rc, err)
			return
		}
		if len(hist) > 0 {
			if !rc.acct.Admin() && hist[0].Author != rc.acct.Username {
				c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditDenied, Target: f.ID, Region: f.Target, Outcome: fleet.OutcomeDenied,
					Summary: "乡镇操作员试图修改非本人创建的素材"})
				errs["id"] = "该编号的素材由" + hist[0].Author + "创建，您不能修改；请换一个新编号"
			} else if !d.Editing {
				errs["id"] = "该编号已有素材。如要修改，请从内容库点“修改”；否则请换一个编号"
			} else if last := hist[len(hist)-1]; last.Body != nil {
				before = string(last.Body)
				// The form has no validity fields: a change keeps the
				// validity the item has.
				var prev content.Item
				if json.Unmarshal(last.Body, &prev) == nil {
					it.ValidFrom, it.ValidUntil = prev.ValidFrom, prev.ValidUntil
				}
			}
		}
	}
	if len(errs) > 0 {
		c.showMessage(w, r, rc, http.StatusBadRequest, d, false)
		return
	}
	stored, err := c.cfg.Library.PutItem(r.Context(), rc.acct.Username, it)
	if err != nil {
		if problemsToFields(err, errs) {
			c.showMessage(w, r, rc, http.StatusBadRequest, d, false)
			return
		}
		c.internal(w, r, rc, err)
		return
	}
	c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditContent, Target: stored.ID, Region: f.Target,
		Summary: fmt.Sprintf("保存LED文字 %s（第%d版）", stored.ID, stored.Version), Before: before, After: t.Body})
	http.Redirect(w, r, "/library?done=saved", http.StatusSeeOther)
}

// problemsToFields puts content problems and field errors beside their
// form fields; it reports whether err was such an error.
func problemsToFields(err error, errs map[string]string) bool {
	var (
		ps content.Problems
		fe *fleet.FieldError
		e  *fleet.Error
	)
	switch {
	case errors.As(err, &ps) && len(ps) > 0:
		problemsBeside(ps, errs, itemFieldOf)
		return true
	case errors.As(err, &fe):
		f := itemFieldOf(fe.Field)
		errs[f] = fe.Err.Zh
		return true
	case errors.As(err, &e) && e.Code == fleet.ErrInvalid.Code:
		errs[""] = e.Zh
		return true
	}
	return false
}

// problemsBeside puts each content problem beside the form field that
// fieldOf names for it; the first problem of a field is the one shown.
func problemsBeside(ps content.Problems, errs map[string]string, fieldOf func(string) string) {
	for _, p := range ps {
		if f := fieldOf(p.Field); errs[f] == "" {
			errs[f] = p.Message
		}
	}
}

// previewJSON answers the live preview: one entry per board variant among
// the targeted devices, with image URLs or the error.
func (c *Console) previewJSON(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	f := readMsgForm(r)
	errs := map[string]string{}
	if f.Target == "" {
		f.Target = rc.acct.Scope()
	}
	if !rc.acct.CanSee(f.Target) {
		errs["target"] = "只能预览本乡镇（" + rc.acct.Township + "）的LED屏"
		f.Target = rc.acct.Scope()
	}
	t := f.text(errs)
	out := struct {
		Errors   map[string]string `json:"errors"`
		Previews []preview         `json:"previews"`
	}{Errors: errs, Previews: []preview{}}
	if errs["body"] == "" {
		ps, err := c.previews(r.Context(), f, t, f.Target)
		if err != nil {
			c.internal(w, r, rc, err)
			return
		}
		out.Previews = ps
	}
	writeJSON(w, http.StatusOK, out)
}

// previewPNG draws one page of the message on one board model and size:
// the exact dots, each drawn as a round LED (scale >= 3) or as one pixel
// (scale=1).
func (c *Console) previewPNG(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	f := readMsgForm(r)
	errs := map[string]string{}
	t := f.text(errs)
	spec, err := parseSpec(r.FormValue("board"))
	if len(errs) > 0 || err != nil {
		c.errorPage(w, r, rc, http.StatusBadRequest, "无法预览", "预览参数有误，请回到编写页面重新预览。")
		return
	}
	pages, err := c.pagesFor(spec, t)
	c.previewPage(w, r, rc, spec, t, pages, err)
}

// previewPage answers page ?page= of text t rendered on a board of spec
// (pages, or why the board cannot show it) as a PNG at ?scale=.
func (c *Console) previewPage(w http.ResponseWriter, r *http.Request, rc *reqCtx, spec boardSpec, t content.Text, pages []*dots.Bitmap, err error) {
	if err != nil {
		c.errorPage(w, r, rc, http.StatusUnprocessableEntity, "无法预览", previewError(spec, t, err))
		return
	}
	page, _ := strconv.Atoi(r.FormValue("page"))
	if page < 0 || page >= len(pages) {
		c.errorPage(w, r, rc, http.StatusNotFound, "无法预览", "没有这一页。")
		return
	}
	c.writePNG(w, r, rc, pages[page], previewScale(r, spec))
}

// previewScale reads ?scale=, the image pixels a dot takes (1 to 8; the
// page's own choice for spec otherwise).
func previewScale(r *http.Request, spec boardSpec) int {
	scale, _ := strconv.Atoi(r.FormValue("scale"))
	if scale < 1 || scale > 8 {
		scale = scaleFor(spec.W)
	}
	return scale
}

// writePNG answers the exact dots of a preview, each drawn as a round LED
// (scale >= 3) or as one pixel (scale=1).
func (c *Console) writePNG(w http.ResponseWriter, r *http.Request, rc *reqCtx, bm *dots.Bitmap, scale int) {
	var buf bytes.Buffer
	if err := render.PNG(&buf, bm, render.PNGOptions{Scale: scale, Round: scale >= 3}); err != nil {
		c.internal(w, r, rc, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=300")
	_, _ = w.Write(buf.Bytes())
}
