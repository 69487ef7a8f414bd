// Package kiosk is the village contact point's touchscreen application: it
// runs the screens of package flow in an ebiten window, lays them out with
// package ui, and draws them with WenQuanYi Micro Hei through text/v2.
//
// It draws only when something changed. An idle kiosk runs in ebiten's
// FPSModeVsyncOffMinimum, so Update and Draw run only on input or when a
// frame is scheduled (a service call finished, the idle timer is due, the
// queue called a ticket, a screenshot was asked for); the screen is not
// cleared between frames, so an unchanged screen costs nothing. From the
// first touch until Options.ActiveHold (20 s) without use, frames come 60
// times a second with GLFW's sticky buttons on, so that a tap shorter than a
// stall of the loop is not lost (pace.go). Mouse clicks and touches are
// taps; there are no gestures.
//
// This is the only package of lawpoint that imports ebiten (which needs cgo,
// and an X display at init: its tests live in kiosk/xvfbtest).
package kiosk
