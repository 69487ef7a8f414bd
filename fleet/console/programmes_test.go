package console

import (
	"html"
	"image"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"lawpoint/content"
	"lawpoint/fleet"
)

// programmeFleet is a fleet with one LED board and three items written by
// the administrator: two LED texts and an article.
func programmeFleet(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t, nil)
	f.device("led-baxia", fleet.KindLED, "仙游县/榜头镇/坝下村", "BX-5E2 128x32")
	ctx := t.Context()
	for _, it := range []content.Item{
		content.NewText("xianfa", 1, content.Text{Body: "学习宪法", Colour: content.ColourRed, Effect: content.EffectStatic}),
		content.NewText("tiaojie", 1, content.Text{Body: "邻里纠纷找调解", Colour: content.ColourGreen, Effect: content.EffectStatic}),
		content.NewArticle("yuanzhu", 1, "法律援助指南", "符合条件的可申请法律援助。"),
	} {
		if _, err := f.lib.PutItem(ctx, "admin", it); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// entries posts the programme form's entry rows in order.
func entries(v url.Values, rows ...string) url.Values {
	for i := 0; i+1 < len(rows); i += 2 {
		v.Add("item", rows[i])
		v.Add("seconds", rows[i+1])
	}
	return v
}

var selectedRE = regexp.MustCompile(`<option value="([^"]+)" selected>`)

// selectedItems lists the items chosen in the form's entry rows, in order.
func selectedItems(p page) []string {
	var out []string
	for _, m := range selectedRE.FindAllStringSubmatch(p.body, -1) {
		out = append(out, m[1])
	}
	return out
}

func (f *fixture) programme(id string) (content.Programme, bool) {
	f.t.Helper()
	set, _, err := f.lib.Set(f.t.Context())
	if err != nil {
		f.t.Fatal(err)
	}
	for _, p := range set.Programmes {
		if p.ID == id {
			return p, true
		}
	}
	return content.Programme{}, false
}

func TestProgrammeCreateAndReorder(t *testing.T) {
	f := programmeFleet(t)
	b := f.browser()
	tok := b.signIn("admin")
	form := b.get("/programmes/edit")
	mustContain(t, form, "新建节目", `[LED文字] 学习宪法（xianfa）`, `[文章] 法律援助指南（yuanzhu）`)

	// Add two items; the form changes on the server, nothing is stored.
	base := url.Values{"csrf": {tok}, "name": {"宪法与调解"}, "id": {"prog-mix"}}
	v := entries(url.Values{"csrf": {tok}, "name": {"宪法与调解"}, "id": {"prog-mix"}, "action": {"add"}, "new_item": {"xianfa"}, "new_seconds": {"20"}})
	p := b.post("/programmes/edit", v)
	if p.status != http.StatusOK || !slicesEqual(selectedItems(p), []string{"xianfa"}) {
		t.Fatalf("add: %d %q\n%s", p.status, selectedItems(p), p.body)
	}
	mustContain(t, p, `value="20"`, "一轮共 <span id=\"total\">20秒</span>")
	v = entries(url.Values{"csrf": {tok}, "name": {"宪法与调解"}, "id": {"prog-mix"}, "action": {"add"}, "new_item": {"tiaojie"}, "new_seconds": {"15"}}, "xianfa", "20")
	p = b.post("/programmes/edit", v)
	if got := selectedItems(p); !slicesEqual(got, []string{"xianfa", "tiaojie"}) {
		t.Fatalf("second add: %q", got)
	}
	mustContain(t, p, "35秒")
	// Each LED text has a thumbnail of its first page on the fleet's board.
	thumbs := regexp.MustCompile(`<img class="led thumb-led" src="([^"]+)" width="256" height="64"`).FindAllStringSubmatch(p.body, -1)
	if len(thumbs) != 2 {
		t.Fatalf("thumbnails: %q\n%s", thumbs, p.body)
	}
	img := b.get(html.UnescapeString(thumbs[0][1]))
	if cfg, _, err := image.DecodeConfig(strings.NewReader(img.body)); img.status != 200 || err != nil || cfg.Width != 256 || cfg.Height != 64 {
		t.Fatalf("thumbnail: %d %+v %v", img.status, cfg, err)
	}
	if _, ok := f.programme("prog-mix"); ok {
		t.Fatal("a form action stored the programme")
	}

	// Save: stored in this order, audited.
	v = entries(url.Values{"csrf": {tok}, "name": {"宪法与调解"}, "id": {"prog-mix"}, "action": {"save"}}, "xianfa", "20", "tiaojie", "15")
	if p := b.post("/programmes/edit", v); p.status != http.StatusSeeOther || p.header.Get("Location") != "/programmes?done=saved" {
		t.Fatalf("save: %d %s", p.status, p.body)
	}
	got, _ := f.programme("prog-mix")
	want := content.Programme{ID: "prog-mix", Name: "宪法与调解", Entries: []content.Entry{{ItemID: "xianfa", Seconds: 20}, {ItemID: "tiaojie", Seconds: 15}}}
	if !sameProgramme(got, want) {
		t.Fatalf("stored %+v", got)
	}
	rows := f.audit(fleet.AuditFilter{Action: fleet.AuditContent, Target: "prog-mix"})
	if len(rows) != 1 || rows[0].Actor != "admin" || !strings.Contains(rows[0].Summary, "新建节目 prog-mix") ||
		!strings.Contains(rows[0].After, "1. xianfa（LED文字：学习宪法） 20秒") {
		t.Fatalf("audit: %+v", rows)
	}

	// The list: entries with titles and seconds, loop length, schedules.
	if err := f.lib.PutSchedule(t.Context(), "admin", content.Schedule{ID: "s-mix", Name: "晚间", ProgrammeID: "prog-mix", Always: true,
		Target: content.Target{Regions: []string{"仙游县/榜头镇"}}}); err != nil {
		t.Fatal(err)
	}
	list := b.get("/programmes?done=saved")
	mustContain(t, list, "已保存", `data-programme="prog-mix"`, "宪法与调解", "学习宪法", "<strong>20秒</strong>", "邻里纠纷找调解", "35秒",
		`href="/rollout?schedule=s-mix">s-mix</a>（晚间）`, `href="/programmes/edit?id=prog-mix"`)

	// Change the order: move the first entry down, then save.
	ef := b.get("/programmes/edit?id=prog-mix")
	mustContain(t, ef, "修改节目 prog-mix", `name="editing" value="1"`, "s-mix（晚间）")
	if got := selectedItems(ef); !slicesEqual(got, []string{"xianfa", "tiaojie"}) {
		t.Fatalf("edit form: %q", got)
	}
	v = entries(url.Values{"csrf": {tok}, "name": {"宪法与调解"}, "id": {"prog-mix"}, "editing": {"1"}, "action": {"down-0"}}, "xianfa", "20", "tiaojie", "15")
	p = b.post("/programmes/edit", v)
	if got := selectedItems(p); p.status != 200 || !slicesEqual(got, []string{"tiaojie", "xianfa"}) {
		t.Fatalf("down-0: %d %q", p.status, got)
	}
	v = entries(url.Values{"csrf": {tok}, "name": {"宪法与调解"}, "id": {"prog-mix"}, "editing": {"1"}, "action": {"save"}}, "tiaojie", "15", "xianfa", "25")
	if p := b.post("/programmes/edit", v); p.status != http.StatusSeeOther {
		t.Fatalf("save reordered: %d %s", p.status, p.body)
	}
	got, _ = f.programme("prog-mix")
	want.Entries = []content.Entry{{ItemID: "tiaojie", Seconds: 15}, {ItemID: "xianfa", Seconds: 25}}
	if !sameProgramme(got, want) {
		t.Fatalf("stored after reorder %+v", got)
	}
	rows = f.audit(fleet.AuditFilter{Action: fleet.AuditContent, Target: "prog-mix"})
	if len(rows) != 2 || !strings.Contains(rows[0].Summary, "播放顺序改为 tiaojie → xianfa") || !strings.Contains(rows[0].Summary, "xianfa 时长 20→25 秒") ||
		!strings.Contains(rows[0].Before, "1. xianfa") || !strings.Contains(rows[0].After, "1. tiaojie") {
		t.Fatalf("audit of the change: %+v", rows[0])
	}
	// Remove and up work the same way; the base form carries no entries.
	v = entries(base, "tiaojie", "15", "xianfa", "25", "yuanzhu", "60")
	v.Set("action", "up-2")
	if got := selectedItems(b.post("/programmes/edit", v)); !slicesEqual(got, []string{"tiaojie", "yuanzhu", "xianfa"}) {
		t.Fatalf("up-2: %q", got)
	}
	v.Set("action", "remove-0")
	if got := selectedItems(b.post("/programmes/edit", v)); !slicesEqual(got, []string{"xianfa", "yuanzhu"}) {
		t.Fatalf("remove-0: %q", got)
	}
	// Saving without changes makes no version and no audit row.
	v = entries(url.Values{"csrf": {tok}, "name": {"宪法与调解"}, "id": {"prog-mix"}, "editing": {"1"}, "action": {"save"}}, "tiaojie", "15", "xianfa", "25")
	if p := b.post("/programmes/edit", v); p.header.Get("Location") != "/programmes?done=unchanged" {
		t.Fatalf("unchanged save: %d %q", p.status, p.header.Get("Location"))
	}
	if rows := f.audit(fleet.AuditFilter{Action: fleet.AuditContent, Target: "prog-mix"}); len(rows) != 2 {
		t.Fatalf("an unchanged save was audited: %+v", rows)
	}
	// An empty ID is made from the name.
	v = entries(url.Values{"csrf": {tok}, "name": {"Xianfa 宣传 2026"}, "action": {"save"}}, "xianfa", "30")
	if p := b.post("/programmes/edit", v); p.status != http.StatusSeeOther {
		t.Fatalf("generated ID: %d %s", p.status, p.body)
	}
	if _, ok := f.programme("prog-xianfa-2026"); !ok {
		t.Fatal("no programme prog-xianfa-2026")
	}
}

func slicesEqual(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

func TestProgrammeValidation(t *testing.T) {
	f := programmeFleet(t)
	ctx := t.Context()
	old := content.NewText("old-notice", 1, content.Text{Body: "旧通知"})
	old.ValidUntil = f.clock.Now().Add(-time.Hour).Truncate(time.Second)
	if _, err := f.lib.PutItem(ctx, "admin", old); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	tok := b.signIn("bangtou")
	save := func(rows ...string) page {
		return b.post("/programmes/edit", entries(url.Values{"csrf": {tok}, "name": {"坏节目"}, "id": {"prog-bad"}, "action": {"save"}}, rows...))
	}
	p := save("xianfa", "0", "nope", "30")
	if p.status != http.StatusBadRequest {
		t.Fatalf("bad seconds and unknown item: %d", p.status)
	}
	mustContain(t, p, `id="seconds-0-error">播放时长须在 1 到 3600 秒之间`, `id="item-1-error">素材“nope”不存在`, `（不存在）nope`, `value="坏节目"`)
	p = save("xianfa", "半分钟", "tiaojie", "4000")
	mustContain(t, p, `id="seconds-0-error">播放时长须为整数秒`, `id="seconds-1-error">播放时长须在 1 到 3600 秒之间`)
	p = save()
	if p.status != http.StatusBadRequest {
		t.Fatalf("empty: %d", p.status)
	}
	mustContain(t, p, `id="entries-error">节目中没有任何内容`)
	p = save("xianfa", "30", "old-notice", "10")
	mustContain(t, p, `id="item-1-error">素材“old-notice”已于`, "过期，不会再播放")
	p = b.post("/programmes/edit", entries(url.Values{"csrf": {tok}, "name": {""}, "id": {"坏 编号"}, "action": {"save"}}, "xianfa", "30"))
	mustContain(t, p, `id="name-error">请填写节目名称`, `id="id-error">节目编号无效`)
	p = b.post("/programmes/edit", url.Values{"csrf": {tok}, "name": {"x"}, "action": {"add"}})
	mustContain(t, p, `id="new_item-error">请先选择要添加的素材`)
	if set, _, _ := f.lib.Set(ctx); len(set.Programmes) != 0 {
		t.Fatalf("stored: %+v", set.Programmes)
	}
	if rows := f.audit(fleet.AuditFilter{Action: fleet.AuditContent, Actor: "bangtou"}); len(rows) != 0 {
		t.Fatalf("audited: %+v", rows)
	}
}

func TestScheduleMessageFromLibrary(t *testing.T) {
	f := programmeFleet(t)
	ctx := t.Context()
	b := f.browser()
	tok := b.signIn("admin")
	mp := b.get("/library/message?id=xianfa")
	mustContain(t, mp, `action="/programmes/quick"`, `name="item" value="xianfa"`, "排期播放")
	mustContain(t, b.get("/library"), `<input type="hidden" name="item" value="tiaojie">`)

	p := b.post("/programmes/quick", url.Values{"csrf": {tok}, "item": {"xianfa"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/schedules/new?programme=prog-xianfa" {
		t.Fatalf("排期播放: %d %q %s", p.status, p.header.Get("Location"), p.body)
	}
	prog, ok := f.programme("prog-xianfa")
	if !ok || len(prog.Entries) != 1 || prog.Entries[0].ItemID != "xianfa" || prog.Entries[0].Seconds != defaultEntrySeconds || prog.Name != "LED文字：学习宪法" {
		t.Fatalf("programme: %+v", prog)
	}
	if rows := f.audit(fleet.AuditFilter{Action: fleet.AuditContent, Target: "prog-xianfa"}); len(rows) != 1 || !strings.Contains(rows[0].Summary, "为LED文字 xianfa 新建单条节目") {
		t.Fatalf("audit: %+v", rows)
	}
	sf := b.get(p.header.Get("Location"))
	mustContain(t, sf, "新建排期", `<option value="prog-xianfa" selected>LED文字：学习宪法（prog-xianfa）</option>`, `href="/programmes"`)

	// The schedule form saves and publishes it.
	sp := b.post("/schedules", schedValues(tok, "s-xianfa", "仙游县/榜头镇", "100", "programme", "prog-xianfa"))
	if sp.status != http.StatusSeeOther || sp.header.Get("Location") != "/rollout?schedule=s-xianfa" {
		t.Fatalf("schedule: %d %s", sp.status, sp.body)
	}
	set, _, _ := f.lib.Set(ctx)
	if len(set.Schedules) != 1 || set.Schedules[0].ID != "s-xianfa" || set.Schedules[0].ProgrammeID != "prog-xianfa" {
		t.Fatalf("schedules: %+v", set.Schedules)
	}

	// Again: the programme is reused, nothing new is stored.
	p = b.post("/programmes/quick", url.Values{"csrf": {tok}, "item": {"xianfa"}})
	if p.header.Get("Location") != "/schedules/new?programme=prog-xianfa" {
		t.Fatalf("reuse: %q", p.header.Get("Location"))
	}
	if set, _, _ := f.lib.Set(ctx); len(set.Programmes) != 1 {
		t.Fatalf("programmes: %+v", set.Programmes)
	}
	// Not a message, or no such item: 404; a viewer: 403, audited.
	if p := b.post("/programmes/quick", url.Values{"csrf": {tok}, "item": {"yuanzhu"}}); p.status != http.StatusNotFound {
		t.Fatalf("article: %d", p.status)
	}
	v := f.browser()
	vtok := v.signIn("viewer")
	if p := v.post("/programmes/quick", url.Values{"csrf": {vtok}, "item": {"tiaojie"}}); p.status != http.StatusForbidden {
		t.Fatalf("viewer: %d", p.status)
	}
	if rows := f.audit(fleet.AuditFilter{Action: fleet.AuditDenied, Actor: "viewer"}); len(rows) != 1 {
		t.Fatalf("viewer refusal audit: %+v", rows)
	}
	if strings.Contains(v.get("/library/message?id=xianfa").body, `action="/programmes/quick"`) {
		t.Fatal("a viewer is offered 排期播放")
	}
}

func TestEditArticleAndPicture(t *testing.T) {
	f := programmeFleet(t)
	ctx := t.Context()
	b := f.browser()
	tok := b.signIn("admin")
	mustContain(t, b.get("/library"), `href="/library/article?id=yuanzhu"`)
	ef := b.get("/library/article?id=yuanzhu")
	mustContain(t, ef, "修改文章 yuanzhu", `value="法律援助指南"`, "符合条件的可申请法律援助。", `name="editing" value="1"`, "当前为第 1 版")
	form := url.Values{"csrf": {tok}, "editing": {"1"}, "id": {"yuanzhu"}, "title": {"法律援助申请指南"}, "body": {"符合条件的可申请法律援助。"},
		"tags": {"法律援助"}, "valid_until": {"2030-01-01T08:00"}}
	form.Set("valid_from", "2031-01-01T08:00")
	p := b.post("/library/article", form)
	if p.status != http.StatusBadRequest {
		t.Fatalf("reversed validity: %d", p.status)
	}
	mustContain(t, p, `id="valid_until-error">有效期结束时间须晚于开始时间`)
	form.Del("valid_from")
	if p := b.post("/library/article", form); p.status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", p.status, p.body)
	}
	set, _, _ := f.lib.Set(ctx)
	var art content.Item
	for _, it := range set.Items {
		if it.ID == "yuanzhu" {
			art = it
		}
	}
	wantUntil := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if art.Version != 2 || art.Article.Title != "法律援助申请指南" || len(art.Tags) != 1 || !art.ValidUntil.Equal(wantUntil) {
		t.Fatalf("stored: %+v %+v", art, art.Article)
	}
	if hist, _ := f.store.ContentHistory(ctx, fleet.RecordItem, "yuanzhu"); len(hist) != 2 {
		t.Fatalf("history: %d versions", len(hist))
	}
	rows := f.audit(fleet.AuditFilter{Action: fleet.AuditContent, Target: "yuanzhu"})
	if len(rows) != 1 || !strings.Contains(rows[0].Summary, "修改文章 yuanzhu（第2版）：标题、标签、有效期") ||
		!strings.HasPrefix(rows[0].Before, "法律援助指南") || !strings.HasPrefix(rows[0].After, "法律援助申请指南") {
		t.Fatalf("audit: %+v", rows)
	}
	mustContain(t, b.get("/library"), "2030-01-01 08:00")

	// A picture: the alt text alone, then a new file.
	tok = csrfOf(t, b.get("/library/image"))
	up := b.upload("/library/image", map[string]string{"csrf": tok, "alt": "海报", "id": "poster"}, "a.png", testPNG(t, 40, 20))
	if up.status != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", up.status, up.body)
	}
	mustContain(t, b.get("/library/image?id=poster"), "修改图片 poster", `value="海报"`, "当前为第 1 版")
	if p := b.upload("/library/image", map[string]string{"csrf": tok, "editing": "1", "id": "poster", "alt": "宪法宣传海报"}, "", nil); p.status != http.StatusSeeOther {
		t.Fatalf("alt edit: %d %s", p.status, p.body)
	}
	if p := b.upload("/library/image", map[string]string{"csrf": tok, "editing": "1", "id": "poster", "alt": "宪法宣传海报"}, "b.png", testPNG(t, 80, 30)); p.status != http.StatusSeeOther {
		t.Fatalf("file edit: %d %s", p.status, p.body)
	}
	set, _, _ = f.lib.Set(ctx)
	for _, it := range set.Items {
		if it.ID == "poster" && (it.Version != 3 || it.Image.Alt != "宪法宣传海报" || it.Image.Width != 80 || it.Image.Height != 30) {
			t.Fatalf("picture: %+v %+v", it, it.Image)
		}
	}
	rows = f.audit(fleet.AuditFilter{Action: fleet.AuditContent, Target: "poster"})
	if len(rows) != 3 || !strings.Contains(rows[0].Summary, "更换图片文件（png 80×30") || !strings.Contains(rows[1].Summary, "修改图片 poster（第2版）：说明文字") {
		t.Fatalf("picture audit: %+v", rows)
	}
}

func TestProgrammeAndItemRoles(t *testing.T) {
	f := programmeFleet(t)
	ctx := t.Context()
	county := content.Programme{ID: "prog-county", Name: "县级节目", Entries: []content.Entry{{ItemID: "xianfa", Seconds: 30}}}
	if err := f.lib.PutProgramme(ctx, "admin", county); err != nil {
		t.Fatal(err)
	}
	o := f.browser()
	otok := o.signIn("bangtou")
	list := o.get("/programmes")
	mustContain(t, list, `data-programme="prog-county"`, "新建节目")
	if strings.Contains(list.body, `href="/programmes/edit?id=prog-county"`) {
		t.Fatal("an operator is offered to change the county's programme")
	}
	if p := o.get("/programmes/edit?id=prog-county"); p.status != http.StatusForbidden {
		t.Fatalf("operator edit form: %d", p.status)
	}
	v := entries(url.Values{"csrf": {otok}, "id": {"prog-county"}, "name": {"改掉"}, "editing": {"1"}, "action": {"save"}}, "tiaojie", "10")
	if p := o.post("/programmes/edit", v); p.status != http.StatusForbidden {
		t.Fatalf("operator save: %d", p.status)
	}
	if got, _ := f.programme("prog-county"); !sameProgramme(got, county) {
		t.Fatalf("county programme changed: %+v", got)
	}
	rows := f.audit(fleet.AuditFilter{Action: fleet.AuditDenied, Actor: "bangtou"})
	if len(rows) != 2 || rows[0].Target != "prog-county" || rows[0].Outcome != fleet.OutcomeDenied || !strings.Contains(rows[0].Summary, "由admin创建") {
		t.Fatalf("operator refusals: %+v", rows)
	}
	// The operator's own programme: created, listed as theirs, changeable.
	v = entries(url.Values{"csrf": {otok}, "id": {"prog-bangtou"}, "name": {"榜头镇宣传"}, "action": {"save"}}, "tiaojie", "10")
	if p := o.post("/programmes/edit", v); p.status != http.StatusSeeOther {
		t.Fatalf("operator's own: %d %s", p.status, p.body)
	}
	mustContain(t, o.get("/programmes"), `href="/programmes/edit?id=prog-bangtou"`)
	v.Set("editing", "1")
	v.Set("seconds", "12")
	if p := o.post("/programmes/edit", v); p.status != http.StatusSeeOther {
		t.Fatalf("operator changes own: %d %s", p.status, p.body)
	}
	if got, _ := f.programme("prog-bangtou"); got.Entries[0].Seconds != 12 {
		t.Fatalf("own programme: %+v", got)
	}
	// The county's article and picture are read-only to the operator.
	if p := o.get("/library/article?id=yuanzhu"); p.status != http.StatusForbidden {
		t.Fatalf("operator article form: %d", p.status)
	}
	if p := o.post("/library/article", url.Values{"csrf": {otok}, "editing": {"1"}, "id": {"yuanzhu"}, "title": {"改"}, "body": {"改"}}); p.status != http.StatusForbidden {
		t.Fatalf("operator article save: %d", p.status)
	}

	// A viewer reads programmes and can open no form nor save.
	vw := f.browser()
	vtok := vw.signIn("viewer")
	vl := vw.get("/programmes")
	mustContain(t, vl, "县级节目", "榜头镇宣传")
	if strings.Contains(vl.body, "新建节目</a>") || strings.Contains(vl.body, "/programmes/edit?id=") {
		t.Fatal("a viewer is offered to write programmes")
	}
	for _, path := range []string{"/programmes/edit", "/programmes/edit?id=prog-county", "/library/article?id=yuanzhu", "/library/image"} {
		if p := vw.get(path); p.status != http.StatusForbidden {
			t.Fatalf("viewer %s: %d", path, p.status)
		}
	}
	v = entries(url.Values{"csrf": {vtok}, "id": {"prog-viewer"}, "name": {"只读"}, "action": {"save"}}, "xianfa", "10")
	if p := vw.post("/programmes/edit", v); p.status != http.StatusForbidden {
		t.Fatalf("viewer save: %d", p.status)
	}
	if _, ok := f.programme("prog-viewer"); ok {
		t.Fatal("a viewer's programme was stored")
	}
	if rows := f.audit(fleet.AuditFilter{Action: fleet.AuditDenied, Actor: "viewer"}); len(rows) != 5 {
		t.Fatalf("viewer refusals: %+v", rows)
	}
}
