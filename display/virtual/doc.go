// Package virtual is a stand-in for an Onbon BX controller: a Board of a
// chosen model, size and colours that reads frames from a serial line (a
// pseudo-terminal, a socat pair, a real port), validates each one as strictly
// as the controller would, answers ACK or NACK where the controller would
// (and nothing where it would stay silent: bad CRC, broken escaping, another
// screen address), and keeps what the board shows: its dynamic areas with
// their text or pages, brightness and power.
//
// What the board shows is available as dots (Board.Bitmap), as a PNG file
// rewritten atomically on every change (pixel-exact, or drawn as round LEDs),
// and as text for logs. A font-card model (BX-5K/6K) draws the text it
// receives itself, with GNU Unifont 16-dot glyphs standing in for the
// controller's built-in GB2312 font, so the picture is what was sent. It is
// the peer of the driver's tests, the demo's board and the console's preview.
package virtual
