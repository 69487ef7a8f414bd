package printer

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"lawpoint/display/displaytest"
	"lawpoint/kiosk/escpos"
)

var cst = time.FixedZone("CST", 8*3600)

const statusURL = "https://fw.xianyou.example/q/4f2a9c/A003"

func ticket(t testing.TB) []byte {
	t.Helper()
	b, err := escpos.TicketReceipt(escpos.Paper58, escpos.Ticket{
		Point: "榜头镇后埔村法律服务联系点", Number: "A003", Service: "法律咨询", Ahead: 2,
		Issued: time.Date(2025, 11, 27, 9, 30, 0, 0, cst), ClockTrusted: true, StatusURL: statusURL,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func slip(t testing.TB) []byte {
	t.Helper()
	b, err := escpos.BookingSlip(escpos.Paper58, escpos.Booking{
		Code: "K7Q2M9", Service: "法律咨询", Adviser: "张三明", AdviserTitle: "律师",
		Start: time.Date(2025, 11, 28, 9, 30, 0, 0, cst), End: time.Date(2025, 11, 28, 10, 0, 0, 0, cst),
		Phone: "13812345678", URL: "https://fw.xianyou.example/b/K7Q2M9",
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func open(t *testing.T, uri string) Printer {
	t.Helper()
	p, err := Open(uri)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// listenTCP serves v on a free loopback port, as a network receipt
// printer, and returns its address.
func listenTCP(ctx context.Context, t *testing.T, v *Virtual) string {
	t.Helper()
	addr, err := v.ListenTCP(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// received waits until v has taken n receipts and returns them.
func received(ctx context.Context, t *testing.T, v *Virtual, n int) []Receipt {
	t.Helper()
	rs, err := v.Wait(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// checkTicket reads the ticket off what the virtual printer received.
func checkTicket(t *testing.T, r Receipt) {
	t.Helper()
	texts := strings.Join(r.Texts(), "\n")
	for _, want := range []string{"榜头镇后埔村法律服务联系点", "法律咨询", "前面还有 2 人在等候", "取号时间：2025-11-27 09:30", "法律服务热线：12348"} {
		if !strings.Contains(texts, want) {
			t.Errorf("the receipt lacks %q:\n%s", want, texts)
		}
	}
	size := -1
	big := false
	for _, c := range r.Commands {
		switch {
		case c.Op == escpos.OpSize:
			size = c.Arg(0)
		case c.Op == escpos.OpText && c.Text == "A003":
			big = size == 0x22 // triple width and height
		}
	}
	if !big {
		t.Errorf("A003 is not printed at triple size")
	}
	if q := r.QRs(); len(q) != 1 || q[0] != statusURL {
		t.Errorf("QR payload %q, want %q", q, statusURL)
	}
}

func TestTCPPrint(t *testing.T) {
	ctx := testCtx(t)
	v := NewVirtual()
	addr := listenTCP(ctx, t, v)
	p := open(t, "tcp://"+addr)
	st, err := p.Status(ctx)
	if err != nil || !st.Online || st.Message != "打印机正常" {
		t.Fatalf("status %+v %v", st, err)
	}
	if err := p.Print(ctx, ticket(t)); err != nil {
		t.Fatal(err)
	}
	if err := p.Print(ctx, slip(t)); err != nil {
		t.Fatal(err)
	}
	rs := received(ctx, t, v, 2)
	checkTicket(t, rs[0])
	texts := strings.Join(rs[1].Texts(), "\n")
	if !strings.Contains(texts, "手机：138****5678") || !strings.Contains(texts, "张** 律师") {
		t.Errorf("slip:\n%s", texts)
	}
	if strings.Contains(texts, "13812345678") || strings.Contains(texts, "三明") {
		t.Errorf("the slip shows personal data:\n%s", texts)
	}
	if errs := v.Errors(); len(errs) != 0 {
		t.Errorf("decode errors: %v", errs)
	}
}

func TestFaultsRefusePrinting(t *testing.T) {
	ctx := testCtx(t)
	v := NewVirtual()
	addr := listenTCP(ctx, t, v)
	p := open(t, "tcp://"+addr)
	cases := []struct {
		cond    Condition
		kind    error
		message string
	}{
		{Condition{PaperOut: true}, ErrPaperOut, "打印机缺纸，请联系工作人员"},
		{Condition{CoverOpen: true}, ErrCoverOpen, "打印机盖未关好，请联系工作人员"},
		{Condition{Fault: true}, ErrFault, "打印机故障，请联系工作人员"},
		{Condition{Offline: true}, ErrOffline, "打印机未就绪，请联系工作人员"},
	}
	for _, c := range cases {
		v.Set(c.cond)
		err := p.Print(ctx, ticket(t))
		var pe *Error
		if !errors.Is(err, c.kind) || !errors.As(err, &pe) || pe.Message != c.message || Message(err) != c.message {
			t.Errorf("%+v: got %v", c.cond, err)
		}
		if pe != nil && (pe.URI != "tcp://"+addr || pe.Op != "print") {
			t.Errorf("error names %q %q", pe.URI, pe.Op)
		}
	}
	if n := len(v.Receipts()); n != 0 || v.Dropped() != 0 {
		t.Errorf("a faulty printer was sent %d receipts, %d commands", n, v.Dropped())
	}
	// Near end prints, and says so.
	v.Set(Condition{PaperNearEnd: true})
	if err := p.Print(ctx, ticket(t)); err != nil {
		t.Fatal(err)
	}
	st, err := p.Status(ctx)
	if err != nil || !st.PaperNearEnd || !st.Online || !strings.Contains(st.Message, "即将用完") {
		t.Errorf("near end: %+v %v", st, err)
	}
}

func TestSilentPrinterIsOffline(t *testing.T) {
	ctx := testCtx(t)
	v := NewVirtual()
	v.Set(Condition{Silent: true})
	addr := listenTCP(ctx, t, v)
	p := open(t, "tcp://"+addr+"?timeout=100ms")
	if err := p.Print(ctx, ticket(t)); !errors.Is(err, ErrOffline) || !strings.Contains(err.Error(), "status=off") {
		t.Fatalf("got %v", err)
	}
	// With status=off the receipt goes out unchecked.
	p = open(t, "tcp://"+addr+"?status=off")
	if err := p.Print(ctx, ticket(t)); err != nil {
		t.Fatal(err)
	}
	received(ctx, t, v, 1)
	if _, err := p.Status(ctx); !errors.Is(err, ErrNoStatus) {
		t.Errorf("status with status=off: %v", err)
	}
}

func TestUnreachableTCP(t *testing.T) {
	// A port nobody listens on: refused at once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := open(t, "tcp://"+addr)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err = p.Print(ctx, ticket(t))
	if !errors.Is(err, ErrUnreachable) || Message(err) != "打印机未连接，请联系工作人员" {
		t.Fatalf("refused: %v", err)
	}
	// An address that never answers (TEST-NET-1): the call ends with the
	// context, whether the route fails at once or the dial waits.
	p = open(t, "tcp://192.0.2.1:9100?dial=30s")
	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Print(ctx, ticket(t)) }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrUnreachable) {
			t.Fatalf("black hole: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Print did not return after its context ended")
	}
}

// A printer that takes the connection but never reads: the write ends with
// the context.
func TestStalledWriteEndsWithContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			<-stop
			c.Close()
		}
	}()
	p := open(t, "tcp://"+ln.Addr().String()+"?status=off")
	big := bytes.Repeat([]byte("x"), 64<<20) // more than the socket buffers hold
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := p.Print(ctx, big); !errors.Is(err, ErrOffline) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
}

// serveFile runs the virtual printer on one end of a socat line.
func serveFile(t *testing.T, v *Virtual, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		v.Serve(context.Background(), f)
	}()
	t.Cleanup(func() {
		f.Close()
		<-done
	})
}

func TestSerialPrintOverPTY(t *testing.T) {
	ctx := testCtx(t)
	line := displaytest.NewLine(t)
	v := NewVirtual()
	serveFile(t, v, line.B)
	p := open(t, "serial://"+line.A+"?baud=19200")
	if err := p.Print(ctx, ticket(t)); err != nil {
		t.Fatal(err)
	}
	rs := received(ctx, t, v, 1)
	checkTicket(t, rs[0])
	if errs := v.Errors(); len(errs) != 0 {
		t.Errorf("decode errors: %v", errs)
	}

	v.Set(Condition{PaperOut: true})
	if err := p.Print(ctx, ticket(t)); !errors.Is(err, ErrPaperOut) || Message(err) != "打印机缺纸，请联系工作人员" {
		t.Fatalf("paper out over serial: %v", err)
	}
	v.Set(Condition{})

	// The adapter pulled out: the printer is unreachable, and comes back
	// when it is plugged in again.
	line.Unplug()
	if err := p.Print(ctx, ticket(t)); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("unplugged: %v", err)
	}
	if err := p.Print(ctx, ticket(t)); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "no such port") {
		t.Fatalf("still unplugged: %v", err)
	}
	line.Plug()
	serveFile(t, v, line.B)
	if err := p.Print(ctx, ticket(t)); err != nil {
		t.Fatalf("plugged back: %v", err)
	}
	received(ctx, t, v, 2)
}

func TestSerialSilentTimesOut(t *testing.T) {
	ctx := testCtx(t)
	line := displaytest.NewLine(t)
	v := NewVirtual()
	v.Set(Condition{Silent: true})
	serveFile(t, v, line.B)
	p := open(t, "serial://"+line.A+"?timeout=100ms")
	if _, err := p.Status(ctx); !errors.Is(err, ErrOffline) {
		t.Fatalf("got %v", err)
	}
}

// The device-file transport over a pseudo-terminal answers DLE EOT as a
// bidirectional usblp printer does.
func TestFilePrintOverPTY(t *testing.T) {
	ctx := testCtx(t)
	line := displaytest.NewLine(t)
	v := NewVirtual()
	serveFile(t, v, line.B)
	p := open(t, "file://"+line.A)
	st, err := p.Status(ctx)
	if err != nil || !st.Online {
		t.Fatalf("status %+v %v", st, err)
	}
	if err := p.Print(ctx, ticket(t)); err != nil {
		t.Fatal(err)
	}
	rs := received(ctx, t, v, 1)
	checkTicket(t, rs[0])
	v.Set(Condition{CoverOpen: true})
	if err := p.Print(ctx, ticket(t)); !errors.Is(err, ErrCoverOpen) {
		t.Fatalf("cover open: %v", err)
	}
}

// A regular file takes receipts but has no status.
func TestFileRegular(t *testing.T) {
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "lp0")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p := open(t, "file://"+path)
	if _, err := p.Status(ctx); !errors.Is(err, ErrNoStatus) {
		t.Errorf("status of a regular file: %v", err)
	}
	want := ticket(t)
	if err := p.Print(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, want) {
		t.Fatalf("the file holds %d bytes, want the %d of the receipt", len(got), len(want))
	}
	missing := open(t, "file://"+filepath.Join(t.TempDir(), "lp9"))
	if err := missing.Print(ctx, want); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "unplugged") {
		t.Fatalf("missing device: %v", err)
	}
}

func TestVirtualURI(t *testing.T) {
	ctx := testCtx(t)
	p := open(t, "virtual:")
	if err := p.Print(ctx, ticket(t)); err != nil {
		t.Fatal(err)
	}
	v, ok := VirtualOf(p)
	if !ok {
		t.Fatal("no virtual printer behind virtual:")
	}
	rs := received(ctx, t, v, 1)
	checkTicket(t, rs[0])
	lines := strings.Join(rs[0].Lines(escpos.Paper58), "\n")
	if !strings.Contains(lines, "A  0  0  3") || !strings.Contains(lines, "[QR "+statusURL+"]") {
		t.Errorf("rendered:\n%s", lines)
	}

	p = open(t, "virtual:?status=paperout")
	if err := p.Print(ctx, ticket(t)); !errors.Is(err, ErrPaperOut) {
		t.Fatalf("virtual paper out: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Print(ctx, ticket(t)); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed: %v", err)
	}
}

func TestOpenRefuses(t *testing.T) {
	for uri, says := range map[string]string{
		"lpt://x":                      "unknown scheme",
		"serial://dev/ttyUSB0":         "three slashes",
		"serial:///dev/ttyUSB0?baud=x": "baud=x",
		"serial:///dev/ttyUSB0?dial=1": "unknown option",
		"tcp://:9100":                  "tcp://192.168.1.50:9100",
		"tcp://10.0.0.5?timeout=fast":  "timeout=fast",
		"file://usb/lp0":               "three slashes",
		"virtual:?status=jammed":       "jammed",
		"tcp://10.0.0.5?status=maybe":  "status=off",
	} {
		if _, err := Open(uri); err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("Open(%q) = %v, want an error saying %q", uri, err, says)
		}
	}
	p, err := Open("tcp://10.0.0.5")
	if err != nil || p.(*device).t.(*tcpTransport).addr != "10.0.0.5:9100" {
		t.Errorf("default port: %v", err)
	}
	p, err = Open("serial:///dev/ttyUSB0")
	if err != nil || p.(*device).t.(*serialTransport).baud != DefaultBaud {
		t.Errorf("default baud: %v", err)
	}
}
