package console

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const chromiumPath = "/usr/bin/chromium"

// chromium runs Debian's headless Chromium with args and returns stdout.
func chromium(t *testing.T, args ...string) string {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("headless Chromium is not installed (%s missing): run `apt-get install chromium` to run the browser tests", chromiumPath)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--user-data-dir=" + t.TempDir(), "--lang=zh-CN"}
	out, err := exec.CommandContext(ctx, chromiumPath, append(base, args...)...).Output()
	if err != nil {
		t.Fatalf("chromium %v: %v", args, err)
	}
	return string(out)
}

// The sign-in page and the public ticket page as a real browser builds
// them (CSP allows our own script and style only; a CSP violation would
// drop the script), with screenshots kept under the test's output folder
// for people to look at (LAWPOINT_SCREENSHOTS=dir keeps them).
func TestChromiumRendersPublicPages(t *testing.T) {
	f := newFixture(t, nil)
	dom := chromium(t, "--dump-dom", f.srv.URL+"/login")
	for _, want := range []string{"工作人员登录", `name="csrf"`, "console.js"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the sign-in page in Chromium lacks %q:\n%s", want, dom)
		}
	}
	dom = chromium(t, "--dump-dom", f.srv.URL+"/t/unknown-ticket")
	if !strings.Contains(dom, "查询不到该号票") {
		t.Errorf("ticket page in Chromium:\n%s", dom)
	}
	dir := os.Getenv("LAWPOINT_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	for name, path := range map[string]string{"login.png": "/login", "ticket.png": "/t/unknown-ticket"} {
		out := filepath.Join(dir, name)
		chromium(t, "--screenshot="+out, "--window-size=1280,800", f.srv.URL+path)
		if st, err := os.Stat(out); err != nil || st.Size() < 1000 {
			t.Errorf("screenshot %s: %v", out, err)
		}
	}
}
