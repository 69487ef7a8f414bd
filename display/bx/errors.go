package bx

import (
	"errors"
	"fmt"
)

// Reasons a frame is rejected. A FrameError wraps exactly one of them, so
// callers can test with errors.Is.
var (
	ErrBadEscape      = errors.New("bad escape sequence")
	ErrBadCRC         = errors.New("checksum mismatch")
	ErrTruncated      = errors.New("truncated frame")
	ErrLength         = errors.New("length mismatch")
	ErrBadHeader      = errors.New("bad packet header")
	ErrUnknownCommand = errors.New("unknown command")
	ErrBadField       = errors.New("bad field value")
	ErrTooLong        = errors.New("frame too long")
)

// FrameError says why a frame (or the command inside it) was rejected. A
// real controller silently ignores such a frame; the virtual board reports
// the reason.
type FrameError struct {
	Reason error  // one of the Err* values above
	Detail string // what exactly was wrong, in English, for logs
}

func (e *FrameError) Error() string {
	if e.Detail == "" {
		return "bx: " + e.Reason.Error()
	}
	return "bx: " + e.Reason.Error() + ": " + e.Detail
}

func (e *FrameError) Unwrap() error { return e.Reason }

func frameErr(reason error, format string, args ...any) *FrameError {
	return &FrameError{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// ErrInvalid is wrapped by every error the encoder returns for a request it
// cannot turn into a valid frame (area outside the board, wrong colour for a
// single-colour board, a value out of range, ...).
var ErrInvalid = errors.New("bx: invalid request")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}
