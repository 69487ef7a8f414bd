// Package dots holds the pixel surface shared by the LED renderer, the
// controller protocols and the virtual board: a grid of LED dots, each off or
// lit in one of the colours a single- or dual-colour board can show.
package dots

import (
	"fmt"
	"image"
	"image/color"
)

// Color is what one LED dot shows. A dual-colour board mixes red and green
// into yellow; a single-colour board only has Off and Red (its one colour).
type Color uint8

const (
	Off    Color = 0
	Red    Color = 1
	Green  Color = 2
	Yellow Color = Red | Green
)

// String names the colour as logs and the text dump show it.
func (c Color) String() string {
	switch c {
	case Off:
		return "off"
	case Red:
		return "red"
	case Green:
		return "green"
	case Yellow:
		return "yellow"
	}
	return fmt.Sprintf("color(%d)", uint8(c))
}

// RGBA is the colour used when a dot is drawn as a picture.
func (c Color) RGBA() color.RGBA {
	switch c {
	case Red:
		return color.RGBA{0xff, 0x20, 0x10, 0xff}
	case Green:
		return color.RGBA{0x20, 0xe0, 0x30, 0xff}
	case Yellow:
		return color.RGBA{0xff, 0xd0, 0x10, 0xff}
	}
	return color.RGBA{0x10, 0x10, 0x10, 0xff}
}

// Bitmap is a W x H grid of dots, row-major, origin top left.
type Bitmap struct {
	W, H int
	Pix  []Color
}

// New returns a dark bitmap of the given size.
func New(w, h int) *Bitmap {
	if w < 0 || h < 0 {
		panic("dots: negative size")
	}
	return &Bitmap{W: w, H: h, Pix: make([]Color, w*h)}
}

// At returns the dot at (x, y); outside the bitmap it is Off.
func (b *Bitmap) At(x, y int) Color {
	if x < 0 || y < 0 || x >= b.W || y >= b.H {
		return Off
	}
	return b.Pix[y*b.W+x]
}

// Set lights (x, y) with c; outside the bitmap it does nothing.
func (b *Bitmap) Set(x, y int, c Color) {
	if x < 0 || y < 0 || x >= b.W || y >= b.H {
		return
	}
	b.Pix[y*b.W+x] = c
}

// Clone returns an independent copy.
func (b *Bitmap) Clone() *Bitmap {
	c := &Bitmap{W: b.W, H: b.H, Pix: make([]Color, len(b.Pix))}
	copy(c.Pix, b.Pix)
	return c
}

// Equal reports whether two bitmaps have the same size and dots.
func (b *Bitmap) Equal(o *Bitmap) bool {
	if b.W != o.W || b.H != o.H {
		return false
	}
	for i := range b.Pix {
		if b.Pix[i] != o.Pix[i] {
			return false
		}
	}
	return true
}

// Blit copies src into b with its top-left corner at (x, y), clipping at the
// edges of b.
func (b *Bitmap) Blit(src *Bitmap, x, y int) {
	for sy := 0; sy < src.H; sy++ {
		for sx := 0; sx < src.W; sx++ {
			b.Set(x+sx, y+sy, src.Pix[sy*src.W+sx])
		}
	}
}

// Sub returns a copy of the rectangle r of b (clipped to b).
func (b *Bitmap) Sub(r image.Rectangle) *Bitmap {
	r = r.Intersect(image.Rect(0, 0, b.W, b.H))
	s := New(r.Dx(), r.Dy())
	for y := 0; y < s.H; y++ {
		copy(s.Pix[y*s.W:(y+1)*s.W], b.Pix[(r.Min.Y+y)*b.W+r.Min.X:])
	}
	return s
}

// Lit counts the dots that are not Off.
func (b *Bitmap) Lit() int {
	n := 0
	for _, c := range b.Pix {
		if c != Off {
			n++
		}
	}
	return n
}

// Text draws the bitmap as lines of characters for logs and golden files:
// '.' off, 'R' red, 'G' green, 'Y' yellow.
func (b *Bitmap) Text() string {
	out := make([]byte, 0, (b.W+1)*b.H)
	for y := 0; y < b.H; y++ {
		for x := 0; x < b.W; x++ {
			out = append(out, ".RGY"[b.Pix[y*b.W+x]&3])
		}
		out = append(out, '\n')
	}
	return string(out)
}

// Image returns the bitmap as a picture with one pixel per dot.
func (b *Bitmap) Image() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, b.W, b.H))
	for y := 0; y < b.H; y++ {
		for x := 0; x < b.W; x++ {
			img.SetRGBA(x, y, b.Pix[y*b.W+x].RGBA())
		}
	}
	return img
}
