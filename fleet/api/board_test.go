package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"lawpoint/fleet"
	"lawpoint/fleet/api"
)

// An LED board's controller, size and colours are registered at creation
// or later through PUT /api/devices/{id}/board, checked by the driver's
// rules, and shown with the device; a kiosk has none.
func TestDeviceBoard(t *testing.T) {
	c := newCounty(t)
	var cr api.CreateDeviceResponse
	c.must("", "POST", "/api/devices", api.CreateDeviceRequest{ID: "led-1", Kind: "led", Region: "仙游县/榜头镇/坝下村",
		Board: &fleet.Board{Controller: "BX-5E2", Width: 128, Height: 32}}, &cr)
	if cr.Device.Board == nil || *cr.Device.Board != (fleet.Board{Controller: "bx-5e2", Width: 128, Height: 32, Colors: "dual"}) {
		t.Fatalf("created board: %+v", cr.Device.Board)
	}
	var v api.DeviceView
	c.must("", "PUT", "/api/devices/led-1/board", fleet.Board{Controller: "bx-5k1", Width: 64, Height: 16, Colors: "single"}, &v)
	if v.Board == nil || v.Board.String() != "bx-5k1/64x16/single" {
		t.Fatalf("changed board: %+v", v.Board)
	}
	for _, bad := range []struct {
		board fleet.Board
		field string
	}{
		{fleet.Board{Controller: "bx-9z9", Width: 64, Height: 16}, "board.controller"},
		{fleet.Board{Controller: "bx-5k1", Width: 64, Height: 64}, "board.size"},
		{fleet.Board{Controller: "bx-5k1", Width: 64, Height: 16, Colors: "rgb"}, "board.colors"},
	} {
		code, raw := c.do("", "PUT", "/api/devices/led-1/board", bad.board, nil)
		var e api.ErrorBody
		_ = json.Unmarshal(raw, &e)
		if code != http.StatusBadRequest || e.Field != bad.field || e.Message == "" {
			t.Errorf("%+v: %d %s; want 400 on %s with a Chinese message", bad.board, code, raw, bad.field)
		}
	}
	var d api.DeviceDetail
	c.must("", "GET", "/api/devices/led-1", nil, &d)
	if d.Board == nil || d.Board.String() != "bx-5k1/64x16/single" {
		t.Fatalf("a refused change altered the board: %+v", d.Board)
	}
	var cleared api.DeviceView
	c.must("", "PUT", "/api/devices/led-1/board", fleet.Board{}, &cleared)
	if cleared.Board != nil {
		t.Fatalf("cleared board still shown: %+v", cleared.Board)
	}
	c.kiosk("kiosk-1", "仙游县/榜头镇/坝下村", "坝下村法律服务联系点")
	if code, raw := c.do("", "PUT", "/api/devices/kiosk-1/board", fleet.Board{Controller: "bx-5k1", Width: 64, Height: 16}, nil); code != http.StatusBadRequest ||
		!strings.Contains(string(raw), "只有LED屏") {
		t.Fatalf("a kiosk's board: %d %s", code, raw)
	}
	if code, _ := c.do("", "PUT", "/api/devices/led-404/board", fleet.Board{Controller: "bx-5k1", Width: 64, Height: 16}, nil); code != http.StatusNotFound {
		t.Fatalf("unknown device: %d", code)
	}
}
