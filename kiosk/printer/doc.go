// Package printer sends receipts to an ESC/POS receipt printer and asks it
// how it is: online, out of paper, cover open.
//
// A Printer is opened from a URI naming the transport: a serial port
// (serial:///dev/ttyUSB0?baud=9600), a USB line-printer device file
// (file:///dev/usb/lp0), a network printer's raw port
// (tcp://192.168.1.50:9100), or the in-process virtual printer (virtual:).
// Open touches no hardware, so the kiosk starts with the printer unplugged;
// Print and Status reach the device and honour their context.
//
// Before printing, Print reads the printer's real-time status (DLE EOT 1, 2,
// 3 and 4) and refuses to send a receipt the printer cannot print. Faults
// come back as an *Error wrapping one of ErrPaperOut, ErrCoverOpen,
// ErrOffline, ErrFault or ErrUnreachable, with an English reason for logs
// and a Chinese message for the screen (Message). The bytes printed are
// never logged: a receipt may carry a masked phone number, and logs carry
// none.
//
// Virtual is a printer in software: it decodes everything it receives with
// kiosk/escpos, keeps the receipts, answers DLE EOT with a status the test
// sets, and serves over TCP, a pseudo-terminal, or in process. Tests and
// `make run` use it where no printer is attached.
package printer
