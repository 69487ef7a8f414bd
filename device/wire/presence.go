package wire

import "fmt"

// PresenceStatus is online or offline.
type PresenceStatus string

const (
	Online  PresenceStatus = "online"
	Offline PresenceStatus = "offline"
)

// Reasons a device is offline.
const (
	OfflineLost     = "lost"     // the will: the broker lost the connection
	OfflineShutdown = "shutdown" // the device disconnected on purpose
	OfflineReboot   = "reboot"   // the device is rebooting (a command or an update)
)

// DeviceKind is what a device is.
type DeviceKind string

const (
	Kiosk DeviceKind = "kiosk"
	LED   DeviceKind = "led"
)

// Presence is the retained message on lp/v1/dev/{id}/presence. The device
// publishes Online right after every connect and sets the will of the same
// connection to Offline with reason "lost" and the same Session.
type Presence struct {
	Schema int            `json:"schema"`
	Status PresenceStatus `json:"status"`
	// Session is the device's connection counter: persisted, incremented
	// before every CONNECT, never reused. It orders presence messages.
	Session uint64 `json:"session"`
	// Reason is set on Offline: "lost", "shutdown" or "reboot".
	Reason string `json:"reason,omitempty"`
	// DeviceKind, AppVersion and Accept are set on Online.
	DeviceKind DeviceKind `json:"device_kind,omitempty"`
	AppVersion string     `json:"app_version,omitempty"`
	// Accept maps each kind the fleet writes (desired, cmd, ack, time) to
	// the highest schema the device decodes; the fleet never sends newer.
	Accept map[Kind]int `json:"accept,omitempty"`
}

func (Presence) TopicKind() Kind { return KindPresence }

func (p Presence) withSchema() Payload {
	if p.Schema == 0 {
		p.Schema = Schema
	}
	return p
}

// Validate checks the fields against the contract.
func (p Presence) Validate() error {
	c := check{kind: KindPresence}
	c.schema(p.Schema)
	c.that(p.Session >= 1, "session", "is %d; sessions start at 1 and grow with every connect", p.Session)
	switch p.Status {
	case Online:
		c.that(p.Reason == "", "reason", "is set on an online message; send it only when offline")
		c.that(p.DeviceKind == Kiosk || p.DeviceKind == LED, "device_kind", "%q is not kiosk or led", truncate(string(p.DeviceKind), 20))
		c.text("app_version", p.AppVersion, 64, true)
		for k, v := range p.Accept {
			spec, ok := SpecOf(k)
			c.that(ok && spec.Writer == Fleet, "accept", "names %q, which is not a kind the fleet writes", truncate(string(k), 20))
			c.that(v >= 1, "accept."+string(k), "is %d; schemas start at 1", v)
		}
	case Offline:
		c.that(p.Reason == OfflineLost || p.Reason == OfflineShutdown || p.Reason == OfflineReboot,
			"reason", "%q is not lost, shutdown or reboot", truncate(p.Reason, 20))
		c.that(p.DeviceKind == "" && p.AppVersion == "" && p.Accept == nil, "status",
			"offline messages carry only status, session and reason")
	default:
		c.fail("status", "%q is not online or offline", truncate(string(p.Status), 20))
	}
	return c.err
}

// DecodePresence decodes and validates a presence payload.
func DecodePresence(b []byte) (Presence, error) {
	var p Presence
	if err := decodeStrict(KindPresence, b, &p); err != nil {
		return Presence{}, err
	}
	if err := p.Validate(); err != nil {
		return Presence{}, err
	}
	return p, nil
}

// Will returns the last-will payload for a connection with the given session.
func Will(session uint64) Presence {
	return Presence{Schema: Schema, Status: Offline, Session: session, Reason: OfflineLost}
}

// PresenceState is what the fleet keeps per device to order presence
// messages: the newest session seen and whether that session is online.
type PresenceState struct {
	Session uint64
	Online  bool
}

// Verdict says what [PresenceState.Apply] did with a message.
type Verdict int

const (
	// Applied: the message is newer and changed the state.
	Applied Verdict = iota + 1
	// Duplicate: the message repeats the current state.
	Duplicate
	// Stale: the message belongs to an older session (a late will) or to a
	// session that already ended; it was ignored.
	Stale
	// Behind: an online message with a session older than the newest seen.
	// Either messages were reordered, or the device lost its counter; it was
	// ignored, and the fleet republishes the desired state with
	// session_floor set so a device that lost its counter jumps past it.
	Behind
)

func (v Verdict) String() string {
	switch v {
	case Applied:
		return "applied"
	case Duplicate:
		return "duplicate"
	case Stale:
		return "stale"
	case Behind:
		return "behind"
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// Apply orders presence messages by session: a newer session always wins;
// within one session offline is final (so an online processed after its own
// will does not revive a dead connection); an older session is ignored, so a
// late will never marks a reconnected device offline. Apply is commutative
// enough for shared subscriptions: whatever order the replicas see the
// messages of one device in, the state ends at the newest session's last
// word. The store must apply it as a compare-and-set on Session.
func (s PresenceState) Apply(p Presence) (PresenceState, Verdict) {
	online := p.Status == Online
	switch {
	case p.Session > s.Session:
		return PresenceState{Session: p.Session, Online: online}, Applied
	case p.Session < s.Session:
		if online {
			return s, Behind
		}
		return s, Stale
	case online == s.Online:
		return s, Duplicate
	case online: // same session, already offline
		return s, Stale
	default: // same session, was online, now offline
		return PresenceState{Session: s.Session, Online: false}, Applied
	}
}
