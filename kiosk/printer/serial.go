package printer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"go.bug.st/serial"
)

// DefaultBaud is the serial speed when the URI names none: the factory
// setting of most Chinese thermal printers' RS-232 ports (Epson TM models
// often ship at 38400; check the self-test page).
const DefaultBaud = 9600

// serialTransport keeps one serial port open across receipts and reopens it
// after an error (an adapter pulled and plugged back in).
type serialTransport struct {
	path string
	baud int
	mu   sync.Mutex
	s    *serialSession
}

func (t *serialTransport) open(ctx context.Context) (session, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.s != nil {
		return t.s, nil
	}
	if _, err := os.Stat(t.path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no such port %s: check the cable and the device name (ls /dev/ttyUSB* /dev/ttyAMA* /dev/serial/by-id/)", t.path)
		}
		return nil, err
	}
	p, err := serial.Open(t.path, &serial.Mode{BaudRate: t.baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
	if err != nil {
		var pe *serial.PortError
		if errors.As(err, &pe) && pe.Code() == serial.PermissionDenied {
			return nil, fmt.Errorf("open %s: permission denied: add the kiosk user to the dialout group: %w", t.path, err)
		}
		if errors.As(err, &pe) && pe.Code() == serial.PortBusy {
			return nil, fmt.Errorf("open %s: port busy: another program holds it: %w", t.path, err)
		}
		return nil, fmt.Errorf("open %s at %d baud 8N1: %w", t.path, t.baud, err)
	}
	t.s = &serialSession{p: p}
	return t.s, nil
}

func (t *serialTransport) release(s session, failed bool) {
	if !failed {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.s == s {
		t.s.p.Close()
		t.s = nil
	}
}

func (t *serialTransport) close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.s == nil {
		return nil
	}
	err := t.s.p.Close()
	t.s = nil
	return err
}

// serialSession talks over a go.bug.st/serial port. Writes cannot time out
// there, so a cancelled context closes the port, which ends a blocked write
// (the transport reopens it next time).
type serialSession struct {
	p   serial.Port
	buf [16]byte
}

func (s *serialSession) write(ctx context.Context, p []byte) error {
	stop := context.AfterFunc(ctx, func() { s.p.Close() })
	defer stop()
	for len(p) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := s.p.Write(p[:min(len(p), chunk)])
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%w (%v)", ctx.Err(), err)
			}
			return err
		}
		p = p[n:]
	}
	return nil
}

func (s *serialSession) ask(ctx context.Context, n byte, timeout time.Duration) (byte, error) {
	s.p.ResetInputBuffer()
	if err := s.write(ctx, []byte{0x10, 0x04, n}); err != nil {
		return 0, err
	}
	deadline := time.Now().Add(timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	stop := context.AfterFunc(ctx, func() { s.p.Close() })
	defer stop()
	for {
		left := time.Until(deadline)
		if left <= 0 {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			return 0, errNoReply
		}
		if err := s.p.SetReadTimeout(left); err != nil {
			return 0, err
		}
		k, err := s.p.Read(s.buf[:1])
		if err != nil {
			if ctx.Err() != nil {
				return 0, fmt.Errorf("%w (%v)", ctx.Err(), err)
			}
			return 0, err
		}
		if k == 1 && IsReply(s.buf[0]) {
			return s.buf[0], nil
		}
		// k == 0: the timeout passed (the loop ends above); otherwise a
		// byte that is not a status reply: skip it.
	}
}
