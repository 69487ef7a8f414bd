package printer

import (
	"os"

	"golang.org/x/sys/unix"
)

// lpGetStatus is LPGETSTATUS from <linux/lp.h>: the printer's port status
// byte (usblp returns the USB printer class GET_PORT_STATUS byte).
const lpGetStatus = 0x060b

// lpStatus reads the port status of a line-printer device.
func lpStatus(f *os.File) (Status, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return Status{}, err
	}
	var v int
	var ioErr error
	if err := rc.Control(func(fd uintptr) { v, ioErr = unix.IoctlGetInt(int(fd), lpGetStatus) }); err != nil {
		return Status{}, err
	}
	if ioErr != nil {
		return Status{}, ioErr
	}
	return ParsePortStatus(byte(v)), nil
}
