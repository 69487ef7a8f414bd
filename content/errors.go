package content

import (
	"errors"
	"fmt"
	"strings"
)

// Kinds of authoring problem; every FieldError wraps one of these, so
// errors.Is(err, content.ErrInvalid) works on a whole Problems list.
var (
	// ErrInvalid: a field holds a value the model does not allow.
	ErrInvalid = errors.New("invalid value")
	// ErrUnknownReference: a field names an item, programme or zone that
	// does not exist.
	ErrUnknownReference = errors.New("unknown reference")
	// ErrNoDevice: a target or notice region selects no device of the fleet.
	ErrNoDevice = errors.New("selects no device")
)

// FieldError is one authoring problem: which field, what is wrong and how
// to fix it in English for logs and the API, and the same in Simplified
// Chinese for the staff console.
type FieldError struct {
	// Field is the path of the offending field, e.g.
	// `schedules[evening].windows[0].end`. Objects with a valid ID are
	// named by ID, others by position (`schedules[#3]`).
	Field string `json:"field"`
	// Problem says what is wrong (English).
	Problem string `json:"problem"`
	// Fix says what to do about it (English).
	Fix string `json:"fix"`
	// Message is problem and fix for staff, in Simplified Chinese.
	Message string `json:"message"`
	// Err is the kind: ErrInvalid, ErrUnknownReference or ErrNoDevice.
	Err error `json:"-"`
}

// Error renders the English form.
func (e *FieldError) Error() string {
	return fmt.Sprintf("content: %s: %s; %s", e.Field, e.Problem, e.Fix)
}

// Unwrap returns the kind of problem.
func (e *FieldError) Unwrap() error { return e.Err }

// Problems is every FieldError found in one check, in field order.
type Problems []*FieldError

// Error lists every problem, one per line.
func (p Problems) Error() string {
	if len(p) == 1 {
		return p[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "content: %d problems:", len(p))
	for _, e := range p {
		b.WriteString("\n  ")
		b.WriteString(strings.TrimPrefix(e.Error(), "content: "))
	}
	return b.String()
}

// Unwrap exposes every problem to errors.Is and errors.As.
func (p Problems) Unwrap() []error {
	out := make([]error, len(p))
	for i, e := range p {
		out[i] = e
	}
	return out
}

// err returns p as an error, or nil when p is empty.
func (p Problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return p
}

// problems collects FieldErrors under a field-path prefix.
type problems struct {
	list   Problems
	prefix string
}

func (ps *problems) add(kind error, field, problem, fix, zh string) {
	f := field
	if ps.prefix != "" {
		if f == "" {
			f = ps.prefix
		} else {
			f = ps.prefix + "." + f
		}
	}
	ps.list = append(ps.list, &FieldError{Field: f, Problem: problem, Fix: fix, Message: zh, Err: kind})
}

func (ps *problems) invalid(field, problem, fix, zh string) {
	ps.add(ErrInvalid, field, problem, fix, zh)
}

func (ps *problems) unknown(field, problem, fix, zh string) {
	ps.add(ErrUnknownReference, field, problem, fix, zh)
}

// Sentinels of manifest verification; Verify wraps one of these with what
// went wrong and what to do.
var (
	ErrTooLarge      = errors.New("manifest too large")
	ErrMalformed     = errors.New("manifest malformed")
	ErrUnsigned      = errors.New("manifest unsigned")
	ErrWrongKey      = errors.New("manifest signed by another key")
	ErrTampered      = errors.New("manifest signature does not match its content")
	ErrNonCanonical  = errors.New("manifest not canonically encoded")
	ErrUnknownSchema = errors.New("manifest schema unknown")
	ErrWrongDevice   = errors.New("manifest for another device")
	ErrExpired       = errors.New("manifest expired")
	ErrReplay        = errors.New("manifest serial not newer than the applied one")
)
