package cache

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"lawpoint/content"
	"lawpoint/device/devicetest"
)

const dev = "led-0001"

var issued = time.Date(2026, 5, 4, 9, 30, 0, 0, time.UTC)

// fixture is a county, an item server and two manifests: A with items a1,
// shared; B with shared, b1, b2 (b1 and b2 large enough to cut or stall).
type fixture struct {
	county  *devicetest.County
	srv     *devicetest.ItemServer
	items   map[string]content.Item
	data    map[string][]byte
	mA, mB  *content.Manifest
	sA, sB  []byte
	fetcher *Fetcher
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{county: devicetest.NewCounty(t), srv: devicetest.NewItemServer(t), items: map[string]content.Item{}, data: map[string][]byte{}}
	for i, spec := range []struct {
		id string
		n  int
	}{{"a1", 3000}, {"shared", 5000}, {"b1", 300 << 10}, {"b2", 200 << 10}} {
		it, data := devicetest.Image(spec.id, 1, spec.n, byte(i+1))
		f.items[spec.id], f.data[spec.id] = it, data
		f.srv.Add(it, data)
	}
	text := content.NewText("t-law", 1, content.Text{Body: "学习民法典，护航美好生活"})
	f.items["t-law"] = text // carried inline, never downloaded
	f.mA, f.sA = f.county.Manifest(t, dev, 1, issued, f.items["a1"], f.items["shared"], text)
	f.mB, f.sB = f.county.Manifest(t, dev, 2, issued, f.items["shared"], f.items["b1"], f.items["b2"], text)
	f.fetcher = &Fetcher{Base: f.srv.URL, User: f.srv.User, Password: f.srv.Password, Attempts: 3, RetryDelay: time.Millisecond}
	return f
}

func open(t *testing.T, f *fixture, dir string) *Cache {
	t.Helper()
	c, err := Open(dir, dev, f.county.Public, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// files lists the item files on disk.
func files(t *testing.T, dir string) []string {
	ents, _ := os.ReadDir(filepath.Join(dir, itemsDir))
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	slices.Sort(out)
	return out
}

func shas(m *content.Manifest) []string {
	var out []string
	for _, r := range m.Items {
		out = append(out, r.SHA256)
	}
	slices.Sort(out)
	return out
}

// consistent checks that the set in use is whole: every item present with
// the right bytes.
func consistent(t *testing.T, c *Cache) {
	t.Helper()
	bad, err := c.Check(context.Background())
	if err != nil || len(bad) > 0 {
		t.Fatalf("set in use (serial %d) has bad items %v (%v)", c.Current().Serial(), bad, err)
	}
}

func TestApplySwitchesAndCollects(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	c := open(t, f, dir)
	if c.Current() != nil {
		t.Fatal("a fresh cache has content in use")
	}
	ctx := context.Background()
	var seen []Progress
	if err := c.Apply(ctx, f.mA, f.sA, f.fetcher, func(p Progress) { seen = append(seen, p) }); err != nil {
		t.Fatal(err)
	}
	if got := c.Current().Serial(); got != 1 {
		t.Fatalf("serial in use %d; want 1", got)
	}
	if last := seen[len(seen)-1]; last.ItemsReady != 3 || last.BytesReady != last.BytesTotal {
		t.Fatalf("last progress %+v; want all 3 items ready", last)
	}
	_, path, _ := c.Current().Item("a1")
	if b, _ := os.ReadFile(path); !bytes.Equal(b, f.data["a1"]) {
		t.Fatal("item a1 on disk differs from what the fleet served")
	}
	if err := c.Apply(ctx, f.mB, f.sB, f.fetcher, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := files(t, dir), shas(f.mB); !slices.Equal(got, want) {
		t.Fatalf("items on disk %v; want only manifest 2's %v (a1 collected)", got, want)
	}
	// Restart: the same set comes back.
	c2 := open(t, f, dir)
	if c2.Current().Serial() != 2 {
		t.Fatalf("after restart serial %d; want 2", c2.Current().Serial())
	}
	consistent(t, c2)
	// The inline text was never downloaded.
	for _, r := range f.srv.Requests() {
		if strings.Contains(r.Path, "t-law") {
			t.Fatalf("the inline text item was downloaded: %v", r)
		}
	}
}

// A dropped connection mid-item resumes with a Range request from the
// bytes already on disk.
func TestDownloadResumesAfterDrop(t *testing.T) {
	f := newFixture(t)
	c := open(t, f, t.TempDir())
	f.srv.CutAfter(f.items["b1"], 100_000)
	if err := c.Apply(context.Background(), f.mB, f.sB, f.fetcher, nil); err != nil {
		t.Fatal(err)
	}
	consistent(t, c)
	if got := f.srv.RangedRequests(f.items["b1"]); !slices.Equal(got, []string{"bytes=100000-"}) {
		t.Fatalf("ranged requests for b1 %v; want one resuming at byte 100000", got)
	}
}

// Bytes that do not match the manifest are refused; the old set stays.
func TestChecksumMismatchKeepsOldSet(t *testing.T) {
	f := newFixture(t)
	c := open(t, f, t.TempDir())
	ctx := context.Background()
	if err := c.Apply(ctx, f.mA, f.sA, f.fetcher, nil); err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(f.data["b2"])
	bad[10] ^= 0xff
	f.srv.Add(f.items["b2"], bad)
	err := c.Apply(ctx, f.mB, f.sB, f.fetcher, nil)
	if !errors.Is(err, ErrChecksum) || Code(err) != "checksum" {
		t.Fatalf("Apply with damaged bytes: %v; want a checksum error", err)
	}
	if c.Current().Serial() != 1 {
		t.Fatalf("serial in use %d after a failed apply; want the old 1", c.Current().Serial())
	}
	consistent(t, c)
}

// An unreachable fleet gives a download error; nothing changes.
func TestDownloadFailureKeepsOldSet(t *testing.T) {
	f := newFixture(t)
	c := open(t, f, t.TempDir())
	ctx := context.Background()
	c.Apply(ctx, f.mA, f.sA, f.fetcher, nil)
	wrong := *f.fetcher
	wrong.Password = "nope"
	err := c.Apply(ctx, f.mB, f.sB, &wrong, nil)
	if !errors.Is(err, ErrDownload) || !strings.Contains(err.Error(), "credentials") {
		t.Fatalf("Apply with wrong credentials: %v; want a download error naming the credentials", err)
	}
	if c.Current().Serial() != 1 {
		t.Fatal("the set in use changed after a failed download")
	}
}

// A current file altered on disk is refused at start; the device starts
// empty rather than play unsigned content.
func TestTamperedCurrentRefusedAtOpen(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	c := open(t, f, dir)
	c.Apply(context.Background(), f.mA, f.sA, f.fetcher, nil)
	os.WriteFile(filepath.Join(dir, currentName), devicetest.Tamper(t, f.sA), 0o644)
	c2 := open(t, f, dir)
	if c2.Current() != nil {
		t.Fatal("a tampered current file was loaded")
	}
	if _, err := os.Stat(filepath.Join(dir, currentName+".rejected")); err != nil {
		t.Fatal("the tampered file was not kept aside for inspection")
	}
}

// Resync repairs an item damaged on disk.
func TestRepair(t *testing.T) {
	f := newFixture(t)
	c := open(t, f, t.TempDir())
	c.Apply(context.Background(), f.mA, f.sA, f.fetcher, nil)
	_, path, _ := c.Current().Item("a1")
	os.Chmod(path, 0o644)
	os.WriteFile(path, bytes.Repeat([]byte{0}, len(f.data["a1"])), 0o644)
	n, err := c.Repair(context.Background(), f.fetcher)
	if err != nil || n != 1 {
		t.Fatalf("Repair = %d, %v; want 1 item repaired", n, err)
	}
	consistent(t, c)
}

// TestKilledMidSync runs Apply in a child process and kills it with SIGKILL
// at several points (mid-download, after an item, with the new pointer
// written but not renamed, after the switch, during collection). Every
// restart finds one whole set, and a new run completes from where the
// killed one stopped.
func TestKilledMidSync(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: spawns processes")
	}
	for _, point := range []string{"mid-download", "item-ready", "pointer-written", "switched", "gc-removed"} {
		t.Run(point, func(t *testing.T) {
			f := newFixture(t)
			dir := t.TempDir()
			c := open(t, f, dir)
			ctx := context.Background()
			if err := c.Apply(ctx, f.mA, f.sA, f.fetcher, nil); err != nil {
				t.Fatal(err)
			}
			signedB := filepath.Join(t.TempDir(), "b.manifest")
			os.WriteFile(signedB, f.sB, 0o644)
			var stalled <-chan struct{}
			var release chan<- struct{}
			if point == "mid-download" {
				stalled, release = f.srv.StallAfter(150_000)
				defer close(release)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestSyncChild$", "-test.v")
			cmd.Env = append(os.Environ(), "LAWPOINT_SYNC_CHILD=1", "SYNC_DIR="+dir, "SYNC_URL="+f.srv.URL,
				"SYNC_KEY="+content.EncodePublicKey(f.county.Public), "SYNC_MANIFEST="+signedB, "SYNC_KILL_AT="+point)
			out, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			reached := make(chan struct{})
			go func() {
				sc := bufio.NewScanner(out)
				for sc.Scan() {
					if sc.Text() == "AT "+point {
						close(reached)
					}
				}
				io.Copy(io.Discard, out)
			}()
			if stalled != nil {
				// Wait until the child has the stalled bytes on disk.
				part := filepath.Join(dir, partialDir, f.items["b1"].SHA256+".part")
				reached = make(chan struct{})
				go func() {
					<-stalled
					for {
						if fi, err := os.Stat(part); err == nil && fi.Size() == 150_000 {
							close(reached)
							return
						}
						time.Sleep(5 * time.Millisecond)
					}
				}()
			}
			select {
			case <-reached:
			case <-time.After(60 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("the child never reached %s", point)
			}
			cmd.Process.Kill() // SIGKILL
			cmd.Wait()

			c2 := open(t, f, dir)
			serial := c2.Current().Serial()
			want := map[string]uint64{"mid-download": 1, "item-ready": 1, "pointer-written": 1, "switched": 2, "gc-removed": 2}[point]
			if serial != want {
				t.Fatalf("after a kill at %s the set in use is %d; want %d", point, serial, want)
			}
			consistent(t, c2)
			if err := c2.Apply(ctx, f.mB, f.sB, f.fetcher, nil); err != nil {
				t.Fatalf("sync after the restart: %v", err)
			}
			consistent(t, c2)
			if got, want := files(t, dir), shas(f.mB); !slices.Equal(got, want) {
				t.Fatalf("items on disk %v; want only manifest 2's %v", got, want)
			}
			if point == "mid-download" {
				if got := f.srv.RangedRequests(f.items["b1"]); !slices.Equal(got, []string{"bytes=150000-"}) {
					t.Fatalf("the partial download was not resumed with a Range request: %v", f.srv.Requests())
				}
			}
		})
	}
}

// TestSyncChild is the child of TestKilledMidSync.
func TestSyncChild(t *testing.T) {
	if os.Getenv("LAWPOINT_SYNC_CHILD") != "1" {
		t.Skip("runs only as the child of TestKilledMidSync")
	}
	point := os.Getenv("SYNC_KILL_AT")
	testHook = func(p string) {
		if p == point {
			os.Stdout.WriteString("AT " + p + "\n")
			select {} // wait for SIGKILL
		}
	}
	pub, err := content.DecodePublicKey(os.Getenv("SYNC_KEY"))
	if err != nil {
		t.Fatal(err)
	}
	signed, _ := os.ReadFile(os.Getenv("SYNC_MANIFEST"))
	c, err := Open(os.Getenv("SYNC_DIR"), dev, pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := content.Verify(signed, pub, dev, c.Current().Serial(), issued, true)
	if err != nil {
		t.Fatal(err)
	}
	f := &Fetcher{Base: os.Getenv("SYNC_URL"), User: "led-0001", Password: "pw-led-0001", Attempts: 1}
	if err := c.Apply(context.Background(), m, signed, f, nil); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("DONE\n")
	select {}
}
