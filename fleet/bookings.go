package fleet

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"lawpoint/device/wire"
)

// Booking settings keys.
const (
	SettingMeetingURL = "meeting_url_template"
)

// DefaultMeetingURL is the meeting link template until staff set their
// own (a county Jitsi server). {code} is the booking code; {room} is a
// random 20-character room name, so nobody can guess a meeting from a code.
const DefaultMeetingURL = "https://meet.jit.si/lawpoint-{room}"

// NextSlotsOnConflict is how many next free slots a refused booking offers.
const NextSlotsOnConflict = 5

// Bookings is the video-consultation booking service: advisers and their
// hours, availability, atomic booking with idempotent replay, cancel and
// reschedule with code and phone, the iCalendar feeds, and the projection
// of device events (booking requests, tickets, ratings) into typed tables.
type Bookings struct {
	store BookingStore
	log   *slog.Logger
	now   func() time.Time
	catch sync.Mutex
}

// NewBookings returns the booking service on s.
func NewBookings(s BookingStore, log *slog.Logger) *Bookings {
	if log == nil {
		log = slog.Default()
	}
	return &Bookings{store: s, log: log, now: time.Now}
}

// SetClock replaces the clock (tests).
func (b *Bookings) SetClock(now func() time.Time) { b.now = now }

// Now is the service's clock.
func (b *Bookings) Now() time.Time { return b.now() }

// Store returns the store.
func (b *Bookings) Store() BookingStore { return b.store }

// SlotTakenError is ErrSlotTaken with the next free slots of the adviser.
type SlotTakenError struct {
	Reason string // English detail
	Next   []Slot
}

func (e *SlotTakenError) Error() string {
	return "slot not free (" + e.Reason + "): choose one of the next free slots"
}

// Unwrap makes errors.Is(err, ErrSlotTaken) hold.
func (e *SlotTakenError) Unwrap() error { return ErrSlotTaken }

// MeetingURL fills a meeting link template.
func MeetingURL(template, code string) string {
	if template == "" {
		template = DefaultMeetingURL
	}
	var r [10]byte
	_, _ = rand.Read(r[:])
	return strings.NewReplacer("{code}", code, "{room}", hex.EncodeToString(r[:])).Replace(template)
}

// SetMeetingTemplate stores the meeting link template; it must be an
// https URL holding {code} or {room}.
func (b *Bookings) SetMeetingTemplate(ctx context.Context, tpl string) error {
	tpl = strings.TrimSpace(tpl)
	if !strings.HasPrefix(tpl, "https://") || !(strings.Contains(tpl, "{code}") || strings.Contains(tpl, "{room}")) || len(tpl) > 300 {
		return invalidField("meeting_url_template", "give an https URL holding {room} or {code}, e.g. https://meet.example.cn/lawpoint-{room}",
			"会议链接模板须为 https 地址并包含 {room} 或 {code}，例如 https://meet.example.cn/lawpoint-{room}")
	}
	return b.store.SetSetting(ctx, SettingMeetingURL, tpl)
}

// MeetingTemplate returns the meeting link template in use.
func (b *Bookings) MeetingTemplate(ctx context.Context) (string, error) {
	var tpl string
	err := b.store.BookingRead(ctx, func(tx BookingTx) error {
		var err error
		tpl, err = tx.Setting(SettingMeetingURL)
		return err
	})
	if tpl == "" {
		tpl = DefaultMeetingURL
	}
	return tpl, err
}

// PutAdviser checks and stores (creates or replaces) an adviser record.
func (b *Bookings) PutAdviser(ctx context.Context, a Adviser) (Adviser, error) {
	if err := a.Normalize(); err != nil {
		return Adviser{}, err
	}
	if err := b.store.PutAdviser(ctx, a, b.now()); err != nil {
		return Adviser{}, fmt.Errorf("store adviser %s: %w", a.ID, err)
	}
	return a, nil
}

// Adviser returns an adviser with its exceptions from today on.
func (b *Bookings) Adviser(ctx context.Context, id string) (Adviser, []Exception, error) {
	var (
		a   Adviser
		exc []Exception
	)
	err := b.store.BookingRead(ctx, func(tx BookingTx) error {
		var err error
		if a, err = tx.Adviser(id); err != nil {
			return err
		}
		from, _ := BookingWindow(a, b.now())
		exc, err = tx.Exceptions(id, from, time.Time{})
		return err
	})
	return a, exc, err
}

// Advisers lists every adviser by ID.
func (b *Bookings) Advisers(ctx context.Context) ([]Adviser, error) {
	var as []Adviser
	err := b.store.BookingRead(ctx, func(tx BookingTx) error {
		var err error
		as, err = tx.Advisers()
		return err
	})
	return as, err
}

// AddException stores leave (off) or extra hours for an adviser.
func (b *Bookings) AddException(ctx context.Context, e Exception) (Exception, error) {
	switch {
	case e.Kind != ExceptionOff && e.Kind != ExceptionExtra:
		return e, invalidField("kind", "use off (leave) or extra (extra hours)", "类型须为 off（请假）或 extra（加班）")
	case e.From.IsZero() || !e.To.After(e.From):
		return e, invalidField("to", "the end must be after the start", "结束时间须晚于开始时间")
	case e.To.Sub(e.From) > 366*24*time.Hour:
		return e, invalidField("to", "a period lasts at most a year", "一次请假或加班最长一年")
	case utf8Len(e.Note) > 200:
		return e, invalidField("note", "at most 200 characters", "备注最多200个字")
	}
	e.Created = b.now()
	return b.store.AddException(ctx, e)
}

// DeleteException removes leave or extra hours.
func (b *Bookings) DeleteException(ctx context.Context, adviserID string, id int64) error {
	return b.store.DeleteException(ctx, adviserID, id)
}

// RotateCalendarToken gives the adviser a new secret calendar token (the
// old feed URL stops working) and returns it; only its hash is stored.
func (b *Bookings) RotateCalendarToken(ctx context.Context, adviserID string) (string, error) {
	tok := "cal_" + NewSecret()
	if err := b.store.SetCalendarToken(ctx, adviserID, TokenHash(tok)); err != nil {
		return "", fmt.Errorf("rotate calendar token of %s: %w", adviserID, err)
	}
	return tok, nil
}

// CalendarBookings returns the adviser of a calendar token and its
// bookings from 30 days ago to the end of its horizon (cancelled ones too,
// so subscribed calendars drop them).
func (b *Bookings) CalendarBookings(ctx context.Context, token string) (Adviser, []Booking, error) {
	if !strings.HasPrefix(token, "cal_") {
		return Adviser{}, nil, ErrNotFound
	}
	a, err := b.store.AdviserByCalendarToken(ctx, TokenHash(token))
	if err != nil {
		return Adviser{}, nil, err
	}
	now := b.now()
	var bs []Booking
	err = b.store.BookingRead(ctx, func(tx BookingTx) error {
		_, to := BookingWindow(a, now)
		bs, err = tx.Bookings(BookingFilter{AdviserID: a.ID, From: now.AddDate(0, 0, -30), To: to.AddDate(0, 0, 366)})
		return err
	})
	return a, bs, err
}

// KioskAdvisers lists the active advisers a device's kiosk offers for a
// service: those serving its region, the village's own adviser first.
func (b *Bookings) KioskAdvisers(ctx context.Context, deviceID, service string) ([]wire.KioskAdviser, error) {
	if service != "" && !ValidService(service) {
		return nil, invalidField("service", "is not a service code", "服务类型无效")
	}
	var out []wire.KioskAdviser
	err := b.store.BookingRead(ctx, func(tx BookingTx) error {
		dev, err := tx.Device(deviceID)
		if err != nil {
			return err
		}
		as, err := tx.Advisers()
		if err != nil {
			return err
		}
		for _, a := range as {
			if a.Active && a.Offers(service) && a.ServesRegion(dev.Region) {
				out = append(out, wire.KioskAdviser{ID: a.ID, Name: a.Name, Kind: a.Kind, KindName: AdviserKindName(a.Kind),
					Own: a.OwnAdviserOf(dev.Region), Services: a.Services, SlotMinutes: a.SlotMinutes})
			}
		}
		return nil
	})
	// Own first, then village advisers before lawyers, then by ID (stable).
	slices.SortStableFunc(out, func(x, y wire.KioskAdviser) int {
		if x.Own != y.Own {
			if x.Own {
				return -1
			}
			return 1
		}
		if x.Kind != y.Kind {
			return strings.Compare(x.Kind, y.Kind) // "adviser" < "lawyer"
		}
		return strings.Compare(x.ID, y.ID)
	})
	return out, err
}

// Slots returns the free slots of an adviser on a local date.
func (b *Bookings) Slots(ctx context.Context, adviserID, day string) ([]Slot, error) {
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return nil, invalidField("day", "give a date YYYY-MM-DD", "日期须为“2026-05-04”形式")
	}
	now := b.now()
	var slots []Slot
	err := b.store.BookingRead(ctx, func(tx BookingTx) error {
		a, exc, booked, err := adviserDay(tx, adviserID, now)
		if err != nil {
			return err
		}
		slots = FreeSlots(a, day, exc, booked, now)
		return nil
	})
	return slots, err
}

// adviserDay reads an adviser with its exceptions and confirmed bookings
// over its whole booking window.
func adviserDay(tx BookingTx, adviserID string, now time.Time) (Adviser, []Exception, []Booking, error) {
	a, err := tx.Adviser(adviserID)
	if errors.Is(err, ErrNotFound) {
		return a, nil, nil, &FieldError{Field: "adviser_id", Err: &Error{Code: ErrNotFound.Code,
			Msg: fmt.Sprintf("no adviser %q: list them with GET /api/kiosk/advisers", adviserID), Zh: "没有这位律师或法律顾问"}}
	}
	if err != nil {
		return a, nil, nil, err
	}
	from, to := BookingWindow(a, now)
	// A day around the window catches bookings whose buffers reach in.
	from, to = from.AddDate(0, 0, -1), to.AddDate(0, 0, 1)
	exc, err := tx.Exceptions(a.ID, from, to)
	if err != nil {
		return a, nil, nil, err
	}
	booked, err := tx.Bookings(BookingFilter{AdviserID: a.ID, From: from, To: to, Status: wire.BookingConfirmed})
	return a, exc, booked, err
}

// Book books a slot for a kiosk's request, atomically: of many requests
// for the same slot exactly one gets it (the store's unique index on
// adviser and slot start decides); the others get a *SlotTakenError with
// the next free slots. A request whose idempotency key this device used
// before returns the booking made then (replayed true), whatever happened
// to the slot since.
func (b *Bookings) Book(ctx context.Context, deviceID string, req wire.BookRequest) (Booking, bool, error) {
	switch {
	case req.IdempotencyKey == "" || len(req.IdempotencyKey) > 64 || !printable(req.IdempotencyKey):
		return Booking{}, false, invalidField("idempotency_key", "give the request's UUID (1 to 64 characters), the same on every resend", "缺少请求编号")
	case !ValidService(req.Service):
		return Booking{}, false, invalidField("service", "is not a service code", "服务类型无效")
	case req.AdviserID == "":
		return Booking{}, false, invalidField("adviser_id", "choose an adviser", "请选择律师或法律顾问")
	case req.SlotStart.IsZero():
		return Booking{}, false, invalidField("slot_start", "choose a slot", "请选择预约时段")
	case !ValidMobile(req.Phone):
		return Booking{}, false, invalidField("phone", "is not an 11-digit mobile number", "请输入11位手机号码")
	case utf8Len(req.Name) > 32:
		return Booking{}, false, invalidField("name", "at most 32 characters", "姓名最多32个字")
	}
	if err := b.CatchUp(ctx); err != nil {
		b.log.Warn("booking requests from device events not projected before a booking; retried on the next call", "error", err)
	}
	tpl, err := b.MeetingTemplate(ctx)
	if err != nil {
		return Booking{}, false, err
	}
	var (
		out      Booking
		replayed bool
	)
	err = b.store.BookingWrite(ctx, func(tx BookingTx) error {
		dev, err := tx.Device(deviceID)
		if err != nil {
			return err
		}
		out, replayed, err = b.bookTx(tx, dev, req, SourceKiosk, tpl)
		return err
	})
	return out, replayed, err
}

// bookTx books inside a write transaction. A refusal writes nothing.
func (b *Bookings) bookTx(tx BookingTx, dev Device, req wire.BookRequest, source, tpl string) (Booking, bool, error) {
	if prev, err := tx.BookingByRequest(dev.ID, req.IdempotencyKey); err == nil {
		return prev, true, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Booking{}, false, err
	}
	now := b.now()
	a, exc, booked, err := adviserDay(tx, req.AdviserID, now)
	if err != nil {
		return Booking{}, false, err
	}
	if !a.Offers(req.Service) {
		return Booking{}, false, invalidField("service", fmt.Sprintf("%s does not offer %s", a.ID, req.Service), "该律师或法律顾问不提供这项服务")
	}
	start := req.SlotStart
	if !slotFree(a, start, exc, booked, now) {
		return Booking{}, false, taken(a, start, exc, booked, now, "not a free slot now")
	}
	bk := Booking{AdviserID: a.ID, Service: req.Service, SlotStart: start.UTC(), SlotEnd: start.Add(time.Duration(a.SlotMinutes) * time.Minute).UTC(),
		Phone: req.Phone, Name: strings.TrimSpace(req.Name), DeviceID: dev.ID, IdemKey: req.IdempotencyKey,
		ContactPoint: dev.ContactPoint, Region: dev.Region, Source: source, Status: wire.BookingConfirmed, Created: now, Updated: now}
	for try := 0; ; try++ {
		bk.Code = NewBookingCode()
		if _, err := tx.BookingByCode(bk.Code); errors.Is(err, ErrNotFound) {
			break
		} else if err != nil {
			return Booking{}, false, err
		}
		if try > 20 {
			return Booking{}, false, errors.New("no free booking code after 20 tries: the code space is nearly full; widen the codes")
		}
	}
	bk.MeetingURL = MeetingURL(tpl, bk.Code)
	if err := tx.InsertBooking(&bk); err != nil {
		if errors.Is(err, ErrSlotTaken) {
			return Booking{}, false, taken(a, start, exc, append(booked, bk), now, "taken at the same moment")
		}
		return Booking{}, false, err
	}
	if err := tx.ConfirmRequest(dev.ID, req.IdempotencyKey, bk.ID); err != nil {
		return Booking{}, false, err
	}
	return bk, false, nil
}

func slotFree(a Adviser, start time.Time, exc []Exception, booked []Booking, now time.Time) bool {
	for _, s := range FreeSlots(a, start.In(a.Location()).Format(time.DateOnly), exc, booked, now) {
		if s.Start.Equal(start) {
			return true
		}
	}
	return false
}

func taken(a Adviser, start time.Time, exc []Exception, booked []Booking, now time.Time, why string) error {
	from := start
	if from.Before(now) {
		from = now
	}
	return &SlotTakenError{Reason: why, Next: NextFreeSlots(a, from, NextSlotsOnConflict, exc, booked, now)}
}

// findBooking returns the booking of code if phone matches (compared in
// constant time); otherwise ErrBookingNotFound, the same for a wrong code
// and a wrong phone.
func findBooking(tx BookingTx, code, phone string) (Booking, error) {
	bk, err := tx.BookingByCode(NormalizeCode(code))
	if errors.Is(err, ErrNotFound) {
		return Booking{}, ErrBookingNotFound
	}
	if err != nil {
		return Booking{}, err
	}
	if subtle.ConstantTimeCompare([]byte(bk.Phone), []byte(strings.TrimSpace(phone))) != 1 {
		return Booking{}, ErrBookingNotFound
	}
	return bk, nil
}

// Lookup finds a booking by code and phone.
func (b *Bookings) Lookup(ctx context.Context, code, phone string) (Booking, error) {
	var bk Booking
	err := b.store.BookingRead(ctx, func(tx BookingTx) error {
		var err error
		bk, err = findBooking(tx, code, phone)
		return err
	})
	return bk, err
}

// ErrTooLate refuses a change to a consultation that has started.
var ErrTooLate = &Error{"too_late", "the consultation has already started or passed: it cannot be changed",
	"该预约时间已到或已过，不能再修改"}

// Cancel cancels a booking by code and phone (the kiosk flow); cancelling
// twice answers the cancelled booking.
func (b *Bookings) Cancel(ctx context.Context, code, phone string) (Booking, error) {
	var bk Booking
	err := b.store.BookingWrite(ctx, func(tx BookingTx) error {
		var err error
		if bk, err = findBooking(tx, code, phone); err != nil {
			return err
		}
		return b.cancelTx(tx, &bk)
	})
	return bk, err
}

// StaffCancel cancels a booking by code (staff, who reach the villager by
// phone).
func (b *Bookings) StaffCancel(ctx context.Context, code string) (Booking, error) {
	var bk Booking
	err := b.store.BookingWrite(ctx, func(tx BookingTx) error {
		var err error
		if bk, err = tx.BookingByCode(NormalizeCode(code)); err != nil {
			return err
		}
		return b.cancelTx(tx, &bk)
	})
	return bk, err
}

func (b *Bookings) cancelTx(tx BookingTx, bk *Booking) error {
	if bk.Status == wire.BookingCancelled {
		return nil
	}
	now := b.now()
	if !bk.SlotStart.After(now) {
		return ErrTooLate
	}
	bk.Status, bk.Sequence, bk.Updated = wire.BookingCancelled, bk.Sequence+1, now
	return tx.UpdateBooking(*bk)
}

// Reschedule moves a booking (code and phone) to another free slot of the
// same adviser, keeping its code and meeting link. A slot taken meanwhile
// gives a *SlotTakenError with the next free slots.
func (b *Bookings) Reschedule(ctx context.Context, code, phone string, start time.Time) (Booking, error) {
	var bk Booking
	err := b.store.BookingWrite(ctx, func(tx BookingTx) error {
		var err error
		if bk, err = findBooking(tx, code, phone); err != nil {
			return err
		}
		if bk.Status == wire.BookingCancelled {
			return ErrBookingCancelled
		}
		now := b.now()
		if !bk.SlotStart.After(now) {
			return ErrTooLate
		}
		if bk.SlotStart.Equal(start) {
			return nil
		}
		a, exc, booked, err := adviserDay(tx, bk.AdviserID, now)
		if err != nil {
			return err
		}
		others := slices.DeleteFunc(booked, func(o Booking) bool { return o.ID == bk.ID })
		if !slotFree(a, start, exc, others, now) {
			return taken(a, start, exc, booked, now, "not a free slot now")
		}
		bk.SlotStart = start.UTC()
		bk.SlotEnd = start.Add(time.Duration(a.SlotMinutes) * time.Minute).UTC()
		bk.Sequence++
		bk.Updated = now
		if err := tx.UpdateBooking(bk); err != nil {
			if errors.Is(err, ErrSlotTaken) {
				return taken(a, start, exc, booked, now, "taken at the same moment")
			}
			return err
		}
		return nil
	})
	return bk, err
}

// List lists bookings for staff.
func (b *Bookings) List(ctx context.Context, f BookingFilter) ([]Booking, error) {
	if err := b.CatchUp(ctx); err != nil {
		return nil, err
	}
	var bs []Booking
	err := b.store.BookingRead(ctx, func(tx BookingTx) error {
		var err error
		bs, err = tx.Bookings(f)
		return err
	})
	return bs, err
}

// Requests lists booking requests that came as device events, by status
// ("" for all, RequestUnconfirmed for the ones staff must follow up).
func (b *Bookings) Requests(ctx context.Context, status string, limit int) ([]BookingRequestRecord, error) {
	if err := b.CatchUp(ctx); err != nil {
		return nil, err
	}
	return b.store.Requests(ctx, status, limit)
}

// Projection name of the cursor over the events table.
const projection = "bookings-figures"

// CatchUp applies the device events stored since the last call, in order,
// each exactly once (the cursor moves in the same transaction as the rows
// they produce): booking.requested becomes a booking (or an unconfirmed
// request for staff), ticket.* a queue ticket row, rating a rating row.
func (b *Bookings) CatchUp(ctx context.Context) error {
	last, err := b.store.LastEventSeq(ctx)
	if err != nil {
		return err
	}
	var cur int64
	if err := b.store.BookingRead(ctx, func(tx BookingTx) error {
		cur, err = tx.Cursor(projection)
		return err
	}); err != nil || cur >= last {
		return err
	}
	b.catch.Lock()
	defer b.catch.Unlock()
	tpl, err := b.MeetingTemplate(ctx)
	if err != nil {
		return err
	}
	for {
		n := 0
		err := b.store.BookingWrite(ctx, func(tx BookingTx) error {
			cur, err := tx.Cursor(projection)
			if err != nil {
				return err
			}
			es, err := tx.EventsAfter(cur, 500)
			if err != nil {
				return err
			}
			n = len(es)
			for _, e := range es {
				if err := b.project(tx, e, tpl); err != nil {
					return fmt.Errorf("project event %s: %w", e.Key, err)
				}
				cur = e.Seq
			}
			if n == 0 {
				return nil
			}
			return tx.SetCursor(projection, cur)
		})
		if err != nil {
			return fmt.Errorf("project device events: %w", err)
		}
		if n < 500 {
			return nil
		}
	}
}

// Run projects new events every interval until ctx ends (CatchUp also runs
// before every booking and staff listing).
func (b *Bookings) Run(ctx context.Context, every time.Duration) {
	RunEvery(ctx, every, b.log, "device events not projected; retrying", b.CatchUp)
}

func (b *Bookings) project(tx BookingTx, e Event, tpl string) error {
	var we wire.Event
	if err := json.Unmarshal(e.Payload, &we); err != nil {
		return nil // stored events were checked on arrival; skip one that is not
	}
	data, err := we.DecodeData()
	if err != nil {
		return nil
	}
	dev, err := tx.Device(e.DeviceID)
	if err != nil {
		return err
	}
	day := func() string {
		at := we.At
		if !we.ClockTrusted {
			at = e.Received
		}
		return at.In(shanghai()).Format(time.DateOnly)
	}
	cp := dev.ContactPoint
	if cp == "" {
		cp = dev.ID
	}
	switch d := data.(type) {
	case *wire.TicketData:
		row := TicketRow{DeviceID: dev.ID, Day: d.Day, Ticket: d.Ticket, Service: d.Service, ContactPoint: cp, Region: dev.Region, ServiceS: -1}
		switch we.Type {
		case wire.EventTicketIssued:
			row.Issued = true
			if we.ClockTrusted {
				row.IssuedAt = we.At
			}
		case wire.EventTicketCalled:
			if we.ClockTrusted {
				row.CalledAt = we.At
			}
		case wire.EventTicketServed:
			row.Served = true
			if d.ServiceS > 0 {
				row.ServiceS = d.ServiceS
			}
		case wire.EventTicketNoShow:
			row.NoShow = true
		}
		return tx.UpsertTicket(string(we.Type), row)
	case *wire.RatingData:
		return tx.AddRating(RatingRow{DeviceID: dev.ID, EventSeq: e.Seq, Day: day(), Service: d.Service, Ticket: d.Ticket,
			Score: d.Score, ContactPoint: cp, Region: dev.Region})
	case *wire.BookingData:
		return b.projectRequest(tx, dev, e, *d, tpl)
	}
	return nil
}

// projectRequest turns a booking.requested event into a booking, or into
// an unconfirmed request (with the reason) that staff follow up by phone.
func (b *Bookings) projectRequest(tx BookingTx, dev Device, e Event, d wire.BookingData, tpl string) error {
	rec := BookingRequestRecord{DeviceID: dev.ID, RequestID: d.RequestID, EventSeq: e.Seq, Data: d, Received: e.Received}
	if bk, err := tx.BookingByRequest(dev.ID, d.RequestID); err == nil {
		rec.Status, rec.BookingID = RequestConfirmed, bk.ID // the kiosk booked online first
		return tx.PutRequest(rec)
	}
	req := wire.BookRequest{IdempotencyKey: d.RequestID, Service: d.Service, AdviserID: d.AdviserID, SlotStart: d.SlotStart,
		Phone: d.Contact.Phone, Name: d.Contact.Name}
	candidates := []string{d.AdviserID}
	if d.AdviserID == "" { // any adviser: the village's own first
		candidates = nil
		as, err := tx.Advisers()
		if err != nil {
			return err
		}
		slices.SortStableFunc(as, func(x, y Adviser) int {
			if x.OwnAdviserOf(dev.Region) != y.OwnAdviserOf(dev.Region) && x.OwnAdviserOf(dev.Region) {
				return -1
			} else if x.OwnAdviserOf(dev.Region) != y.OwnAdviserOf(dev.Region) {
				return 1
			}
			return 0
		})
		for _, a := range as {
			if a.Active && a.Offers(d.Service) && a.ServesRegion(dev.Region) {
				candidates = append(candidates, a.ID)
			}
		}
	}
	rec.Status, rec.Reason = RequestUnconfirmed, "no_adviser"
	for _, id := range candidates {
		req.AdviserID = id
		bk, _, err := b.bookTx(tx, dev, req, SourceEvent, tpl)
		if err == nil {
			rec.Status, rec.Reason, rec.BookingID = RequestConfirmed, "", bk.ID
			break
		}
		var fe *Error
		if !errors.As(err, &fe) {
			return err // a store failure: retry the whole batch later
		}
		rec.Reason = fe.Code
	}
	return tx.PutRequest(rec)
}

func utf8Len(s string) int { return len([]rune(s)) }
