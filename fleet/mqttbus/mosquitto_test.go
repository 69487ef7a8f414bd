package mqttbus_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"lawpoint/device/wire"
	"lawpoint/fleet"
	"lawpoint/fleet/sqlitestore"
)

// Against Debian's Mosquitto: the stored password hashes work as its
// password_file unchanged, wire.MosquittoACL keeps devices in their
// subtrees, and the fleet's presence tracker runs over mqttbus with a shared
// subscription. Skipped when mosquitto is not installed (scripts/deps.sh
// installs it).
func TestMosquittoWithExportedAccounts(t *testing.T) {
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		t.Skip("mosquitto not installed")
	}
	ctx := t.Context()
	dir := t.TempDir()
	st, err := sqlitestore.Open(ctx, filepath.Join(dir, "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg := fleet.NewRegistry(st)
	pass := map[string]string{}
	for _, id := range []string{"led-1", "led-2"} {
		if _, err := reg.CreateDevice(ctx, fleet.Device{ID: id, Kind: fleet.KindLED, Region: "仙游县"}); err != nil {
			t.Fatal(err)
		}
		tok, _, _ := reg.CreateToken(ctx, id, 0)
		e, err := reg.Enrol(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		pass[id] = e.Password
	}
	fleetPW, err := reg.CreateFleetAccount(ctx, wire.DefaultFleetUser)
	if err != nil {
		t.Fatal(err)
	}

	// The password file straight from the store: username:hash lines.
	creds, err := st.Credentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pw strings.Builder
	for _, c := range creds {
		fmt.Fprintf(&pw, "%s:%s\n", c.Username, c.Hash)
	}
	acl, err := wire.MosquittoACL([]string{"led-1", "led-2"}, wire.DefaultFleetUser)
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	conf := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous false\npassword_file %s\nacl_file %s\npersistence false\nlog_dest stderr\n",
		port, filepath.Join(dir, "passwd"), filepath.Join(dir, "acl"))
	if os.Geteuid() == 0 {
		conf += "user root\n"
	}
	for name, body := range map[string]string{"passwd": pw.String(), "acl": acl, "mosquitto.conf": conf} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	mctx, stop := context.WithCancel(context.Background())
	cmd := exec.CommandContext(mctx, bin, "-c", filepath.Join(dir, "mosquitto.conf"))
	var log strings.Builder
	cmd.Stderr = &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stop(); cmd.Wait() }()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitListening(t, addr, &log)

	connect := func(user, password string) (paho.Client, error) {
		c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(user).
			SetUsername(user).SetPassword(password).SetAutoReconnect(false).SetConnectTimeout(waitLimit))
		tk := c.Connect()
		tk.WaitTimeout(waitLimit)
		return c, tk.Error()
	}
	if _, err := connect("led-1", pass["led-2"]); err == nil {
		t.Fatal("mosquitto accepted led-1 with led-2's password")
	}
	d1, err := connect("led-1", pass["led-1"])
	if err != nil {
		t.Fatalf("mosquitto refused the stored hash of led-1: %v\n%s", err, log.String())
	}
	defer d1.Disconnect(0)

	bus, err := dialBus(ctx, wire.DefaultFleetUser, fleetPW, addr)
	if err != nil {
		t.Fatalf("fleet account: %v\n%s", err, log.String())
	}
	defer bus.Close()
	applied, stopRun := runTracker(t, st, bus)
	defer stopRun()

	// led-1 forges led-2's presence (Mosquitto drops it silently), then
	// publishes its own; only its own is stored.
	forged, _ := json.Marshal(wire.Presence{Schema: wire.Schema, Status: wire.Online, Session: 9, DeviceKind: wire.LED, AppVersion: "x"})
	own, _ := json.Marshal(wire.Presence{Schema: wire.Schema, Status: wire.Online, Session: 1, DeviceKind: wire.LED, AppVersion: "x"})
	d1.Publish(wire.Topic("led-2", wire.KindPresence), 1, true, forged).WaitTimeout(waitLimit)
	d1.Publish(wire.Topic("led-1", wire.KindPresence), 1, true, own).WaitTimeout(waitLimit)
	select {
	case p := <-applied:
		if p.DeviceID != "led-1" || p.Session != 1 {
			t.Fatalf("stored %+v; a forged presence got through Mosquitto's ACL", p)
		}
	case <-time.After(waitLimit):
		t.Fatalf("presence did not arrive through mosquitto\n%s", log.String())
	}
	if _, err := st.Presence(ctx, "led-2"); err == nil {
		t.Fatal("led-2 has a presence record, forged by led-1")
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitListening(t *testing.T, addr string, log *strings.Builder) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("mosquitto did not start listening on %s\n%s", addr, log.String())
}
