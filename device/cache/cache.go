package cache

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"lawpoint/content"
	"lawpoint/device/internal/fsutil"
)

// File and folder names inside the cache folder.
const (
	currentName = "current"
	itemsDir    = "items"
	partialDir  = "partial"
)

// testHook, when set (by tests), is called at the named points of Apply so
// a test can kill the process there.
var testHook func(point string)

func hook(point string) {
	if testHook != nil {
		testHook(point)
	}
}

// Set is a verified manifest in use and where its items lie.
type Set struct {
	Manifest *content.Manifest
	// Signed is the manifest as the fleet signed it.
	Signed []byte
	dir    string
}

// Serial is the manifest serial, 0 for a nil Set.
func (s *Set) Serial() uint64 {
	if s == nil {
		return 0
	}
	return s.Manifest.Serial
}

// Path returns the file holding the bytes of ref.
func (s *Set) Path(ref content.ItemRef) string {
	return filepath.Join(s.dir, itemsDir, ref.SHA256)
}

// Item returns the reference and file of the item with id.
func (s *Set) Item(id string) (content.ItemRef, string, bool) {
	if s == nil {
		return content.ItemRef{}, "", false
	}
	for _, r := range s.Manifest.Items {
		if r.ID == id {
			return r, s.Path(r), true
		}
	}
	return content.ItemRef{}, "", false
}

// Progress is how much of a manifest's items are on disk.
type Progress struct {
	ItemsTotal, ItemsReady int
	BytesTotal, BytesReady int64
}

// Cache is the content folder of one device. Its methods are safe for
// concurrent use; Apply calls are serialised.
type Cache struct {
	dir      string
	deviceID string
	pub      ed25519.PublicKey
	log      *slog.Logger

	apply sync.Mutex // one Apply/Repair at a time
	mu    sync.RWMutex
	cur   *Set
}

// Open opens the cache folder dir (creating it), loads and verifies the
// manifest in use, and checks that its items are present. A current file
// that no longer verifies is moved aside to current.rejected and the cache
// starts empty, so the device plays nothing rather than unsigned content.
func Open(dir, deviceID string, pub ed25519.PublicKey, log *slog.Logger) (*Cache, error) {
	if log == nil {
		log = slog.Default()
	}
	for _, d := range []string{dir, filepath.Join(dir, itemsDir), filepath.Join(dir, partialDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("cache: creating %s (is the data folder writable?): %w", d, err)
		}
	}
	if err := fsutil.RemoveTemps(dir); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	c := &Cache{dir: dir, deviceID: deviceID, pub: pub, log: log}
	raw, err := os.ReadFile(filepath.Join(dir, currentName))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return c, nil
	case err != nil:
		return nil, fmt.Errorf("cache: reading %s: %w", filepath.Join(dir, currentName), err)
	}
	set, err := c.load(raw)
	if err != nil {
		bad := filepath.Join(dir, currentName+".rejected")
		log.Error("content in use no longer verifies; starting without content until the fleet sends a manifest", "err", err, "moved_to", bad)
		if rerr := os.Rename(filepath.Join(dir, currentName), bad); rerr != nil {
			return nil, fmt.Errorf("cache: moving the unverifiable %s aside: %w", currentName, rerr)
		}
		return c, nil
	}
	c.cur = set
	return c, nil
}

func (c *Cache) load(raw []byte) (*Set, error) {
	// Serial 0 and an untrusted clock: at load only the signature, the
	// device and the form matter; expiry is the player's business.
	m, err := content.Verify(raw, c.pub, c.deviceID, 0, time.Time{}, false)
	if err != nil {
		return nil, err
	}
	set := &Set{Manifest: m, Signed: raw, dir: c.dir}
	for _, r := range m.Items {
		fi, err := os.Stat(set.Path(r))
		if err != nil || fi.Size() != r.Size {
			return nil, fmt.Errorf("cache: item %s v%d of manifest %d is missing or has the wrong size at %s", r.ID, r.Version, m.Serial, set.Path(r))
		}
	}
	return set, nil
}

// Dir is the cache folder.
func (c *Cache) Dir() string { return c.dir }

// Current returns the set in use, or nil when no content is applied.
func (c *Cache) Current() *Set {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.cur
}

// Need returns what Apply would have to do for m: the items not yet on
// disk and the progress counting those that are.
func (c *Cache) Need(m *content.Manifest) ([]content.ItemRef, Progress) {
	var missing []content.ItemRef
	p := Progress{ItemsTotal: len(m.Items)}
	for _, r := range m.Items {
		p.BytesTotal += r.Size
		if fi, err := os.Stat(c.itemPath(r)); err == nil && fi.Size() == r.Size {
			p.ItemsReady++
			p.BytesReady += r.Size
			continue
		}
		missing = append(missing, r)
	}
	return missing, p
}

func (c *Cache) itemPath(r content.ItemRef) string { return filepath.Join(c.dir, itemsDir, r.SHA256) }
func (c *Cache) partPath(r content.ItemRef) string {
	return filepath.Join(c.dir, partialDir, r.SHA256+".part")
}

// Apply makes m (already verified by the caller, signed as signed) the set
// in use: it fetches every missing item, and only when all are on disk and
// checked replaces the current pointer atomically, then removes what the
// old set alone used. progress (may be nil) is called as items complete.
// On error the set in use is unchanged and downloaded items stay for the
// next attempt.
func (c *Cache) Apply(ctx context.Context, m *content.Manifest, signed []byte, f *Fetcher, progress func(Progress)) error {
	c.apply.Lock()
	defer c.apply.Unlock()
	if m.DeviceID != c.deviceID {
		return fmt.Errorf("cache: manifest is for %s, not %s", m.DeviceID, c.deviceID)
	}
	missing, p := c.Need(m)
	if progress != nil {
		progress(p)
	}
	for _, r := range missing {
		if err := c.fetchItem(ctx, r, f); err != nil {
			return err
		}
		hook("item-ready")
		p.ItemsReady++
		p.BytesReady += r.Size
		if progress != nil {
			progress(p)
		}
	}
	if err := c.switchTo(ctx, m, signed); err != nil {
		return err
	}
	if _, err := c.GC(); err != nil {
		c.log.Warn("removing unused content failed; it is retried after the next change", "err", err)
	}
	return nil
}

// fetchItem puts the bytes of r into items/: from the manifest itself for a
// text whose body is its payload, else downloaded into partial/ and moved.
func (c *Cache) fetchItem(ctx context.Context, r content.ItemRef, f *Fetcher) error {
	dst := c.itemPath(r)
	if r.Text != nil {
		if sum, n := content.Digest([]byte(r.Text.Body)); sum == r.SHA256 && n == r.Size {
			if err := fsutil.WriteFile(dst, []byte(r.Text.Body), 0o644); err != nil {
				return diskErr(fmt.Errorf("cache: storing text item %s: %w", r.ID, err))
			}
			return nil
		}
	}
	if f == nil {
		return fmt.Errorf("cache: item %s v%d must be downloaded but no fetcher is configured: %w", r.ID, r.Version, ErrDownload)
	}
	part := c.partPath(r)
	if err := f.Download(ctx, r, part); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if err := os.Rename(part, dst); err != nil {
		return fmt.Errorf("cache: moving %s into place: %w", part, err)
	}
	if err := fsutil.SyncDir(filepath.Dir(dst)); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

func diskErr(err error) error {
	if strings.Contains(err.Error(), "no space left") {
		return errors.Join(ErrDiskFull, err)
	}
	return err
}

// switchTo replaces the current pointer with signed: write a temporary
// file, flush it, rename it over current, flush the folder.
func (c *Cache) switchTo(ctx context.Context, m *content.Manifest, signed []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("cache: switching to manifest %d: %w", m.Serial, err)
	}
	set := &Set{Manifest: m, Signed: signed, dir: c.dir}
	for _, r := range m.Items { // never point at a set with a hole
		if fi, err := os.Stat(set.Path(r)); err != nil || fi.Size() != r.Size {
			return fmt.Errorf("cache: item %s is not on disk; not switching to manifest %d: %w", r.ID, m.Serial, ErrDownload)
		}
	}
	tmp := filepath.Join(c.dir, "."+currentName+".tmp-switch")
	if err := writeSynced(tmp, signed); err != nil {
		return diskErr(fmt.Errorf("cache: %w", err))
	}
	hook("pointer-written")
	if err := os.Rename(tmp, filepath.Join(c.dir, currentName)); err != nil {
		return fmt.Errorf("cache: switching to manifest %d: %w", m.Serial, err)
	}
	if err := fsutil.SyncDir(c.dir); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	c.mu.Lock()
	c.cur = set
	c.mu.Unlock()
	hook("switched")
	return nil
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("flushing %s: %w", path, err)
	}
	return f.Close()
}

// Clear stops using any content (the desired state assigns none).
func (c *Cache) Clear() error {
	c.apply.Lock()
	defer c.apply.Unlock()
	if err := os.Remove(filepath.Join(c.dir, currentName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cache: removing the content pointer: %w", err)
	}
	if err := fsutil.SyncDir(c.dir); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	c.mu.Lock()
	c.cur = nil
	c.mu.Unlock()
	_, err := c.GC()
	return err
}

// GC removes item files and partial downloads the set in use does not
// name, and returns how many files went. Apply calls it after a switch.
func (c *Cache) GC() (int, error) {
	keep := map[string]bool{}
	if cur := c.Current(); cur != nil {
		for _, r := range cur.Manifest.Items {
			keep[r.SHA256] = true
		}
	}
	removed := 0
	var errs []error
	for _, sub := range []string{itemsDir, partialDir} {
		ents, err := os.ReadDir(filepath.Join(c.dir, sub))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, e := range ents {
			if keep[strings.TrimSuffix(e.Name(), ".part")] {
				continue
			}
			if err := os.Remove(filepath.Join(c.dir, sub, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
				continue
			}
			removed++
			hook("gc-removed")
		}
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("cache: removing unused items: %w", err)
	}
	return removed, nil
}

// Check hashes every item of the set in use and returns the references
// whose file is missing or differs from the manifest.
func (c *Cache) Check(ctx context.Context) ([]content.ItemRef, error) {
	cur := c.Current()
	if cur == nil {
		return nil, nil
	}
	var bad []content.ItemRef
	for _, r := range cur.Manifest.Items {
		if err := ctx.Err(); err != nil {
			return bad, err
		}
		if checkFile(cur.Path(r), r) != nil {
			bad = append(bad, r)
		}
	}
	return bad, nil
}

// Repair re-fetches the items of the set in use that Check finds bad (a
// resync command). A bad file is first moved to partial/ so the download
// may reuse a correct prefix.
func (c *Cache) Repair(ctx context.Context, f *Fetcher) (int, error) {
	c.apply.Lock()
	defer c.apply.Unlock()
	bad, err := c.Check(ctx)
	if err != nil {
		return 0, err
	}
	for _, r := range bad {
		os.Remove(c.partPath(r))
		os.Rename(c.itemPath(r), c.partPath(r))
		if err := c.fetchItem(ctx, r, f); err != nil {
			return 0, err
		}
	}
	return len(bad), nil
}

// checkFile verifies that path holds exactly the bytes ref describes.
func checkFile(path string, ref content.ItemRef) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); n != ref.Size || sum != ref.SHA256 {
		return fmt.Errorf("item %s v%d: got %d bytes with sha256 %s, want %d bytes with sha256 %s; the fleet's copy or the download is damaged: %w",
			ref.ID, ref.Version, n, sum, ref.Size, ref.SHA256, ErrChecksum)
	}
	return nil
}
