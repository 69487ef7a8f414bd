package fleet

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"lawpoint/device/wire"
)

// Kind is what a device is.
type Kind string

// Device kinds.
const (
	KindKiosk Kind = "kiosk" // touch kiosk at a village contact point
	KindLED   Kind = "led"   // street LED board with its controller Pi
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == KindKiosk || k == KindLED }

// Label is the kind's Chinese name for staff (an unknown kind as it is).
func (k Kind) Label() string {
	switch k {
	case KindKiosk:
		return "自助一体机"
	case KindLED:
		return "LED屏"
	}
	return string(k)
}

// Device is one kiosk or LED board as staff registered it.
type Device struct {
	ID           string    // stable device ID, also its MQTT username; see ValidateDeviceID
	Kind         Kind      // kiosk or led
	Model        string    // hardware model, e.g. "Raspberry Pi 4 + BX-5K1"
	Region       string    // region path, county/township/village, e.g. 仙游县/榜头镇/坝下村
	Tags         []string  // free tags for targeting, sorted, unique
	ContactPoint string    // the contact point (联系点) it belongs to
	Board        Board     // LED boards: controller, size, colours; zero if not registered
	Created      time.Time // when the record was created
	Revoked      time.Time // when it was revoked; zero while active
}

// IsRevoked reports whether the device has been revoked.
func (d Device) IsRevoked() bool { return !d.Revoked.IsZero() }

// Limits on registry fields.
const (
	MaxRegionLen = 256
	MaxTagLen    = 32
	MaxTags      = 32
	MaxTextLen   = 200 // model and contact point
)

// ValidateDeviceID checks that id is usable as a device ID, MQTT client ID,
// username and topic level, by the rule of the wire contract
// (wire.ValidateDeviceID): 3 to 64 lower-case ASCII letters, digits and '-',
// not starting with '-'.
func ValidateDeviceID(id string) error {
	if err := wire.ValidateDeviceID(id); err != nil {
		return &Error{Code: ErrInvalid.Code, Msg: "invalid input: " + err.Error(),
			Zh: fmt.Sprintf("设备编号须为%d到%d个小写英文字母、数字或连字符“-”（不能以连字符开头）", wire.DeviceIDMinLen, wire.DeviceIDMaxLen)}
	}
	return nil
}

// NormalizeRegion trims every segment of a region path and checks it:
// one to six non-empty segments separated by '/', e.g. 仙游县/榜头镇/坝下村.
func NormalizeRegion(region string) (string, error) {
	if region == "" {
		return "", invalid("region is empty: give a path like 仙游县/榜头镇/坝下村",
			"请填写所属区域，例如：仙游县/榜头镇/坝下村")
	}
	parts := strings.Split(region, "/")
	if len(parts) > 6 {
		return "", invalid(fmt.Sprintf("region %q has more than 6 levels", region), "所属区域层级过多（最多6级）")
	}
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			return "", invalid(fmt.Sprintf("region %q has an empty level: remove the extra '/'", region),
				"所属区域中有空的层级，请删除多余的“/”")
		}
		if !printable(p) {
			return "", invalid(fmt.Sprintf("region %q holds control characters", region), "所属区域含有非法字符")
		}
		parts[i] = p
	}
	out := strings.Join(parts, "/")
	if len(out) > MaxRegionLen {
		return "", invalid("region is too long", "所属区域名称过长")
	}
	return out, nil
}

// NormalizeTags trims, de-duplicates and sorts tags, and checks each.
func NormalizeTags(tags []string) ([]string, error) {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if utf8.RuneCountInString(t) > MaxTagLen || !printable(t) || strings.ContainsAny(t, ",/") {
			return nil, invalid(fmt.Sprintf("tag %q must be at most %d characters without ',' or '/'", t, MaxTagLen),
				fmt.Sprintf("标签“%s”无效：最多%d个字，不能含“,”或“/”", t, MaxTagLen))
		}
		out = append(out, t)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > MaxTags {
		return nil, invalid(fmt.Sprintf("a device may have at most %d tags", MaxTags),
			fmt.Sprintf("每台设备最多%d个标签", MaxTags))
	}
	return out, nil
}

// RegionWithin reports whether region lies in or under prefix, comparing
// whole segments: 仙游县/榜头 does not cover 仙游县/榜头镇.
func RegionWithin(region, prefix string) bool {
	if prefix == "" {
		return true
	}
	return region == prefix || strings.HasPrefix(region, prefix+"/")
}

func printable(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// normalize checks and normalizes a device record staff are about to create.
func (d *Device) normalize() error {
	if err := ValidateDeviceID(d.ID); err != nil {
		return err
	}
	if !d.Kind.Valid() {
		return invalid(fmt.Sprintf("kind %q is unknown: use kiosk or led", d.Kind), "设备类型须为 kiosk（触摸一体机）或 led（LED屏）")
	}
	var err error
	if d.Region, err = NormalizeRegion(d.Region); err != nil {
		return err
	}
	if d.Tags, err = NormalizeTags(d.Tags); err != nil {
		return err
	}
	d.Model = strings.TrimSpace(d.Model)
	d.ContactPoint = strings.TrimSpace(d.ContactPoint)
	if utf8.RuneCountInString(d.Model) > MaxTextLen || utf8.RuneCountInString(d.ContactPoint) > MaxTextLen ||
		!printable(d.Model) || !printable(d.ContactPoint) {
		return invalid("model or contact point is too long or holds control characters", "设备型号或联系点名称过长或含非法字符")
	}
	return d.normalizeBoard()
}

// normalizeBoard checks the board facts: LED boards only.
func (d *Device) normalizeBoard() error {
	if d.Board.IsZero() {
		return nil
	}
	if d.Kind != KindLED {
		return invalidField("board", "only LED boards have a controller and size", "只有LED屏登记控制卡型号和屏幕尺寸")
	}
	return d.Board.Normalize()
}
