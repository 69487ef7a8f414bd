package display

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"lawpoint/display/bx"
	"lawpoint/display/displaytest"
	"lawpoint/display/dots"
	"lawpoint/display/virtual"
)

func TestBusyNACKIsRetried(t *testing.T) {
	r := newRig(t, "bx-5e1", 64, 16, bx.Dual, nil)
	ctx := testCtx(t)
	r.vb.NACKNext(2, bx.CodeBusy)
	if err := r.board.Show(ctx, Area{}, Text("公证", dots.Red)); err != nil {
		t.Fatal(err)
	}
	if got := r.board.Stats().Retries; got != 2 {
		t.Fatalf("%d retries, want 2", got)
	}
	if r.vb.Bitmap().Lit() == 0 {
		t.Fatal("the text is not shown after the retries")
	}
	if r.board.Fault() != nil {
		t.Fatalf("board marked faulty: %v", r.board.Fault())
	}
}

// A refusal no retry can change is reported at once, with the
// controller's reason; the board is not marked faulty.
func TestParameterNACKIsReportedWithTheReason(t *testing.T) {
	r := newRig(t, "bx-6k1", 64, 16, bx.Dual, nil)
	ctx := testCtx(t)
	r.vb.NACKNext(5, bx.CodeScreenParameter)
	err := r.board.Show(ctx, Area{}, Text("公证", dots.Red))
	var fe *FaultError
	if !errors.As(err, &fe) || !errors.Is(err, bx.ErrNACK) {
		t.Fatalf("got %v, want a FaultError wrapping a NACK", err)
	}
	if fe.Attempts != 1 || !strings.Contains(err.Error(), "ERR_SCREEN_PARA") {
		t.Fatalf("attempts %d, error %v", fe.Attempts, err)
	}
	if r.vb.Bitmap().Lit() != 0 {
		t.Fatal("a refused text shows")
	}
}

// Nothing on the far end: the driver gives up by itself (long before the
// test's own deadline) and reports the board faulty.
func TestNoReplyMarksTheBoardFaulty(t *testing.T) {
	line := displaytest.NewLine(t)
	m, _ := bx.LookupModel("bx-5k1")
	b, err := NewBoard(Config{Model: m, Width: 64, Height: 16, Name: "test street",
		Open:         func() (Port, error) { return OpenSerial(line.A, 9600) },
		ReplyTimeout: 100 * time.Millisecond, Backoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = b.Show(ctx, Area{}, Text("法律援助", dots.Red))
	var fe *FaultError
	if !errors.As(err, &fe) || !errors.Is(err, ErrNoReply) {
		t.Fatalf("got %v, want a FaultError wrapping ErrNoReply", err)
	}
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("the driver waited for the caller's deadline instead of giving up")
	}
	if fe.Attempts != DefaultAttempts {
		t.Fatalf("%d attempts, want %d", fe.Attempts, DefaultAttempts)
	}
	if !errors.Is(b.Fault(), ErrNoReply) {
		t.Fatalf("Fault() = %v", b.Fault())
	}
	for _, s := range []string{"test street", "baud", "cable"} {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("error %q does not mention %q", err, s)
		}
	}
}

// The caller's context always wins, even in the middle of retries.
func TestContextEndsTheWait(t *testing.T) {
	line := displaytest.NewLine(t)
	m, _ := bx.LookupModel("bx-5e1")
	b, _ := NewBoard(Config{Model: m, Width: 64, Height: 16, Fonts: testFonts,
		Open:         func() (Port, error) { return OpenSerial(line.A, 9600) },
		ReplyTimeout: time.Hour, Backoff: time.Hour})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := b.Show(ctx, Area{}, Text("法", dots.Red))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the context's deadline", err)
	}
}

func TestGarbledAndNoisyRepliesAreHandled(t *testing.T) {
	r := newRig(t, "bx-6e1", 64, 16, bx.Dual, nil)
	ctx := testCtx(t)
	r.vb.GarbleNext(1)
	if err := r.board.Show(ctx, Area{}, Text("调解", dots.Red)); err != nil {
		t.Fatal(err)
	}
	if r.board.Stats().Retries != 1 {
		t.Fatalf("%d retries after a garbled reply, want 1", r.board.Stats().Retries)
	}
	r.vb.NoiseBeforeNext(1)
	if err := r.board.Show(ctx, Area{}, Text("援助", dots.Red)); err != nil {
		t.Fatal(err)
	}
	if r.board.Stats().Retries != 1 {
		t.Fatal("noise before a good reply caused a retry")
	}
}

// The virtual board rejects a frame cut short and one with a bad CRC
// without answering, skips noise, and answers the good frame that follows.
func TestVirtualBoardRejectsTruncatedAndNoisyFrames(t *testing.T) {
	r := newRig(t, "bx-5k1", 64, 16, bx.Dual, nil)
	p, err := OpenSerial(r.line.A, 9600)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := testCtx(t)
	good, err := r.board.Frame(Area{}, Text("宪法日", dots.Red))
	if err != nil {
		t.Fatal(err)
	}
	badCRC := slices.Clone(good)
	badCRC[len(badCRC)-2] ^= 0x01
	var stream []byte
	stream = append(stream, good[:len(good)/2]...) // cut off: a new start follows
	stream = append(stream, badCRC...)
	stream = append(stream, 0x00, 0x33, 0xFF, 0x5A, 0x17) // noise
	stream = append(stream, good...)
	if _, err := p.Write(stream); err != nil {
		t.Fatal(err)
	}
	if err := r.vb.Wait(ctx, func(vb *virtual.Board) bool { return vb.Stats().ACK >= 1 }); err != nil {
		t.Fatal(err)
	}
	st := r.vb.Stats()
	if st.Rejected != 2 || st.ACK != 1 || st.NACK != 0 {
		t.Fatalf("board stats %+v, want 2 rejected (truncated, bad CRC) and 1 ACK", st)
	}
	log := strings.Join(r.log.all(), "\n")
	for _, reason := range []string{"truncated", "checksum"} {
		if !strings.Contains(log, reason) {
			t.Fatalf("the board's log gives no %q reason:\n%s", reason, log)
		}
	}
	p.SetReadTimeout(50 * time.Millisecond)
	rd := bx.NewReader(p)
	for {
		pk, err := rd.Next()
		if errors.Is(err, bx.ErrIdle) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		rep, err := bx.ReplyFromPacket(pk)
		if err != nil || !rep.IsACK() {
			t.Fatalf("reply %+v, %v; want ACK", rep, err)
		}
		break
	}
	if !bytes.Contains([]byte(r.vb.Text()), []byte("宪法日")) {
		t.Fatalf("board does not show the good frame:\n%s", r.vb.Text())
	}
}

// Pulling the USB adapter and plugging it back: the driver reports the
// board faulty meanwhile, reopens the port, and shows the content again.
func TestUnplugAndPlugBack(t *testing.T) {
	r := newRig(t, "bx-5e1", 64, 16, bx.Dual, func(c *Config) {
		c.ReplyTimeout = 100 * time.Millisecond
		c.Backoff = 10 * time.Millisecond
	})
	ctx := testCtx(t)
	if err := r.board.Show(ctx, Area{}, Text("普法", dots.Red)); err != nil {
		t.Fatal(err)
	}
	r.line.Unplug()
	err := r.board.Show(ctx, Area{}, Text("守法", dots.Yellow))
	var fe *FaultError
	if !errors.As(err, &fe) {
		t.Fatalf("while unplugged: got %v, want a FaultError", err)
	}
	t.Logf("while unplugged: %v", err)
	if r.board.Fault() == nil {
		t.Fatal("board not marked faulty while unplugged")
	}
	r.line.Plug()
	// The virtual board reopens its end; the driver reopens its own and
	// sends what the board should show.
	if err := r.board.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if r.board.Fault() != nil {
		t.Fatalf("still faulty after plugging back: %v", r.board.Fault())
	}
	a, _ := r.vb.Area(0)
	if len(a.Pages) == 0 || a.Pages[0].At(0, 0) != dots.Off && false {
		t.Fatal("no page")
	}
	want, _ := r.board.Command(Area{}, Text("守法", dots.Yellow))
	if !a.Pages[0].Equal(want.(bx.PictureUpdate).Area.Pages[0].Bitmap) {
		t.Fatalf("after plugging back the board shows\n%s", r.vb.Bitmap().Text())
	}
	if r.board.Stats().Reopens < 2 {
		t.Fatalf("port opened %d times, want a reopen", r.board.Stats().Reopens)
	}
}

// RS-485: the driver-enable pin is high exactly while a frame is written,
// and low again before the answer is read.
func TestDriverEnablePin(t *testing.T) {
	de := &recPin{}
	de.N = "GPIO17"
	r := newRig(t, "bx-5k1", 64, 16, bx.Dual, func(c *Config) { c.DriverEnable = de; c.Chunk = 16 })
	ctx := testCtx(t)
	if err := r.board.Show(ctx, Area{}, Text("法律进乡村", dots.Red)); err != nil {
		t.Fatal(err)
	}
	h := de.history()
	want := []gpio.Level{gpio.Low, gpio.High, gpio.Low}
	if !slices.Equal(h, want) {
		t.Fatalf("DE pin went %v, want %v (low at rest, high for the frame, low after)", h, want)
	}
	if r.board.Stats().Frames != 1 {
		t.Fatalf("%d frames", r.board.Stats().Frames)
	}
}

// A board that stops answering is switched off and on through the relay
// and then answers; what it showed is sent again.
func TestPowerCycleBringsTheBoardBack(t *testing.T) {
	relay := &recPin{}
	relay.N = "GPIO27"
	r := newRig(t, "bx-6k1", 64, 16, bx.Dual, func(c *Config) {
		c.Power = relay
		c.ReplyTimeout = 100 * time.Millisecond
		c.Backoff = 5 * time.Millisecond
		c.PowerOff = 10 * time.Millisecond
		c.BootTime = 10 * time.Millisecond
	})
	ctx := testCtx(t)
	if err := r.board.Show(ctx, Area{ID: 0, W: 64, H: 16}, Text("宪法", dots.Red)); err != nil {
		t.Fatal(err)
	}
	if err := r.board.SetBrightness(ctx, 9); err != nil {
		t.Fatal(err)
	}
	r.vb.SilenceNext(DefaultAttempts)
	if err := r.board.Show(ctx, Area{ID: 0, W: 64, H: 16}, Text("民法典", dots.Green)); err != nil {
		t.Fatalf("after a power cycle: %v", err)
	}
	if got, want := relay.history(), []gpio.Level{gpio.High, gpio.Low, gpio.High}; !slices.Equal(got, want) {
		t.Fatalf("relay went %v, want %v (on, off, on)", got, want)
	}
	if r.board.Stats().PowerCycles != 1 {
		t.Fatalf("%d power cycles", r.board.Stats().PowerCycles)
	}
	// The brightness was sent again after the power cycle.
	frames := 0
	for _, l := range r.log.all() {
		if strings.HasPrefix(l, "brightness 9") {
			frames++
		}
	}
	if frames != 2 {
		t.Fatalf("brightness sent %d times, want again after the power cycle", frames)
	}
}

// A send whose reply never comes (the caller's deadline passes) may still
// have reached the board. Showing the earlier content again must then be
// sent, not skipped as "unchanged", or the street keeps the wrong message.
func TestCancelledSendForgetsWhatTheBoardShows(t *testing.T) {
	r := newRig(t, "bx-6k1", 64, 16, bx.Dual, func(c *Config) {
		c.ReplyTimeout = 300 * time.Millisecond
		c.Backoff = 50 * time.Millisecond
	})
	ctx := testCtx(t)
	area := Area{ID: 0, W: 64, H: 16}
	if err := r.board.Show(ctx, area, Text("宪法", dots.Red)); err != nil {
		t.Fatal(err)
	}
	r.vb.SilenceNext(1) // the board applies the next command but its answer is lost
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	err := r.board.Show(short, area, Text("民法", dots.Green))
	cancel()
	if err == nil {
		t.Fatal("a send without a reply within the deadline succeeded")
	}
	shownText := func() string {
		a, ok := r.vb.Area(0)
		if !ok {
			return ""
		}
		var s strings.Builder
		for _, run := range a.Runs {
			s.WriteString(run.Text)
		}
		return s.String()
	}
	if got := shownText(); got != "民法" {
		t.Fatalf("the board shows %q; the silenced command should have been applied", got)
	}
	before := r.board.Stats().Unchanged
	if err := r.board.Show(ctx, area, Text("宪法", dots.Red)); err != nil {
		t.Fatal(err)
	}
	if r.board.Stats().Unchanged != before {
		t.Fatal("the driver skipped the update as unchanged although the board's state was unknown")
	}
	if got := shownText(); got != "宪法" {
		t.Fatalf("after showing 宪法 again the board shows %q", got)
	}
}
