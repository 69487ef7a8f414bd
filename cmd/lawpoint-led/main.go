// Command lawpoint-led drives an Onbon BX LED controller and stands in for
// one: it encodes frames for installers, sends text to a real board, runs a
// virtual board on a pseudo-terminal, and plays local content on a board.
// See docs/LED.md.
//
// Exit codes: 0 done; 1 the board did not answer or refused; 2 wrong usage
// or content (bad flag, text not in GB2312, text too long); 3 the serial port
// could not be opened.
package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"lawpoint/content"
	"lawpoint/content/demo"
	"lawpoint/display"
	"lawpoint/display/bx"
	"lawpoint/display/dots"
	"lawpoint/display/render"
	"lawpoint/display/virtual"
)

const (
	exitOK    = 0
	exitBoard = 1
	exitUsage = 2
	exitPort  = 3
)

const usage = `lawpoint-led: LED boards with Onbon BX controllers (仰邦BX控制卡)

usage:
  lawpoint-led encode  --model MODEL --size WxH [options] TEXT
  lawpoint-led send    --port DEV [--baud 9600] --model MODEL --size WxH [options] TEXT
  lawpoint-led virtual --model MODEL --size WxH [--port DEV] [--png FILE] [--round]
  lawpoint-led play    --port DEV [--baud 9600] --model MODEL --size WxH [--device ID --region PATH] (CONTENT.json | --demo)
  lawpoint-led run     --data DIR [--port DEV --model MODEL --size WxH] [--enrol-token T --fleet URL]  (the agent with the player)

options for encode and send:
  --area X,Y,W,H   area of the board (default: the whole board)
  --area-id N      dynamic area number (default 0)
  --effect E       static, quick, scroll-left, scroll-right, scroll-up, scroll-down,
                   continuous-left, flash (picture controllers) (default static)
  --speed N        0 (fastest) .. 24 (slowest) (default 8)
  --stay S         seconds each page stays (default 3)
  --color C        red, green or yellow (default red)
  --colors N       single or dual: the board's LED colours (default dual)
  --address N      screen address set on the card (default 1)
  --font-size N    row height in dots on picture controllers (default: by area height)

MODEL: bx-5k1 bx-5k2 bx-6k1 bx-6k2 (font card: text) bx-5e1 bx-5e2 bx-6e1 bx-6e2 (picture)
exit codes: 0 done, 1 the board did not answer or refused, 2 wrong usage or text, 3 port problem
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(exitUsage)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var code int
	switch os.Args[1] {
	case "encode":
		code = encode(os.Args[2:], os.Stdout)
	case "send":
		code = send(ctx, os.Args[2:], os.Stdout)
	case "virtual":
		code = runVirtual(ctx, os.Args[2:], os.Stdout)
	case "play":
		code = play(ctx, os.Args[2:], os.Stdout)
	case "run":
		code = runAgent(ctx, os.Args[2:], os.Stderr)
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "lawpoint-led: unknown command %q; use encode, send, virtual, play or run (未知命令)\n\n%s", os.Args[1], usage)
		code = exitUsage
	}
	os.Exit(code)
}

func fail(code int, format string, args ...any) int {
	fmt.Fprintf(os.Stderr, "lawpoint-led: "+format+"\n", args...)
	return code
}

// boardFlags are the flags that describe a board and a message.
type boardFlags struct {
	fs                      *flag.FlagSet
	model, size, colors     string
	area, effect, color     string
	areaID, speed, fontSize int
	address                 int
	stay                    float64
	port                    string
	baud                    int
}

func newBoardFlags(name string) *boardFlags {
	f := &boardFlags{fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	f.fs.SetOutput(io.Discard)
	f.fs.StringVar(&f.model, "model", "", "controller model")
	f.fs.StringVar(&f.size, "size", "", "board size WxH in dots")
	f.fs.StringVar(&f.colors, "colors", "dual", "single or dual")
	f.fs.IntVar(&f.address, "address", 1, "screen address")
	return f
}

func (f *boardFlags) messageFlags() {
	f.fs.StringVar(&f.area, "area", "", "X,Y,W,H")
	f.fs.IntVar(&f.areaID, "area-id", 0, "area number")
	f.fs.StringVar(&f.effect, "effect", "static", "effect")
	f.fs.IntVar(&f.speed, "speed", 8, "speed 0..24")
	f.fs.Float64Var(&f.stay, "stay", 3, "seconds")
	f.fs.StringVar(&f.color, "color", "red", "red, green or yellow")
	f.fs.IntVar(&f.fontSize, "font-size", 0, "row height in dots")
}

func (f *boardFlags) portFlags() {
	f.fs.StringVar(&f.port, "port", "", "serial device")
	f.fs.IntVar(&f.baud, "baud", 9600, "9600 or 57600")
}

// parse parses args (flags may come before or after the positional ones).
func (f *boardFlags) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := f.fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%v (run lawpoint-led help)", err)
		}
		args = f.fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func (f *boardFlags) config() (display.Config, error) {
	var cfg display.Config
	if f.model == "" {
		return cfg, errors.New("--model is missing: give the controller model printed on the card, e.g. --model bx-5k1 (请指定控制卡型号)")
	}
	m, err := bx.LookupModel(f.model)
	if err != nil {
		return cfg, err
	}
	w, h, err := parseSize(f.size)
	if err != nil {
		return cfg, err
	}
	var colors bx.Colors
	switch f.colors {
	case "single", "1":
		colors = bx.Single
	case "dual", "2":
		colors = bx.Dual
	default:
		return cfg, fmt.Errorf("--colors %q: use single or dual (单色或双色)", f.colors)
	}
	if f.address < 1 || f.address > 0xFFFD {
		return cfg, fmt.Errorf("--address %d: use the screen address set on the card, 1 to 65533 (屏号无效)", f.address)
	}
	return display.Config{Model: m, Width: w, Height: h, Colors: colors, Address: uint16(f.address)}, nil
}

func parseSize(s string) (int, int, error) {
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if !ok || err1 != nil || err2 != nil || w <= 0 || h <= 0 {
		return 0, 0, fmt.Errorf("--size %q: give the board's width and height in dots, e.g. --size 128x32 (屏幕尺寸格式为 宽x高)", s)
	}
	return w, h, nil
}

func (f *boardFlags) message(text []string) (display.Area, display.Message, error) {
	var a display.Area
	var m display.Message
	if len(text) == 0 || strings.TrimSpace(strings.Join(text, " ")) == "" {
		return a, m, errors.New("no TEXT given: put the message after the flags, e.g. lawpoint-led encode ... \"法律援助请拨打12348\" (请输入要显示的文字)")
	}
	if f.area != "" {
		var v [4]int
		parts := strings.Split(f.area, ",")
		if len(parts) != 4 {
			return a, m, fmt.Errorf("--area %q: give X,Y,W,H in dots, e.g. --area 0,0,64,16 (区域格式为 X,Y,宽,高)", f.area)
		}
		for i, p := range parts {
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil || n < 0 {
				return a, m, fmt.Errorf("--area %q: %q is not a number of dots (区域格式为 X,Y,宽,高)", f.area, p)
			}
			v[i] = n
		}
		a = display.Area{X: v[0], Y: v[1], W: v[2], H: v[3]}
		if a.W == 0 || a.H == 0 {
			return a, m, fmt.Errorf("--area %q: width and height must be above 0", f.area)
		}
	}
	if f.areaID < 0 || f.areaID > 255 {
		return a, m, fmt.Errorf("--area-id %d: use 0 to 255", f.areaID)
	}
	a.ID = uint8(f.areaID)
	eff, err := bx.ParseEffect(f.effect)
	if err != nil {
		return a, m, err
	}
	var c dots.Color
	switch f.color {
	case "red":
		c = dots.Red
	case "green":
		c = dots.Green
	case "yellow":
		c = dots.Yellow
	default:
		return a, m, fmt.Errorf("--color %q: use red, green or yellow (颜色只能是红、绿、黄)", f.color)
	}
	if f.speed < 0 || f.speed > 24 {
		return a, m, fmt.Errorf("--speed %d: use 0 (fastest) to 24 (slowest)", f.speed)
	}
	if f.stay < 0 || f.stay > 600 {
		return a, m, fmt.Errorf("--stay %v: use 0 to 600 seconds", f.stay)
	}
	m = display.Text(strings.Join(text, " "), c)
	m.Effect = eff
	m.Speed = uint8(f.speed)
	m.Stay = time.Duration(f.stay * float64(time.Second))
	m.FontSize = f.fontSize
	return a, m, nil
}

func encode(args []string, out io.Writer) int {
	f := newBoardFlags("encode")
	f.messageFlags()
	text, err := f.parse(args)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	cfg, err := f.config()
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	b, err := display.NewBoard(cfg)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	a, m, err := f.message(text)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	frame, err := b.Frame(a, m)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	fmt.Fprintln(out, strings.ToUpper(hex.EncodeToString(frame)))
	return exitOK
}

func openBoard(f *boardFlags, cfg display.Config) (*display.Board, int, error) {
	if f.port == "" {
		return nil, exitUsage, errors.New("--port is missing: give the serial device, e.g. --port /dev/ttyUSB0 (请指定串口)")
	}
	if f.baud != 9600 && f.baud != 57600 {
		return nil, exitUsage, fmt.Errorf("--baud %d: BX controllers run at 9600 or 57600, as set on the card (波特率只能是9600或57600)", f.baud)
	}
	port := f.port
	cfg.Baud = f.baud
	cfg.Name = port
	cfg.Open = func() (display.Port, error) { return display.OpenSerial(port, f.baud) }
	cfg.Log = func(s string) { fmt.Fprintln(os.Stderr, s) }
	// Open once now, so that a wrong port is reported as such.
	p, err := cfg.Open()
	if err != nil {
		return nil, exitPort, err
	}
	p.Close()
	b, err := display.NewBoard(cfg)
	if err != nil {
		return nil, exitUsage, err
	}
	return b, exitOK, nil
}

func boardExit(err error) int {
	if errors.Is(err, display.ErrPort) {
		return exitPort
	}
	var fe *display.FaultError
	if errors.As(err, &fe) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return exitBoard
	}
	return exitUsage
}

func send(ctx context.Context, args []string, out io.Writer) int {
	f := newBoardFlags("send")
	f.messageFlags()
	f.portFlags()
	text, err := f.parse(args)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	cfg, err := f.config()
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	a, m, err := f.message(text)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	b, code, err := openBoard(f, cfg)
	if err != nil {
		return fail(code, "%v", err)
	}
	defer b.Close()
	cmd, err := b.Command(a, m)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	r, err := b.Send(ctx, cmd)
	if err != nil {
		return fail(boardExit(err), "%v", err)
	}
	st := b.Stats()
	fmt.Fprintf(out, "ACK from %s address %d (%d bytes sent, %d retries) 显示屏已确认\n", cfg.Model.Label, cfg.Address, st.Bytes, st.Retries)
	if len(r.Data) > 0 {
		fmt.Fprintf(out, "reply data: %X\n", r.Data)
	}
	return exitOK
}

func runVirtual(ctx context.Context, args []string, out io.Writer) int {
	f := newBoardFlags("virtual")
	f.fs.StringVar(&f.port, "port", "", "serial device (default: a new pseudo-terminal)")
	png := f.fs.String("png", "", "PNG file rewritten on every change")
	round := f.fs.Bool("round", false, "draw round LEDs in the PNG")
	scale := f.fs.Int("scale", 0, "pixels per dot in the PNG (default 1, or 8 with --round)")
	quiet := f.fs.Bool("quiet", false, "do not print the board's dots after each change")
	if rest, err := f.parse(args); err != nil || len(rest) > 0 {
		if err == nil {
			err = fmt.Errorf("unexpected argument %q", rest[0])
		}
		return fail(exitUsage, "%v", err)
	}
	cfg, err := f.config()
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	opts := render.PNGOptions{Scale: *scale, Round: *round}
	if opts.Round && opts.Scale == 0 {
		opts.Scale = 8
	}
	logw := &lineWriter{w: out}
	var vb *virtual.Board
	vb, err = virtual.New(virtual.Config{Model: cfg.Model, Width: cfg.Width, Height: cfg.Height, Colors: cfg.Colors,
		Address: cfg.Address, PNG: *png, PNGOptions: opts,
		Log: func(s string) { logw.printf("%s %s", time.Now().Format("15:04:05.000"), s) }})
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	after := func() {
		if !*quiet && cfg.Width*cfg.Height <= 256*64 {
			logw.printf("%s%s", vb.Text(), vb.Bitmap().Text())
		} else {
			logw.printf("%s", vb.Text())
		}
	}
	if f.port != "" {
		logw.printf("%s", f.port)
		logw.printf("virtual %s listening on %s (虚拟显示屏已就绪)", vb.Name(), f.port)
		go watch(ctx, vb, after)
		err := vb.ServeLoop(ctx, func() (io.ReadWriteCloser, error) {
			p, err := display.OpenSerial(f.port, 9600)
			if err != nil {
				return nil, err
			}
			p.SetReadTimeout(100 * time.Millisecond)
			return p, nil
		}, 500*time.Millisecond)
		if ctx.Err() != nil {
			return exitOK
		}
		return fail(exitPort, "%v", err)
	}
	master, path, err := display.OpenPTY()
	if err != nil {
		return fail(exitPort, "%v", err)
	}
	// Hold the terminal side open ourselves: the controlling side then
	// never sees a hang-up between two programs that open and close it.
	hold, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return fail(exitPort, "opening %s: %v", path, err)
	}
	defer hold.Close()
	logw.printf("%s", path)
	logw.printf("virtual %s on %s: connect a driver with --port %s (虚拟显示屏已就绪)", vb.Name(), path, path)
	go func() {
		<-ctx.Done()
		master.Close()
	}()
	go watch(ctx, vb, after)
	err = vb.Serve(ctx, master)
	if ctx.Err() != nil {
		return exitOK
	}
	return fail(exitPort, "the pseudo-terminal failed: %v", err)
}

// watch prints the board after every frame that changed it.
func watch(ctx context.Context, vb *virtual.Board, after func()) {
	last := vb.Bitmap()
	lastText := vb.Text()
	for {
		v := vb.Version()
		if err := vb.Wait(ctx, func(b *virtual.Board) bool { return b.Version() != v }); err != nil {
			return
		}
		bm, txt := vb.Bitmap(), vb.Text()
		if !bm.Equal(last) || txt != lastText {
			after()
			last, lastText = bm, txt
		}
	}
}

type lineWriter struct {
	w  io.Writer
	mu chanMutex
}

type chanMutex chan struct{}

func (l *lineWriter) printf(format string, args ...any) {
	if l.mu == nil {
		l.mu = make(chanMutex, 1)
	}
	l.mu <- struct{}{}
	s := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	io.WriteString(l.w, s)
	<-l.mu
}

func play(ctx context.Context, args []string, out io.Writer) int {
	f := newBoardFlags("play")
	f.portFlags()
	f.fs.StringVar(&f.area, "area", "", "X,Y,W,H")
	device := f.fs.String("device", "led-local", "device ID that schedules target")
	region := f.fs.String("region", "", "region path, e.g. 仙游县/榜头镇/坝下村")
	tags := f.fs.String("tags", "", "comma-separated device tags")
	night := f.fs.String("night", "", "dim hours, e.g. 19:00-06:00")
	dayLevel := f.fs.Int("day-brightness", 15, "0..15")
	nightLevel := f.fs.Int("night-brightness", 4, "0..15")
	useDemo := f.fs.Bool("demo", false, "play the demo county's content (content/demo) instead of a file")
	rest, err := f.parse(args)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	if len(rest) != 1 && !*useDemo {
		return fail(exitUsage, "give one CONTENT file (a content set or a JSON list of messages) after the flags, or --demo (请指定一个内容文件)")
	}
	cfg, err := f.config()
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	var set *content.Set
	if *useDemo {
		set = demo.Set()
	} else {
		data, err := os.ReadFile(rest[0])
		if err != nil {
			return fail(exitUsage, "reading the content file: %v (内容文件读取失败)", err)
		}
		if set, err = display.LocalContent(data); err != nil {
			return fail(exitUsage, "%v", err)
		}
	}
	compiled, err := content.Compile(set)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	var bright *[48]uint8
	if *night != "" {
		bright, err = nightSchedule(*night, *dayLevel, *nightLevel)
		if err != nil {
			return fail(exitUsage, "%v", err)
		}
	}
	var area display.Area
	if f.area != "" {
		f.effect, f.color = "static", "red"
		a, _, err := f.message([]string{"x"})
		if err != nil {
			return fail(exitUsage, "%v", err)
		}
		area = a
	}
	b, code, err := openBoard(f, cfg)
	if err != nil {
		return fail(code, "%v", err)
	}
	defer b.Close()
	dev := content.Device{ID: *device, Kind: content.DeviceLED, Region: *region}
	if *tags != "" {
		dev.Tags = strings.Split(*tags, ",")
	}
	enc := json.NewEncoder(out)
	p, err := display.NewPlayer(display.PlayerConfig{Screen: b, Area: area, Brightness: bright,
		Proof: func(pr display.Proof) { enc.Encode(pr) },
		Log:   func(s string) { fmt.Fprintln(os.Stderr, time.Now().Format("15:04:05 ")+s) }})
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	refs := func() []content.ItemRef {
		var r []content.ItemRef
		for _, it := range set.Items {
			r = append(r, content.RefOf(it))
		}
		return r
	}()
	load := func() {
		p.Load(compiled.Plan(dev, time.Now(), content.MaxPlanHorizon), refs)
	}
	load()
	// Plan again every day, well inside the plan's horizon.
	go func() {
		t := time.NewTicker(24 * time.Hour)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				load()
			}
		}
	}()
	p.Run(ctx)
	return exitOK
}

// nightSchedule turns "19:00-06:00" into a half-hour brightness table.
func nightSchedule(spec string, day, night int) (*[48]uint8, error) {
	bad := fmt.Errorf("--night %q: give the dim hours as HH:MM-HH:MM on half hours, e.g. 19:00-06:00 (夜间时段格式为 19:00-06:00)", spec)
	from, to, ok := strings.Cut(spec, "-")
	if !ok {
		return nil, bad
	}
	slotOf := func(s string) (int, bool) {
		c, err := content.ParseClock(s)
		if err != nil || int(c)%1800 != 0 {
			return 0, false
		}
		return int(c) / 1800, true
	}
	a, ok1 := slotOf(from)
	z, ok2 := slotOf(to)
	if !ok1 || !ok2 || a == z {
		return nil, bad
	}
	if day < 0 || day > 15 || night < 0 || night > 15 {
		return nil, fmt.Errorf("brightness levels run from 0 (dimmest) to 15 (brightest) (亮度须为0到15)")
	}
	var s [48]uint8
	for i := range s {
		in := (a < z && i >= a && i < z) || (a > z && (i >= a || i < z))
		s[i] = uint8(day)
		if in {
			s[i] = uint8(night)
		}
	}
	return &s, nil
}
