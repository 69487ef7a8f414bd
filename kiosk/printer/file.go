package printer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"syscall"
	"time"
)

// fileTransport writes to a device file: a USB printer through Linux usblp
// (/dev/usb/lp0), a parallel port, or a regular file (for debugging). The
// file stays open across receipts and is reopened after an error (the
// printer unplugged and plugged back in gives a new device).
//
// Status: usblp passes reads through to a bidirectional printer, so DLE EOT
// works when the printer answers; when it does not (a unidirectional
// printer, or no reply in time), the USB port status from the LPGETSTATUS
// ioctl stands in. A regular file has no status.
type fileTransport struct {
	path string
	mu   sync.Mutex
	s    *fileSession
}

func (t *fileTransport) open(ctx context.Context) (session, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.s != nil {
		return t.s, nil
	}
	fi, err := os.Stat(t.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no such device %s: the printer is unplugged or switched off, or the usblp driver is not loaded (ls /dev/usb/; dmesg | grep usblp)", t.path)
		}
		return nil, err
	}
	if fi.Mode().IsRegular() {
		f, err := os.OpenFile(t.path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return nil, err
		}
		t.s = &fileSession{stream: stream{rw: f, dl: nil}, f: f}
		return t.s, nil
	}
	canRead := true
	f, err := os.OpenFile(t.path, os.O_RDWR|syscall.O_NONBLOCK, 0)
	if err != nil {
		// Some device files are write-only.
		canRead = false
		f, err = os.OpenFile(t.path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	}
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return nil, fmt.Errorf("open %s: permission denied: add the kiosk user to the lp group: %w", t.path, err)
		}
		return nil, fmt.Errorf("open %s: %w", t.path, err)
	}
	s := &fileSession{stream: stream{rw: f, dl: f, canRead: canRead, drain: true, eofNoStatus: true}, f: f}
	// A file the poller cannot watch cannot time out reads: never block on one.
	if err := f.SetReadDeadline(time.Time{}); err != nil {
		s.noDLRead = true
		s.dl = nil
	}
	t.s = s
	return s, nil
}

func (t *fileTransport) release(s session, failed bool) {
	if !failed {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.s == s {
		t.s.f.Close()
		t.s = nil
	}
}

func (t *fileTransport) close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.s == nil {
		return nil
	}
	err := t.s.f.Close()
	t.s = nil
	return err
}

// fileSession is a stream over a device file.
type fileSession struct {
	stream
	f *os.File
}

func (s *fileSession) portStatus() (Status, error) { return lpStatus(s.f) }
