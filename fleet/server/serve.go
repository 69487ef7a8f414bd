package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet"
	"lawpoint/fleet/broker"
	"lawpoint/fleet/mqttbus"
	"lawpoint/fleet/sqlitestore"
)

// ServeConfig says where to listen. Empty addresses are not served; at
// least one MQTT address is needed unless Broker is set.
type ServeConfig struct {
	Data  string
	MQTT  string // plain MQTT, e.g. ":1883"
	MQTTS string // MQTT over TLS, e.g. ":8883", with the certificate from Init
	HTTP  string // e.g. ":8080"
	// Broker, if set, is an external MQTT 3.1.1 broker
	// ("mqtt://host:1883", "mqtts://host:8883") used instead of the
	// embedded one; the fleet logs in with its account from Init.
	Broker string
	// DeviceMQTTURL is the broker address devices are told at enrolment
	// (e.g. "mqtts://fleet.example.cn:8883"); optional.
	DeviceMQTTURL string

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
	if cfg.MQTT == "" && cfg.MQTTS == "" && cfg.Broker == "" {
		return errors.New("serve: give --mqtt or --mqtts (or both), or --broker for an external broker")
	}
	key, err := LoadSigningKey(cfg.Data)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	st, err := sqlitestore.Open(ctx, filepath.Join(cfg.Data, StoreFile))
	if err != nil {
		return fmt.Errorf("serve: %w (did you run lawpoint-fleet init --data %s?)", err, cfg.Data)
	}
	defer st.Close()
	reg := fleet.NewRegistry(st)

	var (
		b         *broker.Broker
		bus       fleet.Bus
		ext       *mqttbus.Client
		connected func() int64
	)
	reconnected := make(chan struct{}, 1)
	addrs := map[string]string{}
	if cfg.Broker != "" {
		pw, err := readFleetPassword(cfg.Data)
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		mcfg := mqttbus.Config{URL: cfg.Broker, Username: wire.DefaultFleetUser, Password: pw, Logger: log,
			OnConnect: func() {
				select {
				case reconnected <- struct{}{}:
				default:
				}
			}}
		if strings.HasPrefix(cfg.Broker, "mqtts://") {
			if pool, err := loadCA(cfg.Data); err == nil {
				mcfg.TLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
			}
		}
		ext, err = mqttbus.Dial(ctx, mcfg)
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		bus = ext
		select { // the first connect needs no republish beyond Start's
		case <-reconnected:
		case <-time.After(5 * time.Second):
		}
		addrs["broker"] = cfg.Broker
	} else {
		bcfg := broker.Config{TCP: cfg.MQTT, TLS: cfg.MQTTS, Logger: log}
		if cfg.MQTTS != "" {
			cert, err := tls.LoadX509KeyPair(filepath.Join(cfg.Data, ServerCertFile), filepath.Join(cfg.Data, ServerKeyFile))
			if err != nil {
				return fmt.Errorf("serve: load the MQTT server certificate: %w (run lawpoint-fleet init, or leave out --mqtts)", err)
			}
			bcfg.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}
		b, err = broker.New(reg, bcfg)
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		if err := b.Start(ctx); err != nil {
			b.Close()
			return fmt.Errorf("serve: %w", err)
		}
		bus, connected = b.Bus(), b.Connected
		if cfg.MQTT != "" {
			addrs["mqtt"] = b.Addr("tcp")
		}
		if cfg.MQTTS != "" {
			addrs["mqtts"] = b.Addr("tls")
		}
	}
	closeBus := func() {
		if b != nil {
			b.Close()
		}
		if ext != nil {
			ext.Close()
		}
	}

	app, err := NewApp(AppConfig{Store: st, Bus: bus, Key: key, BlobDir: filepath.Join(cfg.Data, BlobDir), Logger: log,
		MQTTURL: cfg.DeviceMQTTURL, Connected: connected})
	if err != nil {
		closeBus()
		return fmt.Errorf("serve: %w", err)
	}
	// HTTP first: the API and /healthz answer while the app starts (the
	// republish of stored desired state runs in the background; /healthz
	// says when it is done).
	var hs *http.Server
	httpErr := make(chan error, 1)
	if cfg.HTTP != "" {
		ln, err := net.Listen("tcp", cfg.HTTP)
		if err != nil {
			closeBus()
			return fmt.Errorf("serve: listen on %s for HTTP: %w", cfg.HTTP, err)
		}
		addrs["http"] = ln.Addr().String()
		hs = &http.Server{Handler: app.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { httpErr <- hs.Serve(ln) }()
	}
	if err := app.Start(ctx); err != nil {
		if hs != nil {
			hs.Close()
		}
		closeBus()
		app.Stop()
		return fmt.Errorf("serve: %w", err)
	}
	// An external broker that restarted may have lost retained messages:
	// republish desired state after every reconnect.
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-reconnected:
				if n, err := app.Distributor.RepublishAll(ctx); err != nil {
					log.Warn("desired state not republished after reconnecting to the broker", "error", err)
				} else {
					log.Info("desired state republished after reconnecting to the broker", "devices", n)
				}
			}
		}
	}()

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
	app.StopWorkers()
	closeBus() // disconnect devices; their wills reach the tracker
	app.Stop() // then write what is queued
	log.Info("lawpoint-fleet stopped")
	return serveErr
}

func loadCA(data string) (*x509.CertPool, error) {
	b, err := os.ReadFile(filepath.Join(data, CACertFile))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, errors.New("no certificate in " + CACertFile)
	}
	return pool, nil
}
