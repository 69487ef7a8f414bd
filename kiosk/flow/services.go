package flow

import (
	"context"
	"errors"
	"time"
)

// Category is a queue service category, e.g. {ID: "consult", Prefix: "A",
// Name: "法律咨询"}.
type Category struct {
	ID     string
	Prefix string
	Name   string
}

// Ticket is an issued queue ticket.
type Ticket struct {
	ID           string
	Number       string // e.g. "A003"
	CategoryName string
	Ahead        int           // people waiting before this ticket
	EstWait      time.Duration // estimated wait; 0 when unknown
	IssuedAt     time.Time
	ClockTrusted bool // false when the kiosk's clock may be wrong (no RTC, no NTP yet)
}

// Queue is the contact point's ticket queue. Issue must work with the
// network down.
type Queue interface {
	Categories() []Category
	Issue(ctx context.Context, categoryID string) (Ticket, error)
	// CurrentCall is the ticket being called now, e.g. ("A003", "1", true).
	CurrentCall() (number, window string, ok bool)
	// Changes signals (without blocking the sender) whenever the call or
	// the queue changed.
	Changes() <-chan struct{}
}

// Printer prints receipts. A failure carries a message a villager can read
// (see UserMessage); the ticket or booking stays valid either way.
type Printer interface {
	PrintTicket(ctx context.Context, t Ticket) error
	PrintBooking(ctx context.Context, b Booking) error
}

// Adviser is a lawyer or legal adviser who takes video consultations.
type Adviser struct {
	ID    string
	Name  string // e.g. "林志明"
	Title string // e.g. "律师", "法律顾问"
	Own   bool   // the village's own adviser: listed first
}

// Slot is a free consultation time.
type Slot struct {
	ID    string
	Start time.Time
	End   time.Time
}

// BookingRequest asks for one slot.
type BookingRequest struct {
	Service   string
	AdviserID string
	Slot      Slot
	Phone     string // 11 digits; never logged or shown unmasked after entry
}

// BookingStatus is the outcome of a booking request.
type BookingStatus string

// Booking outcomes.
const (
	BookingConfirmed BookingStatus = "confirmed" // the fleet granted the slot
	BookingPending   BookingStatus = "pending"   // kept in the outbox while offline: 待确认
	BookingTaken     BookingStatus = "taken"     // someone else got the slot first
)

// Booking is the answer to a BookingRequest.
type Booking struct {
	Code      string // booking code shown large and printed; empty when taken
	Status    BookingStatus
	NextSlots []Slot // when taken: the next free slots of the same adviser
	// Filled in by the flow from the request, for the slip and the screen.
	Service     string
	AdviserName string
	Slot        Slot
	Phone       string
	MeetingURL  string // the video link (confirmed bookings), printed as a QR code
}

// Bookings is the video-consultation booking service.
type Bookings interface {
	// Advisers for a service; the village's own adviser first.
	Advisers(service string) []Adviser
	// Slots are the free slots of an adviser on the day (local date).
	Slots(adviserID string, day time.Time) []Slot
	Book(ctx context.Context, req BookingRequest) (Booking, error)
}

// Article is a legal-education article.
type Article struct {
	ID    string
	Title string
	Body  string
}

// Content is the legal-education content the device holds.
type Content interface {
	Articles() []Article
}

// Rating is a villager's verdict on a service, linked to the ticket or
// booking when the rating follows one.
type Rating struct {
	Score       int // 4 非常满意, 3 满意, 2 一般, 1 不满意
	Reasons     []string
	TicketID    string
	BookingCode string
}

// Ratings stores ratings (an outbox synced to the fleet).
type Ratings interface {
	Rate(ctx context.Context, r Rating) error
}

// Info is what the home screen says about the contact point.
type Info struct {
	PointName     string // e.g. "坝下村法律服务联系点"
	Hotline       string // "12348"
	AdviserOnDuty string // e.g. "林志明 律师"; empty when nobody is on duty
}

// InfoSource answers the contact point's details; they may change (the
// adviser on duty).
type InfoSource interface {
	Info() Info
}

// StaticInfo is an InfoSource that never changes.
type StaticInfo Info

// Info implements InfoSource.
func (s StaticInfo) Info() Info { return Info(s) }

// Speaker reads text aloud (espeak-ng's Mandarin voice). Speak blocks until
// done or ctx is cancelled.
type Speaker interface {
	Speak(ctx context.Context, text string) error
}

// Services are everything the kiosk talks to. Printer and Speaker may be
// nil (no printer: nothing printed, no message; no speaker: no 朗读 button).
type Services struct {
	Queue    Queue
	Printer  Printer
	Bookings Bookings
	Content  Content
	Ratings  Ratings
	Info     InfoSource
	Speaker  Speaker
	// MyBookings, Video and Updates may be nil: no 我的预约, no
	// 开始视频咨询, no late outcomes on screen.
	MyBookings MyBookings
	Video      Video
	Updates    Updates
}

// BookingCancelled is a booking cancelled with its code and phone number
// (the status of a BookingInfo, and of a Booking handed to the printer for
// a cancellation slip).
const BookingCancelled BookingStatus = "cancelled"

// BookingInfo is a booking found by its code and phone number ("我的预约").
type BookingInfo struct {
	Code        string        // the fleet's 6-character code (or the 8-character reference while pending)
	Status      BookingStatus // confirmed, cancelled, pending (待确认) or taken (could not be made)
	Service     string        // 法律咨询
	AdviserID   string
	AdviserName string
	Slot        Slot
	Phone       string // masked: 138****5678
	MeetingURL  string
}

// MyBookings finds, cancels and moves a booking by its code and the phone
// number it was made with. Errors: ErrBookingNotFound (wrong code or wrong
// phone: the fleet does not say which), ErrTooManyTries, ErrTooLate,
// ErrBookingGone, a *SlotTakenError, or anything else with a UserMessage.
type MyBookings interface {
	Lookup(ctx context.Context, code, phone string) (BookingInfo, error)
	Cancel(ctx context.Context, code, phone string) (BookingInfo, error)
	Reschedule(ctx context.Context, code, phone string, to Slot) (BookingInfo, error)
}

// The refusals of MyBookings that the screens put in their own words.
var (
	ErrBookingNotFound = errors.New("flow: no booking with that code and phone number")
	ErrTooManyTries    = errors.New("flow: too many wrong codes or phone numbers; wait a minute")
	ErrTooLate         = errors.New("flow: the consultation has started or passed and can no longer change")
	ErrBookingGone     = errors.New("flow: the booking is cancelled and cannot be moved")
)

// SlotTakenError: the slot asked for went meanwhile; Next are the same
// adviser's next free slots.
type SlotTakenError struct{ Next []Slot }

func (e *SlotTakenError) Error() string { return "flow: the slot was taken" }

// Consultation is a confirmed booking made or looked up at this kiosk,
// whose video call can be started here during its time.
type Consultation struct {
	Code        string
	Service     string
	AdviserName string
	Slot        Slot
	MeetingURL  string
}

// Video runs consultations' video calls.
type Video interface {
	// Consultations are the confirmed bookings made or looked up at this
	// kiosk that have not ended. It is called often: keep it cheap.
	Consultations() []Consultation
	// Call runs the external video client with the consultation's meeting
	// link and returns when the client exits, or when ctx ends (the client
	// is then stopped). An error means the call could not start; its
	// UserMessage is shown.
	Call(ctx context.Context, c Consultation) error
}

// Updates are what the services learn on their own, while the screens may
// be anywhere.
type Updates interface {
	// Changes signals (without blocking the sender) that there are
	// outcomes to take or that the consultations changed.
	Changes() <-chan struct{}
	// TakeOutcomes hands over, once each, the fleet's late answers to
	// bookings kept as 待确认 (Status confirmed or taken).
	TakeOutcomes() []Booking
}
