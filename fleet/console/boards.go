package console

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"lawpoint/display/bx"
	"lawpoint/fleet"
)

// boardSpec is the LED controller model, size and colours of a board, as
// far as the registry says.
//
// The registry keeps one free-text model per device ("Raspberry Pi 4 +
// BX-5E2 128x32 双色"); the console reads the controller (bx-5k1 … bx-6e3)
// and, when written, the size (WxH) and "单色"/"single" from it. A model
// without a size gets the default size of its controller (defaultSizes);
// text without a known controller is previewed as a BX-5E2 128x32, the
// board `make run` and the demo use. The preview says when it guessed.
type boardSpec struct {
	Model        *bx.Model
	W, H         int
	Colors       bx.Colors
	GuessedModel bool
	GuessedSize  bool
}

// Key identifies the spec in a form and URL: "bx-5e2/128x32/dual".
func (b boardSpec) Key() string {
	return fmt.Sprintf("%s/%dx%d/%s", b.Model.Name, b.W, b.H, b.Colors)
}

// Label describes the board for staff.
func (b boardSpec) Label() string {
	fam := "图片控制卡"
	if b.Model.Family == bx.FontCard {
		fam = "字库卡"
	}
	col := "双色"
	if b.Colors == bx.Single {
		col = "单色"
	}
	s := fmt.Sprintf("%s（%s）%d×%d %s", b.Model.Label, fam, b.W, b.H, col)
	switch {
	case b.GuessedModel:
		s += "（设备未登记控制卡型号，按默认型号预览）"
	case b.GuessedSize:
		s += "（设备未登记屏幕尺寸，按该型号默认尺寸预览）"
	}
	return s
}

// defaultSizes is the size assumed per controller when the registry gives
// none: common county street boards for each card's class.
var defaultSizes = map[string][2]int{
	"bx-5k1": {64, 16}, "bx-5k2": {128, 32}, "bx-6k1": {96, 32}, "bx-6k2": {128, 64}, "bx-6k3": {256, 64},
	"bx-5e1": {64, 32}, "bx-5e2": {128, 32}, "bx-5e3": {256, 64}, "bx-6e1": {128, 32}, "bx-6e2": {128, 64}, "bx-6e3": {256, 64},
}

// defaultModel is assumed for an LED device whose model names no controller.
const defaultModel = "bx-5e2"

var (
	modelRE = regexp.MustCompile(`(?i)bx-?([56][ke][123])`)
	sizeRE  = regexp.MustCompile(`(\d{2,4})\s*[xX×*]\s*(\d{1,3})`)
)

// boardOf reads a device's board from its registry model text.
func boardOf(model string) boardSpec {
	var spec boardSpec
	if m := modelRE.FindStringSubmatch(model); m != nil {
		spec.Model, _ = bx.LookupModel("bx-" + strings.ToLower(m[1]))
	}
	if spec.Model == nil {
		spec.Model, _ = bx.LookupModel(defaultModel)
		spec.GuessedModel = true
	}
	spec.Colors = spec.Model.Colors
	lower := strings.ToLower(model)
	if strings.Contains(model, "单色") || strings.Contains(lower, "single") || strings.Contains(lower, "mono") {
		spec.Colors = bx.Single
	}
	if m := sizeRE.FindStringSubmatch(model); m != nil {
		spec.W, _ = strconv.Atoi(m[1])
		spec.H, _ = strconv.Atoi(m[2])
	}
	if spec.W == 0 || spec.H == 0 {
		sz := defaultSizes[spec.Model.Name]
		spec.W, spec.H = sz[0], sz[1]
		spec.GuessedSize = !spec.GuessedModel
	}
	return spec
}

// parseSpec reads a Key back (preview image URLs).
func parseSpec(key string) (boardSpec, error) {
	parts := strings.Split(key, "/")
	if len(parts) != 3 {
		return boardSpec{}, fmt.Errorf("board %q: want model/WxH/colours", key)
	}
	m, err := bx.LookupModel(parts[0])
	if err != nil {
		return boardSpec{}, err
	}
	var w, h int
	if _, err := fmt.Sscanf(parts[1], "%dx%d", &w, &h); err != nil || w < 8 || h < 8 || w > 4096 || h > 256 {
		return boardSpec{}, fmt.Errorf("board %q: bad size", key)
	}
	spec := boardSpec{Model: m, W: w, H: h, Colors: bx.Dual}
	if parts[2] == "single" {
		spec.Colors = bx.Single
	}
	return spec, nil
}

// variant is one board spec among the targeted devices.
type variant struct {
	Spec    boardSpec
	Devices []string // up to 5 device IDs
	Count   int
}

// variantsOf groups the LED devices among rows by board spec, in order of
// first appearance; none gives the default board.
func variantsOf(devs []fleet.Device) []*variant {
	var out []*variant
	by := map[string]*variant{}
	for _, d := range devs {
		if d.Kind != fleet.KindLED {
			continue
		}
		s := boardOf(d.Model)
		v := by[s.Key()]
		if v == nil {
			v = &variant{Spec: s}
			by[s.Key()] = v
			out = append(out, v)
		}
		v.Count++
		if len(v.Devices) < 5 {
			v.Devices = append(v.Devices, d.ID)
		}
	}
	if len(out) == 0 {
		s := boardOf("")
		out = append(out, &variant{Spec: s})
	}
	return out
}
