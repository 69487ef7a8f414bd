// Package broker is the fleet's embedded MQTT broker: mochi-mqtt v2 with an
// authentication and ACL hook of our own, tuned for tens of thousands of
// mostly idle devices, listening on TCP and on TLS.
//
// The hook asks the registry (an [Authenticator]) for credentials and
// device/wire's Allow for every publish and subscribe, the same rules
// wire.MosquittoACL exports for an external broker, so the two modes cannot
// drift apart. The fleet itself talks to the embedded broker through
// [Broker.Bus], an in-process inline client that satisfies fleet.Bus.
package broker
