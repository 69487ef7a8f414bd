package fleet

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Blobs keeps item bytes and screenshots on disk, named by their SHA-256
// (content-addressed): {dir}/ab/abcdef…. A blob is written to a temporary
// file, fsynced and renamed into place, so a reader never sees half a file
// and a crash leaves at most a stray temporary file.
type Blobs struct {
	dir string
}

// NewBlobs returns a blob store in dir, creating it if needed.
func NewBlobs(dir string) (*Blobs, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("blob store %s: %w (is the data folder writable?)", dir, err)
	}
	return &Blobs{dir: dir}, nil
}

// ValidSHA256 reports whether s is a lowercase hex SHA-256.
func ValidSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Path returns where the blob with this digest lives.
func (b *Blobs) Path(sum string) string {
	return filepath.Join(b.dir, sum[:2], sum)
}

// Has reports whether the blob is stored, and its size.
func (b *Blobs) Has(sum string) (int64, bool) {
	if !ValidSHA256(sum) {
		return 0, false
	}
	fi, err := os.Stat(b.Path(sum))
	if err != nil || !fi.Mode().IsRegular() {
		return 0, false
	}
	return fi.Size(), true
}

// Open opens a stored blob.
func (b *Blobs) Open(sum string) (*os.File, error) {
	if !ValidSHA256(sum) {
		return nil, fmt.Errorf("blob %q: %w", sum, ErrNotFound)
	}
	f, err := os.Open(b.Path(sum))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("blob %s: %w", sum, ErrNotFound)
	}
	return f, err
}

// Put stores what r holds, at most max bytes, and returns its SHA-256 and
// size. If want is not empty the bytes must hash to it, or nothing is kept.
func (b *Blobs) Put(r io.Reader, max int64, want string) (sum string, size int64, err error) {
	if want != "" && !ValidSHA256(want) {
		return "", 0, invalidField("sha256", "sha256 must be 64 lowercase hex digits", "SHA-256 校验值应为64位小写十六进制数字")
	}
	f, err := os.CreateTemp(b.dir, ".upload-*")
	if err != nil {
		return "", 0, fmt.Errorf("store upload: %w (is the disk full?)", err)
	}
	defer func() {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, max+1))
	if err != nil {
		return "", 0, fmt.Errorf("store upload: %w (the upload was interrupted or the disk is full; send it again)", err)
	}
	if n > max {
		return "", 0, &Error{Code: ErrTooLarge.Code, Msg: fmt.Sprintf("upload is over the %d-byte limit: make the file smaller", max),
			Zh: fmt.Sprintf("上传的文件超过 %d MB 的上限，请压缩后重新上传", max>>20)}
	}
	sum = hex.EncodeToString(h.Sum(nil))
	if want != "" && want != sum {
		return "", 0, &Error{Code: "checksum", Msg: fmt.Sprintf("upload has sha256 %s, not the %s given: the file was changed or cut on the way; send it again", sum, want),
			Zh: "上传文件的校验值不符，文件可能在传输中损坏，请重新上传"}
	}
	if err := f.Sync(); err != nil {
		return "", 0, fmt.Errorf("store upload: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", 0, fmt.Errorf("store upload: %w", err)
	}
	name := f.Name()
	f = nil
	defer os.Remove(name) // no-op after the rename
	if err := os.MkdirAll(filepath.Dir(b.Path(sum)), 0o700); err != nil {
		return "", 0, fmt.Errorf("store upload: %w", err)
	}
	if err := os.Rename(name, b.Path(sum)); err != nil {
		return "", 0, fmt.Errorf("store upload: %w", err)
	}
	if d, err := os.Open(filepath.Dir(b.Path(sum))); err == nil {
		d.Sync() // make the rename durable
		d.Close()
	}
	return sum, n, nil
}

// PutBytes stores data; see Put.
func (b *Blobs) PutBytes(data []byte) (string, error) {
	sum, _, err := b.Put(bytes.NewReader(data), int64(len(data)), "")
	return sum, err
}

// invalidField returns an ErrInvalid naming the field.
func invalidField(field, msg, zh string) error {
	return &FieldError{Field: field, Err: &Error{Code: ErrInvalid.Code, Msg: "invalid input: " + field + ": " + msg, Zh: zh}}
}

// FieldError is an input error tied to one field of a request.
type FieldError struct {
	Field string
	Err   *Error
}

func (e *FieldError) Error() string { return e.Err.Msg }

// Unwrap returns the coded error, so errors.Is(err, ErrInvalid) holds.
func (e *FieldError) Unwrap() error { return e.Err }
