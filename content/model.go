package content

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// ItemKind says what an item is and where it can be shown.
type ItemKind string

// Item kinds.
const (
	KindText    ItemKind = "text"    // a message for LED boards (and kiosk tickers)
	KindImage   ItemKind = "image"   // a PNG or JPEG for kiosks and pixel boards
	KindArticle ItemKind = "article" // a title and body read at the kiosk
)

// Device kinds.
const (
	DeviceKiosk = "kiosk"
	DeviceLED   = "led"
)

// DeviceKinds lists every device kind the model knows.
var DeviceKinds = []string{DeviceKiosk, DeviceLED}

// Item is one piece of content. Its bytes (see Payload) are fetched from
// /content/items/{id}/{version} and checked against SHA256 and Size.
type Item struct {
	ID      string   `json:"id"`
	Kind    ItemKind `json:"kind"`
	Version int      `json:"version"`
	// SHA256 is the lowercase hex SHA-256 of the item's bytes.
	SHA256 string `json:"sha256"`
	// Size is the length of the item's bytes.
	Size int64 `json:"size"`
	// Tags are topics such as 宪法, 民法典, 法律援助, 反诈骗, 人民调解.
	Tags []string `json:"tags,omitempty"`
	// ValidFrom and ValidUntil bound when the item may play, [from, until);
	// zero means unbounded. Outside them the item never plays, and an item
	// with either bound set never plays on an untrusted clock.
	ValidFrom  time.Time `json:"valid_from,omitzero"`
	ValidUntil time.Time `json:"valid_until,omitzero"`

	Text    *Text    `json:"text,omitempty"`    // set for KindText
	Image   *Image   `json:"image,omitempty"`   // set for KindImage
	Article *Article `json:"article,omitempty"` // set for KindArticle
}

// Text is an LED message. The colour, effect, speed and stay are hints a
// board honours when it can; a single-colour board ignores Colour.
type Text struct {
	Body   string `json:"body"`
	Colour Colour `json:"colour,omitempty"`
	Effect Effect `json:"effect,omitempty"`
	// Speed is 1 (slowest) to 8 (fastest); 0 leaves it to the board.
	Speed int `json:"speed,omitempty"`
	// StaySeconds is how long a page stays still; 0 leaves it to the board.
	StaySeconds int `json:"stay_seconds,omitempty"`
}

// Colour of an LED message.
type Colour string

// Colours a board may show.
const (
	ColourRed    Colour = "red"
	ColourGreen  Colour = "green"
	ColourYellow Colour = "yellow"
	ColourWhite  Colour = "white"
)

// Effect is how an LED message enters.
type Effect string

// Effects a board may play.
const (
	EffectStatic     Effect = "static"
	EffectScrollLeft Effect = "scroll_left"
	EffectScrollUp   Effect = "scroll_up"
	EffectFlash      Effect = "flash"
	EffectTypewriter Effect = "typewriter"
	EffectContinuous Effect = "continuous_left"
)

var (
	knownColours = []Colour{ColourRed, ColourGreen, ColourYellow, ColourWhite}
	knownEffects = []Effect{EffectStatic, EffectScrollLeft, EffectScrollUp, EffectFlash, EffectTypewriter, EffectContinuous}
)

// Image describes a picture; its bytes are the PNG or JPEG file.
type Image struct {
	Format string `json:"format"` // "png" or "jpeg"
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Alt    string `json:"alt,omitempty"` // read aloud or shown when the image cannot be
}

// Article is a title and body read at the kiosk.
type Article struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// Payload returns the bytes an item's SHA256 and Size describe when they
// are carried inline: the UTF-8 body of a text, the compact JSON
// {"title":...,"body":...} of an article. Images have no inline payload.
func (it Item) Payload() ([]byte, bool) {
	switch {
	case it.Kind == KindText && it.Text != nil:
		return []byte(it.Text.Body), true
	case it.Kind == KindArticle && it.Article != nil:
		b, err := json.Marshal(struct {
			Title string `json:"title"`
			Body  string `json:"body"`
		}{it.Article.Title, it.Article.Body})
		return b, err == nil
	}
	return nil, false
}

// Digest returns the lowercase hex SHA-256 of b and its length.
func Digest(b []byte) (string, int64) {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), int64(len(b))
}

// NewText returns a text item with its digest filled in.
func NewText(id string, version int, t Text) Item {
	it := Item{ID: id, Kind: KindText, Version: version, Text: &t}
	it.SHA256, it.Size = Digest([]byte(t.Body))
	return it
}

// NewArticle returns an article item with its digest filled in.
func NewArticle(id string, version int, title, body string) Item {
	it := Item{ID: id, Kind: KindArticle, Version: version, Article: &Article{Title: title, Body: body}}
	p, _ := it.Payload()
	it.SHA256, it.Size = Digest(p)
	return it
}

// NewImage returns an image item for the PNG or JPEG file data.
func NewImage(id string, version int, format string, width, height int, data []byte) Item {
	it := Item{ID: id, Kind: KindImage, Version: version, Image: &Image{Format: format, Width: width, Height: height}}
	it.SHA256, it.Size = Digest(data)
	return it
}

// CheckPayload reports whether data are the item's bytes; a device calls it
// after a download and before playing.
func (it Item) CheckPayload(data []byte) error {
	sum, n := Digest(data)
	if n != it.Size || sum != it.SHA256 {
		return fmt.Errorf("content: item %s v%d: downloaded %d bytes with sha256 %s, want %d bytes with sha256 %s; delete the file and download it again: %w",
			it.ID, it.Version, n, sum, it.Size, it.SHA256, ErrTampered)
	}
	return nil
}

// playableAt reports whether the item may play at t.
func (it *Item) playableAt(t time.Time, trusted bool) bool {
	if !trusted {
		return it.ValidFrom.IsZero() && it.ValidUntil.IsZero()
	}
	return (it.ValidFrom.IsZero() || !t.Before(it.ValidFrom)) && (it.ValidUntil.IsZero() || t.Before(it.ValidUntil))
}

// Programme is an ordered list of items with how long each shows.
type Programme struct {
	ID      string  `json:"id"`
	Name    string  `json:"name,omitempty"`
	Entries []Entry `json:"entries"`
}

// Entry is one item of a programme and its airtime in seconds per turn.
type Entry struct {
	ItemID  string `json:"item_id"`
	Seconds int    `json:"seconds"`
}

// Priority bounds; the highest active priority wins.
const (
	MinPriority = 0
	MaxPriority = 1000
)

// Schedule says when and where a programme plays.
//
// A schedule is either Always (no dates, weekdays or windows: it plays
// whatever the clock says, even an untrusted one) or timed: it plays on the
// Weekdays of the inclusive civil date range [DateFrom, DateUntil] (a zero
// bound is open) during each Window, read on the wall clock of Zone. A timed
// schedule without windows plays the whole day. A window belongs to the day
// it starts on: 22:00-02:00 overnight on Monday plays Monday 22:00 to
// Tuesday 02:00, and Monday's weekday and date decide whether it plays.
type Schedule struct {
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	ProgrammeID string `json:"programme_id"`
	Priority    int    `json:"priority"`
	Target      Target `json:"target"`

	Always    bool     `json:"always,omitempty"`
	DateFrom  Date     `json:"date_from,omitzero"`
	DateUntil Date     `json:"date_until,omitzero"`
	Weekdays  Weekdays `json:"weekdays,omitzero"`
	Windows   []Window `json:"windows,omitempty"`
	// Zone is an IANA zone name; empty means DefaultZone (Asia/Shanghai).
	Zone string `json:"zone,omitempty"`
}

// Window is a daily half-open wall-clock interval [Start, End). End may be
// "24:00". A window that runs past midnight sets Overnight and has End
// before Start (22:00-02:00); requiring the flag catches a reversed window
// typed by mistake.
type Window struct {
	Start     ClockTime `json:"start"`
	End       ClockTime `json:"end"`
	Overnight bool      `json:"overnight,omitempty"`
}

// Target selects devices. Regions are paths in the region tree such as
// "仙游县/榜头镇/坝下村"; a region covers itself and everything below it
// (matched at '/' boundaries, never by string prefix).
//
// A device is selected when it is listed in Devices, or when it passes the
// filter: in any of Regions (if any), carrying any of Tags (if any), and of
// any of Kinds (if any). A filter with none of the three selects nothing.
// Exclusions win over everything, Devices included: a device in an excluded
// region, with an excluded tag, or listed in ExcludeDevices is never selected.
type Target struct {
	Regions        []string `json:"regions,omitempty"`
	Tags           []string `json:"tags,omitempty"`
	Kinds          []string `json:"kinds,omitempty"`
	Devices        []string `json:"devices,omitempty"`
	ExcludeRegions []string `json:"exclude_regions,omitempty"`
	ExcludeTags    []string `json:"exclude_tags,omitempty"`
	ExcludeDevices []string `json:"exclude_devices,omitempty"`
}

// Device describes one kiosk or board as targets see it.
type Device struct {
	ID     string   `json:"id"`
	Kind   string   `json:"kind"`
	Region string   `json:"region"`
	Tags   []string `json:"tags,omitempty"`
}

// Notice is an emergency notice. While active (Start <= now < Expiry and not
// Withdrawn) it outranks every schedule on every device in its regions.
// Expiry is required, so a board cut off from the fleet cannot show a
// notice for ever.
type Notice struct {
	ID        string    `json:"id"`
	Text      string    `json:"text"`
	Regions   []string  `json:"regions"`
	Start     time.Time `json:"start"`
	Expiry    time.Time `json:"expiry"`
	Withdrawn bool      `json:"withdrawn,omitempty"`
}

func (n *Notice) activeAt(t time.Time) bool {
	return !n.Withdrawn && !t.Before(n.Start) && t.Before(n.Expiry)
}

// Set is everything authored for a fleet: the library of items and
// programmes, the schedules, the notices and the fallback programme per
// device kind (played when no schedule is active).
type Set struct {
	Items      []Item      `json:"items"`
	Programmes []Programme `json:"programmes"`
	Schedules  []Schedule  `json:"schedules"`
	Notices    []Notice    `json:"notices,omitempty"`
	// Fallbacks maps a device kind ("kiosk", "led") to a programme ID.
	Fallbacks map[string]string `json:"fallbacks,omitempty"`
}
