package fleet

import (
	"context"
	"encoding/json"
	"time"

	"lawpoint/content"
	"lawpoint/device/wire"
)

// RecordKind is what a content record holds.
type RecordKind string

// Content record kinds. Every one is a content package type stored as its
// JSON; a fallback record's ID is a device kind and its body the programme
// ID as a JSON string.
const (
	RecordItem      RecordKind = "item"
	RecordProgramme RecordKind = "programme"
	RecordSchedule  RecordKind = "schedule"
	RecordNotice    RecordKind = "notice"
	RecordFallback  RecordKind = "fallback"
)

// ContentRecord is one version of one authored thing. Versions of an ID
// start at 1 and grow by one with every change; every version is kept.
// Body nil marks the ID deleted from that version on.
type ContentRecord struct {
	Kind    RecordKind
	ID      string
	Version int
	Body    json.RawMessage
	Created time.Time
	Author  string // staff username
}

// ContentStore keeps the authored content with every version.
type ContentStore interface {
	// ContentSet returns the current content (the newest version of every
	// record not deleted) and the content revision it reflects. The
	// revision grows with every PutContent.
	ContentSet(ctx context.Context) (*content.Set, int64, error)
	// PutContent stores new versions of records in one transaction, if
	// the content revision is still baseRev; otherwise it fails with
	// ErrConflict and stores nothing. Each record's Version must be one
	// above the newest stored version of its (Kind, ID), or 0 to take that
	// number. It returns the new revision.
	PutContent(ctx context.Context, baseRev int64, recs []ContentRecord) (int64, error)
	// ContentRecord returns one version of a record; ErrNotFound if none.
	ContentRecord(ctx context.Context, kind RecordKind, id string, version int) (ContentRecord, error)
	// ContentHistory lists every version of a record, oldest first.
	ContentHistory(ctx context.Context, kind RecordKind, id string) ([]ContentRecord, error)
}

// DeviceState is the fleet's record of what a device should run (desired)
// and what it says it runs (reported).
type DeviceState struct {
	DeviceID string
	// Version is the desired version last issued (0 before any).
	Version uint64
	// Serial is the manifest serial last issued (0 before any).
	Serial uint64
	// Digest identifies the inputs of the last desired state (the content
	// that targets the device, its settings and session floor); the same
	// digest with time left on the manifest needs no new version.
	Digest string
	// Expires is when the last issued manifest runs out.
	Expires time.Time
	Issued  time.Time
	// Payload is the desired-state message exactly as published.
	Payload []byte
	// Published is false until the broker took Payload.
	Published bool
	// SessionFloor is the session_floor to send (PROTOCOL.md section 5).
	SessionFloor uint64
	// Settings override the fleet defaults for this device; nil for none.
	Settings *wire.Settings
	// Reported is the newest reported state, nil before any.
	Reported   *wire.Reported
	ReportedAt time.Time
}

// DesiredUpdate is a new desired state for one device.
type DesiredUpdate struct {
	DeviceID string
	Version  uint64 // must be one above the stored version
	Serial   uint64 // must be above the stored serial
	Digest   string
	Expires  time.Time
	Issued   time.Time
	Payload  []byte
}

// ReportedUpdate is a reported-state message from a device.
type ReportedUpdate struct {
	DeviceID string
	Reported wire.Reported
	Received time.Time
}

// StateStore keeps desired and reported state.
type StateStore interface {
	// State returns a device's state; a device without one gets a zero
	// DeviceState (ErrNotFound only for an unknown device).
	State(ctx context.Context, id string) (DeviceState, error)
	// States lists the states of active devices with ID > after, by ID.
	States(ctx context.Context, after string, limit int) ([]DeviceState, error)
	// StateSummaries is States without the payloads the broker already
	// took: Payload is nil where Published is true (a recompute and the
	// status counts need every other field, and a payload only to publish
	// it again). Use States to republish.
	StateSummaries(ctx context.Context, after string, limit int) ([]DeviceState, error)
	// PutDesired stores new desired states in one transaction. An update
	// whose Version is not one above the stored one is skipped (another
	// replica got there first); the result says which were stored.
	PutDesired(ctx context.Context, us []DesiredUpdate) ([]bool, error)
	// MarkPublished records, for each device ID, that the broker took
	// that desired version.
	MarkPublished(ctx context.Context, versions map[string]uint64) error
	// SetSessionFloor raises a device's session floor to floor and reports
	// whether it changed.
	SetSessionFloor(ctx context.Context, id string, floor uint64) (bool, error)
	// SetSettings stores a device's settings override (nil clears it).
	SetSettings(ctx context.Context, id string, s *wire.Settings) error
	// UpdateReported stores reports that are newer (wire.Reported.Newer)
	// than the stored one, in one transaction, and says which were.
	UpdateReported(ctx context.Context, rs []ReportedUpdate) ([]bool, error)
}

// CommandState is where a command is in its life.
type CommandState string

// Command states.
const (
	CommandPending CommandState = "pending" // not yet sent (the device was offline)
	CommandSent    CommandState = "sent"    // published; waiting for the result
	CommandDone    CommandState = "done"    // the result arrived
	CommandExpired CommandState = "expired" // the deadline passed without a result
)

// Command is a command in the fleet's durable outbox.
type Command struct {
	ID       string
	DeviceID string
	Kind     wire.CommandKind
	Args     json.RawMessage
	Issued   time.Time
	Deadline time.Time
	State    CommandState
	Sends    int
	LastSent time.Time
	// Result is the device's answer, nil until it arrives.
	Result   *wire.Result
	ResultAt time.Time
	// Late is set when the result arrived after the fleet expired it.
	Late bool
	// Screenshot is the SHA-256 of the uploaded picture (screenshot only).
	Screenshot string
	CreatedBy  string
}

// CommandStore is the durable command outbox.
type CommandStore interface {
	// CreateCommand stores a new command (state pending).
	CreateCommand(ctx context.Context, c Command) error
	// Command returns one command; ErrNotFound if none.
	Command(ctx context.Context, id string) (Command, error)
	// Commands lists a device's commands, newest first.
	Commands(ctx context.Context, deviceID string, limit int) ([]Command, error)
	// OpenCommands lists commands without a result whose deadline is after
	// now, for the given devices (all devices when ids is nil), oldest
	// first.
	OpenCommands(ctx context.Context, ids []string, now time.Time) ([]Command, error)
	// MarkSent records that the commands were published at.
	MarkSent(ctx context.Context, ids []string, at time.Time) error
	// RecordResult stores a device's result for its command: done, or a
	// late result of an expired command. It returns the command as stored;
	// ErrNotFound if the device has no such command. A second result for
	// the same command is ignored.
	RecordResult(ctx context.Context, deviceID string, r wire.Result, at time.Time) (Command, error)
	// ExpireCommands marks every command without a result whose deadline
	// is before now as expired and returns them.
	ExpireCommands(ctx context.Context, now time.Time) ([]Command, error)
	// AttachScreenshot records the picture a device uploaded for command id.
	AttachScreenshot(ctx context.Context, deviceID, id, sha256 string) error
}

// TelemetrySample is one stored telemetry reading.
type TelemetrySample struct {
	DeviceID string
	At       time.Time // the device's clock
	Received time.Time
	Sample   json.RawMessage // wire.Sample as received
}

// TelemetryStore keeps telemetry for a period.
type TelemetryStore interface {
	// AddTelemetry stores samples in one transaction (unknown devices'
	// samples are skipped).
	AddTelemetry(ctx context.Context, ss []TelemetrySample) error
	// Telemetry lists a device's newest samples, newest first.
	Telemetry(ctx context.Context, deviceID string, limit int) ([]TelemetrySample, error)
	// PruneTelemetry deletes samples received before and returns how many.
	PruneTelemetry(ctx context.Context, before time.Time) (int64, error)
}

// Session is a staff login: a bearer token stored as its SHA-256.
type Session struct {
	Hash     [32]byte
	Username string
	Created  time.Time
	Expires  time.Time
}

// SessionStore keeps staff sessions.
type SessionStore interface {
	CreateSession(ctx context.Context, s Session) error
	// Session returns a session; ErrNotFound if none (expired ones too).
	Session(ctx context.Context, hash [32]byte, now time.Time) (Session, error)
	DeleteSession(ctx context.Context, hash [32]byte) error
	// PruneSessions deletes expired sessions.
	PruneSessions(ctx context.Context, now time.Time) error
}
