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
	// 4: advisers and lawyers, their leave and extra hours, bookings (one
	// active booking per adviser and slot start, one per device request),
	// booking requests that came as events, queue service categories,
	// booking settings, and the typed projections of ticket and rating
	// events for the daily figures (docs/BOOKING.md).
	`
CREATE TABLE advisers (
	id            TEXT PRIMARY KEY,
	body          BLOB NOT NULL,
	calendar_hash BLOB UNIQUE CHECK (calendar_hash IS NULL OR length(calendar_hash) = 32),
	created_us    INTEGER NOT NULL,
	updated_us    INTEGER NOT NULL
) STRICT;

CREATE TABLE adviser_exceptions (
	id         INTEGER PRIMARY KEY,
	adviser_id TEXT NOT NULL REFERENCES advisers (id) ON DELETE CASCADE,
	kind       TEXT NOT NULL CHECK (kind IN ('off', 'extra')),
	from_us    INTEGER NOT NULL,
	to_us      INTEGER NOT NULL CHECK (to_us > from_us),
	note       TEXT NOT NULL DEFAULT '',
	created_us INTEGER NOT NULL
) STRICT;
CREATE INDEX adviser_exceptions_time ON adviser_exceptions (adviser_id, to_us);

CREATE TABLE bookings (
	id            INTEGER PRIMARY KEY,
	code          TEXT NOT NULL UNIQUE,
	adviser_id    TEXT NOT NULL REFERENCES advisers (id),
	service       TEXT NOT NULL,
	slot_start_us INTEGER NOT NULL,
	slot_end_us   INTEGER NOT NULL CHECK (slot_end_us > slot_start_us),
	phone         TEXT NOT NULL,
	name          TEXT NOT NULL DEFAULT '',
	device_id     TEXT REFERENCES devices (id),
	idem_key      TEXT,
	contact_point TEXT NOT NULL DEFAULT '',
	region        TEXT NOT NULL DEFAULT '',
	source        TEXT NOT NULL CHECK (source IN ('kiosk', 'event')),
	status        TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
	meeting_url   TEXT NOT NULL,
	sequence      INTEGER NOT NULL DEFAULT 0,
	created_us    INTEGER NOT NULL,
	updated_us    INTEGER NOT NULL,
	CHECK ((device_id IS NULL) = (idem_key IS NULL))
) STRICT;
-- The guarantee that one slot goes to one villager: at most one confirmed
-- booking per adviser and slot start, whoever asks and however at once.
CREATE UNIQUE INDEX bookings_active_slot ON bookings (adviser_id, slot_start_us) WHERE status = 'confirmed';
-- A resent request (same device, same key) finds the booking made first.
CREATE UNIQUE INDEX bookings_request ON bookings (device_id, idem_key);
CREATE INDEX bookings_slot ON bookings (slot_start_us);

CREATE TABLE booking_requests (
	device_id   TEXT NOT NULL REFERENCES devices (id),
	request_id  TEXT NOT NULL,
	event_seq   INTEGER NOT NULL,
	body        BLOB NOT NULL,
	status      TEXT NOT NULL CHECK (status IN ('confirmed', 'unconfirmed')),
	reason      TEXT NOT NULL DEFAULT '',
	booking_id  INTEGER REFERENCES bookings (id),
	received_us INTEGER NOT NULL,
	PRIMARY KEY (device_id, request_id)
) STRICT;
CREATE INDEX booking_requests_open ON booking_requests (received_us) WHERE status = 'unconfirmed';

CREATE TABLE service_categories (
	position INTEGER PRIMARY KEY,
	prefix   TEXT NOT NULL UNIQUE,
	name     TEXT NOT NULL,
	service  TEXT NOT NULL
) STRICT;

CREATE TABLE booking_settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

CREATE TABLE projection_cursor (
	name TEXT PRIMARY KEY,
	seq  INTEGER NOT NULL
) STRICT;

CREATE TABLE queue_tickets (
	device_id     TEXT NOT NULL REFERENCES devices (id),
	day           TEXT NOT NULL,
	ticket        TEXT NOT NULL,
	service       TEXT NOT NULL,
	contact_point TEXT NOT NULL,
	region        TEXT NOT NULL,
	issued        INTEGER NOT NULL DEFAULT 0,
	issued_us     INTEGER,
	called_us     INTEGER,
	served        INTEGER NOT NULL DEFAULT 0,
	no_show       INTEGER NOT NULL DEFAULT 0,
	service_s     INTEGER,
	PRIMARY KEY (device_id, day, ticket)
) STRICT, WITHOUT ROWID;
CREATE INDEX queue_tickets_day ON queue_tickets (day);

CREATE TABLE ratings (
	device_id     TEXT NOT NULL REFERENCES devices (id),
	event_seq     INTEGER NOT NULL,
	day           TEXT NOT NULL,
	service       TEXT NOT NULL,
	score         INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
	ticket        TEXT NOT NULL DEFAULT '',
	contact_point TEXT NOT NULL,
	region        TEXT NOT NULL,
	PRIMARY KEY (device_id, event_seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX ratings_day ON ratings (day);
`,
	// 5: the staff console (issue 6): the role's township on staff
	// accounts, console sessions with an idle and an absolute expiry, and
	// the audit log (rows are only ever added).
	`
ALTER TABLE staff ADD COLUMN township TEXT NOT NULL DEFAULT '';

CREATE TABLE console_sessions (
	hash       BLOB PRIMARY KEY CHECK (length(hash) = 32),
	username   TEXT NOT NULL REFERENCES staff (username) ON DELETE CASCADE,
	created_us INTEGER NOT NULL,
	seen_us    INTEGER NOT NULL,
	expires_us INTEGER NOT NULL
) STRICT;
CREATE INDEX console_sessions_expires ON console_sessions (expires_us);

CREATE TABLE audit (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	at_us    INTEGER NOT NULL,
	actor    TEXT NOT NULL,
	role     TEXT NOT NULL DEFAULT '',
	action   TEXT NOT NULL,
	target   TEXT NOT NULL DEFAULT '',
	region   TEXT NOT NULL DEFAULT '',
	outcome  TEXT NOT NULL CHECK (outcome IN ('ok', 'failed', 'denied')),
	summary  TEXT NOT NULL DEFAULT '',
	before_text TEXT NOT NULL DEFAULT '',
	after_text  TEXT NOT NULL DEFAULT '',
	address  TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_at ON audit (at_us);
CREATE INDEX audit_actor ON audit (actor, id);
CREATE INDEX audit_action ON audit (action, id);
`,
	// 6: the public ticket status page (docs/QUEUE.md) reads one kiosk's
	// ticket events of one queue day: an index on the device and the day
	// inside the stored event (data.day), for ticket events only. The
	// json_valid guard keeps a payload that is not JSON (events stored
	// through AddEvents carry whatever the caller gave) from failing the
	// insert; such a row is indexed under NULL.
	`
CREATE INDEX events_ticket_day ON events (device_id,
	(CASE WHEN json_valid(CAST(payload AS TEXT)) THEN json_extract(CAST(payload AS TEXT), '$.data.day') END), device_seq)
	WHERE type IN ('ticket.issued', 'ticket.called', 'ticket.served', 'ticket.no_show');
`,
	// 7: schedule drafts (issue 6): a township operator's new or changed
	// schedule waits here until a county administrator approves (it is
	// then stored through the Library) or rejects it.
	`
CREATE TABLE schedule_drafts (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	schedule_id TEXT NOT NULL,
	body        TEXT NOT NULL,
	author      TEXT NOT NULL,
	township    TEXT NOT NULL DEFAULT '',
	created_us  INTEGER NOT NULL,
	state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected')),
	decider     TEXT NOT NULL DEFAULT '',
	decided_us  INTEGER,
	note        TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX schedule_drafts_state ON schedule_drafts (state, id);
`,
	// 8: the LED board a device drives (issue 6: the console previews a
	// message for each registered controller, size and colours). Empty
	// controller: not registered.
	`
ALTER TABLE devices ADD COLUMN board_controller TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN board_width INTEGER NOT NULL DEFAULT 0 CHECK (board_width >= 0);
ALTER TABLE devices ADD COLUMN board_height INTEGER NOT NULL DEFAULT 0 CHECK (board_height >= 0);
ALTER TABLE devices ADD COLUMN board_colors TEXT NOT NULL DEFAULT '';
`,
	// 9: presence history for device uptime in the reports (issue 6): one
	// row per stored presence change (UpdatePresence, verdict applied), at
	// the fleet's receive time. Seeded with each device's current state
	// since its last change, the only history known before this version.
	`
CREATE TABLE presence_history (
	id        INTEGER PRIMARY KEY,
	device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
	online    INTEGER NOT NULL CHECK (online IN (0, 1)),
	at_us     INTEGER NOT NULL,
	session   INTEGER NOT NULL CHECK (session >= 0)
) STRICT;
CREATE INDEX presence_history_device_at ON presence_history (device_id, at_us);
INSERT INTO presence_history (device_id, online, at_us, session)
	SELECT device_id, online, CASE WHEN changed_us > 0 THEN changed_us ELSE last_seen_us END, session
	FROM presence WHERE changed_us > 0 OR last_seen_us > 0 ORDER BY device_id;
`,
	// 10: staff account management: must_change marks a password set by
	// someone else (init, an administrator's new account or reset,
	// reset-admin) that the account must change at its next console
	// sign-in; disabled_us is when an administrator disabled the account
	// (NULL: enabled); password_us when its password was last set (0:
	// at creation). Sessions and tokens are looked up by account to revoke
	// them.
	`
ALTER TABLE staff ADD COLUMN must_change INTEGER NOT NULL DEFAULT 0 CHECK (must_change IN (0, 1));
ALTER TABLE staff ADD COLUMN disabled_us INTEGER;
ALTER TABLE staff ADD COLUMN password_us INTEGER NOT NULL DEFAULT 0;
CREATE INDEX console_sessions_username ON console_sessions (username);
CREATE INDEX staff_sessions_username ON staff_sessions (username);
`,
}
