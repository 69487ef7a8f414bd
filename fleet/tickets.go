package fleet

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"lawpoint/device/wire"
)

// TicketEvent is one stored ticket.* event of a kiosk: its type and data.
type TicketEvent struct {
	Type wire.EventType
	Data wire.TicketData
}

// QueueStore is what the public ticket status page and the call notices
// need from the store (docs/QUEUE.md, "The ticket status page";
// docs/FLEET.md, "Calls on the LED boards").
type QueueStore interface {
	// TicketEvents lists deviceID's ticket.* events (issued, called,
	// served, no_show) of the queue day day (YYYY-MM-DD, the event's
	// data.day), in the order the kiosk recorded them (its event sequence
	// numbers). None is an empty list, not an error.
	TicketEvents(ctx context.Context, deviceID, day string) ([]TicketEvent, error)
	// DropOldVersions deletes every stored version of a content record
	// but the newest and returns how many it deleted. It is for records
	// whose history is worth nothing (the call notices, replaced on every
	// call): without it each call would add a row that every read of the
	// content set scans.
	DropOldVersions(ctx context.Context, kind RecordKind, id string) (int64, error)
}

// TicketState is where a ticket is in the queue, as the fleet knows it
// from the kiosk's events.
type TicketState string

// Ticket states.
const (
	TicketWaiting TicketState = "waiting" // issued, not called yet
	TicketCalled  TicketState = "called"  // called to a window (the latest call counts)
	TicketServed  TicketState = "served"  // 完成
	TicketNoShow  TicketState = "no_show" // 过号
)

// TicketStatus is what the public status page shows of one ticket. It
// holds nothing personal: a ticket is a number for a service on a day.
type TicketStatus struct {
	DeviceID string
	Day      string // the kiosk's queue day, YYYY-MM-DD
	Number   string // as printed, e.g. "A003"
	Service  string // service code it waits or was served in (after a transfer, the new one once the fleet sees it)
	Category string // the category's Chinese name, e.g. 法律咨询
	State    TicketState
	Window   string // the window of the latest call (called, served); "" otherwise
	// Ahead is how many tickets of the same kiosk, day and service were
	// issued before it and are still waiting (not called, served or
	// no-show); 0 unless the ticket itself is waiting.
	Ahead int
	// ContactPoint is the kiosk's contact point name (its village when
	// the registry has none).
	ContactPoint string
}

// StatusText is the state in Chinese for villagers.
func (t TicketStatus) StatusText() string {
	switch t.State {
	case TicketWaiting:
		return "等候中"
	case TicketCalled:
		if t.Window != "" {
			if isDigits(t.Window) {
				return "已叫号，请到 " + t.Window + " 号窗口"
			}
			return "已叫号，请到 " + t.Window
		}
		return "已叫号，请到窗口办理"
	case TicketServed:
		return "已办结"
	case TicketNoShow:
		return "已过号"
	}
	return ""
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// ticketNumberRE is a ticket number as the kiosk's queue prints it: a
// capital prefix and at least three digits (A001 … A999, A1000 …).
var ticketNumberRE = regexp.MustCompile(`^[A-Z][0-9]{3,7}$`)

// ValidTicketNumber reports whether s looks like a printed ticket number.
func ValidTicketNumber(s string) bool { return ticketNumberRE.MatchString(s) }

// TicketStatusOf works out a ticket's status from its kiosk's ticket
// events of one day, in the kiosk's order. ok is false when no event names
// the number. Service, State, Window and Ahead are set; Category and
// ContactPoint are the caller's.
//
// Each event moves its ticket: issued → waiting (and fixes its place by
// issue), called → called to the event's window, served, no_show. The
// service is the latest event's (a transfer is not an event of the
// protocol, but the transferred ticket is called and served under its new
// service). People ahead are the tickets issued before it, of the same
// service, still waiting.
func TicketStatusOf(evs []TicketEvent, number string) (TicketStatus, bool) {
	type tk struct {
		order   int // position of its issue; -1 when the issue was not seen
		service string
		state   TicketState
		window  string
	}
	tickets := map[string]*tk{}
	for i, e := range evs {
		t := tickets[e.Data.Ticket]
		if t == nil {
			t = &tk{order: -1}
			tickets[e.Data.Ticket] = t
		}
		t.service = e.Data.Service
		switch e.Type {
		case wire.EventTicketIssued:
			t.order, t.state, t.window = i, TicketWaiting, ""
		case wire.EventTicketCalled:
			t.state, t.window = TicketCalled, e.Data.Counter
		case wire.EventTicketServed:
			t.state = TicketServed
			if e.Data.Counter != "" {
				t.window = e.Data.Counter
			}
		case wire.EventTicketNoShow:
			t.state = TicketNoShow
		}
	}
	me := tickets[number]
	if me == nil || me.state == "" {
		return TicketStatus{}, false
	}
	st := TicketStatus{Number: number, Service: me.service, State: me.state, Window: me.window}
	if me.state == TicketWaiting {
		for n, t := range tickets {
			if n != number && t.state == TicketWaiting && t.service == me.service && t.order >= 0 && t.order < me.order {
				st.Ahead++
			}
		}
	}
	return st, true
}

// Tickets answers the public ticket status page the receipt's QR code
// opens: /t/{deviceID}/{day}/{number}.
type Tickets struct {
	store Store
}

// NewTickets returns the ticket lookup on s.
func NewTickets(s Store) *Tickets { return &Tickets{store: s} }

// Status returns one ticket's status; ErrNotFound when the device, the
// day or the number is malformed, the device is not a kiosk, or the fleet
// has no event of that ticket (yet: a kiosk offline since it issued the
// ticket has not sent it).
func (t *Tickets) Status(ctx context.Context, deviceID, day, number string) (TicketStatus, error) {
	notFound := fmt.Errorf("ticket %s/%s/%s: %w", deviceID, day, number, ErrNotFound)
	if wire.ValidateDeviceID(deviceID) != nil || !ValidTicketNumber(number) {
		return TicketStatus{}, notFound
	}
	if d, err := time.Parse(time.DateOnly, day); err != nil || d.Format(time.DateOnly) != day {
		return TicketStatus{}, notFound
	}
	dev, err := t.store.Device(ctx, deviceID)
	if errors.Is(err, ErrNotFound) || (err == nil && dev.Kind != KindKiosk) {
		return TicketStatus{}, notFound
	}
	if err != nil {
		return TicketStatus{}, err
	}
	evs, err := t.store.TicketEvents(ctx, deviceID, day)
	if err != nil {
		return TicketStatus{}, err
	}
	st, ok := TicketStatusOf(evs, number)
	if !ok {
		return TicketStatus{}, notFound
	}
	st.DeviceID, st.Day = deviceID, day
	st.Category = t.categoryName(ctx, number, st.Service)
	st.ContactPoint = contactPointName(dev)
	return st, nil
}

// categoryName is the name of the kiosks' category the number's prefix
// stands for when it offers the ticket's service (staff set the list for
// every kiosk), else the service's own name.
func (t *Tickets) categoryName(ctx context.Context, number, service string) string {
	var cs []wire.KioskCategory
	if bs, ok := t.store.(interface {
		Categories(context.Context) ([]wire.KioskCategory, int64, error)
	}); ok {
		cs, _, _ = bs.Categories(ctx)
	}
	if len(cs) == 0 {
		cs = DefaultCategories()
	}
	prefix := strings.TrimRight(number, "0123456789")
	for _, c := range cs {
		if c.Prefix == prefix && c.Service == service {
			return c.Name
		}
	}
	same := ""
	for _, c := range cs {
		if c.Service == service {
			if same != "" {
				same = "" // two categories of one service: the service's name says it
				break
			}
			same = c.Name
		}
	}
	if same != "" {
		return same
	}
	return ServiceName(service)
}

// contactPointName is the device's contact point, or its village (the
// last segment of its region) with 法律服务联系点 when it has none.
func contactPointName(d Device) string {
	if d.ContactPoint != "" {
		return d.ContactPoint
	}
	r := d.Region
	if i := strings.LastIndex(r, "/"); i >= 0 {
		r = r[i+1:]
	}
	return r + "法律服务联系点"
}
