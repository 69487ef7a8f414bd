package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Batch limits for events.
const (
	MaxEventsPerBatch  = 200
	MaxBatchesInFlight = 4
)

// EventType names what happened.
type EventType string

// The event types of schema 1 and their data types.
const (
	EventTicketIssued     EventType = "ticket.issued"     // TicketData
	EventTicketCalled     EventType = "ticket.called"     // TicketData (counter set)
	EventTicketServed     EventType = "ticket.served"     // TicketData (counter, service_s set)
	EventTicketNoShow     EventType = "ticket.no_show"    // TicketData
	EventBookingRequested EventType = "booking.requested" // BookingData
	EventRating           EventType = "rating"            // RatingData
	EventPlay             EventType = "play"              // PlayData (proof of play, aggregated)
	EventFault            EventType = "fault"             // FaultData
)

// EventTypes returns every event type of schema 1.
func EventTypes() []EventType {
	return []EventType{EventTicketIssued, EventTicketCalled, EventTicketServed, EventTicketNoShow,
		EventBookingRequested, EventRating, EventPlay, EventFault}
}

// Service codes: the public legal services of a contact point.
const (
	ServiceConsultation = "consultation" // 法律咨询
	ServiceLegalAid     = "legal_aid"    // 法律援助
	ServiceMediation    = "mediation"    // 人民调解
	ServiceNotary       = "notary"       // 公证
	ServiceAppraisal    = "appraisal"    // 司法鉴定
	ServiceResettlement = "resettlement" // 安置帮教
	ServiceEducation    = "education"    // 法治宣传
	ServiceOther        = "other"
)

var services = []string{ServiceConsultation, ServiceLegalAid, ServiceMediation, ServiceNotary,
	ServiceAppraisal, ServiceResettlement, ServiceEducation, ServiceOther}

func (c *check) service(field, s string) {
	for _, v := range services {
		if s == v {
			return
		}
	}
	c.fail(field, "%q is not a service code (%s)", truncate(s, 30), strings.Join(services, ", "))
}

// Event is one entry of an event batch. Its identity is (device ID, Seq):
// the device takes Seq from a persisted counter in the same transaction that
// stores the event in its outbox, and resends the stored bytes unchanged.
type Event struct {
	Seq  uint64    `json:"seq"`
	Type EventType `json:"type"`
	// At is the device's wall clock when it happened; ClockTrusted says
	// whether that clock was trusted. BootID and UptimeMS let the fleet
	// correct At later from a trusted sample of the same boot.
	At           time.Time       `json:"at"`
	ClockTrusted bool            `json:"clock_trusted"`
	BootID       string          `json:"boot_id"`
	UptimeMS     uint64          `json:"uptime_ms"`
	Data         json.RawMessage `json:"data"`
}

// EventID is the idempotency key of an event: "{deviceID}:{seq}".
func EventID(deviceID string, seq uint64) string {
	return deviceID + ":" + strconv.FormatUint(seq, 10)
}

// Fingerprint is the SHA-256 (hex) of the event's compact JSON; the fleet
// keeps it to tell a resend (same fingerprint) from a reused sequence
// number (a conflict).
func (e Event) Fingerprint() string {
	b, err := json.Marshal(e)
	if err != nil { // only if Data is not valid JSON; hash the raw parts
		b = []byte(fmt.Sprintf("%d|%s|%s|%s", e.Seq, e.Type, e.At.Format(time.RFC3339Nano), e.Data))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func (c *check) event(i int, e Event) {
	f := fmt.Sprintf("events[%d].", i)
	c.that(e.Seq >= 1, f+"seq", "is 0; sequence numbers start at 1")
	c.code(f+"type", string(e.Type), true)
	c.timeSet(f+"at", e.At)
	c.token(f+"boot_id", e.BootID, 64, true)
	c.object(f+"data", e.Data, true)
}

// DecodeData decodes and checks the data for the event's type and returns
// *TicketData, *BookingData, *RatingData, *PlayData or *FaultData. An
// unknown type gives an error wrapping ErrUnsupported; the fleet rejects
// such an event in its ack.
func (e Event) DecodeData() (any, error) {
	c := check{kind: KindEvents}
	switch e.Type {
	case EventTicketIssued, EventTicketCalled, EventTicketServed, EventTicketNoShow:
		var d TicketData
		if err := strictInto(KindEvents, "data", e.Data, &d); err != nil {
			return nil, err
		}
		c.text("data.ticket", d.Ticket, 16, true)
		c.service("data.service", d.Service)
		_, err := time.Parse(time.DateOnly, d.Day)
		c.that(err == nil, "data.day", "%q is not a date YYYY-MM-DD", truncate(d.Day, 20))
		calledOrServed := e.Type == EventTicketCalled || e.Type == EventTicketServed
		c.text("data.counter", d.Counter, 16, calledOrServed)
		c.that(d.ServiceS >= 0 && (d.ServiceS == 0 || e.Type == EventTicketServed), "data.service_s",
			"%d is negative or set on a %s event", d.ServiceS, e.Type)
		return &d, c.err
	case EventBookingRequested:
		var d BookingData
		if err := strictInto(KindEvents, "data", e.Data, &d); err != nil {
			return nil, err
		}
		c.token("data.request_id", d.RequestID, 64, true)
		c.service("data.service", d.Service)
		c.token("data.adviser_id", d.AdviserID, 64, false)
		c.timeSet("data.slot_start", d.SlotStart)
		c.text("data.contact.name", d.Contact.Name, 32, true)
		c.that(validPhone(d.Contact.Phone), "data.contact.phone", "is not a phone number of 5 to 15 digits (an optional leading +)")
		c.text("data.note", d.Note, 500, false)
		return &d, c.err
	case EventRating:
		var d RatingData
		if err := strictInto(KindEvents, "data", e.Data, &d); err != nil {
			return nil, err
		}
		c.service("data.service", d.Service)
		c.text("data.ticket", d.Ticket, 16, false)
		c.that(d.Score >= 1 && d.Score <= 5, "data.score", "%d is outside 1..5", d.Score)
		c.that(len(d.Tags) <= 10, "data.tags", "has %d tags, over the limit of 10", len(d.Tags))
		for i, t := range d.Tags {
			c.code(fmt.Sprintf("data.tags[%d]", i), t, true)
		}
		return &d, c.err
	case EventPlay:
		var d PlayData
		if err := strictInto(KindEvents, "data", e.Data, &d); err != nil {
			return nil, err
		}
		c.token("data.item_id", d.ItemID, 128, true)
		c.timeSet("data.from", d.From)
		c.timeSet("data.to", d.To)
		c.that(!d.To.Before(d.From), "data.to", "is before data.from")
		c.that(d.Plays >= 1, "data.plays", "is %d; send a play event only for items that played", d.Plays)
		c.that(d.Seconds >= 0, "data.seconds", "is negative")
		return &d, c.err
	case EventFault:
		var d FaultData
		if err := strictInto(KindEvents, "data", e.Data, &d); err != nil {
			return nil, err
		}
		c.code("data.code", d.Code, true)
		c.code("data.component", d.Component, true)
		c.that(d.Severity == SeverityInfo || d.Severity == SeverityWarning || d.Severity == SeverityError,
			"data.severity", "%q is not info, warning or error", truncate(d.Severity, 20))
		c.text("data.message", d.Message, 1000, false)
		c.that(d.Count >= 0, "data.count", "is negative")
		return &d, c.err
	}
	return nil, &DecodeError{Kind: KindEvents, Field: "type", Class: ErrUnsupported,
		Problem: fmt.Sprintf("event type %q is not known; the fleet rejects it", truncate(string(e.Type), 40))}
}

// TicketData is the data of the ticket.* events. No personal data: a ticket
// is a number for a service on a day.
type TicketData struct {
	Ticket  string `json:"ticket"`  // as printed, e.g. "A023"
	Service string `json:"service"` // service code
	Day     string `json:"day"`     // queue day, local date YYYY-MM-DD
	Counter string `json:"counter,omitempty"`
	// ServiceS is how long the service took (served only).
	ServiceS int `json:"service_s,omitempty"`
}

// BookingData is the data of booking.requested. Contact is personal data:
// stored only by the fleet, shown only to staff with the right role, and
// masked in every log (Contact implements slog.LogValuer and fmt.Stringer).
type BookingData struct {
	// RequestID is chosen by the device (a UUID) and printed on the receipt.
	RequestID string    `json:"request_id"`
	Service   string    `json:"service"`
	AdviserID string    `json:"adviser_id,omitempty"`
	SlotStart time.Time `json:"slot_start"`
	Contact   Contact   `json:"contact"`
	Note      string    `json:"note,omitempty"`
}

// Contact is a villager's name and phone number.
type Contact struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// String masks the contact: "张** 138****5678".
func (c Contact) String() string { return MaskName(c.Name) + " " + MaskPhone(c.Phone) }

// LogValue masks the contact in structured logs.
func (c Contact) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", MaskName(c.Name)), slog.String("phone", MaskPhone(c.Phone)))
}

// MaskName keeps the first character of a name: "张三丰" → "张**".
func MaskName(name string) string {
	n := utf8.RuneCountInString(name)
	if n == 0 {
		return ""
	}
	r, _ := utf8.DecodeRuneInString(name)
	return string(r) + strings.Repeat("*", max(n-1, 1))
}

// MaskPhone keeps the first three and last four digits: "13812345678" →
// "138****5678"; shorter numbers keep only the last two.
func MaskPhone(p string) string {
	if len(p) >= 11 {
		return p[:3] + strings.Repeat("*", len(p)-7) + p[len(p)-4:]
	}
	if len(p) > 2 {
		return strings.Repeat("*", len(p)-2) + p[len(p)-2:]
	}
	return strings.Repeat("*", len(p))
}

func validPhone(p string) bool {
	d := strings.TrimPrefix(p, "+")
	if len(d) < 5 || len(d) > 15 {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

// RatingData is the data of rating (群众评价).
type RatingData struct {
	Service string   `json:"service"`
	Ticket  string   `json:"ticket,omitempty"`
	Score   int      `json:"score"` // 1 (very dissatisfied) .. 5 (very satisfied)
	Tags    []string `json:"tags,omitempty"`
}

// PlayData is proof of play, aggregated per item per hour (one event per
// item per hour it played), not one event per showing.
type PlayData struct {
	ItemID         string    `json:"item_id"`
	ItemVersion    uint64    `json:"item_version"`
	ManifestSerial uint64    `json:"manifest_serial"`
	From           time.Time `json:"from"`
	To             time.Time `json:"to"`
	Plays          int       `json:"plays"`
	Seconds        int       `json:"seconds"`
}

// Fault severities.
const (
	SeverityInfo    = "info"
	SeverityWarning = "warning"
	SeverityError   = "error"
)

// FaultData is the data of fault. Component is one of led, printer, touch,
// audio, network, storage, clock, agent, protocol; Code names the fault
// within it (e.g. protocol: "desired.unknown_schema").
type FaultData struct {
	Code      string `json:"code"`
	Component string `json:"component"`
	Severity  string `json:"severity"`
	Message   string `json:"message,omitempty"`
	// Cleared marks the end of a fault raised earlier with the same code.
	Cleared bool `json:"cleared,omitempty"`
	// Count is how many times it happened since the last fault event of
	// this code (faults are rate-limited, not repeated).
	Count int `json:"count,omitempty"`
}

// EventBatch is a message on lp/v1/dev/{id}/events.
type EventBatch struct {
	Schema int `json:"schema"`
	// Batch names the batch for the ack, e.g. "b-1201" (the first seq).
	Batch  string  `json:"batch"`
	Events []Event `json:"events"`
}

// TopicKind is the topic kind (events).
func (EventBatch) TopicKind() Kind { return KindEvents }

func (b EventBatch) withSchema() Payload {
	if b.Schema == 0 {
		b.Schema = Schema
	}
	return b
}

// Validate checks the batch and every event's envelope (not the data,
// which the fleet checks per event with DecodeData and rejects per event).
func (b EventBatch) Validate() error {
	c := check{kind: KindEvents}
	c.schema(b.Schema)
	c.token("batch", b.Batch, 64, true)
	c.that(len(b.Events) >= 1 && len(b.Events) <= MaxEventsPerBatch, "events",
		"has %d events; send 1 to %d per batch", len(b.Events), MaxEventsPerBatch)
	seen := make(map[uint64]bool, len(b.Events))
	for i, e := range b.Events {
		c.event(i, e)
		c.that(!seen[e.Seq], fmt.Sprintf("events[%d].seq", i), "%d appears twice in one batch", e.Seq)
		seen[e.Seq] = true
	}
	return c.err
}

// DecodeEventBatch decodes and validates an event batch.
func DecodeEventBatch(b []byte) (EventBatch, error) {
	var eb EventBatch
	if err := decodeStrict(KindEvents, b, &eb); err != nil {
		return EventBatch{}, err
	}
	if err := eb.Validate(); err != nil {
		return EventBatch{}, err
	}
	return eb, nil
}
