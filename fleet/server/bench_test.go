package server_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"lawpoint/content"
	"lawpoint/fleet"
	"lawpoint/fleet/broker"
	"lawpoint/fleet/sqlitestore"
)

// BenchmarkDesiredState measures one content change reaching every
// device's desired state: compile the set, build each device's 14-day
// manifest, sign it with the county key, store the new version (batched
// transactions, synchronous=FULL) and publish it retained on the embedded
// broker. One op is the whole fleet.
func BenchmarkDesiredState(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) { benchDesired(b, n) })
	}
}

func benchDesired(b *testing.B, n int) {
	ctx := context.Background()
	dir := b.TempDir()
	st, err := sqlitestore.Open(ctx, filepath.Join(dir, "fleet.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	reg := fleet.NewRegistry(st)
	for i := range n {
		town := fmt.Sprintf("仙游县/镇%02d", i%16)
		if _, err := reg.CreateDevice(ctx, fleet.Device{ID: fmt.Sprintf("led-%05d", i), Kind: fleet.KindLED,
			Region: fmt.Sprintf("%s/村%03d", town, i%300), Tags: []string{"主街"}}); err != nil {
			b.Fatal(err)
		}
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	br, err := broker.New(reg, broker.Config{Listeners: []net.Listener{ln}})
	if err != nil {
		b.Fatal(err)
	}
	br.Start(ctx)
	defer br.Close()
	_, key, _ := content.GenerateKey(nil)
	lib := fleet.NewLibrary(st, mustBlobs(b, filepath.Join(dir, "blobs")))
	dist := fleet.NewDistributor(st, br.Bus(), key, quietLog())
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	for i := range 8 {
		_, err := lib.PutItem(ctx, "bench", content.Item{ID: fmt.Sprintf("msg-%d", i), Kind: content.KindText, Text: &content.Text{Body: fmt.Sprintf("法治宣传第%d条：学法守法用法", i)}})
		must(err)
	}
	must(lib.PutProgramme(ctx, "bench", content.Programme{ID: "p-a", Entries: []content.Entry{{ItemID: "msg-0", Seconds: 10}, {ItemID: "msg-1", Seconds: 10}, {ItemID: "msg-2", Seconds: 10}}}))
	must(lib.PutProgramme(ctx, "bench", content.Programme{ID: "p-b", Entries: []content.Entry{{ItemID: "msg-3", Seconds: 10}, {ItemID: "msg-4", Seconds: 10}}}))
	must(lib.SetFallback(ctx, "bench", "led", "p-a"))
	for t := range 16 {
		must(lib.PutSchedule(ctx, "bench", content.Schedule{ID: fmt.Sprintf("s-town-%02d", t), ProgrammeID: "p-b", Priority: 10,
			Weekdays: content.EveryDay, Windows: []content.Window{{Start: content.Clock(8, 0, 0), End: content.Clock(12, 0, 0)}, {Start: content.Clock(18, 0, 0), End: content.Clock(21, 0, 0)}},
			Target: content.Target{Regions: []string{fmt.Sprintf("仙游县/镇%02d", t)}}}))
	}
	if _, err := dist.RecomputeAll(ctx); err != nil {
		b.Fatal(err)
	}
	round := 0
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		round++
		// The county changes one county-wide schedule: every board is affected.
		must(lib.PutSchedule(ctx, "bench", content.Schedule{ID: "s-county", ProgrammeID: "p-a", Priority: 20, Always: true,
			Target: content.Target{Regions: []string{"仙游县"}, ExcludeTags: []string{fmt.Sprintf("round-%d", round)}}}))
		b.StartTimer()
		start := time.Now()
		stats, err := dist.RecomputeAll(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if stats.Issued != n {
			b.Fatalf("issued %d of %d", stats.Issued, n)
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/float64(n), "µs/device")
	}
}

func mustBlobs(b *testing.B, dir string) *fleet.Blobs {
	bl, err := fleet.NewBlobs(dir)
	if err != nil {
		b.Fatal(err)
	}
	return bl
}
