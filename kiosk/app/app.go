// Package app wires the kiosk's screens (kiosk/flow) to the real services,
// offline first: the local ticket queue (kiosk/queue), the receipt printer
// (kiosk/printer), the fleet's booking routes, the device agent's outbox and
// content, and the contact point's details. The queue and the printer are
// always local; the fleet and the agent are optional, and everything a
// villager does is kept on disk until the fleet has it, counted once.
//
// Data folder (besides the agent's credentials.json, state.db, content/):
//
//	kiosk.json   the configuration (Config)
//	queue.db     the ticket queue (kiosk/queue)
//	kiosk.db     the kiosk's outbox, booking requests, kept adviser and slot lists
package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"lawpoint/device"
	"lawpoint/device/wire"
	"lawpoint/kiosk/chime"
	"lawpoint/kiosk/flow"
	"lawpoint/kiosk/offline"
	"lawpoint/kiosk/printer"
	"lawpoint/kiosk/queue"
)

// Options configure an App.
type Options struct {
	// Dir is the data folder.
	Dir    string
	Config Config
	Log    *slog.Logger
	// AppVersion is announced to the fleet.
	AppVersion string
	// NTP reports system clock synchronisation (nil: the system's).
	NTP func(ctx context.Context) bool
	// Screenshot answers the fleet's screenshot command (a PNG).
	Screenshot func(ctx context.Context) ([]byte, error)
	// Announce is called when staff call a ticket (the voice), after the
	// chime (Config.ChimeCommand) has played.
	Announce func(queue.Call)
	// Served is called when staff mark a ticket served; the command opens
	// the rating screen on an idle kiosk (Config.RateAfterService).
	Served func(ticketID string)
	// Outcome is called when the fleet answers a booking kept as 待确认
	// (after its slip is printed, with Config.PrintOutcomes).
	Outcome func(Outcome)
	// Backoff is the agent's reconnect policy (zero: the protocol's).
	Backoff wire.Backoff
	// Every is how often pending bookings are asked about and the outbox
	// retried without a wake-up (default 30 s).
	Every time.Duration
	// Memory is the Go memory policy, set by Open and kept by Run
	// (KioskMemory for lawpoint-kiosk; zero: the runtime's defaults).
	Memory Memory
}

// App is the running kiosk's services.
type App struct {
	opts  Options
	cfg   Config
	log   *slog.Logger
	loc   *time.Location
	clock *switchClock

	queue    *queue.Queue
	store    *store
	printer  printer.Printer
	qsvc     *queueService
	psvc     *printService
	bookings *bookingService
	content  *contentService
	outbox   *queueOutbox
	mine     *myBookings
	videos   *videoService
	updates  *updates
	chime    *chime.Player

	agentBox    atomic.Pointer[agentBox]
	forwardWake chan struct{}
	resolveWake chan struct{}
	runCtx      atomic.Pointer[context.Context]

	wg sync.WaitGroup
}

type agentBox struct {
	ag  Agent
	dev *device.Agent // nil for a test's stand-in
	api *fleetAPI
}

// Open opens the queue, the kiosk's store and the printer, and the device
// agent when the data folder holds credentials. It needs no network.
func Open(ctx context.Context, opts Options) (*App, error) {
	if opts.Dir == "" {
		return nil, errors.New("app: no data folder; give --data DIR")
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("app: creating the data folder %s: %w", opts.Dir, err)
	}
	if err := opts.Config.Check(); err != nil {
		return nil, err
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Every <= 0 {
		opts.Every = 30 * time.Second
	}
	opts.Memory.apply(opts.Log)
	a := &App{opts: opts, cfg: opts.Config, log: opts.Log, loc: opts.Config.location(),
		forwardWake: make(chan struct{}, 1), resolveWake: make(chan struct{}, 1)}
	a.clock = &switchClock{}
	a.clock.set(device.NewClock(a.log, opts.NTP))

	var err error
	if a.store, err = openStore(ctx, filepath.Join(opts.Dir, StoreFile)); err != nil {
		return nil, err
	}
	a.queue, err = queue.Open(ctx, queue.Config{Path: filepath.Join(opts.Dir, "queue.db"), Clock: a.clock, Location: a.loc,
		DefaultServiceTime: time.Duration(opts.Config.DefaultServiceTime), Log: a.log})
	if err != nil {
		a.store.Close()
		return nil, err
	}
	a.qsvc = newQueueService(a.queue, a.loc)
	a.outbox = &queueOutbox{a: a, q: a.queue}
	if uri := a.cfg.printerURI(); uri != "none" {
		if a.printer, err = printer.Open(uri); err != nil {
			a.queue.Close()
			a.store.Close()
			return nil, fmt.Errorf("app: the printer in %s: %w", ConfigFile, err)
		}
		a.psvc = newPrintService(a, a.printer)
	}
	a.bookings = newBookingService(a)
	a.content = &contentService{a: a, demo: offline.NewContent()}
	a.updates = newUpdates()
	a.mine = &myBookings{a: a}
	a.videos = newVideoService(a)
	a.videos.refresh(ctx)
	var chimeArgv []string
	if c := a.cfg.ChimeCommand; c != nil {
		chimeArgv = *c
		if chimeArgv == nil {
			chimeArgv = []string{}
		}
	}
	if a.chime, err = chime.New(opts.Dir, chimeArgv, a.log); err != nil {
		a.log.Warn("no call chime", "err", err) // the call is still shown and spoken
	}

	if _, err := os.Stat(filepath.Join(opts.Dir, device.CredentialsFile)); err == nil {
		if err := a.startAgent(ctx); err != nil {
			a.Close()
			return nil, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		a.Close()
		return nil, fmt.Errorf("app: %w", err)
	}
	return a, nil
}

// startAgent opens the device agent on the data folder's credentials.
func (a *App) startAgent(ctx context.Context) error {
	creds, err := device.LoadCredentials(a.opts.Dir)
	if err != nil {
		return fmt.Errorf("app: %w", err)
	}
	api, err := newFleetAPI(creds)
	if err != nil {
		return err
	}
	hooks := device.Hooks{Screenshot: a.opts.Screenshot}
	if a.psvc != nil {
		hooks.PrinterStatus = a.psvc.Part
	} else {
		hooks.PrinterStatus = func() wire.PartStatus { return wire.PartStatus{Status: wire.PrinterAbsent} }
	}
	dev, err := device.New(ctx, device.Config{Dir: a.opts.Dir, Kind: wire.Kiosk, AppVersion: a.opts.AppVersion,
		Hooks: hooks, Log: a.log.With("part", "agent"), Backoff: a.opts.Backoff, NTP: a.opts.NTP})
	if err != nil {
		return fmt.Errorf("app: starting the device agent: %w", err)
	}
	a.clock.set(dev.Clock())
	a.agentBox.Store(&agentBox{ag: dev, dev: dev, api: api})
	return nil
}

// setAgent puts a stand-in agent and fleet API in place (tests).
func (a *App) setAgent(ag Agent, api *fleetAPI) { a.agentBox.Store(&agentBox{ag: ag, api: api}) }

// Agent is the device agent, nil before enrolment.
func (a *App) Agent() Agent {
	if b := a.agentBox.Load(); b != nil {
		return b.ag
	}
	return nil
}

// DeviceAgent is the real device agent, nil before enrolment.
func (a *App) DeviceAgent() *device.Agent {
	if b := a.agentBox.Load(); b != nil {
		return b.dev
	}
	return nil
}

func (a *App) fleet() *fleetAPI {
	if b := a.agentBox.Load(); b != nil {
		return b.api
	}
	return nil
}

// ctx is the context of Run while it runs (lists asked for by the UI end
// with it), else Background.
func (a *App) ctx() context.Context {
	if c := a.runCtx.Load(); c != nil {
		return *c
	}
	return context.Background()
}

// Queue is the local ticket queue.
func (a *App) Queue() *queue.Queue { return a.queue }

// Printer is the receipt printer (nil with "printer": "none").
func (a *App) Printer() printer.Printer { return a.printer }

// Location is the time zone the kiosk shows times in.
func (a *App) Location() *time.Location { return a.loc }

// Now is the kiosk's best time (the agent's, which the fleet corrects), in
// its time zone: the screens' clock.
func (a *App) Now() time.Time { return a.clock.Now().In(a.loc) }

func (a *App) now() time.Time { return a.Now() }

func (a *App) pointName() string {
	if a.cfg.Point != "" {
		return a.cfg.Point
	}
	return "村法律服务联系点"
}

// Services are the screens' services. Speaker is left to the caller.
func (a *App) Services() flow.Services {
	s := flow.Services{Queue: a.qsvc, Bookings: a.bookings, Content: a.content, Ratings: ratingService{a}, Info: infoService{a},
		MyBookings: a.mine, Video: a.videos, Updates: a.updates}
	if a.psvc != nil {
		s.Printer = a.psvc
	}
	return s
}

// Bookings offers cancel and reschedule by code and phone (fleet needed).
func (a *App) Bookings() interface {
	Lookup(ctx context.Context, code, phone string) (wire.KioskBooking, error)
	Cancel(ctx context.Context, code, phone string) (wire.KioskBooking, error)
	Reschedule(ctx context.Context, code, phone string, start time.Time) (wire.KioskBooking, error)
} {
	return a.bookings
}

// Run runs the kiosk's background work until ctx ends: the queue (day
// rules, hand-over of its events), the counter page, the outbox, the
// enrolment and the agent's link, category and booking sync.
func (a *App) Run(ctx context.Context) error {
	var counter *queue.Counter
	if c := a.cfg.Counter; c.Addr != "" {
		var err error
		if counter, err = queue.NewCounter(a.queue, queue.CounterConfig{PIN: c.PIN, Log: a.log.With("part", "counter")}); err != nil {
			return fmt.Errorf("app: the counter page: %w (set counter.pin in %s)", err, ConfigFile)
		}
	}
	a.runCtx.Store(&ctx)
	defer a.runCtx.Store(nil)
	announce, served := a.announce(ctx), a.opts.Served
	if !on(a.cfg.RateAfterService) {
		served = nil
	}
	a.wg.Go(func() { a.qsvc.watch(ctx, announce, served) })
	var out queue.Outbox
	if a.cfg.FleetURL != "" || a.Agent() != nil {
		out = a.outbox
	}
	a.wg.Go(func() { a.queue.Run(ctx, out) })
	a.wg.Go(func() { a.runForwarder(ctx) })
	a.wg.Go(func() { a.bookings.run(ctx) })
	if counter != nil {
		addr := a.cfg.Counter.Addr
		a.wg.Go(func() {
			if err := counter.ListenAndServe(ctx, addr); err != nil && ctx.Err() == nil {
				a.log.Error("the counter page stopped; staff cannot call tickets", "addr", addr, "err", err)
			}
		})
	}
	a.wg.Go(func() { a.runAgent(ctx) })
	a.wg.Go(func() { a.runSync(ctx) })
	if every := a.opts.Memory.Trim; every > 0 {
		a.wg.Go(func() { a.runTrim(ctx, every) })
	}
	<-ctx.Done()
	a.wg.Wait()
	return nil
}

// runAgent enrols when needed and keeps the agent's link up.
func (a *App) runAgent(ctx context.Context) {
	if a.DeviceAgent() == nil && a.Agent() == nil {
		if a.cfg.FleetURL == "" || a.cfg.EnrolToken == "" {
			if a.cfg.FleetURL != "" {
				a.log.Warn("a fleet is configured but no enrol_token and no credentials; the kiosk runs on its own", "fleet", a.cfg.FleetURL)
			}
			a.checkNTP(ctx)
			return
		}
		if !a.enrol(ctx) {
			return
		}
	}
	dev := a.DeviceAgent()
	if dev == nil {
		return
	}
	a.kick(a.forwardWake)
	a.kick(a.resolveWake)
	if err := dev.Run(ctx); err != nil && ctx.Err() == nil {
		a.log.Error("the device agent stopped", "err", err)
	}
}

// checkNTP keeps the stand-alone clock's NTP state fresh (the agent does
// it once there is one).
func (a *App) checkNTP(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if c, ok := a.clock.get().(*device.Clock); ok {
			c.CheckNTP(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// enrol exchanges the token for credentials, retrying with a growing pause
// while the fleet cannot be reached.
func (a *App) enrol(ctx context.Context) bool {
	pause := 2 * time.Second
	go a.checkNTP(ctx)
	for {
		ectx, cancel := context.WithTimeout(ctx, 30*time.Second)
		c, err := device.Enrol(ectx, a.opts.Dir, device.Enrolment{FleetURL: a.cfg.FleetURL, Token: a.cfg.EnrolToken,
			BrokerURL: a.cfg.BrokerURL, CAFile: a.cfg.CAFile})
		cancel()
		if err == nil {
			a.log.Info("enrolled with the fleet (设备注册成功)", "device", c.DeviceID)
			if err := a.startAgent(ctx); err != nil {
				a.log.Error("enrolled, but the agent does not start; restart the kiosk", "err", err)
				return false
			}
			a.outbox.mu.Lock()
			a.outbox.after = 0
			a.outbox.mu.Unlock()
			return true
		}
		a.log.Warn("not enrolled yet; will retry", "fleet", a.cfg.FleetURL, "err", err, "retry_in", pause)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(pause):
		}
		pause = min(2*pause, 5*time.Minute)
	}
}

// runSync takes the fleet's queue categories (when their revision changed)
// and asks about pending bookings, every Every and every 10 minutes.
func (a *App) runSync(ctx context.Context) {
	t := time.NewTicker(a.opts.Every)
	defer t.Stop()
	last := time.Time{}
	for {
		if api := a.fleet(); api != nil && time.Since(last) >= 10*time.Minute {
			if err := a.syncCategories(ctx, api); err == nil {
				last = time.Now()
			} else if ctx.Err() == nil && !errors.Is(err, errUnreachable) {
				a.log.Warn("queue categories from the fleet not taken", "err", err)
				last = time.Now()
			}
		}
		a.kick(a.resolveWake)
		a.kick(a.forwardWake)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (a *App) syncCategories(ctx context.Context, api *fleetAPI) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	kc, err := api.categories(cctx)
	if err != nil {
		return err
	}
	var prev int64 = -1
	a.store.getCache(ctx, "categories.revision", &prev)
	if prev == kc.Revision {
		return nil
	}
	cs := make([]queue.Category, len(kc.Categories))
	for i, c := range kc.Categories {
		cs[i] = queue.Category{Prefix: c.Prefix, Name: c.Name, Service: c.Service}
	}
	if err := a.queue.SetCategories(ctx, cs); err != nil {
		return err
	}
	a.log.Info("queue categories from the fleet", "revision", kc.Revision, "count", len(cs))
	return a.store.putCache(ctx, "categories.revision", kc.Revision, time.Now())
}

// Sync hands over everything waiting now (queue events, the kiosk's
// outbox) and asks the fleet about pending bookings; for tests and
// diagnostics. It returns the first error.
func (a *App) Sync(ctx context.Context) error {
	var errs []error
	if a.Agent() != nil {
		errs = append(errs, a.queue.Forward(ctx, a.outbox))
	}
	errs = append(errs, a.forward(ctx))
	if a.fleet() != nil {
		errs = append(errs, a.bookings.resolve(ctx))
	}
	return errors.Join(errs...)
}

// Waiting counts the events in the kiosk's own outbox (ratings, booking
// requests, faults) not yet handed to the agent.
func (a *App) Waiting(ctx context.Context) (int, error) { return a.store.countEvents(ctx) }

// announce plays the chime, then hands the call to Options.Announce (the
// voice).
func (a *App) announce(ctx context.Context) func(queue.Call) {
	return func(c queue.Call) {
		if err := a.chime.Play(ctx); err != nil {
			a.log.Warn("the call chime did not play", "err", err)
		}
		if a.opts.Announce != nil {
			a.opts.Announce(c)
		}
	}
}

// outcome prints and reports the fleet's answer to a pending booking, and
// queues it for the home screen.
func (a *App) outcome(ctx context.Context, o Outcome) {
	a.videos.refresh(ctx)
	a.updates.push(o.Booking)
	if o.Booking.Status == flow.BookingConfirmed && a.psvc != nil && on(a.cfg.PrintOutcomes) {
		if err := a.psvc.PrintBooking(ctx, o.Booking); err != nil {
			a.log.Warn("the confirmed booking's slip did not print", "code", o.Booking.Code, "err", err)
		}
	}
	if a.opts.Outcome != nil {
		a.opts.Outcome(o)
	}
}

// Close closes the agent's store, the queue, the kiosk's store and the
// printer. Call it after Run returned.
func (a *App) Close() error {
	var errs []error
	if dev := a.DeviceAgent(); dev != nil {
		errs = append(errs, dev.Close())
	}
	if a.printer != nil {
		errs = append(errs, a.printer.Close())
	}
	if a.queue != nil {
		errs = append(errs, a.queue.Close())
	}
	if a.store != nil {
		errs = append(errs, a.store.Close())
	}
	return errors.Join(errs...)
}

// switchClock is the queue's clock: the system's (NTP) until the agent
// starts, then the agent's, which the fleet's time also sets.
type switchClock struct{ c atomic.Pointer[queue.Clock] }

func (s *switchClock) set(c queue.Clock) { s.c.Store(&c) }
func (s *switchClock) get() queue.Clock  { return *s.c.Load() }

// Now, Trusted and BootID implement queue.Clock.
func (s *switchClock) Now() time.Time { return s.get().Now() }
func (s *switchClock) Trusted() bool  { return s.get().Trusted() }
func (s *switchClock) BootID() string { return s.get().BootID() }
