package console

import (
	"regexp"
	"slices"
	"testing"
	"time"

	"lawpoint/content"
)

// listedItems returns the item IDs of the library table, in order.
func listedItems(body string) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`<tr data-item="([^"]+)">`).FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// Staff find items by kind, tag and words; expired items are hidden
// unless asked for (or searched for by name); tags link to their filter.
func TestLibraryFilter(t *testing.T) {
	f := newFixture(t, nil)
	ctx := t.Context()
	put := func(it content.Item) {
		t.Helper()
		if _, err := f.lib.PutItem(ctx, "admin", it); err != nil {
			t.Fatal(err)
		}
	}
	xf := content.NewText("xianfa", 1, content.Text{Body: "学习宪法，尊崇宪法"})
	xf.Tags = []string{"宪法"}
	put(xf)
	fz := content.NewText("fangzha", 1, content.Text{Body: "谨防电信诈骗"})
	fz.Tags = []string{"反诈"}
	put(fz)
	old := content.NewText("old-notice", 1, content.Text{Body: "宪法宣传周已结束"})
	old.Tags = []string{"宪法"}
	old.ValidUntil = f.clock.Now().Add(-time.Hour).Truncate(time.Second)
	put(old)
	art := content.Item{ID: "minfadian", Kind: content.KindArticle, Version: 1, Tags: []string{"民法典"},
		Article: &content.Article{Title: "民法典与百姓生活", Body: "婚姻家庭、继承……"}}
	put(art)

	b := f.browser()
	b.signIn("viewer")
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", []string{"fangzha", "minfadian", "xianfa"}},
		{"?expired=1", []string{"fangzha", "minfadian", "old-notice", "xianfa"}},
		{"?kind=article", []string{"minfadian"}},
		{"?tag=宪法", []string{"xianfa"}},
		{"?tag=宪法&expired=1", []string{"old-notice", "xianfa"}},
		{"?q=宪法", []string{"old-notice", "xianfa"}}, // a search finds expired items too
		{"?q=百姓+生活", []string{"minfadian"}},         // every word must match
		{"?q=诈骗&kind=article", nil},
	} {
		p := b.get("/library" + c.query)
		if got := listedItems(p.body); !slices.Equal(got, c.want) {
			t.Errorf("/library%s lists %v, want %v", c.query, got, c.want)
		}
	}
	p := b.get("/library")
	mustContain(t, p, `<a class="tag" href="/library?tag=%e5%ae%aa%e6%b3%95">宪法</a>`, `<option value="宪法">宪法（2）</option>`,
		`共 4 条，显示 3 条（不含已过期）。`)
	mustContain(t, b.get("/library?q=诈骗&kind=article"), "没有符合条件的内容。")
}
