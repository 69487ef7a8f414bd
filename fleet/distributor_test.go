package fleet_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet"
	"lawpoint/fleet/sqlitestore"
)

// TestReportedBurstIsNeverDropped: a burst of reported states larger than
// any fixed queue (here 6,000 messages from 300 devices, as when a whole
// county converges at once) is stored without loss: each device ends at
// its newest report. (A converged device does not repeat its report, so
// a dropped one would leave it pending in the console forever.)
func TestReportedBurstIsNeverDropped(t *testing.T) {
	ctx := t.Context()
	s, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	reg := fleet.NewRegistry(s)
	const devices, reports = 300, 20
	for i := range devices {
		if _, err := reg.CreateDevice(ctx, fleet.Device{ID: fmt.Sprintf("led-%03d", i), Kind: fleet.KindLED, Region: "仙游县/榜头镇"}); err != nil {
			t.Fatal(err)
		}
	}
	d := fleet.NewDistributor(s, nil, nil, nil)
	at := time.Date(2025, 12, 4, 9, 0, 0, 0, time.UTC)
	// Everything arrives before Run stores anything.
	for seq := uint64(1); seq <= reports; seq++ {
		for i := range devices {
			b, err := wire.Encode(wire.Reported{Session: 1, Seq: seq, DesiredVersion: seq, Status: wire.Converged, At: at})
			if err != nil {
				t.Fatal(err)
			}
			d.HandleReported(fleet.Message{Topic: wire.Topic(fmt.Sprintf("led-%03d", i), wire.KindReported), Payload: b})
		}
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(rctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; i < devices; {
		st, err := s.State(ctx, fmt.Sprintf("led-%03d", i))
		if err != nil {
			t.Fatal(err)
		}
		if st.Reported != nil && st.Reported.Seq == reports {
			i++
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("device %d: stored report %+v, want seq %d", i, st.Reported, reports)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
