package display

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"go.bug.st/serial"
)

// Port is the link to one controller: bytes out, bytes in with a read
// timeout. A serial port opened with OpenSerial is one; tests may use any
// implementation. Read returns (0, nil) when the timeout passes with no data.
type Port interface {
	io.ReadWriteCloser
	SetReadTimeout(d time.Duration) error
}

// Bauds the BX controllers accept.
var Bauds = []int{9600, 57600}

// OpenSerial opens a serial device (RS-232, or RS-485 through an adapter) at
// baud, 8 data bits, no parity, one stop bit, as the BX controllers expect.
func OpenSerial(path string, baud int) (Port, error) {
	if baud <= 0 {
		return nil, fmt.Errorf("serial %s: baud %d is not valid: use 9600 or 57600 (the controller's setting)", path, baud)
	}
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("serial %s: no such port: check the cable and the device name (ls /dev/ttyUSB* /dev/ttyAMA* /dev/serial/by-id/)", path)
		}
		return nil, fmt.Errorf("serial %s: %w", path, err)
	}
	p, err := serial.Open(path, &serial.Mode{
		BaudRate: baud,
		DataBits: 8,
		Parity:   serial.NoParity,
		StopBits: serial.OneStopBit,
	})
	if err != nil {
		var pe *serial.PortError
		if errors.As(err, &pe) && pe.Code() == serial.PermissionDenied {
			return nil, fmt.Errorf("serial %s: permission denied: add the user to the dialout group or run as root: %w", path, err)
		}
		if errors.As(err, &pe) && pe.Code() == serial.PortBusy {
			return nil, fmt.Errorf("serial %s: port busy: another program holds it (stop it, or pick another port): %w", path, err)
		}
		if errors.As(err, &pe) && (pe.Code() == serial.InvalidSerialPort || pe.Code() == serial.PortNotFound) {
			return nil, fmt.Errorf("serial %s: this is not a serial device: use the adapter's port, e.g. /dev/ttyUSB0, /dev/ttyAMA0 or a name under /dev/serial/by-id/ (不是串口设备): %w", path, err)
		}
		return nil, fmt.Errorf("serial %s: open at %d baud 8N1: %w", path, baud, err)
	}
	return p, nil
}

// WireTime is how long n bytes take on a serial line at baud with 8N1
// framing (a start bit, eight data bits, a stop bit: ten bits per byte). It
// is the physical minimum for sending them.
func WireTime(n int, baud int) time.Duration {
	if baud <= 0 {
		return 0
	}
	return time.Duration(int64(n) * 10 * int64(time.Second) / int64(baud))
}
