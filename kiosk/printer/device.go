package printer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"lawpoint/kiosk/escpos"
)

// Defaults for the transports.
const (
	DefaultReplyTimeout = time.Second     // how long to wait for one DLE EOT reply
	DefaultDialTimeout  = 3 * time.Second // TCP connect, when the context allows longer
	chunk               = 512             // bytes per write, so a cancelled context stops a long receipt
)

// errNoReply: the printer did not answer a status request in time.
var errNoReply = errors.New("no reply to DLE EOT")

// session is one open link to the printer.
type session interface {
	// write sends p, stopping when ctx ends.
	write(ctx context.Context, p []byte) error
	// ask sends DLE EOT n and returns the reply: errNoReply when none came
	// within timeout, ErrNoStatus when the link cannot read at all.
	ask(ctx context.Context, n byte, timeout time.Duration) (byte, error)
}

// portStatuser is a session that can read a status without DLE EOT (the
// USB printer class port status).
type portStatuser interface {
	portStatus() (Status, error)
}

// transport opens sessions to one printer.
type transport interface {
	// open returns a session; errors are classified by the caller as
	// ErrUnreachable.
	open(ctx context.Context) (session, error)
	// release ends use of s; failed says the session saw an I/O error and
	// should not be reused.
	release(s session, failed bool)
	close() error
}

// device is a Printer on a transport.
type device struct {
	uri       string
	t         transport
	timeout   time.Duration // per DLE EOT reply
	statusOff bool          // never ask: print unchecked
	mu        sync.Mutex
	closed    bool
}

func (d *device) String() string { return d.uri }

func (d *device) session(ctx context.Context, op string) (session, error) {
	if d.closed {
		return nil, newError(ErrClosed, d.uri, op, nil)
	}
	s, err := d.t.open(ctx)
	if err != nil {
		return nil, newError(ErrUnreachable, d.uri, op, err)
	}
	return s, nil
}

// Print implements Printer.
func (d *device) Print(ctx context.Context, receipt []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, err := d.session(ctx, "print")
	if err != nil {
		return err
	}
	checked := !d.statusOff
	if checked {
		st, err := d.status(ctx, s, "print")
		switch {
		case errors.Is(err, ErrNoStatus):
			checked = false
		case err != nil:
			d.t.release(s, true)
			return err
		default:
			if err := st.Err(); err != nil {
				d.t.release(s, false)
				return d.fault(err, "print")
			}
		}
	}
	if err := s.write(ctx, receipt); err != nil {
		d.t.release(s, true)
		if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return newError(ErrOffline, d.uri, "print", fmt.Errorf("the printer did not take the receipt in time: %w", err))
		}
		return newError(ErrUnreachable, d.uri, "print", err)
	}
	if checked {
		// The receipt is sent; a printer that ran out of paper or was
		// opened while printing says so now. The receipt may be cut short.
		st, err := d.status(ctx, s, "print")
		if err == nil {
			if err := st.Err(); err != nil {
				d.t.release(s, false)
				var pe *Error
				if errors.As(d.fault(err, "print"), &pe) {
					pe.Err = fmt.Errorf("after sending the receipt, which may be incomplete: %w", pe.Err)
					return pe
				}
			}
		}
	}
	d.t.release(s, false)
	return nil
}

// Status implements Printer.
func (d *device) Status(ctx context.Context) (Status, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.statusOff {
		return Status{}, newError(ErrNoStatus, d.uri, "status", errors.New("status=off in the printer URI"))
	}
	s, err := d.session(ctx, "status")
	if err != nil {
		return Status{}, err
	}
	st, err := d.status(ctx, s, "status")
	d.t.release(s, err != nil && !errors.Is(err, ErrNoStatus))
	return st, err
}

// fault stamps a Status.Err error with the printer's URI and op.
func (d *device) fault(err error, op string) error {
	var pe *Error
	if errors.As(err, &pe) {
		pe.URI, pe.Op = d.uri, op
	}
	return err
}

// status asks DLE EOT 1 and 4, and 2 and 3 only when they can tell more.
func (d *device) status(ctx context.Context, s session, op string) (Status, error) {
	var r Replies
	ask := func(n byte) (byte, error) {
		b, err := s.ask(ctx, n, d.timeout)
		if err != nil {
			return 0, err
		}
		return b, nil
	}
	var err error
	if r.Printer, err = ask(escpos.StatusPrinter); err == nil {
		if r.Paper, err = ask(escpos.StatusPaper); err == nil && r.Printer&bitOffline != 0 {
			if r.Offline, err = ask(escpos.StatusOffline); err == nil && r.Offline&bitErrorOccurred != 0 {
				r.Error, err = ask(escpos.StatusError)
			}
		}
	}
	switch {
	case err == nil:
		st, perr := ParseStatus(r)
		if perr != nil {
			return Status{}, newError(ErrOffline, d.uri, op, perr)
		}
		return st, nil
	case errors.Is(err, errNoReply):
		if ps, ok := s.(portStatuser); ok {
			if st, perr := ps.portStatus(); perr == nil {
				return st, nil
			}
		}
		return Status{}, newError(ErrOffline, d.uri, op, fmt.Errorf("%w within %v: the printer is off, busy, or does not answer status requests on this link (set status=off in the URI if it never does)", err, d.timeout))
	case errors.Is(err, ErrNoStatus):
		if ps, ok := s.(portStatuser); ok {
			if st, perr := ps.portStatus(); perr == nil {
				return st, nil
			}
		}
		return Status{}, newError(ErrNoStatus, d.uri, op, err)
	case ctx.Err() != nil:
		return Status{}, newError(ErrOffline, d.uri, op, fmt.Errorf("no status before the deadline: %w", err))
	}
	return Status{}, newError(ErrUnreachable, d.uri, op, err)
}

// Close implements Printer.
func (d *device) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	return d.t.close()
}

// deadliner is what net.Conn and pollable *os.File offer.
type deadliner interface {
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

// stream is a session over a byte stream with deadlines: a TCP connection,
// a device file, a pipe to the virtual printer.
type stream struct {
	rw          io.ReadWriter
	dl          deadliner
	canRead     bool // replies can be read (false for write-only device files)
	drain       bool // discard stale input before asking
	buf         [16]byte
	noDLRead    bool // reads cannot time out (a non-pollable file): do not block on them
	eofNoStatus bool // end of file means "no replies here" (a file), not "connection closed"
}

func (s *stream) write(ctx context.Context, p []byte) error {
	if s.dl != nil {
		dl, _ := ctx.Deadline()
		s.dl.SetWriteDeadline(dl)
		stop := context.AfterFunc(ctx, func() { s.dl.SetWriteDeadline(time.Unix(1, 0)) })
		defer stop()
	}
	for len(p) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(len(p), chunk)
		w, err := s.rw.Write(p[:n])
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%w (%v)", ctx.Err(), err)
			}
			if errors.Is(err, os.ErrDeadlineExceeded) { // the only write deadline is the context's
				return fmt.Errorf("%w (%v)", context.DeadlineExceeded, err)
			}
			return err
		}
		p = p[w:]
	}
	return nil
}

func (s *stream) ask(ctx context.Context, n byte, timeout time.Duration) (byte, error) {
	if !s.canRead || s.noDLRead || s.dl == nil {
		return 0, ErrNoStatus
	}
	if s.drain {
		s.dl.SetReadDeadline(time.Now())
		for {
			if k, err := s.rw.Read(s.buf[:]); k == 0 || err != nil {
				break
			}
		}
	}
	if err := s.write(ctx, escpos.StatusRequest(n)); err != nil {
		return 0, err
	}
	deadline := time.Now().Add(timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	if err := s.dl.SetReadDeadline(deadline); err != nil {
		return 0, ErrNoStatus
	}
	defer s.dl.SetReadDeadline(time.Time{})
	stop := context.AfterFunc(ctx, func() { s.dl.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	for {
		k, err := s.rw.Read(s.buf[:1])
		if k == 1 && IsReply(s.buf[0]) {
			return s.buf[0], nil
		}
		switch {
		case err == nil:
			continue // not a status byte (e.g. automatic status back): skip it
		case errors.Is(err, os.ErrDeadlineExceeded):
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			return 0, errNoReply
		case errors.Is(err, io.EOF) && s.eofNoStatus:
			return 0, fmt.Errorf("%w: the device gives no replies (end of file)", ErrNoStatus)
		case errors.Is(err, io.EOF):
			return 0, fmt.Errorf("the printer closed the connection: %w", err)
		case s.eofNoStatus:
			// A device file that refuses reads (usblp with a
			// unidirectional printer): no status this way.
			return 0, fmt.Errorf("%w: reading %v", ErrNoStatus, err)
		}
		return 0, err
	}
}
