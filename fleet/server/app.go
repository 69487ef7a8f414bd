package server

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"lawpoint/content"
	"lawpoint/fleet"
	"lawpoint/fleet/api"
	"lawpoint/fleet/console"
)

// BlobDir is the folder of item bytes and screenshots in the data folder.
const BlobDir = "blobs"

// App is the fleet's logic wired onto one store and one MQTT bus: the
// presence tracker, the content library, the desired-state distributor, the
// command dispatcher, the event/telemetry ingest and the HTTP API. Serve
// builds one; tests build one on an embedded broker and an httptest server.
type App struct {
	Store       fleet.Store
	Registry    *fleet.Registry
	Library     *fleet.Library
	Tracker     *fleet.PresenceTracker
	Distributor *fleet.Distributor
	Dispatcher  *fleet.Dispatcher
	Ingest      *fleet.Ingest
	Calls       *fleet.CallBoards // ticket calls on the village's LED boards
	API         *api.Server
	Console     *console.Console

	log  *slog.Logger
	bus  fleet.Bus
	wg   sync.WaitGroup
	stop context.CancelFunc
	tctx context.Context
	tcan context.CancelFunc
}

// AppConfig is what an App needs.
type AppConfig struct {
	Store     fleet.Store
	Bus       fleet.Bus
	Key       ed25519.PrivateKey
	BlobDir   string
	Logger    *slog.Logger
	MQTTURL   string       // told to devices at enrolment
	Connected func() int64 // MQTT clients, for /healthz
}

// NewApp wires the fleet's parts. Call Start to subscribe and run them.
func NewApp(cfg AppConfig) (*App, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	blobs, err := fleet.NewBlobs(cfg.BlobDir)
	if err != nil {
		return nil, err
	}
	a := &App{Store: cfg.Store, Registry: fleet.NewRegistry(cfg.Store), log: log, bus: cfg.Bus}
	a.Library = fleet.NewLibrary(cfg.Store, blobs)
	a.Tracker = fleet.NewPresenceTracker(cfg.Store, log)
	a.Distributor = fleet.NewDistributor(cfg.Store, cfg.Bus, cfg.Key, log)
	a.Dispatcher = fleet.NewDispatcher(cfg.Store, cfg.Bus, log)
	a.Ingest = fleet.NewIngest(cfg.Store, cfg.Bus, log)
	a.Calls = fleet.NewCallBoards(a.Library, cfg.Store, log)
	a.Ingest.OnTicketCalled = a.Calls.Called
	a.Library.OnChange = a.Distributor.Trigger
	a.Tracker.OnBehind = a.Distributor.OnBehind
	a.Tracker.OnApplied = a.Dispatcher.OnPresence
	a.API = api.New(api.Config{Registry: a.Registry, Library: a.Library, Distributor: a.Distributor, Dispatcher: a.Dispatcher,
		Logger: log, PublicKey: content.EncodePublicKey(cfg.Key.Public().(ed25519.PublicKey)), MQTTURL: cfg.MQTTURL, Connected: cfg.Connected})
	// The console keeps staff accounts, sessions and the audit log; a store
	// without them (a test's wrapper) gets the API alone.
	if _, ok := cfg.Store.(fleet.AccountStore); ok {
		a.Console = console.New(console.Config{Registry: a.Registry, Library: a.Library, Dispatcher: a.Dispatcher, Bookings: a.API.Bookings(), Logger: log,
			Tickets: console.FleetTickets(fleet.NewTickets(cfg.Store))})
	}
	return a, nil
}

// Handler is the fleet's HTTP side: the JSON API (and the device-facing
// content, calendar and health routes it serves) and, for everything else,
// the staff console.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", a.API)
	mux.Handle("/content/", a.API)
	mux.Handle("/calendar/", a.API)
	mux.Handle("/healthz", a.API)
	if a.Console != nil {
		mux.Handle("/", a.Console)
	}
	return mux
}

// Start subscribes every part to the bus and runs them. In the background
// it then republishes the stored desired state (a started embedded broker
// holds no retained messages) and recomputes what changed: with 10,000
// devices the republish takes seconds, and the API (and /healthz, which
// says when it is done) must not wait for it. Start returns once the
// subscriptions are in place. Stop ends everything.
func (a *App) Start(ctx context.Context) error {
	if err := a.Tracker.Subscribe(ctx, a.bus); err != nil {
		return err
	}
	if err := a.Distributor.SubscribeReported(ctx, a.bus); err != nil {
		return err
	}
	if err := a.Dispatcher.Subscribe(ctx, a.bus); err != nil {
		return err
	}
	if err := a.Ingest.Subscribe(ctx, a.bus); err != nil {
		return err
	}
	// The tracker outlives the others so that wills published while the
	// broker closes are still stored (see Serve).
	a.tctx, a.tcan = context.WithCancel(context.WithoutCancel(ctx))
	a.wg.Go(func() { a.Tracker.Run(a.tctx) })
	rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	a.stop = stop
	a.wg.Go(func() { a.Distributor.Run(rctx) })
	a.wg.Go(func() { a.Dispatcher.Run(rctx) })
	a.wg.Go(func() { a.Ingest.Run(rctx) })
	a.wg.Go(func() { a.Calls.Run(rctx) })
	if a.Console != nil {
		a.wg.Go(func() { a.Console.Run(rctx, 10*time.Minute) }) // prunes ended console sessions
	}
	// Booking requests that reached the fleet as device events (a kiosk that
	// was offline) are confirmed or set aside for staff in the background.
	if b := a.API.Bookings(); b != nil {
		a.wg.Go(func() { b.Run(rctx, 10*time.Second) })
	}
	a.wg.Go(func() { a.republish(rctx) })
	return nil
}

// republish runs RepublishAll until it succeeds (a store error is retried
// with a growing pause) or ctx ends, then asks for the first recompute.
// Recomputes triggered meanwhile (a content change through the API) run
// beside it; Distributor.publish keeps each device's versions in order.
func (a *App) republish(ctx context.Context) {
	defer a.Distributor.Trigger()
	pause := time.Second
	for {
		n, err := a.Distributor.RepublishAll(ctx)
		if err == nil {
			if n > 0 {
				a.log.Info("desired state republished", "devices", n)
			}
			return
		}
		if ctx.Err() != nil {
			return
		}
		a.log.Warn("stored desired state not republished; retrying", "error", err, "retry_in", pause)
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		pause = min(2*pause, time.Minute)
	}
}

// StopWorkers stops the distributor, dispatcher and ingest.
func (a *App) StopWorkers() {
	if a.stop != nil {
		a.stop()
	}
}

// Stop stops every part (after the broker closed, so the tracker has the
// wills) and waits for them.
func (a *App) Stop() {
	a.StopWorkers()
	if a.tcan != nil {
		a.tcan()
	}
	a.wg.Wait()
}

// LoadSigningKey reads the county key Init wrote.
func LoadSigningKey(data string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(filepath.Join(data, SigningKeyFile))
	if err != nil {
		return nil, fmt.Errorf("read the content-signing key: %w (run lawpoint-fleet init --data %s)", err, data)
	}
	key, err := content.DecodePrivateKey(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("read the content-signing key %s: %w", filepath.Join(data, SigningKeyFile), err)
	}
	return key, nil
}

// readFleetPassword reads the fleet's MQTT password Init wrote.
func readFleetPassword(data string) (string, error) {
	b, err := os.ReadFile(filepath.Join(data, FleetPasswordFile))
	if err != nil {
		return "", fmt.Errorf("read the fleet's MQTT password: %w", err)
	}
	pw := strings.TrimSpace(string(b))
	if pw == "" {
		return "", errors.New("the fleet's MQTT password file is empty: restore it from a backup")
	}
	return pw, nil
}
