package consoletest

// Steps staff take again and again in the scenario: signing out, reading
// what the overview says a device plays, opening a page they may not
// open, and checking that a page fits the screen of an office PC and of a
// tablet.

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// use makes the browser report failures to t, a subtest, until the
// function it returns is called: a subtest must not fail its parent from
// its own goroutine. Subtests here run one after another.
func (b *browser) use(t *testing.T) func() {
	prev := b.t
	b.t = t
	return func() { b.t = prev }
}

// status is the HTTP status of the page on screen (the navigation's
// response, as the browser saw it).
func (b *browser) status() int {
	b.t.Helper()
	v, _ := b.eval(`(() => { const n = performance.getEntriesByType("navigation")[0]; return n ? n.responseStatus : 0 })()`).(float64)
	return int(v)
}

// setWidth makes the page's viewport w CSS pixels wide, as a window of
// that size would be: an office PC (scrollbars take room from the page)
// or, when tablet, a tablet (overlay scrollbars that take none).
func (b *browser) setWidth(w int, tablet bool) {
	b.t.Helper()
	b.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": w, "height": 900, "deviceScaleFactor": 1, "mobile": false})
	b.call("Emulation.setScrollbarsHidden", map[string]any{"hidden": tablet})
}

// resetWidth goes back to the browser window's own size.
func (b *browser) resetWidth() {
	b.t.Helper()
	b.call("Emulation.clearDeviceMetricsOverride", nil)
	b.call("Emulation.setScrollbarsHidden", map[string]any{"hidden": false})
}

// click runs a click on the element sel names and waits for the page it
// leads to; the test fails when there is no such element.
func (b *browser) click(sel, what string) {
	b.t.Helper()
	b.submit(fmt.Sprintf(`(() => { const el = document.querySelector(%s); if (!el) throw new Error("no element " + %s); el.click(); return true })()`,
		js(sel), js(sel)), what)
}

// signOut presses 退出登录 when someone is signed in.
func signOut(t *testing.T, br *browser, base string) {
	t.Helper()
	br.navigate(base + "/")
	if v, _ := br.eval(`!!document.querySelector("form[action='/logout'] button")`).(bool); v {
		br.click("form[action='/logout'] button", "sign out")
	}
}

// showing is the 正在播放 cell of a device's row on the overview of its
// township: its class (notice, schedule, fallback, none) and its text.
func showing(t *testing.T, br *browser, base, region, device string) (class, text string) {
	t.Helper()
	br.navigate(base + "/?region=" + url.QueryEscape(region))
	sel := js(fmt.Sprintf(`#device-list tr[data-device="%s"] td.showing`, device))
	class = br.evalString(`(document.querySelector(` + sel + `) || {}).className || ""`)
	text = br.evalString(`(document.querySelector(` + sel + `) || {}).innerText || ""`)
	if class == "" {
		t.Fatalf("the overview of %s has no 正在播放 cell for %s:\n%s", region, device, br.text())
	}
	return strings.TrimSpace(strings.TrimPrefix(class, "showing")), text
}

// checkShowing checks that the overview and the device page name what a
// device plays: the cell's class and a part of its text.
func checkShowing(t *testing.T, br *browser, base, region, device, class, want string) {
	t.Helper()
	gotClass, got := showing(t, br, base, region, device)
	if gotClass != class || !strings.Contains(got, want) {
		t.Errorf("the overview's 正在播放 for %s says %q (%s), want %q (%s)", device, got, gotClass, want, class)
	}
	br.navigate(base + "/devices/" + device)
	if got := br.evalString(`(document.getElementById("showing") || {}).innerText || ""`); !strings.Contains(got, want) {
		t.Errorf("the device page's 正在播放 for %s says %q, want %q", device, got, want)
	}
}

// refused opens path and checks that the console answers with its 403
// page: status 403, the heading 无权访问 and, when why is set, the reason.
func refused(t *testing.T, br *browser, base, path, why string) {
	t.Helper()
	br.navigate(base + path)
	got := br.text()
	if st := br.status(); st != 403 || !strings.Contains(got, "无权访问") || !strings.Contains(got, why) {
		t.Errorf("%s: status %d, want the 403 page 无权访问 saying %q; the page shows:\n%s", path, st, why, got)
	}
}

// overflowJS lists up to five visible elements that stick out past the
// right edge of the viewport, outside the .scroll-x wrappers (which may
// scroll their tables themselves).
const overflowJS = `(() => {
	const out = [];
	for (const el of document.body.querySelectorAll("*")) {
		if (el.closest(".scroll-x") && !el.classList.contains("scroll-x")) continue;
		const r = el.getBoundingClientRect();
		if (r.width > 0 && r.right > window.innerWidth + 0.5) {
			out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "") +
				" right=" + Math.round(r.right));
			if (out.length === 5) break;
		}
	}
	return out.join("; ");
})()`

// fits reports whether the page on screen needs no sideways scrolling,
// and if not, what sticks out. The page's width must be within the
// window's (innerWidth) and within what is left beside a vertical
// scrollbar (clientWidth): a page 10 px wider than the room beside the
// scrollbar scrolls sideways although it is narrower than the window.
func (b *browser) fits() (bool, string) {
	b.t.Helper()
	ok, _ := b.eval(`document.documentElement.scrollWidth <= Math.min(window.innerWidth, document.documentElement.clientWidth)`).(bool)
	if ok {
		return true, ""
	}
	return false, fmt.Sprintf("scrollWidth %v > innerWidth %v or clientWidth %v; sticking out: %s",
		b.eval(`document.documentElement.scrollWidth`), b.eval(`window.innerWidth`), b.eval(`document.documentElement.clientWidth`), b.evalString(overflowJS))
}

// chooseTargets picks one region, LED boards only, and 始终播放 on the
// schedule form.
func chooseTargets(br *browser, region string) {
	br.t.Helper()
	br.eval(fmt.Sprintf(`(() => {
		for (const o of document.querySelector("#region").options) o.selected = (o.value === %s);
		for (const k of document.querySelectorAll("input[name=kind]")) k.checked = (k.value === "led");
		document.querySelector("input[name=always]").checked = true; return true })()`, js(region)))
}

// waitConverged waits until the rollout page on screen counts want of want
// devices converged.
func waitConverged(t *testing.T, br *browser, want int) {
	t.Helper()
	n := js(fmt.Sprint(want))
	waitPage(t, br, `document.querySelector(".r-converged").textContent === `+n+` && document.querySelector(".r-total").textContent === `+n,
		90*time.Second, fmt.Sprintf("the rollout page counting %d/%d converged", want, want))
}

// waitPage waits until expr is true on the page on screen, which updates
// itself (console.js polls); a reload every 5 s is the fallback.
func waitPage(t *testing.T, br *browser, expr string, within time.Duration, what string) {
	t.Helper()
	for deadline, reload := time.Now().Add(within), time.Now().Add(5*time.Second); ; time.Sleep(250 * time.Millisecond) {
		if v, _ := br.eval(expr).(bool); v {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; the page shows:\n%s", what, within, br.text())
		}
		if time.Now().After(reload) {
			br.navigate(br.url())
			reload = time.Now().Add(5 * time.Second)
		}
	}
}
