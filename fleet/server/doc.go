// Package server sets up and runs a county's lawpoint-fleet: Init creates
// the data folder (store, MQTT TLS certificates, the county content-signing
// key, the first admin and the fleet's own MQTT account), and Serve runs the
// embedded broker, presence tracking and the HTTP listener until its context
// ends, then shuts down in order. cmd/lawpoint-fleet only parses flags and
// calls this package.
package server
