package fleet

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"lawpoint/device/wire"
)

// Adviser kinds.
const (
	AdviserVillage = "adviser" // 法律顾问: a village's own legal adviser
	AdviserLawyer  = "lawyer"  // 律师
)

// AdviserKindName is the Chinese name of an adviser kind.
func AdviserKindName(kind string) string {
	if kind == AdviserLawyer {
		return "律师"
	}
	return "法律顾问"
}

// DefaultTimeZone is where advisers work unless staff say otherwise.
const DefaultTimeZone = "Asia/Shanghai"

// Weekdays in the order staff read them, as they appear in Adviser.Hours.
var Weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// Adviser is a legal adviser (法律顾问) or lawyer (律师) who takes video
// consultations.
type Adviser struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"` // AdviserVillage or AdviserLawyer
	// Serves are the region paths whose kiosks list this adviser, besides
	// its Own villages (a township serves every village under it; Serves
	// and Own both empty: the whole county).
	Serves []string `json:"serves,omitempty"`
	// Own are the villages (region paths) whose own adviser this is: their
	// kiosks list this adviser first.
	Own []string `json:"own,omitempty"`
	// Services are the service codes offered (wire.ServiceConsultation …).
	Services []string `json:"services"`
	// Hours are the weekly working hours by weekday ("mon" … "sun"), each
	// a list of local "HH:MM-HH:MM" intervals.
	Hours map[string][]string `json:"hours"`
	// SlotMinutes is the length of a consultation (5..240).
	SlotMinutes int `json:"slot_minutes"`
	// BufferMinutes is the gap kept after every consultation (0..120).
	BufferMinutes int `json:"buffer_minutes"`
	// MinNoticeMinutes is how long before its start a slot can still be
	// booked (0..10080).
	MinNoticeMinutes int `json:"min_notice_minutes"`
	// HorizonDays is how many days ahead slots can be booked: from today up
	// to and including today + HorizonDays (0..180).
	HorizonDays int    `json:"horizon_days"`
	TimeZone    string `json:"time_zone"`
	Active      bool   `json:"active"`
	// Phone is the adviser's own number (optional, staff only).
	Phone string `json:"phone,omitempty"`
}

// Location loads the adviser's time zone.
func (a Adviser) Location() *time.Location {
	loc, err := time.LoadLocation(a.TimeZone)
	if err != nil {
		return shanghai()
	}
	return loc
}

func shanghai() *time.Location {
	loc, err := time.LoadLocation(DefaultTimeZone)
	if err != nil {
		return time.FixedZone("CST", 8*3600) // no tzdata: Shanghai has had no DST since 1991
	}
	return loc
}

// Offers reports whether the adviser offers service ("" matches any).
func (a Adviser) Offers(service string) bool {
	return service == "" || slices.Contains(a.Services, service)
}

// ServesRegion reports whether kiosks in region list this adviser.
func (a Adviser) ServesRegion(region string) bool {
	if len(a.Serves) == 0 && len(a.Own) == 0 || a.OwnAdviserOf(region) {
		return true
	}
	for _, s := range a.Serves {
		if RegionWithin(region, s) {
			return true
		}
	}
	return false
}

// OwnAdviserOf reports whether this is the own adviser of region's village.
func (a Adviser) OwnAdviserOf(region string) bool {
	for _, o := range a.Own {
		if RegionWithin(region, o) {
			return true
		}
	}
	return false
}

// Normalize checks an adviser record and fills defaults (time zone, slot
// length 30 min, horizon 14 days).
func (a *Adviser) Normalize() error {
	a.Name = strings.TrimSpace(a.Name)
	if err := ValidateDeviceID(a.ID); err != nil {
		return invalidField("id", "use 3 to 64 lower-case letters, digits and '-', e.g. lin-zhiming", "编号须为3到64个小写英文字母、数字或“-”，例如 lin-zhiming")
	}
	if a.Name == "" || utf8.RuneCountInString(a.Name) > 32 || !printable(a.Name) {
		return invalidField("name", "give a name of 1 to 32 characters", "请填写姓名（1到32个字）")
	}
	if a.Kind == "" {
		a.Kind = AdviserVillage
	}
	if a.Kind != AdviserVillage && a.Kind != AdviserLawyer {
		return invalidField("kind", "use adviser (法律顾问) or lawyer (律师)", "类型须为 adviser（法律顾问）或 lawyer（律师）")
	}
	for i, list := range [][]string{a.Serves, a.Own} {
		for j, r := range list {
			n, err := NormalizeRegion(r)
			if err != nil {
				f := []string{"serves", "own"}[i]
				return invalidField(fmt.Sprintf("%s[%d]", f, j), "is not a region path like 仙游县/榜头镇/坝下村", "区域须为“县/镇/村”形式，例如 仙游县/榜头镇/坝下村")
			}
			list[j] = n
		}
	}
	if len(a.Services) == 0 {
		a.Services = []string{wire.ServiceConsultation}
	}
	for i, s := range a.Services {
		if !ValidService(s) {
			return invalidField(fmt.Sprintf("services[%d]", i), fmt.Sprintf("%q is not a service code (%s)", s, strings.Join(ServiceCodes, ", ")), "服务类型无效")
		}
	}
	if a.TimeZone == "" {
		a.TimeZone = DefaultTimeZone
	}
	if _, err := time.LoadLocation(a.TimeZone); err != nil {
		return invalidField("time_zone", fmt.Sprintf("%q is not a time zone this server knows", a.TimeZone), "时区无效，请使用 Asia/Shanghai")
	}
	if a.SlotMinutes == 0 {
		a.SlotMinutes = 30
	}
	if a.HorizonDays == 0 {
		a.HorizonDays = 14
	}
	switch {
	case a.SlotMinutes < 5 || a.SlotMinutes > 240:
		return invalidField("slot_minutes", "must be 5 to 240", "每次咨询时长须为5到240分钟")
	case a.BufferMinutes < 0 || a.BufferMinutes > 120:
		return invalidField("buffer_minutes", "must be 0 to 120", "两次咨询间隔须为0到120分钟")
	case a.MinNoticeMinutes < 0 || a.MinNoticeMinutes > 7*24*60:
		return invalidField("min_notice_minutes", "must be 0 to 10080 (a week)", "最短提前预约时间须为0到10080分钟")
	case a.HorizonDays < 0 || a.HorizonDays > 180:
		return invalidField("horizon_days", "must be 0 to 180", "可预约天数须为0到180天")
	}
	if a.Phone != "" && !ValidMobile(a.Phone) {
		return invalidField("phone", "is not an 11-digit mobile number", "手机号码须为11位数字")
	}
	if a.Hours == nil {
		a.Hours = map[string][]string{}
	}
	for day, ivs := range a.Hours {
		if !slices.Contains(Weekdays, day) {
			return invalidField("hours."+day, "is not a weekday: use mon, tue, wed, thu, fri, sat, sun", "星期须为 mon、tue、wed、thu、fri、sat、sun")
		}
		spans := make([]span, 0, len(ivs))
		for i, iv := range ivs {
			s, err := parseDailyInterval(iv)
			if err != nil {
				return invalidField(fmt.Sprintf("hours.%s[%d]", day, i), err.Error(), "工作时间须为“09:00-12:00”形式，且结束晚于开始")
			}
			spans = append(spans, s)
		}
		slices.SortFunc(spans, func(x, y span) int { return int(x.from - y.from) })
		for i := 1; i < len(spans); i++ {
			if spans[i].from < spans[i-1].to {
				return invalidField("hours."+day, "intervals overlap: merge them", "同一天的工作时间段有重叠，请合并")
			}
		}
		if len(ivs) == 0 {
			delete(a.Hours, day)
		}
	}
	return nil
}

// span is a daily interval in minutes from midnight.
type span struct{ from, to int }

func parseDailyInterval(s string) (span, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return span{}, fmt.Errorf("%q is not HH:MM-HH:MM", s)
	}
	f, err1 := parseHHMM(a)
	t, err2 := parseHHMM(b)
	if err1 != nil || err2 != nil {
		return span{}, fmt.Errorf("%q is not HH:MM-HH:MM (24:00 allowed as an end)", s)
	}
	if t <= f {
		return span{}, fmt.Errorf("%q ends before it starts", s)
	}
	return span{f, t}, nil
}

func parseHHMM(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "24:00" {
		return 24 * 60, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// ServiceCodes are the protocol's service codes (docs/PROTOCOL.md section 9).
var ServiceCodes = []string{wire.ServiceConsultation, wire.ServiceLegalAid, wire.ServiceMediation, wire.ServiceNotary,
	wire.ServiceAppraisal, wire.ServiceResettlement, wire.ServiceEducation, wire.ServiceOther}

// ValidService reports whether s is a service code.
func ValidService(s string) bool { return slices.Contains(ServiceCodes, s) }

// ServiceName is the Chinese name of a service code.
func ServiceName(s string) string {
	switch s {
	case wire.ServiceConsultation:
		return "法律咨询"
	case wire.ServiceLegalAid:
		return "法律援助"
	case wire.ServiceMediation:
		return "人民调解"
	case wire.ServiceNotary:
		return "公证"
	case wire.ServiceAppraisal:
		return "司法鉴定"
	case wire.ServiceResettlement:
		return "安置帮教"
	case wire.ServiceEducation:
		return "法治宣传"
	}
	return "其他"
}

// ValidMobile reports whether p is a mainland mobile number: 11 digits
// starting 13–19.
func ValidMobile(p string) bool {
	if len(p) != 11 || p[0] != '1' || p[1] < '3' {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

// KeepMaskedPhone is the adviser phone number to store when staff send
// typed for a record that holds stored. Staff without PermPhone are shown
// the stored number masked (wire.MaskPhone), and a masked number is never
// a number itself: sending it back unchanged keeps the stored one, so a
// form or a record read, changed elsewhere and sent back does not lose it.
// Anything else (a new number, or empty to remove it) is what staff typed.
func KeepMaskedPhone(typed, stored string) string {
	if stored != "" && typed == wire.MaskPhone(stored) {
		return stored
	}
	return typed
}

// Exception kinds.
const (
	ExceptionOff   = "off"   // leave: no consultations in [From, To)
	ExceptionExtra = "extra" // extra working hours in [From, To)
)

// ExceptionKindName is the Chinese name of an exception kind: 加班 for
// extra hours, 请假 (leave) otherwise.
func ExceptionKindName(kind string) string {
	if kind == ExceptionExtra {
		return "加班"
	}
	return "请假"
}

// Exception is leave or extra hours of an adviser.
type Exception struct {
	ID        int64     `json:"id"`
	AdviserID string    `json:"adviser_id"`
	Kind      string    `json:"kind"`
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	Note      string    `json:"note,omitempty"`
	Created   time.Time `json:"created"`
}

// Booking sources.
const (
	SourceKiosk = "kiosk" // POST /api/kiosk/bookings
	SourceEvent = "event" // a booking.requested event from a device outbox
)

// Booking is a video consultation booked with an adviser. Phone is
// personal data: stored to reach the villager, masked everywhere except
// for staff with PermPhone, never logged.
type Booking struct {
	ID           int64
	Code         string
	AdviserID    string
	Service      string
	SlotStart    time.Time
	SlotEnd      time.Time
	Phone        string
	Name         string
	DeviceID     string // the kiosk it was booked at
	IdemKey      string // the kiosk's idempotency key (request ID)
	ContactPoint string
	Region       string
	Source       string
	Status       string // wire.BookingConfirmed or wire.BookingCancelled
	MeetingURL   string
	// Sequence counts changes (reschedule, cancel), for iCalendar.
	Sequence int
	Created  time.Time
	Updated  time.Time
}

// CodeAlphabet is the booking-code alphabet: digits and capitals without
// 0/O and 1/I, which villagers and staff confuse.
const CodeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// NewBookingCode returns a random 6-character booking code.
func NewBookingCode() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = CodeAlphabet[int(b[i])%len(CodeAlphabet)] // 256 is a multiple of 32: no bias
	}
	return string(b[:])
}

// NormalizeCode trims and upper-cases a typed booking code.
func NormalizeCode(c string) string { return strings.ToUpper(strings.TrimSpace(c)) }

// BookingRequestRecord is a booking.requested event from a device outbox
// and what became of it.
type BookingRequestRecord struct {
	DeviceID  string           `json:"device_id"`
	RequestID string           `json:"request_id"`
	EventSeq  int64            `json:"event_seq"`
	Data      wire.BookingData `json:"-"`
	Status    string           `json:"status"` // confirmed or unconfirmed
	Reason    string           `json:"reason,omitempty"`
	BookingID int64            `json:"booking_id,omitempty"`
	Received  time.Time        `json:"received"`
}

// Request statuses.
const (
	RequestConfirmed   = "confirmed"
	RequestUnconfirmed = "unconfirmed"
)

// RequestReasonText is the Chinese reason, for staff, why a booking
// request could not be booked ("" for no reason code): staff call the
// villager back.
func RequestReasonText(code string) string {
	switch code {
	case "":
		return ""
	case ErrSlotTaken.Code:
		return "所选时段已被预约或已过，请电话联系群众另约时间"
	case "no_adviser":
		return "没有可接受预约的律师或法律顾问"
	case ErrNotFound.Code:
		return "所选律师或法律顾问不存在"
	}
	return "预约信息有误（" + code + "），请电话联系群众"
}

// BookingFilter selects bookings.
type BookingFilter struct {
	AdviserID    string
	From, To     time.Time // slot start in [From, To); zero: unbounded
	ContactPoint string
	Region       string
	Status       string // "" for all
	Limit        int
}

// TicketRow is a queue ticket as projected from ticket.* events.
type TicketRow struct {
	DeviceID, Day, Ticket, Service string
	ContactPoint, Region           string
	Issued                         bool
	IssuedAt, CalledAt             time.Time // zero when unknown or the clock was not trusted
	Served, NoShow                 bool
	ServiceS                       int // -1 when unknown
}

// RatingRow is a rating event as projected.
type RatingRow struct {
	DeviceID             string
	EventSeq             int64
	Day, Service, Ticket string
	Score                int
	ContactPoint, Region string
}

// BookingTx is what the booking logic reads and writes inside one store
// transaction. The store guarantees, with a unique index, at most one
// confirmed booking per (adviser, slot start) and one booking per (device,
// idempotency key): InsertBooking and MoveBooking fail with ErrSlotTaken or
// ErrDuplicateRequest instead of breaking them.
type BookingTx interface {
	Adviser(id string) (Adviser, error)
	Advisers() ([]Adviser, error)
	Exceptions(adviserID string, from, to time.Time) ([]Exception, error)
	Bookings(f BookingFilter) ([]Booking, error)
	BookingByRequest(deviceID, key string) (Booking, error)
	BookingByCode(code string) (Booking, error)
	InsertBooking(b *Booking) error
	// UpdateBooking stores a booking's slot, status, sequence and update time.
	UpdateBooking(b Booking) error
	Device(id string) (Device, error)
	Setting(key string) (string, error)

	// Event projection.
	Cursor(name string) (int64, error)
	SetCursor(name string, seq int64) error
	EventsAfter(seq int64, limit int) ([]Event, error)
	PutRequest(r BookingRequestRecord) error
	ConfirmRequest(deviceID, requestID string, bookingID int64) error
	UpsertTicket(eventType string, row TicketRow) error
	AddRating(r RatingRow) error
}

// BookingStore keeps advisers, bookings, categories and the projections of
// device events. Write runs fn in one write transaction (all or nothing);
// Read runs it on a consistent read-only snapshot.
type BookingStore interface {
	BookingWrite(ctx context.Context, fn func(BookingTx) error) error
	BookingRead(ctx context.Context, fn func(BookingTx) error) error

	PutAdviser(ctx context.Context, a Adviser, now time.Time) error
	AddException(ctx context.Context, e Exception) (Exception, error)
	DeleteException(ctx context.Context, adviserID string, id int64) error
	SetCalendarToken(ctx context.Context, adviserID string, hash [32]byte) error
	AdviserByCalendarToken(ctx context.Context, hash [32]byte) (Adviser, error)
	Requests(ctx context.Context, status string, limit int) ([]BookingRequestRecord, error)
	SetSetting(ctx context.Context, key, value string) error
	Categories(ctx context.Context) ([]wire.KioskCategory, int64, error)
	PutCategories(ctx context.Context, cs []wire.KioskCategory) (int64, error)
	// LastEventSeq is the highest stored event sequence number.
	LastEventSeq(ctx context.Context) (int64, error)
	ScanTickets(ctx context.Context, fromDay, toDay string, fn func(TicketRow) error) error
	ScanRatings(ctx context.Context, fromDay, toDay string, fn func(RatingRow) error) error
}

// Booking errors.
var (
	ErrSlotTaken = &Error{"slot_taken", "that slot is no longer free: choose one of the next free slots",
		"该时段已被预约或已不可预约，请选择其他时段"}
	ErrDuplicateRequest = &Error{"duplicate_request", "this request was already made: its booking is returned",
		"该预约请求已提交过"}
	ErrBookingNotFound = &Error{"booking_not_found", "no booking with that code and phone number: check both",
		"没有找到该预约，请核对预约码和手机号码"}
	ErrBookingCancelled = &Error{"booking_cancelled", "the booking is cancelled: make a new one",
		"该预约已取消，如需咨询请重新预约"}
)
