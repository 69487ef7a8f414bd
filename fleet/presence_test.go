package fleet_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"lawpoint/device/wire"
	"lawpoint/fleet"
	"lawpoint/fleet/sqlitestore"
)

// stopDuringWrite is a store that stops the tracker (cancels its Run
// context) as the first presence batch is being written: the fleet
// shutting down while every device's will arrives.
type stopDuringWrite struct {
	fleet.Store
	once sync.Once
	stop context.CancelFunc
}

func (s *stopDuringWrite) UpdatePresence(ctx context.Context, ps []fleet.Presence) ([]wire.Verdict, error) {
	s.once.Do(s.stop)
	return s.Store.UpdatePresence(ctx, ps)
}

// TestPresenceQueuedBeforeStopIsStored: every observation queued before
// the tracker is stopped is stored, including the batch being written
// when the stop comes.
func TestPresenceQueuedBeforeStopIsStored(t *testing.T) {
	ctx := t.Context()
	s, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	reg := fleet.NewRegistry(s)
	const devices = fleet.MaxPresenceBatch + 500 // more than one batch
	id := func(i int) string { return fmt.Sprintf("led-%04d", i) }
	for i := range devices {
		if _, err := reg.CreateDevice(ctx, fleet.Device{ID: id(i), Kind: fleet.KindLED, Region: "仙游县/榜头镇"}); err != nil {
			t.Fatal(err)
		}
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tr := fleet.NewPresenceTracker(&stopDuringWrite{Store: s, stop: cancel}, quietLog())
	for i := range devices {
		b, err := wire.Encode(wire.Presence{Schema: wire.Schema, Status: wire.Online, Session: 7, DeviceKind: wire.LED, AppVersion: "1"})
		if err != nil {
			t.Fatal(err)
		}
		tr.Handle(fleet.Message{Topic: wire.Topic(id(i), wire.KindPresence), Payload: b})
	}
	if err := tr.Run(rctx); err != nil {
		t.Fatal(err)
	}
	if rctx.Err() == nil {
		t.Fatal("the store did not stop the tracker")
	}
	missing := 0
	for i := range devices {
		p, err := s.Presence(ctx, id(i))
		if err != nil || !p.Online || p.Session != 7 {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d presence observations queued before the stop were not stored", missing, devices)
	}
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
