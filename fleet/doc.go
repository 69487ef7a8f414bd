// Package fleet is the county service that manages every kiosk and LED board:
// the device registry (devices, enrolment tokens, MQTT credentials), presence,
// and the MQTT side of the fleet–device contract of docs/PROTOCOL.md.
//
// State lives behind [Store], which the SQLite implementation in
// fleet/sqlitestore provides and a PostgreSQL one can provide later.
// [Registry] holds the rules staff and devices meet (enrolment is one-time,
// revoked devices cannot log in, passwords are compared in constant time);
// [Presence] turns presence messages into online/offline state with the
// session-counter rule. The fleet talks MQTT through [Bus], so the embedded
// broker (fleet/broker) and an external one are interchangeable.
//
// Errors that staff may see carry a Simplified Chinese message; get it with
// [StaffMessage]. Everything else is English, for logs.
package fleet
