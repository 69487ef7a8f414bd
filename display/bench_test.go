package display

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"lawpoint/display/bx"
	"lawpoint/display/displaytest"
	"lawpoint/display/dots"
	"lawpoint/display/virtual"
)

// benchRig is a Board on a socat serial line with a virtual board
// answering on the other end.
func benchRig(b *testing.B, model string, w, h int) *Board {
	b.Helper()
	m, _ := bx.LookupModel(model)
	line := displaytest.NewLine(b)
	vb, err := virtual.New(virtual.Config{Model: m, Width: w, Height: h, Fonts: testFonts})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		vb.ServeLoop(ctx, func() (io.ReadWriteCloser, error) {
			p, err := OpenSerial(line.B, 9600)
			if err == nil {
				p.SetReadTimeout(20 * time.Millisecond)
			}
			return p, err
		}, 20*time.Millisecond)
	}()
	brd, err := NewBoard(Config{Model: m, Width: w, Height: h, Fonts: testFonts,
		Open: func() (Port, error) { return OpenSerial(line.A, 9600) }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { brd.Close(); cancel(); <-done })
	return brd
}

const benchText = "宪法是国家的根本法，具有最高的法律效力。法律援助请拨打12348。"

// Bytes on the wire for one update, against the payload it carries (the
// text's GB2312 bytes, or the page's bit planes).
func BenchmarkWireBytesPerUpdate(b *testing.B) {
	for _, tc := range []struct {
		model string
		w, h  int
	}{
		{"bx-5k1", 128, 32}, {"bx-6k2", 256, 64}, {"bx-5e1", 128, 32}, {"bx-6e1", 256, 64}, {"bx-5e2", 256, 64},
	} {
		b.Run(fmt.Sprintf("%s-%dx%d", tc.model, tc.w, tc.h), func(b *testing.B) {
			m, _ := bx.LookupModel(tc.model)
			brd, err := NewBoard(Config{Model: m, Width: tc.w, Height: tc.h, Fonts: testFonts})
			if err != nil {
				b.Fatal(err)
			}
			msg := Text(benchText, dots.Yellow)
			var frame []byte
			for b.Loop() {
				frame, err = brd.Frame(Area{}, msg)
				if err != nil {
					b.Fatal(err)
				}
			}
			cmd, _ := brd.Command(Area{}, msg)
			payload := 0
			switch c := cmd.(type) {
			case bx.TextUpdate:
				gb, err := simplifiedchinese.GBK.NewEncoder().String(c.Areas[0].Runs[0].Text)
				if err != nil {
					b.Fatal(err)
				}
				payload = len(gb) // the text in GB2312, as the controller stores it
			case bx.PictureUpdate:
				payload = len(c.Area.Pages) * tc.w * tc.h * 2 / 8
			}
			b.ReportMetric(float64(len(frame)), "wire-B")
			b.ReportMetric(float64(payload), "payload-B")
			b.ReportMetric(float64(len(frame))/float64(payload), "wire/payload")
			b.ReportMetric(float64(WireTime(len(frame), 9600).Milliseconds()), "line-ms@9600")
		})
	}
}

// A full 256x64 dual-colour page to a BX-6E1: encode, write in paced
// chunks, wait for the ACK, over a pseudo-terminal (which has no baud rate
// of its own). line-ms is the physical minimum at 9600 baud for the same
// bytes (bits on the wire ÷ baud).
func BenchmarkFullPage256x64Dual(b *testing.B) {
	brd := benchRig(b, "bx-6e1", 256, 64)
	ctx := context.Background()
	var pages [2]*dots.Bitmap
	for i := range pages {
		pages[i] = dots.New(256, 64)
		for y := range 64 {
			for x := range 256 {
				pages[i].Set(x, y, dots.Color((x+y+i)%4))
			}
		}
	}
	i := 0
	before := brd.Stats()
	for b.Loop() {
		if err := brd.ShowDots(ctx, Area{}, pages[i%2]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	st := brd.Stats()
	per := float64(st.Bytes-before.Bytes) / float64(i)
	b.ReportMetric(per, "wire-B/op")
	b.ReportMetric(float64(WireTime(int(per), 9600))/float64(time.Millisecond), "line-ms@9600")
	b.ReportMetric(float64(WireTime(int(per), 57600))/float64(time.Millisecond), "line-ms@57600")
}

// Showing what the board already shows: the goal is 0 bytes.
func BenchmarkUnchanged(b *testing.B) {
	for _, model := range []string{"bx-6k1", "bx-6e1"} {
		b.Run(model, func(b *testing.B) {
			brd := benchRig(b, model, 256, 32)
			ctx := context.Background()
			msg := Text(benchText, dots.Red)
			if err := brd.Show(ctx, Area{}, msg); err != nil {
				b.Fatal(err)
			}
			before := brd.Stats().Bytes
			n := 0
			for b.Loop() {
				if err := brd.Show(ctx, Area{}, msg); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(brd.Stats().Bytes-before)/float64(n), "wire-B/op")
		})
	}
}
