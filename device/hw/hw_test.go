package hw

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// On a machine that is not a Pi the agent starts anyway, says so once, and
// the pins it was told about exist as virtual pins that keep their level.
func TestOpenWithoutPi(t *testing.T) {
	noHardwareOnce = sync.Once{} // once per process; this test may run again (-count)
	model := filepath.Join(t.TempDir(), "model")
	os.WriteFile(model, []byte("QEMU Virtual Machine\x00"), 0o644)
	var log bytes.Buffer
	cfg := Config{Pins: map[string]string{LEDDriverEnable: "GPIO17", PowerRelay: "GPIO27"}, ModelFile: model,
		Log: slog.New(slog.NewTextHandler(&log, nil))}
	h, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if h.OnPi() {
		t.Fatal("a QEMU machine was taken for a Pi")
	}
	if n := strings.Count(log.String(), "not a Raspberry Pi"); n != 1 {
		t.Fatalf("logged the missing hardware %d times; want once:\n%s", n, log.String())
	}
	relay, ok := h.Pin(PowerRelay)
	if !ok {
		t.Fatal("the configured power relay has no pin")
	}
	if err := relay.Out(gpio.High); err != nil || relay.Read() != gpio.High {
		t.Fatalf("virtual relay: Out(High) = %v, reads %v", err, relay.Read())
	}
	if _, ok := h.Pin("fan"); ok {
		t.Fatal("an unconfigured role has a pin")
	}
}

// Other packages receive the periph interface, so a gpiotest fake stands in.
func TestWithFakePins(t *testing.T) {
	de := &gpiotest.Pin{N: "GPIO17"}
	h := With(map[string]gpio.PinIO{LEDDriverEnable: de})
	p, _ := h.Pin(LEDDriverEnable)
	p.Out(gpio.High)
	if de.Read() != gpio.High {
		t.Fatal("the fake pin did not follow")
	}
}
