package bx

import (
	"encoding/binary"
	"fmt"
	"time"

	"lawpoint/display/dots"
)

// Encoder builds frames for one board: a controller model driving a screen
// of Width x Height dots in Colors colours.
type Encoder struct {
	Model         *Model
	Width, Height int
	Colors        Colors
	// Header carries addressing. NewEncoder sets the screen address to
	// AddrDefault, the source to AddrPC and the device type to the
	// family wildcard (font card, as the vendor SDK does) or the model's code
	// (picture). Change Dst to the address set on the card.
	Header Header
}

// NewEncoder checks the board against the model and returns an Encoder.
func NewEncoder(m *Model, width, height int, colors Colors) (*Encoder, error) {
	if m == nil {
		return nil, invalid("no controller model given; pick one with LookupModel")
	}
	if colors != Single && colors != Dual {
		return nil, invalid("board colours %v unknown; use Single or Dual", colors)
	}
	if colors > m.Colors {
		return nil, invalid("%s drives at most %v-colour boards; configure a single-colour board", m.Label, m.Colors)
	}
	if width <= 0 || height <= 0 {
		return nil, invalid("board size %dx%d; give the board's width and height in dots (屏幕尺寸无效)", width, height)
	}
	if width > m.MaxWidth(colors) || height > m.MaxH {
		return nil, invalid("a %dx%d %v-colour board exceeds what %s drives (%dx%d); check the size or the model (屏幕尺寸超出控制卡范围)",
			width, height, colors, m.Label, m.MaxWidth(colors), m.MaxH)
	}
	h := Header{Family: m.Family, Dst: AddrDefault, Src: AddrPC}
	if m.Family == FontCard {
		h.DeviceType = DeviceAnyFontCard
	} else {
		h.DeviceType = m.DeviceType
	}
	return &Encoder{Model: m, Width: width, Height: height, Colors: colors, Header: h}, nil
}

// Encode returns the frame for cmd, ready for the wire.
func (e *Encoder) Encode(cmd Command) ([]byte, error) {
	data, err := e.Data(cmd)
	if err != nil {
		return nil, err
	}
	h := e.Header
	if _, ok := cmd.(Ping); ok && e.Model.Family == Picture {
		h.DeviceType = DeviceAnyPicture // the manual's ping uses the wildcard
	}
	return Pack(h, data)
}

// Data returns the unescaped data field for cmd (no header, no check).
func (e *Encoder) Data(cmd Command) ([]byte, error) {
	if e.Model.Family == FontCard {
		return e.fontCardData(cmd)
	}
	return e.pictureData(cmd)
}

func kRequest(group, code byte, r0, r1 byte) []byte { return []byte{group, code, 0x01, r0, r1} }

func eRequest(group, code byte) []byte { return []byte{0x01, group, code} }

func (e *Encoder) fontCardData(cmd Command) ([]byte, error) {
	switch c := cmd.(type) {
	case Ping:
		return kRequest(grpSystem, cmdPing, 0, 0), nil
	case Clear:
		return kRequest(grpDisplay, cmdClear, 0, 0), nil
	case Power:
		flag := byte(2)
		if c.On {
			flag = 1
		}
		return append(kRequest(grpDisplay, cmdPower, 0, 0), flag), nil
	case TimeSync:
		return encodeTimeSync(c)
	case Brightness:
		b := kRequest(grpDisplay, cmdKBrightness, 0, 0)
		if err := checkLevel(c.Level); err != nil {
			return nil, err
		}
		if c.Schedule == nil {
			b = append(b, 0x01, c.Level)
			for range 48 {
				b = append(b, c.Level)
			}
			return b, nil
		}
		b = append(b, 0x02, c.Level)
		for _, v := range c.Schedule {
			if err := checkLevel(v); err != nil {
				return nil, err
			}
			b = append(b, v)
		}
		return b, nil
	case DeleteAreas:
		return e.encodeText(TextUpdate{DeleteAll: c.All, Delete: c.IDs})
	case TextUpdate:
		if len(c.Areas) == 0 {
			return nil, invalid("text update without areas; use DeleteAreas to delete areas")
		}
		return e.encodeText(c)
	case PictureUpdate:
		return nil, invalid("%s is a font-card controller and cannot show pictures; send text, or use a BX-5E/6E board (字库卡不能显示图片)", e.Model.Label)
	}
	return nil, invalid("command %s is not supported by %s", cmd.Name(), e.Model.Label)
}

func checkLevel(v uint8) error {
	if v > 15 {
		return invalid("brightness %d out of range; use 0 (dimmest) to 15 (brightest) (亮度须为0到15)", v)
	}
	return nil
}

func bcd(v int) byte { return byte(v/10<<4 | v%10) }

func encodeTimeSync(t TimeSync) ([]byte, error) {
	if t.Year < 2000 || t.Year > 2099 || t.Month < 1 || t.Month > 12 || t.Day < 1 || t.Day > 31 ||
		t.Hour < 0 || t.Hour > 23 || t.Minute < 0 || t.Minute > 59 || t.Second < 0 || t.Second > 59 ||
		t.Weekday < time.Sunday || t.Weekday > time.Saturday {
		return nil, invalid("time %04d-%02d-%02d %02d:%02d:%02d cannot be sent; the controller clock takes 2000-2099 (时间无效)",
			t.Year, t.Month, t.Day, t.Hour, t.Minute, t.Second)
	}
	wd := int(t.Weekday)
	if wd == 0 {
		wd = 7
	}
	b := kRequest(grpSystem, cmdTimeSync, 0, 0)
	b = append(b, bcd(t.Year%100), bcd(t.Year/100), bcd(int(t.Month)), bcd(t.Day),
		bcd(t.Hour), bcd(t.Minute), bcd(t.Second), bcd(wd))
	return b, nil
}

// kAreaHeaderLen is the size of a font-card area before its text.
const kAreaHeaderLen = 27

func (e *Encoder) encodeText(u TextUpdate) ([]byte, error) {
	proc := byte(0)
	if u.Reset {
		proc = 1
	}
	b := kRequest(grpDisplay, cmdText, proc, 0)
	switch {
	case u.DeleteAll:
		if len(u.Delete) > 0 {
			return nil, invalid("delete all areas or a list of areas, not both")
		}
		b = append(b, 0xFF)
	default:
		if len(u.Delete) >= 0xFF {
			return nil, invalid("%d areas to delete; use DeleteAll", len(u.Delete))
		}
		b = append(b, byte(len(u.Delete)))
		b = append(b, u.Delete...)
	}
	if len(u.Areas) > 0xFF {
		return nil, invalid("%d areas in one update; send at most 255", len(u.Areas))
	}
	b = append(b, byte(len(u.Areas)))
	seen := map[uint8]bool{}
	for i, a := range u.Areas {
		if seen[a.ID] {
			return nil, invalid("area %d appears twice in one update", a.ID)
		}
		seen[a.ID] = true
		ad, err := e.encodeTextArea(a)
		if err != nil {
			return nil, fmt.Errorf("area %d (#%d): %w", a.ID, i, err)
		}
		if len(ad) > 0xFFFF {
			return nil, invalid("area %d holds %d bytes, more than 65535; send less text", a.ID, len(ad))
		}
		b = binary.LittleEndian.AppendUint16(b, uint16(len(ad)))
		b = append(b, ad...)
	}
	return b, nil
}

func (e *Encoder) checkArea(x, y, w, h int) error {
	if w <= 0 || h <= 0 || x < 0 || y < 0 || x+w > e.Width || y+h > e.Height {
		return invalid("area at (%d,%d) size %dx%d does not fit the %dx%d board; move or shrink it (区域超出屏幕范围)",
			x, y, w, h, e.Width, e.Height)
	}
	return nil
}

func durationUnits(d, unit time.Duration, max int64, what string) (int64, error) {
	if d < 0 || d%unit != 0 || int64(d/unit) > max {
		return 0, invalid("%s %v must be a multiple of %v up to %v", what, d, unit, time.Duration(max)*unit)
	}
	return int64(d / unit), nil
}

func (e *Encoder) encodeTextArea(a TextArea) ([]byte, error) {
	if err := e.checkArea(a.X, a.Y, a.W, a.H); err != nil {
		return nil, err
	}
	xw := func(v int) uint16 { return uint16(v / 8) }
	if a.X%8 != 0 || a.W%8 != 0 {
		if !e.Model.PixelUnits {
			return nil, invalid("%s areas start and end on multiples of 8 dots; x=%d width=%d do not (区域的X坐标和宽度须为8的倍数)",
				e.Model.Label, a.X, a.W)
		}
		xw = func(v int) uint16 { return 0x8000 | uint16(v) }
	}
	code, ok := kEffectCode[a.Effect]
	if !ok {
		return nil, invalid("effect %v is not available on font-card controllers; use static, quick or scroll-left/right/up/down", a.Effect)
	}
	if a.RunMode > RunOnceThenBlank {
		return nil, invalid("run mode %d unknown; use 0..4", a.RunMode)
	}
	if a.Speed > 24 {
		return nil, invalid("speed %d out of range; use 0 (fastest) to 24 (slowest)", a.Speed)
	}
	stay, err := durationUnits(a.Stay, 500*time.Millisecond, 0xFF, "stay time")
	if err != nil {
		return nil, err
	}
	to, err := durationUnits(a.Timeout, time.Second, 0xFFFF, "timeout")
	if err != nil {
		return nil, err
	}
	text, err := encodeRuns(a.Runs, e.Colors)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	b := make([]byte, 0, kAreaHeaderLen+len(text))
	b = append(b, 0x00) // area type: dynamic area (vendor Java SDK)
	b = le.AppendUint16(b, xw(a.X))
	b = le.AppendUint16(b, uint16(a.Y))
	b = le.AppendUint16(b, xw(a.W))
	b = le.AppendUint16(b, uint16(a.H))
	b = append(b, a.ID, a.LineSpacing, a.RunMode)
	b = le.AppendUint16(b, uint16(to))
	b = append(b, 0, 0, 0) // reserved (sound mode, extension length, alignment: all 0)
	single, wrap := byte(2), byte(1)
	if a.SingleLine {
		single = 1
	}
	if a.AutoWrap {
		wrap = 2
	}
	b = append(b, single, wrap, code, 0x00, a.Speed, byte(stay))
	b = le.AppendUint32(b, uint32(len(text)))
	return append(b, text...), nil
}

func (e *Encoder) pictureData(cmd Command) ([]byte, error) {
	switch c := cmd.(type) {
	case Ping:
		return append(eRequest(grpSystem, cmdPing), 0, 0), nil
	case DeleteAreas:
		b := append(eRequest(grpDynamic, cmdDelete), 0, 0)
		if c.All {
			if len(c.IDs) > 0 {
				return nil, invalid("delete all areas or a list of areas, not both")
			}
			return append(b, 0xFF), nil
		}
		if len(c.IDs) >= 0xFF {
			return nil, invalid("%d areas to delete; use All", len(c.IDs))
		}
		b = append(b, byte(len(c.IDs)))
		return append(b, c.IDs...), nil
	case Brightness:
		b := eRequest(grpSystem, cmdPicBrightness)
		b = binary.LittleEndian.AppendUint16(b, 49)
		if err := checkLevel(c.Level); err != nil {
			return nil, err
		}
		if c.Schedule == nil {
			b = append(b, 0x00)
			for range 48 {
				b = append(b, c.Level)
			}
			return b, nil
		}
		if c.Level != 0 {
			return nil, invalid("picture controllers take no current level with a schedule; leave Level 0")
		}
		b = append(b, 0x01)
		for _, v := range c.Schedule {
			if err := checkLevel(v); err != nil {
				return nil, err
			}
			b = append(b, v)
		}
		return b, nil
	case PictureUpdate:
		return e.encodePicture(c.Area)
	case TextUpdate:
		return nil, invalid("%s is a picture controller and has no fonts; render the text to pages of dots (图文卡需先把文字渲染成图片)", e.Model.Label)
	}
	return nil, invalid("command %s is not supported by %s", cmd.Name(), e.Model.Label)
}

func (e *Encoder) encodePicture(a PictureArea) ([]byte, error) {
	w, h := a.Size()
	if len(a.Pages) == 0 || len(a.Pages) > 0xFFFF {
		return nil, invalid("a picture area needs 1 to 65535 pages, got %d", len(a.Pages))
	}
	if err := e.checkArea(a.X, a.Y, w, h); err != nil {
		return nil, err
	}
	if a.RunMode > RunOnceThenBlank {
		return nil, invalid("run mode %d unknown; use 0..4", a.RunMode)
	}
	if a.Play > 2 {
		return nil, invalid("play mode %d unknown; use 0 (with programmes), 1 (at once) or 2 (after programmes)", a.Play)
	}
	if len(a.Related) > 0xFFFF {
		return nil, invalid("too many related programmes")
	}
	to, err := durationUnits(a.Timeout, time.Second, 0xFFFF, "timeout")
	if err != nil {
		return nil, err
	}
	lay := layoutFor(e.Model.Generation, a.X, w, h, e.Colors)
	le := binary.LittleEndian

	// Area parameters up to and including the page count.
	p := []byte{a.ID, a.RunMode}
	p = le.AppendUint16(p, uint16(to))
	p = append(p, boolByte(a.RelateAll))
	p = le.AppendUint16(p, uint16(len(a.Related)))
	for _, r := range a.Related {
		p = le.AppendUint16(p, r)
	}
	p = append(p, a.Play, 0, 0, 0, 0, 0x10)
	p = le.AppendUint16(p, uint16(a.X))
	p = le.AppendUint16(p, uint16(a.Y))
	p = le.AppendUint16(p, uint16(w))
	p = le.AppendUint16(p, uint16(h))
	p = append(p, 0x00) // no frame (border)
	if e.Model.Generation == 6 {
		p = append(p, 0x00, 0x00, 0x00, 0x00) // no background, transparency, same size, no sound
		p = append(p, 0, 0, 0, 0, 0)          // reserved
	}
	p = le.AppendUint16(p, uint16(len(a.Pages)))

	var pix []byte // generation 6: all pixel data after the parameters
	for i, pg := range a.Pages {
		if pg.Bitmap == nil || pg.Bitmap.W != w || pg.Bitmap.H != h || len(pg.Bitmap.Pix) != w*h {
			return nil, invalid("page %d is not a %dx%d bitmap like the first page; all pages of an area have one size", i, w, h)
		}
		if e.Colors == Single {
			for _, c := range pg.Bitmap.Pix {
				if c != dots.Off && c != dots.Red {
					return nil, invalid("page %d has %v dots on a single-colour board; use red only (单色屏只能显示红色)", i, c)
				}
			}
		} else {
			for _, c := range pg.Bitmap.Pix {
				if c > dots.Yellow {
					return nil, invalid("page %d has an unknown colour %v", i, c)
				}
			}
		}
		code, ok := eEffectCode[pg.Effect]
		if !ok {
			return nil, invalid("page %d: effect %v unknown", i, pg.Effect)
		}
		stay, err := durationUnits(pg.Stay, 10*time.Millisecond, 0xFFFF, "stay time")
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", i, err)
		}
		data := packPage(lay, a.X, pg.Bitmap)
		params := []byte{0x00, code, pg.Clear, pg.Speed}
		params = le.AppendUint16(params, uint16(stay))
		params = append(params, pg.Repeat)
		params = le.AppendUint16(params, uint16(w)) // valid length: the area width
		if e.Model.Generation == 6 {
			params = append(params, make([]byte, 9)...)
			params = le.AppendUint32(params, uint32(len(pix)))
			params = le.AppendUint32(params, uint32(len(data)))
			p = le.AppendUint32(p, uint32(len(params)))
			p = append(p, params...)
			pix = append(pix, data...)
			continue
		}
		params = append(params, 0, 0, 0, 0)
		p = le.AppendUint32(p, uint32(len(params)+len(data)))
		p = append(p, params...)
		p = append(p, data...)
	}

	b := append(eRequest(grpDynamic, cmdPicture), 0, 0)
	if e.Model.Generation == 6 {
		b = le.AppendUint16(b, 1) // one area per frame, as the vendor SDK sends
		b = le.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
		return append(b, pix...), nil
	}
	b = le.AppendUint32(b, uint32(len(p)))
	return append(b, p...), nil
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}
