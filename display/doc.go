// Package display drives street LED boards: it speaks to an Onbon BX
// controller (display/bx) through a serial port, keeps what each board is
// showing so that unchanged content costs no bytes, retries and reports a
// board that stops answering, plays the content resolver's plan, and offers a
// virtual board that decodes frames exactly as a controller would and shows
// the result as pictures. Rendering Chinese text to dots is display/render;
// the dot grid itself is display/dots.
//
// Board is the driver for one controller: Show puts a Message (coloured
// text, effect, speed, stay) in an Area — as GB2312 text on a font card
// (BX-5K/6K), as pages drawn here on a picture controller (BX-5E/6E) —
// ShowPicture a dithered picture, SetBrightness and SetPower the screen.
// Writes are paced in chunks, the RS-485 driver-enable pin and the power
// relay arrive as periph gpio.PinOut values, and every call takes a context.
// Player plays a content.Plan or content.Manifest on a Board at the plan's
// change instants, interrupts at once for what Load hands it, dims on a
// half-hour brightness table and reports proof of play. The virtual board
// is display/virtual; docs/LED.md describes wiring, pacing and the
// lawpoint-led command.
package display
