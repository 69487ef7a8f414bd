package consoletest

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// layoutPage is one page of the layout check.
type layoutPage struct {
	name, path string
	// ready, when set, is JavaScript that is true once the page has drawn
	// what it loads after the load event.
	ready string
	// shot names the screenshot taken at 768 px ("" for none).
	shot string
	// check, when set, asserts what the page shows at each width.
	check func(t *testing.T, br *browser, width int)
}

// checkLayout opens the console's main pages at the width of an office PC
// (1280 px) and of a tablet (768 px): none may scroll sideways (tables
// inside .scroll-x wrappers may scroll themselves). At 768 px it saves
// screenshots of the month view, the programme editor, the drafts page
// and the overview for a person to look at. The administrator is signed
// in, the operator's draft pending.
func checkLayout(t *testing.T, br *browser, base, itemID string) {
	imagesDone := `[...document.images].every(i => i.complete)`
	pages := []layoutPage{
		{name: "overview", path: "/", shot: "overview-768", check: func(t *testing.T, br *browser, width int) {
			if n := br.eval(`document.querySelectorAll("#device-list td.showing").length`); n == float64(0) {
				t.Errorf("the overview has no 正在播放 column:\n%s", br.text())
			}
			if got := br.evalString(`[...document.querySelectorAll("#region-tree th a")].filter(a => a.getClientRects().length > 1).map(a => a.textContent).join("、")`); got != "" {
				t.Errorf("at %d px the overview breaks region names over lines: %s", width, got)
			}
		}},
		{name: "device page", path: "/devices/" + boardBaxia},
		{name: "library", path: "/library", ready: imagesDone},
		{name: "message editor", path: "/library/message?id=" + itemID,
			ready: `(() => { const i = document.querySelector("#previews img.led"); return !!i && i.complete })()`},
		{name: "programmes", path: "/programmes", check: func(t *testing.T, br *browser, width int) {
			row := br.evalString(fmt.Sprintf(`(document.querySelector('#programmes tr[data-programme="prog-%s"]') || {}).innerText || ""`, itemID))
			if !strings.Contains(row, itemID) || !strings.Contains(row, "30秒") {
				t.Errorf("the programmes page should list prog-%s with its one entry (30 s) and its schedule: %q", itemID, row)
			}
		}},
		{name: "programme editor", path: "/programmes/edit?id=prog-" + itemID, ready: imagesDone, shot: "programme-edit-768",
			check: func(t *testing.T, br *browser, width int) {
				if got := br.evalString(`[...document.querySelectorAll("#entries select[name=item]")].map(s => s.value).join(",")`); got != itemID {
					t.Errorf("the programme editor shows the entries %q, want %s", got, itemID)
				}
				if w, _ := br.eval(`document.querySelector("#entries img.thumb-led").getBoundingClientRect().width`).(float64); w < 128 {
					t.Errorf("at %d px the programme editor draws the LED preview %v px wide, less than one pixel per dot", width, w)
				}
			}},
		{name: "schedules", path: "/schedules"},
		{name: "schedule form", path: "/schedules/" + itemID + "/edit", check: func(t *testing.T, br *browser, width int) {
			// Each weekday's checkbox sits beside its name, the days side by side.
			if v, _ := br.eval(`(() => { const ls = [...document.querySelectorAll("input[name=weekday]")].map(i => i.closest("label").getBoundingClientRect());
				return ls.length === 7 && ls.every(r => r.height < 50) && ls[0].top === ls[1].top })()`).(bool); !v {
				t.Errorf("the schedule form's weekday checkboxes are not each beside their day, side by side")
			}
		}},
		{name: "month view", path: "/schedules/month", shot: "month-768", check: func(t *testing.T, br *browser, width int) {
			today := br.evalString(`(document.querySelector('#month-grid td[aria-current=date]') || {}).innerText || ""`)
			if !strings.Contains(today, "榜头镇普法") {
				t.Errorf("the month view's today does not list the schedule 榜头镇普法: %q", today)
			}
		}},
		{name: "drafts", path: "/schedules/drafts", shot: "drafts-768", check: func(t *testing.T, br *browser, width int) {
			if n := br.eval(`document.querySelectorAll("section[data-draft]").length`); n == float64(0) {
				t.Errorf("the drafts page shows no pending draft:\n%s", br.text())
			}
		}},
		{name: "notices", path: "/notices"},
		{name: "reports", path: "/reports?region=" + url.QueryEscape(bangtou)},
		{name: "audit", path: "/audit"},
	}
	defer br.resetWidth()
	for _, width := range []int{1280, 768} {
		br.setWidth(width, width < 1000)
		for _, p := range pages {
			br.navigate(base + p.path)
			if st := br.status(); st != 200 {
				t.Errorf("%s (%s) at %d px: status %d:\n%s", p.name, p.path, width, st, br.text())
				continue
			}
			if p.ready != "" {
				br.waitJS(p.ready, 30*time.Second, p.name+" drawn")
			}
			if ok, why := br.fits(); !ok {
				t.Errorf("%s (%s) scrolls sideways at %d px: %s", p.name, p.path, width, why)
			}
			if width == 768 && p.shot != "" {
				br.screenshot(p.shot)
			}
			if p.check != nil {
				p.check(t, br, width)
			}
		}
	}
}
