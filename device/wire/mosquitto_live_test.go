package wire

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMosquittoLive loads the rendered ACL into a real Mosquitto (Debian's
// mosquitto package) and checks with its command-line clients that a device
// reads only its own topics, even through wildcards, and cannot write desired
// state nor another device's topics. Skipped without the binaries or with
// -short.
func TestMosquittoLive(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	for _, bin := range []string{"mosquitto", "mosquitto_passwd", "mosquitto_pub", "mosquitto_sub"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed (apt-get install mosquitto mosquitto-clients)", bin)
		}
	}
	// Mosquitto drops root privileges, so its files must be world-readable.
	dir, err := os.MkdirTemp("", "wire-mosquitto-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	acl, err := MosquittoACL([]string{devA, devB}, fleet)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	run := func(name string, args ...string) (string, error) {
		out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
		return string(out), err
	}
	pw := filepath.Join(dir, "pw")
	for i, u := range []string{devA, devB, fleet} {
		args := []string{"-b", pw, u, "secret-" + u}
		if i == 0 {
			args = append([]string{"-c"}, args...)
		}
		if out, err := run("mosquitto_passwd", args...); err != nil {
			t.Fatalf("mosquitto_passwd: %v\n%s", err, out)
		}
	}
	port := freePort(t)
	conf := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous false\npassword_file %s\nacl_file %s\n",
		port, pw, filepath.Join(dir, "acl"))
	for name, text := range map[string]string{"acl": acl, "conf": conf} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_ = os.Chmod(pw, 0o644)
	broker := exec.CommandContext(ctx, "mosquitto", "-c", filepath.Join(dir, "conf"))
	var log strings.Builder
	broker.Stdout, broker.Stderr = &log, &log
	if err := broker.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { broker.Process.Kill(); broker.Wait() })
	waitPort(t, port)

	p := fmt.Sprint(port)
	pub := func(user, topic, msg string) {
		t.Helper()
		// A refused publish is silently dropped by Mosquitto; the reads below tell.
		if out, err := run("mosquitto_pub", "-p", p, "-u", user, "-P", "secret-"+user, "-i", user,
			"-t", topic, "-r", "-q", "1", "-m", msg); err != nil {
			t.Fatalf("mosquitto_pub as %s: %v\n%s\nbroker log:\n%s", user, err, out, log.String())
		}
	}
	sub := func(user string, filters ...string) []string {
		t.Helper()
		args := []string{"-p", p, "-u", user, "-P", "secret-" + user, "-i", user + "-sub", "-v", "-W", "2"}
		for _, f := range filters {
			args = append(args, "-t", f)
		}
		out, _ := run("mosquitto_sub", args...) // exits non-zero on the -W timeout
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if l != "" && !slices.Contains(lines, l) && !strings.Contains(l, "Timed out") {
				lines = append(lines, l)
			}
		}
		slices.Sort(lines)
		return lines
	}

	pub(fleet, Topic(devA, KindDesired), "A-desired")
	pub(fleet, Topic(devB, KindDesired), "B-desired")
	pub(devA, Topic(devA, KindDesired), "forged-by-A")  // refused: only the fleet writes desired
	pub(devA, Topic(devB, KindDesired), "forged-by-A")  // refused: not A's subtree
	pub(devA, Topic(devB, KindReported), "forged-by-A") // refused: not A's subtree
	pub(devA, Topic(devA, KindReported), "A-reported")  // allowed
	pub(devB, Topic(devB, KindPresence), "B-online")    // allowed

	got := sub(devA, "lp/v1/dev/+/desired", "#", "$share/fleet/lp/v1/dev/+/reported")
	want := []string{Topic(devA, KindDesired) + " A-desired"}
	if !slices.Equal(got, want) {
		t.Errorf("device A through wildcards reads %q; want only %q", got, want)
	}
	got = sub(fleet, "lp/v1/#")
	want = []string{Topic(devA, KindDesired) + " A-desired", Topic(devA, KindReported) + " A-reported",
		Topic(devB, KindDesired) + " B-desired", Topic(devB, KindPresence) + " B-online"}
	if !slices.Equal(got, want) {
		t.Errorf("fleet reads %q; want %q", got, want)
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitPort(t *testing.T, port int) {
	for range 100 {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("mosquitto did not listen on port %d", port)
}
