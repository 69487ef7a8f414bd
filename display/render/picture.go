package render

import (
	"errors"
	"fmt"
	"image"
	"image/color"

	"golang.org/x/image/draw"

	"lawpoint/display/dots"
)

// Palette is the set of colours a board can show.
type Palette int

const (
	Mono Palette = iota // single colour: Off and Red
	Dual                // dual colour: Off, Red, Green and Yellow (red + green)
)

// Dither chooses how a picture's shades become on/off dots.
type Dither int

const (
	Threshold      Dither = iota // each dot on when at least half bright
	FloydSteinberg               // error diffusion: shades become dot density
)

// PictureOptions controls Picture.
type PictureOptions struct {
	Palette Palette
	Dither  Dither
	// Stretch fills the whole area; otherwise the picture keeps its aspect
	// ratio and is centred, the rest of the area dark.
	Stretch bool
}

// Picture scales img to a w x h area and maps it to the board's colours.
// On a single-colour board a dot is lit by the pixel's brightness; on a
// dual-colour board the red and green LEDs follow the pixel's red and green
// channels, so white shows as yellow and blue as dark. Transparent parts are
// dark.
func Picture(img image.Image, w, h int, opts PictureOptions) (*dots.Bitmap, error) {
	if img == nil {
		return nil, errors.New("render: no picture given: decode the image first")
	}
	sb := img.Bounds()
	if sb.Empty() {
		return nil, fmt.Errorf("render: picture is empty (%dx%d pixels): check the image file", sb.Dx(), sb.Dy())
	}
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("render: picture area %dx%d is empty: give the area's width and height in dots", w, h)
	}
	if opts.Palette != Mono && opts.Palette != Dual {
		return nil, fmt.Errorf("render: unknown palette %d: use render.Mono or render.Dual", opts.Palette)
	}
	if opts.Dither != Threshold && opts.Dither != FloydSteinberg {
		return nil, fmt.Errorf("render: unknown dither %d: use render.Threshold or render.FloydSteinberg", opts.Dither)
	}
	dst := image.Rect(0, 0, w, h)
	if !opts.Stretch {
		// Fit inside the area, keeping the aspect ratio.
		dw, dh := w, sb.Dy()*w/sb.Dx()
		if dh > h {
			dw, dh = sb.Dx()*h/sb.Dy(), h
		}
		dw, dh = max(dw, 1), max(dh, 1)
		dst = image.Rect((w-dw)/2, (h-dh)/2, (w-dw)/2+dw, (h-dh)/2+dh)
	}
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(rgba, rgba.Bounds(), image.NewUniform(color.Black), image.Point{}, draw.Src)
	draw.CatmullRom.Scale(rgba, dst, img, sb, draw.Over, nil)

	// Channels to quantise, as 0..1 floats: brightness, or red and green.
	nch := 1
	if opts.Palette == Dual {
		nch = 2
	}
	val := make([]float32, w*h*nch)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := rgba.Pix[y*rgba.Stride+4*x:]
			r, g, b := float32(p[0])/255, float32(p[1])/255, float32(p[2])/255
			i := (y*w + x) * nch
			if nch == 1 {
				val[i] = 0.299*r + 0.587*g + 0.114*b
			} else {
				val[i], val[i+1] = r, g
			}
		}
	}
	out := dots.New(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var c dots.Color
			for ch := 0; ch < nch; ch++ {
				i := (y*w+x)*nch + ch
				v, q := val[i], float32(0)
				if v >= 0.5 {
					q = 1
					c |= dots.Color(1 << ch) // channel 0 red, channel 1 green
				}
				if opts.Dither == FloydSteinberg {
					e := v - q
					spread := func(dx, dy int, k float32) {
						xx, yy := x+dx, y+dy
						if xx >= 0 && xx < w && yy < h {
							val[(yy*w+xx)*nch+ch] += e * k
						}
					}
					spread(1, 0, 7.0/16)
					spread(-1, 1, 3.0/16)
					spread(0, 1, 5.0/16)
					spread(1, 1, 1.0/16)
				}
			}
			out.Pix[y*w+x] = c
		}
	}
	return out, nil
}
