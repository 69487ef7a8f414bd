package fleet

import (
	"context"
	"log/slog"
	"time"
)

// RunEvery calls fn every interval until ctx ends (the first call one
// interval in). A failure is logged as a warning with msg, unless ctx has
// ended; the next call comes at the next interval.
func RunEvery(ctx context.Context, every time.Duration, log *slog.Logger, msg string, fn func(context.Context) error) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				log.Warn(msg, "error", err)
			}
		}
	}
}
