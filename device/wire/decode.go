package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode"
	"unicode/utf8"
)

// Schema is the current schema version of every payload kind. Any change to
// a payload's fields bumps its schema (decoders are strict and refuse fields
// they do not know); a device announces what it accepts in its presence.
const Schema = 1

// Payload is implemented by every message type of the protocol.
type Payload interface {
	// TopicKind is the topic kind the payload travels on.
	TopicKind() Kind
	// Validate checks every field against the contract.
	Validate() error
	withSchema() Payload
}

// SupportedSchemas returns the schema versions this package decodes for k.
func SupportedSchemas(k Kind) []int {
	if !k.Valid() {
		return nil
	}
	return []int{Schema}
}

func schemaSupported(k Kind, v int) bool {
	for _, s := range SupportedSchemas(k) {
		if s == v {
			return true
		}
	}
	return false
}

// Encode validates p, fills in the schema if it is zero, and returns its
// JSON. It refuses an invalid payload or one above the cap of its kind, so a
// sender never puts on the wire what the other side would drop.
func Encode(p Payload) ([]byte, error) {
	p = p.withSchema()
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("wire: refusing to encode an invalid %s payload: %w", p.TopicKind(), err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("wire: encoding %s: %w", p.TopicKind(), err)
	}
	spec, _ := SpecOf(p.TopicKind())
	if len(b) > spec.MaxBytes {
		return nil, &DecodeError{Kind: p.TopicKind(), Class: ErrTooLarge,
			Problem: fmt.Sprintf("encoded payload is %d bytes, over the %d-byte cap; send fewer items per message", len(b), spec.MaxBytes)}
	}
	return b, nil
}

// Decode decodes a payload of kind k with the decoder of that kind and
// returns it as a [Payload] (Presence, Desired, ... by value).
func Decode(k Kind, b []byte) (Payload, error) {
	switch k {
	case KindPresence:
		return DecodePresence(b)
	case KindDesired:
		return DecodeDesired(b)
	case KindReported:
		return DecodeReported(b)
	case KindCommand:
		return DecodeCommand(b)
	case KindResult:
		return DecodeResult(b)
	case KindEvents:
		return DecodeEventBatch(b)
	case KindAck:
		return DecodeAck(b)
	case KindTelemetry:
		return DecodeTelemetry(b)
	case KindTimeRequest:
		return DecodeTimeRequest(b)
	case KindTime:
		return DecodeTime(b)
	}
	return nil, fmt.Errorf("wire: no decoder for kind %q: %w", truncate(string(k), 40), ErrTopic)
}

// decodeStrict applies the checks shared by every kind: size cap, a JSON
// object, a supported schema, no unknown fields, no trailing data. Field
// validation is the caller's.
func decodeStrict(k Kind, b []byte, v any) error {
	spec, _ := SpecOf(k)
	if len(b) > spec.MaxBytes {
		return &DecodeError{Kind: k, Class: ErrTooLarge,
			Problem: fmt.Sprintf("payload is %d bytes, over the %d-byte cap; it was dropped unread — send smaller messages", len(b), spec.MaxBytes)}
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return &DecodeError{Kind: k, Class: ErrMalformed, Problem: "payload is not a JSON object; send {\"schema\":1,...}"}
	}
	var probe struct {
		Schema json.RawMessage `json:"schema"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return &DecodeError{Kind: k, Class: ErrMalformed, Cause: err,
			Problem: fmt.Sprintf("payload is not valid JSON (%v); send one JSON object", err)}
	}
	if len(probe.Schema) == 0 || string(probe.Schema) == "null" {
		return &DecodeError{Kind: k, Field: "schema", Class: ErrSchema,
			Problem: fmt.Sprintf("schema is missing; every payload carries \"schema\" (supported: %v)", SupportedSchemas(k))}
	}
	var schema int
	if err := json.Unmarshal(probe.Schema, &schema); err != nil {
		return &DecodeError{Kind: k, Field: "schema", Class: ErrSchema, Cause: err,
			Problem: fmt.Sprintf("schema %s is not an integer (supported: %v)", truncate(string(probe.Schema), 20), SupportedSchemas(k))}
	}
	if !schemaSupported(k, schema) {
		return &DecodeError{Kind: k, Field: "schema", Class: ErrSchema,
			Problem: fmt.Sprintf("schema %d is not supported (supported: %v); the sender must publish a schema this side announced", schema, SupportedSchemas(k))}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		field := ""
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field = te.Field
		}
		return &DecodeError{Kind: k, Field: field, Class: ErrMalformed, Cause: err,
			Problem: fmt.Sprintf("%v; send only the documented fields with their documented types", err)}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &DecodeError{Kind: k, Class: ErrMalformed,
			Problem: "trailing data after the JSON object; send exactly one object per message"}
	}
	return nil
}

// check collects the first validation failure of a payload.
type check struct {
	kind Kind
	err  error
}

func (c *check) fail(field, format string, args ...any) {
	if c.err == nil {
		c.err = &DecodeError{Kind: c.kind, Field: field, Class: ErrInvalid, Problem: fmt.Sprintf(format, args...)}
	}
}

func (c *check) that(ok bool, field, format string, args ...any) {
	if !ok {
		c.fail(field, format, args...)
	}
}

func (c *check) schema(v int) {
	if c.err == nil && !schemaSupported(c.kind, v) {
		c.err = &DecodeError{Kind: c.kind, Field: "schema", Class: ErrSchema,
			Problem: fmt.Sprintf("schema %d is not supported (supported: %v)", v, SupportedSchemas(c.kind))}
	}
}

// token checks an identifier: 1..max bytes of [A-Za-z0-9._:-].
func (c *check) token(field, s string, max int, required bool) {
	if s == "" {
		c.that(!required, field, "is empty; it is required")
		return
	}
	if len(s) > max {
		c.fail(field, "is %d bytes, over the limit of %d", len(s), max)
		return
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.' || ch == ':') {
			c.fail(field, "%q has %q at byte %d; use letters, digits and - _ . :", truncate(s, 40), rune(ch), i)
			return
		}
	}
}

// code checks a machine-readable code: 1..64 bytes of [a-z0-9_.].
func (c *check) code(field, s string, required bool) {
	if s == "" {
		c.that(!required, field, "is empty; it is required")
		return
	}
	if len(s) > 64 {
		c.fail(field, "is %d bytes, over the limit of 64", len(s))
		return
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '_' || ch == '.') {
			c.fail(field, "%q has %q at byte %d; codes use lowercase letters, digits, '_' and '.'", truncate(s, 40), rune(ch), i)
			return
		}
	}
}

// text checks human-readable text: valid UTF-8, no control characters other
// than newline and tab, at most max runes.
func (c *check) text(field, s string, max int, required bool) {
	if s == "" {
		c.that(!required, field, "is empty; it is required")
		return
	}
	if !utf8.ValidString(s) {
		c.fail(field, "is not valid UTF-8; send UTF-8 text")
		return
	}
	if n := utf8.RuneCountInString(s); n > max {
		c.fail(field, "has %d characters, over the limit of %d; shorten it", n, max)
		return
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			c.fail(field, "contains control character %U; remove it", r)
			return
		}
	}
}

func (c *check) timeSet(field string, t time.Time) {
	c.that(!t.IsZero(), field, "is missing; send an RFC 3339 time")
}

func (c *check) percent(field string, v int) {
	c.that(v >= 0 && v <= 100, field, "%d is outside 0..100; send a percentage", v)
}

func (c *check) object(field string, raw json.RawMessage, required bool) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		c.that(!required, field, "is missing; send a JSON object")
		return
	}
	c.that(t[0] == '{', field, "is not a JSON object; send {...}")
}

// strictInto decodes a JSON object field strictly into v (used for command
// arguments and event data, whose shape depends on a kind).
func strictInto(k Kind, field string, raw json.RawMessage, v any) error {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		t = []byte("{}")
	}
	if t[0] != '{' {
		return &DecodeError{Kind: k, Field: field, Class: ErrMalformed, Problem: "is not a JSON object; send {...}"}
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &DecodeError{Kind: k, Field: field, Class: ErrMalformed, Cause: err,
			Problem: fmt.Sprintf("%v; send only the documented fields with their documented types", err)}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &DecodeError{Kind: k, Field: field, Class: ErrMalformed, Problem: "trailing data after the object"}
	}
	return nil
}
