package sqlitestore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"lawpoint/fleet"
)

// The crash tests run a write in a child process (this test binary again),
// stop it inside the transaction at a named point, kill it with SIGKILL and
// reopen the store: it must open, pass SQLite's integrity checks, hold all
// it held before, and none of the interrupted write.

const (
	envDB    = "LAWPOINT_CRASH_DB"
	envPoint = "LAWPOINT_CRASH_POINT"
	envOp    = "LAWPOINT_CRASH_OP"
)

// TestCrashChild is the child side; it does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(envDB)
	if path == "" {
		t.Skip("child process of the crash tests")
	}
	point := os.Getenv(envPoint)
	testHook = func(p string) {
		if p == point {
			fmt.Println("READY")
			select {} // wait for SIGKILL inside the transaction
		}
	}
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		fmt.Println("ERROR", err)
		return
	}
	switch os.Getenv(envOp) {
	case "create":
		err = s.CreateDevice(ctx, dev("led-new", "仙游县/榜头镇", fleet.KindLED, "a", "b", "c"))
	case "redeem":
		_, err = s.RedeemToken(ctx, [32]byte{1}, fleet.Credential{Hash: fleet.HashPassword("pw"), Role: fleet.RoleDevice, Created: t0}, t0)
	case "events":
		err = func() error {
			var es []fleet.Event
			for i := range 50 {
				es = append(es, fleet.Event{DeviceID: "led-old", Key: fmt.Sprint("k", i), Type: "play", Payload: []byte("{}"), Occurred: t0, Received: t0})
			}
			_, err := s.AddEvents(ctx, es)
			return err
		}()
	case "open": // the hook fires inside the first migration
	}
	fmt.Println("FINISHED", err) // the parent fails the test if it sees this
}

// crashDuring runs op in a child process and kills it at point.
func crashDuring(t *testing.T, path, op, point string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envDB+"="+path, envPoint+"="+point, envOp+"="+op)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	ready := false
	for sc.Scan() {
		if sc.Text() == "READY" {
			ready = true
			break
		}
		t.Logf("child: %s", sc.Text())
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred clean-up runs
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if !ready {
		t.Fatalf("child never reached %q inside %s", point, op)
	}
}

// seeded creates a store with one device and an unused token, closed.
func seeded(t *testing.T) string {
	t.Helper()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "fleet.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateDevice(ctx, dev("led-old", "仙游县/榜头镇", fleet.KindLED, "主街")); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateToken(ctx, fleet.Token{Hash: [32]byte{1}, DeviceID: "led-old", Created: t0, Expires: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return path
}

func reopen(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("store does not reopen after a crash: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	if v, err := s.SchemaVersion(t.Context()); err != nil || v != len(migrations) {
		t.Fatalf("schema version %d (%v) after crash, want %d", v, err, len(migrations))
	}
	return s
}

func TestCrashDuringCreateDevice(t *testing.T) {
	path := seeded(t)
	crashDuring(t, path, "create", "device-row")
	s := reopen(t, path)
	ctx := t.Context()
	if _, err := s.Device(ctx, "led-new"); !errors.Is(err, fleet.ErrNotFound) {
		t.Fatalf("half-created device is visible: %v", err)
	}
	if d, err := s.Device(ctx, "led-old"); err != nil || len(d.Tags) != 1 {
		t.Fatalf("earlier device damaged: %+v %v", d, err)
	}
	if err := s.CreateDevice(ctx, dev("led-new", "仙游县/榜头镇", fleet.KindLED, "a")); err != nil {
		t.Fatalf("creating the device again after the crash: %v", err)
	}
}

func TestCrashDuringEnrolment(t *testing.T) {
	path := seeded(t)
	crashDuring(t, path, "redeem", "redeem")
	s := reopen(t, path)
	ctx := t.Context()
	if _, err := s.Credential(ctx, "led-old"); !errors.Is(err, fleet.ErrNotFound) {
		t.Fatalf("credential from an interrupted enrolment exists: %v", err)
	}
	// The token was not consumed: the device can retry.
	if _, err := s.RedeemToken(ctx, [32]byte{1}, fleet.Credential{Hash: "h", Role: fleet.RoleDevice, Created: t0}, t0); err != nil {
		t.Fatalf("retrying the enrolment after the crash: %v", err)
	}
}

func TestCrashDuringEventBatch(t *testing.T) {
	path := seeded(t)
	crashDuring(t, path, "events", "event")
	s := reopen(t, path)
	es, err := s.Events(t.Context(), "led-old", 0, 0)
	if err != nil || len(es) != 0 {
		t.Fatalf("interrupted batch left %d events (%v), want none", len(es), err)
	}
}

func TestCrashDuringMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fleet.db")
	crashDuring(t, path, "open", "migrate")
	s := reopen(t, path)
	if err := s.CreateDevice(t.Context(), dev("led-1", "仙游县", fleet.KindLED)); err != nil {
		t.Fatalf("store migrated after the crash is unusable: %v", err)
	}
}
