package printer_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"lawpoint/kiosk/printer"
)

// The kiosk's screens show the printer's Chinese message through
// UserMessage, wherever the *Error sits in a wrapped chain.
func TestErrorUserMessage(t *testing.T) {
	v := printer.NewVirtual()
	v.Set(printer.Condition{PaperOut: true})
	err := v.Printer().Print(context.Background(), []byte("\x1b@"))
	var um interface{ UserMessage() string }
	if !errors.As(fmt.Errorf("printing the ticket: %w", err), &um) {
		t.Fatalf("print error %v has no UserMessage in its chain", err)
	}
	if got, want := um.UserMessage(), "打印机缺纸，请联系工作人员"; got != want {
		t.Fatalf("UserMessage = %q, want %q", got, want)
	}
	if got := (&printer.Error{Kind: printer.ErrCoverOpen}).UserMessage(); got != "打印机盖未关好，请联系工作人员" {
		t.Fatalf("UserMessage without Message = %q, want the kind's message", got)
	}
}
