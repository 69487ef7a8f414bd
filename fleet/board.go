package fleet

import (
	"fmt"
	"strconv"
	"strings"

	"lawpoint/display/bx"
)

// Board is an LED board's controller card, size and colours as staff
// registered them. The console previews every message for the boards in
// its target by these; the agent on the board's Pi is configured with the
// same three facts (lawpoint-led run --model --size).
type Board struct {
	// Controller is the Onbon card's name as bx.LookupModel knows it:
	// bx-5k1 … bx-6e3.
	Controller string `json:"controller"`
	Width      int    `json:"width"`  // dots
	Height     int    `json:"height"` // dots
	// Colors is "single" or "dual"; empty means the controller's own
	// (every known card drives dual-colour boards).
	Colors string `json:"colors,omitempty"`
}

// IsZero reports whether no board is registered.
func (b Board) IsZero() bool { return b == Board{} }

// String is the form ParseBoard reads: "bx-5e2/128x32/dual".
func (b Board) String() string {
	if b.IsZero() {
		return ""
	}
	return fmt.Sprintf("%s/%dx%d/%s", b.Controller, b.Width, b.Height, b.Colors)
}

// Spec returns the controller model and colours for the display packages.
// Call it on a normalized board.
func (b Board) Spec() (*bx.Model, bx.Colors, error) {
	m, err := bx.LookupModel(b.Controller)
	if err != nil {
		return nil, 0, err
	}
	c := m.Colors
	if b.Colors == "single" {
		c = bx.Single
	}
	return m, c, nil
}

// ParseBoard reads a board written as "bx-5e2/128x32/dual" or with spaces
// ("BX-5K1 64x16 单色"); the colours may be left out. The result is
// normalized.
func ParseBoard(s string) (Board, error) {
	f := strings.FieldsFunc(strings.TrimSpace(s), func(r rune) bool { return r == '/' || r == ' ' || r == '\t' })
	if len(f) < 2 || len(f) > 3 {
		return Board{}, invalidField("board", fmt.Sprintf("%q: write controller/WIDTHxHEIGHT[/single|dual], e.g. bx-5e2/128x32/dual", s),
			"屏幕参数格式为：控制卡型号/宽x高[/单色或双色]，例如 bx-5e2/128x32/dual")
	}
	b := Board{Controller: f[0]}
	ws, hs, ok := strings.Cut(strings.ToLower(strings.ReplaceAll(f[1], "×", "x")), "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if !ok || err1 != nil || err2 != nil {
		return Board{}, invalidField("board.size", fmt.Sprintf("size %q: write WIDTHxHEIGHT in dots, e.g. 128x32", f[1]),
			"屏幕尺寸格式为 宽x高（单位：点），例如 128x32")
	}
	b.Width, b.Height = w, h
	if len(f) == 3 {
		b.Colors = f[2]
	}
	if err := b.Normalize(); err != nil {
		return Board{}, err
	}
	return b, nil
}

// Normalize checks the board by the rules the LED driver applies
// (bx.NewEncoder: a known controller, a size it drives, colours it has) and
// writes the controller's canonical name and the colours out in full. A
// zero board stays zero.
func (b *Board) Normalize() error {
	if b.IsZero() {
		return nil
	}
	m, err := bx.LookupModel(b.Controller)
	if err != nil {
		names := make([]string, 0, 11)
		for _, m := range bx.Models() {
			names = append(names, m.Name)
		}
		return invalidField("board.controller", fmt.Sprintf("controller %q is unknown: use one of %s", b.Controller, strings.Join(names, ", ")),
			"控制卡型号不认识，请从 "+strings.Join(names, "、")+" 中选择")
	}
	b.Controller = m.Name
	switch strings.ToLower(strings.TrimSpace(b.Colors)) {
	case "":
		b.Colors = m.Colors.String()
	case "single", "mono", "单色":
		b.Colors = bx.Single.String()
	case "dual", "双色":
		b.Colors = bx.Dual.String()
	default:
		return invalidField("board.colors", fmt.Sprintf("colours %q: use single or dual", b.Colors), "屏幕颜色须为单色或双色")
	}
	_, c, _ := b.Spec()
	if _, err := bx.NewEncoder(m, b.Width, b.Height, c); err != nil {
		return invalidField("board.size", err.Error(),
			fmt.Sprintf("屏幕尺寸须在 1×1 到 %d×%d 点之间（%s，%s）", m.MaxWidth(c), m.MaxH, m.Label, colorsZh(c)))
	}
	return nil
}

func colorsZh(c bx.Colors) string {
	if c == bx.Single {
		return "单色"
	}
	return "双色"
}
