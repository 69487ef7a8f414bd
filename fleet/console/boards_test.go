package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"lawpoint/fleet"
)

// A board registered on the device page is what the library previews,
// whatever its free-text model says; bad sizes are refused beside the
// field; only those who may act on the device can change it, and every
// change is in the audit log with before and after.
func TestRegisterBoardChangesPreviews(t *testing.T) {
	f := newFixture(t, nil)
	f.device("led-baxia", fleet.KindLED, "仙游县/榜头镇/坝下村", "Raspberry Pi 4 + BX-5E2 128x32")
	f.device("led-duwei", fleet.KindLED, "仙游县/度尾镇/云居村", "")
	f.device("kiosk-baxia", fleet.KindKiosk, "仙游县/榜头镇/坝下村", "")
	b := f.browser()
	tok := b.signIn("admin")

	dp := b.get("/devices/led-baxia")
	mustContain(t, dp, `<dd id="board">未登记（预览按型号文字推测）</dd>`, `name="board_controller"`,
		`<option value="bx-5e2" selected>BX-5E2（图片控制卡）</option>`, `id="board_width" name="board_width" inputmode="numeric" size="5" value="128"`)
	if kp := b.get("/devices/kiosk-baxia"); strings.Contains(kp.body, "board_controller") {
		t.Fatal("a kiosk's page offers the LED board form")
	}

	// Too wide for the card: the message beside the size, nothing stored.
	bad := b.post("/devices/led-baxia/board", url.Values{"csrf": {tok}, "board_controller": {"bx-5k1"}, "board_width": {"4096"},
		"board_height": {"16"}, "board_colors": {"dual"}, "action": {"save"}})
	if bad.status != http.StatusBadRequest {
		t.Fatalf("oversized board: status %d", bad.status)
	}
	mustContain(t, bad, `<p class="field-error">屏幕尺寸须在 1×1 到 512×32 点之间（BX-5K1，双色）</p>`, `value="4096"`)
	if d, _ := f.reg.Device(t.Context(), "led-baxia"); !d.Board.IsZero() {
		t.Fatalf("a refused board was stored: %+v", d.Board)
	}
	if p := b.post("/devices/led-baxia/board", url.Values{"csrf": {tok}, "board_controller": {"bx-5k1"}, "board_width": {"六十四"},
		"board_height": {"16"}}); p.status != http.StatusBadRequest {
		t.Fatalf("a width in words: status %d", p.status)
	} else {
		mustContain(t, p, "屏幕宽度和高度须为正整数")
	}

	ok := b.post("/devices/led-baxia/board", url.Values{"csrf": {tok}, "board_controller": {"bx-5k1"}, "board_width": {"64"},
		"board_height": {"16"}, "board_colors": {"single"}, "action": {"save"}})
	if ok.status != http.StatusSeeOther {
		t.Fatalf("register board: status %d\n%s", ok.status, ok.body)
	}
	d, err := f.reg.Device(t.Context(), "led-baxia")
	if err != nil || d.Board != (fleet.Board{Controller: "bx-5k1", Width: 64, Height: 16, Colors: "single"}) {
		t.Fatalf("stored board %+v %v", d.Board, err)
	}
	mustContain(t, b.get("/devices/led-baxia"), `<dd id="board">BX-5K1（字库卡）64×16 单色</dd>`)

	// The library previews the registered board, not the model text.
	jq := url.Values{"body": {"宪法"}, "colour": {"red"}, "effect": {"static"}, "target": {"仙游县/榜头镇"}}
	var out struct {
		Previews []preview `json:"previews"`
	}
	jp := b.get("/library/preview.json?" + jq.Encode())
	if err := json.Unmarshal([]byte(jp.body), &out); err != nil || len(out.Previews) != 1 {
		t.Fatalf("preview.json: %v %s", err, jp.body)
	}
	if pv := out.Previews[0]; pv.Board != "bx-5k1/64x16/single" || strings.Contains(pv.Label, "未登记") || len(pv.Pages) == 0 {
		t.Fatalf("preview of the registered board: %+v", pv)
	}

	rows := f.audit(fleet.AuditFilter{Action: fleet.AuditDevice})
	if len(rows) != 1 || rows[0].Actor != "admin" || rows[0].Target != "led-baxia" || rows[0].Before != "" ||
		rows[0].After != "bx-5k1/64x16/single" || !strings.Contains(rows[0].Summary, "BX-5K1") {
		t.Fatalf("audit rows: %+v", rows)
	}

	// Clearing goes back to the model text.
	if p := b.post("/devices/led-baxia/board", url.Values{"csrf": {tok}, "action": {"clear"}}); p.status != http.StatusSeeOther {
		t.Fatalf("clear: %d", p.status)
	}
	if d, _ := f.reg.Device(t.Context(), "led-baxia"); !d.Board.IsZero() {
		t.Fatalf("board not cleared: %+v", d.Board)
	}

	// A township operator may register boards in their township only; a
	// viewer nowhere. Both refusals are audited and change nothing.
	ob := f.browser()
	otok := ob.signIn("bangtou")
	if p := ob.post("/devices/led-baxia/board", url.Values{"csrf": {otok}, "board_controller": {"bx-5e1"}, "board_width": {"64"},
		"board_height": {"32"}}); p.status != http.StatusSeeOther {
		t.Fatalf("operator in own township: %d\n%s", p.status, p.body)
	}
	if p := ob.post("/devices/led-duwei/board", url.Values{"csrf": {otok}, "board_controller": {"bx-5e1"}, "board_width": {"64"},
		"board_height": {"32"}}); p.status != http.StatusForbidden {
		t.Fatalf("operator on another township's board: %d", p.status)
	}
	vb := f.browser()
	vtok := vb.signIn("viewer")
	if p := vb.post("/devices/led-duwei/board", url.Values{"csrf": {vtok}, "board_controller": {"bx-5e1"}, "board_width": {"64"},
		"board_height": {"32"}}); p.status != http.StatusForbidden {
		t.Fatalf("viewer: %d", p.status)
	}
	if d, _ := f.reg.Device(t.Context(), "led-duwei"); !d.Board.IsZero() {
		t.Fatalf("a refused change was stored: %+v", d.Board)
	}
	denied := f.audit(fleet.AuditFilter{Action: fleet.AuditDenied, Outcome: fleet.OutcomeDenied})
	if len(denied) != 2 {
		t.Fatalf("denied rows: %+v", denied)
	}
}
