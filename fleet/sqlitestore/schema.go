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
}
