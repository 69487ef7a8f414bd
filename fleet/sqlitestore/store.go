package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Store is a fleet.Store on one SQLite database file.
type Store struct {
	w    *sql.DB // one connection, BEGIN IMMEDIATE: all writes
	r    *sql.DB // read-only pool
	path string
}

var _ fleet.Store = (*Store)(nil)

// testHook, when set by a test, is called at named points inside write
// transactions (to kill the process mid-transaction).
var testHook func(point string)

func hook(point string) {
	if testHook != nil {
		testHook(point)
	}
}

// Pragmas shared by both pools. synchronous=FULL: in WAL mode NORMAL can
// lose the last commits on power loss, and a lost commit here is an
// enrolment whose password the device already holds, or an event the device
// was told was stored (see docs/FLEET.md).
const commonPragmas = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"

// Open opens (creating if needed) the store at path and brings its schema up
// to date. It refuses a database written by a newer lawpoint-fleet.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open store %q: the path must be a plain file name without '?' or '#'", path)
	}
	w, err := sql.Open("sqlite", path+"?_txlock=immediate&_pragma=journal_mode(WAL)&"+commonPragmas)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	s := &Store{w: w, path: path}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", path+"?_pragma=query_only(1)&"+commonPragmas)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open store %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	s.r = r
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

// SchemaVersion returns the schema version the database holds.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.w.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&v)
	return v, err
}

// Check runs SQLite's integrity and foreign-key checks and returns an error
// describing the first problems found.
func (s *Store) Check(ctx context.Context) error {
	var res string
	if err := s.w.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return fmt.Errorf("integrity check of %s: %w", s.path, err)
	}
	if res != "ok" {
		return fmt.Errorf("store %s is damaged (%s): restore it from a backup", s.path, res)
	}
	rows, err := s.w.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return fmt.Errorf("foreign key check of %s: %w", s.path, err)
	}
	defer rows.Close()
	if rows.Next() {
		return fmt.Errorf("store %s has rows pointing at missing records: restore it from a backup", s.path)
	}
	return rows.Err()
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER PRIMARY KEY,
		applied_us INTEGER NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("open store %s: create version table: %w (is the file a lawpoint store, and writable?)", s.path, err)
	}
	for {
		done, err := s.migrateOne(ctx)
		if err != nil || done {
			return err
		}
	}
}

// migrateOne applies the next migration, if any, in one transaction.
func (s *Store) migrateOne(ctx context.Context) (done bool, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var v int
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&v); err != nil {
			return err
		}
		if v > len(migrations) {
			return fmt.Errorf("store has schema version %d but this lawpoint-fleet knows only %d: run the newer lawpoint-fleet", v, len(migrations))
		}
		if v == len(migrations) {
			done = true
			return nil
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
		hook("migrate")
		_, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_us) VALUES (?, ?)`, v+1, us(time.Now()))
		return err
	})
	if err != nil {
		return false, fmt.Errorf("open store %s: %w", s.path, err)
	}
	return done, nil
}

// tx runs fn in a write transaction and commits it if fn returns nil.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func us(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func nullUS(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func fromUS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v)
}

func fromNull(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64)
}

func isConstraint(err error, code int) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == code
}

// CreateDevice implements fleet.Store.
func (s *Store) CreateDevice(ctx context.Context, d fleet.Device) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var taken bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM credentials WHERE username = ?)`, d.ID).Scan(&taken); err != nil {
			return err
		}
		if taken {
			return fmt.Errorf("device %s: a fleet account has that name: %w", d.ID, fleet.ErrExists)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO devices (id, kind, model, region, contact_point, created_us, revoked_us,
			board_controller, board_width, board_height, board_colors)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.ID, string(d.Kind), d.Model, d.Region, d.ContactPoint, us(d.Created), nullUS(d.Revoked),
			d.Board.Controller, d.Board.Width, d.Board.Height, d.Board.Colors)
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
			return fmt.Errorf("device %s: %w", d.ID, fleet.ErrExists)
		}
		if err != nil {
			return err
		}
		hook("device-row")
		for _, t := range d.Tags {
			if _, err := tx.ExecContext(ctx, `INSERT INTO device_tags (device_id, tag) VALUES (?, ?)`, d.ID, t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, fleet.ErrExists) {
		return fmt.Errorf("store device %s: %w", d.ID, err)
	}
	return err
}

const deviceColumns = `d.id, d.kind, d.model, d.region, d.contact_point, d.created_us, d.revoked_us,
	d.board_controller, d.board_width, d.board_height, d.board_colors,
	(SELECT group_concat(t.tag, char(31)) FROM device_tags t WHERE t.device_id = d.id)`

type scanner interface{ Scan(...any) error }

// querier runs queries: the store's pools and its transactions.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queryAll runs query and reads every row it answers with scan; what names
// the listing in errors ("list devices").
func queryAll[T any](ctx context.Context, q querier, what string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

func scanDevice(sc scanner) (fleet.Device, error) {
	var (
		d       fleet.Device
		kind    string
		created int64
		revoked sql.NullInt64
		tags    sql.NullString
	)
	if err := sc.Scan(&d.ID, &kind, &d.Model, &d.Region, &d.ContactPoint, &created, &revoked,
		&d.Board.Controller, &d.Board.Width, &d.Board.Height, &d.Board.Colors, &tags); err != nil {
		return d, err
	}
	d.Kind = fleet.Kind(kind)
	d.Created = fromUS(created)
	d.Revoked = fromNull(revoked)
	if tags.Valid && tags.String != "" {
		d.Tags = strings.Split(tags.String, "\x1f")
		slices.Sort(d.Tags)
	}
	return d, nil
}

// SetDeviceBoard implements fleet.Store.
func (s *Store) SetDeviceBoard(ctx context.Context, id string, b fleet.Board) error {
	res, err := s.w.ExecContext(ctx, `UPDATE devices SET board_controller = ?, board_width = ?, board_height = ?, board_colors = ?
		WHERE id = ?`, b.Controller, b.Width, b.Height, b.Colors, id)
	if err != nil {
		return fmt.Errorf("store board of %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("device %s: %w", id, fleet.ErrNotFound)
	}
	return nil
}

// Device implements fleet.Store.
func (s *Store) Device(ctx context.Context, id string) (fleet.Device, error) {
	d, err := scanDevice(s.r.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM devices d WHERE d.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("device %s: %w", id, fleet.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("read device %s: %w", id, err)
	}
	return d, nil
}

// Devices implements fleet.Store.
func (s *Store) Devices(ctx context.Context, f fleet.Filter) ([]fleet.Device, error) {
	var (
		q    strings.Builder
		args []any
	)
	q.WriteString(`SELECT ` + deviceColumns + ` FROM devices d WHERE d.id > ?`)
	args = append(args, f.After)
	if f.Region != "" {
		// Whole segments only: the region itself, or anything under
		// "prefix/" ('0' is the byte after '/', so this is a range scan).
		q.WriteString(` AND (d.region = ? OR (d.region >= ? AND d.region < ?))`)
		args = append(args, f.Region, f.Region+"/", f.Region+"0")
	}
	if f.Kind != "" {
		q.WriteString(` AND d.kind = ?`)
		args = append(args, string(f.Kind))
	}
	if f.Tag != "" {
		q.WriteString(` AND EXISTS (SELECT 1 FROM device_tags t WHERE t.device_id = d.id AND t.tag = ?)`)
		args = append(args, f.Tag)
	}
	if !f.IncludeRevoked {
		q.WriteString(` AND d.revoked_us IS NULL`)
	}
	q.WriteString(` ORDER BY d.id`)
	if f.Limit > 0 {
		q.WriteString(` LIMIT ?`)
		args = append(args, f.Limit)
	}
	return queryAll(ctx, s.r, "list devices", scanDevice, q.String(), args...)
}

// RevokeDevice implements fleet.Store.
func (s *Store) RevokeDevice(ctx context.Context, id string, at time.Time) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE devices SET revoked_us = coalesce(revoked_us, ?) WHERE id = ?`, us(at), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("device %s: %w", id, fleet.ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM credentials WHERE device_id = ?`, id); err != nil {
			return err
		}
		hook("revoke")
		_, err = tx.ExecContext(ctx, `DELETE FROM enrolment_tokens WHERE device_id = ? AND used_us IS NULL`, id)
		return err
	})
	if err != nil && !errors.Is(err, fleet.ErrNotFound) {
		return fmt.Errorf("revoke device %s: %w", id, err)
	}
	return err
}

// CreateToken implements fleet.Store.
func (s *Store) CreateToken(ctx context.Context, t fleet.Token) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var revoked sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT revoked_us FROM devices WHERE id = ?`, t.DeviceID).Scan(&revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("device %s: %w", t.DeviceID, fleet.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if revoked.Valid {
			return fmt.Errorf("device %s: %w", t.DeviceID, fleet.ErrRevoked)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO enrolment_tokens (hash, device_id, created_us, expires_us, used_us)
			VALUES (?, ?, ?, ?, ?)`, t.Hash[:], t.DeviceID, us(t.Created), us(t.Expires), nullUS(t.Used))
		return err
	})
	if err != nil && !errors.Is(err, fleet.ErrNotFound) && !errors.Is(err, fleet.ErrRevoked) {
		return fmt.Errorf("store enrolment token for %s: %w", t.DeviceID, err)
	}
	return err
}

// RedeemToken implements fleet.Store.
func (s *Store) RedeemToken(ctx context.Context, hash [32]byte, cred fleet.Credential, now time.Time) (fleet.Device, error) {
	var d fleet.Device
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var (
			deviceID string
			expires  int64
			used     sql.NullInt64
		)
		err := tx.QueryRowContext(ctx, `SELECT device_id, expires_us, used_us FROM enrolment_tokens WHERE hash = ?`, hash[:]).
			Scan(&deviceID, &expires, &used)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return fleet.ErrTokenUnknown
		case err != nil:
			return err
		case used.Valid:
			return fleet.ErrTokenUsed
		case us(now) >= expires:
			return fleet.ErrTokenExpired
		}
		d, err = scanDevice(tx.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM devices d WHERE d.id = ?`, deviceID))
		if err != nil {
			return err
		}
		if d.IsRevoked() {
			return fleet.ErrRevoked
		}
		if _, err := tx.ExecContext(ctx, `UPDATE enrolment_tokens SET used_us = ? WHERE hash = ?`, us(now), hash[:]); err != nil {
			return err
		}
		hook("redeem")
		res, err := tx.ExecContext(ctx, `INSERT INTO credentials (username, hash, role, device_id, created_us)
			VALUES (?, ?, 'device', ?, ?)
			ON CONFLICT (username) DO UPDATE SET hash = excluded.hash, created_us = excluded.created_us
			WHERE credentials.role = 'device'`,
			d.ID, cred.Hash, d.ID, us(cred.Created))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("device %s shares its name with a fleet account: rename one of them", d.ID)
		}
		return nil
	})
	if err != nil {
		var fe *fleet.Error
		if errors.As(err, &fe) {
			return fleet.Device{}, err
		}
		return fleet.Device{}, fmt.Errorf("redeem enrolment token: %w", err)
	}
	return d, nil
}

const credentialColumns = `username, hash, role, created_us`

func scanCredential(sc scanner) (fleet.Credential, error) {
	var (
		c       fleet.Credential
		role    string
		created int64
	)
	if err := sc.Scan(&c.Username, &c.Hash, &role, &created); err != nil {
		return c, err
	}
	c.Role, c.Created = fleet.Role(role), fromUS(created)
	return c, nil
}

// Credential implements fleet.Store.
func (s *Store) Credential(ctx context.Context, username string) (fleet.Credential, error) {
	c, err := scanCredential(s.r.QueryRowContext(ctx, `SELECT `+credentialColumns+` FROM credentials WHERE username = ?`, username))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("account %q: %w", username, fleet.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("read account %q: %w", username, err)
	}
	return c, nil
}

// PutCredential implements fleet.Store.
func (s *Store) PutCredential(ctx context.Context, c fleet.Credential) error {
	if c.Role != fleet.RoleFleet {
		return fmt.Errorf("store account %q: only fleet service accounts are put directly; devices enrol", c.Username)
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM devices WHERE id = ?`, c.Username).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("account %q: a device has that ID: %w", c.Username, fleet.ErrExists)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO credentials (username, hash, role, device_id, created_us)
			VALUES (?, ?, 'fleet', NULL, ?)
			ON CONFLICT (username) DO UPDATE SET hash = excluded.hash, created_us = excluded.created_us
			WHERE credentials.role = 'fleet'`, c.Username, c.Hash, us(c.Created))
		return err
	})
	if err != nil && !errors.Is(err, fleet.ErrExists) {
		return fmt.Errorf("store account %q: %w", c.Username, err)
	}
	return err
}

// Credentials implements fleet.Store.
func (s *Store) Credentials(ctx context.Context) ([]fleet.Credential, error) {
	return queryAll(ctx, s.r, "list accounts", scanCredential, `SELECT `+credentialColumns+` FROM credentials ORDER BY username`)
}

// UpdatePresence implements fleet.Store.
func (s *Store) UpdatePresence(ctx context.Context, ps []fleet.Presence) ([]wire.Verdict, error) {
	verdicts := make([]wire.Verdict, len(ps))
	err := s.tx(ctx, func(tx *sql.Tx) error {
		clear(verdicts)
		for i, p := range ps {
			if p.Session > math.MaxInt64 {
				continue // no device counts that far; skip rather than fail the batch
			}
			var isDevice bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM devices WHERE id = ?)`, p.DeviceID).Scan(&isDevice); err != nil {
				return err
			}
			if !isDevice {
				continue
			}
			old, err := readPresence(ctx, tx, p.DeviceID)
			var oldp *fleet.Presence
			switch {
			case errors.Is(err, fleet.ErrNotFound):
			case err != nil:
				return err
			default:
				oldp = &old
			}
			n, v := fleet.ApplyPresence(oldp, p)
			verdicts[i] = v
			if v != wire.Applied && (v != wire.Duplicate || n.LastSeen.Equal(old.LastSeen)) {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO presence (device_id, online, session, last_seen_us, changed_us)
				VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (device_id) DO UPDATE SET online = excluded.online, session = excluded.session,
					last_seen_us = excluded.last_seen_us, changed_us = excluded.changed_us`,
				n.DeviceID, n.Online, int64(n.Session), us(n.LastSeen), us(n.Changed)); err != nil {
				return err
			}
			if v == wire.Applied { // a change: into the history (uptime), same transaction
				if err := appendPresenceChange(ctx, tx, n, p.LastSeen); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store presence: %w", err)
	}
	return verdicts, nil
}

func readPresence(ctx context.Context, q querier, id string) (fleet.Presence, error) {
	var (
		online          bool
		session         int64
		seen, changedUS int64
	)
	err := q.QueryRowContext(ctx, `SELECT online, session, last_seen_us, changed_us FROM presence WHERE device_id = ?`, id).
		Scan(&online, &session, &seen, &changedUS)
	if errors.Is(err, sql.ErrNoRows) {
		return fleet.Presence{}, fmt.Errorf("presence of %s: %w", id, fleet.ErrNotFound)
	}
	if err != nil {
		return fleet.Presence{}, fmt.Errorf("read presence of %s: %w", id, err)
	}
	return fleet.Presence{DeviceID: id, Online: online, Session: uint64(session),
		LastSeen: fromUS(seen), Changed: fromUS(changedUS)}, nil
}

// Presence implements fleet.Store.
func (s *Store) Presence(ctx context.Context, id string) (fleet.Presence, error) {
	return readPresence(ctx, s.r, id)
}

// AddEvents implements fleet.Store.
func (s *Store) AddEvents(ctx context.Context, es []fleet.Event) (int, error) {
	added := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		added = 0
		for _, e := range es {
			if e.Payload == nil {
				e.Payload = []byte{}
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO events (device_id, idem_key, type, payload, occurred_us, received_us)
				SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM devices WHERE id = ?)
				ON CONFLICT (device_id, idem_key) DO NOTHING`,
				e.DeviceID, e.Key, e.Type, e.Payload, us(e.Occurred), us(e.Received), e.DeviceID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				added++
			}
			hook("event")
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store events: %w", err)
	}
	return added, nil
}

// Events implements fleet.Store.
func (s *Store) Events(ctx context.Context, deviceID string, after int64, limit int) ([]fleet.Event, error) {
	if limit <= 0 {
		limit = 1000
	}
	return queryAll(ctx, s.r, "list events of "+deviceID, scanEvent, `SELECT `+eventColumns+`
		FROM events WHERE device_id = ? AND seq > ? ORDER BY seq LIMIT ?`, deviceID, after, limit)
}

const eventColumns = `seq, device_id, idem_key, type, payload, occurred_us, received_us`

func scanEvent(sc scanner) (fleet.Event, error) {
	var (
		e        fleet.Event
		occ, rec int64
	)
	if err := sc.Scan(&e.Seq, &e.DeviceID, &e.Key, &e.Type, &e.Payload, &occ, &rec); err != nil {
		return e, err
	}
	e.Occurred, e.Received = fromUS(occ), fromUS(rec)
	return e, nil
}

// CreateStaff implements fleet.Store.
func (s *Store) CreateStaff(ctx context.Context, st fleet.Staff) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO staff (username, hash, role, created_us) VALUES (?, ?, ?, ?)`,
			st.Username, st.Hash, string(st.Role), us(st.Created))
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
			return fmt.Errorf("staff account %q: %w", st.Username, fleet.ErrExists)
		}
		return err
	})
	if err != nil && !errors.Is(err, fleet.ErrExists) {
		return fmt.Errorf("store staff account %q: %w", st.Username, err)
	}
	return err
}

// Staff implements fleet.Store.
func (s *Store) Staff(ctx context.Context, username string) (fleet.Staff, error) {
	var (
		st      fleet.Staff
		role    string
		created int64
	)
	err := s.r.QueryRowContext(ctx, `SELECT username, hash, role, created_us FROM staff WHERE username = ?`, username).
		Scan(&st.Username, &st.Hash, &role, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return st, fmt.Errorf("staff account %q: %w", username, fleet.ErrNotFound)
	}
	if err != nil {
		return st, fmt.Errorf("read staff account %q: %w", username, err)
	}
	st.Role, st.Created = fleet.StaffRole(role), fromUS(created)
	return st, nil
}
