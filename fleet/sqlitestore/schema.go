package sqlitestore

// migrations are applied in order; migrations[i] brings the schema to
// version i+1. Never edit one that has shipped: append a new one.
var migrations = []string{
	// 1: devices, tags, enrolment tokens, credentials, presence, events.
	`
CREATE TABLE devices (
	id            TEXT PRIMARY KEY,
	kind          TEXT NOT NULL CHECK (kind IN ('kiosk', 'led')),
	model         TEXT NOT NULL DEFAULT '',
	region        TEXT NOT NULL CHECK (region <> ''),
	contact_point TEXT NOT NULL DEFAULT '',
	created_us    INTEGER NOT NULL,
	revoked_us    INTEGER
) STRICT;
CREATE INDEX devices_region ON devices (region);

CREATE TABLE device_tags (
	device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
	tag       TEXT NOT NULL,
	PRIMARY KEY (device_id, tag)
) STRICT, WITHOUT ROWID;
CREATE INDEX device_tags_tag ON device_tags (tag, device_id);

CREATE TABLE enrolment_tokens (
	hash       BLOB PRIMARY KEY CHECK (length(hash) = 32),
	device_id  TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
	created_us INTEGER NOT NULL,
	expires_us INTEGER NOT NULL,
	used_us    INTEGER
) STRICT;
CREATE INDEX enrolment_tokens_device ON enrolment_tokens (device_id);

CREATE TABLE credentials (
	username   TEXT PRIMARY KEY,
	hash       TEXT NOT NULL,
	role       TEXT NOT NULL CHECK (role IN ('device', 'fleet')),
	device_id  TEXT UNIQUE REFERENCES devices (id) ON DELETE CASCADE,
	created_us INTEGER NOT NULL,
	CHECK ((role = 'device') = (device_id IS NOT NULL)),
	CHECK (device_id IS NULL OR device_id = username)
) STRICT;

CREATE TABLE presence (
	device_id    TEXT PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
	online       INTEGER NOT NULL CHECK (online IN (0, 1)),
	session      INTEGER NOT NULL CHECK (session >= 0),
	last_seen_us INTEGER NOT NULL,
	changed_us   INTEGER NOT NULL
) STRICT;

CREATE TABLE events (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	device_id   TEXT NOT NULL REFERENCES devices (id),
	idem_key    TEXT NOT NULL,
	type        TEXT NOT NULL,
	payload     BLOB NOT NULL,
	occurred_us INTEGER NOT NULL,
	received_us INTEGER NOT NULL,
	UNIQUE (device_id, idem_key)
) STRICT;
`,
	// 2: staff accounts for the console and API.
	`
CREATE TABLE staff (
	username   TEXT PRIMARY KEY,
	hash       TEXT NOT NULL,
	role       TEXT NOT NULL,
	created_us INTEGER NOT NULL
) STRICT;
`,
	// 3: fingerprints of events; content with versions; desired and
	// reported state; the command outbox; telemetry; staff sessions.
	`
ALTER TABLE events ADD COLUMN device_seq INTEGER;
ALTER TABLE events ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
CREATE INDEX events_device_seq ON events (device_id, device_seq);

CREATE TABLE content_rev (
	id  INTEGER PRIMARY KEY CHECK (id = 1),
	rev INTEGER NOT NULL
) STRICT;
INSERT INTO content_rev (id, rev) VALUES (1, 0);

CREATE TABLE content_records (
	kind       TEXT NOT NULL CHECK (kind IN ('item', 'programme', 'schedule', 'notice', 'fallback')),
	id         TEXT NOT NULL,
	version    INTEGER NOT NULL CHECK (version >= 1),
	body       BLOB,
	rev        INTEGER NOT NULL,
	created_us INTEGER NOT NULL,
	author     TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (kind, id, version)
) STRICT, WITHOUT ROWID;

CREATE TABLE device_state (
	device_id        TEXT PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
	version          INTEGER NOT NULL DEFAULT 0,
	serial           INTEGER NOT NULL DEFAULT 0,
	digest           TEXT NOT NULL DEFAULT '',
	expires_us       INTEGER NOT NULL DEFAULT 0,
	issued_us        INTEGER NOT NULL DEFAULT 0,
	payload          BLOB,
	published        INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
	session_floor    INTEGER NOT NULL DEFAULT 0,
	settings         BLOB,
	reported         BLOB,
	reported_session INTEGER NOT NULL DEFAULT 0,
	reported_seq     INTEGER NOT NULL DEFAULT 0,
	reported_us      INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE commands (
	id           TEXT PRIMARY KEY,
	device_id    TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
	kind         TEXT NOT NULL,
	args         BLOB,
	issued_us    INTEGER NOT NULL,
	deadline_us  INTEGER NOT NULL,
	state        TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'done', 'expired')),
	sends        INTEGER NOT NULL DEFAULT 0,
	last_sent_us INTEGER NOT NULL DEFAULT 0,
	result       BLOB,
	result_us    INTEGER NOT NULL DEFAULT 0,
	late         INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
	screenshot   TEXT NOT NULL DEFAULT '',
	created_by   TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX commands_device ON commands (device_id, issued_us);
CREATE INDEX commands_open ON commands (deadline_us) WHERE state IN ('pending', 'sent');

CREATE TABLE telemetry (
	id          INTEGER PRIMARY KEY,
	device_id   TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
	at_us       INTEGER NOT NULL,
	received_us INTEGER NOT NULL,
	sample      BLOB NOT NULL
) STRICT;
CREATE INDEX telemetry_device ON telemetry (device_id, id);
CREATE INDEX telemetry_received ON telemetry (received_us);

CREATE TABLE staff_sessions (
	hash       BLOB PRIMARY KEY CHECK (length(hash) = 32),
	username   TEXT NOT NULL REFERENCES staff (username) ON DELETE CASCADE,
	created_us INTEGER NOT NULL,
	expires_us INTEGER NOT NULL
) STRICT;
`,
}
