package fleet_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"lawpoint/content"
	"lawpoint/device/wire"
	"lawpoint/fleet"
	"lawpoint/fleet/sqlitestore"
)

// recordBus keeps the last payload published per topic.
type recordBus struct {
	mu   sync.Mutex
	last map[string][]byte
}

func (b *recordBus) Publish(_ context.Context, topic string, payload []byte, _ byte, _ bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.last[topic] = bytes.Clone(payload)
	return nil
}

func (b *recordBus) Subscribe(context.Context, string, byte, fleet.Handler) error { return nil }

// templateCounty is one fleet (store, library, distributor) with a county
// whose devices resolve in many different ways: by region, tag, kind and
// device ID, a device excluded by ID, a notice for one village, a settings
// override and a session floor.
type templateCounty struct {
	st   *sqlitestore.Store
	lib  *fleet.Library
	dist *fleet.Distributor
	bus  *recordBus
	ids  []string
}

var templateNow = time.Date(2026, 12, 3, 9, 30, 0, 0, time.UTC)

func newTemplateCounty(t *testing.T, key []byte, full bool, workers int) *templateCounty {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	st, err := sqlitestore.Open(ctx, filepath.Join(dir, "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	blobs, err := fleet.NewBlobs(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	c := &templateCounty{st: st, lib: fleet.NewLibrary(st, blobs), bus: &recordBus{last: map[string][]byte{}}}
	c.lib.SetClock(func() time.Time { return templateNow })
	c.dist = fleet.NewDistributor(st, c.bus, key, quietLog())
	c.dist.SetClock(func() time.Time { return templateNow })
	c.dist.Workers = workers
	if full {
		fleet.FullBuilds(c.dist)
	}
	reg := fleet.NewRegistry(st)
	villages := []string{"仙游县/榜头镇/坝下村", "仙游县/榜头镇/紫溪村", "仙游县/度尾镇/云居村"}
	for i := range 36 {
		kind := fleet.KindLED
		if i%3 == 2 {
			kind = fleet.KindKiosk
		}
		var tags []string
		if i%4 == 0 {
			tags = []string{"主街"}
		}
		id := fmt.Sprintf("dev-%02d", i)
		if i == 35 {
			id = "led-with-a-rather-long-device-id-0123456789-abcdefghijklmnopqrs" // 64 bytes
		}
		if _, err := reg.CreateDevice(ctx, fleet.Device{ID: id, Kind: kind, Region: villages[i%len(villages)], Tags: tags}); err != nil {
			t.Fatal(err)
		}
		c.ids = append(c.ids, id)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, body := range []string{"宪法是国家的根本法。", "民法典守护你我的合法权益。", "谨防电信网络诈骗 <转账> & \"核实\"。", "法律援助热线12348。"} {
		_, err := c.lib.PutItem(ctx, "test", content.NewText(fmt.Sprintf("msg-%d", i), 1, content.Text{Body: body}))
		must(err)
	}
	must(c.lib.PutProgramme(ctx, "test", content.Programme{ID: "day", Entries: []content.Entry{{ItemID: "msg-0", Seconds: 10}, {ItemID: "msg-1", Seconds: 10}}}))
	must(c.lib.PutProgramme(ctx, "test", content.Programme{ID: "evening", Entries: []content.Entry{{ItemID: "msg-2", Seconds: 10}}}))
	must(c.lib.PutProgramme(ctx, "test", content.Programme{ID: "aid", Entries: []content.Entry{{ItemID: "msg-3", Seconds: 15}}}))
	must(c.lib.SetFallback(ctx, "test", "led", "aid"))
	must(c.lib.SetFallback(ctx, "test", "kiosk", "day"))
	window := func(h1, h2 int) []content.Window {
		return []content.Window{{Start: content.Clock(h1, 0, 0), End: content.Clock(h2, 0, 0)}}
	}
	must(c.lib.PutSchedule(ctx, "test", content.Schedule{ID: "county-day", ProgrammeID: "day", Priority: 10, Weekdays: content.EveryDay,
		Windows: window(7, 18), Target: content.Target{Regions: []string{"仙游县"}, Kinds: []string{"led"}, ExcludeDevices: []string{"dev-03"}}}))
	must(c.lib.PutSchedule(ctx, "test", content.Schedule{ID: "street-evening", ProgrammeID: "evening", Priority: 20, Weekdays: content.EveryDay,
		Windows: window(18, 22), Target: content.Target{Regions: []string{"仙游县/榜头镇"}, Tags: []string{"主街"}}}))
	must(c.lib.PutSchedule(ctx, "test", content.Schedule{ID: "one-board", ProgrammeID: "evening", Priority: 30, Weekdays: content.EveryDay,
		Windows: window(12, 13), Target: content.Target{Devices: []string{"dev-07"}}}))
	must(c.lib.PutNotice(ctx, "test", content.Notice{ID: "flood", Text: "防汛通知：请远离河道。", Regions: []string{"仙游县/度尾镇"},
		Start: templateNow.Add(time.Hour), Expiry: templateNow.Add(5 * time.Hour)}))
	must(st.SetSettings(ctx, "dev-04", &wire.Settings{Brightness: 40, Volume: 10, TimeZone: "Asia/Shanghai", TelemetryInterval: 300}))
	if _, err := st.SetSessionFloor(ctx, "dev-08", 17); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *templateCounty) payload(t *testing.T, id string) []byte {
	t.Helper()
	st, err := c.st.State(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if pub := c.bus.last[wire.Topic(id, wire.KindDesired)]; !bytes.Equal(pub, st.Payload) {
		t.Fatalf("%s: published payload differs from the stored one", id)
	}
	return st.Payload
}

// TestManifestTemplatesMatchFullBuild: a recompute that builds devices
// which resolve alike from one manifest template (on two workers) stores
// and publishes, byte for byte, the desired state that building every
// device in full on one worker makes — for devices told apart by region,
// tag, kind, device ID, exclusion, notice, settings and session floor —
// and every one verifies as its own device's signed manifest. A second
// change (new versions and serials) matches too.
func TestManifestTemplatesMatchFullBuild(t *testing.T) {
	pub, key, err := content.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	fast := newTemplateCounty(t, key, false, 2)
	full := newTemplateCounty(t, key, true, 1)
	ctx := t.Context()
	for round := 1; round <= 2; round++ {
		if round == 2 {
			for _, c := range []*templateCounty{fast, full} {
				if err := c.lib.PutSchedule(ctx, "test", content.Schedule{ID: "county-all", ProgrammeID: "aid", Priority: 40, Always: true,
					Target: content.Target{Regions: []string{"仙游县"}}}); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, c := range []*templateCounty{fast, full} {
			stats, err := c.dist.RecomputeAll(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if stats.Issued != len(c.ids) || stats.Failed != 0 {
				t.Fatalf("round %d: %+v; want all %d issued", round, stats, len(c.ids))
			}
		}
		for _, id := range fast.ids {
			a, b := fast.payload(t, id), full.payload(t, id)
			if !bytes.Equal(a, b) {
				t.Fatalf("round %d, %s: templated desired state differs from the full build:\n%s\n%s", round, id, a, b)
			}
			des, err := wire.DecodeDesired(a)
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			m, err := content.Verify(des.Manifest, pub, id, uint64(round-1), templateNow, true)
			if err != nil {
				t.Fatalf("round %d, %s: %v", round, id, err)
			}
			if m.DeviceID != id || m.Serial != uint64(round) || des.Version != uint64(round) {
				t.Fatalf("round %d, %s: manifest for %s serial %d, version %d", round, id, m.DeviceID, m.Serial, des.Version)
			}
		}
		if round == 1 {
			// Devices told apart only by a schedule naming one of them got
			// different plans: the groups did not merge them.
			if bytes.Equal(manifestPlan(t, fast, pub, "dev-07"), manifestPlan(t, fast, pub, "dev-10")) {
				t.Fatal("dev-07 (targeted by ID) has the same plan as dev-10 (same village and kind)")
			}
		}
	}
	if n := fleet.TemplatedBuilds(fast.dist); n < int64(len(fast.ids)) {
		t.Fatalf("only %d of %d desired states came from a template; the test compares nothing", n, 2*len(fast.ids))
	}
	if n := fleet.TemplatedBuilds(full.dist); n != 0 {
		t.Fatalf("the full build used templates %d times", n)
	}
}

// manifestPlan returns the plan segments of a device's current manifest.
func manifestPlan(t *testing.T, c *templateCounty, pub []byte, id string) []byte {
	t.Helper()
	des, err := wire.DecodeDesired(c.payload(t, id))
	if err != nil {
		t.Fatal(err)
	}
	m, err := content.Verify(des.Manifest, pub, id, 0, templateNow, true)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Appendf(nil, "%v", m.Plan.Segments)
}
