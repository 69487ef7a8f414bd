package render

import (
	"bytes"
	"image/png"
	"testing"

	"lawpoint/display/dots"
)

func TestPNGPixelExact(t *testing.T) {
	b := dots.New(3, 2)
	b.Set(0, 0, dots.Red)
	b.Set(1, 0, dots.Green)
	b.Set(2, 1, dots.Yellow)
	var buf bytes.Buffer
	if err := PNG(&buf, b, PNGOptions{}); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 3 || img.Bounds().Dy() != 2 {
		t.Fatalf("picture is %v, want 3x2", img.Bounds())
	}
	for y := 0; y < 2; y++ {
		for x := 0; x < 3; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			w := b.At(x, y).RGBA()
			if uint8(r>>8) != w.R || uint8(g>>8) != w.G || uint8(bl>>8) != w.B {
				t.Errorf("pixel (%d,%d) = %v, want %v", x, y, img.At(x, y), w)
			}
		}
	}
}

func TestPNGRoundLEDs(t *testing.T) {
	b := dots.New(2, 1)
	b.Set(0, 0, dots.Red)
	img, err := LEDImage(b, PNGOptions{Scale: 8, Round: true})
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 16 || img.Bounds().Dy() != 8 {
		t.Fatalf("picture is %v, want 16x8", img.Bounds())
	}
	red, off := dots.Red.RGBA(), dots.Off.RGBA()
	if got := img.RGBAAt(4, 4); got != red {
		t.Errorf("centre of the lit LED = %v, want red %v", got, red)
	}
	if got := img.RGBAAt(0, 0); got.R != 0 || got.G != 0 || got.B != 0 {
		t.Errorf("corner of a cell = %v, want the black background", got)
	}
	if got := img.RGBAAt(12, 4); got != off {
		t.Errorf("centre of the unlit LED = %v, want dim %v", got, off)
	}
	if _, err := LEDImage(b, PNGOptions{Scale: 2, Round: true}); err == nil {
		t.Error("round LEDs at 2 pixels: want an error")
	}
}
