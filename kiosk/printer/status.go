package printer

import (
	"fmt"
	"strings"
)

// Bits of the DLE EOT replies, per the ESC/POS reference. Every reply has
// bit 1 and bit 4 on and bits 0 and 7 off, which tells it apart from other
// bytes a printer sends (automatic status back blocks have bit 4 off).
const (
	replyMask  = 0x93
	replyFixed = 0x12

	// DLE EOT 1, printer status.
	bitOffline        = 0x08
	bitWaitingOnline  = 0x20
	bitFeedButtonDown = 0x40
	// DLE EOT 2, offline cause.
	bitCoverOpen     = 0x04
	bitFeedingByKey  = 0x08
	bitPaperEndStop  = 0x20
	bitErrorOccurred = 0x40
	// DLE EOT 3, error cause.
	bitMechanical     = 0x04
	bitCutter         = 0x08
	bitUnrecoverable  = 0x20
	bitAutoRecovering = 0x40
	// DLE EOT 4, roll paper sensor.
	bitsNearEnd  = 0x0C
	bitsPaperEnd = 0x60
)

// IsReply reports whether b has the fixed bits of a DLE EOT reply.
func IsReply(b byte) bool { return b&replyMask == replyFixed }

// Replies holds the bytes a printer sent back to DLE EOT 1 to 4. Kinds not
// asked for are zero: ParseStatus reads DLE EOT 2 only when DLE EOT 1
// reports offline, and DLE EOT 3 only when DLE EOT 2 reports an error.
type Replies struct {
	Printer, Offline, Error, Paper byte
}

// ParseStatus turns DLE EOT replies into a Status. A byte that is not a
// DLE EOT reply is an error (the line is out of step or the device is not
// an ESC/POS printer).
func ParseStatus(r Replies) (Status, error) {
	for i, b := range []byte{r.Printer, r.Offline, r.Error, r.Paper} {
		if b != 0 && !IsReply(b) {
			return Status{}, fmt.Errorf("DLE EOT %d reply 0x%02X lacks the fixed bits of a status byte: the device is not an ESC/POS printer, or the line is out of step (check the baud rate)", i+1, b)
		}
	}
	var s Status
	var why []string
	s.Online = r.Printer&bitOffline == 0
	if r.Printer&bitWaitingOnline != 0 {
		why = append(why, "waiting for online recovery")
	}
	if r.Printer&bitFeedButtonDown != 0 || r.Offline&bitFeedingByKey != 0 {
		why = append(why, "paper feed button pressed")
	}
	if r.Offline&bitCoverOpen != 0 {
		s.CoverOpen = true
		why = append(why, "cover open")
	}
	if r.Offline&bitPaperEndStop != 0 || r.Paper&bitsPaperEnd != 0 {
		s.PaperOut = true
		why = append(why, "paper end")
	} else if r.Paper&bitsNearEnd != 0 {
		s.PaperNearEnd = true
		why = append(why, "paper near end")
	}
	if r.Offline&bitErrorOccurred != 0 || r.Error&(bitMechanical|bitCutter|bitUnrecoverable|bitAutoRecovering) != 0 {
		s.Error = true
		switch {
		case r.Error&bitCutter != 0:
			why = append(why, "autocutter error")
		case r.Error&bitMechanical != 0:
			why = append(why, "mechanical error")
		case r.Error&bitUnrecoverable != 0:
			why = append(why, "unrecoverable error")
		case r.Error&bitAutoRecovering != 0:
			why = append(why, "recoverable error (e.g. head too hot)")
		default:
			why = append(why, "error")
		}
	}
	s.describe(why)
	return s, nil
}

// describe fills Reason and Message.
func (s *Status) describe(why []string) {
	state := "online"
	if !s.Online {
		state = "offline"
	}
	s.Reason = state
	if len(why) > 0 {
		s.Reason += ": " + strings.Join(why, ", ")
	}
	if err := s.Err(); err != nil {
		s.Message = Message(err)
	} else if s.PaperNearEnd {
		s.Message = "打印纸即将用完，请工作人员及时更换"
	} else {
		s.Message = "打印机正常"
	}
}

// Port status bits of a USB printer (USB printer class GET_PORT_STATUS,
// as Linux usblp returns them for the LPGETSTATUS ioctl).
const (
	portPaperEmpty = 0x20
	portSelected   = 0x10
	portNotError   = 0x08
)

// ParsePortStatus turns a USB printer's port status byte into a Status. It
// tells less than DLE EOT: paper out, offline and error, but neither cover
// nor near end.
func ParsePortStatus(b byte) Status {
	s := Status{Online: b&portSelected != 0 && b&portPaperEmpty == 0}
	var why []string
	if b&portPaperEmpty != 0 {
		s.PaperOut = true
		why = append(why, "paper empty (port status)")
	}
	if b&portNotError == 0 {
		s.Error = true
		why = append(why, "error (port status)")
	}
	if b&portSelected == 0 {
		why = append(why, "not selected (port status)")
	}
	s.describe(why)
	return s
}
