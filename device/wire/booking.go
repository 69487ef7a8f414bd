package wire

import "time"

// The kiosk's HTTP calls to the fleet (docs/BOOKING.md). They are not MQTT
// payloads: a kiosk asks for free slots and books while it is online, with
// HTTP Basic (device ID, MQTT password), and falls back to a
// booking.requested event in its outbox when it is not. The same UUID is the
// event's request_id and the HTTP idempotency_key, so both paths end in one
// booking.

// KioskCategory is a queue service category as the fleet delivers it
// (GET /api/kiosk/categories): the ticket prefix, the Chinese name and the
// protocol's service code.
type KioskCategory struct {
	Prefix  string `json:"prefix"`  // "A" gives A001
	Name    string `json:"name"`    // 法律咨询
	Service string `json:"service"` // ServiceConsultation …
}

// KioskCategories is the answer of GET /api/kiosk/categories.
type KioskCategories struct {
	Categories []KioskCategory `json:"categories"`
	// Revision grows with every change of the list; a kiosk may keep the
	// list it has while the revision is the same.
	Revision int64 `json:"revision"`
}

// KioskAdviser is an adviser or lawyer as the kiosk lists them
// (GET /api/kiosk/advisers?service=).
type KioskAdviser struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`      // "adviser" or "lawyer"
	KindName string   `json:"kind_name"` // 法律顾问 or 律师
	Own      bool     `json:"own"`       // the village's own adviser: listed first
	Services []string `json:"services"`
	// SlotMinutes is the length of one consultation.
	SlotMinutes int `json:"slot_minutes"`
}

// KioskAdvisers is the answer of GET /api/kiosk/advisers.
type KioskAdvisers struct {
	Advisers []KioskAdviser `json:"advisers"`
}

// KioskSlot is one free consultation time.
type KioskSlot struct {
	AdviserID string    `json:"adviser_id"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
}

// KioskSlots is the answer of GET /api/kiosk/slots?adviser=&day=.
type KioskSlots struct {
	AdviserID string      `json:"adviser_id"`
	Day       string      `json:"day"` // local date YYYY-MM-DD (Asia/Shanghai)
	Slots     []KioskSlot `json:"slots"`
}

// BookRequest is the body of POST /api/kiosk/bookings.
type BookRequest struct {
	// IdempotencyKey is chosen by the kiosk (a UUID) and reused unchanged
	// for every resend of this request, and as request_id of the
	// booking.requested event when the kiosk was offline.
	IdempotencyKey string    `json:"idempotency_key"`
	Service        string    `json:"service"`
	AdviserID      string    `json:"adviser_id"`
	SlotStart      time.Time `json:"slot_start"`
	Phone          string    `json:"phone"`          // 11-digit mobile number
	Name           string    `json:"name,omitempty"` // optional
}

// Booking statuses.
const (
	BookingConfirmed = "confirmed"
	BookingCancelled = "cancelled"
)

// KioskBooking is a booking as the kiosk sees it: the phone number is always
// masked (138****5678).
type KioskBooking struct {
	Code        string    `json:"code"` // 6 characters without 0, O, 1, I
	Status      string    `json:"status"`
	Service     string    `json:"service"`
	AdviserID   string    `json:"adviser_id"`
	AdviserName string    `json:"adviser_name"`
	SlotStart   time.Time `json:"slot_start"`
	SlotEnd     time.Time `json:"slot_end"`
	Phone       string    `json:"phone"` // masked
	MeetingURL  string    `json:"meeting_url"`
	// Replayed is true when the idempotency key was seen before and this
	// is the booking made then.
	Replayed bool `json:"replayed,omitempty"`
}

// SlotTaken is the answer (HTTP 409, code "slot_taken") when someone else
// got the slot first, or it is no longer free: the next free slots of the
// same adviser.
type SlotTaken struct {
	Error     string      `json:"error"`
	Message   string      `json:"message"`
	Code      string      `json:"code"`
	Field     string      `json:"field,omitempty"`
	NextSlots []KioskSlot `json:"next_slots"`
}

// BookingLookup is the body of POST /api/kiosk/bookings/lookup and
// …/{code}/cancel: the booking code and the phone number it was made with.
type BookingLookup struct {
	Code  string `json:"code"`
	Phone string `json:"phone"`
}

// RescheduleRequest is the body of POST /api/kiosk/bookings/{code}/reschedule.
type RescheduleRequest struct {
	Phone     string    `json:"phone"`
	SlotStart time.Time `json:"slot_start"`
}
