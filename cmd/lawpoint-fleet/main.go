// Command lawpoint-fleet is the county service: `init` creates a data
// folder, `serve` runs the fleet (on the embedded MQTT broker or an external
// one), `export-mosquitto` writes Mosquitto's password and ACL files,
// `reset-admin` gives an administrator a new one-time password.
// See docs/FLEET.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet"
	"lawpoint/fleet/server"
	"lawpoint/fleet/sim"
)

const usage = `usage:
  lawpoint-fleet init  --data DIR [--host NAME]... [--admin NAME] [--admin-password-file FILE]
  lawpoint-fleet serve --data DIR [--mqtt ADDR] [--mqtts ADDR] [--http ADDR] [--broker mqtt://HOST:PORT] [--device-mqtt-url URL]
  lawpoint-fleet export-mosquitto --data DIR --out DIR
  lawpoint-fleet reset-admin --data DIR [--user NAME]
  lawpoint-fleet demo  --data DIR [--out TOKENS.json]
  lawpoint-fleet sim --phase setup -n N (--data DIR | --fleet URL --token T)
  lawpoint-fleet sim --phase converge|reconnect -n N --fleet URL --mqtt HOST:PORT [--fleet-pid PID] [--ramp R] [--verify sig|full] ...
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "init":
		err = runInit(ctx, os.Args[2:])
	case "serve":
		err = runServe(ctx, os.Args[2:])
	case "export-mosquitto":
		err = runExport(ctx, os.Args[2:])
	case "reset-admin":
		err = runResetAdmin(ctx, os.Args[2:])
	case "demo":
		err = runDemo(ctx, os.Args[2:])
	case "sim":
		err = runSim(ctx, os.Args[2:])
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "lawpoint-fleet: unknown command %q\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "lawpoint-fleet:", err)
		os.Exit(1)
	}
}

type hosts []string

func (h *hosts) String() string     { return strings.Join(*h, ",") }
func (h *hosts) Set(v string) error { *h = append(*h, v); return nil }

func runInit(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	data := fs.String("data", "", "data folder to create (required)")
	admin := fs.String("admin", "admin", "username of the first admin")
	pwFile := fs.String("admin-password-file", "", "the first admin's password, chosen by you, on the file's first line (not shown, not to be changed at the first sign-in); default: a one-time password is printed")
	var hs hosts
	fs.Var(&hs, "host", "extra DNS name or IP of this server for the MQTT certificate (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := server.InitConfig{Data: *data, Hosts: hs, Admin: *admin}
	if *pwFile != "" {
		b, err := os.ReadFile(*pwFile)
		if err != nil {
			return fmt.Errorf("init: --admin-password-file: %w", err)
		}
		first, _, _ := strings.Cut(string(b), "\n")
		if cfg.AdminPassword = strings.TrimRight(first, "\r"); cfg.AdminPassword == "" {
			return fmt.Errorf("init: --admin-password-file %s: the first line is empty (密码文件第一行为空)", *pwFile)
		}
	}
	res, err := server.Init(ctx, cfg)
	if err != nil {
		var ps fleet.FieldErrors
		if errors.As(err, &ps) && len(ps) > 0 {
			return fmt.Errorf("%w (%s)", err, ps[0].Err.Zh)
		}
		return err
	}
	fmt.Printf("已初始化县级服务数据目录：%s\n", *data)
	fmt.Printf("管理员账号：%s\n", res.Admin)
	if *pwFile != "" {
		fmt.Printf("管理员密码：按 %s 设定（不在此显示）\n", *pwFile)
	} else {
		if err := server.RequirePasswordChange(ctx, *data, res.Admin); err != nil {
			return err
		}
		fmt.Printf("管理员初始密码（只显示这一次，请立即记下；首次登录管理控制台时须先修改密码）：%s\n", res.AdminPassword)
	}
	fmt.Printf("内容签名公钥（配置到每台设备）：%s  (key id %s)\n", res.PublicKey, res.SigningKeyID)
	return nil
}

// runResetAdmin is for the server operator who lost the last administrator
// password; it works while the fleet is stopped or running.
func runResetAdmin(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("reset-admin", flag.ContinueOnError)
	data := fs.String("data", "", "data folder made by init (required)")
	user := fs.String("user", "admin", "the administrator account to reset")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res, err := server.ResetAdmin(ctx, *data, *user)
	if err != nil {
		return err
	}
	fmt.Printf("已重置县级管理员 %s 的密码；该账号原有的控制台登录和 API 令牌已全部失效。\n", res.Username)
	if res.Enabled {
		fmt.Println("该账号原已停用，现已重新启用。")
	}
	fmt.Printf("新的一次性密码（只显示这一次，请立即记下；登录管理控制台后须先修改密码）：%s\n", res.Password)
	return nil
}

func runServe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	data := fs.String("data", "", "data folder made by init (required)")
	mqtt := fs.String("mqtt", ":1883", "plain MQTT listen address; empty to disable")
	mqtts := fs.String("mqtts", ":8883", "MQTT over TLS listen address; empty to disable")
	httpAddr := fs.String("http", ":8080", "HTTP listen address; empty to disable")
	ext := fs.String("broker", "", "external MQTT broker, e.g. mqtt://127.0.0.1:1883, instead of the embedded one")
	devURL := fs.String("device-mqtt-url", "", "broker address told to devices at enrolment, e.g. mqtts://fleet.example.cn:8883")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" {
		return errors.New("serve: give the data folder with --data")
	}
	cfg := server.ServeConfig{Data: *data, MQTT: *mqtt, MQTTS: *mqtts, HTTP: *httpAddr, Broker: *ext, DeviceMQTTURL: *devURL,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	if *ext != "" {
		cfg.MQTT, cfg.MQTTS = "", "" // no embedded broker
	}
	return server.Serve(ctx, cfg)
}

func runExport(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("export-mosquitto", flag.ContinueOnError)
	data := fs.String("data", "", "data folder made by init (required)")
	out := fs.String("out", "", "folder to write mosquitto.passwd and mosquitto.acl into (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res, err := server.ExportMosquitto(ctx, *data, *out)
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s (%d devices, %d fleet accounts) and %s\n", res.PasswordFile, res.Devices, res.Fleet, res.ACLFile)
	fmt.Println("in mosquitto.conf: password_file, acl_file, allow_anonymous false, max_packet_size 1048576 or more")
	return nil
}

func runSim(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	var cfg sim.Config
	phase := fs.String("phase", "converge", "setup (register devices), converge (schedule changes) or reconnect (broker restart)")
	fs.IntVar(&cfg.N, "n", 0, "simulated devices (setup: how many to have; later phases: the first N of the state file, 0 = all)")
	fs.StringVar(&cfg.Data, "data", "", "setup through the fleet's store in this data folder (the fleet must be stopped)")
	fs.StringVar(&cfg.FleetURL, "fleet", "", "the fleet's HTTP address, e.g. http://127.0.0.1:8080")
	fs.StringVar(&cfg.Token, "token", "", "staff bearer token (setup with --data makes one and keeps it in the state file)")
	fs.StringVar(&cfg.MQTT, "mqtt", "127.0.0.1:1883", "the broker's plain MQTT address")
	fs.StringVar(&cfg.StateFile, "state", "", "the simulator's state file (default DATA/sim-state.json, or ./sim-state.json)")
	fs.StringVar(&cfg.Prefix, "prefix", "sim", "device ID prefix")
	fs.Float64Var(&cfg.Ramp, "ramp", 1000, "first connection attempts per second (0: each device waits [0, backoff-min] like a booting device)")
	verify := fs.String("verify", "sig", "manifest check: sig (envelope, key, Ed25519 signature, device, serial, expiry) or full (content.Verify)")
	fs.DurationVar(&cfg.Backoff.Min, "backoff-min", wire.DefaultBackoff.Min, "reconnect backoff: first ceiling")
	fs.DurationVar(&cfg.Backoff.Max, "backoff-max", wire.DefaultBackoff.Max, "reconnect backoff: largest ceiling")
	fs.IntVar(&cfg.Changes, "changes", 3, "schedule changes to time in the converge phase")
	fs.IntVar(&cfg.FleetPID, "fleet-pid", 0, "the fleet's process ID, for its memory per connected device")
	fs.DurationVar(&cfg.PollEvery, "poll", 250*time.Millisecond, "how often to ask /api/status while waiting for the fleet's view")
	fs.DurationVar(&cfg.Timeout, "timeout", 5*time.Minute, "bound on each wait")
	fs.StringVar(&cfg.ReadyFile, "ready-file", "", "reconnect phase: file created when the fleet may be restarted")
	sources := fs.String("sources", "", "comma-separated local addresses to connect from, e.g. 127.0.0.2,127.0.0.3 (beyond ~28,000 connections)")
	cpu := fs.String("cpuprofile", "", "write the simulator's CPU profile here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.Verify = sim.VerifyMode(*verify)
	if *sources != "" {
		cfg.Sources = strings.Split(*sources, ",")
	}
	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *phase == "setup" {
		_, err := sim.Setup(ctx, cfg)
		return err
	}
	_, err := sim.Run(ctx, cfg, *phase)
	return err
}
