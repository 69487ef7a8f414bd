package printer

import (
	"errors"

	"lawpoint/device/wire"
)

// Part turns the outcome of Status (or Print) into the printer part of a
// telemetry sample (docs/PROTOCOL.md §10): its status word and an English
// message. Nothing from a receipt goes into it.
func Part(st Status, err error) wire.PartStatus {
	if err == nil {
		err = st.Err()
	}
	switch {
	case err == nil && st.PaperNearEnd:
		return wire.PartStatus{Status: wire.PrinterPaperLow, Message: st.Reason}
	case err == nil:
		return wire.PartStatus{Status: wire.PrinterOK}
	case errors.Is(err, ErrNoStatus):
		return wire.PartStatus{Status: wire.PrinterOK, Message: "status not readable on this link"}
	}
	kinds := []struct {
		kind   error
		status string
	}{
		{ErrPaperOut, wire.PrinterPaperOut},
		{ErrCoverOpen, wire.PrinterCoverOpen},
		{ErrFault, wire.PrinterError},
		{ErrOffline, wire.PrinterOffline},
		{ErrUnreachable, wire.PrinterOffline},
		{ErrClosed, wire.PrinterAbsent},
	}
	for _, k := range kinds {
		if errors.Is(err, k.kind) {
			return wire.PartStatus{Status: k.status, Message: clip(err.Error(), 200)}
		}
	}
	return wire.PartStatus{Status: wire.PrinterError, Message: clip(err.Error(), 200)}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 { // not inside a UTF-8 sequence
		n--
	}
	return s[:n]
}
