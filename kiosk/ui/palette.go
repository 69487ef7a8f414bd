package ui

import (
	"image/color"
	"math"
)

func rgb(v uint32) color.RGBA {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

// The palette. Every text colour is used only on backgrounds it reaches a
// contrast of at least 4.5:1 with (checked by the tests for every frame).
var (
	Background = rgb(0xF7F3EA) // warm paper
	Ink        = rgb(0x1F1F1F)
	Header     = rgb(0x9B1C1C) // the title band
	HeaderInk  = rgb(0xFFFFFF)
	Footer     = rgb(0xE8E1D0)
	White      = rgb(0xFFFFFF)
	Grey       = rgb(0xD9D9D9) // greyed-out buttons
	GreyInk    = rgb(0x4A4A4A)
	Border     = rgb(0x6B6B6B)
	CallBand   = rgb(0xFFD23F)
	Scrim      = color.RGBA{A: 0xB0} // darkens the screen under the idle prompt
)

// Style is how a kind of button looks.
type Style struct {
	Fill   color.RGBA
	Ink    color.RGBA // label
	SubInk color.RGBA // second line
	Border color.RGBA // zero: none
}

var (
	styleChoice   = Style{Fill: rgb(0x0B4F8A), Ink: White, SubInk: rgb(0xDCEBFA)}
	stylePrimary  = Style{Fill: rgb(0x1E6B2E), Ink: White, SubInk: rgb(0xE2F3E5)}
	styleNav      = Style{Fill: White, Ink: Header, SubInk: Header, Border: Header}
	styleKey      = Style{Fill: White, Ink: Ink, SubInk: Ink, Border: Border}
	styleChip     = Style{Fill: White, Ink: rgb(0x0B4F8A), SubInk: rgb(0x0B4F8A), Border: rgb(0x0B4F8A)}
	styleChipOn   = Style{Fill: rgb(0x0B4F8A), Ink: White, SubInk: rgb(0xDCEBFA), Border: rgb(0x0B4F8A)}
	styleFace     = Style{Fill: White, Ink: Ink, SubInk: Ink, Border: Border}
	styleDisabled = Style{Fill: Grey, Ink: GreyInk, SubInk: GreyInk}
	styleTiles    = map[string]Style{
		"tile.ticket":    {Fill: rgb(0x0B5CAD), Ink: White, SubInk: rgb(0xE3EEFA)},
		"tile.booking":   {Fill: rgb(0x1E6B2E), Ink: White, SubInk: rgb(0xE2F3E5)},
		"tile.education": {Fill: rgb(0x9A3412), Ink: White, SubInk: rgb(0xFCE9DD)},
		"tile.rating":    {Fill: rgb(0x5B2C8F), Ink: White, SubInk: rgb(0xEEE5F8)},
	}
	noticeStyles = map[string]Style{
		"info":  {Fill: rgb(0xE3EEF9), Ink: rgb(0x123E66), Border: rgb(0x123E66)},
		"warn":  {Fill: rgb(0xFFF1C2), Ink: rgb(0x5C3B00), Border: rgb(0xB07A00)},
		"error": {Fill: rgb(0xFDE2E2), Ink: rgb(0x8A1111), Border: rgb(0x8A1111)},
	}
	// Face colours, best first: green, light green, amber, red.
	faceColours = map[int]color.RGBA{4: rgb(0x2E8B3E), 3: rgb(0x7CB342), 2: rgb(0xF2B705), 1: rgb(0xD93025)}
)

// FaceColour is the fill of the face for a score 1..4.
func FaceColour(score int) color.RGBA { return faceColours[score] }

// Styles are every button and notice style, by name (for the tests).
func Styles() map[string]Style {
	m := map[string]Style{
		"choice": styleChoice, "primary": stylePrimary, "nav": styleNav, "key": styleKey,
		"chip": styleChip, "chip.on": styleChipOn, "face": styleFace, "disabled": styleDisabled,
	}
	for k, v := range styleTiles {
		m[k] = v
	}
	for k, v := range noticeStyles {
		m["notice."+k] = v
	}
	return m
}

// Contrast is the WCAG 2 contrast ratio of two opaque colours, 1 to 21.
func Contrast(a, b color.RGBA) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(c color.RGBA) float64 {
	ch := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(c.R) + 0.7152*ch(c.G) + 0.0722*ch(c.B)
}
