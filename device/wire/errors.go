package wire

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error of this package wraps one of them, so callers
// branch with errors.Is and log once per [Code].
var (
	// ErrTopic: a topic name or filter outside the protocol.
	ErrTopic = errors.New("bad topic")
	// ErrDeviceID: a device ID outside the allowed charset or length.
	ErrDeviceID = errors.New("bad device ID")
	// ErrTooLarge: a payload above the cap of its kind.
	ErrTooLarge = errors.New("payload too large")
	// ErrMalformed: not JSON, not the expected shape, an unknown field, or
	// trailing data.
	ErrMalformed = errors.New("malformed payload")
	// ErrSchema: a missing or unsupported schema version.
	ErrSchema = errors.New("unsupported schema")
	// ErrInvalid: well-formed JSON with a field out of its allowed range.
	ErrInvalid = errors.New("invalid field")
	// ErrUnsupported: a command kind or event type this side does not know.
	ErrUnsupported = errors.New("unsupported kind")
)

// Code returns a short stable name for the class of err ("too_large",
// "malformed", "unknown_schema", "invalid", "unsupported", "bad_topic",
// "bad_device_id"), or "" if err is nil or none of these. Devices and the
// fleet log once per (topic kind, code) and use it as a fault code.
func Code(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	case errors.Is(err, ErrSchema):
		return "unknown_schema"
	case errors.Is(err, ErrMalformed):
		return "malformed"
	case errors.Is(err, ErrUnsupported):
		return "unsupported"
	case errors.Is(err, ErrInvalid):
		return "invalid"
	case errors.Is(err, ErrDeviceID):
		return "bad_device_id"
	case errors.Is(err, ErrTopic):
		return "bad_topic"
	}
	return ""
}

// DecodeError is what the decoders return: which payload kind, which field
// (a JSON path such as "settings.brightness" or "events[3].seq", empty for
// the payload as a whole), and what is wrong and what to do.
type DecodeError struct {
	Kind  Kind
	Field string
	// Class is one of the sentinel errors (ErrTooLarge, ErrMalformed,
	// ErrSchema, ErrInvalid, ErrUnsupported).
	Class error
	// Problem says what is wrong and what the sender must do instead.
	Problem string
	// Cause is the underlying error (e.g. from encoding/json), if any.
	Cause error
}

func (e *DecodeError) Error() string {
	where := string(e.Kind)
	if e.Field != "" {
		where += " " + e.Field
	}
	return fmt.Sprintf("wire: %s: %s (%v)", where, e.Problem, e.Class)
}

// Unwrap returns the class and the cause, so errors.Is works for both.
func (e *DecodeError) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Class, e.Cause}
	}
	return []error{e.Class}
}

// joined wraps two errors and reads as the second.
type joined struct{ class, err error }

func (j joined) Error() string   { return j.err.Error() }
func (j joined) Unwrap() []error { return []error{j.class, j.err} }

func errJoin(class, err error) error { return joined{class, err} }
