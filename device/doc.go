// Package device is the agent every Raspberry Pi runs, kiosk or LED board:
// its identity (the credentials file of its data folder), the MQTT link to
// the fleet (docs/PROTOCOL.md through lawpoint/device/wire), the local store
// (lawpoint/device/store), content sync with signed manifests
// (lawpoint/device/cache), commands, events, telemetry and the clock.
//
// An Agent is built with New from a data folder and Hooks that connect it to
// the program around it (the LED player or the kiosk): brightness, identify,
// screenshot, reboot, part status and "new content in use". Agent.Run keeps
// the link up until its context ends; Agent.Record queues an event that is
// never lost and counted once; Agent.ClockTrusted and Agent.Now tell the
// resolver and the player what time it is and whether to believe it.
//
// Hardware enters through lawpoint/device/hw. docs/DEVICE.md describes the
// data folder, the atomic content switch and the reconnect numbers.
package device
