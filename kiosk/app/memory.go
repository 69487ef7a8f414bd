package app

import (
	"context"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Memory is the kiosk's Go memory policy (docs/KIOSK.md, "Memory"). The
// zero value leaves the runtime as it is (tests, other programs).
//
// Why: the font (WenQuanYi, parsed by go-text) is ~16 MB of live heap and
// parsing it leaves as much again in garbage, which sets the GC's first
// goal near 80 MB; with frames only on a touch the GC then seldom runs and
// the runtime keeps what it freed, so an idle kiosk held ~44 MB of Go heap
// for ~20 MB of live data. Ebiten's unused offscreen images are released
// only by a GC (a finalizer) and the next frame, each a GL texture held in
// software GL's memory.
type Memory struct {
	// GCPercent is GOGC for the kiosk (0: unchanged; the GOGC environment
	// variable wins).
	GCPercent int
	// Trim is how often to look whether the kiosk went quiet after
	// allocating: then the heap is collected, its free pages are given
	// back to the system, and one frame is asked for (flow.Updates), in
	// which ebiten deletes the textures of images the GC found unused.
	// 0: never.
	Trim time.Duration
}

// The kiosk's memory policy (KioskMemory).
const (
	// KioskGCPercent halves the heap's growth between collections (the
	// default is 100): right after a villager's session the Go heap is
	// ~32 MB instead of ~40 MB, for no measurable CPU (drawing dominates).
	KioskGCPercent = 50
	// KioskTrimEvery: a kiosk gives memory back 10–20 s after it goes
	// quiet, and a freshly started one 10 s after Run.
	KioskTrimEvery = 10 * time.Second
)

// KioskMemory is the policy lawpoint-kiosk runs with.
func KioskMemory() Memory {
	return Memory{GCPercent: KioskGCPercent, Trim: KioskTrimEvery}
}

// apply sets the GC percent unless the environment sets it (GOGC): the
// operator's word wins. GOMEMLIMIT is left to the environment: a 64 MiB
// limit changed nothing measurable (docs/BENCHMARKS.md), and one near the
// live heap (~25 MB) would trade memory for GC work without a bound.
func (m Memory) apply(log *slog.Logger) {
	if m == (Memory{}) {
		return
	}
	if m.GCPercent > 0 && os.Getenv("GOGC") == "" {
		debug.SetGCPercent(m.GCPercent)
	}
	log.Info("memory policy", "gogc", gcPercent(), "trim_every", m.Trim)
}

// gcPercent is the GOGC in force.
func gcPercent() uint64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// trimmer gives freed memory back to the system once the kiosk goes quiet.
type trimmer struct {
	samples   []metrics.Sample
	lastTrim  uint64 // heap bytes allocated in total at the last trim
	lastCheck uint64 // … at the last check
}

// Quiet means less than trimQuiet allocated since the last check; worth a
// trim means at least trimWorth allocated since the last trim.
const (
	trimQuiet = 512 << 10
	trimWorth = 2 << 20
)

// newTrimmer counts allocations from now on.
func newTrimmer() *trimmer {
	t := &trimmer{samples: []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}}
	t.lastCheck = t.allocated()
	return t
}

func (t *trimmer) allocated() uint64 {
	metrics.Read(t.samples)
	if t.samples[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return t.samples[0].Value.Uint64()
}

// check trims when enough was allocated since the last trim (the start of
// the process, the first time) and little since the last check, and says
// whether it did. An idle kiosk allocates next to nothing, so it is not
// collected again and again; a busy one is left to the GC until it rests.
func (t *trimmer) check() bool {
	now := t.allocated()
	quiet := now-t.lastCheck < trimQuiet
	t.lastCheck = now
	if !quiet || now-t.lastTrim < trimWorth {
		return false
	}
	debug.FreeOSMemory()
	t.lastTrim = t.allocated()
	t.lastCheck = t.lastTrim
	return true
}

// runTrim checks every `every` until ctx ends. Run starts once the
// window's font is parsed, so the first check can already find the
// start-up over. After a trim it asks for a frame: ebiten deletes the GL
// textures of collected images only at the start of a frame, and an idle
// kiosk draws none.
func (a *App) runTrim(ctx context.Context, every time.Duration) {
	t := newTrimmer()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if t.check() {
				a.log.Debug("memory trimmed", "heap_live_mib", heapLive()>>20)
				a.updates.signal()
			}
		}
	}
}

// heapLive is the heap marked live by the last GC.
func heapLive() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
