package render

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"

	"lawpoint/display/dots"
)

// PNGOptions controls how a bitmap is drawn for people.
type PNGOptions struct {
	// Scale is the size of one dot in pixels; 0 or 1 draws one pixel per
	// dot (pixel-exact).
	Scale int
	// Round draws each dot as a round LED, Scale pixels across including a
	// dark gap, on a black background; unlit LEDs show dimly, as on a real
	// board. It needs Scale of at least 3.
	Round bool
}

// LEDImage draws b as PNG would.
func LEDImage(b *dots.Bitmap, opts PNGOptions) (*image.RGBA, error) {
	s := opts.Scale
	if s <= 0 {
		s = 1
	}
	if opts.Round && s < 3 {
		return nil, fmt.Errorf("render: round LEDs need at least 3 pixels per dot, got %d: set PNGOptions.Scale to 3 or more", s)
	}
	if s > 64 || int64(b.W)*int64(b.H)*int64(s*s) > 1<<28 {
		return nil, fmt.Errorf("render: a %dx%d bitmap at %d pixels per dot is too large a picture: use a smaller scale", b.W, b.H, s)
	}
	if s == 1 {
		return b.Image(), nil
	}
	img := image.NewRGBA(image.Rect(0, 0, b.W*s, b.H*s))
	bg := color.RGBA{0, 0, 0, 0xff}
	// The LED disc: a circle of diameter s-1 centred in the cell, computed
	// once; pixels whose centre lies inside are lit.
	inside := make([]bool, s*s)
	r := float64(s-1) / 2
	for y := 0; y < s; y++ {
		for x := 0; x < s; x++ {
			dx, dy := float64(x)+0.5-float64(s)/2, float64(y)+0.5-float64(s)/2
			inside[y*s+x] = !opts.Round || dx*dx+dy*dy <= r*r
		}
	}
	for by := 0; by < b.H; by++ {
		for bx := 0; bx < b.W; bx++ {
			c := b.Pix[by*b.W+bx].RGBA()
			for y := 0; y < s; y++ {
				row := img.Pix[(by*s+y)*img.Stride+bx*s*4:]
				for x := 0; x < s; x++ {
					p := c
					if !inside[y*s+x] {
						p = bg
					}
					row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = p.R, p.G, p.B, p.A
				}
			}
		}
	}
	return img, nil
}

// PNG writes b as a PNG picture.
func PNG(w io.Writer, b *dots.Bitmap, opts PNGOptions) error {
	img, err := LEDImage(b, opts)
	if err != nil {
		return err
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("render: writing PNG: %w", err)
	}
	return nil
}
