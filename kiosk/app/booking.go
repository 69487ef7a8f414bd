package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"lawpoint/device/wire"
	"lawpoint/kiosk/flow"
	"lawpoint/kiosk/offline"
)

// Service names on the kiosk's buttons and their protocol codes.
var serviceCodes = map[string]string{
	"法律咨询": wire.ServiceConsultation,
	"法律援助": wire.ServiceLegalAid,
	"人民调解": wire.ServiceMediation,
	"公证咨询": wire.ServiceNotary,
	"公证":   wire.ServiceNotary,
	"司法鉴定": wire.ServiceAppraisal,
	"安置帮教": wire.ServiceResettlement,
	"法治宣传": wire.ServiceEducation,
}

func serviceCode(name string) string {
	if c, ok := serviceCodes[name]; ok {
		return c
	}
	return wire.ServiceOther
}

// NoName stands for the villager's name in a booking.requested event: the
// kiosk asks only for a phone number, and the protocol requires a name.
const NoName = "未留姓名"

// How long the UI waits for the fleet's adviser and slot lists before it
// uses what it kept, and how long it then stops asking.
const (
	listTimeout = 2 * time.Second
	bookTimeout = 8 * time.Second
	downFor     = 30 * time.Second
)

// bookingService is flow.Bookings on the fleet's kiosk routes, offline
// first: adviser and slot lists are kept from the last answer; a booking the
// fleet cannot be asked about now is kept (待确认) and goes to the agent's
// outbox as a booking.requested event whose request_id is the same UUID as
// the HTTP idempotency_key; Run asks again with that key when the fleet
// answers, which tells the outcome without ever booking twice.
type bookingService struct {
	a    *App
	demo *offline.Bookings // no fleet configured: the demonstration advisers

	mu       sync.Mutex
	advisers map[string]flow.Adviser // by ID, as last listed
	down     time.Time               // the fleet failed; lists come from the store until then
}

func newBookingService(a *App) *bookingService {
	b := &bookingService{a: a, advisers: map[string]flow.Adviser{}}
	if a.cfg.FleetURL == "" {
		b.demo = offline.NewBookings()
	}
	return b
}

// online returns the fleet API unless it failed a moment ago.
func (b *bookingService) online() *fleetAPI {
	api := b.a.fleet()
	if api == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if time.Now().Before(b.down) {
		return nil
	}
	return api
}

func (b *bookingService) failed(err error) {
	if errors.Is(err, errUnreachable) {
		b.mu.Lock()
		b.down = time.Now().Add(downFor)
		b.mu.Unlock()
	}
}

// Advisers implements flow.Bookings.
func (b *bookingService) Advisers(service string) []flow.Adviser {
	code := serviceCode(service)
	key := "advisers:" + code
	var list []wire.KioskAdviser
	if api := b.online(); api != nil {
		ctx, cancel := context.WithTimeout(b.a.ctx(), listTimeout)
		got, err := api.advisers(ctx, code)
		cancel()
		if err == nil {
			list = got
			b.a.store.putCache(b.a.ctx(), key, got, time.Now())
		} else {
			b.failed(err)
			b.a.log.Debug("adviser list from the store", "err", err)
		}
	}
	if list == nil {
		if _, ok := b.a.store.getCache(b.a.ctx(), key, &list); !ok && b.demo != nil {
			return b.remember(b.demo.Advisers(service))
		}
	}
	out := make([]flow.Adviser, 0, len(list))
	for _, ad := range list {
		out = append(out, flow.Adviser{ID: ad.ID, Name: ad.Name, Title: ad.KindName, Own: ad.Own})
	}
	return b.remember(out)
}

func (b *bookingService) remember(list []flow.Adviser) []flow.Adviser {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ad := range list {
		b.advisers[ad.ID] = ad
	}
	return list
}

// Slots implements flow.Bookings: day is a local date.
func (b *bookingService) Slots(adviserID string, day time.Time) []flow.Slot {
	date := day.In(b.a.loc).Format(time.DateOnly)
	key := "slots:" + adviserID + ":" + date
	var list []wire.KioskSlot
	fresh := false
	if api := b.online(); api != nil {
		ctx, cancel := context.WithTimeout(b.a.ctx(), listTimeout)
		got, err := api.slots(ctx, adviserID, date)
		cancel()
		if err == nil {
			list, fresh = got, true
			b.a.store.putCache(b.a.ctx(), key, got, time.Now())
		} else {
			b.failed(err)
		}
	}
	if !fresh {
		if _, ok := b.a.store.getCache(b.a.ctx(), key, &list); !ok && b.demo != nil {
			return b.withoutPending(b.demo.Slots(adviserID, day), adviserID, false)
		}
	}
	out := make([]flow.Slot, 0, len(list))
	for _, s := range list {
		out = append(out, flow.Slot{ID: adviserID + "@" + s.Start.UTC().Format(time.RFC3339), Start: s.Start.In(b.a.loc), End: s.End.In(b.a.loc)})
	}
	return b.withoutPending(out, adviserID, !fresh)
}

// withoutPending drops slots this kiosk has booked or asked for (a kept
// list predates them), and (for kept lists) slots already begun.
func (b *bookingService) withoutPending(ss []flow.Slot, adviserID string, kept bool) []flow.Slot {
	reqs, _ := b.a.store.requests(b.a.ctx(), reqPending)
	if kept {
		done, _ := b.a.store.requests(b.a.ctx(), reqConfirmed)
		reqs = append(reqs, done...)
	}
	now := b.a.now()
	return slices.DeleteFunc(ss, func(s flow.Slot) bool {
		if kept && !s.Start.After(now) {
			return true
		}
		for _, r := range reqs {
			if r.AdviserID == adviserID && r.Start.Equal(s.Start) {
				return true
			}
		}
		return false
	})
}

// Book implements flow.Bookings.
func (b *bookingService) Book(ctx context.Context, req flow.BookingRequest) (flow.Booking, error) {
	if err := flow.ValidPhone(req.Phone); err != nil {
		return flow.Booking{}, fmt.Errorf("app: booking refused: %w", err)
	}
	b.mu.Lock()
	ad := b.advisers[req.AdviserID]
	b.mu.Unlock()
	r := request{ID: newUUID(), Service: serviceCode(req.Service), ServiceName: req.Service, AdviserID: req.AdviserID,
		AdviserName: ad.Name, AdviserTitle: ad.Title, Start: req.Slot.Start, End: req.Slot.End, Phone: req.Phone, Created: b.a.now()}
	r.Ref = refOf(r.ID)
	if r.End.IsZero() {
		r.End = r.Start.Add(30 * time.Minute)
	}
	if api := b.online(); api != nil {
		bctx, cancel := context.WithTimeout(ctx, bookTimeout)
		kb, err := api.book(bctx, r.bookRequest())
		cancel()
		var taken *slotTakenError
		switch {
		case err == nil:
			r.Status, r.Code, r.MeetingURL, r.Phone = reqConfirmed, kb.Code, kb.MeetingURL, wire.MaskPhone(r.Phone)
			if kb.AdviserName != "" {
				r.AdviserName = kb.AdviserName
			}
			if err := b.a.store.addRequest(ctx, r); err != nil {
				b.a.log.Warn("a confirmed booking was not kept on the kiosk (the fleet has it)", "code", kb.Code, "err", err)
			}
			b.a.log.Info("booking confirmed", "code", kb.Code)
			b.a.videos.refresh(ctx)
			return flow.Booking{Code: kb.Code, Status: flow.BookingConfirmed, MeetingURL: kb.MeetingURL}, nil
		case errors.As(err, &taken):
			return flow.Booking{Status: flow.BookingTaken, NextSlots: b.slotsOf(req.AdviserID, taken.NextSlots)}, nil
		case !errors.Is(err, errUnreachable):
			return flow.Booking{}, fmt.Errorf("app: booking: %w", err)
		}
		b.failed(err)
		b.a.log.Info("fleet unreachable; booking kept as 待确认", "ref", r.Ref, "err", err)
	}
	r.Status = reqPending
	if err := b.a.store.addRequest(ctx, r); err != nil {
		return flow.Booking{}, fmt.Errorf("app: 预约没有存上: %w", err)
	}
	if err := b.a.record(ctx, r.ID, wire.EventBookingRequested, r.event()); err != nil {
		return flow.Booking{}, fmt.Errorf("app: 预约没有存上: %w", err)
	}
	b.a.kick(b.a.resolveWake)
	return flow.Booking{Code: r.Ref, Status: flow.BookingPending}, nil
}

// refOf is a pending request's reference: 8 characters of the booking
// codes' alphabet (no 0/O, 1/I), taken from the request's UUID, so the
// villager can type it on the kiosk's code keypad to ask about it.
func refOf(id string) string {
	h := strings.ReplaceAll(id, "-", "")
	out := make([]byte, 0, flow.RefLen)
	for i := 0; i+1 < len(h) && len(out) < flow.RefLen; i += 2 {
		var v byte
		fmt.Sscanf(h[i:i+2], "%02x", &v)
		out = append(out, flow.CodeAlphabet[int(v)%len(flow.CodeAlphabet)])
	}
	return string(out)
}

func (b *bookingService) slotsOf(adviserID string, ks []wire.KioskSlot) []flow.Slot {
	out := make([]flow.Slot, 0, len(ks))
	for _, s := range ks {
		out = append(out, flow.Slot{ID: adviserID + "@" + s.Start.UTC().Format(time.RFC3339), Start: s.Start.In(b.a.loc), End: s.End.In(b.a.loc)})
	}
	return out
}

func (r request) bookRequest() wire.BookRequest {
	return wire.BookRequest{IdempotencyKey: r.ID, Service: r.Service, AdviserID: r.AdviserID, SlotStart: r.Start.UTC(), Phone: r.Phone}
}

func (r request) event() wire.BookingData {
	return wire.BookingData{RequestID: r.ID, Service: r.Service, AdviserID: r.AdviserID, SlotStart: r.Start.UTC(),
		Contact: wire.Contact{Name: NoName, Phone: r.Phone}}
}

// Outcome is what the fleet answered to a booking kept as 待确认.
type Outcome struct {
	Ref     string // the reference shown while pending
	Booking flow.Booking
}

// resolve asks the fleet about every pending request, with its own key:
// the fleet answers with the booking it made (from the HTTP request or
// from the outbox event, whichever came first) or books it now. It stops at
// the first sign that the fleet is still unreachable.
func (b *bookingService) resolve(ctx context.Context) error {
	api := b.a.fleet()
	if api == nil {
		return errNoAgent
	}
	reqs, err := b.a.store.requests(ctx, reqPending)
	if err != nil {
		return err
	}
	for _, r := range reqs {
		bctx, cancel := context.WithTimeout(ctx, bookTimeout)
		kb, err := api.book(bctx, r.bookRequest())
		cancel()
		var taken *slotTakenError
		var ae *apiError
		out := flow.Booking{Service: r.ServiceName, AdviserName: r.AdviserName,
			Slot: flow.Slot{Start: r.Start.In(b.a.loc), End: r.End.In(b.a.loc)}, Phone: r.Phone}
		switch {
		case err == nil:
			if err := b.a.store.resolve(ctx, r.ID, reqConfirmed, kb.Code, kb.MeetingURL, wire.MaskPhone(r.Phone)); err != nil {
				return err
			}
			out.Code, out.Status, out.MeetingURL = kb.Code, flow.BookingConfirmed, kb.MeetingURL
			if !kb.SlotStart.IsZero() {
				out.Slot = flow.Slot{Start: kb.SlotStart.In(b.a.loc), End: kb.SlotEnd.In(b.a.loc)}
			}
			b.a.log.Info("a booking kept offline is confirmed", "ref", r.Ref, "code", kb.Code)
		case errors.As(err, &taken) || errors.As(err, &ae) && ae.Status != 401 && ae.Status != 403 && ae.Status != 429:
			// The slot went meanwhile (or the adviser): the fleet keeps the
			// request for staff, who call the villager.
			if err := b.a.store.resolve(ctx, r.ID, reqUnconfirmed, "", "", wire.MaskPhone(r.Phone)); err != nil {
				return err
			}
			out.Code, out.Status, out.NextSlots = r.Ref, flow.BookingTaken, nil
			if taken != nil {
				out.NextSlots = b.slotsOf(r.AdviserID, taken.NextSlots)
			}
			b.a.log.Info("a booking kept offline could not be made; staff will call the villager", "ref", r.Ref, "err", err)
		default:
			b.failed(err)
			return err
		}
		b.a.outcome(ctx, Outcome{Ref: r.Ref, Booking: out})
	}
	return nil
}

// runResolver asks about pending requests when woken (a new request, the
// agent connected) and every 30 s.
func (b *bookingService) run(ctx context.Context) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		if err := b.resolve(ctx); err != nil && ctx.Err() == nil && !errors.Is(err, errNoAgent) && !errors.Is(err, errUnreachable) {
			b.a.log.Warn("asking the fleet about bookings kept offline failed; will retry", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-b.a.resolveWake:
		case <-t.C:
		}
	}
}

// Lookup finds a booking by its code and phone number (for cancelling or
// moving it at the kiosk). It needs the fleet.
func (b *bookingService) Lookup(ctx context.Context, code, phone string) (wire.KioskBooking, error) {
	api := b.a.fleet()
	if api == nil {
		return wire.KioskBooking{}, &offlineError{}
	}
	kb, err := api.lookup(ctx, strings.ToUpper(strings.TrimSpace(code)), phone)
	return kb, wrapOffline(err)
}

// Cancel cancels a booking with its code and phone number.
func (b *bookingService) Cancel(ctx context.Context, code, phone string) (wire.KioskBooking, error) {
	api := b.a.fleet()
	if api == nil {
		return wire.KioskBooking{}, &offlineError{}
	}
	kb, err := api.cancel(ctx, strings.ToUpper(strings.TrimSpace(code)), phone)
	return kb, wrapOffline(err)
}

// Reschedule moves a booking to another free slot of the same adviser; a
// taken slot answers with the next free ones (*slotTakenError).
func (b *bookingService) Reschedule(ctx context.Context, code, phone string, start time.Time) (wire.KioskBooking, error) {
	api := b.a.fleet()
	if api == nil {
		return wire.KioskBooking{}, &offlineError{}
	}
	kb, err := api.reschedule(ctx, strings.ToUpper(strings.TrimSpace(code)), phone, start)
	return kb, wrapOffline(err)
}

// offlineError: changing a booking needs the fleet.
type offlineError struct{ err error }

func (e *offlineError) Error() string {
	if e.err != nil {
		return "app: changing a booking needs the fleet: " + e.err.Error()
	}
	return "app: changing a booking needs the fleet, and this kiosk has none"
}
func (e *offlineError) Unwrap() error { return e.err }
func (e *offlineError) UserMessage() string {
	return "现在连不上县里的系统，请稍后再试，或拨打12348"
}

func wrapOffline(err error) error {
	if errors.Is(err, errUnreachable) {
		return &offlineError{err: err}
	}
	if err != nil {
		return fmt.Errorf("app: %w", err)
	}
	return nil
}
