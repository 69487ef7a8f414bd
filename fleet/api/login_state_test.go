package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"lawpoint/fleet"
	"lawpoint/fleet/api"
	"lawpoint/fleet/sqlitestore"
)

// POST /api/login refuses an account whose password must be changed (403,
// a Chinese message naming the console) and a disabled one (exactly as a
// wrong password); both are audited with the reason.
func TestLoginRefusedByAccountState(t *testing.T) {
	ctx := t.Context()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg := fleet.NewRegistry(st)
	srv := httptest.NewServer(api.New(api.Config{Registry: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	defer srv.Close()
	const pw = "township-pw-1"
	for _, a := range []fleet.Account{
		{Username: "admin", Role: fleet.StaffAdmin},
		{Username: "newop", Role: fleet.StaffOperator, Township: "仙游县/榜头镇"},
		{Username: "leftop", Role: fleet.StaffOperator, Township: "仙游县/度尾镇"},
	} {
		a.Hash, a.Created = quickHash(pw), time.Now()
		if err := st.CreateAccount(ctx, a, fleet.AuditEntry{At: time.Now(), Actor: "test", Action: fleet.AuditAccount, Target: a.Username, Outcome: fleet.OutcomeOK}); err != nil {
			t.Fatal(err)
		}
	}
	login := func(user, password string) (int, api.ErrorBody) {
		t.Helper()
		body, _ := json.Marshal(api.LoginRequest{Username: user, Password: password})
		resp, err := http.Post(srv.URL+"/api/login", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var eb api.ErrorBody
		_ = json.NewDecoder(resp.Body).Decode(&eb)
		return resp.StatusCode, eb
	}
	audit := func(user string) fleet.AuditEntry {
		t.Helper()
		rows, err := st.AuditLog(ctx, fleet.AuditFilter{Action: fleet.AuditLogin, Target: user, Limit: 1})
		if err != nil || len(rows) != 1 {
			t.Fatalf("audit rows of %s: %v %v", user, rows, err)
		}
		return rows[0]
	}

	if err := st.SetMustChange(ctx, "newop", true); err != nil {
		t.Fatal(err)
	}
	code, eb := login("newop", pw)
	if code != http.StatusForbidden || eb.Code != "password_change_required" ||
		eb.Message != "此账号的密码是初始密码或由管理员重置的，须先登录管理控制台修改密码，然后再用 lawpointctl 登录" {
		t.Fatalf("login of an account that must change its password: %d %+v", code, eb)
	}
	if a := audit("newop"); a.Outcome != fleet.OutcomeDenied || a.Summary != "通过接口登录被拒绝：密码须先在管理控制台修改" || a.Role != fleet.StaffOperator {
		t.Fatalf("audit row: %+v", a)
	}
	// With a wrong password it is a wrong password: nothing about the state.
	if code, eb := login("newop", "wrong-password"); code != http.StatusUnauthorized || eb.Code != "bad_credentials" {
		t.Fatalf("wrong password of an account that must change: %d %+v", code, eb)
	}

	tok := func() string {
		tok, _, err := reg.Login(ctx, "leftop", pw, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}()
	acc := fleet.NewAccounts(st, fleet.NewAudit(st, nil))
	if err := acc.SetDisabled(ctx, fleet.Account{Username: "admin", Role: fleet.StaffAdmin}, "127.0.0.1", "leftop", true); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/devices", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the disabled account's token: %v %v", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
	right, rb := login("leftop", pw)
	wrong, wb := login("leftop", "wrong-password")
	unknown, ub := login("nobody", pw)
	same := func(a, b api.ErrorBody) bool {
		return a.Code == b.Code && a.Error == b.Error && a.Message == b.Message && a.Field == b.Field
	}
	if right != http.StatusUnauthorized || !same(rb, wb) || !same(rb, ub) || wrong != right || unknown != right {
		t.Fatalf("a disabled account's login differs from a wrong password's: %d %+v / %d %+v / %d %+v", right, rb, wrong, wb, unknown, ub)
	}
	if a := audit("leftop"); a.Outcome != fleet.OutcomeDenied || a.Summary != "通过接口登录被拒绝：账号已停用" {
		t.Fatalf("audit row: %+v", a)
	}
}
