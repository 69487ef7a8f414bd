package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lawpoint/display"
	"lawpoint/display/bx"
	"lawpoint/display/dots"
	"lawpoint/display/render"
)

// buildBinary builds lawpoint-led into a temporary folder.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lawpoint-led")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startVirtual runs `lawpoint-led virtual` and returns the pty path it prints.
func startVirtual(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, append([]string{"virtual"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		t.Fatalf("virtual printed nothing: %v", sc.Err())
	}
	path := strings.TrimSpace(sc.Text())
	if !strings.HasPrefix(path, "/dev/pts/") {
		t.Fatalf("first line %q is not a pseudo-terminal path", path)
	}
	go func() {
		for sc.Scan() {
			t.Log("virtual: " + sc.Text())
		}
	}()
	return path
}

func run(t *testing.T, bin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return so.String(), se.String(), code
}

func pngDots(t *testing.T, path string) *dots.Bitmap {
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
	b := img.Bounds()
	bm := dots.New(b.Dx(), b.Dy())
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			r, g, _, _ := img.At(x, y).RGBA()
			switch {
			case r > 0x8000 && g > 0x8000:
				bm.Set(x, y, dots.Yellow)
			case r > 0x8000:
				bm.Set(x, y, dots.Red)
			case g > 0x8000:
				bm.Set(x, y, dots.Green)
			}
		}
	}
	return bm
}

// waitFor polls the PNG file (written atomically by the virtual board)
// until it shows want or the deadline passes.
func waitFor(t *testing.T, path string, want *dots.Bitmap) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var got *dots.Bitmap
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			if got = pngDots(t, path); got.Equal(want) {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got == nil {
		t.Fatalf("no PNG at %s", path)
	}
	t.Fatalf("PNG shows\n%s\nwant\n%s", got.Text(), want.Text())
}

func TestEndToEndFontCard(t *testing.T) {
	bin := buildBinary(t)
	pngPath := filepath.Join(t.TempDir(), "board.png")
	pty := startVirtual(t, bin, "--model", "bx-5k1", "--size", "64x32", "--png", pngPath)
	text := "法律援助请拨打12348"
	// encode prints the frame the board expects, as one line of hex.
	out, errOut, code := run(t, bin, "encode", "--model", "bx-5k1", "--size", "64x32", "--color", "yellow", "--speed", "2", text)
	if code != 0 {
		t.Fatalf("encode exit %d: %s", code, errOut)
	}
	frame, err := hex.DecodeString(strings.TrimSpace(out))
	if err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("encode output %q is not one line of hex", out)
	}
	p, err := bx.Unframe(frame)
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := bx.DecodeCommand(p)
	if err != nil {
		t.Fatal(err)
	}
	a := cmd.(bx.TextUpdate).Areas[0]
	if a.Runs[0].Text != text || a.Runs[0].Color != dots.Yellow || a.Speed != 2 {
		t.Fatalf("encoded area %+v", a)
	}
	// send pushes it to the virtual board, which answers.
	out, errOut, code = run(t, bin, "send", "--port", pty, "--baud", "9600", "--model", "bx-5k1", "--size", "64x32", "--color", "yellow", text)
	if code != 0 || !strings.Contains(out, "ACK") {
		t.Fatalf("send exit %d, out %q, err %q", code, out, errOut)
	}
	f := &render.Fonts{}
	face, err := f.Face(16)
	if err != nil {
		t.Fatal(err)
	}
	want, err := render.Layout{W: 64, H: 32, Font: face}.Pages([]render.Run{{Text: text, Color: dots.Yellow}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, pngPath, want[0])
}

func TestEndToEndPictureBoardAndErrors(t *testing.T) {
	bin := buildBinary(t)
	pngPath := filepath.Join(t.TempDir(), "board.png")
	pty := startVirtual(t, bin, "--model", "bx-6e1", "--size", "128x32", "--png", pngPath)
	text := "邻里纠纷找人民调解"
	out, errOut, code := run(t, bin, "send", "--port", pty, "--model", "bx-6e1", "--size", "128x32", "--color", "green", text)
	if code != 0 || !strings.Contains(out, "ACK") {
		t.Fatalf("send exit %d, out %q, err %q", code, out, errOut)
	}
	m, _ := bx.LookupModel("bx-6e1")
	b, _ := display.NewBoard(display.Config{Model: m, Width: 128, Height: 32})
	c, err := b.Command(display.Area{}, display.Text(text, dots.Green))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, pngPath, c.(bx.PictureUpdate).Area.Pages[0].Bitmap)

	// Errors an installer meets, with their exit codes.
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"encode", "--model", "bx-5k1", "--size", "64x16", "陈喆"}, 2, "GB2312"},
		{[]string{"encode", "--model", "bx-9x9", "--size", "64x16", "法"}, 2, "bx-5k1"},
		{[]string{"encode", "--model", "bx-5k1", "--size", "64", "法"}, 2, "--size"},
		{[]string{"send", "--port", "/dev/ttyNOPE0", "--model", "bx-5k1", "--size", "64x16", "法"}, 3, "no such port"},
		{[]string{"send", "--port", pty, "--model", "bx-5k1", "--size", "64x16", "法"}, 1, "faulty"}, // wrong model: the 6E ignores font-card frames
		{[]string{"frobnicate"}, 2, "unknown command"},
	} {
		_, errOut, code := run(t, bin, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.says) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, errOut, tc.code, tc.says)
		}
	}
}
