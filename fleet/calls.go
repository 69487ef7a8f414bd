package fleet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"lawpoint/content"
	"lawpoint/device/wire"
	"lawpoint/fleet/internal/ratelog"
)

// DefaultCallShow is how long a call stays on the village's LED boards.
const DefaultCallShow = 60 * time.Second

// callSkew starts a call notice a little before the fleet's now, so a board
// whose clock runs a few seconds behind the fleet's shows it at once.
const callSkew = 10 * time.Second

// CallAuthor is the author recorded on call notices in the content store.
const CallAuthor = "system:queue-calls"

// callWindowRE is a counter window as the kiosk's queue numbers them.
var callWindowRE = regexp.MustCompile(`^[0-9]{1,3}$`)

// CallBoards shows a called ticket ("请 A003 号到 1 号窗口") on the LED
// boards of the calling kiosk's village: a short emergency-style notice
// (content.Notice) for the kiosk's region path, stored through the
// Library, so the Distributor signs new manifests for the boards (and the
// kiosks) of that region and they show it at once, returning to their
// programme when it expires. There is one call notice per region, with an
// ID made from the region: a new call or a recall in the village replaces
// the previous one, so calls never pile up. Only the ticket number and the
// window go to the board. See docs/FLEET.md, "Calls on the LED boards".
type CallBoards struct {
	lib   *Library
	store Store
	log   *slog.Logger
	warn  *ratelog.Limiter
	now   func() time.Time

	// Show is how long a call stays on the boards (DefaultCallShow). A
	// call that reaches the fleet later than Show after it happened (a
	// kiosk that was offline) is not shown: the counter has moved on.
	Show time.Duration

	mu      sync.Mutex
	n       uint64
	pending map[string]pendingCall // device ID → its newest call
	wake    chan struct{}
}

type pendingCall struct {
	n              uint64 // arrival order
	ticket, window string
}

// NewCallBoards returns the call publisher writing notices through lib.
func NewCallBoards(lib *Library, s Store, log *slog.Logger) *CallBoards {
	if log == nil {
		log = slog.Default()
	}
	return &CallBoards{lib: lib, store: s, log: log, warn: ratelog.New(log, time.Minute), now: time.Now,
		Show: DefaultCallShow, pending: map[string]pendingCall{}, wake: make(chan struct{}, 1)}
}

// SetClock replaces the clock (tests).
func (c *CallBoards) SetClock(now func() time.Time) { c.now = now }

// CallNoticeID is the ID of the call notice of a region: the same for
// every call in it, so each call replaces the last.
func CallNoticeID(region string) string {
	sum := sha256.Sum256([]byte(region))
	return "call-" + hex.EncodeToString(sum[:8])
}

// CallText is what the board shows for a call.
func CallText(ticket, window string) string {
	return "请 " + ticket + " 号到 " + window + " 号窗口"
}

// Called is Ingest's hook for a newly stored ticket.called event (a
// resent one is not passed again). It never blocks: the newest call per
// kiosk waits for Run.
func (c *CallBoards) Called(deviceID string, e wire.Event, d wire.TicketData) {
	now := c.now()
	if !e.ClockTrusted || now.Sub(e.At) > c.Show || e.At.Sub(now) > time.Minute {
		return // old, or on a clock that cannot say when: not shown
	}
	if !ValidTicketNumber(d.Ticket) || !callWindowRE.MatchString(d.Counter) {
		// Only a number and a window ever go to a street board.
		c.warn.Warn("call-shape:"+deviceID, "ticket call not shown on the LED boards: the number or window is not in the queue's form",
			"device", deviceID)
		return
	}
	c.mu.Lock()
	c.n++
	c.pending[deviceID] = pendingCall{n: c.n, ticket: d.Ticket, window: d.Counter}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Run publishes pending calls until ctx ends.
func (c *CallBoards) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.wake:
			c.Flush(ctx)
		}
	}
}

// Flush publishes the pending calls now: per region, the newest.
func (c *CallBoards) Flush(ctx context.Context) {
	c.mu.Lock()
	pending := c.pending
	c.pending = map[string]pendingCall{}
	c.mu.Unlock()
	type regional struct {
		pendingCall
		device string
	}
	newest := map[string]regional{}
	for id, p := range pending {
		dev, err := c.store.Device(ctx, id)
		if err != nil {
			if !errors.Is(err, ErrNotFound) {
				c.warn.Warn("call-device", "ticket call not shown: the kiosk's record cannot be read", "device", id, "error", err)
			}
			continue
		}
		if strings.Count(dev.Region, "/") < 2 {
			// A kiosk registered above village level would call on every
			// board of the township or county.
			c.warn.Warn("call-region:"+id, "ticket call not shown: the kiosk is registered above village level; register it at its village or station path",
				"device", id, "region", dev.Region)
			continue
		}
		if r, ok := newest[dev.Region]; !ok || p.n > r.n {
			newest[dev.Region] = regional{p, id}
		}
	}
	for region, p := range newest {
		if err := c.publish(ctx, region, p.ticket, p.window); err != nil && ctx.Err() == nil {
			c.warn.Warn("call-publish", "ticket call not shown on the LED boards", "device", p.device, "error", err)
		}
	}
}

// publish replaces the region's call notice, when the region has a board.
func (c *CallBoards) publish(ctx context.Context, region, ticket, window string) error {
	boards, err := c.store.Devices(ctx, Filter{Region: region, Kind: KindLED, Limit: 1})
	if err != nil {
		return err
	}
	if len(boards) == 0 {
		return nil // no board in the village: nothing to show it on
	}
	now := c.now()
	id := CallNoticeID(region)
	n := content.Notice{ID: id, Text: CallText(ticket, window), Regions: []string{region},
		Start: now.Add(-callSkew).UTC().Truncate(time.Second), Expiry: now.Add(c.Show).UTC().Truncate(time.Second)}
	if err := c.lib.PutNotice(ctx, CallAuthor, n); err != nil {
		return err
	}
	if _, err := c.store.DropOldVersions(ctx, RecordNotice, id); err != nil {
		c.warn.Warn("call-prune", "old call notices not deleted; the next call retries", "error", err)
	}
	return nil
}
