package devicetest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"lawpoint/device/wire"
)

// FleetUser is the fleet's MQTT username in the tests.
const FleetUser = "lawpoint_fleet"

// Mosquitto is a Debian mosquitto broker on a loopback port, with a
// password file made by mosquitto_passwd and the ACL of wire.MosquittoACL.
type Mosquitto struct {
	Port int
	// Passwords by username (devices and FleetUser).
	Passwords map[string]string
	t         testing.TB
	dir       string
	mu        sync.Mutex
	cmd       *exec.Cmd
	log       *strings.Builder
}

// StartMosquitto starts a broker that knows devices and the fleet user,
// each with the password "pw-" + username. It skips the test when mosquitto
// is not installed.
func StartMosquitto(t testing.TB, devices ...string) *Mosquitto {
	t.Helper()
	for _, bin := range []string{"mosquitto", "mosquitto_passwd"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed (apt-get install mosquitto)", bin)
		}
	}
	dir := t.TempDir()
	// Mosquitto started as root drops to the mosquitto user: its files
	// must be readable by others.
	os.Chmod(filepath.Dir(dir), 0o755) // t.TempDir's parent is 0700
	os.Chmod(dir, 0o755)
	m := &Mosquitto{Passwords: map[string]string{}, t: t, dir: dir}
	pw := filepath.Join(dir, "passwd")
	users := append([]string{FleetUser}, devices...)
	for i, u := range users {
		m.Passwords[u] = "pw-" + u
		args := []string{"-b", pw, u, m.Passwords[u]}
		if i == 0 {
			args = append([]string{"-c"}, args...)
		}
		if out, err := exec.Command("mosquitto_passwd", args...).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_passwd: %v\n%s", err, out)
		}
	}
	os.Chmod(pw, 0o644)
	acl, err := wire.MosquittoACL(devices, FleetUser)
	if err != nil {
		t.Fatal(err)
	}
	m.Port = FreePort(t)
	conf := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous false\npassword_file %s\nacl_file %s\npersistence false\nmax_packet_size 1048576\n",
		m.Port, pw, filepath.Join(dir, "acl"))
	for name, text := range map[string]string{"acl": acl, "mosquitto.conf": conf} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m.Start()
	t.Cleanup(m.Stop)
	return m
}

// URL is the broker's mqtt:// URL.
func (m *Mosquitto) URL() string { return fmt.Sprintf("mqtt://127.0.0.1:%d", m.Port) }

// Start starts the broker (again) and waits until it listens.
func (m *Mosquitto) Start() {
	m.t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.log = &strings.Builder{}
	m.cmd = exec.Command("mosquitto", "-c", filepath.Join(m.dir, "mosquitto.conf"))
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	if err := m.cmd.Start(); err != nil {
		m.t.Fatalf("starting mosquitto: %v", err)
	}
	if err := WaitPort(context.Background(), m.Port, 10*time.Second); err != nil {
		m.t.Fatalf("mosquitto did not listen: %v\n%s", err, m.log.String())
	}
}

// Stop kills the broker (all sessions and retained messages are lost:
// persistence is off).
func (m *Mosquitto) Stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil && m.cmd.Process != nil {
		m.cmd.Process.Kill()
		m.cmd.Wait()
		m.cmd = nil
	}
}

// Restart stops and starts the broker on the same port.
func (m *Mosquitto) Restart() {
	m.Stop()
	m.Start()
}

// FreePort returns a free loopback TCP port.
func FreePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WaitPort waits until something accepts connections on port.
func WaitPort(ctx context.Context, port int, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("nothing listens on port %d: %w", port, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
