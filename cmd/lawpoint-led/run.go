package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"lawpoint/device"
	"lawpoint/device/hw"
	"lawpoint/device/wire"
	"lawpoint/display"
)

// BoardFile is the board's wiring, kept in the data folder so that
// `lawpoint-led run --data DIR` needs no other flag after the first run.
const BoardFile = "led.json"

// boardConfig is what BoardFile holds.
type boardConfig struct {
	Port    string `json:"port"`
	Baud    int    `json:"baud"`
	Model   string `json:"model"`
	Size    string `json:"size"`
	Colors  string `json:"colors"`
	Address int    `json:"address"`
	// Pins maps hw roles (led_de, power_relay) to GPIO names, e.g. GPIO17.
	Pins          map[string]string `json:"pins,omitempty"`
	PowerInverted bool              `json:"power_inverted,omitempty"`
}

// AppVersion is what the agent announces.
var AppVersion = "0.4.0"

const runUsage = `usage: lawpoint-led run --data DIR [--port DEV --model M --size WxH [--baud 9600] [--colors dual]
                          [--address 1] [--de-pin GPIO17] [--power-pin GPIO27] [--power-inverted]]
                          [--enrol-token T --fleet URL [--broker mqtt://HOST:1883] [--ca FILE]]

Runs the device agent with the LED player: the board plays what the fleet
assigns (signed manifests), emergency notices at once. The board's flags are
kept in DIR/led.json, so later runs need only --data. Without credentials in
DIR the board first enrols with --enrol-token at --fleet.
`

// runAgent is `lawpoint-led run`.
func runAgent(ctx context.Context, args []string, stderr io.Writer) int {
	fl := flag.NewFlagSet("run", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	dir := fl.String("data", "", "the device's data folder")
	var bc boardConfig
	fl.StringVar(&bc.Port, "port", "", "serial device of the controller")
	fl.IntVar(&bc.Baud, "baud", 0, "9600 or 57600")
	fl.StringVar(&bc.Model, "model", "", "controller model")
	fl.StringVar(&bc.Size, "size", "", "WxH in dots")
	fl.StringVar(&bc.Colors, "colors", "", "single or dual")
	fl.IntVar(&bc.Address, "address", 0, "screen address")
	dePin := fl.String("de-pin", "", "GPIO for the RS-485 driver enable, e.g. GPIO17")
	powerPin := fl.String("power-pin", "", "GPIO of the board's power relay, e.g. GPIO27")
	powerInv := fl.Bool("power-inverted", false, "the relay switches the board on with a low level")
	token := fl.String("enrol-token", "", "one-time enrolment token from county staff")
	fleetURL := fl.String("fleet", "", "the fleet's HTTP address, e.g. http://127.0.0.1:8080")
	broker := fl.String("broker", "", "MQTT broker URL when the fleet announces none, e.g. mqtt://127.0.0.1:1883")
	ca := fl.String("ca", "", "PEM file of the fleet's CA (for mqtts:// and https://)")
	verbose := fl.Bool("v", false, "log every item played")
	if err := fl.Parse(args); err != nil {
		return fail(exitUsage, "%v\n\n%s", err, runUsage)
	}
	if fl.NArg() > 0 {
		return fail(exitUsage, "unexpected argument %q\n\n%s", fl.Arg(0), runUsage)
	}
	if *dir == "" {
		return fail(exitUsage, "--data is missing: give the device's data folder, e.g. --data /var/lib/lawpoint (请指定数据目录)")
	}
	if *dePin != "" || *powerPin != "" {
		bc.Pins = map[string]string{}
		if *dePin != "" {
			bc.Pins[hw.LEDDriverEnable] = *dePin
		}
		if *powerPin != "" {
			bc.Pins[hw.PowerRelay] = *powerPin
		}
	}
	bc.PowerInverted = *powerInv
	bc, err := boardSettings(*dir, bc)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	if _, err := os.Stat(filepath.Join(*dir, device.CredentialsFile)); errors.Is(err, fs.ErrNotExist) {
		if *token == "" || *fleetURL == "" {
			return fail(exitUsage, "%s holds no credentials: enrol the board first with --enrol-token TOKEN --fleet URL (ask county staff: lawpointctl device enroll) (请先用注册码注册本设备)", *dir)
		}
		ectx, cancel := context.WithTimeout(ctx, time.Minute)
		c, err := device.Enrol(ectx, *dir, device.Enrolment{FleetURL: *fleetURL, Token: *token, BrokerURL: *broker, CAFile: *ca})
		cancel()
		if err != nil {
			return fail(exitUsage, "%v (注册失败)", err)
		}
		log.Info("enrolled (设备注册成功)", "device", c.DeviceID, "broker", c.BrokerURL)
	} else if *token != "" {
		log.Info("already enrolled: --enrol-token is not used", "data", *dir)
	}

	restart := false
	code := runBoard(ctx, *dir, bc, log, func() { restart = true })
	if restart {
		exe, err := os.Executable()
		if err == nil {
			log.Info("restarting lawpoint-led (the fleet asked)")
			err = syscall.Exec(exe, os.Args, os.Environ())
		}
		return fail(exitBoard, "restart failed: %v; start lawpoint-led again", err)
	}
	return code
}

// boardSettings merges the flags with DIR/led.json: flags given win and
// are saved; without flags the saved wiring is used.
func boardSettings(dir string, flags boardConfig) (boardConfig, error) {
	path := filepath.Join(dir, BoardFile)
	var saved boardConfig
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &saved); err != nil {
			return saved, fmt.Errorf("%s is not valid JSON (%v): fix it, or remove it and give --port, --model and --size", path, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return saved, fmt.Errorf("reading %s: %w", path, err)
	}
	out, changed := saved, false
	set := func(dst *string, v string) {
		if v != "" && v != *dst {
			*dst, changed = v, true
		}
	}
	set(&out.Port, flags.Port)
	set(&out.Model, flags.Model)
	set(&out.Size, flags.Size)
	set(&out.Colors, flags.Colors)
	if flags.Baud != 0 && flags.Baud != out.Baud {
		out.Baud, changed = flags.Baud, true
	}
	if flags.Address != 0 && flags.Address != out.Address {
		out.Address, changed = flags.Address, true
	}
	if flags.Pins != nil {
		out.Pins, changed = flags.Pins, true
	}
	if flags.PowerInverted && !out.PowerInverted {
		out.PowerInverted, changed = true, true
	}
	if out.Baud == 0 {
		out.Baud = 9600
	}
	if out.Colors == "" {
		out.Colors = "dual"
	}
	if out.Address == 0 {
		out.Address = 1
	}
	if out.Port == "" || out.Model == "" || out.Size == "" {
		return out, fmt.Errorf("the board is not described yet: give --port DEV --model MODEL --size WxH once (kept in %s) (请指定串口、控制卡型号和屏幕尺寸)", path)
	}
	if changed {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return out, fmt.Errorf("creating the data folder %s: %w", dir, err)
		}
		b, _ := json.MarshalIndent(out, "", "  ")
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
			return out, fmt.Errorf("saving %s: %w", path, err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return out, fmt.Errorf("saving %s: %w", path, err)
		}
	}
	return out, nil
}

// runBoard runs the agent and the player until ctx ends (or the fleet asks
// for a restart, when restart is called first).
func runBoard(ctx context.Context, dir string, bc boardConfig, log *slog.Logger, restart func()) int {
	f := newBoardFlags("run")
	f.model, f.size, f.colors, f.address, f.port, f.baud = bc.Model, bc.Size, bc.Colors, bc.Address, bc.Port, bc.Baud
	cfg, err := f.config()
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	pins, err := hw.Open(ctx, hw.Config{Pins: bc.Pins, Log: log})
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	if p, ok := pins.Pin(hw.LEDDriverEnable); ok {
		cfg.DriverEnable = p
	}
	if p, ok := pins.Pin(hw.PowerRelay); ok {
		cfg.Power, cfg.PowerInverted = p, bc.PowerInverted
	}
	if bc.Baud != 9600 && bc.Baud != 57600 {
		return fail(exitUsage, "baud %d: BX controllers run at 9600 or 57600, as set on the card (波特率只能是9600或57600)", bc.Baud)
	}
	port, baud := bc.Port, bc.Baud
	cfg.Baud, cfg.Name = baud, port
	cfg.Open = func() (display.Port, error) { return display.OpenSerial(port, baud) }
	cfg.Log = func(s string) { log.Info(s) }
	board, err := display.NewBoard(cfg)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	defer board.Close()

	g, err := newLEDGlue(board, log, pins.OnPi())
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	g.restart = func() { restart(); stop() }
	agent, err := device.New(rctx, device.Config{Dir: dir, Kind: wire.LED, AppVersion: AppVersion, Hooks: g.hooks(), Log: log})
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	defer agent.Close()
	g.clock.agent.Store(agent)
	g.player.SetClockTrusted(agent.ClockTrusted())
	log.Info("lawpoint-led running (显示屏代理已启动)", "device", agent.ID(), "board", cfg.Name, "model", cfg.Model.Label,
		"size", bc.Size, "manifest_serial", agent.Content().Serial(), "gpio", pins.OnPi())

	done := make(chan struct{}, 3)
	go func() { g.player.Run(rctx); done <- struct{}{} }()
	go func() { g.watch(rctx, agent, 2*time.Second); done <- struct{}{} }()
	go func() {
		if err := agent.Run(rctx); err != nil && rctx.Err() == nil {
			log.Error("the agent stopped", "error", err)
		}
		done <- struct{}{}
	}()
	<-rctx.Done()
	for range 3 {
		<-done
	}
	// What played in the hour so far is recorded now; it leaves with the
	// outbox on the next connection.
	g.proofs.flush(time.Time{})
	log.Info("lawpoint-led stopped")
	return exitOK
}

// runReboot reboots a Raspberry Pi.
func runReboot(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, "systemctl", "reboot").CombinedOutput()
	if err != nil {
		return fmt.Errorf("systemctl reboot: %v: %s", err, out)
	}
	return nil
}
