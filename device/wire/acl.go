package wire

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Access is what a rule grants on matching topics.
type Access int

const (
	Read      Access = 1 // subscribe and receive
	Write     Access = 2 // publish (including a last will)
	ReadWrite        = Read | Write
)

func (a Access) String() string {
	switch a {
	case Read:
		return "read"
	case Write:
		return "write"
	case ReadWrite:
		return "readwrite"
	}
	return fmt.Sprintf("Access(%d)", int(a))
}

// UserSubst stands, in a device rule's filter, for the device's own ID (its
// MQTT username). It is a whole topic level, as in Mosquitto patterns.
const UserSubst = "%u"

// Rule is one grant of the access policy. Nothing is allowed unless a rule
// grants it.
type Rule struct {
	Party  Party
	Access Access
	// Filter is an MQTT topic filter; in device rules it contains
	// UserSubst once, as the device ID level.
	Filter string
}

var rules = buildRules()

func buildRules() []Rule {
	var out []Rule
	for _, s := range specs {
		var a Access
		if s.Writer == Device {
			a |= Write
		}
		if s.DeviceReads {
			a |= Read
		}
		out = append(out, Rule{Device, a, DevicePrefix + UserSubst + "/" + string(s.Kind)})
	}
	// The fleet reads and writes everything under the prefix: it writes
	// desired, cmd, ack and time, consumes what devices write, and clears
	// the retained topics of a retired device. Nothing outside the prefix
	// ($SYS included) is granted.
	out = append(out, Rule{Fleet, ReadWrite, Prefix + "#"})
	return out
}

// Rules returns the access policy: the rules the embedded broker's hook
// evaluates with Allow and MosquittoACL renders. Each device rule applies to
// every device, with UserSubst replaced by its own ID.
func Rules() []Rule { return slices.Clone(rules) }

// Allow decides whether the client with this username may publish to topic
// (write) or subscribe to the topic filter (read). isFleet is set by the
// broker's authentication for the fleet's own identity; every other client
// is a device whose username is its device ID.
//
// A device may only write, and only read, the exact topics of its own
// subtree that the rules give it: any wildcard filter, "$share/..." or
// "$SYS/..." is refused, so a device cannot read another device's topics
// nor write desired state, commands or acks. The fleet may read and write
// everything under Prefix, and only it may use shared subscriptions
// ("$share/{group}/{filter}" with a filter inside Prefix).
func Allow(username string, isFleet bool, topic string, write bool) bool {
	party := Device
	if isFleet {
		party = Fleet
	} else if ValidateDeviceID(username) != nil {
		return false
	}
	need := Read
	filter := topic
	if write {
		need = Write
		if !validTopicName(topic) {
			return false
		}
	} else {
		if rest, ok := strings.CutPrefix(topic, "$share/"); ok {
			group, f, ok := strings.Cut(rest, "/")
			if !isFleet || !ok || group == "" || strings.ContainsAny(group, "+#") {
				return false
			}
			filter = f
		}
		if !validFilter(filter) {
			return false
		}
	}
	for _, r := range rules {
		if r.Party != party || r.Access&need == 0 {
			continue
		}
		pat := r.Filter
		if party == Device {
			pat = strings.Replace(pat, UserSubst, username, 1)
		}
		if covers(pat, filter) {
			return true
		}
	}
	return false
}

// ValidateFleetUser checks the fleet's MQTT username: 1..64 bytes of
// letters, digits, '_', '-' and '.', and never a valid device ID (use an
// '_' as in "lawpoint_fleet"), so no device can be enrolled under it.
func ValidateFleetUser(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("wire: fleet username %q must be 1 to 64 bytes: %w", truncate(name, 80), ErrInvalid)
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_' || ch == '-' || ch == '.') {
			return fmt.Errorf("wire: fleet username %q has %q; use letters, digits, '_', '-' or '.': %w", name, rune(ch), ErrInvalid)
		}
	}
	if ValidateDeviceID(name) == nil {
		return fmt.Errorf("wire: fleet username %q could also be a device ID; include an '_' or an uppercase letter (e.g. lawpoint_fleet): %w", name, ErrInvalid)
	}
	return nil
}

// DefaultFleetUser is the fleet's MQTT username unless configured otherwise.
const DefaultFleetUser = "lawpoint_fleet"

// MosquittoACL renders Rules as a Mosquitto acl_file: one "pattern" line
// per device rule (%u is the username, which is the device ID) and a "user"
// block for the fleet. deviceIDs are validated and listed in a comment for
// audit against the password file; the patterns cover them all. Use it with
// allow_anonymous false and a password_file holding exactly the fleet user
// and these devices.
func MosquittoACL(deviceIDs []string, fleetUser string) (string, error) {
	if err := ValidateFleetUser(fleetUser); err != nil {
		return "", err
	}
	ids := slices.Clone(deviceIDs)
	slices.Sort(ids)
	for i, id := range ids {
		if err := ValidateDeviceID(id); err != nil {
			return "", fmt.Errorf("wire: cannot export the Mosquitto ACL: %w", err)
		}
		if i > 0 && ids[i-1] == id {
			return "", fmt.Errorf("wire: cannot export the Mosquitto ACL: device ID %q is listed twice: %w", id, ErrDeviceID)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# lawpoint MQTT access rules for Mosquitto (acl_file), protocol %s.\n", Prefix)
	b.WriteString("# Generated by lawpoint/device/wire.MosquittoACL from wire.Rules; do not edit by\n")
	b.WriteString("# hand: change the rules in wire and export again, so that the embedded broker\n")
	b.WriteString("# and Mosquitto enforce the same policy.\n")
	b.WriteString("# Use with: allow_anonymous false, per_listener_settings false, and a\n")
	fmt.Fprintf(&b, "# password_file holding exactly %q and the %d devices listed below.\n", fleetUser, len(ids))
	b.WriteString("# Mosquitto accepts every SUBSCRIBE and checks \"read\" for each message it\n")
	b.WriteString("# delivers; the embedded broker refuses such a subscription outright.\n")
	b.WriteString("#\n# devices:")
	col := len("# devices:")
	for _, id := range ids {
		if col+1+len(id) > 78 {
			b.WriteString("\n#")
			col = 1
		}
		b.WriteString(" " + id)
		col += 1 + len(id)
	}
	b.WriteString("\n\n# Every device, in its own subtree only (%u is its username, the device ID).\n")
	for _, r := range rules {
		if r.Party == Device {
			fmt.Fprintf(&b, "pattern %s %s\n", r.Access, r.Filter)
		}
	}
	b.WriteString("\n# The fleet service (every replica connects as this user).\n")
	fmt.Fprintf(&b, "user %s\n", fleetUser)
	for _, r := range rules {
		if r.Party == Fleet {
			fmt.Fprintf(&b, "topic %s %s\n", r.Access, r.Filter)
		}
	}
	return b.String(), nil
}

// Match reports whether the topic name matches the subscription filter
// under MQTT 3.1.1 rules ('+' one level, '#' the rest including the parent,
// wildcards in the first level never match a topic starting with '$').
func Match(filter, topic string) bool {
	if !validFilter(filter) || !validTopicName(topic) {
		return false
	}
	return covers(filter, topic)
}

// covers reports whether every topic that filter f matches is also matched
// by filter p (with a topic name, as f, it is plain matching).
func covers(p, f string) bool {
	ps, fs := strings.Split(p, "/"), strings.Split(f, "/")
	dollar := strings.HasPrefix(f, "$")
	for i := 0; ; i++ {
		if i == len(ps) {
			return i == len(fs)
		}
		if ps[i] == "#" {
			return !(i == 0 && dollar)
		}
		if i == len(fs) {
			return false
		}
		switch {
		case fs[i] == "#":
			return false
		case ps[i] == "+":
			if i == 0 && dollar {
				return false
			}
		case ps[i] != fs[i]:
			return false
		}
	}
}

func validTopicName(t string) bool {
	return t != "" && len(t) <= 65535 && utf8.ValidString(t) && !strings.ContainsAny(t, "+#\x00")
}

func validFilter(f string) bool {
	if f == "" || len(f) > 65535 || !utf8.ValidString(f) || strings.ContainsRune(f, 0) {
		return false
	}
	levels := strings.Split(f, "/")
	for i, l := range levels {
		if strings.ContainsAny(l, "+#") && len(l) != 1 {
			return false
		}
		if l == "#" && i != len(levels)-1 {
			return false
		}
	}
	return true
}

// CheckPublish is what the embedded broker's hook applies to every PUBLISH
// (and to the will at CONNECT): the ACL, then, for a device, the QoS and
// retain flag of the topic's Spec. The fleet may publish with any flags (it
// clears retained topics with an empty retained message). The error says
// what is wrong, for a once-per-(client, topic) log line.
func CheckPublish(username string, isFleet bool, topic string, qos byte, retain bool) error {
	if !Allow(username, isFleet, topic, true) {
		return fmt.Errorf("wire: %q may not publish to %q; a device writes only its own presence, reported, result, events, telemetry and time_req: %w",
			truncate(username, 64), truncate(topic, 120), ErrTopic)
	}
	if isFleet {
		return nil
	}
	_, kind, err := ParseTopic(topic)
	if err != nil {
		return err
	}
	spec, _ := SpecOf(kind)
	if qos != spec.QoS || retain != spec.Retain {
		return fmt.Errorf("wire: %q published %s with QoS %d retain %v; the protocol says QoS %d retain %v: %w",
			truncate(username, 64), kind, qos, retain, spec.QoS, spec.Retain, ErrInvalid)
	}
	return nil
}
