package printer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"

	"lawpoint/kiosk/escpos"
)

// Condition is what the virtual printer reports when asked (DLE EOT).
type Condition struct {
	PaperOut     bool
	PaperNearEnd bool
	CoverOpen    bool
	Fault        bool // an autocutter error
	Offline      bool // offline for no other reason (e.g. the feed button held)
	Silent       bool // never answer DLE EOT, like a printer that cannot on this link
}

// Ready reports whether a printer in this condition prints.
func (c Condition) Ready() bool { return !c.PaperOut && !c.CoverOpen && !c.Fault && !c.Offline }

// ParseCondition reads a condition written as comma-separated words:
// online, paperout, nearend, coveropen, fault, offline, silent.
func ParseCondition(s string) (Condition, error) {
	var c Condition
	for _, w := range strings.Split(s, ",") {
		switch strings.ToLower(strings.TrimSpace(w)) {
		case "online", "":
		case "paperout":
			c.PaperOut = true
		case "nearend":
			c.PaperNearEnd = true
		case "coveropen":
			c.CoverOpen = true
		case "fault":
			c.Fault = true
		case "offline":
			c.Offline = true
		case "silent":
			c.Silent = true
		default:
			return Condition{}, fmt.Errorf("printer condition %q: use online, paperout, nearend, coveropen, fault, offline or silent, comma-separated", w)
		}
	}
	return c, nil
}

// reply is the status byte a printer in condition c sends for DLE EOT n.
func (c Condition) reply(n byte) byte {
	b := byte(replyFixed)
	switch n {
	case 1:
		if !c.Ready() {
			b |= bitOffline
		}
	case 2:
		if c.CoverOpen {
			b |= bitCoverOpen
		}
		if c.PaperOut {
			b |= bitPaperEndStop
		}
		if c.Fault {
			b |= bitErrorOccurred
		}
	case 3:
		if c.Fault {
			b |= bitCutter
		}
	case 4:
		if c.PaperNearEnd || c.PaperOut {
			b |= bitsNearEnd
		}
		if c.PaperOut {
			b |= bitsPaperEnd
		}
	}
	return b
}

// Receipt is what the virtual printer printed between two cuts.
type Receipt struct {
	Commands []escpos.Command // decoded, text runs joined
}

// Texts returns the receipt's text runs in order.
func (r Receipt) Texts() []string {
	var out []string
	for _, c := range r.Commands {
		if c.Op == escpos.OpText {
			out = append(out, c.Text)
		}
	}
	return out
}

// QRs returns the data of the QR codes on the receipt.
func (r Receipt) QRs() []string {
	var out []string
	for _, c := range r.Commands {
		if c.Op == escpos.OpQRStore {
			out = append(out, string(c.Data))
		}
	}
	return out
}

// Lines renders the receipt as plain-text lines on paper p.
func (r Receipt) Lines(p escpos.Paper) []string { return escpos.Render(r.Commands, p) }

// Virtual is a receipt printer in software. It decodes what it receives,
// keeps each receipt (the commands up to a cut), answers DLE EOT according
// to its Condition, and drops what it receives while not ready, as a
// printer out of paper prints nothing. It serves any number of links at
// once: TCP connections, pseudo-terminals, in-process pipes.
type Virtual struct {
	// OnReceipt, when set before serving, is called with each receipt.
	OnReceipt func(Receipt)

	mu       sync.Mutex
	cond     Condition
	cur      []escpos.Command
	receipts []Receipt
	errs     []error
	dropped  int
	changed  chan struct{}
}

// NewVirtual returns a virtual printer that is online with paper.
func NewVirtual() *Virtual { return &Virtual{changed: make(chan struct{})} }

// Set changes the condition the printer reports.
func (v *Virtual) Set(c Condition) {
	v.mu.Lock()
	v.cond = c
	v.mu.Unlock()
}

// Condition is the condition the printer reports.
func (v *Virtual) Condition() Condition {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.cond
}

// Receipts returns the receipts printed so far.
func (v *Virtual) Receipts() []Receipt {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]Receipt(nil), v.receipts...)
}

// Errors returns the decode errors met so far: what a real printer would
// have misprinted.
func (v *Virtual) Errors() []error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]error(nil), v.errs...)
}

// Dropped is how many commands arrived while the printer was not ready.
func (v *Virtual) Dropped() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.dropped
}

// Wait returns once at least n receipts are printed, or ctx ends.
func (v *Virtual) Wait(ctx context.Context, n int) ([]Receipt, error) {
	for {
		v.mu.Lock()
		if len(v.receipts) >= n {
			out := append([]Receipt(nil), v.receipts...)
			v.mu.Unlock()
			return out, nil
		}
		ch := v.changed
		v.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return v.Receipts(), fmt.Errorf("virtual printer: %d of %d receipts before %w", len(v.Receipts()), n, ctx.Err())
		}
	}
}

// Serve acts as the printer on rw until rw ends (nil), fails (the error)
// or ctx ends. A blocked read cannot see ctx: when ctx ends, Serve closes
// rw if it is an io.Closer (a connection, a pseudo-terminal); otherwise the
// caller ends rw to stop it.
func (v *Virtual) Serve(ctx context.Context, rw io.ReadWriter) error {
	if c, ok := rw.(io.Closer); ok {
		stop := context.AfterFunc(ctx, func() { c.Close() })
		defer stop()
	}
	r := escpos.NewReader(rw)
	for {
		c, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var de *escpos.DecodeError
		if errors.As(err, &de) {
			v.mu.Lock()
			v.errs = append(v.errs, err)
			v.mu.Unlock()
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if c.Op == escpos.OpStatus {
			cond := v.Condition()
			if !cond.Silent {
				if _, err := rw.Write([]byte{cond.reply(byte(c.Arg(0)))}); err != nil {
					return err
				}
			}
			continue
		}
		v.take(c)
	}
}

func (v *Virtual) take(c escpos.Command) {
	v.mu.Lock()
	if !v.cond.Ready() {
		v.dropped++
		v.mu.Unlock()
		return
	}
	v.cur = append(v.cur, c)
	if c.Op != escpos.OpCut {
		v.mu.Unlock()
		return
	}
	rc := Receipt{Commands: escpos.Join(v.cur)}
	v.cur = nil
	v.receipts = append(v.receipts, rc)
	close(v.changed)
	v.changed = make(chan struct{})
	on := v.OnReceipt
	v.mu.Unlock()
	if on != nil {
		on(rc)
	}
}

// ListenTCP serves the printer's raw port on addr (e.g. "127.0.0.1:9100",
// or ":0" for any free port) until ctx ends, and returns the address it
// listens on.
func (v *Virtual) ListenTCP(ctx context.Context, addr string) (string, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("virtual printer: listen on %s: %w (pick another port, or :0)", addr, err)
	}
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	context.AfterFunc(ctx, func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			go func() {
				v.Serve(ctx, c)
				c.Close()
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
			}()
		}
	}()
	return ln.Addr().String(), nil
}

// Printer returns a Printer connected to v in process, through a pipe per
// receipt: the same bytes and status exchange as over TCP, without a port.
func (v *Virtual) Printer() Printer {
	return &device{uri: "virtual:", t: &pipeTransport{v: v}, timeout: DefaultReplyTimeout}
}

// VirtualOf returns the virtual printer behind p, when p was opened as
// virtual: or made by Virtual.Printer.
func VirtualOf(p Printer) (*Virtual, bool) {
	if d, ok := p.(*device); ok {
		if t, ok := d.t.(*pipeTransport); ok {
			return t.v, true
		}
	}
	return nil, false
}

type pipeTransport struct{ v *Virtual }

func (t *pipeTransport) open(ctx context.Context) (session, error) {
	a, b := net.Pipe()
	go func() {
		t.v.Serve(context.Background(), b) // ends when the session closes its end

		b.Close()
	}()
	return &connSession{stream: stream{rw: a, dl: a, canRead: true}, c: a}, nil
}

func (t *pipeTransport) release(s session, failed bool) { s.(*connSession).c.Close() }

func (t *pipeTransport) close() error { return nil }
