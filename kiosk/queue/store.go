package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"lawpoint/device/store"
)

// schemaVersion is the PRAGMA user_version of the tables below.
const schemaVersion = 1

// The queue's own database. tickets.ord is the issue order (AUTOINCREMENT:
// never reused, even after the newest row is deleted) and decides who is
// oldest; numbers holds the last number given per numbering run and prefix;
// events is the queue's outbox (state 0 waiting for the agent, 1 handed
// over, 2 kept locally because the protocol has no type for it yet).
const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS numbers (
	gen    INTEGER NOT NULL,
	prefix TEXT NOT NULL,
	last   INTEGER NOT NULL,
	PRIMARY KEY (gen, prefix)
);
CREATE TABLE IF NOT EXISTS tickets (
	ord        INTEGER PRIMARY KEY AUTOINCREMENT,
	id         TEXT NOT NULL UNIQUE,
	gen        INTEGER NOT NULL,
	prefix     TEXT NOT NULL,
	num        INTEGER NOT NULL,
	day        TEXT NOT NULL,
	category   TEXT NOT NULL,
	name       TEXT NOT NULL,
	service    TEXT NOT NULL,
	issued_ms  INTEGER NOT NULL,
	trusted    INTEGER NOT NULL,
	boot_id    TEXT NOT NULL,
	uptime_ms  INTEGER NOT NULL,
	status     TEXT NOT NULL,
	win        INTEGER NOT NULL DEFAULT 0,
	calls      INTEGER NOT NULL DEFAULT 0,
	call_seq   INTEGER NOT NULL DEFAULT 0,
	called_ms  INTEGER NOT NULL DEFAULT 0,
	called_trusted INTEGER NOT NULL DEFAULT 0,
	called_boot TEXT NOT NULL DEFAULT '',
	called_uptime_ms INTEGER NOT NULL DEFAULT 0,
	transfers  INTEGER NOT NULL DEFAULT 0,
	done_seq   INTEGER NOT NULL DEFAULT 0,
	done_day   TEXT NOT NULL DEFAULT '',
	service_ms INTEGER NOT NULL DEFAULT -1,
	UNIQUE (gen, prefix, num)
);
CREATE INDEX IF NOT EXISTS tickets_waiting ON tickets (status, category, ord);
CREATE INDEX IF NOT EXISTS tickets_done ON tickets (category, done_day, done_seq);
CREATE TABLE IF NOT EXISTS events (
	seq       INTEGER PRIMARY KEY AUTOINCREMENT,
	key       TEXT NOT NULL UNIQUE,
	kind      TEXT NOT NULL,
	data      TEXT NOT NULL,
	at_ms     INTEGER NOT NULL,
	trusted   INTEGER NOT NULL,
	boot_id   TEXT NOT NULL,
	uptime_ms INTEGER NOT NULL,
	state     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS events_pending ON events (state, seq);
`

// Event states in the events table.
const (
	eventPending   = 0
	eventForwarded = 1
	eventLocal     = 2
)

func openDB(ctx context.Context, path string) (*sql.DB, error) {
	if path == "" {
		return nil, errors.New("queue: no database path; set Config.Path to a file in the kiosk's data folder")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("queue: creating the folder of %s (is the data folder writable?): %w", path, err)
	}
	db, err := store.OpenSQLite(path)
	if err != nil {
		return nil, fmt.Errorf("queue: opening %s: %w", path, err)
	}
	if err := migrate(ctx, db, path); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func migrate(ctx context.Context, db *sql.DB, path string) error {
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("queue: reading %s (is it a lawpoint queue database? move it away to start afresh): %w", path, err)
	}
	if mode != "wal" {
		return fmt.Errorf("queue: %s is in journal mode %q, not wal; is the file system read-only?", path, mode)
	}
	var sync int
	if err := db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil || sync != 2 {
		return fmt.Errorf("queue: %s: synchronous is %d, not FULL (2); tickets would not survive a power cut: %v", path, sync, err)
	}
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("queue: reading the schema version of %s: %w", path, err)
	}
	if v > schemaVersion {
		return fmt.Errorf("queue: %s has schema %d, newer than this kiosk's %d; install the newer kiosk again", path, v, schemaVersion)
	}
	if _, err := db.ExecContext(ctx, schema+"PRAGMA user_version = "+strconv.Itoa(schemaVersion)+";"); err != nil {
		return fmt.Errorf("queue: creating tables in %s (disk full or read-only?): %w", path, err)
	}
	return nil
}

// tx runs f in one immediate transaction; nothing of it is kept unless f
// and the commit (an fsync of the WAL) succeed.
func (q *Queue) tx(ctx context.Context, what string, f func(*sql.Tx) error) error {
	tx, err := q.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("queue: %s: starting a transaction (is the disk full or the data folder read-only?): %w", what, err)
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return fmt.Errorf("queue: %s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("queue: %s: committing (disk full? nothing was kept; try again): %w", what, err)
	}
	return nil
}

func getMeta(ctx context.Context, tx *sql.Tx, key string, v any) (bool, error) {
	var s string
	err := tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return false, fmt.Errorf("reading stored %s (the database was changed by hand?): %w", key, err)
	}
	return true, nil
}

func setMeta(ctx context.Context, tx *sql.Tx, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, string(b))
	return err
}
