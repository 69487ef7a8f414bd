package display

import (
	"context"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"lawpoint/display/bx"
	"lawpoint/display/displaytest"
	"lawpoint/display/dots"
	"lawpoint/display/render"
	"lawpoint/display/virtual"
)

var testFonts = &render.Fonts{}

// rig is a driver and a virtual board joined by a real socat serial line:
// the driver opens end A with go.bug.st/serial, the virtual board end B.
type rig struct {
	line  *displaytest.Line
	vb    *virtual.Board
	board *Board
	png   string
	log   *syncLog
}

type syncLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *syncLog) add(s string) {
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
}

func (l *syncLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// newRig starts a virtual board of model on a socat line and a Board for it.
// tweak may change the driver's configuration.
func newRig(t *testing.T, model string, w, h int, colors bx.Colors, tweak func(*Config)) *rig {
	t.Helper()
	m, err := bx.LookupModel(model)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{line: displaytest.NewLine(t), log: &syncLog{}}
	r.png = filepath.Join(t.TempDir(), "board.png")
	r.vb, err = virtual.New(virtual.Config{Model: m, Width: w, Height: h, Colors: colors, Fonts: testFonts, PNG: r.png,
		Log: func(s string) { r.log.add(s); t.Log("virtual: " + s) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.vb.ServeLoop(ctx, func() (io.ReadWriteCloser, error) {
			p, err := OpenSerial(r.line.B, 9600)
			if err != nil {
				return nil, err
			}
			if err := p.SetReadTimeout(20 * time.Millisecond); err != nil {
				p.Close()
				return nil, err
			}
			return p, nil
		}, 20*time.Millisecond)
	}()
	t.Cleanup(func() { cancel(); <-done })
	cfg := Config{Model: m, Width: w, Height: h, Colors: colors, Fonts: testFonts,
		Open:         func() (Port, error) { return OpenSerial(r.line.A, 9600) },
		ReplyTimeout: 500 * time.Millisecond, Backoff: 20 * time.Millisecond,
		Log: func(s string) { t.Log("driver: " + s) }}
	if tweak != nil {
		tweak(&cfg)
	}
	r.board, err = NewBoard(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.board.Close() })
	return r
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// readPNG reads a pixel-exact PNG back into dots.
func readPNG(t *testing.T, path string) *dots.Bitmap {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	bnd := img.Bounds()
	bm := dots.New(bnd.Dx(), bnd.Dy())
	colours := map[[3]uint32]dots.Color{}
	for _, c := range []dots.Color{dots.Off, dots.Red, dots.Green, dots.Yellow} {
		r, g, b, _ := c.RGBA().RGBA()
		colours[[3]uint32{r, g, b}] = c
	}
	for y := 0; y < bnd.Dy(); y++ {
		for x := 0; x < bnd.Dx(); x++ {
			r, g, b, _ := img.At(bnd.Min.X+x, bnd.Min.Y+y).RGBA()
			c, ok := colours[[3]uint32{r, g, b}]
			if !ok {
				t.Fatalf("PNG pixel (%d,%d) has colour %v,%v,%v, not a board colour", x, y, r, g, b)
			}
			bm.Set(x, y, c)
		}
	}
	return bm
}

func face(t testing.TB, size int) render.Font {
	t.Helper()
	f, err := testFonts.Face(size)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// sameDots fails the test with both pictures when a and b differ.
func sameDots(t *testing.T, what string, got, want *dots.Bitmap) {
	t.Helper()
	if !got.Equal(want) {
		t.Fatalf("%s differs:\ngot\n%s\nwant\n%s", what, got.Text(), want.Text())
	}
}

// recPin is a gpiotest pin that remembers every level it was driven to.
type recPin struct {
	gpiotest.Pin
	mu     sync.Mutex
	levels []gpio.Level
}

func (p *recPin) Out(l gpio.Level) error {
	p.mu.Lock()
	p.levels = append(p.levels, l)
	p.mu.Unlock()
	return p.Pin.Out(l)
}

func (p *recPin) history() []gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]gpio.Level(nil), p.levels...)
}
