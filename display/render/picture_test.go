package render

import (
	"image"
	"image/color"
	"testing"

	"lawpoint/display/dots"
)

// gradient is a picture going from black on the left to white on the right.
func gradient(w, h int) image.Image {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetGray(x, y, color.Gray{uint8(x * 255 / (w - 1))})
		}
	}
	return img
}

func count(b *dots.Bitmap) map[dots.Color]int {
	m := map[dots.Color]int{}
	for _, c := range b.Pix {
		m[c]++
	}
	return m
}

func TestPictureThresholdMono(t *testing.T) {
	b, err := Picture(gradient(64, 16), 64, 16, PictureOptions{Palette: Mono, Dither: Threshold})
	if err != nil {
		t.Fatal(err)
	}
	// Left half dark, right half red, every row alike.
	for y := 0; y < 16; y++ {
		for x := 0; x < 64; x++ {
			want := dots.Off
			if x >= 32 {
				want = dots.Red
			}
			if got := b.At(x, y); got != want {
				t.Fatalf("dot (%d,%d) = %v, want %v", x, y, got, want)
			}
		}
	}
}

func TestPictureDitherMono(t *testing.T) {
	b, err := Picture(gradient(256, 32), 64, 16, PictureOptions{Palette: Mono, Dither: FloydSteinberg, Stretch: true})
	if err != nil {
		t.Fatal(err)
	}
	// Dot density follows brightness: quarters of the width light about
	// 1/8, 3/8, 5/8, 7/8 of their dots.
	for q := 0; q < 4; q++ {
		lit := b.Sub(image.Rect(q*16, 0, q*16+16, 16)).Lit()
		want := (2*q + 1) * 256 / 8
		if lit < want-32 || lit > want+32 {
			t.Errorf("quarter %d lights %d of 256 dots, want about %d", q, lit, want)
		}
	}
	if n := count(b); n[dots.Green]+n[dots.Yellow] != 0 {
		t.Errorf("a single-colour board got %v", n)
	}
}

func TestPictureDualColours(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 4, 1))
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	img.Set(1, 0, color.RGBA{0, 255, 0, 255})
	img.Set(2, 0, color.RGBA{255, 255, 255, 255})
	img.Set(3, 0, color.RGBA{0, 0, 255, 255})
	b, err := Picture(img, 4, 1, PictureOptions{Palette: Dual})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := b.Text(), "RGY.\n"; got != want {
		t.Errorf("red, green, white, blue became %q, want %q", got, want)
	}
}

func TestPictureKeepsAspect(t *testing.T) {
	sq := image.NewRGBA(image.Rect(0, 0, 100, 100))
	for i := range sq.Pix {
		sq.Pix[i] = 0xff
	}
	b, err := Picture(sq, 64, 16, PictureOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A square in 64x16 is 16x16 in the middle.
	if b.Lit() != 256 || b.Sub(image.Rect(24, 0, 40, 16)).Lit() != 256 {
		t.Errorf("square picture should be a centred 16x16 block:\n%s", b.Text())
	}
	if _, err := Picture(sq, 0, 16, PictureOptions{}); err == nil {
		t.Error("empty area: want an error")
	}
	if _, err := Picture(nil, 64, 16, PictureOptions{}); err == nil {
		t.Error("nil picture: want an error")
	}
}
