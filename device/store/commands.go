package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Command states.
const (
	CommandRunning = "running"
	CommandDone    = "done"
)

// Command is a command ID the device has seen.
type Command struct {
	ID    string
	Kind  string
	State string
	// Result is the encoded result message (nil while running).
	Result     []byte
	Sent       bool
	ReceivedAt time.Time
}

// BeginCommand records id as running unless it is already known. It
// returns the stored command and whether it is new; only a new command may
// be run.
func (s *Store) BeginCommand(ctx context.Context, id, kind string, at time.Time) (Command, bool, error) {
	var c Command
	var isNew bool
	err := s.tx(ctx, "recording command "+id, func(tx *sql.Tx) error {
		got, err := getCommand(tx, ctx, id)
		if err == nil {
			c = got
			return nil
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		c = Command{ID: id, Kind: kind, State: CommandRunning, ReceivedAt: at}
		isNew = true
		_, err = tx.ExecContext(ctx, "INSERT INTO commands(id, kind, state, received_at) VALUES(?, ?, ?, ?)",
			id, kind, CommandRunning, unixMilli(at))
		return err
	})
	return c, isNew, err
}

func getCommand(tx *sql.Tx, ctx context.Context, id string) (Command, error) {
	var c Command
	var at int64
	err := tx.QueryRowContext(ctx, "SELECT id, kind, state, result, sent, received_at FROM commands WHERE id = ?", id).
		Scan(&c.ID, &c.Kind, &c.State, &c.Result, &c.Sent, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return Command{}, fmt.Errorf("command %q: %w", id, ErrNotFound)
	}
	c.ReceivedAt = time.UnixMilli(at)
	return c, err
}

// Command returns the stored command id; the error wraps ErrNotFound if
// it was never seen.
func (s *Store) Command(ctx context.Context, id string) (Command, error) {
	var c Command
	err := s.tx(ctx, "reading command "+id, func(tx *sql.Tx) (err error) {
		c, err = getCommand(tx, ctx, id)
		return err
	})
	return c, err
}

// FinishCommand stores the encoded result of command id (not yet sent).
func (s *Store) FinishCommand(ctx context.Context, id string, result []byte) error {
	return s.tx(ctx, "storing the result of command "+id, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE commands SET state = ?, result = ?, sent = 0 WHERE id = ?", CommandDone, result, id)
		return err
	})
}

// MarkResultSent records whether the result of id reached the broker; a
// result marked unsent is sent after the next connect.
func (s *Store) MarkResultSent(ctx context.Context, id string, sent bool) error {
	return s.tx(ctx, "marking the result of "+id+" sent", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE commands SET sent = ? WHERE id = ?", sent, id)
		return err
	})
}

// Running returns the commands left running (by a restart or a reboot).
func (s *Store) Running(ctx context.Context) ([]Command, error) {
	return s.commands(ctx, "SELECT id, kind, state, result, sent, received_at FROM commands WHERE state = ? ORDER BY received_at", CommandRunning)
}

// Unsent returns the finished commands whose result was not sent yet.
func (s *Store) Unsent(ctx context.Context) ([]Command, error) {
	return s.commands(ctx, "SELECT id, kind, state, result, sent, received_at FROM commands WHERE state = ? AND sent = 0 ORDER BY received_at", CommandDone)
}

func (s *Store) commands(ctx context.Context, q string, args ...any) ([]Command, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: reading commands: %w", err)
	}
	defer rows.Close()
	var out []Command
	for rows.Next() {
		var c Command
		var at int64
		if err := rows.Scan(&c.ID, &c.Kind, &c.State, &c.Result, &c.Sent, &at); err != nil {
			return nil, fmt.Errorf("store: reading commands: %w", err)
		}
		c.ReceivedAt = time.UnixMilli(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// PruneCommands forgets commands received before cutoff (IDs are kept 30
// days) and returns how many went.
func (s *Store) PruneCommands(ctx context.Context, cutoff time.Time) (int, error) {
	var n int64
	err := s.tx(ctx, "pruning old commands", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM commands WHERE received_at < ? AND state = ?", unixMilli(cutoff), CommandDone)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
