package device

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"lawpoint/content"
	"lawpoint/device/cache"
	"lawpoint/device/store"
	"lawpoint/device/wire"
)

// Keys of the store's small values.
const (
	keyDesiredVersion = "desired_version" // last desired version handled (applied or failed)
	keyDesired        = "desired"         // that desired payload, for resync
	keySerialMax      = "manifest_serial" // highest manifest serial applied (no rollback)
	keyOutcome        = "desired_outcome" // JSON reason of a failed version, empty when converged
)

// saveOutcome records how a desired version ended, so a restart reports it
// without applying it again.
func (a *Agent) saveOutcome(ctx context.Context, version uint64, reason *wire.Reason) {
	b := []byte{} // converged: an empty outcome (the column is NOT NULL)
	if reason != nil {
		b, _ = json.Marshal(reason)
	}
	if err := a.store.SetBytes(ctx, keyOutcome, b); err != nil {
		a.log.Warn("storing the outcome of the desired state failed", "err", err)
	}
	a.store.SetUint(ctx, keyDesiredVersion, version)
}

// loadReport restores the reported state and the settings in effect after
// a restart.
func (a *Agent) loadReport(ctx context.Context) {
	a.report.status = wire.Converged
	a.report.desiredVersion, _ = a.store.Uint(ctx, keyDesiredVersion)
	if b, err := a.store.Bytes(ctx, keyOutcome); err == nil && len(b) > 0 {
		var r wire.Reason
		if json.Unmarshal(b, &r) == nil && r.Code != "" {
			a.report.status, a.report.reason = wire.Failed, &r
		}
	}
	if b, err := a.store.Bytes(ctx, keyDesired); err == nil {
		if d, err := wire.DecodeDesired(b); err == nil {
			a.report.settings = &d.Settings
			if h := a.cfg.Hooks.Settings; h != nil {
				if loc, err := time.LoadLocation(d.Settings.TimeZone); err == nil {
					h(d.Settings, loc)
				}
			}
		}
	}
}

// reportState is what the next reported message says.
type reportState struct {
	desiredVersion uint64
	status         wire.Status
	reason         *wire.Reason
	progress       *wire.Progress
	settings       *wire.Settings
	brightness     *int // set_brightness override until the next desired version
	lastSent       time.Time
}

// publishReport publishes the reported state (retained) if connected;
// otherwise it goes out after the next connect.
func (a *Agent) publishReport(ctx context.Context) {
	c := a.current()
	if c == nil {
		return
	}
	a.mu.Lock()
	r := wire.Reported{Schema: wire.Schema, Session: c.session, Seq: c.reportSeq.Add(1),
		DesiredVersion: a.report.desiredVersion, ManifestSerial: a.cache.Current().Serial(),
		Status: a.report.status, Reason: a.report.reason, Progress: a.report.progress,
		At: a.clock.Now(), ClockTrusted: a.clock.Trusted()}
	if s := a.report.settings; s != nil {
		cp := *s
		if a.report.brightness != nil {
			cp.Brightness = *a.report.brightness
		}
		r.Settings = &cp
	}
	a.report.lastSent = time.Now()
	a.mu.Unlock()
	if err := a.publish(ctx, c, r); err != nil && ctx.Err() == nil {
		a.log.Warn("publishing the reported state failed; it is sent again after the next connect", "err", err)
	}
}

// setReport changes the reported state and publishes it.
func (a *Agent) setReport(ctx context.Context, version uint64, status wire.Status, reason *wire.Reason, progress *wire.Progress) {
	a.mu.Lock()
	a.report.desiredVersion, a.report.status, a.report.reason, a.report.progress = version, status, reason, progress
	a.mu.Unlock()
	a.publishReport(ctx)
}

func (a *Agent) desiredWorker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.desired.wake:
		}
		for {
			b, actx, done := a.desired.take(ctx)
			if b == nil {
				break
			}
			a.applyDesired(actx, b, false)
			done()
		}
	}
}

// failure is a desired state that cannot be applied.
type failure struct {
	code string
	err  error
}

func (f *failure) Error() string { return f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

// applyDesired verifies and applies one desired state and reports the
// outcome. force re-applies a version already handled (resync).
func (a *Agent) applyDesired(ctx context.Context, b []byte, force bool) error {
	d, err := wire.DecodeDesired(b)
	if err != nil {
		a.rejectDecoded(ctx, wire.KindDesired, err)
		if errors.Is(err, wire.ErrInvalid) {
			a.mu.Lock()
			v := a.report.desiredVersion
			a.mu.Unlock()
			a.setReport(ctx, v, wire.Failed, &wire.Reason{Code: "desired_malformed", Message: truncate(err.Error(), 500)}, nil)
		}
		return err
	}
	if floor := d.SessionFloor; floor > 0 {
		if c := a.current(); c != nil && c.session <= floor {
			a.log.Warn("the fleet has seen newer sessions than ours (session counter lost?); moving past them", "session", c.session, "session_floor", floor)
			if err := a.store.RaiseSession(ctx, floor); err == nil {
				a.reconnect(wire.OfflineShutdown)
			}
		}
	}
	handled, _ := a.store.Uint(ctx, keyDesiredVersion)
	if d.Version < handled || d.Version == handled && !force {
		return nil // handled before (the retained copy after a reconnect)
	}
	err = a.converge(ctx, d, b)
	if ctx.Err() != nil {
		return ctx.Err() // superseded by a newer desired state, or stopping
	}
	var f *failure
	if errors.As(err, &f) {
		a.log.Warn("cannot apply the desired state; keeping the current one", "version", d.Version, "code", f.code, "err", f.err)
		reason := &wire.Reason{Code: f.code, Message: truncate(f.err.Error(), 500)}
		a.saveOutcome(ctx, d.Version, reason)
		a.setReport(ctx, d.Version, wire.Failed, reason, nil)
		return err
	}
	if err != nil {
		a.log.Warn("applying the desired state failed; will retry on the next delivery", "version", d.Version, "err", err)
		a.setReport(ctx, d.Version, wire.Failed, &wire.Reason{Code: "download", Message: truncate(err.Error(), 500)}, nil)
		return err
	}
	a.store.SetBytes(ctx, keyDesired, b)
	a.saveOutcome(ctx, d.Version, nil)
	a.mu.Lock()
	a.report.settings = &d.Settings
	a.report.brightness = nil
	a.mu.Unlock()
	a.setReport(ctx, d.Version, wire.Converged, nil, nil)
	a.log.Info("desired state applied", "version", d.Version, "manifest_serial", a.cache.Current().Serial())
	return nil
}

// converge does the work: settings check, manifest verification, content
// download and switch, settings applied.
func (a *Agent) converge(ctx context.Context, d wire.Desired, raw []byte) error {
	loc, err := time.LoadLocation(d.Settings.TimeZone)
	if err != nil {
		return &failure{"settings", fmt.Errorf("time zone %q cannot be loaded on this device (install tzdata): %w", d.Settings.TimeZone, err)}
	}
	if d.HasManifest() {
		m, err := content.Verify(d.Manifest, a.pub, a.creds.DeviceID, 0, a.clock.Now(), a.clock.Trusted())
		if err != nil {
			return &failure{manifestCode(err), err}
		}
		high, _ := a.store.Uint(ctx, keySerialMax)
		if m.Serial < high {
			return &failure{"manifest_rollback", fmt.Errorf("manifest serial %d is older than the applied %d; keeping the current content: %w", m.Serial, high, content.ErrReplay)}
		}
		if a.cache.Current().Serial() != m.Serial {
			a.setReport(ctx, d.Version, wire.Pending, &wire.Reason{Code: "downloading", Message: fmt.Sprintf("manifest %d: %d items", m.Serial, len(m.Items))}, nil)
			var last time.Time
			progress := func(p cache.Progress) {
				if time.Since(last) < 10*time.Second && p.ItemsReady < p.ItemsTotal {
					return
				}
				last = time.Now()
				a.setReport(ctx, d.Version, wire.Pending, &wire.Reason{Code: "downloading", Message: fmt.Sprintf("%d of %d items", p.ItemsReady, p.ItemsTotal)},
					&wire.Progress{ItemsTotal: p.ItemsTotal, ItemsReady: p.ItemsReady, BytesTotal: p.BytesTotal, BytesReady: p.BytesReady})
			}
			if err := a.cache.Apply(ctx, m, d.Manifest, a.fetch, progress); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return &failure{cache.Code(err), err}
			}
			a.store.SetUint(ctx, keySerialMax, m.Serial)
			if a.cfg.Hooks.Content != nil {
				a.cfg.Hooks.Content(a.cache.Current())
			}
		}
	} else if a.cache.Current() != nil {
		if err := a.cache.Clear(); err != nil {
			return err
		}
		if a.cfg.Hooks.Content != nil {
			a.cfg.Hooks.Content(nil)
		}
	}
	if h := a.cfg.Hooks.Settings; h != nil {
		if err := h(d.Settings, loc); err != nil {
			return &failure{"hardware", fmt.Errorf("applying settings: %w", err)}
		}
	}
	return nil
}

// manifestCode maps a content.Verify error to a reported reason code.
func manifestCode(err error) string {
	switch {
	case errors.Is(err, content.ErrTampered), errors.Is(err, content.ErrUnsigned), errors.Is(err, content.ErrWrongKey):
		return "manifest_signature"
	case errors.Is(err, content.ErrExpired):
		return "manifest_expired"
	case errors.Is(err, content.ErrReplay):
		return "manifest_rollback"
	case errors.Is(err, content.ErrWrongDevice):
		return "manifest_device"
	}
	return "manifest_malformed"
}

// resync re-verifies every content hash, repairs what is damaged,
// re-applies the last desired state and republishes reported.
func (a *Agent) resync(ctx context.Context) error {
	n, err := a.cache.Repair(ctx, a.fetch)
	if err != nil {
		return err
	}
	if n > 0 {
		a.log.Warn("resync repaired damaged content files", "items", n)
	}
	b, err := a.store.Bytes(ctx, keyDesired)
	if errors.Is(err, store.ErrNotFound) {
		a.publishReport(ctx)
		return nil
	}
	if err != nil {
		return err
	}
	if err := a.applyDesired(ctx, b, true); err != nil {
		return err
	}
	return nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// telemetryWorker takes a sample every telemetry_interval_s and sends a
// batch every 5 samples or 5 minutes; offline it keeps the last 60. It
// also republishes a pending reported state every 10 minutes.
func (a *Agent) telemetryWorker(ctx context.Context) {
	for {
		a.mu.Lock()
		interval := 60 * time.Second
		if a.report.settings != nil {
			interval = time.Duration(a.report.settings.TelemetryInterval) * time.Second
		}
		pending := a.report.status == wire.Pending && time.Since(a.report.lastSent) >= 10*time.Minute
		a.mu.Unlock()
		if pending {
			a.publishReport(ctx)
		}
		if sleep(ctx, interval) != nil {
			return
		}
		s := a.Sample()
		a.mu.Lock()
		a.telem = append(a.telem, s)
		if len(a.telem) > wire.MaxSamplesPerBatch {
			a.telem = a.telem[len(a.telem)-wire.MaxSamplesPerBatch:]
		}
		a.mu.Unlock()
		a.flushTelemetry(ctx, false)
	}
}

// flushTelemetry sends the buffered samples when there are 5, when 5
// minutes passed, or when force is set (after a connect).
func (a *Agent) flushTelemetry(ctx context.Context, force bool) {
	c := a.current()
	if c == nil {
		return
	}
	a.mu.Lock()
	due := len(a.telem) > 0 && (force || len(a.telem) >= 5 || time.Since(a.sentAt) >= 5*time.Minute)
	samples := append([]wire.Sample(nil), a.telem...)
	a.mu.Unlock()
	if !due {
		return
	}
	if err := a.publish(ctx, c, wire.TelemetryBatch{Schema: wire.Schema, Samples: samples}); err != nil {
		return
	}
	a.mu.Lock()
	a.telem = a.telem[len(samples):]
	a.sentAt = time.Now()
	a.mu.Unlock()
}
