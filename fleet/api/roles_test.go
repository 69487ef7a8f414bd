package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"lawpoint/fleet"
)

// A viewer's token opens no API route (the console is theirs, with its
// per-township checks), and every refusal is in the audit log.
func TestAPIRefusesNonAdministratorsAndAuditsIt(t *testing.T) {
	c := newCounty(t)
	accounts := fleet.NewAccounts(c.st, fleet.NewAudit(c.st, nil))
	pw, _, err := accounts.Create(t.Context(), fleet.Account{Username: "admin", Role: fleet.StaffAdmin}, "127.0.0.1",
		fleet.Account{Username: "viewer1", Role: fleet.StaffViewer})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := c.reg.Login(t.Context(), "viewer1", pw, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, c.srv.URL+"/api/devices", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a viewer's GET /api/devices: %d, want 403", resp.StatusCode)
	}
	// The same request with the administrator's token works.
	req.Header.Set("Authorization", "Bearer "+c.token)
	if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the administrator's GET /api/devices: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	rows, err := c.st.AuditLog(t.Context(), fleet.AuditFilter{Actor: "viewer1", Action: fleet.AuditDenied})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || !strings.Contains(rows[0].Target, "/api/devices") || rows[0].Outcome != fleet.OutcomeDenied {
		t.Fatalf("audit rows for the refused viewer: %+v", rows)
	}
}
