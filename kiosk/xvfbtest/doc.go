// Package xvfbtest runs the real lawpoint-kiosk binary under Xvfb and drives
// it with clicks (xdotool), checking its screens as pictures (ImageMagick's
// `import`) and through the kiosk's state file. It holds only tests; they
// skip, saying what to install, when Xvfb, xdotool or import is missing.
//
// Set LAWPOINT_SHOTS=DIR to keep the screenshots, and LAWPOINT_MEASURE=1 to
// measure idle CPU, memory and start-to-first-frame (TestIdleFigures).
package xvfbtest
