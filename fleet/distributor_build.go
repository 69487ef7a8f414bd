package fleet

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"lawpoint/content"
)

// outcome is what a recompute decided for one device: nothing to do
// (unchanged: the stored state stands), a new desired state (update), or
// an error.
type outcome struct {
	unchanged bool
	update    DesiredUpdate
	err       error
}

// evaluate decides one device's desired state: its inputs digest, and a
// new signed desired state when the digest changed, the manifest runs out
// within RefreshBefore, or force. It only reads c, dg, the key and its
// arguments, and ts is safe for concurrent use, so recompute runs it for
// many devices at once.
func (d *Distributor) evaluate(c *content.Compiled, dg *setDigests, ts *templates, dev Device, st DeviceState, force bool, now time.Time) outcome {
	settings := DefaultSettings
	if st.Settings != nil {
		settings = *st.Settings
	}
	cd := ContentDevice(dev)
	digest := dg.device(c, cd, settings, st.SessionFloor)
	// A state is stored when its payload is, or when it was published
	// (StateSummaries leaves published payloads out).
	stored := st.Payload != nil || (st.Published && st.Version > 0)
	if !force && stored && st.Digest == digest && st.Expires.After(now.Add(d.RefreshBefore)) {
		return outcome{unchanged: true}
	}
	u, err := d.build(c, ts, cd, st, settings, digest, now)
	return outcome{update: u, err: err}
}

// workers is how many goroutines a recompute page uses.
func (d *Distributor) workers() int {
	if d.Workers > 0 {
		return d.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// parallel calls f(0) … f(n-1) on up to workers goroutines and returns
// when all calls returned. Each call must touch only its own index's
// results.
func parallel(n, workers int, f func(i int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}
