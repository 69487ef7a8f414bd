package hw

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/host/v3"
)

// Pin roles.
const (
	// LEDDriverEnable drives the DE line of an RS-485 adapter that needs one
	// (high while sending to the LED controller).
	LEDDriverEnable = "led_de"
	// PowerRelay switches the LED board's power (high = on).
	PowerRelay = "power_relay"
)

// Config says which GPIO serves which role.
type Config struct {
	// Pins maps a role (LEDDriverEnable, PowerRelay) to a GPIO name as
	// periph knows it, e.g. "GPIO17". Roles left out are not wired.
	Pins map[string]string
	Log  *slog.Logger
	// ModelFile is read to recognise a Raspberry Pi (default
	// /proc/device-tree/model).
	ModelFile string
}

// Hardware holds the pins of one machine.
type Hardware struct {
	onPi bool
	pins map[string]gpio.PinIO
}

var noHardwareOnce sync.Once

// Open initialises the hardware. On a Raspberry Pi it calls host.Init and
// looks up every configured pin (an unknown name is an error). Elsewhere
// it logs once that there is no hardware and uses virtual pins.
func Open(ctx context.Context, cfg Config) (*Hardware, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	model := Model(cfg.ModelFile)
	if !strings.Contains(model, "Raspberry Pi") {
		noHardwareOnce.Do(func() {
			log.Info("not a Raspberry Pi: starting without GPIO; LED driver-enable and power relay are virtual", "model", model)
		})
		return Virtual(roles(cfg.Pins)...), nil
	}
	if _, err := host.Init(); err != nil {
		return nil, fmt.Errorf("hw: initialising the Raspberry Pi's GPIO (periph host.Init): %w; is the agent allowed to use /dev/gpiomem?", err)
	}
	h := &Hardware{onPi: true, pins: map[string]gpio.PinIO{}}
	for role, name := range cfg.Pins {
		p := gpioreg.ByName(name)
		if p == nil {
			return nil, fmt.Errorf("hw: no GPIO named %q for %s on this %s; use a name such as GPIO17", name, role, model)
		}
		h.pins[role] = p
	}
	return h, nil
}

func roles(m map[string]string) []string {
	var out []string
	for r := range m {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// Virtual returns hardware whose pins (one per role) only remember their
// level: for PCs, the virtual LED board and tests.
func Virtual(roles ...string) *Hardware {
	h := &Hardware{pins: map[string]gpio.PinIO{}}
	for _, r := range roles {
		h.pins[r] = &gpiotest.Pin{N: "virtual-" + r, L: gpio.Low}
	}
	return h
}

// With returns hardware with the given pins (tests with gpiotest fakes).
func With(pins map[string]gpio.PinIO) *Hardware {
	return &Hardware{pins: pins}
}

// OnPi reports whether real GPIO is in use.
func (h *Hardware) OnPi() bool { return h.onPi }

// Pin returns the pin of role; ok is false when the role is not wired, and
// the caller then does without (e.g. an RS-485 adapter with automatic
// direction needs no driver-enable line).
func (h *Hardware) Pin(role string) (p gpio.PinIO, ok bool) {
	p, ok = h.pins[role]
	return p, ok
}

// Model returns the machine model from the device tree, or "" when there
// is none (not an ARM board).
func Model(file string) string {
	if file == "" {
		file = "/proc/device-tree/model"
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return ""
	}
	return strings.TrimRight(string(b), "\x00\n")
}
