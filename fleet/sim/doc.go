// Package sim is the fleet's load simulator (`lawpoint-fleet sim`): it
// registers N simulated devices, connects each over real MQTT with its own
// credentials, and behaves as PROTOCOL.md asks of a device — will and
// online presence with a session counter, the five subscriptions, a time
// request, the signed desired state checked and answered with reported
// state, reconnects with wire.Backoff's full jitter — while it measures
// how long a schedule change takes to reach every device, memory per
// connection, and the reconnect curve after a broker restart. See
// docs/BENCHMARKS.md ("Load simulator") for the figures and why it is
// built the way it is.
package sim
