package display

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"lawpoint/display/bx"
	"lawpoint/display/render"
)

// Pacing defaults. A BX controller receives into a RAM buffer from a UART
// interrupt and parses frames from its main loop; the vendor tools never
// push a large frame in one burst faster than the line itself. The driver
// writes DefaultChunk bytes, waits until they have left the UART (Drain,
// or their line time when the port cannot drain), then leaves the line
// idle for DefaultGap before the next chunk. At 9600 baud a chunk is
// 267 ms on the wire and the gap costs 0.75%; at 57600 it is 44 ms and
// the gap costs 4.5%. The gap gives a controller busy drawing a page time
// to empty its buffer, and the OS transmit queue never holds more than
// one chunk, so the RS-485 driver-enable pin and the reply timeout track
// what is physically on the line. Both values are Config fields, to be
// tuned on a real board (docs/LED.md).
const (
	DefaultChunk = 256
	DefaultGap   = 2 * time.Millisecond
)

// Retry defaults: each attempt waits DefaultReplyTimeout for the answer after
// the frame has left; attempts are DefaultBackoff, then twice that, apart.
const (
	DefaultAttempts     = 3
	DefaultReplyTimeout = time.Second
	DefaultBackoff      = 250 * time.Millisecond
	DefaultPowerOff     = 2 * time.Second
	DefaultBootTime     = 5 * time.Second
)

// Errors a Board reports, wrapped in a *FaultError or returned as they are.
var (
	// ErrNoReply: the controller did not answer within the reply timeout.
	ErrNoReply = errors.New("no reply from the LED controller")
	// ErrGarbled: an answer arrived but was damaged on the line.
	ErrGarbled = errors.New("garbled reply from the LED controller")
	// ErrPort: the serial port could not be opened or failed.
	ErrPort = errors.New("serial port failed")
)

// Config describes one board: the controller, the screen and the wiring.
type Config struct {
	Model         *bx.Model
	Width, Height int
	Colors        bx.Colors // 0 means the model's colours
	// Address is the screen address set on the card; 0 means 1, the default.
	Address uint16
	// Name appears in errors and logs, e.g. the street or the port.
	Name string

	// Open opens the serial line. It is called on first use and again
	// after the port fails (an adapter pulled and plugged back). A Board
	// without Open can still build frames (Frame, Command) but not send.
	Open func() (Port, error)
	// Baud is the line's speed, for pacing and reply timeouts; 0 means the
	// line has no baud rate of its own (a pseudo-terminal) and chunks are
	// written without waiting for their line time.
	Baud int
	// Chunk and Gap pace writes; see DefaultChunk.
	Chunk int
	Gap   time.Duration

	// Attempts per command, ReplyTimeout per attempt (counted after the
	// frame has left), Backoff before the second attempt (doubling after).
	Attempts     int
	ReplyTimeout time.Duration
	Backoff      time.Duration

	// DriverEnable is an RS-485 transceiver's DE pin: high while the frame
	// is sent, low once the last byte has left so the answer can come in.
	DriverEnable gpio.PinOut
	// Power switches the board's supply through a relay. When the board
	// stops answering, the driver cuts power for PowerOff, waits BootTime
	// and tries again. PowerInverted: low powers the board.
	Power         gpio.PinOut
	PowerInverted bool
	PowerOff      time.Duration
	BootTime      time.Duration

	// Fonts draws text for picture controllers; nil uses the Debian paths.
	Fonts *render.Fonts
	// Log receives one English line per notable event; nil discards.
	Log func(line string)
}

// Stats counts a board's traffic.
type Stats struct {
	Frames      int   // frames written (every attempt)
	Bytes       int64 // bytes written
	Unchanged   int   // updates skipped because the board already shows them
	Retries     int
	Reopens     int // port reopened after a failure
	PowerCycles int
}

// FaultError says a board could not be reached or refused a command, and
// what to do about it.
type FaultError struct {
	Board       string
	Command     string
	Attempts    int
	PowerCycled bool
	Err         error // ErrNoReply, ErrGarbled, ErrPort (wrapped) or a *bx.NACKError
}

func (e *FaultError) Error() string {
	cycled := ""
	if e.PowerCycled {
		cycled = " and a power cycle"
	}
	fix := ""
	var nack *bx.NACKError
	switch {
	case errors.Is(e.Err, ErrNoReply):
		fix = "check the cable (TX/RX or A/B swapped?), that the baud rate matches the card (9600 or 57600), the screen address, the board's power, and that --model names the card's family (a BX-5K/6K font card ignores BX-5E/6E picture frames and the other way round) (显示屏无应答：请检查接线、波特率、屏号、电源和控制卡型号)"
	case errors.Is(e.Err, ErrGarbled):
		fix = "the line damages bytes: check the baud rate, the cable length, RS-485 termination and ground (应答数据损坏：请检查波特率和线路)"
	case errors.Is(e.Err, ErrPort):
		fix = "check that the USB serial adapter is plugged in and the port name is right (串口打不开：请检查串口线和端口名)"
	case errors.As(e.Err, &nack):
		fix = "the controller refused it (控制卡拒绝了该命令)"
	}
	return fmt.Sprintf("display: board %s is faulty: %s failed after %d attempt(s)%s: %v; %s", e.Board, e.Command, e.Attempts, cycled, e.Err, fix)
}

func (e *FaultError) Unwrap() error { return e.Err }

// Board drives one controller over one serial line. It keeps what each area
// shows, so that showing the same thing again sends nothing; it retries,
// power-cycles and reports a board that stops answering. Every method that
// talks to the board takes a context and returns when it ends. Board is
// safe for concurrent use; commands are sent one at a time.
type Board struct {
	cfg   Config
	enc   *bx.Encoder
	fonts *render.Fonts
	sem   chan struct{}

	// Guarded by sem.
	port   Port
	reader *bx.Reader
	shown  map[string][32]byte
	want   map[string]pending
	resync bool

	mu    sync.Mutex // guards stats and fault
	stats Stats
	fault error
}

type pending struct {
	cmd   bx.Command
	frame []byte
	sum   [32]byte
}

var defaultFonts = &render.Fonts{}

// NewBoard checks cfg and returns a Board. It opens nothing yet.
func NewBoard(cfg Config) (*Board, error) {
	if cfg.Model == nil {
		return nil, errors.New("display: no controller model given; use one of bx-5k1, bx-5k2, bx-6k1, bx-6k2, bx-5e1, bx-5e2, bx-6e1, bx-6e2")
	}
	if cfg.Colors == 0 {
		cfg.Colors = cfg.Model.Colors
	}
	if cfg.Address == 0 {
		cfg.Address = bx.AddrDefault
	}
	enc, err := bx.NewEncoder(cfg.Model, cfg.Width, cfg.Height, cfg.Colors)
	if err != nil {
		return nil, fmt.Errorf("display: %w", err)
	}
	enc.Header.Dst = cfg.Address
	if cfg.Name == "" {
		cfg.Name = fmt.Sprintf("%s %dx%d address %d", cfg.Model.Label, cfg.Width, cfg.Height, cfg.Address)
	}
	if cfg.Chunk <= 0 {
		cfg.Chunk = DefaultChunk
	}
	if cfg.Gap < 0 {
		cfg.Gap = 0
	} else if cfg.Gap == 0 {
		cfg.Gap = DefaultGap
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = DefaultAttempts
	}
	if cfg.ReplyTimeout <= 0 {
		cfg.ReplyTimeout = DefaultReplyTimeout
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.PowerOff <= 0 {
		cfg.PowerOff = DefaultPowerOff
	}
	if cfg.BootTime <= 0 {
		cfg.BootTime = DefaultBootTime
	}
	fonts := cfg.Fonts
	if fonts == nil {
		fonts = defaultFonts
	}
	b := &Board{cfg: cfg, enc: enc, fonts: fonts, sem: make(chan struct{}, 1),
		shown: map[string][32]byte{}, want: map[string]pending{}}
	if cfg.DriverEnable != nil {
		if err := cfg.DriverEnable.Out(gpio.Low); err != nil {
			return nil, fmt.Errorf("display: RS-485 driver-enable pin %s: %w (check the pin number and that periph's host.Init ran)", cfg.DriverEnable, err)
		}
	}
	if cfg.Power != nil {
		if err := cfg.Power.Out(b.powerLevel(true)); err != nil {
			return nil, fmt.Errorf("display: board power relay pin %s: %w (check the pin number and that periph's host.Init ran)", cfg.Power, err)
		}
	}
	return b, nil
}

// Encoder is the board's frame builder (read-only use).
func (b *Board) Encoder() *bx.Encoder { return b.enc }

// Config returns the board's configuration with defaults filled in.
func (b *Board) Config() Config { return b.cfg }

// Stats returns the traffic counters.
func (b *Board) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

// Fault is nil while the board answers, else the *FaultError of the last
// command that failed.
func (b *Board) Fault() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.fault
}

func (b *Board) logf(format string, args ...any) {
	if b.cfg.Log != nil {
		b.cfg.Log(b.cfg.Name + ": " + fmt.Sprintf(format, args...))
	}
}

func (b *Board) count(f func(*Stats)) {
	b.mu.Lock()
	f(&b.stats)
	b.mu.Unlock()
}

func (b *Board) lock(ctx context.Context) error {
	select {
	case b.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("display: board %s busy with another command: %w", b.cfg.Name, ctx.Err())
	}
}

func (b *Board) unlock() { <-b.sem }

// Close closes the port. The board can be used again; it reopens.
func (b *Board) Close() error {
	b.sem <- struct{}{}
	defer b.unlock()
	return b.closePort()
}

func (b *Board) closePort() error {
	if b.port == nil {
		return nil
	}
	err := b.port.Close()
	b.port, b.reader = nil, nil
	return err
}

// Send sends cmd as it is (no memory of what the board shows) and returns
// the controller's answer. A command sent to the broadcast address gets no
// answer and returns a zero Reply.
func (b *Board) Send(ctx context.Context, cmd bx.Command) (bx.Reply, error) {
	frame, err := b.enc.Encode(cmd)
	if err != nil {
		return bx.Reply{}, fmt.Errorf("display: %s: %w", b.cfg.Name, err)
	}
	if err := b.lock(ctx); err != nil {
		return bx.Reply{}, err
	}
	defer b.unlock()
	return b.exchange(ctx, cmd.Name(), frame)
}

// Ping asks the controller to answer.
func (b *Board) Ping(ctx context.Context) error {
	_, err := b.Send(ctx, bx.Ping{})
	return err
}

// update makes key show cmd: nothing is sent when the board already shows
// exactly that frame.
func (b *Board) update(ctx context.Context, key string, cmd bx.Command) error {
	frame, err := b.enc.Encode(cmd)
	if err != nil {
		return fmt.Errorf("display: %s: %w", b.cfg.Name, err)
	}
	if err := b.lock(ctx); err != nil {
		return err
	}
	defer b.unlock()
	p := pending{cmd: cmd, frame: frame, sum: sha256.Sum256(frame)}
	b.want[key] = p
	if err := b.push(ctx, key, p); err != nil {
		return err
	}
	if b.resync {
		return b.syncLocked(ctx)
	}
	return nil
}

func (b *Board) push(ctx context.Context, key string, p pending) error {
	if s, ok := b.shown[key]; ok && s == p.sum {
		b.count(func(s *Stats) { s.Unchanged++ })
		return nil
	}
	// Until the board acknowledges, what it shows in this place is unknown:
	// a cancelled or timed-out send may have reached it, so the next update
	// must be sent whatever it is, even the content shown before.
	delete(b.shown, key)
	if _, err := b.exchange(ctx, p.cmd.Name(), p.frame); err != nil {
		return err
	}
	b.shown[key] = p.sum
	return nil
}

// Sync sends again everything the board should show but may not (after a
// fault, a reopened port or a power cycle the board's memory is unknown).
// It sends nothing when the board is known to show it all.
func (b *Board) Sync(ctx context.Context) error {
	if err := b.lock(ctx); err != nil {
		return err
	}
	defer b.unlock()
	return b.syncLocked(ctx)
}

func (b *Board) syncLocked(ctx context.Context) error {
	b.resync = false
	keys := make([]string, 0, len(b.want))
	for k := range b.want {
		keys = append(keys, k)
	}
	slices.Sort(keys) // "area/..." before "brightness" and "power"
	for _, k := range keys {
		if err := b.push(ctx, k, b.want[k]); err != nil {
			return err
		}
	}
	return nil
}

// Forget drops the memory of what the board shows, so the next update of
// every area is sent (for a board known to have been reset).
func (b *Board) Forget() {
	b.sem <- struct{}{}
	clear(b.shown)
	b.resync = true
	b.unlock()
}

func (b *Board) powerLevel(on bool) gpio.Level {
	return gpio.Level(on != b.cfg.PowerInverted)
}

// exchange sends frame with retries and returns the answer. It records the
// board as faulty, and forgets what it shows, when it gives up.
func (b *Board) exchange(ctx context.Context, what string, frame []byte) (bx.Reply, error) {
	wants := b.enc.Header.Dst != bx.AddrBroadcast
	rounds := 1
	if b.cfg.Power != nil {
		rounds = 2
	}
	var last error
	attempts := 0
	cycled := false
	for round := 0; round < rounds; round++ {
		if round == 1 {
			if err := b.powerCycle(ctx); err != nil {
				return bx.Reply{}, err
			}
			cycled = true
		}
		for i := 0; i < b.cfg.Attempts; i++ {
			if attempts > 0 {
				b.count(func(s *Stats) { s.Retries++ })
				wait := b.cfg.Backoff << max(0, min(i-1, 6))
				if err := sleep(ctx, wait); err != nil {
					return bx.Reply{}, fmt.Errorf("display: %s: %s: %w (last problem: %v)", b.cfg.Name, what, err, last)
				}
			}
			attempts++
			r, err := b.once(ctx, frame, wants)
			if err == nil {
				b.mu.Lock()
				b.fault = nil
				b.mu.Unlock()
				return r, nil
			}
			if ctx.Err() != nil {
				return bx.Reply{}, fmt.Errorf("display: %s: %s: %w", b.cfg.Name, what, ctx.Err())
			}
			last = err
			b.logf("%s: attempt %d: %v", what, attempts, err)
			var nack *bx.NACKError
			if errors.As(err, &nack) && !transient(nack.Code) {
				// A refusal that no retry changes: the command is wrong
				// for this board, the board itself is fine.
				return bx.Reply{}, &FaultError{Board: b.cfg.Name, Command: what, Attempts: attempts, Err: err}
			}
		}
		var nack *bx.NACKError
		if errors.As(last, &nack) {
			break // the board answers: a power cycle would not help
		}
	}
	fe := &FaultError{Board: b.cfg.Name, Command: what, Attempts: attempts, PowerCycled: cycled, Err: last}
	b.mu.Lock()
	b.fault = fe
	b.mu.Unlock()
	clear(b.shown)
	b.resync = true
	b.logf("%v", fe)
	return bx.Reply{}, fe
}

// transient tells whether a refusal may go away when the command is sent
// again.
func transient(c bx.ErrorCode) bool {
	switch c {
	case bx.CodeBusy, bx.CodeChecksum, bx.CodeFlash:
		return true
	}
	return false
}

func (b *Board) powerCycle(ctx context.Context) error {
	b.logf("no answer: switching the board's power off for %v", b.cfg.PowerOff)
	b.count(func(s *Stats) { s.PowerCycles++ })
	if err := b.cfg.Power.Out(b.powerLevel(false)); err != nil {
		return fmt.Errorf("display: %s: power relay pin %s: %w", b.cfg.Name, b.cfg.Power, err)
	}
	err := sleep(ctx, b.cfg.PowerOff)
	// Power comes back even when ctx ended: never leave a board dark.
	if perr := b.cfg.Power.Out(b.powerLevel(true)); perr != nil {
		return fmt.Errorf("display: %s: power relay pin %s: %w", b.cfg.Name, b.cfg.Power, perr)
	}
	if err != nil {
		return fmt.Errorf("display: %s: power cycle interrupted: %w", b.cfg.Name, err)
	}
	clear(b.shown)
	b.resync = true
	return sleep(ctx, b.cfg.BootTime)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pollInterval is the port read timeout while waiting for an answer: how
// often the wait checks its deadline and the context.
const pollInterval = 20 * time.Millisecond

func (b *Board) open() error {
	if b.port != nil {
		return nil
	}
	if b.cfg.Open == nil {
		return fmt.Errorf("%w: board %s has no port configured", ErrPort, b.cfg.Name)
	}
	p, err := b.cfg.Open()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPort, err)
	}
	if err := p.SetReadTimeout(pollInterval); err != nil {
		p.Close()
		return fmt.Errorf("%w: setting the read timeout: %w", ErrPort, err)
	}
	b.port = p
	b.reader = bx.NewReader(p)
	b.reader.SetMaxFrame(64 << 10) // replies are small
	b.count(func(s *Stats) { s.Reopens++ })
	return nil
}

// portFailed closes a port that returned an I/O error; the next attempt
// reopens it, and the board's memory is unknown (it may have been reset).
func (b *Board) portFailed() {
	b.closePort()
	clear(b.shown)
	b.resync = true
}

type inputResetter interface{ ResetInputBuffer() error }
type drainer interface{ Drain() error }

// once sends frame one time and waits for the answer.
func (b *Board) once(ctx context.Context, frame []byte, wants bool) (bx.Reply, error) {
	if err := b.open(); err != nil {
		return bx.Reply{}, err
	}
	// Drop anything left on the line (a late answer to an earlier attempt,
	// noise) so that the answer read below belongs to this frame.
	if r, ok := b.port.(inputResetter); ok {
		_ = r.ResetInputBuffer()
	}
	b.reader = bx.NewReader(b.port)
	b.reader.SetMaxFrame(64 << 10)
	if err := b.write(ctx, frame); err != nil {
		b.portFailed()
		return bx.Reply{}, err
	}
	if !wants {
		return bx.Reply{}, nil
	}
	deadline := time.Now().Add(b.cfg.ReplyTimeout)
	for {
		if err := ctx.Err(); err != nil {
			return bx.Reply{}, err
		}
		if time.Now().After(deadline) {
			return bx.Reply{}, fmt.Errorf("%w within %v", ErrNoReply, b.cfg.ReplyTimeout)
		}
		p, err := b.reader.Next()
		var fe *bx.FrameError
		switch {
		case errors.Is(err, bx.ErrIdle):
			continue
		case errors.As(err, &fe):
			return bx.Reply{}, fmt.Errorf("%w: %v", ErrGarbled, fe)
		case err != nil:
			b.portFailed()
			return bx.Reply{}, fmt.Errorf("%w: reading the answer: %w", ErrPort, err)
		}
		if p.Header.Family != b.enc.Header.Family || p.Header.Dst != b.enc.Header.Src {
			continue // our own frame echoed by an RS-485 adapter, or another host's traffic
		}
		r, err := bx.ReplyFromPacket(p)
		if err != nil {
			return bx.Reply{}, fmt.Errorf("%w: %v", ErrGarbled, err)
		}
		if err := r.Err(); err != nil {
			return r, err
		}
		return r, nil
	}
}

// write sends frame in paced chunks with the driver-enable pin high. It runs
// the blocking writes on their own goroutine so that ctx always returns the
// caller, closing the port to stop a write that hangs.
func (b *Board) write(ctx context.Context, frame []byte) error {
	b.count(func(s *Stats) {
		s.Frames++
		s.Bytes += int64(len(frame))
	})
	port := b.port
	de := b.cfg.DriverEnable
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- pacedWrite(port, de, frame, b.cfg.Chunk, b.cfg.Gap, b.cfg.Baud, stop)
	}()
	// A write can never take longer than its line time plus the gaps; allow
	// ample slack before calling the port stuck.
	limit := WireTime(len(frame), max(b.cfg.Baud, 1200))*2 + time.Duration(len(frame)/b.cfg.Chunk+1)*b.cfg.Gap + 5*time.Second
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%w: writing: %w", ErrPort, err)
		}
		return nil
	case <-ctx.Done():
		close(stop)
		b.closePort()
		return ctx.Err()
	case <-t.C:
		close(stop)
		b.closePort()
		return fmt.Errorf("%w: a write of %d bytes did not finish within %v (the line is blocked)", ErrPort, len(frame), limit)
	}
}

func pacedWrite(port Port, de gpio.PinOut, frame []byte, chunk int, gap time.Duration, baud int, stop <-chan struct{}) (err error) {
	if de != nil {
		if err := de.Out(gpio.High); err != nil {
			return fmt.Errorf("RS-485 driver-enable pin %s: %w", de, err)
		}
		defer func() {
			// Drop DE only once the last byte has left the UART, or the
			// stop bit of the last byte is cut off.
			if derr := de.Out(gpio.Low); err == nil && derr != nil {
				err = fmt.Errorf("RS-485 driver-enable pin %s: %w", de, derr)
			}
		}()
	}
	d, canDrain := port.(drainer)
	for off := 0; off < len(frame); off += chunk {
		select {
		case <-stop:
			return errors.New("stopped")
		default:
		}
		part := frame[off:min(off+chunk, len(frame))]
		start := time.Now()
		for len(part) > 0 {
			n, err := port.Write(part)
			if err != nil {
				return err
			}
			part = part[n:]
		}
		n := min(chunk, len(frame)-off)
		switch {
		case canDrain:
			if err := d.Drain(); err != nil {
				return fmt.Errorf("drain: %w", err)
			}
		case baud > 0:
			time.Sleep(WireTime(n, baud) - time.Since(start))
		}
		if off+chunk < len(frame) && gap > 0 {
			time.Sleep(gap)
		}
	}
	return nil
}
