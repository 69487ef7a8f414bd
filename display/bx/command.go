package bx

import (
	"fmt"
	"time"

	"lawpoint/display/dots"
)

// Command is a request a host sends to a controller. Encoder.Encode turns
// one into a frame; DecodeCommand turns a frame back into one.
type Command interface {
	// Name is a short English name for logs.
	Name() string
}

// Command groups and codes on the wire.
const (
	grpAck     byte = 0xA0
	grpSystem  byte = 0xA2 // ping, time sync (font card), brightness (picture)
	grpDisplay byte = 0xA3 // font card: on/off, brightness, dynamic area, clear
	grpDynamic byte = 0xA7 // picture: dynamic areas

	cmdPing          byte = 0x00
	cmdTimeSync      byte = 0x03 // A2 03, font card
	cmdPicBrightness byte = 0x07 // A2 07, picture
	cmdPower         byte = 0x00 // A3 00, font card
	cmdKBrightness   byte = 0x02 // A3 02, font card
	cmdText          byte = 0x06 // A3 06, font card
	cmdClear         byte = 0x10 // A3 10, font card
	cmdPicture       byte = 0x00 // A7 00, picture
	cmdDelete        byte = 0x01 // A7 01, picture
)

// Effect is how a page or a text enters the area.
type Effect uint8

const (
	EffectStatic Effect = iota + 1
	EffectQuick         // 快速打出: drawn at once
	EffectScrollLeft
	EffectScrollRight
	EffectScrollUp
	EffectScrollDown
	// Picture controllers only.
	EffectContinuousLeft
	EffectContinuousRight
	EffectContinuousUp
	EffectContinuousDown
	EffectRandom
	EffectFlash
)

var effectNames = map[Effect]string{
	EffectStatic: "static", EffectQuick: "quick", EffectScrollLeft: "scroll-left",
	EffectScrollRight: "scroll-right", EffectScrollUp: "scroll-up", EffectScrollDown: "scroll-down",
	EffectContinuousLeft: "continuous-left", EffectContinuousRight: "continuous-right",
	EffectContinuousUp: "continuous-up", EffectContinuousDown: "continuous-down",
	EffectRandom: "random", EffectFlash: "flash",
}

func (e Effect) String() string {
	if s, ok := effectNames[e]; ok {
		return s
	}
	return fmt.Sprintf("effect(%d)", uint8(e))
}

// ParseEffect maps a name such as "scroll-left" to an Effect.
func ParseEffect(s string) (Effect, error) {
	for e, n := range effectNames {
		if n == s {
			return e, nil
		}
	}
	return 0, invalid("unknown effect %q; use static, quick, scroll-left, scroll-right, scroll-up or scroll-down (未知的显示特技)", s)
}

// Display-mode codes of the font card (appendix: 0x01..0x06).
var kEffectCode = map[Effect]byte{
	EffectStatic: 0x01, EffectQuick: 0x02, EffectScrollLeft: 0x03,
	EffectScrollRight: 0x04, EffectScrollUp: 0x05, EffectScrollDown: 0x06,
}

// Display-mode codes of the picture controllers (5th/6th manual, 5.4.1).
var eEffectCode = map[Effect]byte{
	EffectRandom: 0x00, EffectStatic: 0x01, EffectQuick: 0x02, EffectScrollLeft: 0x03,
	EffectContinuousLeft: 0x04, EffectScrollUp: 0x05, EffectContinuousUp: 0x06, EffectFlash: 0x07,
	EffectScrollRight: 0x25, EffectContinuousRight: 0x26, EffectScrollDown: 0x27, EffectContinuousDown: 0x28,
}

func effectFromCode(table map[Effect]byte, c byte) (Effect, bool) {
	for e, v := range table {
		if v == c {
			return e, true
		}
	}
	return 0, false
}

// Run modes of a dynamic area (both families).
const (
	RunLoop          uint8 = 0 // show the pages again and again
	RunHoldLast      uint8 = 1 // show once, then keep the last page
	RunLoopTimeout   uint8 = 2 // loop; stop showing when not updated within Timeout
	RunLoopTimeLogo  uint8 = 3 // loop; after Timeout without update show the last page
	RunOnceThenBlank uint8 = 4 // show once, then nothing
)

// Ping asks a controller to answer; both families.
type Ping struct{}

// TextArea is a font-card dynamic area and the text it shows.
type TextArea struct {
	ID          uint8 // dynamic area number, from 0
	X, Y, W, H  int   // in dots, origin top left of the board
	RunMode     uint8 // RunLoop .. RunOnceThenBlank
	Timeout     time.Duration
	LineSpacing uint8
	SingleLine  bool // one line (for scrolling) rather than several
	AutoWrap    bool // controller breaks lines itself; otherwise "\n" breaks them
	Effect      Effect
	Speed       uint8         // 0 fastest .. 24 slowest
	Stay        time.Duration // how long the text stays, multiples of 0.5 s
	Runs        []Run
}

// TextUpdate is the font card's "send dynamic area" command (A3 06): it may
// delete areas and then (re)define areas with their text.
type TextUpdate struct {
	Reset     bool    // clear and re-initialise the areas on receipt
	DeleteAll bool    // delete every dynamic area first
	Delete    []uint8 // or delete these areas first
	Areas     []TextArea
}

// DeleteAreas removes dynamic areas. On a font card it travels as A3 06
// without areas; on a picture controller as A7 01.
type DeleteAreas struct {
	All bool
	IDs []uint8
}

// Clear blanks a font-card screen (A3 10).
type Clear struct{}

// Power switches a font-card screen on or off (A3 00).
type Power struct{ On bool }

// TimeSync sets a font card's clock (A2 03). Fields are wall-clock values
// in the board's local time; Weekday is sent as 1 (Monday) .. 7 (Sunday).
type TimeSync struct {
	Year                      int
	Month                     time.Month
	Day, Hour, Minute, Second int
	Weekday                   time.Weekday
}

// TimeSyncAt is the TimeSync for t in t's location.
func TimeSyncAt(t time.Time) TimeSync {
	return TimeSync{Year: t.Year(), Month: t.Month(), Day: t.Day(), Hour: t.Hour(),
		Minute: t.Minute(), Second: t.Second(), Weekday: t.Weekday()}
}

// Time returns the moment in loc.
func (s TimeSync) Time(loc *time.Location) time.Time {
	return time.Date(s.Year, s.Month, s.Day, s.Hour, s.Minute, s.Second, 0, loc)
}

// Brightness sets the screen brightness, 0 (dimmest) .. 15 (brightest).
// With Schedule set, the controller follows one level per half hour from
// 00:00; picture controllers then take no Level (leave it 0).
type Brightness struct {
	Level    uint8
	Schedule *[48]uint8
}

// PictureArea is a picture controller's dynamic area and its pages.
type PictureArea struct {
	ID        uint8 // dynamic area number, from 0
	RunMode   uint8 // RunLoop .. RunOnceThenBlank
	Timeout   time.Duration
	RelateAll bool     // show with every stored programme
	Related   []uint16 // or with these programmes
	Play      uint8    // 0 with programmes, 1 stop programmes and show at once, 2 after the last programme
	X, Y      int      // board position of the top-left dot
	Pages     []Page   // every page has the area's size
}

// Size is the area's size in dots: that of its pages.
func (a PictureArea) Size() (w, h int) {
	if len(a.Pages) == 0 || a.Pages[0].Bitmap == nil {
		return 0, 0
	}
	return a.Pages[0].Bitmap.W, a.Pages[0].Bitmap.H
}

// Page is one screenful of dots in a picture area.
type Page struct {
	Effect Effect
	Clear  uint8         // exit / clear mode, 0 = none
	Speed  uint8         // effect speed level, 0 fastest
	Stay   time.Duration // multiples of 10 ms
	Repeat uint8         // repeat count
	Bitmap *dots.Bitmap
}

// PictureUpdate is the picture controller's "update dynamic area" (A7 00).
type PictureUpdate struct {
	Area PictureArea
}

func (Ping) Name() string          { return "ping" }
func (TextUpdate) Name() string    { return "text-update" }
func (DeleteAreas) Name() string   { return "delete-areas" }
func (Clear) Name() string         { return "clear" }
func (Power) Name() string         { return "power" }
func (TimeSync) Name() string      { return "time-sync" }
func (Brightness) Name() string    { return "brightness" }
func (PictureUpdate) Name() string { return "picture-update" }
