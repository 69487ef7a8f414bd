package wire

import (
	"fmt"
	"strings"
)

// Protocol version and topic prefix. A change that old devices cannot follow
// gets a new prefix (lp/v2/) so both generations can share one broker during
// a migration; additions inside one payload bump that payload's schema.
const (
	Version = "v1"
	// Prefix is the root of every lawpoint topic.
	Prefix = "lp/" + Version + "/"
	// DevicePrefix is the root of the per-device subtrees:
	// lp/v1/dev/{deviceID}/{kind}.
	DevicePrefix = Prefix + "dev/"
	// SharedGroup is the shared-subscription group every fleet replica joins,
	// so each message is handled by one replica.
	SharedGroup = "fleet"
)

// Device ID bounds. IDs are lowercase ASCII letters, digits and '-', start
// with a letter or digit, and are 3 to 64 bytes long, so an ID can never be
// an MQTT wildcard, a level separator, a Mosquitto %-substitution or a
// system ($) topic, and is safe in file names and URLs.
const (
	DeviceIDMinLen = 3
	DeviceIDMaxLen = 64
)

// Kind names one topic in a device's subtree; it is the last topic level.
type Kind string

// The topics of a device subtree. See [Specs] for who writes each one.
const (
	KindPresence    Kind = "presence"  // device (and its will) → fleet; retained
	KindDesired     Kind = "desired"   // fleet → device; retained
	KindReported    Kind = "reported"  // device → fleet; retained
	KindCommand     Kind = "cmd"       // fleet → device
	KindResult      Kind = "result"    // device → fleet
	KindEvents      Kind = "events"    // device → fleet
	KindAck         Kind = "ack"       // fleet → device
	KindTelemetry   Kind = "telemetry" // device → fleet
	KindTimeRequest Kind = "time_req"  // device → fleet
	KindTime        Kind = "time"      // fleet → device
)

// Party is who takes part in the protocol: a device or the fleet.
type Party int

const (
	Device Party = iota + 1
	Fleet
)

func (p Party) String() string {
	switch p {
	case Device:
		return "device"
	case Fleet:
		return "fleet"
	}
	return fmt.Sprintf("Party(%d)", int(p))
}

// Spec is the contract of one topic kind.
type Spec struct {
	Kind Kind
	// Writer is the party that publishes on the topic in normal operation.
	// The fleet may also write any topic, to clear retained messages of a
	// retired device.
	Writer Party
	// DeviceReads tells whether the device subscribes to the topic (besides
	// the topics the fleet writes, a device reads its own presence to repair
	// a late will).
	DeviceReads bool
	// QoS and Retain are what the writer must publish with.
	QoS    byte
	Retain bool
	// MaxBytes caps the payload; larger messages are dropped unread.
	MaxBytes int
}

const kib = 1024

var specs = []Spec{
	{KindPresence, Device, true, 1, true, 1 * kib},
	{KindDesired, Fleet, true, 1, true, 512 * kib},
	{KindReported, Device, false, 1, true, 16 * kib},
	{KindCommand, Fleet, true, 1, false, 16 * kib},
	{KindResult, Device, false, 1, false, 64 * kib},
	{KindEvents, Device, false, 1, false, 128 * kib},
	{KindAck, Fleet, true, 1, false, 16 * kib},
	{KindTelemetry, Device, false, 0, false, 64 * kib},
	{KindTimeRequest, Device, false, 0, false, 512},
	{KindTime, Fleet, true, 0, false, 512},
}

// MaxPayload is the largest payload of any kind. A broker's maximum packet
// size must be at least this plus the topic and header (set 1 MiB).
const MaxPayload = 512 * kib

// Specs returns the contract of every topic kind, in a fixed order.
func Specs() []Spec { return append([]Spec(nil), specs...) }

// Kinds returns every topic kind, in the order of [Specs].
func Kinds() []Kind {
	out := make([]Kind, len(specs))
	for i, s := range specs {
		out[i] = s.Kind
	}
	return out
}

// SpecOf returns the contract of kind k; ok is false for an unknown kind.
func SpecOf(k Kind) (s Spec, ok bool) {
	for _, s := range specs {
		if s.Kind == k {
			return s, true
		}
	}
	return Spec{}, false
}

// Valid reports whether k is a kind of this protocol version.
func (k Kind) Valid() bool {
	_, ok := SpecOf(k)
	return ok
}

// ValidateDeviceID checks the device ID charset and length. The error wraps
// [ErrDeviceID].
func ValidateDeviceID(id string) error {
	if len(id) < DeviceIDMinLen || len(id) > DeviceIDMaxLen {
		return fmt.Errorf("wire: device ID %q is %d bytes; use %d to %d lowercase letters, digits or '-': %w",
			truncate(id, 80), len(id), DeviceIDMinLen, DeviceIDMaxLen, ErrDeviceID)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && i > 0:
		default:
			return fmt.Errorf("wire: device ID %q has %q at byte %d; use only lowercase letters, digits and '-' (not first): %w",
				truncate(id, 80), rune(c), i, ErrDeviceID)
		}
	}
	return nil
}

// Topic returns the topic of kind k in the subtree of deviceID, e.g.
// Topic("kiosk-0001", KindDesired) == "lp/v1/dev/kiosk-0001/desired". It
// does not validate; call [ValidateDeviceID] on IDs from outside.
func Topic(deviceID string, k Kind) string {
	return DevicePrefix + deviceID + "/" + string(k)
}

// Filter returns the subscription filter for kind k of every device, e.g.
// "lp/v1/dev/+/events". Only the fleet may subscribe to it.
func Filter(k Kind) string { return DevicePrefix + "+/" + string(k) }

// SharedFilter returns the shared-subscription filter the fleet replicas use
// to split kind k between them, e.g. "$share/fleet/lp/v1/dev/+/events".
func SharedFilter(k Kind) string { return "$share/" + SharedGroup + "/" + Filter(k) }

// ParseTopic splits a topic name of a device subtree into the device ID and
// the kind. It refuses wildcards, other prefixes, extra or missing levels,
// bad device IDs and unknown kinds with an error that wraps [ErrTopic].
func ParseTopic(topic string) (deviceID string, kind Kind, err error) {
	rest, ok := strings.CutPrefix(topic, DevicePrefix)
	if !ok {
		return "", "", fmt.Errorf("wire: topic %q is outside %s{deviceID}/{kind}; publish only in device subtrees: %w",
			truncate(topic, 120), DevicePrefix, ErrTopic)
	}
	id, k, ok := strings.Cut(rest, "/")
	if !ok || strings.Contains(k, "/") {
		return "", "", fmt.Errorf("wire: topic %q must have exactly two levels after %s ({deviceID}/{kind}): %w",
			truncate(topic, 120), DevicePrefix, ErrTopic)
	}
	if err := ValidateDeviceID(id); err != nil {
		return "", "", fmt.Errorf("wire: topic %q: %w", truncate(topic, 120), errJoin(ErrTopic, err))
	}
	if !Kind(k).Valid() {
		return "", "", fmt.Errorf("wire: topic %q: unknown kind %q; known kinds are %v: %w",
			truncate(topic, 120), truncate(k, 40), Kinds(), ErrTopic)
	}
	return id, Kind(k), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
