package server

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"lawpoint/fleet"
	"lawpoint/fleet/broker"
	"lawpoint/fleet/sqlitestore"
)

// ServeConfig says where to listen. Empty addresses are not served; at
// least one MQTT address is needed.
type ServeConfig struct {
	Data  string
	MQTT  string // plain MQTT, e.g. ":1883"
	MQTTS string // MQTT over TLS, e.g. ":8883", with the certificate from Init
	HTTP  string // e.g. ":8080"

	Logger *slog.Logger
	// Ready, if set, is called once everything listens, with the bound
	// addresses by name ("mqtt", "mqtts", "http").
	Ready func(addrs map[string]string)
}

// ShutdownTimeout bounds the graceful part of a shutdown.
const ShutdownTimeout = 10 * time.Second

// Serve runs the fleet until ctx ends (SIGINT/SIGTERM in the command), then
// stops taking connections, writes what is queued, and closes the store.
func Serve(ctx context.Context, cfg ServeConfig) error {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.MQTT == "" && cfg.MQTTS == "" {
		return errors.New("serve: give --mqtt or --mqtts (or both)")
	}
	st, err := sqlitestore.Open(ctx, filepath.Join(cfg.Data, StoreFile))
	if err != nil {
		return fmt.Errorf("serve: %w (did you run lawpoint-fleet init --data %s?)", err, cfg.Data)
	}
	defer st.Close()
	reg := fleet.NewRegistry(st)

	bcfg := broker.Config{TCP: cfg.MQTT, TLS: cfg.MQTTS, Logger: log}
	if cfg.MQTTS != "" {
		cert, err := tls.LoadX509KeyPair(filepath.Join(cfg.Data, ServerCertFile), filepath.Join(cfg.Data, ServerKeyFile))
		if err != nil {
			return fmt.Errorf("serve: load the MQTT server certificate: %w (run lawpoint-fleet init, or leave out --mqtts)", err)
		}
		bcfg.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	b, err := broker.New(reg, bcfg)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if err := b.Start(ctx); err != nil {
		b.Close()
		return fmt.Errorf("serve: %w", err)
	}

	tracker := fleet.NewPresenceTracker(st, log)
	if err := tracker.Subscribe(ctx, b.Bus()); err != nil {
		b.Close()
		return fmt.Errorf("serve: %w", err)
	}
	// The tracker outlives ctx by the shutdown sequence below, so that
	// wills published while the broker closes are still stored.
	trCtx, stopTracker := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { tracker.Run(trCtx) })

	addrs := map[string]string{}
	if cfg.MQTT != "" {
		addrs["mqtt"] = b.Addr("tcp")
	}
	if cfg.MQTTS != "" {
		addrs["mqtts"] = b.Addr("tls")
	}
	var hs *http.Server
	httpErr := make(chan error, 1)
	if cfg.HTTP != "" {
		ln, err := net.Listen("tcp", cfg.HTTP)
		if err != nil {
			b.Close()
			stopTracker()
			wg.Wait()
			return fmt.Errorf("serve: listen on %s for HTTP: %w", cfg.HTTP, err)
		}
		addrs["http"] = ln.Addr().String()
		hs = &http.Server{Handler: healthHandler(b), ReadHeaderTimeout: 10 * time.Second}
		go func() { httpErr <- hs.Serve(ln) }()
	}
	log.Info("lawpoint-fleet serving", "addresses", addrs)
	if cfg.Ready != nil {
		cfg.Ready(addrs)
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case err := <-httpErr:
		serveErr = fmt.Errorf("serve: HTTP: %w", err)
	}
	log.Info("lawpoint-fleet shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	if hs != nil {
		if err := hs.Shutdown(sctx); err != nil {
			log.Warn("HTTP shutdown", "error", err)
		}
	}
	b.Close()     // disconnect devices; their wills reach the tracker
	stopTracker() // then write what is queued
	wg.Wait()
	log.Info("lawpoint-fleet stopped")
	return serveErr
}

// healthHandler answers GET /healthz with the number of connected clients.
// The staff API under /api/ comes with the next layer of issue 4.
func healthHandler(b *broker.Broker) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"status": "ok", "mqtt_clients": b.Connected()})
	})
	return mux
}
