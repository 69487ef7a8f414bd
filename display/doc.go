// Package display drives street LED boards: it speaks to an Onbon BX
// controller (display/bx) through a serial port, keeps what each board is
// showing so that unchanged content costs no bytes, retries and reports a
// board that stops answering, plays the content resolver's plan, and offers a
// virtual board that decodes frames exactly as a controller would and shows
// the result as pictures. Rendering Chinese text to dots is display/render;
// the dot grid itself is display/dots.
package display
