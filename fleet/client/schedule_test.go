package client_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lawpoint/content"
	"lawpoint/fleet"
	"lawpoint/fleet/api"
	"lawpoint/fleet/client"
	"lawpoint/fleet/sqlitestore"
)

// A township operator's `schedule add` is a draft: lawpointctl says so,
// with the draft number, and nothing is published.
func TestScheduleAddAsOperatorSaysDraft(t *testing.T) {
	ctx := t.Context()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	blobs, err := fleet.NewBlobs(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	reg := fleet.NewRegistry(st)
	lib := fleet.NewLibrary(st, blobs)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(api.New(api.Config{Registry: reg, Library: lib, Logger: log}))
	defer srv.Close()
	if _, err := reg.CreateDevice(ctx, fleet.Device{ID: "led-baxia", Kind: fleet.KindLED, Region: "仙游县/榜头镇/坝下村"}); err != nil {
		t.Fatal(err)
	}
	if _, err := lib.PutItem(ctx, "admin", content.NewText("xianfa", 1, content.Text{Body: "学习宪法"})); err != nil {
		t.Fatal(err)
	}
	if err := lib.PutProgramme(ctx, "admin", content.Programme{ID: "p-xianfa", Entries: []content.Entry{{ItemID: "xianfa", Seconds: 20}}}); err != nil {
		t.Fatal(err)
	}
	accounts := fleet.NewAccounts(st, fleet.NewAudit(st, nil))
	pw, op, err := accounts.Create(ctx, fleet.Account{Username: "admin", Role: fleet.StaffAdmin}, "127.0.0.1",
		fleet.Account{Username: "bangtou", Role: fleet.StaffOperator, Township: "仙游县/榜头镇"})
	if err != nil {
		t.Fatal(err)
	}
	// The API refuses a one-time password: the operator changes it first (in the console).
	if err := accounts.ChangePassword(ctx, op, "", pw, "bangtou-own-pw", "bangtou-own-pw", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	pw = "bangtou-own-pw"
	tok, _, err := reg.Login(ctx, "bangtou", pw, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	cli := &client.CLI{Out: &out, Err: &errb, Getenv: func(k string) string {
		return map[string]string{"LAWPOINT_URL": srv.URL, "LAWPOINT_TOKEN": tok}[k]
	}, ConfigFile: filepath.Join(t.TempDir(), "c.json")}
	code := cli.Run(ctx, []string{"schedule", "add", "--id", "bt-week", "--programme", "p-xianfa", "--priority", "100",
		"--region", "仙游县/榜头镇", "--always"})
	if code != 0 || !strings.Contains(out.String(), "排期 bt-week 已提交为草稿 #1，等待县级管理员审批后发布") {
		t.Fatalf("schedule add as operator: %d\n%s\n%s", code, out.String(), errb.String())
	}
	set, _, err := lib.Set(ctx)
	if err != nil || len(set.Schedules) != 0 {
		t.Fatalf("an operator's draft was published: %+v %v", set.Schedules, err)
	}
}

// lawpointctl registers a board at enrolment and changes or clears it.
func TestDeviceBoardCommands(t *testing.T) {
	ctx := t.Context()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg := fleet.NewRegistry(st)
	srv := httptest.NewServer(api.New(api.Config{Registry: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	defer srv.Close()
	pw, _ := reg.CreateStaff(ctx, "admin", fleet.StaffAdmin)
	tok, _, err := reg.Login(ctx, "admin", pw, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		cli := &client.CLI{Out: &out, Err: &errb, Getenv: func(k string) string {
			return map[string]string{"LAWPOINT_URL": srv.URL, "LAWPOINT_TOKEN": tok}[k]
		}, ConfigFile: filepath.Join(t.TempDir(), "c.json")}
		code := cli.Run(ctx, args)
		return out.String(), errb.String(), code
	}
	if o, e, code := run("device", "enroll", "--id", "led-baxia", "--kind", "led", "--region", "仙游县/榜头镇/坝下村", "--board", "BX-5E2 128x32"); code != 0 {
		t.Fatalf("enroll: %d %s %s", code, o, e)
	}
	if d, _ := reg.Device(ctx, "led-baxia"); d.Board.String() != "bx-5e2/128x32/dual" {
		t.Fatalf("enrolled board: %+v", d.Board)
	}
	if o, e, code := run("device", "board", "led-baxia", "bx-5k1/64x16/single"); code != 0 || !strings.Contains(o, "已登记 led-baxia 的屏幕参数：bx-5k1/64x16/single") {
		t.Fatalf("board: %d %s %s", code, o, e)
	}
	if _, e, code := run("device", "board", "led-baxia", "bx-5k1/640x16"); code != 1 || !strings.Contains(e, "屏幕尺寸须在") {
		t.Fatalf("oversized board: %d %s", code, e)
	}
	if o, e, code := run("device", "board", "led-baxia", "--clear"); code != 0 || !strings.Contains(o, "已清除 led-baxia 的屏幕参数登记") {
		t.Fatalf("clear: %d %s %s", code, o, e)
	}
	if d, _ := reg.Device(ctx, "led-baxia"); !d.Board.IsZero() {
		t.Fatalf("board not cleared: %+v", d.Board)
	}
}
