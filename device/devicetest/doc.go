// Package devicetest holds the shared fakes of the device agent's tests: a
// county that signs real manifests with content.Sign, an HTTP item server
// with Range support that can cut or stall a download, and a Mosquitto
// broker started on a loopback port with the protocol's ACL.
package devicetest
