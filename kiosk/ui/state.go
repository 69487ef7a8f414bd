package ui

import "lawpoint/kiosk/flow"

// State is what the kiosk writes to its state file after every frame: what
// is on screen and where each tap target is, in screen pixels. The Xvfb
// tests click through it; the fleet may read it for diagnostics.
type State struct {
	Screen       flow.Screen   `json:"screen"`
	Title        string        `json:"title"`
	Text         string        `json:"text"`
	Ticket       string        `json:"ticket,omitempty"`
	BookingCode  string        `json:"booking_code,omitempty"`
	Idle         bool          `json:"idle"`
	Busy         bool          `json:"busy"` // waiting for a service (正在取号…)
	Width        int           `json:"width"`
	Height       int           `json:"height"`
	Frames       int           `json:"frames"`
	FirstFrameMS int64         `json:"first_frame_ms"`
	Targets      []StateTarget `json:"targets"`
}

// StateTarget is a tap target in screen pixels.
type StateTarget struct {
	ID       string `json:"id"`
	Label    string `json:"label"`
	X        int    `json:"x"`
	Y        int    `json:"y"`
	W        int    `json:"w"`
	H        int    `json:"h"`
	Disabled bool   `json:"disabled,omitempty"`
}
