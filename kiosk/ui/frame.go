package ui

import (
	"image"
	"image/color"
	"math"

	"lawpoint/kiosk/flow"
)

// Base screen size: every layout is made for it and scaled.
const (
	BaseW = 800
	BaseH = 480
)

// Minimum sizes at the base screen, scaled up with it.
const (
	MinTarget   = 60 // a tap target's width and height, px
	MinMainText = 30 // titles, button labels, numbers, px
	MinBodyText = 18 // prompts, details, article text, px
)

// Kind is what an Item is.
type Kind int

// Item kinds.
const (
	KindRect Kind = iota // a filled rectangle, maybe bordered and rounded
	KindText             // lines of text
	KindIcon             // a picture (flow.Icon)
)

// Role is what a text is for, which sets its minimum size.
type Role int

// Text roles.
const (
	RoleMain Role = iota // titles, button labels: at least MinMainText
	RoleBody             // prompts, details, article text: at least MinBodyText
)

// Align is horizontal text alignment.
type Align int

// Alignments.
const (
	AlignCenter Align = iota
	AlignLeft
	AlignRight
)

// Item is one thing to draw, in screen pixels.
type Item struct {
	Kind   Kind
	Rect   image.Rectangle
	Fill   color.RGBA // KindRect: fill; KindIcon: main colour
	Border color.RGBA // KindRect: border colour (zero alpha: none)
	Stroke float64    // KindRect: border width
	Radius float64    // KindRect: corner radius

	// KindText: Lines are drawn Size px tall, LineHeight apart, aligned in
	// Rect and centred vertically in it. On is the colour behind the text
	// (for the contrast check).
	Lines      []string
	Size       float64
	LineHeight float64
	Ink        color.RGBA
	On         color.RGBA
	Align      Align
	Role       Role

	Icon flow.Icon // KindIcon
}

// Target is a place to tap.
type Target struct {
	ID       string
	Label    string
	Rect     image.Rectangle
	Disabled bool
}

// Frame is a laid-out screen.
type Frame struct {
	W, H    int
	Scale   float64 // screen px per base px
	Items   []Item
	Targets []Target // live tap targets (with the idle prompt up: only its button)
}

// Hit returns the target at screen point (x, y); disabled targets are
// reported too (the app ignores them).
func (f *Frame) Hit(x, y int) (Target, bool) {
	p := image.Pt(x, y)
	for i := len(f.Targets) - 1; i >= 0; i-- {
		if p.In(f.Targets[i].Rect) {
			return f.Targets[i], true
		}
	}
	return Target{}, false
}

// Target returns the target with the given ID.
func (f *Frame) Target(id string) (Target, bool) {
	for _, t := range f.Targets {
		if t.ID == id {
			return t, true
		}
	}
	return Target{}, false
}

// box is a rectangle in base pixels.
type box struct{ x, y, w, h float64 }

func (b box) inset(d float64) box         { return box{b.x + d, b.y + d, b.w - 2*d, b.h - 2*d} }
func (b box) bottom() float64             { return b.y + b.h }
func (b box) right() float64              { return b.x + b.w }
func (b box) cut(top, bottom float64) box { return box{b.x, b.y + top, b.w, b.h - top - bottom} }
func (b box) cols(x0, w float64) box      { return box{b.x + x0, b.y, w, b.h} }
func (b box) rows(y0, h float64) box      { return box{b.x, b.y + y0, b.w, h} }
func (b box) centred(w, h float64) box    { return box{b.x + (b.w-w)/2, b.y + (b.h-h)/2, w, h} }
func (b box) splitX(n int, gap float64) []box {
	w := (b.w - gap*float64(n-1)) / float64(n)
	out := make([]box, n)
	for i := range out {
		out[i] = box{b.x + float64(i)*(w+gap), b.y, w, b.h}
	}
	return out
}

// scaler maps base pixels to the screen.
type scaler struct {
	s, ox, oy float64
}

func (c scaler) rect(b box) image.Rectangle {
	x0 := int(math.Round(c.ox + b.x*c.s))
	y0 := int(math.Round(c.oy + b.y*c.s))
	x1 := int(math.Round(c.ox + (b.x+b.w)*c.s))
	y1 := int(math.Round(c.oy + (b.y+b.h)*c.s))
	return image.Rect(x0, y0, x1, y1)
}

func rectWH(x, y, w, h int) image.Rectangle { return image.Rect(x, y, x+w, y+h) }
