package server_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"lawpoint/fleet/client"
)

// TestLawpointctl drives the API the way staff do from a terminal.
func TestLawpointctl(t *testing.T) {
	c := newCounty(t)
	cfgFile := filepath.Join(t.TempDir(), "lawpointctl", "config.json")
	env := map[string]string{"LAWPOINT_URL": c.http.URL, "LAWPOINT_PASSWORD": c.admin}
	run := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		cli := &client.CLI{Out: &out, Err: &errb, Getenv: func(k string) string { return env[k] }, ConfigFile: cfgFile}
		code := cli.Run(t.Context(), args)
		return out.String(), errb.String(), code
	}
	if _, e, code := run("status"); code != 1 || !strings.Contains(e, "login") {
		t.Fatalf("status before login: %d %s", code, e)
	}
	if o, e, code := run("login"); code != 0 || !strings.Contains(o, "已登录") {
		t.Fatalf("login: %d %s %s", code, o, e)
	}
	// The token is in the config file now; the URL env stays.
	o, e, code := run("device", "enroll", "--id", "led-0100", "--kind", "led", "--region", "仙游县/榜头镇/坝下村", "--tag", "主街")
	if code != 0 || !strings.Contains(o, "注册码") {
		t.Fatalf("enroll: %d %s %s", code, o, e)
	}
	if _, e, code := run("device", "enroll", "--id", "BAD", "--kind", "led", "--region", "仙游县"); code != 1 || !strings.Contains(e, "设备编号") || !strings.Contains(e, "id:") {
		t.Fatalf("bad enroll: %d %s", code, e)
	}
	if o, e, code := run("content", "add", "--id", "law-1", "--text", "学法守法用法", "--programme", "p-law", "--fallback", "led"); code != 0 || !strings.Contains(o, "law-1") {
		t.Fatalf("content add: %d %s %s", code, o, e)
	}
	if o, _, _ := run("content", "list"); !strings.Contains(o, "学法守法用法") || !strings.Contains(o, "p-law") {
		t.Fatalf("content list:\n%s", o)
	}
	if o, e, code := run("schedule", "add", "--id", "s-1", "--programme", "p-law", "--priority", "5", "--region", "仙游县/榜头镇",
		"--days", "mon,tue,wed,thu,fri", "--window", "08:00-12:00"); code != 0 || !strings.Contains(o, "已保存排期") {
		t.Fatalf("schedule add: %d %s %s", code, o, e)
	}
	if o, e, code := run("schedule", "check", "--id", "s-2", "--programme", "p-law", "--priority", "5", "--region", "仙游县", "--always"); code != 0 || !strings.Contains(o, "冲突") || !strings.Contains(o, "led-0100") {
		t.Fatalf("schedule check: %d %s %s", code, o, e)
	}
	if o, _, _ := run("schedule", "list"); !strings.Contains(o, "s-1") || strings.Contains(o, "s-2") {
		t.Fatalf("schedule list:\n%s", o)
	}
	if o, e, code := run("device", "command", "led-0100", "ping"); code != 0 || !strings.Contains(o, "排队") {
		t.Fatalf("command: %d %s %s", code, o, e)
	}
	if o, _, _ := run("device", "show", "led-0100"); !strings.Contains(o, "ping") || !strings.Contains(o, "rollout") {
		t.Fatalf("device show:\n%s", o)
	}
	if o, _, _ := run("device", "list", "--region", "仙游县/榜头镇"); !strings.Contains(o, "led-0100") {
		t.Fatalf("device list:\n%s", o)
	}
	if o, _, _ := run("--json", "status"); !strings.Contains(o, `"devices": 1`) {
		t.Fatalf("status:\n%s", o)
	}
}
