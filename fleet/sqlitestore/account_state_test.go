package sqlitestore

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"lawpoint/fleet"
)

func auditRows(t *testing.T, s *Store) []fleet.AuditEntry {
	t.Helper()
	rows, err := s.AuditLog(t.Context(), fleet.AuditFilter{Action: fleet.AuditAccount, Actor: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func sessionsOf(t *testing.T, s *Store, user string) (console, api int) {
	t.Helper()
	if err := s.r.QueryRowContext(t.Context(), `SELECT count(*) FROM console_sessions WHERE username = ?`, user).Scan(&console); err != nil {
		t.Fatal(err)
	}
	if err := s.r.QueryRowContext(t.Context(), `SELECT count(*) FROM staff_sessions WHERE username = ?`, user).Scan(&api); err != nil {
		t.Fatal(err)
	}
	return console, api
}

func signedIn(t *testing.T, s *Store, user string, console, api int) []fleet.ConsoleSession {
	t.Helper()
	ctx := t.Context()
	var out []fleet.ConsoleSession
	for i := range console {
		se := fleet.ConsoleSession{Hash: fleet.TokenHash(user + "-console-" + string(rune('a'+i))), Username: user, Created: t0, Seen: t0, Expires: t0.Add(time.Hour)}
		if err := s.CreateConsoleSession(ctx, se); err != nil {
			t.Fatal(err)
		}
		out = append(out, se)
	}
	for i := range api {
		if err := s.CreateSession(ctx, fleet.Session{Hash: fleet.TokenHash(user + "-api-" + string(rune('a'+i))), Username: user, Created: t0, Expires: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// States are stored with the account; a password change revokes the
// account's sessions and tokens but the one kept, with its audit row in
// the same transaction; disabling never leaves the county without an
// enabled administrator.
func TestAccountStatePasswordAndDisable(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	audit := func(summary string) func(fleet.Revoked) fleet.AuditEntry {
		return func(rv fleet.Revoked) fleet.AuditEntry {
			return fleet.AuditEntry{At: t0, Actor: "admin", Action: fleet.AuditAccount, Outcome: fleet.OutcomeOK, Summary: summary,
				After: fmtRevoked(rv)}
		}
	}
	if err := s.CreateStaff(ctx, fleet.Staff{Username: "admin", Hash: "h0", Role: fleet.StaffAdmin, Created: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddAccount(ctx, fleet.Account{Username: "bangtou", Hash: "h1", Role: fleet.StaffOperator, Township: "仙游县/榜头镇", Created: t0},
		fleet.AccountState{MustChange: true, PasswordSet: t0}, fleet.AuditEntry{At: t0, Actor: "admin", Action: fleet.AuditAccount, Outcome: fleet.OutcomeOK}); err != nil {
		t.Fatal(err)
	}
	if _, st, err := s.AccountWithState(ctx, "admin"); err != nil || st != (fleet.AccountState{}) {
		t.Fatalf("init's admin: %+v %v", st, err)
	}
	a, st, err := s.AccountWithState(ctx, "bangtou")
	if err != nil || a.Hash != "h1" || a.Township != "仙游县/榜头镇" || !st.MustChange || st.Disabled || !st.PasswordSet.Equal(t0) {
		t.Fatalf("new account: %+v %+v %v", a, st, err)
	}
	if _, _, err := s.AccountWithState(ctx, "nobody"); !errors.Is(err, fleet.ErrNotFound) {
		t.Fatalf("unknown account: %v", err)
	}

	keep := signedIn(t, s, "bangtou", 3, 2)[0]
	signedIn(t, s, "admin", 1, 1)
	t1 := t0.Add(time.Hour)
	if err := s.SetPassword(ctx, fleet.PasswordChange{Username: "bangtou", Hash: "h2", At: t1, Keep: keep.Hash}, audit("own")); err != nil {
		t.Fatal(err)
	}
	a, st, _ = s.AccountWithState(ctx, "bangtou")
	if a.Hash != "h2" || st.MustChange || !st.PasswordSet.Equal(t1) {
		t.Fatalf("after the change: %+v %+v", a, st)
	}
	if c, api := sessionsOf(t, s, "bangtou"); c != 1 || api != 0 {
		t.Fatalf("bangtou's sessions after the change: %d console, %d API", c, api)
	}
	if _, err := s.ConsoleSession(ctx, keep.Hash); err != nil {
		t.Fatalf("the kept session: %v", err)
	}
	if c, api := sessionsOf(t, s, "admin"); c != 1 || api != 1 {
		t.Fatalf("another account's sessions were revoked: %d, %d", c, api)
	}
	if rows := auditRows(t, s); len(rows) != 2 || rows[0].Summary != "own" || rows[0].After != "console=2 api=2" {
		t.Fatalf("audit of the change: %+v", rows)
	}
	if err := s.SetPassword(ctx, fleet.PasswordChange{Username: "nobody", Hash: "x", At: t1}, audit("none")); !errors.Is(err, fleet.ErrNotFound) {
		t.Fatalf("password of an unknown account: %v", err)
	}
	if rows := auditRows(t, s); len(rows) != 2 {
		t.Fatalf("a refused change left an audit row: %+v", rows)
	}

	// Disabling revokes everything; the last enabled admin cannot be.
	signedIn(t, s, "bangtou", 0, 1)
	if err := s.SetDisabled(ctx, "bangtou", t1, audit("disable")); err != nil {
		t.Fatal(err)
	}
	if _, st, _ := s.AccountWithState(ctx, "bangtou"); !st.Disabled || !st.DisabledAt.Equal(t1) {
		t.Fatalf("disabled state: %+v", st)
	}
	if c, api := sessionsOf(t, s, "bangtou"); c != 0 || api != 0 {
		t.Fatalf("a disabled account keeps %d console sessions and %d tokens", c, api)
	}
	if rows := auditRows(t, s); rows[0].Summary != "disable" || rows[0].After != "console=1 api=1" {
		t.Fatalf("audit of the disabling: %+v", rows[0])
	}
	if err := s.SetDisabled(ctx, "admin", t1, audit("last")); !errors.Is(err, fleet.ErrLastAdmin) {
		t.Fatalf("disabling the last admin: %v", err)
	}
	if _, st, _ := s.AccountWithState(ctx, "admin"); st.Disabled {
		t.Fatal("the last admin was disabled")
	}
	if c, api := sessionsOf(t, s, "admin"); c != 1 || api != 1 {
		t.Fatal("the refused disabling revoked the admin's sessions")
	}
	if rows := auditRows(t, s); rows[0].Summary != "disable" {
		t.Fatalf("the refused disabling left an audit row: %+v", rows[0])
	}
	if err := s.SetDisabled(ctx, "nobody", t1, audit("none")); !errors.Is(err, fleet.ErrNotFound) {
		t.Fatalf("disabling an unknown account: %v", err)
	}

	// Enabling by SetDisabled(zero) or by a password change with Enable.
	if err := s.SetDisabled(ctx, "bangtou", time.Time{}, audit("enable")); err != nil {
		t.Fatal(err)
	}
	if _, st, _ := s.AccountWithState(ctx, "bangtou"); st.Disabled {
		t.Fatal("still disabled")
	}
	if err := s.SetDisabled(ctx, "bangtou", t1, audit("disable")); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, fleet.PasswordChange{Username: "bangtou", Hash: "h3", MustChange: true, At: t1, Enable: true}, audit("reset")); err != nil {
		t.Fatal(err)
	}
	states, err := s.AccountStates(ctx)
	if err != nil || len(states) != 2 || states["bangtou"].Disabled || !states["bangtou"].MustChange || states["admin"] != (fleet.AccountState{}) {
		t.Fatalf("states: %+v %v", states, err)
	}
	if err := s.SetMustChange(ctx, "admin", true); err != nil {
		t.Fatal(err)
	}
	if _, st, _ := s.AccountWithState(ctx, "admin"); !st.MustChange {
		t.Fatal("SetMustChange did not mark the admin")
	}
	if err := s.SetMustChange(context.Background(), "nobody", true); !errors.Is(err, fleet.ErrNotFound) {
		t.Fatalf("SetMustChange of an unknown account: %v", err)
	}
}

func fmtRevoked(rv fleet.Revoked) string {
	return fmt.Sprintf("console=%d api=%d", rv.ConsoleSessions, rv.APITokens)
}
