package fleet

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"lawpoint/content"
	"lawpoint/device/wire"
	"lawpoint/fleet/internal/ratelog"
)

// DefaultSettings are the settings a device gets unless staff set others.
var DefaultSettings = wire.Settings{Brightness: 80, Volume: 60, TimeZone: "Asia/Shanghai", TelemetryInterval: 60}

// Distributor keeps every device's desired state: it resolves the device's
// 14-day plan from the content set (content.Compile, BuildManifest), signs
// the manifest with the county key, and publishes it with the device's
// settings as the retained desired-state message (docs/PROTOCOL.md
// section 6). A device gets a new version only when something that reaches
// it changed (the content targeting it, its settings, its session floor) or
// its manifest runs out within RefreshBefore; otherwise a recompute costs a
// digest comparison. It also tracks reported state.
type Distributor struct {
	store Store
	bus   Bus
	key   ed25519.PrivateKey
	log   *slog.Logger
	warn  *ratelog.Limiter
	now   func() time.Time

	// RefreshBefore: a manifest that expires within this is replaced
	// (default 7 days, half the plan).
	RefreshBefore time.Duration
	// Interval between periodic recomputes (default 1 hour).
	Interval time.Duration
	// PublishTimeout bounds one publish (default 10 s).
	PublishTimeout time.Duration
	// Workers is how many devices a recompute evaluates and builds at once
	// (default 0: one per core, runtime.GOMAXPROCS).
	Workers int
	// fullBuilds turns the manifest templates off (tests compare both);
	// templated counts the desired states made from one.
	fullBuilds bool
	templated  atomic.Int64

	mu       sync.Mutex // one recompute at a time; guards the cache
	rev      int64
	compiled *content.Compiled
	digests  *setDigests

	// pubMu orders publishes: sent is the newest desired version handed to
	// the bus per device, and a publish of an older one is skipped (see
	// publish). Held across one publish, never across a store call.
	pubMu sync.Mutex
	sent  map[string]uint64

	// Progress of RepublishAll, for /healthz (RepublishStatus).
	repubMu    sync.Mutex
	repubState string
	repubCount int
	repubRuns  int

	trigger chan struct{}
	// Reported state waiting to be stored: the newest message per device
	// (so a burst of reports from the whole fleet is never dropped, and
	// memory stays bounded by the number of devices). repWake wakes Run.
	repMu      sync.Mutex
	repPending map[string]ReportedUpdate
	repWake    chan struct{}
}

// NewDistributor returns a distributor signing with key and publishing on
// bus.
func NewDistributor(s Store, bus Bus, key ed25519.PrivateKey, log *slog.Logger) *Distributor {
	if log == nil {
		log = slog.Default()
	}
	return &Distributor{
		store: s, bus: bus, key: key, log: log, warn: ratelog.New(log, time.Minute), now: time.Now,
		RefreshBefore: 7 * 24 * time.Hour, Interval: time.Hour, PublishTimeout: 10 * time.Second,
		sent: map[string]uint64{}, repubState: RepublishPending,
		trigger: make(chan struct{}, 1), repPending: map[string]ReportedUpdate{}, repWake: make(chan struct{}, 1),
	}
}

// SetClock replaces the clock (tests, simulations).
func (d *Distributor) SetClock(now func() time.Time) { d.now = now }

// Trigger asks Run for a recompute of every device soon; it never blocks,
// and several triggers before the recompute starts make one.
func (d *Distributor) Trigger() {
	select {
	case d.trigger <- struct{}{}:
	default:
	}
}

// Run recomputes when triggered and every Interval, and stores reported
// state, until ctx ends.
func (d *Distributor) Run(ctx context.Context) error {
	tick := time.NewTicker(d.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			// Store what is queued before returning.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			d.storeReported(fctx)
			cancel()
			return nil
		case <-d.trigger:
			d.recomputeLogged(ctx)
		case <-tick.C:
			d.recomputeLogged(ctx)
		case <-d.repWake:
			d.storeReported(ctx)
		}
	}
}

// reportedBatch is how many reported states one transaction stores.
const reportedBatch = 1000

// storeReported stores every queued reported state, in transactions of
// reportedBatch. A batch the store refuses is queued again (unless a newer
// report of the device arrived meanwhile) for the next wake-up.
func (d *Distributor) storeReported(ctx context.Context) {
	d.repMu.Lock()
	if len(d.repPending) == 0 {
		d.repMu.Unlock()
		return
	}
	all := make([]ReportedUpdate, 0, len(d.repPending))
	for _, u := range d.repPending {
		all = append(all, u)
	}
	clear(d.repPending)
	d.repMu.Unlock()
	for len(all) > 0 {
		n := min(reportedBatch, len(all))
		if _, err := d.store.UpdateReported(ctx, all[:n]); err != nil {
			d.warn.Warn("reported-store", "reported state not stored; retrying with the next report", "devices", n, "error", err)
			for _, u := range all { // this batch and the ones after it
				d.queueReported(u)
			}
			return
		}
		all = all[n:]
	}
}

// queueReported keeps u unless a newer report of the device is queued.
func (d *Distributor) queueReported(u ReportedUpdate) {
	d.repMu.Lock()
	if old, ok := d.repPending[u.DeviceID]; !ok || u.Reported.Newer(old.Reported) {
		d.repPending[u.DeviceID] = u
	}
	d.repMu.Unlock()
}

func (d *Distributor) recomputeLogged(ctx context.Context) {
	st, err := d.RecomputeAll(ctx)
	if err != nil {
		d.warn.Warn("recompute", "desired state not recomputed; retrying on the next change or tick", "error", err)
		return
	}
	if st.Issued > 0 || st.Failed > 0 {
		d.log.Info("desired state recomputed", "devices", st.Devices, "issued", st.Issued, "republished", st.Republished, "failed", st.Failed)
	}
}

// RecomputeStats counts what a recompute did.
type RecomputeStats struct {
	Devices     int // devices looked at
	Issued      int // new desired versions stored and published
	Republished int // unchanged versions published again (not yet taken by the broker)
	Failed      int // devices whose desired state could not be made or published
}

// compiledSet returns the compiled current content, cached by revision.
func (d *Distributor) compiledSet(ctx context.Context) (*content.Compiled, *setDigests, error) {
	set, rev, err := d.store.ContentSet(ctx)
	if err != nil {
		return nil, nil, err
	}
	if d.compiled != nil && rev == d.rev {
		return d.compiled, d.digests, nil
	}
	c, err := content.Compile(set)
	if err != nil {
		return nil, nil, fmt.Errorf("compile content revision %d: %w (fix the content in the console; devices keep their last state)", rev, err)
	}
	d.compiled, d.digests, d.rev = c, newSetDigests(set), rev
	return c, d.digests, nil
}

// RecomputeAll recomputes every active device's desired state.
func (d *Distributor) RecomputeAll(ctx context.Context) (RecomputeStats, error) {
	return d.recompute(ctx, nil, false)
}

// Recompute recomputes the listed devices; force issues a new version
// even when nothing changed.
func (d *Distributor) Recompute(ctx context.Context, force bool, ids ...string) (RecomputeStats, error) {
	if ids == nil {
		ids = []string{}
	}
	return d.recompute(ctx, ids, force)
}

// pageSize is how many devices one transaction covers.
const pageSize = 500

func (d *Distributor) recompute(ctx context.Context, ids []string, force bool) (RecomputeStats, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var stats RecomputeStats
	c, dg, err := d.compiledSet(ctx)
	if err != nil {
		return stats, err
	}
	now := d.now().UTC().Truncate(time.Second)
	var ts *templates
	if !d.fullBuilds {
		ts = newTemplates(c)
	}
	process := func(devs []Device, states map[string]DeviceState) error {
		// Digests and new desired states are made on every core (the
		// manifests' plans, encoding and signatures are most of a
		// recompute); what they lead to is then taken in device order.
		outs := make([]outcome, len(devs))
		parallel(len(devs), d.workers(), func(i int) {
			outs[i] = d.evaluate(c, dg, ts, devs[i], states[devs[i].ID], force, now)
		})
		var ups []DesiredUpdate
		var republish []DeviceState
		for i, o := range outs {
			stats.Devices++
			switch {
			case o.err != nil:
				stats.Failed++
				d.warn.Warn("build:"+devs[i].ID, "desired state not built", "device", devs[i].ID, "error", o.err)
			case o.unchanged:
				if st := states[devs[i].ID]; !st.Published {
					republish = append(republish, st)
				}
			default:
				ups = append(ups, o.update)
			}
		}
		stats.Republished += len(republish)
		if len(ups) > 0 {
			ok, err := d.store.PutDesired(ctx, ups)
			if err != nil {
				return err
			}
			for i, u := range ups {
				if ok[i] {
					republish = append(republish, DeviceState{DeviceID: u.DeviceID, Version: u.Version, Payload: u.Payload})
					stats.Issued++
				}
			}
		}
		stats.Failed += d.publish(ctx, republish)
		return nil
	}
	if ids != nil {
		var devs []Device
		states := map[string]DeviceState{}
		for _, id := range ids {
			dev, err := d.store.Device(ctx, id)
			if err != nil {
				return stats, err
			}
			if dev.IsRevoked() {
				continue
			}
			st, err := d.store.State(ctx, id)
			if err != nil {
				return stats, err
			}
			devs = append(devs, dev)
			states[id] = st
		}
		return stats, process(devs, states)
	}
	after := ""
	for {
		devs, err := d.store.Devices(ctx, Filter{After: after, Limit: pageSize})
		if err != nil {
			return stats, err
		}
		if len(devs) == 0 {
			break
		}
		// Summaries: a published payload is not needed here (an unchanged
		// one is not published again, a changed one is replaced), and
		// reading every device's ~28 KB back cost more than a second per
		// county-wide change with 10,000 devices.
		sts, err := d.store.StateSummaries(ctx, after, pageSize)
		if err != nil {
			return stats, err
		}
		states := make(map[string]DeviceState, len(sts))
		for _, s := range sts {
			states[s.DeviceID] = s
		}
		if err := process(devs, states); err != nil {
			return stats, err
		}
		after = devs[len(devs)-1].ID
		if err := ctx.Err(); err != nil {
			return stats, err
		}
	}
	return stats, nil
}

// build makes the next desired state of one device: from its group's
// manifest template when ts has one (manifest_template.go), else in full.
func (d *Distributor) build(c *content.Compiled, ts *templates, dev content.Device, st DeviceState, settings wire.Settings, digest string, now time.Time) (DesiredUpdate, error) {
	des := wire.Desired{Version: st.Version + 1, IssuedAt: now, Settings: settings, SessionFloor: st.SessionFloor}
	serial := st.Serial + 1
	var tp *template
	if ts != nil && wire.ValidateDeviceID(dev.ID) == nil {
		tp = ts.get(dev)
	}
	if tp != nil {
		var (
			first bool
			u     DesiredUpdate
			err   error
		)
		tp.once.Do(func() {
			first = true
			var m *content.Manifest
			var signed []byte
			u, m, signed, err = d.buildFull(c, dev, des, serial, digest)
			if err != nil {
				return
			}
			if tp.ok = tp.init(d.key, m, signed, des, u.Payload); tp.ok {
				ts.hold(tp)
			} else {
				d.warn.Warn("manifest-template", "manifest template failed its self-check; building its group's manifests in full", "device", dev.ID)
			}
		})
		if first {
			return u, err
		}
		if tp.ok {
			if payload, ok := tp.desired(d.key, dev.ID, serial, des); ok {
				d.templated.Add(1)
				return DesiredUpdate{DeviceID: dev.ID, Version: des.Version, Serial: serial, Digest: digest, Expires: tp.expires, Issued: now, Payload: payload}, nil
			}
		}
	}
	u, _, _, err := d.buildFull(c, dev, des, serial, digest)
	return u, err
}

// buildFull makes one device's desired state des with manifest serial:
// plan, canonical manifest, signature, wire encoding. It also returns the
// manifest and the signed envelope.
func (d *Distributor) buildFull(c *content.Compiled, dev content.Device, des wire.Desired, serial uint64, digest string) (DesiredUpdate, *content.Manifest, []byte, error) {
	m, err := c.BuildManifest(dev, serial, des.IssuedAt)
	if err != nil {
		return DesiredUpdate{}, nil, nil, err
	}
	signed, err := content.Sign(m, d.key)
	if err != nil {
		return DesiredUpdate{}, nil, nil, err
	}
	des.Manifest = signed
	payload, err := wire.Encode(des)
	if err != nil {
		return DesiredUpdate{}, nil, nil, err
	}
	return DesiredUpdate{DeviceID: dev.ID, Version: des.Version, Serial: serial, Digest: digest, Expires: m.ExpiresAt, Issued: des.IssuedAt, Payload: payload}, m, signed, nil
}

// publish sends stored desired states to the broker (retained, QoS 1) and
// marks them published; it returns how many failed (they are retried on
// the next recompute).
//
// Order: RepublishAll runs beside recomputes (it does not take d.mu, so a
// restart with 10,000 devices does not hold every change back while it
// runs) and publishes states it read from the store a moment earlier. A
// recompute may meanwhile have stored and published version N+1 of a
// device whose page RepublishAll read at version N; publishing N after
// that would leave the broker retaining the older state, and the device
// (which ignores versions below its own) would see N+1 only after the next
// change. So every publish goes through pubMu and compares the stored
// version it carries with the newest version already handed to the bus
// for the device (sent): an older one is skipped, an equal one is
// published again (same version, same bytes: harmless). Versions of a
// device only grow (PutDesired is a compare-and-set on the version), so
// the version is a total order of its states; publishes within a process
// are therefore never overtaken by a stale one. (A skipped state is not
// counted as failed and not marked published: the newer one was.)
func (d *Distributor) publish(ctx context.Context, sts []DeviceState) int {
	if len(sts) == 0 {
		return 0
	}
	failed := 0
	done := make(map[string]uint64, len(sts))
	for _, st := range sts {
		d.pubMu.Lock()
		if st.Version < d.sent[st.DeviceID] {
			d.pubMu.Unlock()
			continue // a newer version is already at the broker
		}
		pctx, cancel := context.WithTimeout(ctx, d.PublishTimeout)
		err := d.bus.Publish(pctx, wire.Topic(st.DeviceID, wire.KindDesired), st.Payload, 1, true)
		cancel()
		if err == nil {
			d.sent[st.DeviceID] = st.Version
		}
		d.pubMu.Unlock()
		if err != nil {
			failed++
			d.warn.Warn("publish-desired", "desired state not published; retrying on the next recompute", "device", st.DeviceID, "error", err)
			continue
		}
		done[st.DeviceID] = st.Version
	}
	if err := d.store.MarkPublished(ctx, done); err != nil {
		d.warn.Warn("mark-published", "could not record published desired states; they will be published again", "error", err)
	}
	return failed
}

// RepublishAll publishes every stored desired state again, unchanged (same
// version): after the embedded broker started (it keeps retained messages
// in memory only) or an external broker lost them. It may run beside
// recomputes and the API (publish keeps each device's states in version
// order); RepublishStatus tells how far it is.
func (d *Distributor) RepublishAll(ctx context.Context) (n int, err error) {
	d.repubMu.Lock()
	d.repubRuns++
	d.repubState = RepublishRunning
	d.repubMu.Unlock()
	defer func() {
		d.repubMu.Lock()
		d.repubRuns--
		if d.repubRuns == 0 {
			d.repubState, d.repubCount = RepublishDone, n
			if err != nil {
				d.repubState = RepublishFailed
			}
		}
		d.repubMu.Unlock()
	}()
	after := ""
	for {
		sts, err := d.store.States(ctx, after, pageSize)
		if err != nil {
			return n, err
		}
		if len(sts) == 0 {
			return n, nil
		}
		var have []DeviceState
		for _, s := range sts {
			if s.Payload != nil {
				have = append(have, s)
			}
		}
		n += len(have) - d.publish(ctx, have)
		after = sts[len(sts)-1].DeviceID
		if err := ctx.Err(); err != nil {
			return n, err
		}
	}
}

// States of the republication of stored desired state (RepublishStatus).
const (
	RepublishPending = "pending" // not started yet
	RepublishRunning = "running" // RepublishAll is running
	RepublishDone    = "done"    // the last one finished
	RepublishFailed  = "failed"  // the last one stopped on an error (it is retried)
)

// RepublishStatus says whether the stored desired state has been
// republished (one of the Republish constants) and, once a run ended, how
// many devices' states that run published.
func (d *Distributor) RepublishStatus() (state string, devices int) {
	d.repubMu.Lock()
	defer d.repubMu.Unlock()
	return d.repubState, d.repubCount
}

// OnBehind is the presence tracker's hook for a device that came online
// with a session older than one seen (it lost its counter): the desired
// state is republished with session_floor = seen. It does not block.
func (d *Distributor) OnBehind(deviceID string, seen uint64) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := d.store.SetSessionFloor(ctx, deviceID, seen); err != nil {
			d.warn.Warn("session-floor", "session floor not stored", "device", deviceID, "error", err)
			return
		}
		// Force: even with the floor unchanged the device must hear it again.
		if _, err := d.Recompute(ctx, true, deviceID); err != nil {
			d.warn.Warn("session-floor", "desired state with session_floor not published", "device", deviceID, "error", err)
		}
	}()
}

// SubscribeReported subscribes to every device's reported state.
func (d *Distributor) SubscribeReported(ctx context.Context, bus Bus) error {
	if err := bus.Subscribe(ctx, wire.SharedFilter(wire.KindReported), 1, d.HandleReported); err != nil {
		return fmt.Errorf("reported state: %w", err)
	}
	return nil
}

// HandleReported decodes a reported-state message and queues it for Run,
// which stores the newest one per device. It never blocks and never drops
// a report for lack of room.
func (d *Distributor) HandleReported(m Message) {
	id, kind, err := wire.ParseTopic(m.Topic)
	if err != nil || kind != wire.KindReported {
		d.warn.Warn("reported-topic", "message on an unexpected reported topic ignored", "topic", m.Topic)
		return
	}
	if len(m.Payload) == 0 {
		return
	}
	if spec, _ := wire.SpecOf(wire.KindReported); len(m.Payload) > spec.MaxBytes {
		d.warn.Warn("reported:"+id+":too_large", "oversized reported state dropped", "device", id, "bytes", len(m.Payload))
		return
	}
	r, err := wire.DecodeReported(m.Payload)
	if err != nil {
		d.warn.Warn("reported:"+id+":"+wire.Code(err), "reported state refused", "device", id, "error", err)
		return
	}
	d.queueReported(ReportedUpdate{DeviceID: id, Reported: r, Received: d.now()})
	select {
	case d.repWake <- struct{}{}:
	default:
	}
}

// Rollout says how far a device is from its desired state.
type Rollout struct {
	Status wire.Status  `json:"status"` // converged, pending or failed
	Reason *wire.Reason `json:"reason,omitempty"`
	// Desired and Applied are the desired version issued and the one the
	// device last reported about.
	Desired uint64 `json:"desired_version"`
	Applied uint64 `json:"reported_version"`
	Serial  uint64 `json:"manifest_serial"`
}

// RolloutOf classifies a device's state: converged once it reports
// converged for the current desired version (or a later one); failed when
// it reports failed for it, with its reason; pending otherwise.
func RolloutOf(st DeviceState) Rollout {
	r := Rollout{Status: wire.Pending, Desired: st.Version, Serial: st.Serial}
	rep := st.Reported
	if rep == nil {
		r.Reason = &wire.Reason{Code: "no_report", Message: "the device has not reported yet"}
		return r
	}
	r.Applied = rep.DesiredVersion
	if rep.DesiredVersion < st.Version || st.Version == 0 {
		r.Reason = &wire.Reason{Code: "not_received", Message: "the device has not reported on the newest desired version yet"}
		if st.Version == 0 {
			r.Reason = &wire.Reason{Code: "no_desired", Message: "no desired state issued yet"}
		}
		return r
	}
	r.Status, r.Reason = rep.Status, rep.Reason
	return r
}

// setDigests holds a digest per schedule (with its programme and items),
// per fallback and per notice, so a device's inputs digest is a few
// hashes combined.
type setDigests struct {
	schedules map[string]string
	fallbacks map[string]string
	notices   []noticeDigest
}

type noticeDigest struct {
	n      content.Notice
	digest string
}

func hashJSON(vs ...any) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, v := range vs {
		_ = enc.Encode(v)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func newSetDigests(set *content.Set) *setDigests {
	items := make(map[string]*content.Item, len(set.Items))
	for i := range set.Items {
		items[set.Items[i].ID] = &set.Items[i]
	}
	progs := make(map[string]string, len(set.Programmes))
	for _, p := range set.Programmes {
		parts := []any{p}
		for _, e := range p.Entries {
			parts = append(parts, items[e.ItemID])
		}
		progs[p.ID] = hashJSON(parts...)
	}
	sd := &setDigests{schedules: map[string]string{}, fallbacks: map[string]string{}}
	for _, s := range set.Schedules {
		sd.schedules[s.ID] = hashJSON(s, progs[s.ProgrammeID])
	}
	for k, p := range set.Fallbacks {
		sd.fallbacks[k] = hashJSON(p, progs[p])
	}
	for _, n := range set.Notices {
		sd.notices = append(sd.notices, noticeDigest{n, hashJSON(n)})
	}
	return sd
}

// device is the digest of everything that shapes dev's desired state.
func (sd *setDigests) device(c *content.Compiled, dev content.Device, s wire.Settings, floor uint64) string {
	parts := []any{dev, s, floor, sd.fallbacks[dev.Kind]}
	for _, id := range c.Targeted(dev) {
		parts = append(parts, sd.schedules[id])
	}
	for _, nd := range sd.notices {
		for _, r := range nd.n.Regions {
			if content.InRegion(dev.Region, r) {
				parts = append(parts, nd.digest)
				break
			}
		}
	}
	return hashJSON(parts...)
}

// SetSettings stores a device's settings (nil: back to DefaultSettings)
// and publishes the new desired state.
func (d *Distributor) SetSettings(ctx context.Context, id string, s *wire.Settings) error {
	if s != nil {
		probe := wire.Desired{Schema: wire.Schema, Version: 1, IssuedAt: time.Unix(1, 0), Settings: *s}
		if err := probe.Validate(); err != nil {
			return &Error{Code: ErrInvalid.Code, Msg: "invalid settings: " + err.Error(),
				Zh: "设备设置有误：亮度和音量须在0到100之间，时区如 Asia/Shanghai，遥测间隔10到3600秒，开关机时间为 HH:MM"}
		}
	}
	if err := d.store.SetSettings(ctx, id, s); err != nil {
		return err
	}
	_, err := d.Recompute(ctx, false, id)
	return err
}
