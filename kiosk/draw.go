package kiosk

import (
	"image"
	"image/color"
	"math"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/text/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"
	"golang.org/x/text/language"

	"lawpoint/kiosk/flow"
	"lawpoint/kiosk/ui"
)

var zhHans = language.SimplifiedChinese

// painter draws ui Frames.
type painter struct {
	m       *measurer
	white   *ebiten.Image         // a 1x1 white source for filled paths
	corners map[int]*ebiten.Image // anti-aliased quarter discs by radius, white
	vs      []ebiten.Vertex
	is      []uint16
}

func newPainter(m *measurer) *painter {
	img := ebiten.NewImage(3, 3)
	img.Fill(color.White)
	return &painter{m: m, white: img.SubImage(image.Rect(1, 1, 2, 2)).(*ebiten.Image), corners: map[int]*ebiten.Image{}}
}

func (p *painter) frame(dst *ebiten.Image, f *ui.Frame) {
	for i := range f.Items {
		it := &f.Items[i]
		switch it.Kind {
		case ui.KindRect:
			p.rect(dst, it)
		case ui.KindText:
			p.text(dst, it)
		case ui.KindIcon:
			p.icon(dst, it)
		}
	}
}

func fr(r image.Rectangle) (x, y, w, h float32) {
	return float32(r.Min.X), float32(r.Min.Y), float32(r.Dx()), float32(r.Dy())
}

func (p *painter) rect(dst *ebiten.Image, it *ui.Item) {
	x, y, w, h := fr(it.Rect)
	if it.Radius <= 0 {
		vector.DrawFilledRect(dst, x, y, w, h, it.Fill, false)
		if it.Border.A != 0 && it.Stroke > 0 {
			vector.StrokeRect(dst, x, y, w, h, float32(it.Stroke), it.Border, false)
		}
		return
	}
	if it.Border.A == 0 || it.Stroke <= 0 {
		p.roundRect(dst, it.Rect, it.Radius, it.Fill)
		return
	}
	if it.Fill.A == 0xff {
		// A border is the outer shape in the border's colour with the
		// inner one, inset by the stroke, painted over it.
		s := int(math.Round(it.Stroke))
		p.roundRect(dst, it.Rect, it.Radius, it.Border)
		p.roundRect(dst, it.Rect.Inset(s), it.Radius-float64(s), it.Fill)
		return
	}
	path := roundRect(x, y, w, h, float32(it.Radius))
	p.fill(dst, path, it.Fill)
	s := float32(it.Stroke)
	p.stroke(dst, roundRect(x+s/2, y+s/2, w-s, h-s, float32(it.Radius)-s/2), s, it.Border)
}

// roundRect fills a rectangle with rounded corners: three plain rectangles
// and four anti-aliased corner sprites. Anti-aliasing the whole shape
// through DrawTrianglesOptions.AntiAlias renders it into a double-sized
// offscreen and back; under software GL (llvmpipe, Xvfb) that made a
// 1280x800 repaint take 150–400 ms, during which no input is read.
func (p *painter) roundRect(dst *ebiten.Image, r image.Rectangle, radius float64, c color.RGBA) {
	if r.Empty() {
		return
	}
	rad := min(int(math.Round(radius)), r.Dx()/2, r.Dy()/2)
	if rad <= 0 {
		x, y, w, h := fr(r)
		vector.DrawFilledRect(dst, x, y, w, h, c, false)
		return
	}
	for _, b := range []image.Rectangle{
		image.Rect(r.Min.X+rad, r.Min.Y, r.Max.X-rad, r.Max.Y),
		image.Rect(r.Min.X, r.Min.Y+rad, r.Min.X+rad, r.Max.Y-rad),
		image.Rect(r.Max.X-rad, r.Min.Y+rad, r.Max.X, r.Max.Y-rad),
	} {
		if !b.Empty() {
			x, y, w, h := fr(b)
			vector.DrawFilledRect(dst, x, y, w, h, c, false)
		}
	}
	corner := p.corner(rad)
	for _, q := range [4]struct{ sx, sy, x, y float64 }{
		{-1, -1, float64(r.Min.X + rad), float64(r.Min.Y + rad)}, // top left
		{1, -1, float64(r.Max.X - rad), float64(r.Min.Y + rad)},  // top right
		{-1, 1, float64(r.Min.X + rad), float64(r.Max.Y - rad)},  // bottom left
		{1, 1, float64(r.Max.X - rad), float64(r.Max.Y - rad)},   // bottom right
	} {
		op := &ebiten.DrawImageOptions{}
		op.GeoM.Scale(q.sx, q.sy)
		op.GeoM.Translate(q.x, q.y)
		op.ColorScale.ScaleWithColor(c)
		dst.DrawImage(corner, op)
	}
}

// corner is a white quarter disc of radius rad whose centre is the
// image's top-left corner, its edge anti-aliased by 4x4 supersampling.
func (p *painter) corner(rad int) *ebiten.Image {
	if img, ok := p.corners[rad]; ok {
		return img
	}
	const n = 4
	pix := make([]byte, rad*rad*4)
	r2 := float64(rad * rad)
	for y := 0; y < rad; y++ {
		for x := 0; x < rad; x++ {
			in := 0
			for sy := 0; sy < n; sy++ {
				for sx := 0; sx < n; sx++ {
					fx, fy := float64(x)+(float64(sx)+0.5)/n, float64(y)+(float64(sy)+0.5)/n
					if fx*fx+fy*fy <= r2 {
						in++
					}
				}
			}
			a := byte(in * 255 / (n * n))
			i := (y*rad + x) * 4
			pix[i], pix[i+1], pix[i+2], pix[i+3] = a, a, a, a // premultiplied white
		}
	}
	img := ebiten.NewImage(rad, rad)
	img.WritePixels(pix)
	p.corners[rad] = img
	return img
}

func roundRect(x, y, w, h, r float32) *vector.Path {
	r = min(r, w/2, h/2)
	var p vector.Path
	p.MoveTo(x+r, y)
	p.LineTo(x+w-r, y)
	p.ArcTo(x+w, y, x+w, y+r, r)
	p.LineTo(x+w, y+h-r)
	p.ArcTo(x+w, y+h, x+w-r, y+h, r)
	p.LineTo(x+r, y+h)
	p.ArcTo(x, y+h, x, y+h-r, r)
	p.LineTo(x, y+r)
	p.ArcTo(x, y, x+r, y, r)
	p.Close()
	return &p
}

func (p *painter) paint(dst *ebiten.Image, c color.Color, fill bool) {
	r, g, b, a := c.RGBA()
	for i := range p.vs {
		v := &p.vs[i]
		v.SrcX, v.SrcY = 1, 1
		v.ColorR, v.ColorG, v.ColorB, v.ColorA = float32(r)/0xffff, float32(g)/0xffff, float32(b)/0xffff, float32(a)/0xffff
	}
	op := &ebiten.DrawTrianglesOptions{AntiAlias: true, ColorScaleMode: ebiten.ColorScaleModePremultipliedAlpha}
	if fill {
		op.FillRule = ebiten.FillRuleNonZero
	}
	dst.DrawTriangles(p.vs, p.is, p.white, op)
}

func (p *painter) fill(dst *ebiten.Image, path *vector.Path, c color.Color) {
	p.vs, p.is = path.AppendVerticesAndIndicesForFilling(p.vs[:0], p.is[:0])
	p.paint(dst, c, true)
}

func (p *painter) stroke(dst *ebiten.Image, path *vector.Path, width float32, c color.Color) {
	p.vs, p.is = path.AppendVerticesAndIndicesForStroke(p.vs[:0], p.is[:0], &vector.StrokeOptions{Width: width, LineJoin: vector.LineJoinRound, LineCap: vector.LineCapRound})
	p.paint(dst, c, false)
}

func (p *painter) text(dst *ebiten.Image, it *ui.Item) {
	if len(it.Lines) == 0 {
		return
	}
	face := p.m.face(it.Size)
	met := face.Metrics()
	glyphH := met.HAscent + met.HDescent
	blockH := float64(len(it.Lines)) * it.LineHeight
	top := float64(it.Rect.Min.Y) + (float64(it.Rect.Dy())-blockH)/2
	for i, line := range it.Lines {
		x := float64(it.Rect.Min.X)
		switch it.Align {
		case ui.AlignCenter:
			x += (float64(it.Rect.Dx()) - text.Advance(line, face)) / 2
		case ui.AlignRight:
			x += float64(it.Rect.Dx()) - text.Advance(line, face)
		}
		op := &text.DrawOptions{}
		op.GeoM.Translate(math.Round(x), math.Round(top+float64(i)*it.LineHeight+(it.LineHeight-glyphH)/2))
		op.ColorScale.ScaleWithColor(it.Ink)
		text.Draw(dst, line, face, op)
	}
}

// icon draws the simple pictures: faces for the ratings, and the home
// tiles' ticket, video camera, book and smile.
func (p *painter) icon(dst *ebiten.Image, it *ui.Item) {
	x, y, w, h := fr(it.Rect)
	s := min(w, h)
	cx, cy := x+w/2, y+h/2
	c := it.Fill
	lw := max(s/18, 2)
	switch it.Icon {
	case flow.IconFace4, flow.IconFace3, flow.IconFace2, flow.IconFace1:
		score := int(it.Icon[len(it.Icon)-1] - '0')
		p.face(dst, cx, cy, s/2, score)
	case flow.IconRate:
		var circle vector.Path
		circle.Arc(cx, cy, s*0.42, 0, 2*math.Pi, vector.Clockwise)
		p.stroke(dst, &circle, lw, c)
		vector.DrawFilledCircle(dst, cx-s*0.15, cy-s*0.1, s*0.05, c, true)
		vector.DrawFilledCircle(dst, cx+s*0.15, cy-s*0.1, s*0.05, c, true)
		var mouth vector.Path
		mouth.Arc(cx, cy+s*0.02, s*0.22, 0.15*math.Pi, 0.85*math.Pi, vector.Clockwise)
		p.stroke(dst, &mouth, lw, c)
	case flow.IconTicket:
		p.stroke(dst, roundRect(cx-s*0.3, cy-s*0.4, s*0.6, s*0.8, s*0.06), lw, c)
		for i := 0; i < 3; i++ {
			ly := cy - s*0.18 + float32(i)*s*0.18
			vector.StrokeLine(dst, cx-s*0.17, ly, cx+s*0.17, ly, lw, c, true)
		}
	case flow.IconVideo:
		p.stroke(dst, roundRect(cx-s*0.42, cy-s*0.22, s*0.56, s*0.44, s*0.06), lw, c)
		var lens vector.Path
		lens.MoveTo(cx+s*0.18, cy-s*0.05)
		lens.LineTo(cx+s*0.42, cy-s*0.2)
		lens.LineTo(cx+s*0.42, cy+s*0.2)
		lens.LineTo(cx+s*0.18, cy+s*0.05)
		lens.Close()
		p.fill(dst, &lens, c)
	case flow.IconBook:
		var b vector.Path
		b.MoveTo(cx, cy-s*0.28)
		b.LineTo(cx-s*0.42, cy-s*0.36)
		b.LineTo(cx-s*0.42, cy+s*0.28)
		b.LineTo(cx, cy+s*0.36)
		b.LineTo(cx+s*0.42, cy+s*0.28)
		b.LineTo(cx+s*0.42, cy-s*0.36)
		b.Close()
		p.stroke(dst, &b, lw, c)
		vector.StrokeLine(dst, cx, cy-s*0.28, cx, cy+s*0.36, lw, c, true)
	case flow.IconSpeaker:
		var sp vector.Path
		sp.MoveTo(cx-s*0.35, cy-s*0.12)
		sp.LineTo(cx-s*0.18, cy-s*0.12)
		sp.LineTo(cx+s*0.02, cy-s*0.3)
		sp.LineTo(cx+s*0.02, cy+s*0.3)
		sp.LineTo(cx-s*0.18, cy+s*0.12)
		sp.LineTo(cx-s*0.35, cy+s*0.12)
		sp.Close()
		p.fill(dst, &sp, c)
		for i := 1; i <= 2; i++ {
			var a vector.Path
			a.Arc(cx+s*0.02, cy, s*0.15*float32(i), -0.3*math.Pi, 0.3*math.Pi, vector.Clockwise)
			p.stroke(dst, &a, lw, c)
		}
	}
}

// face draws a rating face of radius r: a coloured disc, two eyes and a
// mouth that smiles broadly (4), smiles (3), is straight (2) or frowns (1).
func (p *painter) face(dst *ebiten.Image, cx, cy, r float32, score int) {
	ink := ui.Ink
	vector.DrawFilledCircle(dst, cx, cy, r*0.96, ui.FaceColour(score), true)
	var rim vector.Path
	rim.Arc(cx, cy, r*0.96, 0, 2*math.Pi, vector.Clockwise)
	p.stroke(dst, &rim, r*0.05, ink)
	eyeY := cy - r*0.22
	vector.DrawFilledCircle(dst, cx-r*0.34, eyeY, r*0.11, ink, true)
	vector.DrawFilledCircle(dst, cx+r*0.34, eyeY, r*0.11, ink, true)
	lw := r * 0.1
	var m vector.Path
	switch score {
	case 4:
		m.Arc(cx, cy+r*0.02, r*0.5, 0.12*math.Pi, 0.88*math.Pi, vector.Clockwise)
		m.Close()
		p.fill(dst, &m, ink)
		return
	case 3:
		m.Arc(cx, cy+r*0.05, r*0.45, 0.22*math.Pi, 0.78*math.Pi, vector.Clockwise)
	case 2:
		m.MoveTo(cx-r*0.38, cy+r*0.4)
		m.LineTo(cx+r*0.38, cy+r*0.4)
	default:
		m.Arc(cx, cy+r*0.85, r*0.45, 1.22*math.Pi, 1.78*math.Pi, vector.Clockwise)
	}
	p.stroke(dst, &m, lw, ink)
}
