package printer

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Printer is a receipt printer.
type Printer interface {
	// Print checks that the printer can print, then sends receipt (an
	// ESC/POS stream, e.g. from escpos.TicketReceipt). A printer that
	// cannot print returns an *Error and receives nothing.
	Print(ctx context.Context, receipt []byte) error
	// Status asks the printer how it is. A transport that cannot read
	// status returns an error wrapping ErrNoStatus.
	Status(ctx context.Context) (Status, error)
	// Close releases the port or connection.
	Close() error
}

// Status is the printer's condition, from its real-time status replies.
type Status struct {
	Online       bool // ready to print
	PaperOut     bool // the roll is empty (or the paper-end sensor stopped printing)
	PaperNearEnd bool // the roll is nearly empty: still prints, replace it soon
	CoverOpen    bool
	Error        bool   // a cutter, mechanical or other error
	Reason       string // English, for logs: e.g. "offline: paper end"
	Message      string // Simplified Chinese, for the screen and staff
}

// Err returns nil when the printer can print, otherwise an *Error whose
// kind is the most useful one to act on: paper out, cover open, fault,
// offline.
func (s Status) Err() error {
	var kind error
	switch {
	case s.PaperOut:
		kind = ErrPaperOut
	case s.CoverOpen:
		kind = ErrCoverOpen
	case s.Error:
		kind = ErrFault
	case !s.Online:
		kind = ErrOffline
	default:
		return nil
	}
	return &Error{Kind: kind, Op: "status", Message: messages[kind], Err: errors.New(s.Reason)}
}

// What a fault is, for errors.Is.
var (
	ErrPaperOut    = errors.New("printer out of paper")
	ErrCoverOpen   = errors.New("printer cover open")
	ErrFault       = errors.New("printer fault")
	ErrOffline     = errors.New("printer offline")
	ErrUnreachable = errors.New("printer unreachable")
	// ErrNoStatus: the transport cannot read the printer's status (a
	// write-only device file); printing goes ahead unchecked.
	ErrNoStatus = errors.New("printer status not available")
	// ErrClosed: the Printer was closed.
	ErrClosed = errors.New("printer closed")
)

// messages are what the screen shows (and the fleet reports) per fault.
var messages = map[error]string{
	ErrPaperOut:    "打印机缺纸，请联系工作人员",
	ErrCoverOpen:   "打印机盖未关好，请联系工作人员",
	ErrFault:       "打印机故障，请联系工作人员",
	ErrOffline:     "打印机未就绪，请联系工作人员",
	ErrUnreachable: "打印机未连接，请联系工作人员",
	ErrNoStatus:    "无法读取打印机状态",
	ErrClosed:      "打印机已关闭，请联系工作人员",
}

// hints say in English what to do, per fault.
var hints = map[error]string{
	ErrPaperOut:    "load a new roll and close the cover",
	ErrCoverOpen:   "close the printer cover",
	ErrFault:       "check the cutter and the paper path, then switch the printer off and on",
	ErrOffline:     "check that the printer is switched on and its light shows ready",
	ErrUnreachable: "check the cable or network and the printer URI",
	ErrNoStatus:    "status is read only where the transport can read replies",
	ErrClosed:      "open the printer again",
}

// Error is a printer fault: what kind, where, and what to tell a villager.
type Error struct {
	Kind    error  // ErrPaperOut, ErrCoverOpen, ErrFault, ErrOffline, ErrUnreachable, ErrNoStatus or ErrClosed
	URI     string // the printer, e.g. "tcp://192.168.1.50:9100"
	Op      string // "print", "status"
	Message string // Simplified Chinese for the screen
	Err     error  // the cause, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("printer")
	if e.URI != "" {
		b.WriteString(" " + e.URI)
	}
	if e.Op != "" {
		b.WriteString(": " + e.Op)
	}
	fmt.Fprintf(&b, ": %v", e.Kind)
	if e.Err != nil && e.Err.Error() != "" {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if h := hints[e.Kind]; h != "" {
		b.WriteString(" (" + h + ")")
	}
	return b.String()
}

// UserMessage is what a villager reads on the screen: the Chinese message
// (kiosk/flow.UserMessage finds it anywhere in an error chain).
func (e *Error) UserMessage() string {
	if e.Message != "" {
		return e.Message
	}
	return Message(e.Kind)
}

// Unwrap lets errors.Is match both the kind and the cause.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

func newError(kind error, uri, op string, cause error) *Error {
	return &Error{Kind: kind, URI: uri, Op: op, Message: messages[kind], Err: cause}
}

// Message is what the screen shows for err: the Chinese message of a
// printer fault, or a general one for any other error.
func Message(err error) string {
	var pe *Error
	if errors.As(err, &pe) && pe.Message != "" {
		return pe.Message
	}
	for kind, m := range messages {
		if errors.Is(err, kind) {
			return m
		}
	}
	return "打印机暂时无法使用，请联系工作人员"
}
