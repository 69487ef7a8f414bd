package bx

import (
	"fmt"
	"strings"
)

// Colors is how many LED colours a board has.
type Colors uint8

const (
	Single Colors = 1 // one colour (red, or whatever the modules are)
	Dual   Colors = 2 // red and green, mixed into yellow
)

func (c Colors) String() string {
	switch c {
	case Single:
		return "single"
	case Dual:
		return "dual"
	}
	return fmt.Sprintf("colors(%d)", uint8(c))
}

// Model describes one controller type.
type Model struct {
	Name       string // lower-case name used in configuration, e.g. "bx-5k1"
	Label      string // as printed on the card, e.g. "BX-5K1"
	Family     Family
	Generation int    // 5 or 6: decides area units (font card) and plane packing (picture)
	DeviceType uint16 // code the controller reports and accepts in the header
	Colors     Colors // the most colours the controller drives

	// MaxW x MaxH is the largest single-colour board the controller drives;
	// a dual-colour board may be half as wide. These are the vendor's
	// catalogue figures, not protocol facts (see PROTOCOL_NOTES.md).
	MaxW, MaxH int

	// PixelUnits: a font-card area's X and width may be given in dots by
	// setting bit 15 (BX-6K). Without it (BX-5K) they are counted in bytes
	// of 8 dots, so areas must start and end on multiples of 8.
	PixelUnits bool
}

// MaxWidth is the widest board the model drives with c colours.
func (m *Model) MaxWidth(c Colors) int {
	if c == Dual {
		return m.MaxW / 2
	}
	return m.MaxW
}

var models = []Model{
	{Name: "bx-5k1", Label: "BX-5K1", Family: FontCard, Generation: 5, DeviceType: 0x51, Colors: Dual, MaxW: 1024, MaxH: 32},
	{Name: "bx-5k2", Label: "BX-5K2", Family: FontCard, Generation: 5, DeviceType: 0x58, Colors: Dual, MaxW: 2048, MaxH: 64},
	{Name: "bx-6k1", Label: "BX-6K1", Family: FontCard, Generation: 6, DeviceType: 0x61, Colors: Dual, MaxW: 1024, MaxH: 64, PixelUnits: true},
	{Name: "bx-6k2", Label: "BX-6K2", Family: FontCard, Generation: 6, DeviceType: 0x62, Colors: Dual, MaxW: 2048, MaxH: 128, PixelUnits: true},
	{Name: "bx-6k3", Label: "BX-6K3", Family: FontCard, Generation: 6, DeviceType: 0x63, Colors: Dual, MaxW: 2048, MaxH: 256, PixelUnits: true},
	{Name: "bx-5e1", Label: "BX-5E1", Family: Picture, Generation: 5, DeviceType: 0x0154, Colors: Dual, MaxW: 1024, MaxH: 64},
	{Name: "bx-5e2", Label: "BX-5E2", Family: Picture, Generation: 5, DeviceType: 0x0254, Colors: Dual, MaxW: 2048, MaxH: 128},
	{Name: "bx-5e3", Label: "BX-5E3", Family: Picture, Generation: 5, DeviceType: 0x0354, Colors: Dual, MaxW: 2048, MaxH: 256},
	{Name: "bx-6e1", Label: "BX-6E1", Family: Picture, Generation: 6, DeviceType: 0x0174, Colors: Dual, MaxW: 1024, MaxH: 128},
	{Name: "bx-6e2", Label: "BX-6E2", Family: Picture, Generation: 6, DeviceType: 0x0274, Colors: Dual, MaxW: 2048, MaxH: 256},
	{Name: "bx-6e3", Label: "BX-6E3", Family: Picture, Generation: 6, DeviceType: 0x0374, Colors: Dual, MaxW: 4096, MaxH: 256},
}

// Models lists every known model.
func Models() []Model {
	out := make([]Model, len(models))
	copy(out, models)
	return out
}

// LookupModel finds a model by name, ignoring case and the dash: "bx-5k1",
// "BX-5K1" and "bx5k1" are the same.
func LookupModel(name string) (*Model, error) {
	key := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), "-", "")
	for i := range models {
		if strings.ReplaceAll(models[i].Name, "-", "") == key {
			m := models[i]
			return &m, nil
		}
	}
	names := make([]string, len(models))
	for i := range models {
		names[i] = models[i].Name
	}
	return nil, fmt.Errorf("%w: unknown controller model %q; use one of %s (未知的控制卡型号 %q)",
		ErrInvalid, name, strings.Join(names, ", "), name)
}

// ModelByDeviceType finds the model whose header code is t within family f.
func ModelByDeviceType(f Family, t uint16) (*Model, bool) {
	for i := range models {
		if models[i].Family == f && models[i].DeviceType == t {
			m := models[i]
			return &m, true
		}
	}
	return nil, false
}
