package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// ErrNotFound is returned for a key or command that is not stored.
var ErrNotFound = errors.New("not found")

// schemaVersion is the PRAGMA user_version of the tables below.
const schemaVersion = 2

const schema = `
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
	seq    INTEGER PRIMARY KEY,
	body   BLOB NOT NULL,
	single INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS recorded (
	key TEXT PRIMARY KEY,
	seq INTEGER NOT NULL,
	at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS commands (
	id          TEXT PRIMARY KEY,
	kind        TEXT NOT NULL,
	state       TEXT NOT NULL,
	result      BLOB,
	sent        INTEGER NOT NULL DEFAULT 0,
	received_at INTEGER NOT NULL
);
`

// Counter names.
const (
	counterSession = "session"
	counterEvent   = "event_seq"
)

// Store is the device's local database. It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string
}

// Open opens (creating if needed) the database at path, in WAL mode with
// full synchronisation.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: creating the folder of %s: %w", path, err)
	}
	db, err := OpenSQLite(path, "foreign_keys(ON)")
	if err != nil {
		return nil, fmt.Errorf("store: opening %s: %w", path, err)
	}
	s := &Store{db: db, path: path}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("store: reading %s (is it a lawpoint database? move it away to start afresh): %w", s.path, err)
	}
	if mode != "wal" {
		return fmt.Errorf("store: %s is in journal mode %q, not wal; is the file system read-only?", s.path, mode)
	}
	var v int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("store: reading the schema version of %s: %w", s.path, err)
	}
	if v > schemaVersion {
		return fmt.Errorf("store: %s has schema %d, newer than this agent's %d; install the newer agent again", s.path, v, schemaVersion)
	}
	if _, err := s.db.ExecContext(ctx, schema+"PRAGMA user_version = "+strconv.Itoa(schemaVersion)+";"); err != nil {
		return fmt.Errorf("store: creating tables in %s (disk full or read-only?): %w", s.path, err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Path is the database file.
func (s *Store) Path() string { return s.path }

func (s *Store) tx(ctx context.Context, what string, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %s: starting a transaction: %w", what, err)
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: %s: committing (disk full?): %w", what, err)
	}
	return nil
}

func counter(tx *sql.Tx, ctx context.Context, name string) (uint64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, "SELECT value FROM counters WHERE name = ?", name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return uint64(v), err
}

func setCounter(tx *sql.Tx, ctx context.Context, name string, v uint64) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO counters(name, value) VALUES(?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value", name, int64(v))
	return err
}

// NextSession increments the presence session counter and returns the new
// value once it is on disk. Call it before every connect.
func (s *Store) NextSession(ctx context.Context) (uint64, error) {
	var v uint64
	err := s.tx(ctx, "incrementing the session counter", func(tx *sql.Tx) error {
		cur, err := counter(tx, ctx, counterSession)
		if err != nil {
			return err
		}
		v = cur + 1
		return setCounter(tx, ctx, counterSession, v)
	})
	return v, err
}

// Session returns the last session number handed out (0 before any).
func (s *Store) Session(ctx context.Context) (uint64, error) {
	var v uint64
	err := s.tx(ctx, "reading the session counter", func(tx *sql.Tx) (err error) {
		v, err = counter(tx, ctx, counterSession)
		return err
	})
	return v, err
}

// RaiseSession moves the session counter up to floor if it is below it (the
// fleet's session_floor after the counter was lost); the next session is
// then floor+1.
func (s *Store) RaiseSession(ctx context.Context, floor uint64) error {
	return s.tx(ctx, "raising the session counter", func(tx *sql.Tx) error {
		cur, err := counter(tx, ctx, counterSession)
		if err != nil || cur >= floor {
			return err
		}
		return setCounter(tx, ctx, counterSession, floor)
	})
}

// Uint returns the unsigned value stored under key, or 0 if none.
func (s *Store) Uint(ctx context.Context, key string) (uint64, error) {
	b, err := s.Bytes(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("store: value of %q is not a number (%q); delete the database to start afresh: %w", key, b, err)
	}
	return v, nil
}

// SetUint stores v under key.
func (s *Store) SetUint(ctx context.Context, key string, v uint64) error {
	return s.SetBytes(ctx, key, []byte(strconv.FormatUint(v, 10)))
}

// Bytes returns the value stored under key; the error wraps ErrNotFound if
// there is none.
func (s *Store) Bytes(ctx context.Context, key string) ([]byte, error) {
	var b []byte
	err := s.db.QueryRowContext(ctx, "SELECT value FROM kv WHERE key = ?", key).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: reading %q: %w", key, err)
	}
	return b, nil
}

// SetBytes stores b under key.
func (s *Store) SetBytes(ctx context.Context, key string, b []byte) error {
	return s.tx(ctx, "storing "+key, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO kv(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, b)
		return err
	})
}

func unixMilli(t time.Time) int64 { return t.UnixMilli() }
