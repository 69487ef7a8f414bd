// Package render turns Simplified Chinese text and pictures into LED dots
// (dots.Bitmap) for the picture-mode street boards and the virtual board.
//
// Text is drawn with a Font: GNU Unifont (16-dot bitmaps, Debian package
// "unifont") for 16-dot rows and WenQuanYi Micro Hei (TrueType, Debian
// package "fonts-wqy-microhei") rasterised and thresholded to on/off dots for
// taller rows. Fonts.Face picks the right one for a row height. A character a
// font lacks is never drawn blank: rendering fails with a
// *MissingGlyphsError that lists every such character.
//
// Pages lays coloured runs of text into a W x H area, breaking lines by
// character with the Chinese rules (禁则: no line starts with closing
// punctuation such as ，。！？）》, no line ends with opening punctuation such
// as （《“), keeping ASCII words and numbers such as "12348" whole, honouring
// explicit newlines, and spilling onto as many pages as the text needs.
// NewScroll renders one long line for horizontal scrolling, Picture turns a
// photo into board colours (threshold or Floyd–Steinberg dithering), and PNG
// writes any bitmap for humans, one pixel per dot or as round LEDs.
package render
