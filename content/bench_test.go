package content

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// county is a synthetic county at fleet scale: 18 townships of 20 villages,
// 50,000 devices, 500 items, 200 programmes, 1,000 schedules, 10 notices.
type county struct {
	set     *Set
	c       *Compiled
	devices []Device
	now     time.Time
}

var (
	countyOnce sync.Once
	countyVal  county
)

func benchCounty(b *testing.B) county {
	countyOnce.Do(func() { countyVal = makeCounty(b, 50000, 1000) })
	return countyVal
}

func makeCounty(tb testing.TB, nDevices, nSchedules int) county {
	r := rand.New(rand.NewPCG(2017, 12348))
	now := time.Date(2024, 12, 4, 10, 17, 0, 0, shanghai)
	var villages []string
	for t := range 18 {
		for v := range 20 {
			villages = append(villages, fmt.Sprintf("仙游县/镇%02d/村%02d", t, v))
		}
	}
	tags := []string{"主街", "公园", "学校", "广场", "法治文化园"}
	devices := make([]Device, nDevices)
	for i := range devices {
		kind := DeviceLED
		if i%10 < 3 {
			kind = DeviceKiosk
		}
		devices[i] = Device{ID: fmt.Sprintf("dev-%05d", i), Kind: kind, Region: villages[i%len(villages)], Tags: []string{tags[r.IntN(len(tags))]}}
	}
	s := &Set{Fallbacks: map[string]string{DeviceLED: "p-0000", DeviceKiosk: "p-0001"}}
	for i := range 500 {
		var it Item
		if i%5 == 4 {
			it = NewImage(fmt.Sprintf("img-%04d", i), 1, "png", 128, 64, []byte(fmt.Sprint("image", i)))
		} else {
			it = NewText(fmt.Sprintf("txt-%04d", i), 1, Text{Body: fmt.Sprintf("法治宣传第 %d 条：遇到纠纷找人民调解", i)})
		}
		if i%7 == 0 {
			it.ValidFrom = now.Add(time.Duration(r.IntN(20*24)-10*24) * time.Hour)
			it.ValidUntil = it.ValidFrom.Add(time.Duration(1+r.IntN(30*24)) * time.Hour)
		}
		s.Items = append(s.Items, it)
	}
	for i := range 200 {
		p := Programme{ID: fmt.Sprintf("p-%04d", i)}
		for range 1 + r.IntN(4) {
			p.Entries = append(p.Entries, Entry{ItemID: s.Items[r.IntN(len(s.Items))].ID, Seconds: 5 + r.IntN(20)})
		}
		if i < 2 { // fallbacks: timeless items only
			p.Entries = []Entry{{ItemID: s.Items[1+i].ID, Seconds: 15}}
		}
		s.Programmes = append(s.Programmes, p)
	}
	for i := range nSchedules {
		sc := Schedule{ID: fmt.Sprintf("s-%04d", i), ProgrammeID: s.Programmes[r.IntN(len(s.Programmes))].ID, Priority: 1 + r.IntN(20)}
		switch k := r.IntN(100); {
		case k < 2:
			sc.Target.Regions = []string{"仙游县"}
		case k < 30:
			sc.Target.Regions = []string{fmt.Sprintf("仙游县/镇%02d", r.IntN(18))}
		case k < 85:
			for range 1 + r.IntN(3) {
				sc.Target.Regions = append(sc.Target.Regions, villages[r.IntN(len(villages))])
			}
		case k < 95:
			sc.Target.Tags = []string{tags[r.IntN(len(tags))]}
			sc.Target.Kinds = []string{DeviceLED}
		default:
			for range 5 {
				sc.Target.Devices = append(sc.Target.Devices, devices[r.IntN(len(devices))].ID)
			}
		}
		if r.IntN(10) == 0 {
			sc.Target.ExcludeTags = []string{tags[r.IntN(len(tags))]}
		}
		village := len(sc.Target.Regions) > 0 && len(sc.Target.Regions[0]) > len("仙游县/镇00")
		switch k := r.IntN(10); {
		case k == 0 && village:
			sc.Always = true
		case k == 1 && village:
			sc.Weekdays = EveryDay
			sc.DateFrom = DateOf(now.AddDate(0, 0, r.IntN(20)-10))
			sc.DateUntil = DateOf(now.AddDate(0, 0, r.IntN(20)+1))
			if sc.DateUntil.dayNumber() < sc.DateFrom.dayNumber() {
				sc.DateFrom, sc.DateUntil = sc.DateUntil, sc.DateFrom
			}
		default:
			sc.Weekdays = Weekdays(1 + r.IntN(127))
			if r.IntN(2) == 0 {
				sc.DateFrom = DateOf(now.AddDate(0, 0, -r.IntN(30)))
				sc.DateUntil = DateOf(now.AddDate(0, 0, r.IntN(60)))
			}
			for range 1 + r.IntN(3) {
				start := ClockTime(r.IntN(96) * 900)
				end := (start + ClockTime(1800*(1+r.IntN(4)))) % 86400
				sc.Windows = append(sc.Windows, Window{Start: start, End: end, Overnight: end < start})
			}
			if r.IntN(20) == 0 {
				sc.Zone = "Europe/Berlin"
			}
		}
		s.Schedules = append(s.Schedules, sc)
	}
	for i := range 10 {
		start := now.Add(time.Duration(r.IntN(96)-48) * time.Hour)
		s.Notices = append(s.Notices, Notice{ID: fmt.Sprintf("n-%02d", i), Text: "紧急通知：请注意防范", Regions: []string{villages[r.IntN(len(villages))]},
			Start: start, Expiry: start.Add(time.Duration(1+r.IntN(24)) * time.Hour)})
	}
	c, err := Compile(s)
	if err != nil {
		tb.Fatal(err)
	}
	return county{set: s, c: c, devices: devices, now: now}
}

func BenchmarkResolveOneDevice1000Schedules(b *testing.B) {
	cy := benchCounty(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		cy.c.Resolve(cy.devices[i%len(cy.devices)], cy.now, Trusted)
		i += 7919
	}
}

// BenchmarkResolveFleet50000x1000 resolves every device of the county at one
// instant on one goroutine: one op is the whole fleet.
func BenchmarkResolveFleet50000x1000(b *testing.B) {
	cy := benchCounty(b)
	b.ReportAllocs()
	for b.Loop() {
		snap := cy.c.Snapshot(cy.now, Trusted)
		for _, d := range cy.devices {
			snap.Resolve(d)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(cy.devices)), "ns/device")
}

func BenchmarkPlan14Days(b *testing.B) {
	cy := benchCounty(b)
	b.ReportAllocs()
	segs, i := 0, 0
	for b.Loop() {
		p := cy.c.Plan(cy.devices[i%len(cy.devices)], cy.now, PlanHorizon)
		segs += len(p.Segments)
		i += 7919
	}
	b.ReportMetric(float64(segs)/float64(b.N), "segments/op")
}

func BenchmarkCompile1000Schedules(b *testing.B) {
	cy := benchCounty(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(cy.set); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkManifestBuildSign(b *testing.B) {
	cy := benchCounty(b)
	_, priv := seeded(7)
	b.ReportAllocs()
	for b.Loop() {
		m, err := cy.c.BuildManifest(cy.devices[42], 1, cy.now)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Sign(m, priv); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkManifestVerify(b *testing.B) {
	cy := benchCounty(b)
	pub, priv := seeded(7)
	m, _ := cy.c.BuildManifest(cy.devices[42], 1, cy.now)
	data, _ := Sign(m, priv)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(data, pub, cy.devices[42].ID, 0, cy.now, true); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCountyFixtureIsRealistic keeps the benchmark honest: devices see
// dozens of schedules and the answers vary.
func TestCountyFixtureIsRealistic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 5,000-device county")
	}
	cy := makeCounty(t, 5000, 1000)
	sources := map[Source]int{}
	targeted := 0
	for _, now := range []time.Time{cy.now, cy.now.Add(17 * time.Hour)} {
		snap := cy.c.Snapshot(now, Trusted)
		for _, d := range cy.devices {
			a := snap.Resolve(d)
			sources[a.Source]++
			targeted += len(cy.c.Targeted(d))
			if b := cy.c.Resolve(d, now, Trusted); !b.Same(a) || !b.Until.Equal(a.Until) {
				t.Fatalf("%s: snapshot %s until %v, Resolve %s until %v", d.ID, playing(a), a.Until, playing(b), b.Until)
			}
		}
	}
	t.Logf("sources %v, %.1f schedules target each device", sources, float64(targeted)/float64(2*len(cy.devices)))
	if sources[SourceSchedule] == 0 || sources[SourceFallback] == 0 || sources[SourceNotice] == 0 {
		t.Errorf("fixture does not exercise every source: %v", sources)
	}
}
