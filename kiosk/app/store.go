package app

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	devstore "lawpoint/device/store"
)

// StoreFile is the kiosk's own database in its data folder: the outbox of
// events waiting for the device agent, the kiosk's booking requests, and
// the fleet's adviser and slot lists kept for offline use.
const StoreFile = "kiosk.db"

// store is DATA/kiosk.db (SQLite, WAL, synchronous=FULL: on disk when a
// call returns).
type store struct{ db *sql.DB }

const schema = `
CREATE TABLE IF NOT EXISTS outbox (
	seq   INTEGER PRIMARY KEY AUTOINCREMENT,
	key   TEXT NOT NULL UNIQUE,
	kind  TEXT NOT NULL,
	data  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS bookings (
	request_id    TEXT PRIMARY KEY,
	ref           TEXT NOT NULL,
	service       TEXT NOT NULL,
	service_name  TEXT NOT NULL,
	adviser_id    TEXT NOT NULL,
	adviser_name  TEXT NOT NULL,
	adviser_title TEXT NOT NULL,
	slot_start_ms INTEGER NOT NULL,
	slot_end_ms   INTEGER NOT NULL,
	phone         TEXT NOT NULL,
	status        TEXT NOT NULL,
	code          TEXT NOT NULL DEFAULT '',
	meeting_url   TEXT NOT NULL DEFAULT '',
	created_ms    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS bookings_status ON bookings(status);
CREATE TABLE IF NOT EXISTS cache (
	k     TEXT PRIMARY KEY,
	v     TEXT NOT NULL,
	at_ms INTEGER NOT NULL
);
`

func openStore(ctx context.Context, path string) (*store, error) {
	db, err := devstore.OpenSQLite(path)
	if err != nil {
		return nil, fmt.Errorf("app: opening %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("app: preparing %s (is the data folder writable, the disk not full?): %w", path, err)
	}
	return &store{db: db}, nil
}

func (s *store) Close() error { return s.db.Close() }

// outboxEvent is an event waiting to be handed to the device agent.
type outboxEvent struct {
	Seq  int64
	Key  string
	Kind string
	Data json.RawMessage
}

// addEvent stores an event under its idempotency key; the same key again
// stores nothing.
func (s *store) addEvent(ctx context.Context, key, kind string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, "INSERT INTO outbox(key, kind, data) VALUES(?, ?, ?) ON CONFLICT(key) DO NOTHING", key, kind, string(b))
	if err != nil {
		return fmt.Errorf("app: storing a %s event (is the disk full?): %w", kind, err)
	}
	return nil
}

func (s *store) pendingEvents(ctx context.Context, limit int) ([]outboxEvent, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT seq, key, kind, data FROM outbox ORDER BY seq LIMIT ?", limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []outboxEvent
	for rows.Next() {
		var e outboxEvent
		var d string
		if err := rows.Scan(&e.Seq, &e.Key, &e.Kind, &d); err != nil {
			return nil, err
		}
		e.Data = json.RawMessage(d)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *store) dropEvent(ctx context.Context, seq int64) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM outbox WHERE seq = ?", seq)
	return err
}

func (s *store) countEvents(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM outbox").Scan(&n)
	return n, err
}

// Booking request states kept on the kiosk.
const (
	reqPending     = "pending"     // not answered by the fleet yet: 待确认
	reqConfirmed   = "confirmed"   // the fleet booked it
	reqUnconfirmed = "unconfirmed" // the slot was gone: staff call the villager
)

// request is a booking request made at this kiosk. Phone is the full
// number only while the request is pending (it is needed to ask again);
// once answered only the masked number is kept.
type request struct {
	ID           string // UUID: request_id and idempotency_key
	Ref          string // shown and printed while pending
	Service      string // service code
	ServiceName  string
	AdviserID    string
	AdviserName  string
	AdviserTitle string
	Start, End   time.Time
	Phone        string
	Status       string
	Code         string
	MeetingURL   string
	Created      time.Time
}

func (s *store) addRequest(ctx context.Context, r request) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO bookings(request_id, ref, service, service_name, adviser_id, adviser_name, adviser_title,
		slot_start_ms, slot_end_ms, phone, status, code, meeting_url, created_ms) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT(request_id) DO NOTHING`,
		r.ID, r.Ref, r.Service, r.ServiceName, r.AdviserID, r.AdviserName, r.AdviserTitle, r.Start.UnixMilli(), r.End.UnixMilli(),
		r.Phone, r.Status, r.Code, r.MeetingURL, r.Created.UnixMilli())
	if err != nil {
		return fmt.Errorf("app: storing a booking request (is the disk full?): %w", err)
	}
	return nil
}

// resolve records the fleet's answer and forgets the full phone number.
func (s *store) resolve(ctx context.Context, id, status, code, meetingURL, maskedPhone string) error {
	_, err := s.db.ExecContext(ctx, "UPDATE bookings SET status = ?, code = ?, meeting_url = ?, phone = ? WHERE request_id = ?",
		status, code, meetingURL, maskedPhone, id)
	return err
}

const requestCols = `request_id, ref, service, service_name, adviser_id, adviser_name, adviser_title, slot_start_ms, slot_end_ms,
	phone, status, code, meeting_url, created_ms`

func scanRequests(rows *sql.Rows) ([]request, error) {
	defer rows.Close()
	var out []request
	for rows.Next() {
		var r request
		var st, en, cr int64
		if err := rows.Scan(&r.ID, &r.Ref, &r.Service, &r.ServiceName, &r.AdviserID, &r.AdviserName, &r.AdviserTitle,
			&st, &en, &r.Phone, &r.Status, &r.Code, &r.MeetingURL, &cr); err != nil {
			return nil, err
		}
		r.Start, r.End, r.Created = time.UnixMilli(st), time.UnixMilli(en), time.UnixMilli(cr)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *store) requests(ctx context.Context, status string) ([]request, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+requestCols+" FROM bookings WHERE status = ? ORDER BY created_ms", status)
	if err != nil {
		return nil, err
	}
	return scanRequests(rows)
}

// requestByCode finds a request by its booking code or pending reference.
func (s *store) requestByCode(ctx context.Context, code string) (request, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+requestCols+" FROM bookings WHERE code = ? OR ref = ? ORDER BY created_ms DESC LIMIT 1", code, code)
	if err != nil {
		return request{}, err
	}
	rs, err := scanRequests(rows)
	if err != nil {
		return request{}, err
	}
	if len(rs) == 0 {
		return request{}, sql.ErrNoRows
	}
	return rs[0], nil
}

func (s *store) putCache(ctx context.Context, k string, v any, now time.Time) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, "INSERT INTO cache(k, v, at_ms) VALUES(?, ?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v, at_ms = excluded.at_ms",
		k, string(b), now.UnixMilli())
	return err
}

// getCache reads a cached value into v; false when there is none.
func (s *store) getCache(ctx context.Context, k string, v any) (time.Time, bool) {
	var raw string
	var at int64
	err := s.db.QueryRowContext(ctx, "SELECT v, at_ms FROM cache WHERE k = ?", k).Scan(&raw, &at)
	if err != nil {
		return time.Time{}, false
	}
	if json.Unmarshal([]byte(raw), v) != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(at), true
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

var errNoRows = sql.ErrNoRows

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
