package display

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// OpenPTY creates a pseudo-terminal pair and returns the controlling side and
// the path of the terminal side. A virtual board reads and answers on the
// controlling side; a driver opens the path with OpenSerial as if it were a
// real serial port.
func OpenPTY() (*os.File, string, error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, "", fmt.Errorf("open /dev/ptmx: %w (is devpts mounted?)", err)
	}
	// The ioctls go through SyscallConn, not Fd: Fd would switch the file
	// to blocking mode, and then Close could not interrupt a Read in
	// progress (a virtual board would not stop on SIGTERM).
	var name string
	var ierr error
	cerr := sc(m, func(fd int) {
		if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
			ierr = fmt.Errorf("unlock pty: %w", err)
			return
		}
		n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
		if err != nil {
			ierr = fmt.Errorf("pty number: %w", err)
			return
		}
		name = "/dev/pts/" + strconv.Itoa(n)
		// Raw mode on the controlling side so no byte is translated.
		if t, err := unix.IoctlGetTermios(fd, unix.TCGETS); err == nil {
			makeRaw(t)
			_ = unix.IoctlSetTermios(fd, unix.TCSETS, t)
		}
	})
	if cerr != nil || ierr != nil {
		m.Close()
		return nil, "", errors.Join(cerr, ierr)
	}
	return m, name, nil
}

func makeRaw(t *unix.Termios) {
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
}

// sc runs f with f's file descriptor, leaving the file in the poller.
func sc(f *os.File, fn func(fd int)) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	return rc.Control(func(fd uintptr) { fn(int(fd)) })
}
