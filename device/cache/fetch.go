package cache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"lawpoint/content"
)

// Failure classes; every error of Apply wraps one, and Code names it with
// the reason codes of docs/PROTOCOL.md ("download", "checksum", "disk_full").
var (
	// ErrDownload: an item could not be fetched after the retries.
	ErrDownload = errors.New("item download failed")
	// ErrChecksum: an item's bytes do not match the manifest's SHA-256 or size.
	ErrChecksum = errors.New("item checksum mismatch")
	// ErrDiskFull: no space left for an item.
	ErrDiskFull = errors.New("disk full")
)

// Code returns the reported-state reason code for an error of this package:
// "checksum", "disk_full" or "download" (also for anything else).
func Code(err error) string {
	switch {
	case errors.Is(err, ErrChecksum):
		return "checksum"
	case errors.Is(err, ErrDiskFull), errors.Is(err, syscall.ENOSPC):
		return "disk_full"
	}
	return "download"
}

// Fetcher downloads item bytes from the fleet over HTTP(S), resuming a
// partial file with a Range request.
type Fetcher struct {
	// Base is the fleet's HTTP base URL, e.g. https://fleet.example:8443;
	// an item's path (/content/items/{id}/{version}) is joined to it.
	Base string
	// User and Password are the device's credentials, sent as HTTP basic
	// authentication.
	User, Password string
	// Client is the HTTP client (http.DefaultClient when nil). Its timeout,
	// if any, bounds a whole item; the caller's context bounds the sync.
	Client *http.Client
	// Attempts per item before giving up (default 4), waiting RetryDelay
	// doubled each time (default 2 s) between them.
	Attempts   int
	RetryDelay time.Duration
}

func (f *Fetcher) client() *http.Client {
	if f.Client != nil {
		return f.Client
	}
	return http.DefaultClient
}

// Download fetches ref into the file part, resuming what part already
// holds, and returns once part holds exactly the item's bytes (checked).
// A checksum failure removes part and starts once more from zero.
func (f *Fetcher) Download(ctx context.Context, ref content.ItemRef, part string) error {
	attempts := f.Attempts
	if attempts <= 0 {
		attempts = 4
	}
	delay := f.RetryDelay
	if delay <= 0 {
		delay = 2 * time.Second
	}
	var last error
	checksumFailures := 0
	for i := 0; i < attempts; i++ {
		if i > 0 {
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("downloading item %s v%d: %w", ref.ID, ref.Version, ctx.Err())
			case <-t.C:
			}
			delay *= 2
		}
		err := f.once(ctx, ref, part)
		if err == nil {
			return nil
		}
		last = err
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("downloading item %s v%d: %w", ref.ID, ref.Version, ctx.Err())
		case errors.Is(err, ErrDiskFull), errors.Is(err, syscall.ENOSPC):
			return errors.Join(ErrDiskFull, err)
		case errors.Is(err, ErrChecksum):
			os.Remove(part)
			checksumFailures++
			if checksumFailures >= 2 {
				return err
			}
		}
	}
	if errors.Is(last, ErrChecksum) {
		return last
	}
	return fmt.Errorf("item %s v%d: gave up after %d attempts; check the link to the fleet (last error: %v): %w",
		ref.ID, ref.Version, attempts, last, ErrDownload)
}

func (f *Fetcher) itemURL(ref content.ItemRef) (string, error) {
	base, err := url.Parse(strings.TrimSuffix(f.Base, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return "", fmt.Errorf("fleet base URL %q is not an http(s) URL; fix fleet_url in the credentials file: %w", f.Base, ErrDownload)
	}
	return base.String() + ref.Path, nil
}

// once makes one HTTP request for what part is missing.
func (f *Fetcher) once(ctx context.Context, ref content.ItemRef, part string) error {
	have := int64(0)
	if fi, err := os.Stat(part); err == nil {
		have = fi.Size()
	}
	if have > ref.Size {
		if err := os.Truncate(part, 0); err != nil {
			return fmt.Errorf("truncating %s: %w", part, err)
		}
		have = 0
	}
	if have == ref.Size {
		return checkFile(part, ref)
	}
	u, err := f.itemURL(ref)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("building the request for %s: %w", u, err)
	}
	if f.User != "" {
		req.SetBasicAuth(f.User, f.Password)
	}
	if have > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(have, 10)+"-")
	}
	resp, err := f.client().Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	flag := os.O_WRONLY | os.O_CREATE
	switch resp.StatusCode {
	case http.StatusPartialContent:
		start, ok := contentRangeStart(resp.Header.Get("Content-Range"))
		if !ok || start != have {
			return fmt.Errorf("GET %s: the fleet answered range %q to a request from byte %d; will retry from the start", u, resp.Header.Get("Content-Range"), have)
		}
		flag |= os.O_APPEND
	case http.StatusOK:
		flag |= os.O_TRUNC
		have = 0
	case http.StatusRequestedRangeNotSatisfiable:
		os.Truncate(part, 0)
		return fmt.Errorf("GET %s: range from byte %d refused; will retry from the start", u, have)
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("GET %s: %s; check the device credentials (or enrol again)", u, resp.Status)
	default:
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	out, err := os.OpenFile(part, flag, 0o644)
	if err != nil {
		return fmt.Errorf("opening %s: %w", part, err)
	}
	// Read at most one byte more than the item can have, to notice a
	// server sending too much.
	n, copyErr := io.Copy(out, io.LimitReader(resp.Body, ref.Size-have+1))
	syncErr := out.Sync()
	closeErr := out.Close()
	if err := errors.Join(copyErr, syncErr, closeErr); err != nil {
		if errors.Is(err, syscall.ENOSPC) {
			return fmt.Errorf("writing %s: free space on the data folder's disk: %w", part, errors.Join(ErrDiskFull, err))
		}
		return fmt.Errorf("GET %s: stopped after %d bytes (will resume): %w", u, have+n, err)
	}
	if have+n < ref.Size {
		return fmt.Errorf("GET %s: the connection ended after %d of %d bytes (will resume)", u, have+n, ref.Size)
	}
	return checkFile(part, ref)
}

func contentRangeStart(h string) (int64, bool) {
	rest, ok := strings.CutPrefix(h, "bytes ")
	if !ok {
		return 0, false
	}
	first, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(first, 10, 64)
	return v, err == nil
}
