package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet"
)

// view is what every page template gets.
type view struct {
	Title string
	Nav   string // the menu entry to highlight
	Me    *fleet.Account
	CSRF  string
	Flash string
	Data  any
}

// shanghai is the county's time zone for every time shown.
var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(shanghai).Format("2006-01-02 15:04:05")
	},
	"ago":       agoText,
	"roleLabel": func(r fleet.StaffRole) string { return r.Label() },
	"indent":    func(depth int) string { return fmt.Sprintf("depth-%d", depth) },
	"add":       func(a, b int) int { return a + b },
	"pct": func(a, b int) string {
		if b == 0 {
			return "—"
		}
		return fmt.Sprintf("%d%%", a*100/b)
	},
	"diskFree": func(s *wire.Sample) string {
		if s == nil || s.DiskTotalBytes == 0 {
			return "—"
		}
		return fmt.Sprintf("%.1f GB / %.1f GB（%d%%）", float64(s.DiskFreeBytes)/1e9, float64(s.DiskTotalBytes)/1e9, s.DiskFreeBytes*100/s.DiskTotalBytes)
	},
	"errFor": func(errs map[string]string, field string) string { return errs[field] },
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
}

// agoText says how long ago t was, in Chinese.
func agoText(t time.Time) string {
	if t.IsZero() {
		return "从未上线"
	}
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "刚刚"
	case d < time.Hour:
		return fmt.Sprintf("%d分钟前", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d小时前", int(d.Hours()))
	}
	return fmt.Sprintf("%d天前", int(d.Hours()/24))
}

// pageNames are the templates under templates/, each with layout.html.
var pageNames = []string{"login", "overview", "device", "library", "message", "audit", "accounts", "error", "ticket"}

func parsePages() map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	out := map[string]*template.Template{}
	for _, n := range pageNames {
		t := template.Must(base.Clone())
		out[n] = template.Must(t.ParseFS(templateFS, "templates/"+n+".html"))
	}
	return out
}

// render executes a page into a buffer first, so a template error is a
// clean 500 rather than half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	var buf bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&buf, "layout.html", v); err != nil {
		c.log.Error("console page failed to render", "page", name, "error", err)
		http.Error(w, "页面显示出错，请稍后重试", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// page renders a signed-in page.
func (c *Console) page(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, name, title, nav string, data any) {
	c.render(w, r, status, name, &view{Title: title, Nav: nav, Me: &rc.acct, CSRF: rc.csrf, Data: data, Flash: flashOf(r)})
}

type errorData struct {
	Heading, Message string
	Status           int
}

// errorPage answers with a Chinese error page (or JSON for .json routes).
func (c *Console) errorPage(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, heading, msg string) {
	w.Header().Set("Cache-Control", "no-store")
	if isJSONRequest(r) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
		return
	}
	v := &view{Title: heading, Data: errorData{Heading: heading, Message: msg, Status: status}}
	if rc != nil {
		v.Me, v.CSRF = &rc.acct, rc.csrf
	}
	c.render(w, r, status, "error", v)
}

// flashOf turns a ?done= code into a message after a redirect: the ones
// every page shows (a page's own come with its data, through doneFlash).
func flashOf(r *http.Request) string {
	return doneFlash(r, map[string]string{
		"sent":  "指令已提交。设备在线时立即执行，离线时上线后执行。",
		"saved": "已保存。",
	})
}

// doneFlash is the message among msgs for the ?done= code a redirect after
// a change carries ("" for none).
func doneFlash(r *http.Request, msgs map[string]string) string {
	return msgs[r.URL.Query().Get("done")]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

func trimmed(r *http.Request, name string) string { return strings.TrimSpace(r.FormValue(name)) }
