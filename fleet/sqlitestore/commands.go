package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet"
)

const commandColumns = `id, device_id, kind, args, issued_us, deadline_us, state, sends, last_sent_us, result, result_us, late, screenshot, created_by`

func scanCommand(sc scanner) (fleet.Command, error) {
	var (
		c                                fleet.Command
		kind, state                      string
		args, result                     []byte
		issued, deadline, sent, resultUS int64
		late                             bool
	)
	if err := sc.Scan(&c.ID, &c.DeviceID, &kind, &args, &issued, &deadline, &state, &c.Sends, &sent, &result, &resultUS,
		&late, &c.Screenshot, &c.CreatedBy); err != nil {
		return c, err
	}
	c.Kind, c.State, c.Late = wire.CommandKind(kind), fleet.CommandState(state), late
	if args != nil {
		c.Args = args
	}
	c.Issued, c.Deadline, c.LastSent, c.ResultAt = fromUS(issued), fromUS(deadline), fromUS(sent), fromUS(resultUS)
	if result != nil {
		c.Result = new(wire.Result)
		if err := json.Unmarshal(result, c.Result); err != nil {
			return c, fmt.Errorf("result of command %s: %w", c.ID, err)
		}
	}
	return c, nil
}

// CreateCommand implements fleet.CommandStore.
func (s *Store) CreateCommand(ctx context.Context, c fleet.Command) error {
	var args any
	if len(c.Args) > 0 {
		args = []byte(c.Args)
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var revoked sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT revoked_us FROM devices WHERE id = ?`, c.DeviceID).Scan(&revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("device %s: %w", c.DeviceID, fleet.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if revoked.Valid {
			return fmt.Errorf("device %s: %w", c.DeviceID, fleet.ErrRevoked)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO commands (id, device_id, kind, args, issued_us, deadline_us, state, created_by)
			VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)`, c.ID, c.DeviceID, string(c.Kind), args, us(c.Issued), us(c.Deadline), c.CreatedBy)
		return err
	})
	if err != nil && !errors.Is(err, fleet.ErrNotFound) && !errors.Is(err, fleet.ErrRevoked) {
		return fmt.Errorf("store command %s: %w", c.ID, err)
	}
	return err
}

// Command implements fleet.CommandStore.
func (s *Store) Command(ctx context.Context, id string) (fleet.Command, error) {
	c, err := scanCommand(s.r.QueryRowContext(ctx, `SELECT `+commandColumns+` FROM commands WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("command %s: %w", id, fleet.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("read command %s: %w", id, err)
	}
	return c, nil
}

func (s *Store) commands(ctx context.Context, q string, args ...any) ([]fleet.Command, error) {
	return queryAll(ctx, s.r, "list commands", scanCommand, `SELECT `+commandColumns+` FROM commands `+q, args...)
}

// Commands implements fleet.CommandStore.
func (s *Store) Commands(ctx context.Context, deviceID string, limit int) ([]fleet.Command, error) {
	if limit <= 0 {
		limit = 100
	}
	return s.commands(ctx, `WHERE device_id = ? ORDER BY issued_us DESC, id DESC LIMIT ?`, deviceID, limit)
}

// OpenCommands implements fleet.CommandStore.
func (s *Store) OpenCommands(ctx context.Context, ids []string, now time.Time) ([]fleet.Command, error) {
	q := `WHERE state IN ('pending', 'sent') AND deadline_us > ?`
	args := []any{us(now)}
	if ids != nil {
		if len(ids) == 0 {
			return nil, nil
		}
		q += ` AND device_id IN (?` + strings.Repeat(",?", len(ids)-1) + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	return s.commands(ctx, q+` ORDER BY issued_us, id`, args...)
}

// MarkSent implements fleet.CommandStore.
func (s *Store) MarkSent(ctx context.Context, ids []string, at time.Time) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE commands SET state = 'sent', sends = sends + 1, last_sent_us = ?
				WHERE id = ? AND state IN ('pending', 'sent')`, us(at), id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark commands sent: %w", err)
	}
	return nil
}

// RecordResult implements fleet.CommandStore.
func (s *Store) RecordResult(ctx context.Context, deviceID string, r wire.Result, at time.Time) (fleet.Command, error) {
	var c fleet.Command
	body, err := json.Marshal(r)
	if err != nil {
		return c, err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		c, err = scanCommand(tx.QueryRowContext(ctx, `SELECT `+commandColumns+` FROM commands WHERE id = ? AND device_id = ?`, r.ID, deviceID))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("command %s of %s: %w", r.ID, deviceID, fleet.ErrNotFound)
		}
		if err != nil || c.Result != nil {
			return err // a second result changes nothing
		}
		late := c.State == fleet.CommandExpired
		state := fleet.CommandDone
		if late {
			state = fleet.CommandExpired
		}
		if _, err := tx.ExecContext(ctx, `UPDATE commands SET state = ?, result = ?, result_us = ?, late = ? WHERE id = ?`,
			string(state), body, us(at), late, r.ID); err != nil {
			return err
		}
		c.State, c.Result, c.ResultAt, c.Late = state, &r, at, late
		return nil
	})
	if err != nil && !errors.Is(err, fleet.ErrNotFound) {
		return c, fmt.Errorf("store result of command %s: %w", r.ID, err)
	}
	return c, err
}

// ExpireCommands implements fleet.CommandStore.
func (s *Store) ExpireCommands(ctx context.Context, now time.Time) ([]fleet.Command, error) {
	var out []fleet.Command
	err := s.tx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, `SELECT `+commandColumns+` FROM commands
			WHERE state IN ('pending', 'sent') AND deadline_us <= ? ORDER BY deadline_us`, us(now))
		if err != nil {
			return err
		}
		for rows.Next() {
			c, err := scanCommand(rows)
			if err != nil {
				rows.Close()
				return err
			}
			c.State = fleet.CommandExpired
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE commands SET state = 'expired' WHERE state IN ('pending', 'sent') AND deadline_us <= ?`, us(now))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("expire commands: %w", err)
	}
	return out, nil
}

// AttachScreenshot implements fleet.CommandStore.
func (s *Store) AttachScreenshot(ctx context.Context, deviceID, id, sha string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE commands SET screenshot = ? WHERE id = ? AND device_id = ? AND kind = 'screenshot'`, sha, id, deviceID)
	if err != nil {
		return fmt.Errorf("store screenshot of command %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("screenshot command %s of %s: %w", id, deviceID, fleet.ErrNotFound)
	}
	return nil
}
