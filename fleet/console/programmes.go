package console

// Programmes (issue 6): the ordered items a schedule plays, each with its
// airtime. Staff list them, write new ones and change them in a form that
// works without JavaScript (every add, remove and move is a server-side
// form action), validated by the content package's authoring checks and
// stored through fleet.Library (one transaction: nothing half-saved). A
// saved LED message can be scheduled in one step ("排期播放"): a one-entry
// programme is made (or reused) and the new-schedule form opens with it.
//
// Roles: administrators everything; township operators write programmes
// and change only those whose first version they wrote (the Library's
// record author); viewers read. Refusals are 403 and audited.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"lawpoint/content"
	"lawpoint/fleet"
)

func init() {
	pageNames = append(pageNames, "programmes", "programme_form")
}

const (
	// maxProgrammeName bounds a programme's name (characters).
	maxProgrammeName = 64
	// defaultEntrySeconds is the airtime a new entry starts with.
	defaultEntrySeconds = 30
	// thumbScale is the pixels per LED dot of an entry's preview thumbnail.
	thumbScale = 2
)

func (c *Console) programmeRoutes() {
	m := c.mux
	m.HandleFunc("GET /programmes", c.signedIn(c.programmesPage))
	m.HandleFunc("GET /programmes/edit", c.signedIn(c.programmeFormPage))
	m.HandleFunc("POST /programmes/edit", c.signedIn(c.postProgramme))
	m.HandleFunc("POST /programmes/quick", c.signedIn(c.scheduleMessage))
}

// entryView is one programme entry as the pages show it.
type entryView struct {
	Index    int
	ItemID   string
	Seconds  string
	KindName string
	Title    string
	Missing  bool // no such item in the library
	Expired  bool
	// Thumb is the first page of an LED text on the account's first board
	// model (previewPNG), or ThumbErr says why that board cannot show it.
	Thumb           string
	ThumbW, ThumbH  int
	ThumbErr        string
	First, Last     bool
	IsText, IsImage bool
	SHA256          string
}

// programmeRow is one programme in the list.
type programmeRow struct {
	ID, Name  string
	Entries   []entryView
	Total     string
	Schedules []option // schedules that play it: ID, name
	Fallback  []string // device kinds that fall back to it
	Author    string
	CanEdit   bool
}

type programmesData struct {
	Programmes []programmeRow
	CanWrite   bool
	Flash      string
}

// durationText says a loop length in Chinese: 45秒, 2分05秒, 1小时02分.
func durationText(sec int) string {
	switch {
	case sec < 60:
		return fmt.Sprintf("%d秒", sec)
	case sec < 3600:
		return fmt.Sprintf("%d分%02d秒", sec/60, sec%60)
	}
	return fmt.Sprintf("%d小时%02d分%02d秒", sec/3600, sec%3600/60, sec%60)
}

// programmeAuthor is who wrote the programme's first version ("" when none
// is stored): the Library keeps every version with its author.
func (c *Console) programmeAuthor(ctx context.Context, id string) (string, error) {
	hist, err := c.store.ContentHistory(ctx, fleet.RecordProgramme, id)
	if err != nil || len(hist) == 0 {
		return "", err
	}
	return hist[0].Author, nil
}

// mayEditProgramme: administrators every programme, operators those they
// wrote first, viewers none.
func mayEditProgramme(acct fleet.Account, author string) bool {
	return acct.Admin() || acct.Role == fleet.StaffOperator && author == acct.Username
}

// itemIndex maps item IDs to their rows.
func itemIndex(set *content.Set, now time.Time) map[string]itemRow {
	m := make(map[string]itemRow, len(set.Items))
	for _, it := range set.Items {
		m[it.ID] = itemRowOf(it, now)
	}
	return m
}

// entryViewOf describes entry i of a programme.
func entryViewOf(i int, itemID, seconds string, items map[string]itemRow) entryView {
	e := entryView{Index: i, ItemID: itemID, Seconds: seconds}
	row, ok := items[itemID]
	if !ok {
		e.Missing, e.KindName, e.Title = true, "—", "（内容库中没有这条素材）"
		return e
	}
	e.KindName, e.Title, e.Expired = row.KindName, row.Title(), row.Expired
	e.IsText, e.IsImage, e.SHA256 = row.Kind == content.KindText, row.Kind == content.KindImage && row.Image != nil, row.SHA256
	return e
}

func (c *Console) programmesPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	ctx := r.Context()
	set, _, err := c.cfg.Library.Set(ctx)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	items := itemIndex(set, c.now())
	d := programmesData{CanWrite: rc.acct.Role != fleet.StaffViewer}
	for _, p := range set.Programmes {
		row := programmeRow{ID: p.ID, Name: p.Name}
		total := 0
		for i, e := range p.Entries {
			row.Entries = append(row.Entries, entryViewOf(i, e.ItemID, strconv.Itoa(e.Seconds), items))
			total += e.Seconds
		}
		row.Total = durationText(total)
		for _, s := range set.Schedules {
			if s.ProgrammeID == p.ID && visibleTo(rc.acct, s.Target) {
				row.Schedules = append(row.Schedules, option{s.ID, s.Name})
			}
		}
		for _, kind := range content.DeviceKinds {
			if set.Fallbacks[kind] == p.ID {
				row.Fallback = append(row.Fallback, fleet.Kind(kind).Label())
			}
		}
		if row.Author, err = c.programmeAuthor(ctx, p.ID); err != nil {
			c.internal(w, r, rc, err)
			return
		}
		row.CanEdit = mayEditProgramme(rc.acct, row.Author)
		d.Programmes = append(d.Programmes, row)
	}
	slices.SortFunc(d.Programmes, func(a, b programmeRow) int { return strings.Compare(a.ID, b.ID) })
	if r.URL.Query().Get("done") == "unchanged" {
		d.Flash = "节目没有改动，未生成新版本。"
	}
	c.page(w, r, rc, http.StatusOK, "programmes", "节目", "programmes", d)
}

// entryForm is one entry as typed.
type entryForm struct{ ItemID, Seconds string }

// progForm is the programme form as typed.
type progForm struct {
	ID, Name            string
	Entries             []entryForm
	NewItem, NewSeconds string
}

func formOfProgramme(p content.Programme) progForm {
	f := progForm{ID: p.ID, Name: p.Name, NewSeconds: strconv.Itoa(defaultEntrySeconds)}
	for _, e := range p.Entries {
		f.Entries = append(f.Entries, entryForm{e.ItemID, strconv.Itoa(e.Seconds)})
	}
	return f
}

func readProgForm(r *http.Request) progForm {
	_ = r.ParseForm()
	f := progForm{ID: trimmed(r, "id"), Name: trimmed(r, "name"), NewItem: trimmed(r, "new_item"), NewSeconds: trimmed(r, "new_seconds")}
	items, secs := r.PostForm["item"], r.PostForm["seconds"]
	for i, id := range items {
		e := entryForm{ItemID: strings.TrimSpace(id)}
		if i < len(secs) {
			e.Seconds = strings.TrimSpace(secs[i])
		}
		f.Entries = append(f.Entries, e)
	}
	return f
}

// apply carries out a form action other than save: add the picked item,
// remove, move up or move down entry N. It reports whether action was one.
func (f *progForm) apply(action string, errs map[string]string) bool {
	if action == "add" {
		if f.NewItem == "" {
			errs["new_item"] = "请先选择要添加的素材"
			return true
		}
		secs := f.NewSeconds
		if secs == "" {
			secs = strconv.Itoa(defaultEntrySeconds)
		}
		f.Entries = append(f.Entries, entryForm{f.NewItem, secs})
		f.NewItem = ""
		return true
	}
	verb, n, ok := strings.Cut(action, "-")
	i, err := strconv.Atoi(n)
	if !ok || err != nil || i < 0 || i >= len(f.Entries) {
		return false
	}
	switch verb {
	case "remove":
		f.Entries = slices.Delete(f.Entries, i, i+1)
	case "up":
		if i > 0 {
			f.Entries[i-1], f.Entries[i] = f.Entries[i], f.Entries[i-1]
		}
	case "down":
		if i+1 < len(f.Entries) {
			f.Entries[i], f.Entries[i+1] = f.Entries[i+1], f.Entries[i]
		}
	default:
		return false
	}
	return true
}

// programme turns the form into a content.Programme; errs gets a Chinese
// message per field the form itself can tell is wrong (the rest is the
// content package's).
func (f progForm) programme(errs map[string]string) content.Programme {
	p := content.Programme{ID: f.ID, Name: f.Name, Entries: []content.Entry{}}
	switch n := utf8.RuneCountInString(f.Name); {
	case n == 0:
		errs["name"] = "请填写节目名称，例如“宪法宣传周”"
	case n > maxProgrammeName:
		errs["name"] = fmt.Sprintf("节目名称共 %d 字，不能超过 %d 字", n, maxProgrammeName)
	}
	for i, e := range f.Entries {
		secs, err := strconv.Atoi(e.Seconds)
		if err != nil {
			errs[fmt.Sprintf("seconds-%d", i)] = fmt.Sprintf("播放时长须为整数秒（1 到 %d）", content.MaxEntrySeconds)
		}
		p.Entries = append(p.Entries, content.Entry{ItemID: e.ItemID, Seconds: secs})
	}
	return p
}

var (
	programmeFieldRE = regexp.MustCompile(`^programmes\[([^\]]*)\](?:\.(.*))?$`)
	entryFieldRE     = regexp.MustCompile(`^entries\[(\d+)\]\.(item_id|seconds)$`)
)

// programmeProblems puts the content problems of programme p (at index i
// of the checked set) beside the form's fields; problems elsewhere go to
// the top of the form. It reports whether err was content problems.
func programmeProblems(err error, p content.Programme, i int, errs map[string]string) bool {
	var ps content.Problems
	if !errors.As(err, &ps) || len(ps) == 0 {
		m := map[string]string{}
		if !problemsToFields(err, m) {
			return false
		}
		for _, v := range m {
			if v != "" && errs[""] == "" {
				errs[""] = v
			}
		}
		return true
	}
	for _, pr := range ps {
		field := ""
		if m := programmeFieldRE.FindStringSubmatch(pr.Field); m != nil && (m[1] == p.ID || m[1] == "#"+strconv.Itoa(i)) {
			switch sub := m[2]; {
			case sub == "id":
				field = "id"
			case sub == "entries":
				field = "entries"
			case entryFieldRE.MatchString(sub):
				em := entryFieldRE.FindStringSubmatch(sub)
				field = map[string]string{"item_id": "item-", "seconds": "seconds-"}[em[2]] + em[1]
			}
		}
		if errs[field] == "" {
			errs[field] = pr.Message
		}
	}
	return true
}

// checkProgramme runs the content package's authoring checks on the
// current set with p added (or replacing the programme of its ID), and
// refuses entries whose items have expired: they would never play.
func (c *Console) checkProgramme(set *content.Set, p content.Programme, errs map[string]string) {
	cand := *set
	cand.Programmes = slices.Clone(set.Programmes)
	i := slices.IndexFunc(cand.Programmes, func(x content.Programme) bool { return x.ID == p.ID })
	if i >= 0 {
		cand.Programmes[i] = p
	} else {
		i = len(cand.Programmes)
		cand.Programmes = append(cand.Programmes, p)
	}
	if err := cand.Validate(); err != nil {
		programmeProblems(err, p, i, errs)
	}
	now := c.now()
	for j, e := range p.Entries {
		k := slices.IndexFunc(set.Items, func(it content.Item) bool { return it.ID == e.ItemID })
		if field := fmt.Sprintf("item-%d", j); k >= 0 && expired(set.Items[k], now) && errs[field] == "" {
			errs[field] = fmt.Sprintf("素材“%s”已于 %s 过期，不会再播放；请移除或换用其他素材",
				e.ItemID, set.Items[k].ValidUntil.In(shanghai).Format("2006-01-02 15:04"))
		}
	}
}

// programmeIDFor makes a programme ID from its name: "prog-" and the
// name's Latin letters and digits, or random hex digits when it has none
// (a Chinese name), with "-2", "-3"... if the ID is taken.
func programmeIDFor(name string, taken func(string) bool) string {
	base := "prog-" + slugOf(name)
	if base == "prog-" {
		base = newID("prog-")
	}
	return uniqueID(base, taken)
}

// slugOf is name's Latin letters and digits in lower case, other runs of
// characters as one '-', trimmed: "Xianfa Week 2026" is xianfa-week-2026,
// a Chinese name is "".
func slugOf(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

// uniqueID is base (cut to leave room for a suffix) or base-N, whichever is
// first free.
func uniqueID(base string, taken func(string) bool) string {
	if len(base) > 58 {
		base = strings.TrimRight(base[:58], "-._")
	}
	id := base
	for n := 2; taken(id); n++ {
		id = base + "-" + strconv.Itoa(n)
	}
	return id
}

type progFormData struct {
	Form    progForm
	Entries []entryView
	Errors  map[string]string
	Editing bool
	Items   []option // every item of the library: ID, "[kind] title（ID）"
	Total   string
	UsedBy  []option // schedules playing the programme
	Board   string   // the board model and size of the thumbnails
}

// showProgrammeForm renders the form with the library's items, entry
// details and LED thumbnails.
func (c *Console) showProgrammeForm(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, d progFormData) {
	ctx := r.Context()
	set, _, err := c.cfg.Library.Set(ctx)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	now := c.now()
	items := itemIndex(set, now)
	rows := make([]itemRow, 0, len(items))
	for _, row := range items {
		rows = append(rows, row)
	}
	slices.SortFunc(rows, func(a, b itemRow) int { return strings.Compare(a.ID, b.ID) })
	for _, row := range rows {
		label := "[" + row.KindName + "] " + row.Title() + "（" + row.ID + "）"
		if row.Expired {
			label += "（已过期）"
		}
		d.Items = append(d.Items, option{row.ID, label})
	}
	devs, err := c.cfg.Registry.Devices(ctx, fleet.Filter{Region: rc.acct.Scope(), Kind: fleet.KindLED})
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	spec := variantsOf(devs)[0].Spec
	d.Board = spec.Label()
	total := 0
	for i, e := range d.Form.Entries {
		v := entryViewOf(i, e.ItemID, e.Seconds, items)
		v.First, v.Last = i == 0, i == len(d.Form.Entries)-1
		if s, err := strconv.Atoi(e.Seconds); err == nil && s > 0 {
			total += s
		}
		if v.IsText {
			if it := items[e.ItemID].Item; it.Text != nil {
				if _, err := c.pagesFor(spec, *it.Text); err != nil {
					v.ThumbErr = previewError(spec, *it.Text, err)
				} else {
					v.Thumb = msgFormOf(*it.Text).previewURL(spec, 0, thumbScale)
					v.ThumbW, v.ThumbH = spec.W*thumbScale, spec.H*thumbScale
				}
			}
		}
		d.Entries = append(d.Entries, v)
	}
	d.Total = durationText(total)
	if d.Editing {
		for _, s := range set.Schedules {
			if s.ProgrammeID == d.Form.ID && visibleTo(rc.acct, s.Target) {
				d.UsedBy = append(d.UsedBy, option{s.ID, s.Name})
			}
		}
	}
	title := "新建节目"
	if d.Editing {
		title = "修改节目 " + d.Form.ID
	}
	c.page(w, r, rc, status, "programme_form", title, "programmes", d)
}

func (c *Console) findProgramme(ctx context.Context, id string) (content.Programme, bool, error) {
	set, _, err := c.cfg.Library.Set(ctx)
	if err != nil {
		return content.Programme{}, false, err
	}
	i := slices.IndexFunc(set.Programmes, func(p content.Programme) bool { return p.ID == id })
	if i < 0 {
		return content.Programme{}, false, nil
	}
	return set.Programmes[i], true, nil
}

// mayChangeProgramme refuses (403, audited) an account that may not change
// the stored programme id.
func (c *Console) mayChangeProgramme(w http.ResponseWriter, r *http.Request, rc *reqCtx, id string) bool {
	author, err := c.programmeAuthor(r.Context(), id)
	if err != nil {
		c.internal(w, r, rc, err)
		return false
	}
	if !mayEditProgramme(rc.acct, author) {
		c.deny(w, r, rc, id, rc.acct.Scope(), "节目“"+id+"”由"+author+"创建，乡镇操作员只能修改自己创建的节目。")
		return false
	}
	return true
}

func (c *Console) programmeFormPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if rc.acct.Role == fleet.StaffViewer {
		c.deny(w, r, rc, "programme", "", "只读账号不能编辑节目。")
		return
	}
	d := progFormData{Form: progForm{NewSeconds: strconv.Itoa(defaultEntrySeconds)}, Errors: map[string]string{}}
	if id := trimmed(r, "id"); id != "" {
		p, ok, err := c.findProgramme(r.Context(), id)
		if err != nil {
			c.internal(w, r, rc, err)
			return
		}
		if !ok {
			c.errorPage(w, r, rc, http.StatusNotFound, "节目不存在", "没有编号为“"+id+"”的节目。")
			return
		}
		if !c.mayChangeProgramme(w, r, rc, id) {
			return
		}
		d.Form, d.Editing = formOfProgramme(p), true
	}
	c.showProgrammeForm(w, r, rc, http.StatusOK, d)
}

// postProgramme carries out the form's action: add, remove-N, up-N and
// down-N change the form on the server and show it again; save validates
// and stores the programme through the Library, then audits what changed.
func (c *Console) postProgramme(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	ctx := r.Context()
	f := readProgForm(r)
	errs := map[string]string{}
	d := progFormData{Form: f, Errors: errs, Editing: r.PostFormValue("editing") == "1"}
	if rc.acct.Role == fleet.StaffViewer {
		c.deny(w, r, rc, f.ID, "", "只读账号不能编辑节目。")
		return
	}
	set, _, err := c.cfg.Library.Set(ctx)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	oi := slices.IndexFunc(set.Programmes, func(p content.Programme) bool { return p.ID == f.ID && f.ID != "" })
	if d.Editing {
		if oi < 0 {
			c.errorPage(w, r, rc, http.StatusNotFound, "节目不存在", "没有编号为“"+f.ID+"”的节目。")
			return
		}
		if !c.mayChangeProgramme(w, r, rc, f.ID) {
			return
		}
	}
	action := r.PostFormValue("action")
	if action != "save" {
		status := http.StatusOK
		if d.Form.apply(action, errs); len(errs) > 0 {
			status = http.StatusBadRequest
		}
		c.showProgrammeForm(w, r, rc, status, d)
		return
	}
	if !d.Editing && oi >= 0 {
		errs["id"] = "该编号已有节目。如要修改，请从节目列表点“修改”；否则请换一个编号（或留空自动生成）"
	}
	p := f.programme(errs)
	if p.ID == "" && !d.Editing {
		p.ID = programmeIDFor(f.Name, func(id string) bool {
			return slices.ContainsFunc(set.Programmes, func(x content.Programme) bool { return x.ID == id })
		})
	}
	c.checkProgramme(set, p, errs)
	if len(errs) > 0 {
		c.showProgrammeForm(w, r, rc, http.StatusBadRequest, d)
		return
	}
	var old *content.Programme
	if oi >= 0 {
		old = &set.Programmes[oi]
		if sameProgramme(*old, p) {
			http.Redirect(w, r, "/programmes?done=unchanged", http.StatusSeeOther)
			return
		}
	}
	if err := c.cfg.Library.PutProgramme(ctx, rc.acct.Username, p); err != nil {
		at := oi
		if at < 0 {
			at = len(set.Programmes)
		}
		if programmeProblems(err, p, at, errs) {
			c.showProgrammeForm(w, r, rc, http.StatusBadRequest, d)
			return
		}
		c.internal(w, r, rc, err)
		return
	}
	items := itemIndex(set, c.now())
	e := fleet.AuditEntry{Action: fleet.AuditContent, Target: p.ID, Region: rc.acct.Scope(), After: programmeText(p, items)}
	if old == nil {
		e.Summary = fmt.Sprintf("新建节目 %s（%s）：%d 条，一轮 %s", p.ID, p.Name, len(p.Entries), durationText(loopSeconds(p)))
	} else {
		e.Summary = fmt.Sprintf("修改节目 %s（%s）：%s", p.ID, p.Name, programmeChanges(*old, p))
		e.Before = programmeText(*old, items)
	}
	c.record(r, rc, e)
	http.Redirect(w, r, "/programmes?done=saved", http.StatusSeeOther)
}

func sameProgramme(a, b content.Programme) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func loopSeconds(p content.Programme) int {
	n := 0
	for _, e := range p.Entries {
		n += e.Seconds
	}
	return n
}

// programmeText is a programme as the audit row's before/after shows it.
func programmeText(p content.Programme, items map[string]itemRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "名称：%s\n", p.Name)
	for i, e := range p.Entries {
		fmt.Fprintf(&b, "%d. %s", i+1, e.ItemID)
		if row, ok := items[e.ItemID]; ok {
			fmt.Fprintf(&b, "（%s：%s）", row.KindName, row.Title())
		}
		fmt.Fprintf(&b, " %d秒\n", e.Seconds)
	}
	fmt.Fprintf(&b, "一轮共 %s", durationText(loopSeconds(p)))
	return b.String()
}

// programmeChanges names what changed between two versions, in Chinese.
func programmeChanges(old, cur content.Programme) string {
	var ch []string
	if old.Name != cur.Name {
		ch = append(ch, "名称“"+old.Name+"”改为“"+cur.Name+"”")
	}
	ids := func(p content.Programme) []string {
		out := make([]string, len(p.Entries))
		for i, e := range p.Entries {
			out[i] = e.ItemID
		}
		return out
	}
	oldIDs, curIDs := ids(old), ids(cur)
	var added, removed []string
	for _, id := range curIDs {
		if !slices.Contains(oldIDs, id) && !slices.Contains(added, id) {
			added = append(added, id)
		}
	}
	for _, id := range oldIDs {
		if !slices.Contains(curIDs, id) && !slices.Contains(removed, id) {
			removed = append(removed, id)
		}
	}
	if len(added) > 0 {
		ch = append(ch, "新增 "+strings.Join(added, "、"))
	}
	if len(removed) > 0 {
		ch = append(ch, "移除 "+strings.Join(removed, "、"))
	}
	keep := func(list, drop []string) []string {
		return slices.DeleteFunc(slices.Clone(list), func(id string) bool { return slices.Contains(drop, id) })
	}
	if !slices.Equal(keep(oldIDs, removed), keep(curIDs, added)) {
		ch = append(ch, "播放顺序改为 "+strings.Join(curIDs, " → "))
	}
	secs := map[string]int{}
	for _, e := range old.Entries {
		secs[e.ItemID] = e.Seconds
	}
	for _, e := range cur.Entries {
		if s, ok := secs[e.ItemID]; ok && s != e.Seconds {
			ch = append(ch, fmt.Sprintf("%s 时长 %d→%d 秒", e.ItemID, s, e.Seconds))
			delete(secs, e.ItemID)
		}
	}
	if len(ch) == 0 {
		return "条目调整"
	}
	return strings.Join(ch, "；")
}

// scheduleMessage is "排期播放" on a saved LED message: it finds a
// programme that plays only this item (or makes one, audited) and opens
// the new-schedule form with it selected.
func (c *Console) scheduleMessage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	ctx := r.Context()
	id := trimmed(r, "item")
	if rc.acct.Role == fleet.StaffViewer {
		c.deny(w, r, rc, id, "", "只读账号不能编辑节目和排期。")
		return
	}
	set, _, err := c.cfg.Library.Set(ctx)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	k := slices.IndexFunc(set.Items, func(it content.Item) bool { return it.ID == id && it.Kind == content.KindText && it.Text != nil })
	if k < 0 {
		c.errorPage(w, r, rc, http.StatusNotFound, "素材不存在", "没有编号为“"+id+"”的LED文字，请先保存这条文字。")
		return
	}
	it := set.Items[k]
	if expired(it, c.now()) {
		c.errorPage(w, r, rc, http.StatusUnprocessableEntity, "素材已过期",
			"LED文字“"+id+"”已于 "+it.ValidUntil.In(shanghai).Format("2006-01-02 15:04")+" 过期，不会再播放，不能排期。")
		return
	}
	single := func(p content.Programme) bool { return len(p.Entries) == 1 && p.Entries[0].ItemID == id }
	base := "prog-" + id
	pi := slices.IndexFunc(set.Programmes, func(p content.Programme) bool { return p.ID == base && single(p) })
	if pi < 0 {
		pi = slices.IndexFunc(set.Programmes, single)
	}
	if pi >= 0 {
		http.Redirect(w, r, "/schedules/new?programme="+url.QueryEscape(set.Programmes[pi].ID), http.StatusSeeOther)
		return
	}
	name := []rune(strings.Join(strings.Fields(it.Text.Body), " "))
	if len(name) > 20 {
		name = append(name[:20], '…')
	}
	p := content.Programme{
		ID: uniqueID(base, func(x string) bool {
			return slices.ContainsFunc(set.Programmes, func(q content.Programme) bool { return q.ID == x })
		}),
		Name:    "LED文字：" + string(name),
		Entries: []content.Entry{{ItemID: id, Seconds: defaultEntrySeconds}},
	}
	if err := c.cfg.Library.PutProgramme(ctx, rc.acct.Username, p); err != nil {
		c.internal(w, r, rc, err)
		return
	}
	c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditContent, Target: p.ID, Region: rc.acct.Scope(),
		Summary: fmt.Sprintf("为LED文字 %s 新建单条节目 %s（%d 秒），用于排期播放", id, p.ID, defaultEntrySeconds),
		After:   programmeText(p, itemIndex(set, c.now()))})
	http.Redirect(w, r, "/schedules/new?programme="+url.QueryEscape(p.ID), http.StatusSeeOther)
}
