package bx

import (
	"encoding/binary"
	"time"
)

// cursor reads little-endian fields from a data field, remembering the
// first shortfall so that parsers can read on and check once.
type cursor struct {
	b   []byte
	off int
	err error
}

func (c *cursor) take(n int, what string) []byte {
	// After a shortfall, return a small zeroed slice: enough for the fixed
	// fields callers read, never an allocation sized by a hostile length.
	if c.err != nil {
		return make([]byte, min(max(n, 0), 8))
	}
	if n < 0 || len(c.b)-c.off < n {
		c.err = frameErr(ErrLength, "data field ends inside %s (offset %d, need %d more bytes, have %d)", what, c.off, n, len(c.b)-c.off)
		return make([]byte, min(max(n, 0), 8))
	}
	v := c.b[c.off : c.off+n]
	c.off += n
	return v
}

func (c *cursor) u8(what string) uint8   { return c.take(1, what)[0] }
func (c *cursor) u16(what string) uint16 { return binary.LittleEndian.Uint16(c.take(2, what)) }
func (c *cursor) u32(what string) uint32 { return binary.LittleEndian.Uint32(c.take(4, what)) }

func (c *cursor) fail(reason error, format string, args ...any) {
	if c.err == nil {
		c.err = frameErr(reason, format, args...)
	}
}

func (c *cursor) zero(n int, what string) {
	for i, v := range c.take(n, what) {
		if v != 0 {
			c.fail(ErrBadField, "%s byte %d is %#02x, want 0", what, i, v)
			return
		}
	}
}

// done reports leftover bytes as a length mismatch.
func (c *cursor) done() error {
	if c.err == nil && c.off != len(c.b) {
		c.err = frameErr(ErrLength, "%d bytes left over after the command", len(c.b)-c.off)
	}
	return c.err
}

// WantsReply tells whether the request in p asks the controller to answer
// (its RtnReq byte is 1 and it is not sent to AddrBroadcast).
func WantsReply(p Packet) bool {
	if p.Header.Dst == AddrBroadcast {
		return false
	}
	switch p.Header.Family {
	case FontCard:
		return len(p.Data) >= 3 && p.Data[2] == 0x01
	case Picture:
		return len(p.Data) >= 1 && p.Data[0] == 0x01
	}
	return false
}

// CommandCode returns the command group and code of a request.
func CommandCode(p Packet) (group, code byte, ok bool) {
	if len(p.Data) < 3 {
		return 0, 0, false
	}
	if p.Header.Family == FontCard {
		return p.Data[0], p.Data[1], true
	}
	return p.Data[1], p.Data[2], true
}

// DecodeCommand parses the request in p into the Command that produced it.
// Picture-controller areas are read in the generation the header's device
// type names; for a wildcard or unknown type both layouts are tried (they
// cannot both fit). Everything this package encodes decodes to an equal
// value; anything else gives a *FrameError.
func DecodeCommand(p Packet) (Command, error) {
	gen := 0
	if m, ok := ModelByDeviceType(p.Header.Family, p.Header.DeviceType); ok {
		gen = m.Generation
	}
	return decodeCommand(p, gen)
}

// DecodeCommandFor is DecodeCommand for a controller known to be m: picture
// areas are read in m's generation whatever the header says.
func DecodeCommandFor(p Packet, m *Model) (Command, error) {
	if m.Family != p.Header.Family {
		return nil, frameErr(ErrBadHeader, "a %v frame sent to %s, a %v controller", p.Header.Family, m.Label, m.Family)
	}
	return decodeCommand(p, m.Generation)
}

func decodeCommand(p Packet, gen int) (Command, error) {
	group, code, ok := CommandCode(p)
	if !ok {
		return nil, frameErr(ErrLength, "data field of %d bytes is too short for a command", len(p.Data))
	}
	if p.Header.Family == FontCard {
		return decodeFontCard(p.Data, group, code)
	}
	return decodePicture(p.Data, group, code, gen)
}

func unknown(group, code byte, f Family) error {
	return frameErr(ErrUnknownCommand, "%v command %02X %02X", f, group, code)
}

func decodeFontCard(d []byte, group, code byte) (Command, error) {
	c := &cursor{b: d, off: 3}
	if r := d[2]; r > 2 {
		return nil, frameErr(ErrBadField, "reply-request byte is %#02x, want 0, 1 or 2", r)
	}
	switch {
	case group == grpSystem && code == cmdPing:
		c.zero(2, "reserved")
		return Ping{}, c.done()
	case group == grpDisplay && code == cmdClear:
		c.zero(2, "reserved")
		return Clear{}, c.done()
	case group == grpDisplay && code == cmdPower:
		c.zero(2, "reserved")
		var cmd Power
		switch f := c.u8("on/off flag"); f {
		case 1:
			cmd.On = true
		case 2:
		default:
			c.fail(ErrBadField, "on/off flag %d, want 1 (on) or 2 (off)", f)
		}
		return cmd, c.done()
	case group == grpSystem && code == cmdTimeSync:
		c.zero(2, "reserved")
		return decodeTimeSync(c)
	case group == grpDisplay && code == cmdKBrightness:
		c.zero(2, "reserved")
		mode := c.u8("brightness mode")
		var cmd Brightness
		cmd.Level = c.u8("brightness level")
		table := c.take(48, "brightness table")
		if c.err == nil {
			if mode != 1 && mode != 2 {
				c.fail(ErrBadField, "brightness mode %d, want 1 (fixed) or 2 (schedule)", mode)
			}
			if cmd.Level > 15 {
				c.fail(ErrBadField, "brightness %d above 15", cmd.Level)
			}
			for i, v := range table {
				if v > 15 {
					c.fail(ErrBadField, "brightness table entry %d is %d, above 15", i, v)
				}
			}
			if mode == 2 {
				var s [48]uint8
				copy(s[:], table)
				cmd.Schedule = &s
			}
		}
		return cmd, c.done()
	case group == grpDisplay && code == cmdText:
		return decodeText(c)
	}
	return nil, unknown(group, code, FontCard)
}

func fromBCD(b byte) (int, bool) {
	hi, lo := int(b>>4), int(b&0x0F)
	return hi*10 + lo, hi < 10 && lo < 10
}

func decodeTimeSync(c *cursor) (Command, error) {
	raw := c.take(8, "time")
	if err := c.done(); err != nil {
		return nil, err
	}
	var v [8]int
	for i, b := range raw {
		n, ok := fromBCD(b)
		if !ok {
			return nil, frameErr(ErrBadField, "time byte %d (%#02x) is not BCD", i, b)
		}
		v[i] = n
	}
	t := TimeSync{Year: v[1]*100 + v[0], Month: time.Month(v[2]), Day: v[3], Hour: v[4], Minute: v[5], Second: v[6]}
	if v[7] < 1 || v[7] > 7 || t.Month < 1 || t.Month > 12 || t.Day < 1 || t.Day > 31 || t.Hour > 23 || t.Minute > 59 || t.Second > 59 {
		return nil, frameErr(ErrBadField, "time %04d-%02d-%02d %02d:%02d:%02d weekday %d out of range", t.Year, t.Month, t.Day, t.Hour, t.Minute, t.Second, v[7])
	}
	t.Weekday = time.Weekday(v[7] % 7)
	return t, nil
}

func decodeText(c *cursor) (Command, error) {
	var u TextUpdate
	switch proc := c.u8("process mode"); proc {
	case 0:
	case 1:
		u.Reset = true
	default:
		c.fail(ErrBadField, "process mode %d, want 0 or 1", proc)
	}
	c.zero(1, "reserved")
	switch n := c.u8("delete count"); n {
	case 0xFF:
		u.DeleteAll = true
	default:
		u.Delete = append([]uint8(nil), c.take(int(n), "delete list")...)
		if n == 0 {
			u.Delete = nil
		}
	}
	n := int(c.u8("area count"))
	seen := map[uint8]bool{}
	for i := 0; i < n && c.err == nil; i++ {
		l := int(c.u16("area length"))
		a, err := decodeTextArea(c.take(l, "area"))
		if c.err != nil {
			break
		}
		if err != nil {
			return nil, err
		}
		if seen[a.ID] {
			return nil, frameErr(ErrBadField, "area %d appears twice", a.ID)
		}
		seen[a.ID] = true
		u.Areas = append(u.Areas, a)
	}
	if err := c.done(); err != nil {
		return nil, err
	}
	if len(u.Areas) == 0 {
		if u.Reset {
			return nil, frameErr(ErrBadField, "text update without areas asks for a reset")
		}
		return DeleteAreas{All: u.DeleteAll, IDs: u.Delete}, nil
	}
	return u, nil
}

func decodeTextArea(b []byte) (TextArea, error) {
	c := &cursor{b: b}
	var a TextArea
	if t := c.u8("area type"); t != 0x00 && t != 0x06 {
		c.fail(ErrBadField, "area type %#02x, want 0x00 (or 0x06) for a dynamic area", t)
	}
	unit := func(v uint16) int {
		if v&0x8000 != 0 {
			return int(v & 0x7FFF)
		}
		return int(v) * 8
	}
	a.X = unit(c.u16("area x"))
	a.Y = int(c.u16("area y"))
	a.W = unit(c.u16("area width"))
	a.H = int(c.u16("area height"))
	a.ID = c.u8("area id")
	a.LineSpacing = c.u8("line spacing")
	a.RunMode = c.u8("run mode")
	a.Timeout = time.Duration(c.u16("timeout")) * time.Second
	c.zero(3, "reserved")
	switch v := c.u8("single line"); v {
	case 1:
		a.SingleLine = true
	case 2:
	default:
		c.fail(ErrBadField, "single-line flag %d, want 1 or 2", v)
	}
	switch v := c.u8("new line"); v {
	case 1:
	case 2:
		a.AutoWrap = true
	default:
		c.fail(ErrBadField, "new-line flag %d, want 1 or 2", v)
	}
	mode := c.u8("display mode")
	if e, ok := effectFromCode(kEffectCode, mode); ok {
		a.Effect = e
	} else {
		c.fail(ErrBadField, "display mode %#02x, want 0x01..0x06", mode)
	}
	c.zero(1, "exit mode")
	a.Speed = c.u8("speed")
	a.Stay = time.Duration(c.u8("stay time")) * 500 * time.Millisecond
	n := c.u32("text length")
	if c.err == nil && uint64(n) != uint64(len(b)-c.off) {
		c.fail(ErrLength, "area says %d text bytes, holds %d", n, len(b)-c.off)
	}
	text := c.take(len(b)-c.off, "text")
	if c.err != nil {
		return a, c.err
	}
	switch {
	case a.W == 0 || a.H == 0:
		return a, frameErr(ErrBadField, "area %d has no size (%dx%d)", a.ID, a.W, a.H)
	case a.RunMode > RunOnceThenBlank:
		return a, frameErr(ErrBadField, "run mode %d, want 0..4", a.RunMode)
	case a.Speed > 24:
		return a, frameErr(ErrBadField, "speed %d, want 0..24", a.Speed)
	}
	runs, err := decodeRuns(text)
	if err != nil {
		return a, err
	}
	a.Runs = runs
	return a, nil
}

func decodePicture(d []byte, group, code byte, gen int) (Command, error) {
	if d[0] > 1 {
		return nil, frameErr(ErrBadField, "reply-request byte is %#02x, want 0 or 1", d[0])
	}
	c := &cursor{b: d, off: 3}
	switch {
	case group == grpSystem && code == cmdPing:
		c.zero(2, "reserved")
		return Ping{}, c.done()
	case group == grpSystem && code == cmdPicBrightness:
		if l := c.u16("data length"); c.err == nil && l != 49 {
			c.fail(ErrLength, "brightness data length %d, want 49", l)
		}
		mode := c.u8("brightness mode")
		vals := c.take(48, "brightness values")
		if c.err != nil {
			return nil, c.err
		}
		for i, v := range vals {
			if v > 15 {
				c.fail(ErrBadField, "brightness value %d is %d, above 15", i, v)
			}
		}
		var b Brightness
		switch mode {
		case 0:
			b.Level = vals[0]
		case 1:
			var s [48]uint8
			copy(s[:], vals)
			b.Schedule = &s
		default:
			c.fail(ErrBadField, "brightness mode %d not supported (want 0 fixed or 1 schedule)", mode)
		}
		return b, c.done()
	case group == grpDynamic && code == cmdDelete:
		c.zero(2, "reserved")
		var del DeleteAreas
		switch n := c.u8("delete count"); n {
		case 0xFF:
			del.All = true
		case 0:
		default:
			del.IDs = append([]uint8(nil), c.take(int(n), "delete list")...)
		}
		return del, c.done()
	case group == grpDynamic && code == cmdPicture:
		switch gen {
		case 5:
			return decodePicture5(d)
		case 6:
			return decodePicture6(d)
		}
		if len(d) >= 7 && d[5] == 1 && d[6] == 0 {
			return decodePicture6(d)
		}
		return decodePicture5(d)
	}
	return nil, unknown(group, code, Picture)
}

// decodeAreaParams reads the area fields both generations share, from the
// area id to the frame flag.
func decodeAreaParams(c *cursor) (a PictureArea, w, h int) {
	a.ID = c.u8("area id")
	a.RunMode = c.u8("run mode")
	a.Timeout = time.Duration(c.u16("timeout")) * time.Second
	switch v := c.u8("relate-all flag"); v {
	case 0:
	case 1:
		a.RelateAll = true
	default:
		c.fail(ErrBadField, "relate-all flag %d, want 0 or 1", v)
	}
	n := int(c.u16("related count"))
	for i := 0; i < n && c.err == nil; i++ {
		a.Related = append(a.Related, c.u16("related programme"))
	}
	a.Play = c.u8("play mode")
	c.zero(4, "reserved")
	if t := c.u8("area type"); c.err == nil && t != 0x10 {
		c.fail(ErrBadField, "area type %#02x, want 0x10 (dynamic area)", t)
	}
	a.X = int(c.u16("area x"))
	a.Y = int(c.u16("area y"))
	w = int(c.u16("area width"))
	h = int(c.u16("area height"))
	if f := c.u8("frame flag"); c.err == nil && f != 0 {
		c.fail(ErrBadField, "area frame (border) flag %d: borders are not supported", f)
	}
	if c.err == nil {
		switch {
		case a.RunMode > RunOnceThenBlank:
			c.fail(ErrBadField, "run mode %d, want 0..4", a.RunMode)
		case a.Play > 2:
			c.fail(ErrBadField, "play mode %d, want 0..2", a.Play)
		case w == 0 || h == 0:
			c.fail(ErrBadField, "area %d has no size (%dx%d)", a.ID, w, h)
		}
	}
	return a, w, h
}

// pageParams reads the page fields both generations share.
func pageParams(c *cursor) Page {
	var pg Page
	if s := c.u8("page style"); c.err == nil && s != 0 {
		c.fail(ErrBadField, "page style %d, want 0", s)
	}
	mode := c.u8("display mode")
	if e, ok := effectFromCode(eEffectCode, mode); ok {
		pg.Effect = e
	} else if c.err == nil {
		c.fail(ErrBadField, "display mode %#02x not supported", mode)
	}
	pg.Clear = c.u8("clear mode")
	pg.Speed = c.u8("speed")
	pg.Stay = time.Duration(c.u16("stay time")) * 10 * time.Millisecond
	pg.Repeat = c.u8("repeat count")
	c.u16("valid length") // the controller uses min(valid length, width)
	return pg
}

// pageColors works out single or dual colour from a page's byte count.
func pageColors(gen, x, w, h, n int) (planeLayout, bool) {
	for _, col := range []Colors{Single, Dual} {
		if l := layoutFor(gen, x, w, h, col); l.size() == n {
			return l, true
		}
	}
	return planeLayout{}, false
}

func decodePicture5(d []byte) (Command, error) {
	c := &cursor{b: d, off: 3}
	c.zero(2, "reserved")
	al := c.u32("area data length")
	if c.err == nil && uint64(al) != uint64(len(d)-c.off) {
		return nil, frameErr(ErrLength, "area data length %d, frame holds %d", al, len(d)-c.off)
	}
	a, w, h := decodeAreaParams(c)
	n := int(c.u16("page count"))
	if c.err == nil && n == 0 {
		c.fail(ErrBadField, "page count is 0")
	}
	var colors Colors
	for i := 0; i < n && c.err == nil; i++ {
		pl := int(c.u32("page length"))
		pc := &cursor{b: c.take(pl, "page")}
		if c.err != nil {
			break
		}
		pg := pageParams(pc)
		pc.zero(4, "page reserved")
		data := pc.take(len(pc.b)-pc.off, "page dots")
		if pc.err != nil {
			return nil, pc.err
		}
		lay, ok := pageColors(5, a.X, w, h, len(data))
		if !ok {
			return nil, frameErr(ErrLength, "page %d holds %d dot bytes, fits neither a single- nor a dual-colour %dx%d area at x=%d", i, len(data), w, h, a.X)
		}
		if i > 0 && Colors(lay.planes) != colors {
			return nil, frameErr(ErrBadField, "page %d has %d colour planes, page 0 has %d", i, lay.planes, colors)
		}
		colors = Colors(lay.planes)
		bm, err := unpackPage(lay, a.X, w, data)
		if err != nil {
			return nil, err
		}
		pg.Bitmap = bm
		a.Pages = append(a.Pages, pg)
	}
	if err := c.done(); err != nil {
		return nil, err
	}
	return PictureUpdate{Area: a}, nil
}

func decodePicture6(d []byte) (Command, error) {
	c := &cursor{b: d, off: 3}
	c.zero(2, "reserved")
	if n := c.u16("area count"); c.err == nil && n != 1 {
		return nil, frameErr(ErrBadField, "%d areas in one frame; only one is supported (as the vendor SDK sends)", n)
	}
	al := int(c.u32("area parameter length"))
	if c.err == nil && al > len(d)-c.off {
		return nil, frameErr(ErrLength, "area parameter length %d, frame holds %d", al, len(d)-c.off)
	}
	pc := &cursor{b: c.take(al, "area parameters")}
	pix := d[c.off:]
	if c.err != nil {
		return nil, c.err
	}
	a, w, h := decodeAreaParams(pc)
	pc.take(3, "background, transparency, size flag") // accepted as sent
	if v := pc.u8("sound flag"); pc.err == nil && v != 0 {
		pc.fail(ErrBadField, "sound flag %d: areas with speech are not supported", v)
	}
	pc.zero(5, "reserved")
	n := int(pc.u16("page count"))
	if pc.err == nil && n == 0 {
		pc.fail(ErrBadField, "page count is 0")
	}
	var colors Colors
	next := 0
	for i := 0; i < n && pc.err == nil; i++ {
		pl := int(pc.u32("page length"))
		ppc := &cursor{b: pc.take(pl, "page parameters")}
		if pc.err != nil {
			break
		}
		pg := pageParams(ppc)
		ppc.zero(9, "page reserved")
		off := int(ppc.u32("data offset"))
		dl := int(ppc.u32("data length"))
		if err := ppc.done(); err != nil {
			return nil, err
		}
		if off != next || dl > len(pix)-off {
			return nil, frameErr(ErrLength, "page %d data at offset %d length %d; expected offset %d within %d bytes", i, off, dl, next, len(pix))
		}
		next = off + dl
		lay, ok := pageColors(6, a.X, w, h, dl)
		if !ok {
			return nil, frameErr(ErrLength, "page %d holds %d dot bytes, fits neither a single- nor a dual-colour %dx%d area at x=%d", i, dl, w, h, a.X)
		}
		if i > 0 && Colors(lay.planes) != colors {
			return nil, frameErr(ErrBadField, "page %d has %d colour planes, page 0 has %d", i, lay.planes, colors)
		}
		colors = Colors(lay.planes)
		bm, err := unpackPage(lay, a.X, w, pix[off:off+dl])
		if err != nil {
			return nil, err
		}
		pg.Bitmap = bm
		a.Pages = append(a.Pages, pg)
	}
	if err := pc.done(); err != nil {
		return nil, err
	}
	if next != len(pix) {
		return nil, frameErr(ErrLength, "%d dot bytes after the pages", len(pix)-next)
	}
	return PictureUpdate{Area: a}, nil
}
