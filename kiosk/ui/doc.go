// Package ui lays out the kiosk's view models (package flow) as rectangles,
// text lines, icons and tap targets on the screen, and holds the palette.
//
// Everything is placed on a base screen of 800x480 and scaled as a whole to
// the real screen (1280x800 draws it 1.6 times as large, centred), so the
// same arrangement, the same line breaks and the same article pages appear
// on every kiosk. The sizes meet the kiosk's rules for elderly users at the
// base size and grow with the screen: tap targets at least 60x60, main text
// at least 30 px, body text at least 18 px, text contrast at least 4.5:1.
//
// Chinese text wraps by character with the usual 禁则 (no closing
// punctuation at the start of a line, no opening punctuation at the end),
// using display/render's rules; ASCII words and numbers such as 12348 stay
// whole. Package ui does not import ebiten: the kiosk draws a Frame.
package ui
