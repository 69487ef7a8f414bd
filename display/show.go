package display

import (
	"context"
	"errors"
	"fmt"
	"image"
	"strings"
	"time"

	"lawpoint/display/bx"
	"lawpoint/display/dots"
	"lawpoint/display/render"
)

// Area is a rectangle of the board that shows one thing. The zero Area is
// the whole board as area 0.
type Area struct {
	ID         uint8
	X, Y, W, H int
}

// Whole reports whether a is the zero Area (the whole board).
func (a Area) Whole() bool { return a == Area{} }

func (b *Board) area(a Area) Area {
	if a.W == 0 && a.H == 0 {
		a.W, a.H = b.cfg.Width-a.X, b.cfg.Height-a.Y
	}
	return a
}

// Message is text for a board: coloured runs and how they enter.
type Message struct {
	Runs   []bx.Run
	Effect bx.Effect     // 0 means static
	Speed  uint8         // 0 fastest .. 24 slowest
	Stay   time.Duration // how long each page stays; 0 means DefaultStay
	// FontSize is the row height in dots on picture controllers: 16 draws
	// with Unifont, anything else with the TrueType font; 0 chooses by the
	// area's height (AutoFontSize). Font cards use their own 16-dot font.
	FontSize int
}

// DefaultStay is how long a page stays when a message does not say.
const DefaultStay = 3 * time.Second

// Text is a one-colour message shown statically.
func Text(s string, c dots.Color) Message {
	return Message{Runs: []bx.Run{{Color: c, Text: s}}}
}

// String is the message's text without colours.
func (m Message) String() string {
	var sb strings.Builder
	for _, r := range m.Runs {
		sb.WriteString(r.Text)
	}
	return sb.String()
}

// AutoFontSize is the row height a picture controller uses for an area h
// dots high when the message does not choose: Unifont's 16 dots up to 63
// dots (one to three lines), 32-dot TrueType from 64 dots (two lines on the
// common 64-dot boards, readable from across a street).
func AutoFontSize(h int) int {
	switch {
	case h < render.UnifontSize:
		return max(h, 8)
	case h < 64:
		return render.UnifontSize
	default:
		return 32
	}
}

// ErrNeedsPicture is wrapped when text holds characters outside GB2312 and
// the board is a font card, which can only show GB2312.
var ErrNeedsPicture = errors.New("text needs picture mode")

// ErrTooLong is wrapped when text does not fit the area at its font size.
var ErrTooLong = errors.New("text too long for the area at that font size")

// maxAreaBytes is what a picture controller's dynamic area holds (manual).
const maxAreaBytes = 300 << 10

// maxFontCardText caps the GB2312 bytes sent to one font-card dynamic area.
// The BX-5K/6K manuals give no figure; 1 KiB (512 hanzi, about 1 s of line
// at 9600 baud) is far more than a street board should scroll, and keeps a
// mistaken paste from tying up the line. To be confirmed on a real card
// (docs/LED.md).
const maxFontCardText = 1024

// Show makes area a show m. Nothing is sent when the area already shows it.
// On a font card the text goes as text (GB2312 only); on a picture
// controller it is drawn here and sent as pages.
func (b *Board) Show(ctx context.Context, a Area, m Message) error {
	cmd, err := b.Command(a, m)
	if err != nil {
		return err
	}
	return b.update(ctx, areaKey(b.area(a).ID), cmd)
}

func areaKey(id uint8) string { return fmt.Sprintf("area/%03d", id) }

// Frame is the frame Show would send for m, without sending it.
func (b *Board) Frame(a Area, m Message) ([]byte, error) {
	cmd, err := b.Command(a, m)
	if err != nil {
		return nil, err
	}
	return b.enc.Encode(cmd)
}

// Command is the command Show would send for m.
func (b *Board) Command(a Area, m Message) (bx.Command, error) {
	a = b.area(a)
	m = b.fitColours(m)
	if len(bx.NormalizeRuns(m.Runs)) == 0 {
		return nil, fmt.Errorf("display: %s: the message is empty; give some text (消息内容为空)", b.cfg.Name)
	}
	if m.Effect == 0 {
		m.Effect = bx.EffectStatic
	}
	if m.Stay <= 0 {
		m.Stay = DefaultStay
	}
	if b.cfg.Model.Family == bx.FontCard {
		return b.textCommand(a, m)
	}
	return b.pictureCommand(a, m)
}

// fitColours maps green and yellow to red on a single-colour board.
func (b *Board) fitColours(m Message) Message {
	runs := make([]bx.Run, len(m.Runs))
	for i, r := range m.Runs {
		if r.Color == dots.Off || b.cfg.Colors == bx.Single {
			r.Color = dots.Red
		}
		runs[i] = r
	}
	m.Runs = runs
	return m
}

func (b *Board) textCommand(a Area, m Message) (bx.Command, error) {
	if bad := bx.NotInGB2312(m.String()); len(bad) > 0 {
		return nil, fmt.Errorf("display: %s: %w: %w; this %s is a font card, so use a BX-5E/6E picture controller for such text or replace those characters",
			b.cfg.Name, ErrNeedsPicture, &bx.TextError{Runes: bad}, b.cfg.Model.Label)
	}
	if a.H < render.UnifontSize {
		return nil, fmt.Errorf("display: %s: %w: the area is %d dots high and the controller's smallest Chinese font is 16 dots; use a taller area (区域太矮，放不下16点阵汉字)",
			b.cfg.Name, ErrTooLong, a.H)
	}
	if n := len(m.String()) / 3 * 2; n > maxFontCardText {
		return nil, fmt.Errorf("display: %s: %w: about %d bytes of GB2312 text, more than the %d a font card's dynamic area takes; split it into several items (文字太长，请分成几条)",
			b.cfg.Name, ErrTooLong, n, maxFontCardText)
	}
	eff := m.Effect
	single := false
	switch eff {
	case bx.EffectScrollLeft, bx.EffectScrollRight, bx.EffectContinuousLeft, bx.EffectContinuousRight:
		single = true
		if eff == bx.EffectContinuousLeft {
			eff = bx.EffectScrollLeft
		}
		if eff == bx.EffectContinuousRight {
			eff = bx.EffectScrollRight
		}
	case bx.EffectContinuousUp:
		eff = bx.EffectScrollUp
	case bx.EffectContinuousDown:
		eff = bx.EffectScrollDown
	case bx.EffectFlash, bx.EffectRandom:
		eff = bx.EffectStatic // font cards have neither
	}
	stay := min(m.Stay.Round(500*time.Millisecond), 255*500*time.Millisecond)
	return bx.TextUpdate{Areas: []bx.TextArea{{
		ID: a.ID, X: a.X, Y: a.Y, W: a.W, H: a.H,
		RunMode: bx.RunLoop, SingleLine: single, AutoWrap: !single,
		Effect: eff, Speed: min(m.Speed, 24), Stay: stay, Runs: m.Runs,
	}}}, nil
}

func (b *Board) pictureCommand(a Area, m Message) (bx.Command, error) {
	size := m.FontSize
	if size == 0 {
		size = AutoFontSize(a.H)
	}
	face, err := b.fonts.Face(size)
	if err != nil {
		return nil, fmt.Errorf("display: %s: %w", b.cfg.Name, err)
	}
	runs := make([]render.Run, len(m.Runs))
	for i, r := range m.Runs {
		runs[i] = render.Run{Text: r.Text, Color: r.Color}
	}
	planes := 1
	if b.cfg.Colors == bx.Dual {
		planes = 2
	}
	maxPages := max(1, min(0xFFFF, maxAreaBytes/max(1, (a.W+31)/8*a.H*planes)))
	stay := min(m.Stay.Round(10*time.Millisecond), 0xFFFF*10*time.Millisecond)
	speed := min(m.Speed, 24)
	var pages []bx.Page
	switch m.Effect {
	case bx.EffectScrollLeft, bx.EffectContinuousLeft:
		// A marquee: the text as one long line, cut into area-wide pages
		// that follow each other without a pause.
		s, err := render.NewScroll(runs, face, a.W, a.H)
		if err != nil {
			return nil, b.renderErr(err, a, size)
		}
		n := (s.Strip.W + a.W - 1) / a.W
		if n > maxPages {
			return nil, fmt.Errorf("display: %s: %w: the scrolling line is %d dots long, the area holds %d dots; shorten the text or use a smaller font (文字太长)",
				b.cfg.Name, ErrTooLong, s.Strip.W, maxPages*a.W)
		}
		for i := range n {
			pg := dots.New(a.W, a.H)
			pg.Blit(s.Strip, -i*a.W, 0)
			pages = append(pages, bx.Page{Effect: bx.EffectContinuousLeft, Speed: speed, Bitmap: pg})
		}
	default:
		l := render.Layout{W: a.W, H: a.H, Font: face, Align: render.Center, MaxPages: maxPages}
		bms, err := l.Pages(runs)
		if err != nil {
			return nil, b.renderErr(err, a, size)
		}
		for _, bm := range bms {
			pages = append(pages, bx.Page{Effect: m.Effect, Speed: speed, Stay: stay, Bitmap: bm})
		}
	}
	return bx.PictureUpdate{Area: bx.PictureArea{ID: a.ID, RunMode: bx.RunLoop, Play: 1, X: a.X, Y: a.Y, Pages: pages}}, nil
}

func (b *Board) renderErr(err error, a Area, size int) error {
	switch {
	case errors.Is(err, render.ErrTooLong), errors.Is(err, render.ErrAreaTooSmall):
		return fmt.Errorf("display: %s: %w: area %dx%d at %d-dot rows: %w; shorten the text, use a smaller font size or a larger area (文字太长或区域太小)",
			b.cfg.Name, ErrTooLong, a.W, a.H, size, err)
	}
	return fmt.Errorf("display: %s: %w", b.cfg.Name, err)
}

// ShowPicture shows img in area a, scaled to fit and mapped to the board's
// colours (dithered unless opts say otherwise). Only picture controllers
// show pictures.
func (b *Board) ShowPicture(ctx context.Context, a Area, img image.Image, opts render.PictureOptions) error {
	cmd, err := b.PictureCommand(a, img, opts)
	if err != nil {
		return err
	}
	return b.update(ctx, areaKey(b.area(a).ID), cmd)
}

// PictureCommand is the command ShowPicture would send.
func (b *Board) PictureCommand(a Area, img image.Image, opts render.PictureOptions) (bx.Command, error) {
	a = b.area(a)
	if b.cfg.Model.Family != bx.Picture {
		return nil, fmt.Errorf("display: %s: %s is a font card and cannot show pictures; use a BX-5E/6E controller (字库卡不能显示图片)", b.cfg.Name, b.cfg.Model.Label)
	}
	opts.Palette = render.Mono
	if b.cfg.Colors == bx.Dual {
		opts.Palette = render.Dual
	}
	bm, err := render.Picture(img, a.W, a.H, opts)
	if err != nil {
		return nil, fmt.Errorf("display: %s: %w", b.cfg.Name, err)
	}
	return bx.PictureUpdate{Area: bx.PictureArea{ID: a.ID, RunMode: bx.RunLoop, Play: 1, X: a.X, Y: a.Y,
		Pages: []bx.Page{{Effect: bx.EffectStatic, Stay: DefaultStay, Bitmap: bm}}}}, nil
}

// ShowDots shows a ready bitmap in area a (picture controllers).
func (b *Board) ShowDots(ctx context.Context, a Area, bm *dots.Bitmap) error {
	a = b.area(a)
	if b.cfg.Model.Family != bx.Picture {
		return fmt.Errorf("display: %s: %s is a font card and cannot show pictures; use a BX-5E/6E controller (字库卡不能显示图片)", b.cfg.Name, b.cfg.Model.Label)
	}
	cmd := bx.PictureUpdate{Area: bx.PictureArea{ID: a.ID, RunMode: bx.RunLoop, Play: 1, X: a.X, Y: a.Y,
		Pages: []bx.Page{{Effect: bx.EffectStatic, Stay: DefaultStay, Bitmap: bm}}}}
	return b.update(ctx, areaKey(a.ID), cmd)
}

// SetBrightness sets a fixed brightness, 0 (dimmest) to 15 (brightest).
func (b *Board) SetBrightness(ctx context.Context, level uint8) error {
	return b.update(ctx, "brightness", bx.Brightness{Level: level})
}

// SetPower switches the screen on or off (font cards; picture controllers
// have no such command and get a dark page instead from the caller).
func (b *Board) SetPower(ctx context.Context, on bool) error {
	if b.cfg.Model.Family != bx.FontCard {
		return fmt.Errorf("display: %s: %s has no screen on/off command; show nothing instead", b.cfg.Name, b.cfg.Model.Label)
	}
	return b.update(ctx, "power", bx.Power{On: on})
}

// Clear removes every dynamic area from the board.
func (b *Board) Clear(ctx context.Context) error {
	if err := b.lock(ctx); err != nil {
		return err
	}
	defer b.unlock()
	if _, err := b.exchangeCmd(ctx, bx.DeleteAreas{All: true}); err != nil {
		return err
	}
	for k := range b.want {
		if strings.HasPrefix(k, "area/") {
			delete(b.want, k)
			delete(b.shown, k)
		}
	}
	return nil
}

func (b *Board) exchangeCmd(ctx context.Context, cmd bx.Command) (bx.Reply, error) {
	frame, err := b.enc.Encode(cmd)
	if err != nil {
		return bx.Reply{}, fmt.Errorf("display: %s: %w", b.cfg.Name, err)
	}
	return b.exchange(ctx, cmd.Name(), frame)
}
