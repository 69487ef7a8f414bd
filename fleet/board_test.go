package fleet_test

import (
	"errors"
	"testing"

	"lawpoint/fleet"
)

func TestParseBoard(t *testing.T) {
	for _, c := range []struct {
		in    string
		want  fleet.Board
		field string // the FieldError's field when refused
	}{
		{in: "bx-5e2/128x32/dual", want: fleet.Board{Controller: "bx-5e2", Width: 128, Height: 32, Colors: "dual"}},
		{in: "BX-5K1 64×16 单色", want: fleet.Board{Controller: "bx-5k1", Width: 64, Height: 16, Colors: "single"}},
		{in: "bx6e3/512x64", want: fleet.Board{Controller: "bx-6e3", Width: 512, Height: 64, Colors: "dual"}},
		{in: "bx-9z9/64x16", field: "board.controller"},
		{in: "bx-5k1/4096x16", field: "board.size"},     // wider than the card drives
		{in: "bx-5k1/64x64", field: "board.size"},       // taller than the card drives
		{in: "bx-5k1/64x16/rgb", field: "board.colors"}, // no full-colour cards
		{in: "bx-5k1/sixty", field: "board.size"},
		{in: "bx-5k1", field: "board"},
	} {
		got, err := fleet.ParseBoard(c.in)
		if c.field == "" {
			if err != nil || got != c.want {
				t.Errorf("ParseBoard(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
			}
			if again, err := fleet.ParseBoard(got.String()); err != nil || again != got {
				t.Errorf("ParseBoard(%q.String()) = %+v, %v", c.in, again, err)
			}
			continue
		}
		var fe *fleet.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || fe.Err.Zh == "" {
			t.Errorf("ParseBoard(%q): %v; want a FieldError on %s with a Chinese message", c.in, err, c.field)
		}
	}
}

// The board is stored with the device, can be changed and cleared, and
// only LED boards have one.
func TestRegistryBoard(t *testing.T) {
	reg, _ := newRegistry(t)
	ctx := t.Context()
	b := fleet.Board{Controller: "BX-6K1", Width: 96, Height: 32}
	d, err := reg.CreateDevice(ctx, fleet.Device{ID: "led-1", Kind: fleet.KindLED, Region: "仙游县/榜头镇", Board: b})
	if err != nil {
		t.Fatal(err)
	}
	want := fleet.Board{Controller: "bx-6k1", Width: 96, Height: 32, Colors: "dual"}
	if got, _ := reg.Device(ctx, "led-1"); got.Board != want || d.Board != want {
		t.Fatalf("stored %+v, returned %+v; want %+v", got.Board, d.Board, want)
	}
	if _, err := reg.CreateDevice(ctx, fleet.Device{ID: "kiosk-1", Kind: fleet.KindKiosk, Region: "仙游县/榜头镇", Board: b}); err == nil {
		t.Fatal("a kiosk was registered with an LED board")
	}
	if _, err := reg.SetBoard(ctx, "led-1", fleet.Board{Controller: "bx-5k1", Width: 2048, Height: 16}); err == nil {
		t.Fatal("an oversized board was accepted")
	}
	if got, _ := reg.Device(ctx, "led-1"); got.Board != want {
		t.Fatalf("a refused change altered the board: %+v", got.Board)
	}
	if _, err := reg.SetBoard(ctx, "led-1", fleet.Board{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := reg.Device(ctx, "led-1"); !got.Board.IsZero() {
		t.Fatalf("cleared board still there: %+v", got.Board)
	}
	if _, err := reg.SetBoard(ctx, "led-404", want); !errors.Is(err, fleet.ErrNotFound) {
		t.Fatalf("unknown device: %v", err)
	}
}
