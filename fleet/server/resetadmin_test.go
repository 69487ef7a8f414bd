package server_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lawpoint/fleet"
	"lawpoint/fleet/server"
	"lawpoint/fleet/sqlitestore"
)

// lawpoint-fleet init marks the first admin's password to be changed;
// reset-admin gives an administrator a new one-time password on the data
// folder while the fleet holds it open, revoking its sessions, and writes
// an audit row by "lawpoint-fleet" with the host.
func TestRequireChangeAndResetAdmin(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "data")
	res, err := server.Init(ctx, server.InitConfig{Data: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := server.RequirePasswordChange(ctx, dir, res.Admin); err != nil {
		t.Fatal(err)
	}

	// The running fleet's store.
	st, err := sqlitestore.Open(ctx, filepath.Join(dir, server.StoreFile))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg := fleet.NewRegistry(st)
	acc := fleet.NewAccounts(st, fleet.NewAudit(st, nil))
	if _, _, err := reg.Login(ctx, "admin", res.AdminPassword, time.Hour); !errors.Is(err, fleet.ErrPasswordChangeRequired) {
		t.Fatalf("API login with init's password: %v", err)
	}
	console, _, err := acc.SignIn(ctx, "admin", res.AdminPassword)
	if err != nil {
		t.Fatalf("console sign-in with init's password: %v", err)
	}
	if _, state, _, err := acc.SessionWithState(ctx, console); err != nil || !state.MustChange {
		t.Fatalf("init's admin is not sent to change its password: %+v %v", state, err)
	}
	now := time.Now()
	apiTok := "lps_test"
	if err := st.CreateSession(ctx, fleet.Session{Hash: fleet.TokenHash(apiTok), Username: "admin", Created: now, Expires: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	r, err := server.ResetAdmin(ctx, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Username != "admin" || len(r.Password) < 16 || r.Password == res.AdminPassword || r.Enabled {
		t.Fatalf("reset-admin result: %+v", r)
	}
	a, state, err := st.AccountWithState(ctx, "admin")
	if err != nil || fleet.VerifyStaffPassword(a.Hash, res.AdminPassword) || !fleet.VerifyStaffPassword(a.Hash, r.Password) || !state.MustChange {
		t.Fatalf("stored admin after reset-admin: %+v %v", state, err)
	}
	if _, _, err := acc.Session(ctx, console); !errors.Is(err, fleet.ErrUnauthorized) {
		t.Errorf("the admin's console session survived reset-admin: %v", err)
	}
	if _, err := reg.SessionStaff(ctx, apiTok); err == nil {
		t.Error("the admin's API token survived reset-admin")
	}
	if _, _, err := acc.SignIn(ctx, "admin", res.AdminPassword); !errors.Is(err, fleet.ErrBadCredentials) {
		t.Errorf("the old password signs in: %v", err)
	}
	if _, _, err := acc.SignIn(ctx, "admin", r.Password); err != nil {
		t.Errorf("the new password does not sign in: %v", err)
	}
	if _, _, err := reg.Login(ctx, "admin", r.Password, time.Hour); !errors.Is(err, fleet.ErrPasswordChangeRequired) {
		t.Errorf("API login with reset-admin's password: %v", err)
	}
	host, _ := os.Hostname()
	rows, err := st.AuditLog(ctx, fleet.AuditFilter{Actor: "lawpoint-fleet"})
	if err != nil || len(rows) != 1 {
		t.Fatalf("audit rows by lawpoint-fleet: %+v %v", rows, err)
	}
	if e := rows[0]; e.Action != fleet.AuditAccount || e.Target != "admin" || e.Address != host ||
		!strings.Contains(e.Summary, "lawpoint-fleet reset-admin 重置了县级管理员 admin 的密码") || strings.Contains(e.Summary, r.Password) {
		t.Fatalf("audit row: %+v (host %q)", e, host)
	}

	// A disabled administrator named with --user is enabled again.
	if err := st.CreateAccount(ctx, fleet.Account{Username: "admin2", Hash: a.Hash, Role: fleet.StaffAdmin, Created: now},
		fleet.AuditEntry{At: now, Actor: "test", Action: fleet.AuditAccount, Outcome: fleet.OutcomeOK}); err != nil {
		t.Fatal(err)
	}
	if err := acc.SetDisabled(ctx, fleet.Account{Username: "admin2", Role: fleet.StaffAdmin}, "127.0.0.1", "admin", true); err != nil {
		t.Fatal(err)
	}
	r2, err := server.ResetAdmin(ctx, dir, "admin")
	if err != nil || !r2.Enabled {
		t.Fatalf("reset-admin of a disabled admin: %+v %v", r2, err)
	}
	if _, state, _ := st.AccountWithState(ctx, "admin"); state.Disabled {
		t.Fatal("reset-admin did not enable the admin")
	}

	// Refusals: no such account, not an administrator, no data folder.
	if err := st.CreateAccount(ctx, fleet.Account{Username: "viewer", Hash: a.Hash, Role: fleet.StaffViewer, Created: now},
		fleet.AuditEntry{At: now, Actor: "test", Action: fleet.AuditAccount, Outcome: fleet.OutcomeOK}); err != nil {
		t.Fatal(err)
	}
	if _, err := server.ResetAdmin(ctx, dir, "nobody"); err == nil || !strings.Contains(err.Error(), `no account "nobody"; administrator accounts here: admin, admin2`) {
		t.Errorf("unknown account: %v", err)
	}
	if _, err := server.ResetAdmin(ctx, dir, "viewer"); err == nil || !strings.Contains(err.Error(), "not a county administrator") {
		t.Errorf("a viewer account: %v", err)
	}
	if a, _ := st.Account(ctx, "viewer"); !fleet.VerifyStaffPassword(a.Hash, r.Password) {
		t.Error("a refused reset-admin changed the viewer's password")
	}
	empty := filepath.Join(t.TempDir(), "none")
	if _, err := server.ResetAdmin(ctx, empty, ""); err == nil || !strings.Contains(err.Error(), "holds no lawpoint fleet") {
		t.Errorf("a folder without a fleet: %v", err)
	}
	if _, err := os.Stat(filepath.Join(empty, server.StoreFile)); !errors.Is(err, os.ErrNotExist) {
		t.Error("reset-admin created a store in an empty folder")
	}
}
