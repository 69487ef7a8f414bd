package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"lawpoint/fleet"

	sqlite3 "modernc.org/sqlite/lib"
)

var _ fleet.AccountStore = (*Store)(nil)

// Account implements fleet.AccountStore.
func (s *Store) Account(ctx context.Context, username string) (fleet.Account, error) {
	var (
		a       fleet.Account
		role    string
		created int64
	)
	err := s.r.QueryRowContext(ctx, `SELECT username, hash, role, township, created_us FROM staff WHERE username = ?`, username).
		Scan(&a.Username, &a.Hash, &role, &a.Township, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("staff account %q: %w", username, fleet.ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("read staff account %q: %w", username, err)
	}
	a.Role, a.Created = fleet.StaffRole(role), fromUS(created)
	return a, nil
}

// Accounts implements fleet.AccountStore.
func (s *Store) Accounts(ctx context.Context) ([]fleet.Account, error) {
	return queryAll(ctx, s.r, "list staff accounts", func(sc scanner) (fleet.Account, error) {
		var (
			a       fleet.Account
			role    string
			created int64
		)
		if err := sc.Scan(&a.Username, &role, &a.Township, &created); err != nil {
			return a, err
		}
		a.Role, a.Created = fleet.StaffRole(role), fromUS(created)
		return a, nil
	}, `SELECT username, role, township, created_us FROM staff ORDER BY username`)
}

// CreateAccount implements fleet.AccountStore.
func (s *Store) CreateAccount(ctx context.Context, a fleet.Account, e fleet.AuditEntry) error {
	return s.AddAccount(ctx, a, fleet.AccountState{}, e)
}

// AddAccount implements fleet.AccountStore. The state's Disabled is
// ignored: a new account is enabled.
func (s *Store) AddAccount(ctx context.Context, a fleet.Account, st fleet.AccountState, e fleet.AuditEntry) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO staff (username, hash, role, township, created_us, must_change, password_us) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			a.Username, a.Hash, string(a.Role), a.Township, us(a.Created), st.MustChange, us(st.PasswordSet))
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
			return fmt.Errorf("staff account %q: %w", a.Username, fleet.ErrExists)
		}
		if err != nil {
			return err
		}
		hook("account-row")
		_, err = addAudit(ctx, tx, e)
		return err
	})
	if err != nil && !errors.Is(err, fleet.ErrExists) {
		return fmt.Errorf("store staff account %q: %w", a.Username, err)
	}
	return err
}

// AccountWithState implements fleet.AccountStore.
func (s *Store) AccountWithState(ctx context.Context, username string) (fleet.Account, fleet.AccountState, error) {
	var (
		a                 fleet.Account
		st                fleet.AccountState
		role              string
		created, password int64
		disabled          sql.NullInt64
	)
	err := s.r.QueryRowContext(ctx, `SELECT username, hash, role, township, created_us, must_change, disabled_us, password_us
		FROM staff WHERE username = ?`, username).
		Scan(&a.Username, &a.Hash, &role, &a.Township, &created, &st.MustChange, &disabled, &password)
	if errors.Is(err, sql.ErrNoRows) {
		return a, st, fmt.Errorf("staff account %q: %w", username, fleet.ErrNotFound)
	}
	if err != nil {
		return a, st, fmt.Errorf("read staff account %q: %w", username, err)
	}
	a.Role, a.Created = fleet.StaffRole(role), fromUS(created)
	st.Disabled, st.DisabledAt, st.PasswordSet = disabled.Valid, fromUS(disabled.Int64), fromUS(password)
	return a, st, nil
}

// AccountStates implements fleet.AccountStore.
func (s *Store) AccountStates(ctx context.Context) (map[string]fleet.AccountState, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT username, must_change, disabled_us, password_us FROM staff`)
	if err != nil {
		return nil, fmt.Errorf("list staff account states: %w", err)
	}
	defer rows.Close()
	out := map[string]fleet.AccountState{}
	for rows.Next() {
		var (
			name     string
			st       fleet.AccountState
			disabled sql.NullInt64
			password int64
		)
		if err := rows.Scan(&name, &st.MustChange, &disabled, &password); err != nil {
			return nil, fmt.Errorf("list staff account states: %w", err)
		}
		st.Disabled, st.DisabledAt, st.PasswordSet = disabled.Valid, fromUS(disabled.Int64), fromUS(password)
		out[name] = st
	}
	return out, rows.Err()
}

// SetMustChange implements fleet.AccountStore.
func (s *Store) SetMustChange(ctx context.Context, username string, on bool) error {
	res, err := s.w.ExecContext(ctx, `UPDATE staff SET must_change = ? WHERE username = ?`, on, username)
	if err != nil {
		return fmt.Errorf("mark the password of %q: %w", username, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("staff account %q: %w", username, fleet.ErrNotFound)
	}
	return nil
}

// revokeAll deletes the account's console sessions (but keep) and API
// tokens.
func revokeAll(ctx context.Context, tx *sql.Tx, username string, keep [32]byte) (fleet.Revoked, error) {
	var rv fleet.Revoked
	res, err := tx.ExecContext(ctx, `DELETE FROM console_sessions WHERE username = ? AND hash <> ?`, username, keep[:])
	if err != nil {
		return rv, err
	}
	rv.ConsoleSessions, _ = res.RowsAffected()
	res, err = tx.ExecContext(ctx, `DELETE FROM staff_sessions WHERE username = ?`, username)
	if err != nil {
		return rv, err
	}
	rv.APITokens, _ = res.RowsAffected()
	return rv, nil
}

// SetPassword implements fleet.AccountStore.
func (s *Store) SetPassword(ctx context.Context, c fleet.PasswordChange, audit func(fleet.Revoked) fleet.AuditEntry) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		q := `UPDATE staff SET hash = ?, must_change = ?, password_us = ? WHERE username = ?`
		if c.Enable {
			q = `UPDATE staff SET hash = ?, must_change = ?, password_us = ?, disabled_us = NULL WHERE username = ?`
		}
		res, err := tx.ExecContext(ctx, q, c.Hash, c.MustChange, us(c.At), c.Username)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("staff account %q: %w", c.Username, fleet.ErrNotFound)
		}
		rv, err := revokeAll(ctx, tx, c.Username, c.Keep)
		if err != nil {
			return err
		}
		hook("password-row")
		_, err = addAudit(ctx, tx, audit(rv))
		return err
	})
	if err != nil && !errors.Is(err, fleet.ErrNotFound) {
		return fmt.Errorf("store the password of %q: %w", c.Username, err)
	}
	return err
}

// SetDisabled implements fleet.AccountStore.
func (s *Store) SetDisabled(ctx context.Context, username string, at time.Time, audit func(fleet.Revoked) fleet.AuditEntry) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var disabled any // NULL enables
		if !at.IsZero() {
			disabled = us(at)
		}
		res, err := tx.ExecContext(ctx, `UPDATE staff SET disabled_us = ? WHERE username = ?`, disabled, username)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("staff account %q: %w", username, fleet.ErrNotFound)
		}
		var rv fleet.Revoked
		if !at.IsZero() {
			var admins int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM staff WHERE role = ? AND disabled_us IS NULL`, string(fleet.StaffAdmin)).Scan(&admins); err != nil {
				return err
			}
			var role string
			if err := tx.QueryRowContext(ctx, `SELECT role FROM staff WHERE username = ?`, username).Scan(&role); err != nil {
				return err
			}
			if admins == 0 && role == string(fleet.StaffAdmin) {
				return fmt.Errorf("disable %q: %w", username, fleet.ErrLastAdmin)
			}
			if rv, err = revokeAll(ctx, tx, username, [32]byte{}); err != nil {
				return err
			}
		}
		hook("disable-row")
		_, err = addAudit(ctx, tx, audit(rv))
		return err
	})
	if err != nil && !errors.Is(err, fleet.ErrNotFound) && !errors.Is(err, fleet.ErrLastAdmin) {
		return fmt.Errorf("store the state of %q: %w", username, err)
	}
	return err
}

// CreateConsoleSession implements fleet.AccountStore.
func (s *Store) CreateConsoleSession(ctx context.Context, se fleet.ConsoleSession) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO console_sessions (hash, username, created_us, seen_us, expires_us) VALUES (?, ?, ?, ?, ?)`,
		se.Hash[:], se.Username, us(se.Created), us(se.Seen), us(se.Expires))
	if err != nil {
		return fmt.Errorf("store console session of %q: %w", se.Username, err)
	}
	return nil
}

// ConsoleSession implements fleet.AccountStore.
func (s *Store) ConsoleSession(ctx context.Context, hash [32]byte) (fleet.ConsoleSession, error) {
	se := fleet.ConsoleSession{Hash: hash}
	var created, seen, expires int64
	err := s.r.QueryRowContext(ctx, `SELECT username, created_us, seen_us, expires_us FROM console_sessions WHERE hash = ?`, hash[:]).
		Scan(&se.Username, &created, &seen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return se, fleet.ErrUnauthorized
	}
	if err != nil {
		return se, fmt.Errorf("read console session: %w", err)
	}
	se.Created, se.Seen, se.Expires = fromUS(created), fromUS(seen), fromUS(expires)
	return se, nil
}

// TouchConsoleSession implements fleet.AccountStore.
func (s *Store) TouchConsoleSession(ctx context.Context, hash [32]byte, seen time.Time) error {
	if _, err := s.w.ExecContext(ctx, `UPDATE console_sessions SET seen_us = max(seen_us, ?) WHERE hash = ?`, us(seen), hash[:]); err != nil {
		return fmt.Errorf("touch console session: %w", err)
	}
	return nil
}

// DeleteConsoleSession implements fleet.AccountStore.
func (s *Store) DeleteConsoleSession(ctx context.Context, hash [32]byte) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM console_sessions WHERE hash = ?`, hash[:]); err != nil {
		return fmt.Errorf("delete console session: %w", err)
	}
	return nil
}

// PruneConsoleSessions implements fleet.AccountStore.
func (s *Store) PruneConsoleSessions(ctx context.Context, now, idleSince time.Time) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM console_sessions WHERE expires_us <= ? OR seen_us < ?`, us(now), us(idleSince)); err != nil {
		return fmt.Errorf("prune console sessions: %w", err)
	}
	return nil
}

type execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

func addAudit(ctx context.Context, x execer, e fleet.AuditEntry) (int64, error) {
	res, err := x.ExecContext(ctx, `INSERT INTO audit (at_us, actor, role, action, target, region, outcome, summary, before_text, after_text, address)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		us(e.At), e.Actor, string(e.Role), e.Action, e.Target, e.Region, e.Outcome, e.Summary, e.Before, e.After, e.Address)
	if err != nil {
		return 0, fmt.Errorf("store audit row: %w", err)
	}
	return res.LastInsertId()
}

// AddAudit implements fleet.AuditStore.
func (s *Store) AddAudit(ctx context.Context, e fleet.AuditEntry) (int64, error) {
	return addAudit(ctx, s.w, e)
}

// AuditLog implements fleet.AuditStore.
func (s *Store) AuditLog(ctx context.Context, f fleet.AuditFilter) ([]fleet.AuditEntry, error) {
	var (
		where []string
		args  []any
	)
	eq := func(col, v string) {
		if v != "" {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	eq("actor", f.Actor)
	eq("action", f.Action)
	eq("outcome", f.Outcome)
	eq("target", f.Target)
	if f.Region != "" {
		where = append(where, "(region = ? OR (region >= ? AND region < ?))")
		args = append(args, f.Region, f.Region+"/", f.Region+"0")
	}
	if !f.From.IsZero() {
		where = append(where, "at_us >= ?")
		args = append(args, us(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "at_us < ?")
		args = append(args, us(f.To))
	}
	if f.Before > 0 {
		where = append(where, "id < ?")
		args = append(args, f.Before)
	}
	q := `SELECT id, at_us, actor, role, action, target, region, outcome, summary, before_text, after_text, address FROM audit`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, limit)
	return queryAll(ctx, s.r, "read audit log", func(sc scanner) (fleet.AuditEntry, error) {
		var (
			e    fleet.AuditEntry
			at   int64
			role string
		)
		if err := sc.Scan(&e.ID, &at, &e.Actor, &role, &e.Action, &e.Target, &e.Region, &e.Outcome, &e.Summary, &e.Before, &e.After, &e.Address); err != nil {
			return e, err
		}
		e.At, e.Role = fromUS(at), fleet.StaffRole(role)
		return e, nil
	}, q, args...)
}
