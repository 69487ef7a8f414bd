package console

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The status page of a waiting ticket as a phone's browser shows it after
// scanning the receipt (a narrow window), with a screenshot to look at
// (LAWPOINT_SCREENSHOTS=dir keeps it).
func TestChromiumRendersATicket(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.Tickets = func(r *http.Request, dev, day, num string) (Ticket, bool, error) {
			return Ticket{Number: num, Category: "法律咨询", Status: "等候中", Ahead: 2, Point: "坝下村法律服务联系点"}, true, nil
		}
	})
	path := "/t/kiosk-bangtou-baxia/2026-11-27/A003"
	dom := chromium(t, "--dump-dom", f.srv.URL+path)
	for _, want := range []string{"A003", "法律咨询", "等候中", "2 人", "坝下村法律服务联系点", `http-equiv="refresh"`} {
		if !strings.Contains(dom, want) {
			t.Errorf("the ticket page in Chromium lacks %q:\n%s", want, dom)
		}
	}
	dir := os.Getenv("LAWPOINT_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	out := filepath.Join(dir, "ticket-found.png")
	chromium(t, "--screenshot="+out, "--window-size=390,844", f.srv.URL+path)
	if st, err := os.Stat(out); err != nil || st.Size() < 1000 {
		t.Errorf("screenshot %s: %v", out, err)
	}
}
