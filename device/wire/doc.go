// Package wire is the contract between the fleet service and the devices, in
// code: the MQTT topic tree under [Prefix], one Go type per payload with its
// JSON encoding, strict decoders that refuse oversized, malformed,
// unknown-schema and out-of-range messages with typed errors, the per-device
// access rules as data ([Rules]) with one evaluator ([Allow]) and one
// Mosquitto rendering ([MosquittoACL]), the presence ordering rule
// ([PresenceState.Apply]), and the reconnect backoff with full jitter
// ([Backoff]).
//
// docs/PROTOCOL.md is the prose version of this package; the two change
// together. The fleet (broker hook, consumers) and the device agent both use
// this package, so neither can drift from the other. It imports only the
// standard library; the signed manifest inside the desired state is carried
// as opaque bytes and verified by the content package, not here.
package wire
