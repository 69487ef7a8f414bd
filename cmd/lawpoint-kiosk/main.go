// Command lawpoint-kiosk is the village contact point's touchscreen:
// queue tickets, video-consultation booking, legal education and ratings.
//
//	lawpoint-kiosk --data DIR [--size 800x480] [--fullscreen] [--screenshot FILE] [--state FILE]
//
// Without a fleet it runs on the offline stand-ins of kiosk/offline, so the
// home screen always comes up. SIGUSR1 writes the current frame as a PNG to
// the --screenshot file.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"lawpoint/kiosk"
	"lawpoint/kiosk/flow"
	"lawpoint/kiosk/offline"
	"lawpoint/kiosk/voice"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "lawpoint-kiosk:", err)
		os.Exit(1)
	}
}

func run() error {
	data := flag.String("data", "", "data directory (required): local ticket counter, ratings, state")
	size := flag.String("size", "800x480", "window size, WIDTHxHEIGHT (800x480 for the 7\" screen, 1280x800 for the 10\")")
	full := flag.Bool("fullscreen", false, "fill the screen and hide the pointer (the Pi)")
	font := flag.String("font", kiosk.DefaultFontPath, "font file (WenQuanYi Micro Hei, Debian fonts-wqy-microhei)")
	shotPath := flag.String("screenshot", "", "PNG file that SIGUSR1 writes the current frame to")
	statePath := flag.String("state", "", "JSON file describing the screen after every frame (default DATA/kiosk-state.json)")
	point := flag.String("point", "村法律服务联系点", "the contact point's name, shown on the home screen")
	hotline := flag.String("hotline", "12348", "the legal-service hotline")
	adviser := flag.String("adviser", "", "the adviser on duty, e.g. \"林志明 法律顾问\"")
	idleWarn := flag.Duration("idle-warn", flow.DefaultIdleWarn, "ask 还在使用吗？ after this long without a touch")
	idleReset := flag.Duration("idle-reset", flow.DefaultIdleReset, "go home and forget what was entered after this long")
	tapGuard := flag.Duration("tap-guard", flow.DefaultTapGuard, "ignore taps this soon after the screen changed (double taps); negative: off")
	noVoice := flag.Bool("no-voice", false, "do not offer 朗读 even when espeak-ng is installed")
	flag.Parse()

	if *data == "" {
		return fmt.Errorf("--data DIR is required (a writable directory for the ticket counter and ratings)")
	}
	if err := os.MkdirAll(*data, 0o755); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	var w, h int
	if _, err := fmt.Sscanf(*size, "%dx%d", &w, &h); err != nil || w < 320 || h < 240 {
		return fmt.Errorf("--size %q: want WIDTHxHEIGHT such as 800x480 or 1280x800", *size)
	}
	if *statePath == "" {
		*statePath = filepath.Join(*data, "kiosk-state.json")
	}
	verbose := os.Getenv("LAWPOINT_DEBUG") != ""
	lvl := slog.LevelInfo
	if verbose {
		lvl = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))

	// The offline stand-ins; the lead replaces each field with the real
	// service (kiosk/queue, the printer, the fleet's booking and ratings).
	q, err := offline.OpenQueue(*data)
	if err != nil {
		return err
	}
	svc := flow.Services{
		Queue:    q,
		Bookings: offline.NewBookings(),
		Content:  offline.NewContent(),
		Ratings:  offline.NewRatings(*data),
		Info:     flow.StaticInfo{PointName: *point, Hotline: *hotline, AdviserOnDuty: *adviser},
	}
	if !*noVoice {
		if sp, err := voice.Find(); err == nil {
			svc.Speaker = sp
		} else {
			log.Info("no read-aloud", "reason", err)
		}
	}

	k, err := kiosk.New(svc, kiosk.Options{
		Width: w, Height: h, Fullscreen: *full, FontPath: *font, StateFile: *statePath, Log: log,
		Flow: flow.Config{IdleWarn: *idleWarn, IdleReset: *idleReset, TapGuard: *tapGuard},
	})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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
