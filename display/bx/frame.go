package bx

import (
	"encoding/binary"
	"fmt"
)

// Family is one of the two BX protocol families.
type Family uint8

const (
	// FontCard controllers (BX-5K/6K) hold GB2312 fonts and take text.
	FontCard Family = 1
	// Picture controllers (BX-5E/6E) take pages of dots.
	Picture Family = 2
)

func (f Family) String() string {
	switch f {
	case FontCard:
		return "font-card"
	case Picture:
		return "picture"
	}
	return fmt.Sprintf("family(%d)", uint8(f))
}

// Protocol versions as carried in the packet header.
const (
	VersionFontCard byte = 0x02
	VersionPicture  byte = 0xF0
)

// Well-known addresses.
const (
	// AddrPC is the source address of host software (0x8000..0xDFFF are hosts).
	AddrPC uint16 = 0x8000
	// AddrBroadcast reaches every controller on the line; none replies.
	AddrBroadcast uint16 = 0xFFFF
	// AddrBroadcastReply reaches every controller and each one replies.
	AddrBroadcastReply uint16 = 0xFFFE
	// AddrDefault is the screen address a new controller answers to.
	AddrDefault uint16 = 0x0001
)

// Wildcard device types that every controller of a family accepts.
const (
	DeviceAnyFontCard uint16 = 0xFE
	DeviceAnyPicture  uint16 = 0xFFFE
)

// CheckMode is the font-card header's choice of packet check.
type CheckMode byte

const (
	CheckCRC16 CheckMode = 0 // CRC-16/ARC (what this package sends)
	CheckSum   CheckMode = 1 // 16-bit byte sum
	CheckNone  CheckMode = 2 // the two check bytes are ignored
)

// Header sizes, not counting the 8 x 0xA5 start, the CRC and the 0x5A end.
const (
	headerLenFontCard = 14
	headerLenPicture  = 16
	frameStartLen     = 8
)

// Header is the packet header of either family. Fields a family does not
// have are zero.
type Header struct {
	Family     Family
	Dst        uint16 // screen address of the controller (or a broadcast)
	Src        uint16 // sender; AddrPC for host software
	DeviceType uint16 // controller type code; font cards use the low byte only

	// Font-card only.
	Option      byte      // bit0 set: a 16-byte bar code follows (not supported)
	Check       CheckMode // how the two check bytes are computed
	DisplayMode byte      // 0 normal, 1 dynamic areas take priority over programmes
}

// Packet is an unescaped frame: header and data field. The CRC has been
// checked (or is computed on encoding).
type Packet struct {
	Header Header
	Data   []byte
}

// Pack builds the bytes on the wire for header h and data field data: eight
// 0xA5, the escaped header+data+check, and 0x5A. The length field in the
// header is filled in from len(data).
func Pack(h Header, data []byte) ([]byte, error) {
	raw, err := appendHeader(nil, h, len(data))
	if err != nil {
		return nil, err
	}
	raw = append(raw, data...)
	var chk uint16
	if h.Family == FontCard && h.Check == CheckSum {
		chk = sum16(raw)
	} else {
		chk = CRC16(raw)
	}
	raw = binary.LittleEndian.AppendUint16(raw, chk)
	return wrap(raw), nil
}

// Encode is Pack(p.Header, p.Data).
func (p Packet) Encode() ([]byte, error) { return Pack(p.Header, p.Data) }

func appendHeader(b []byte, h Header, n int) ([]byte, error) {
	le := binary.LittleEndian
	switch h.Family {
	case FontCard:
		if n > 0xFFFF {
			return nil, invalid("font-card data field of %d bytes exceeds 65535; send less text per frame", n)
		}
		if h.DeviceType > 0xFF {
			return nil, invalid("font-card device type %#x does not fit one byte; use a BX-5K/6K code such as 0x51 or 0xFE", h.DeviceType)
		}
		if h.Check > CheckNone {
			return nil, invalid("check mode %d unknown; use CheckCRC16", h.Check)
		}
		if h.Option&1 != 0 {
			return nil, invalid("header option bit 0 (bar code follows) is not supported; leave Option 0")
		}
		b = le.AppendUint16(b, h.Dst)
		b = le.AppendUint16(b, h.Src)
		b = append(b, 0, 0, 0, h.Option, byte(h.Check), h.DisplayMode, byte(h.DeviceType), VersionFontCard)
		b = le.AppendUint16(b, uint16(n))
	case Picture:
		b = le.AppendUint16(b, h.Dst)
		b = le.AppendUint16(b, h.Src)
		b = append(b, VersionPicture, 0)
		b = le.AppendUint16(b, h.DeviceType)
		b = append(b, 0, 0, 0, 0)
		b = le.AppendUint32(b, uint32(n))
	default:
		return nil, invalid("header family %v unknown; use FontCard or Picture", h.Family)
	}
	return b, nil
}

// needsEscape reports bytes that may not appear between start and end.
func needsEscape(c byte) bool { return c == 0xA5 || c == 0xA6 || c == 0x5A || c == 0x5B }

func wrap(raw []byte) []byte {
	n := frameStartLen + len(raw) + 1
	for _, c := range raw {
		if needsEscape(c) {
			n++
		}
	}
	out := make([]byte, 0, n)
	for range frameStartLen {
		out = append(out, 0xA5)
	}
	for _, c := range raw {
		switch c {
		case 0xA5:
			out = append(out, 0xA6, 0x02)
		case 0xA6:
			out = append(out, 0xA6, 0x01)
		case 0x5A:
			out = append(out, 0x5B, 0x02)
		case 0x5B:
			out = append(out, 0x5B, 0x01)
		default:
			out = append(out, c)
		}
	}
	return append(out, 0x5A)
}

// unescape undoes the escaping of a frame body (the bytes between the last
// 0xA5 of the start and the 0x5A end).
func unescape(body []byte) ([]byte, error) {
	out := make([]byte, 0, len(body))
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch c {
		case 0xA5, 0x5A:
			return nil, frameErr(ErrBadEscape, "raw %#02x at body offset %d", c, i)
		case 0xA6, 0x5B:
			if i+1 >= len(body) {
				return nil, frameErr(ErrBadEscape, "escape byte %#02x at the end of the frame", c)
			}
			switch body[i+1] {
			case 0x01:
				out = append(out, c)
			case 0x02:
				out = append(out, c-1)
			default:
				return nil, frameErr(ErrBadEscape, "%#02x followed by %#02x at body offset %d (want 01 or 02)", c, body[i+1], i)
			}
			i++
		default:
			out = append(out, c)
		}
	}
	return out, nil
}

// Unframe decodes exactly one frame: one or more 0xA5, the escaped packet,
// and 0x5A. It checks escaping, header, length and check bytes, and returns
// a *FrameError saying why when the frame is bad.
func Unframe(wire []byte) (Packet, error) {
	if len(wire) == 0 || wire[0] != 0xA5 {
		return Packet{}, frameErr(ErrTruncated, "no 0xA5 frame start")
	}
	i := 0
	for i < len(wire) && wire[i] == 0xA5 {
		i++
	}
	if wire[len(wire)-1] != 0x5A || i == len(wire) {
		return Packet{}, frameErr(ErrTruncated, "no 0x5A frame end")
	}
	raw, err := unescape(wire[i : len(wire)-1])
	if err != nil {
		return Packet{}, err
	}
	return parseRaw(raw)
}

// parseRaw checks and splits an unescaped packet (header, data, check).
func parseRaw(raw []byte) (Packet, error) {
	le := binary.LittleEndian
	var h Header
	var hl, n int
	switch {
	case len(raw) >= headerLenPicture+2 && raw[4] == VersionPicture:
		hl = headerLenPicture
		h.Family = Picture
		h.Dst = le.Uint16(raw[0:])
		h.Src = le.Uint16(raw[2:])
		if raw[5] != 0 {
			return Packet{}, frameErr(ErrBadHeader, "reserved byte 5 is %#02x, want 0", raw[5])
		}
		h.DeviceType = le.Uint16(raw[6:])
		for k := 8; k < 12; k++ {
			if raw[k] != 0 {
				return Packet{}, frameErr(ErrBadHeader, "reserved byte %d is %#02x, want 0", k, raw[k])
			}
		}
		l := le.Uint32(raw[12:])
		if uint64(l) != uint64(len(raw)-hl-2) {
			return Packet{}, frameErr(ErrLength, "header says %d data bytes, frame holds %d", l, len(raw)-hl-2)
		}
		n = int(l)
	case len(raw) >= headerLenFontCard+2 && raw[11] == VersionFontCard:
		hl = headerLenFontCard
		h.Family = FontCard
		h.Dst = le.Uint16(raw[0:])
		h.Src = le.Uint16(raw[2:])
		for k := 4; k < 7; k++ {
			if raw[k] != 0 {
				return Packet{}, frameErr(ErrBadHeader, "reserved byte %d is %#02x, want 0", k, raw[k])
			}
		}
		h.Option = raw[7]
		if h.Option&1 != 0 {
			return Packet{}, frameErr(ErrBadHeader, "option bit 0 (bar code follows) is not supported")
		}
		h.Check = CheckMode(raw[8])
		if h.Check > CheckNone {
			return Packet{}, frameErr(ErrBadHeader, "check mode %d unknown", raw[8])
		}
		h.DisplayMode = raw[9]
		h.DeviceType = uint16(raw[10])
		l := int(le.Uint16(raw[12:]))
		if l != len(raw)-hl-2 {
			return Packet{}, frameErr(ErrLength, "header says %d data bytes, frame holds %d", l, len(raw)-hl-2)
		}
		n = l
	case len(raw) < headerLenFontCard+2:
		return Packet{}, frameErr(ErrTruncated, "packet of %d bytes is shorter than any header plus check", len(raw))
	default:
		return Packet{}, frameErr(ErrBadHeader, "no known protocol version (byte 4 = %#02x, byte 11 = %#02x)", raw[4], raw[11])
	}
	body := raw[:hl+n]
	got := le.Uint16(raw[hl+n:])
	switch {
	case h.Family == FontCard && h.Check == CheckNone:
	case h.Family == FontCard && h.Check == CheckSum:
		if want := sum16(body); got != want {
			return Packet{}, frameErr(ErrBadCRC, "sum check %#04x, computed %#04x", got, want)
		}
	default:
		if want := CRC16(body); got != want {
			return Packet{}, frameErr(ErrBadCRC, "CRC %#04x, computed %#04x", got, want)
		}
	}
	data := make([]byte, n)
	copy(data, raw[hl:hl+n])
	return Packet{Header: h, Data: data}, nil
}
