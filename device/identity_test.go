package device

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lawpoint/content"
	"lawpoint/device/devicetest"
)

func validCreds(t *testing.T) Credentials {
	return Credentials{DeviceID: "led-0042", Password: "s3cret-pass", BrokerURL: "mqtts://fleet.example:8883",
		FleetURL: "https://fleet.example:8443", CountyKey: content.EncodePublicKey(devicetest.NewCounty(t).Public)}
}

// Credentials are kept readable only by the agent, and never printed.
func TestCredentialsFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	c := validCreds(t)
	if err := SaveCredentials(dir, c); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, CredentialsFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file mode %v (%v); want 0600", fi.Mode().Perm(), err)
	}
	got, err := LoadCredentials(dir)
	if err != nil || got != c {
		t.Fatalf("LoadCredentials = %+v, %v; want what was saved", got, err)
	}
	if strings.Contains(c.String(), c.Password) {
		t.Fatal("Credentials.String shows the password")
	}
	os.Chmod(filepath.Join(dir, CredentialsFile), 0o644)
	if _, err := LoadCredentials(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable credentials loaded: %v; want an error saying chmod 600", err)
	}
}

func TestCredentialsRefused(t *testing.T) {
	for name, mutate := range map[string]func(*Credentials){
		"uppercase ID":   func(c *Credentials) { c.DeviceID = "LED-1" },
		"wildcard ID":    func(c *Credentials) { c.DeviceID = "led-+" },
		"no password":    func(c *Credentials) { c.Password = "" },
		"http broker":    func(c *Credentials) { c.BrokerURL = "http://fleet:80" },
		"ftp fleet":      func(c *Credentials) { c.FleetURL = "ftp://fleet" },
		"truncated key":  func(c *Credentials) { c.CountyKey = c.CountyKey[:20] },
		"private as key": func(c *Credentials) { c.CountyKey = "ed25519-seed:AAAA" },
	} {
		c := validCreds(t)
		mutate(&c)
		if err := SaveCredentials(t.TempDir(), c); err == nil {
			t.Errorf("%s: saved; want a refusal", name)
		}
	}
	if _, err := LoadCredentials(t.TempDir()); err == nil || !strings.Contains(err.Error(), "enrol") {
		t.Errorf("missing credentials: %v; want an error saying to enrol", err)
	}
}

// A token is exchanged once for credentials saved with mode 0600; a second
// enrolment does not overwrite them; a refused token says what to do.
func TestEnrol(t *testing.T) {
	key := content.EncodePublicKey(devicetest.NewCounty(t).Public)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Token string }
		json.NewDecoder(r.Body).Decode(&req)
		if r.URL.Path != "/api/enrol" || req.Token != "tok-1" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":"enrolment token unknown or used","message":"注册码无效"}`))
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"device_id": "led-0042", "kind": "led", "username": "led-0042",
			"password": "p-42", "mqtt_url": "mqtt://127.0.0.1:1883", "public_key": key})
	}))
	defer srv.Close()
	dir := t.TempDir()
	if _, err := Enrol(context.Background(), dir, Enrolment{FleetURL: srv.URL, Token: "nope"}); err == nil || !strings.Contains(err.Error(), "new token") {
		t.Fatalf("a wrong token: %v; want a refusal asking for a new token", err)
	}
	c, err := Enrol(context.Background(), dir, Enrolment{FleetURL: srv.URL, Token: "tok-1"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := LoadCredentials(dir)
	if err != nil || got != c || got.DeviceID != "led-0042" || got.FleetURL != srv.URL {
		t.Fatalf("saved %+v (%v); want led-0042 from %s", got, err, srv.URL)
	}
	if _, err := Enrol(context.Background(), dir, Enrolment{FleetURL: srv.URL, Token: "tok-1"}); err == nil {
		t.Fatal("enrolling again overwrote the credentials")
	}
}
