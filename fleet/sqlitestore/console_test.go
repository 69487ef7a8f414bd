package sqlitestore

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"lawpoint/fleet"
)

// An account and its audit row are stored together or not at all, and
// console sessions end by their absolute expiry or when idle.
func TestAccountsAuditAndConsoleSessions(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	a := fleet.Account{Username: "bangtou", Hash: "h", Role: fleet.StaffOperator, Township: "仙游县/榜头镇", Created: now}
	e := fleet.AuditEntry{At: now, Actor: "admin", Action: fleet.AuditAccount, Target: "bangtou", Region: "仙游县/榜头镇", Outcome: fleet.OutcomeOK, Summary: "创建账号"}
	if err := s.CreateAccount(ctx, a, e); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAccount(ctx, a, e); !errors.Is(err, fleet.ErrExists) {
		t.Fatalf("second account of the same name: %v", err)
	}
	rows, err := s.AuditLog(ctx, fleet.AuditFilter{Action: fleet.AuditAccount})
	if err != nil || len(rows) != 1 {
		t.Fatalf("audit rows %+v %v: the refused account left a row", rows, err)
	}
	got, err := s.Account(ctx, "bangtou")
	if err != nil || got.Township != "仙游县/榜头镇" || got.Role != fleet.StaffOperator {
		t.Fatalf("account %+v %v", got, err)
	}
	// Accounts made by init (CreateStaff) have no township.
	if err := s.CreateStaff(ctx, fleet.Staff{Username: "admin", Hash: "h", Role: fleet.StaffAdmin, Created: now}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Account(ctx, "admin"); err != nil || got.Township != "" || got.Role != fleet.StaffAdmin {
		t.Fatalf("init's admin %+v %v", got, err)
	}
	// Region filter on whole segments.
	for _, r := range []string{"仙游县/榜头镇/坝下村", "仙游县/榜头", "仙游县/度尾镇"} {
		if _, err := s.AddAudit(ctx, fleet.AuditEntry{At: now, Actor: "x", Action: fleet.AuditDenied, Region: r, Outcome: fleet.OutcomeDenied}); err != nil {
			t.Fatal(err)
		}
	}
	rows, _ = s.AuditLog(ctx, fleet.AuditFilter{Region: "仙游县/榜头镇"})
	if len(rows) != 2 { // the account row and 坝下村
		t.Fatalf("region filter: %+v", rows)
	}

	h := fleet.TokenHash("lpc_x")
	if err := s.CreateConsoleSession(ctx, fleet.ConsoleSession{Hash: h, Username: "bangtou", Created: now, Seen: now, Expires: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.PruneConsoleSessions(ctx, now, now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConsoleSession(ctx, h); err != nil {
		t.Fatalf("a live session was pruned: %v", err)
	}
	if err := s.PruneConsoleSessions(ctx, now, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConsoleSession(ctx, h); !errors.Is(err, fleet.ErrUnauthorized) {
		t.Fatalf("an idle session survived pruning: %v", err)
	}
}
