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
	pw, _, err := accounts.Create(ctx, fleet.Account{Username: "admin", Role: fleet.StaffAdmin}, "127.0.0.1",
		fleet.Account{Username: "bangtou", Role: fleet.StaffOperator, Township: "仙游县/榜头镇"})
	if err != nil {
		t.Fatal(err)
	}
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
