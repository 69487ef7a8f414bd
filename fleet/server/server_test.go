package server_test

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"lawpoint/content"
	"lawpoint/fleet"
	"lawpoint/fleet/broker"
	"lawpoint/fleet/server"
	"lawpoint/fleet/sqlitestore"
)

func TestInitCreatesACountyOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	res, err := server.Init(t.Context(), server.InitConfig{Data: dir, Hosts: []string{"fleet.example.cn", "10.0.0.5"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Admin != "admin" || len(res.AdminPassword) < 16 {
		t.Fatalf("init result %+v", res)
	}
	for name, perm := range map[string]os.FileMode{
		server.SigningKeyFile: 0o600, server.CAKeyFile: 0o600, server.ServerKeyFile: 0o600, server.FleetPasswordFile: 0o600,
		server.SigningPubFile: 0o644, server.CACertFile: 0o644, server.ServerCertFile: 0o644,
	} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != perm {
			t.Errorf("%s has mode %v, want %v", name, fi.Mode().Perm(), perm)
		}
	}
	keyText, _ := os.ReadFile(filepath.Join(dir, server.SigningKeyFile))
	key, err := content.DecodePrivateKey(strings.TrimSpace(string(keyText)))
	if err != nil {
		t.Fatalf("signing key is not readable by content: %v", err)
	}
	pubText, _ := os.ReadFile(filepath.Join(dir, server.SigningPubFile))
	if got := strings.TrimSpace(string(pubText)); got != res.PublicKey || content.KeyID(key.Public().(ed25519.PublicKey)) != res.SigningKeyID {
		t.Fatalf("public key file %q does not match the private key (result %+v)", got, res)
	}

	// The admin password printed once works against the stored slow hash.
	st, err := sqlitestore.Open(t.Context(), filepath.Join(dir, server.StoreFile))
	if err != nil {
		t.Fatal(err)
	}
	admin, err := st.Staff(t.Context(), "admin")
	st.Close()
	if err != nil || !fleet.VerifyStaffPassword(admin.Hash, res.AdminPassword) {
		t.Fatalf("admin account: %+v %v", admin, err)
	}

	// The server certificate chains to the CA for the names asked for.
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(filepath.Join(dir, server.CACertFile))
	pool.AppendCertsFromPEM(caPEM)
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, server.ServerCertFile), filepath.Join(dir, server.ServerKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(pair.Certificate[0])
	for _, h := range []string{"localhost", "127.0.0.1", "fleet.example.cn", "10.0.0.5"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: h}); err != nil {
			t.Errorf("server certificate for %s: %v", h, err)
		}
	}

	if _, err := server.Init(t.Context(), server.InitConfig{Data: dir}); err == nil {
		t.Fatal("init ran twice on one folder; the county's keys would be replaced")
	}
}

func TestServeOverTLSAndShutdown(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	if _, err := server.Init(ctx, server.InitConfig{Data: dir}); err != nil {
		t.Fatal(err)
	}
	st, err := sqlitestore.Open(ctx, filepath.Join(dir, server.StoreFile))
	if err != nil {
		t.Fatal(err)
	}
	reg := fleet.NewRegistry(st)
	if _, err := reg.CreateDevice(ctx, fleet.Device{ID: "kiosk-1", Kind: fleet.KindKiosk, Region: "仙游县/榜头镇/坝下村"}); err != nil {
		t.Fatal(err)
	}
	tok, _, _ := reg.CreateToken(ctx, "kiosk-1", 0)
	en, err := reg.Enrol(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	runCtx, stop := context.WithCancel(context.Background())
	defer stop()
	ready := make(chan map[string]string, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.Serve(runCtx, server.ServeConfig{Data: dir, MQTT: "127.0.0.1:0", MQTTS: "127.0.0.1:0", HTTP: "127.0.0.1:0",
			Ready: func(a map[string]string) { ready <- a }})
	}()
	var addrs map[string]string
	select {
	case addrs = <-ready:
	case err := <-done:
		t.Fatalf("serve stopped: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}

	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(filepath.Join(dir, server.CACertFile))
	pool.AppendCertsFromPEM(caPEM)
	c := paho.NewClient(paho.NewClientOptions().AddBroker("ssl://" + addrs["mqtts"]).
		SetTLSConfig(&tls.Config{RootCAs: pool, ServerName: "localhost"}).
		SetClientID("kiosk-1").SetUsername("kiosk-1").SetPassword(en.Password).SetAutoReconnect(false))
	if tk := c.Connect(); !tk.WaitTimeout(20*time.Second) || tk.Error() != nil {
		t.Fatalf("device over TLS with the county CA: %v", tk.Error())
	}

	resp, err := http.Get("http://" + addrs["http"] + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var health struct {
		Status  string `json:"status"`
		Clients int    `json:"mqtt_clients"`
	}
	json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if health.Status != "ok" || health.Clients != 1 {
		t.Fatalf("health %+v, want ok with 1 client", health)
	}

	stop() // as SIGTERM does
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("graceful shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	c2 := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + addrs["mqtt"]).SetClientID("kiosk-1").
		SetUsername("kiosk-1").SetPassword(en.Password).SetAutoReconnect(false).SetConnectTimeout(5 * time.Second))
	if tk := c2.Connect(); tk.WaitTimeout(10*time.Second) && tk.Error() == nil {
		t.Fatal("broker still accepts connections after shutdown")
	}
}

// An admin password the operator chose (init --admin-password-file) is
// checked by the password rules, never returned, and signs in to the API
// at once: it is the owner's own, not a one-time password to change.
func TestInitWithChosenAdminPassword(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if _, err := server.Init(t.Context(), server.InitConfig{Data: dir, AdminPassword: "short"}); err == nil {
		t.Fatal("a 5-character admin password was accepted")
	} else {
		var ps fleet.FieldErrors
		if !errors.As(err, &ps) || !strings.Contains(ps[0].Err.Zh, "至少需要10个字符") {
			t.Fatalf("short password: %v", err)
		}
	}
	// The refusal wrote nothing: the same folder initialises afterwards.
	res, err := server.Init(t.Context(), server.InitConfig{Data: dir, AdminPassword: "县司法局 correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	if res.AdminPassword != "" {
		t.Fatalf("a chosen password was returned: %q", res.AdminPassword)
	}
	st, err := sqlitestore.Open(t.Context(), filepath.Join(dir, server.StoreFile))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, _, err := fleet.NewRegistry(st).Login(t.Context(), "admin", "县司法局 correct horse", time.Hour); err != nil {
		t.Fatalf("API sign-in with the chosen password: %v", err)
	}
}

// Every device's desired state is republished (the manifest renewal)
// before the broker drops it as a retained message: otherwise a device
// offline through that gap would find nothing when it returns.
func TestRetainedDesiredOutlivesTheRenewal(t *testing.T) {
	d := fleet.NewDistributor(nil, nil, nil, nil)
	gap := content.PlanHorizon - d.RefreshBefore + d.Interval
	if gap >= broker.DefaultMessageExpiry {
		t.Fatalf("desired state is republished every %v, but the broker keeps retained messages %v", gap, broker.DefaultMessageExpiry)
	}
}
