// Package escpos writes and reads the ESC/POS byte streams that 58 mm and
// 80 mm Chinese thermal receipt printers understand.
//
// An Encoder builds a stream command by command (initialise, Chinese mode,
// alignment, bold, character size, GB18030 text wrapped by display width, QR
// codes with GS ( k, feed, cut) and refuses, with an error that says what to
// change, anything a printer would print wrongly: text its font cannot
// carry, control bytes hidden in text, sizes out of range, a QR code wider
// than the paper. TicketReceipt and BookingSlip lay out the kiosk's two
// receipts on top of it; names and phone numbers on them are always masked.
//
// A Reader parses a stream back into Commands with their arguments and the
// decoded text. It is strict: a truncated or unknown command is an error that
// names the byte offset. Tests use it to check what a printer receives, the
// virtual printer (kiosk/printer) uses it to act as one, and Render turns
// the commands into plain text for logs and the console.
//
// Command facts follow the public Epson ESC/POS command reference and the
// manuals of Chinese printers that implement it (FS & and FS . for Chinese
// mode, GB18030 two-byte text).
package escpos
