// Package fsutil holds the file-system primitives the device agent relies on
// for crash safety: a file replaced atomically (write a temporary file in the
// same folder, fsync it, rename it over the target, fsync the folder), so a
// process killed at any instant leaves either the old or the new content,
// never a mixture.
package fsutil

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteFile replaces path with data atomically and durably: after it returns
// nil, a power cut leaves the new content; if it fails or the process dies
// half-way, the old content (or no file) remains. perm applies to the new
// file.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("creating a temporary file next to %s (is the folder writable and the disk not full?): %w", path, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("setting the mode of %s: %w", tmp, err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("writing %s (is the disk full?): %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("flushing %s to disk: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("renaming %s over %s: %w", tmp, path, err)
	}
	ok = true
	return SyncDir(dir)
}

// SyncDir flushes a folder's entries (creations, renames, removals) to disk.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening folder %s to flush it: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("flushing folder %s to disk: %w", dir, err)
	}
	return nil
}

// RemoveTemps deletes the temporary files WriteFile leaves behind in dir
// when a process dies between creating and renaming them.
func RemoveTemps(dir string) error {
	matches, err := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	if err != nil {
		return err
	}
	for _, m := range matches {
		if err := os.Remove(m); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("removing the leftover temporary file %s: %w", m, err)
		}
	}
	return nil
}
