// Command lawpoint-kiosk is the village contact point's touchscreen:
// queue tickets, video-consultation booking, legal education and ratings.
//
//	lawpoint-kiosk --data DIR [--size 800x480] [--fullscreen] [--screenshot FILE] [--state FILE]
//
// DIR/kiosk.json configures the contact point, the printer, the counter page
// and the fleet (docs/KIOSK.md); flags given on the command line win. The
// queue and the printer are always local, so the home screen comes up with
// no fleet configured or reachable; with a fleet URL and an enrolment token
// the kiosk enrols and syncs in the background. SIGUSR1 writes the current
// frame as a PNG to the --screenshot file.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image/png"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"lawpoint/kiosk"
	"lawpoint/kiosk/app"
	"lawpoint/kiosk/flow"
	"lawpoint/kiosk/queue"
	"lawpoint/kiosk/voice"
)

// AppVersion is announced to the fleet.
var AppVersion = "0.5.0"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "lawpoint-kiosk:", err)
		os.Exit(1)
	}
}

func run() error {
	data := flag.String("data", "", "data directory (required): kiosk.json, the queue, the outbox, the agent's credentials")
	size := flag.String("size", "800x480", "window size, WIDTHxHEIGHT (800x480 for the 7\" screen, 1280x800 for the 10\")")
	full := flag.Bool("fullscreen", false, "fill the screen and hide the pointer (the Pi)")
	font := flag.String("font", kiosk.DefaultFontPath, "font file (WenQuanYi Micro Hei, Debian fonts-wqy-microhei)")
	shotPath := flag.String("screenshot", "", "PNG file that SIGUSR1 writes the current frame to")
	statePath := flag.String("state", "", "JSON file describing the screen after every frame (default DATA/kiosk-state.json)")
	point := flag.String("point", "", "the contact point's name, shown on the home screen (kiosk.json: point)")
	hotline := flag.String("hotline", "", "the legal-service hotline (kiosk.json: hotline; default 12348)")
	adviser := flag.String("adviser", "", "the adviser on duty, e.g. \"林志明 法律顾问\" (kiosk.json: adviser_on_duty)")
	printerURI := flag.String("printer", "", "receipt printer URI, e.g. serial:///dev/ttyUSB0, tcp://192.168.1.50:9100 (kiosk.json: printer; default virtual:)")
	idleWarn := flag.Duration("idle-warn", flow.DefaultIdleWarn, "ask 还在使用吗？ after this long without a touch")
	idleReset := flag.Duration("idle-reset", flow.DefaultIdleReset, "go home and forget what was entered after this long")
	tapGuard := flag.Duration("tap-guard", flow.DefaultTapGuard, "ignore taps this soon after the screen changed (double taps); negative: off")
	noVoice := flag.Bool("no-voice", false, "do not offer 朗读 even when espeak-ng is installed")
	pprofAddr := flag.String("pprof", "", "serve Go's profiles (/debug/pprof/) on this loopback address, e.g. 127.0.0.1:6060, for measuring memory")
	flag.Parse()

	if *data == "" {
		return fmt.Errorf("--data DIR is required (a writable directory for the queue, the outbox and kiosk.json)")
	}
	if err := os.MkdirAll(*data, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	cfg, err := app.LoadConfig(*data)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["point"] {
		cfg.Point = *point
	}
	if set["hotline"] {
		cfg.Hotline = *hotline
	}
	if set["adviser"] {
		cfg.AdviserOnDuty = *adviser
	}
	if set["printer"] {
		cfg.Printer = *printerURI
	}
	if set["size"] || cfg.Size == "" {
		cfg.Size = *size
	}
	if set["fullscreen"] {
		cfg.Fullscreen = *full
	}
	if set["idle-warn"] || cfg.IdleWarn == 0 {
		cfg.IdleWarn = app.Duration(*idleWarn)
	}
	if set["idle-reset"] || cfg.IdleReset == 0 {
		cfg.IdleReset = app.Duration(*idleReset)
	}
	var w, h int
	if _, err := fmt.Sscanf(cfg.Size, "%dx%d", &w, &h); err != nil || w < 320 || h < 240 {
		return fmt.Errorf("size %q: want WIDTHxHEIGHT such as 800x480 or 1280x800", cfg.Size)
	}
	if *statePath == "" {
		*statePath = filepath.Join(*data, "kiosk-state.json")
	}
	lvl := slog.LevelInfo
	if os.Getenv("LAWPOINT_DEBUG") != "" {
		lvl = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))

	var speaker *voice.Espeak
	if !*noVoice {
		if sp, err := voice.Find(); err == nil {
			speaker = sp
		} else {
			log.Info("no read-aloud", "reason", err)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *pprofAddr != "" {
		if _, err := app.ServePprof(ctx, *pprofAddr, log); err != nil {
			return err
		}
	}

	var k *kiosk.Kiosk // set below; the hooks run only once the kiosk runs
	a, err := app.Open(ctx, app.Options{Dir: *data, Config: cfg, Log: log, AppVersion: AppVersion, Memory: app.KioskMemory(),
		Screenshot: func(ctx context.Context) ([]byte, error) {
			img, err := k.Screenshot(ctx)
			if err != nil {
				return nil, err
			}
			var buf bytes.Buffer
			err = png.Encode(&buf, img)
			return buf.Bytes(), err
		},
		Announce: func(c queue.Call) {
			log.Info("ticket called", "ticket", c.Ticket, "window", c.Window)
			if speaker != nil {
				go func() {
					sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
					defer cancel()
					speaker.Speak(sctx, app.Announcement(c))
				}()
			}
		},
		Served: func(ticketID string) {
			k.Do(func(f *flow.App) {
				if f.View().Screen == flow.ScreenHome {
					f.StartRating(ticketID, "")
				}
			})
		},
	})
	if err != nil {
		return err
	}
	defer a.Close()

	svc := a.Services()
	if speaker != nil {
		svc.Speaker = speaker
	}
	k, err = kiosk.New(svc, kiosk.Options{
		Width: w, Height: h, Fullscreen: cfg.Fullscreen, FontPath: *font, StateFile: *statePath, Log: log,
		Flow: a.FlowConfig(flow.Config{IdleWarn: time.Duration(cfg.IdleWarn), IdleReset: time.Duration(cfg.IdleReset), TapGuard: *tapGuard, Now: a.Now}),
	})
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.Run(runCtx); err != nil {
			log.Error("the kiosk's background services did not start; tickets still work", "err", err)
		}
	}()
	defer func() {
		cancel()
		<-done
	}()
	if *shotPath != "" {
		usr1 := make(chan os.Signal, 1)
		signal.Notify(usr1, syscall.SIGUSR1)
		go func() {
			for range usr1 {
				sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				if err := k.WriteScreenshot(sctx, *shotPath); err != nil {
					log.Warn("screenshot failed", "err", err)
				} else {
					log.Info("screenshot written", "file", *shotPath)
				}
				cancel()
			}
		}()
	}
	return k.Run(ctx)
}
