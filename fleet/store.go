package fleet

import (
	"context"
	"time"

	"lawpoint/device/wire"
)

// Role says what an MQTT account may do.
type Role string

// Roles of MQTT accounts.
const (
	RoleDevice Role = "device" // a kiosk or board: its own subtree only
	RoleFleet  Role = "fleet"  // a fleet service replica: writes desired state and commands
)

// Credential is an MQTT account: the username and a hash of its password.
// For devices the username is the device ID.
type Credential struct {
	Username string
	Hash     string // PasswordHash output; never the password
	Role     Role
	Created  time.Time
}

// Token is an enrolment token as stored: only its hash, bound to the device
// record staff prepared.
type Token struct {
	Hash     [32]byte // SHA-256 of the token text
	DeviceID string
	Created  time.Time
	Expires  time.Time
	Used     time.Time // zero until redeemed
}

// Presence is what the fleet knows about a device's connection.
type Presence struct {
	DeviceID string
	Online   bool
	Session  uint64    // the device's connection counter; see Presence rules in PROTOCOL.md
	LastSeen time.Time // last time the device was heard from
	Changed  time.Time // when Online last changed
}

// Event is something a device reported (ticket, booking, rating, proof of
// play, ...). Key is the device's idempotency key: the same (DeviceID, Key)
// is stored once however often it is resent.
type Event struct {
	Seq      int64 // assigned by the store, increasing
	DeviceID string
	Key      string
	Type     string
	Payload  []byte // JSON as received (already validated)
	Occurred time.Time
	Received time.Time
	// DeviceSeq is the device's sequence number (wire.Event.Seq), 0 if none.
	DeviceSeq uint64
	// Fingerprint tells a resend (same) from a reused key (different);
	// wire.Event.Fingerprint.
	Fingerprint string
}

// Filter selects devices. Empty fields match everything.
type Filter struct {
	Region         string // region path prefix, matched at '/' boundaries
	Kind           Kind
	Tag            string
	IncludeRevoked bool
	After          string // return devices with ID > After (paging)
	Limit          int    // 0 means no limit
}

// Store keeps the fleet's state. Every method is atomic: a change that spans
// rows happens in one transaction or not at all. Implementations: SQLite
// (fleet/sqlitestore); PostgreSQL later.
type Store interface {
	// CreateDevice stores a new device record; ErrExists if the ID is taken.
	CreateDevice(ctx context.Context, d Device) error
	// Device returns one device; ErrNotFound if there is none.
	Device(ctx context.Context, id string) (Device, error)
	// Devices lists devices matching f, ordered by ID.
	Devices(ctx context.Context, f Filter) ([]Device, error)
	// RevokeDevice marks the device revoked and deletes its credential and
	// unused tokens; ErrNotFound if there is none. Revoking twice keeps the
	// first time.
	RevokeDevice(ctx context.Context, id string, at time.Time) error
	// SetDeviceBoard replaces a device's registered LED board (zero
	// clears it); ErrNotFound if there is no such device.
	SetDeviceBoard(ctx context.Context, id string, b Board) error

	// CreateToken stores an enrolment token for an existing, active device.
	CreateToken(ctx context.Context, t Token) error
	// RedeemToken marks the token used and stores cred for its device, in
	// one transaction. It fails with ErrTokenUnknown, ErrTokenUsed,
	// ErrTokenExpired or ErrRevoked and then changes nothing.
	RedeemToken(ctx context.Context, hash [32]byte, cred Credential, now time.Time) (Device, error)

	// Credential returns the account for username; ErrNotFound if none.
	Credential(ctx context.Context, username string) (Credential, error)
	// PutCredential creates or replaces a fleet service account.
	PutCredential(ctx context.Context, c Credential) error
	// Credentials lists every account (for exporting to an external broker).
	Credentials(ctx context.Context) ([]Credential, error)

	// UpdatePresence applies a batch of presence observations in order,
	// each as a compare-and-set by the session rule of ApplyPresence, in one
	// transaction, and returns each observation's verdict. Observations for
	// unknown devices get verdict 0 and change nothing.
	UpdatePresence(ctx context.Context, ps []Presence) ([]wire.Verdict, error)
	// Presence returns a device's presence; ErrNotFound if never seen.
	Presence(ctx context.Context, id string) (Presence, error)

	// AddEvents stores events, skipping any whose (DeviceID, Key) is
	// already stored, and returns how many were new.
	AddEvents(ctx context.Context, es []Event) (int, error)
	// Events lists a device's events with Seq > after, oldest first.
	Events(ctx context.Context, deviceID string, after int64, limit int) ([]Event, error)

	// CreateStaff stores a new staff account; ErrExists if the name is taken.
	CreateStaff(ctx context.Context, s Staff) error
	// Staff returns a staff account; ErrNotFound if none.
	Staff(ctx context.Context, username string) (Staff, error)

	// Presences lists the presence of every device ever seen, by ID.
	Presences(ctx context.Context) ([]Presence, error)

	// PresenceHistory returns the presence history of the devices in
	// region (a path prefix matched at '/' boundaries; "" for all): for
	// each device its last change received before from (its state at
	// from) and every change received in [from, to), ordered by device ID,
	// then Seq. UpdatePresence appends a change for every observation with
	// verdict wire.Applied, in its own transaction, at the observation's
	// LastSeen (the store's clock for a retained message, which has none).
	PresenceHistory(ctx context.Context, from, to time.Time, region string) ([]PresenceChange, error)
	// PrunePresenceHistory deletes the presence changes received before
	// `before`, except each device's last one (its state at `before`),
	// and returns how many it deleted.
	PrunePresenceHistory(ctx context.Context, before time.Time) (int64, error)

	// AddEventBatch stores one device's events in one transaction: an
	// event whose key is new is stored; one whose key is stored with the
	// same fingerprint is a duplicate (stored before); one whose key is
	// stored with another fingerprint is a conflict (the device reused a
	// sequence number). It returns each event's outcome and the device's
	// next free sequence number (above every stored one).
	AddEventBatch(ctx context.Context, deviceID string, es []Event) ([]EventOutcome, uint64, error)

	ContentStore
	StateStore
	CommandStore
	TelemetryStore
	SessionStore
	QueueStore

	// Close releases the store.
	Close() error
}

// EventOutcome is what became of one event of a batch.
type EventOutcome int

// Event outcomes.
const (
	EventStored    EventOutcome = iota + 1 // new, stored now
	EventDuplicate                         // stored before with the same fingerprint
	EventConflict                          // the key is taken by a different event
)

// ApplyPresence applies one presence observation to the stored presence
// (nil if none) by the ordering rule of the wire contract
// (wire.PresenceState.Apply): a newer session always wins; within a session
// offline is final; an older session is ignored, so a will from a dropped
// connection arriving after the device reconnected never marks it offline.
// It returns the new state and the verdict. LastSeen advances on Applied and
// Duplicate observations and never moves backwards; Changed is the time of
// the observation that last changed Online.
func ApplyPresence(old *Presence, obs Presence) (Presence, wire.Verdict) {
	status := wire.Offline
	if obs.Online {
		status = wire.Online
	}
	var st wire.PresenceState
	if old != nil {
		st = wire.PresenceState{Session: old.Session, Online: old.Online}
	}
	next, v := st.Apply(wire.Presence{Status: status, Session: obs.Session})
	if old == nil {
		if v != wire.Applied {
			return Presence{}, v // e.g. session 0 offline: nothing to record
		}
		obs.Changed = obs.LastSeen
		return obs, wire.Applied
	}
	n := *old
	switch v {
	case wire.Applied:
		if next.Online != old.Online {
			n.Changed = obs.LastSeen
		}
		n.Session, n.Online = next.Session, next.Online
		fallthrough
	case wire.Duplicate:
		if obs.LastSeen.After(n.LastSeen) {
			n.LastSeen = obs.LastSeen
		}
	}
	return n, v
}
