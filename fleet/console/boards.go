package console

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"lawpoint/display/bx"
	"lawpoint/fleet"
)

// boardSpec is the LED controller model, size and colours of a board, as
// far as the registry says.
//
// A device registered with its board (fleet.Device.Board: lawpointctl
// device enroll --board, or the device page) is previewed exactly so. For
// a device without one, the console reads what it can from the free-text
// model ("Raspberry Pi 4 + BX-5E2 128x32 双色"): the controller (bx-5k1 …
// bx-6e3), the size (WxH) and "单色"/"single". A model without a size gets
// the default size of its controller (defaultSizes); text without a known
// controller is previewed as a BX-5E2 128x32, the board `make run` and the
// demo use. The preview says when it guessed.
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
		s += "（设备未登记屏幕参数，按默认型号预览）"
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

// boardOf is the board of a device: the registered one, or else what its
// model text says (boardOfText).
func boardOf(d fleet.Device) boardSpec {
	if !d.Board.IsZero() {
		if m, c, err := d.Board.Spec(); err == nil {
			return boardSpec{Model: m, W: d.Board.Width, H: d.Board.Height, Colors: c}
		}
	}
	return boardOfText(d.Model)
}

// boardOfText reads a board from a device's free-text model.
func boardOfText(model string) boardSpec {
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
		s := boardOf(d)
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
		s := boardOfText("")
		out = append(out, &variant{Spec: s})
	}
	return out
}

// boardForm describes a device's registered board for its page and fills
// the board form: the values the staff member just sent (form, after an
// error), or else the registered board, or else what the model text
// suggests.
func boardForm(d fleet.Device, form map[string]string) (label string, models []option, values map[string]string) {
	for _, m := range bx.Models() {
		fam := "图片控制卡"
		if m.Family == bx.FontCard {
			fam = "字库卡"
		}
		models = append(models, option{m.Name, m.Label + "（" + fam + "）"})
	}
	spec := boardOf(d)
	if !d.Board.IsZero() {
		label = spec.Label()
	}
	values = map[string]string{"board_controller": spec.Model.Name, "board_width": strconv.Itoa(spec.W),
		"board_height": strconv.Itoa(spec.H), "board_colors": spec.Colors.String()}
	if _, sent := form["board_controller"]; sent {
		values = form
	}
	return label, models, values
}

// setBoard registers, changes or clears the LED board of a device
// (POST /devices/{id}/board): what the library previews messages for.
func (c *Console) setBoard(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	row, ok := c.deviceToChange(w, r, rc, "只读账号不能修改设备登记信息。")
	if !ok {
		return
	}
	if row.Kind != fleet.KindLED {
		c.errorPage(w, r, rc, http.StatusBadRequest, "不是LED屏", "只有LED屏登记控制卡型号和屏幕尺寸。")
		return
	}
	form := map[string]string{"board_controller": trimmed(r, "board_controller"), "board_width": trimmed(r, "board_width"),
		"board_height": trimmed(r, "board_height"), "board_colors": trimmed(r, "board_colors")}
	fail := func(field, msg string) {
		c.showDevice(w, r, rc, row, http.StatusBadRequest, map[string]string{field: msg}, form)
	}
	var b fleet.Board
	if r.PostFormValue("action") != "clear" {
		if form["board_controller"] == "" {
			fail("board_controller", "请选择控制卡型号")
			return
		}
		w8, err1 := strconv.Atoi(form["board_width"])
		h8, err2 := strconv.Atoi(form["board_height"])
		if err1 != nil || err2 != nil || w8 <= 0 || h8 <= 0 {
			fail("board_size", "屏幕宽度和高度须为正整数（单位：点），例如 128 和 32")
			return
		}
		b = fleet.Board{Controller: form["board_controller"], Width: w8, Height: h8, Colors: form["board_colors"]}
	}
	before := row.Board
	d, err := c.cfg.Registry.SetBoard(r.Context(), row.ID, b)
	var fe *fleet.FieldError
	if errors.As(err, &fe) {
		field := map[string]string{"board.controller": "board_controller", "board.colors": "board_colors"}[fe.Field]
		if field == "" {
			field = "board_size"
		}
		fail(field, fe.Err.Zh)
		return
	}
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	summary := "登记LED屏参数：" + boardOf(d).Label()
	if d.Board.IsZero() {
		summary = "清除LED屏参数登记"
	}
	c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditDevice, Target: row.ID, Region: row.Region, Outcome: fleet.OutcomeOK,
		Summary: summary, Before: before.String(), After: d.Board.String()})
	http.Redirect(w, r, "/devices/"+row.ID, http.StatusSeeOther)
}
