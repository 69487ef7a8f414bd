// Package fleettest runs the kiosk's services (kiosk/app) against a real
// in-process fleet (fleet/server with its embedded MQTT broker, on real
// sockets) through the kiosk's screens (kiosk/flow) in plain go test,
// without a GPU. It lives under cmd/ because nothing else may import fleet
// (docs/ARCHITECTURE.md), and apart from the command because the command
// links ebiten, which needs a display.
package fleettest
