package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"lawpoint/fleet"
)

var _ fleet.DraftStore = (*Store)(nil)

// AddDraft implements fleet.DraftStore.
func (s *Store) AddDraft(ctx context.Context, d fleet.ScheduleDraft) (int64, error) {
	res, err := s.w.ExecContext(ctx, `INSERT INTO schedule_drafts (schedule_id, body, author, township, created_us, state) VALUES (?, ?, ?, ?, ?, 'pending')`,
		d.ScheduleID, string(d.Body), d.Author, d.Township, us(d.Created))
	if err != nil {
		return 0, fmt.Errorf("store schedule draft %s: %w", d.ScheduleID, err)
	}
	return res.LastInsertId()
}

const draftCols = `id, schedule_id, body, author, township, created_us, state, decider, decided_us, note`

func scanDraft(sc scanner) (fleet.ScheduleDraft, error) {
	var (
		d       fleet.ScheduleDraft
		body    string
		created int64
		decided sql.NullInt64
	)
	if err := sc.Scan(&d.ID, &d.ScheduleID, &body, &d.Author, &d.Township, &created, &d.State, &d.Decider, &decided, &d.Note); err != nil {
		return d, err
	}
	d.Body, d.Created = []byte(body), fromUS(created)
	if decided.Valid {
		d.Decided = fromUS(decided.Int64)
	}
	return d, nil
}

// Draft implements fleet.DraftStore.
func (s *Store) Draft(ctx context.Context, id int64) (fleet.ScheduleDraft, error) {
	d, err := scanDraft(s.r.QueryRowContext(ctx, `SELECT `+draftCols+` FROM schedule_drafts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("schedule draft %d: %w", id, fleet.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("read schedule draft %d: %w", id, err)
	}
	return d, nil
}

// Drafts implements fleet.DraftStore.
func (s *Store) Drafts(ctx context.Context, state string) ([]fleet.ScheduleDraft, error) {
	return queryAll(ctx, s.r, "list schedule drafts", scanDraft,
		`SELECT `+draftCols+` FROM schedule_drafts WHERE ? = '' OR state = ? ORDER BY id DESC LIMIT 1000`, state, state)
}

// DecideDraft implements fleet.DraftStore.
func (s *Store) DecideDraft(ctx context.Context, id int64, state, decider, note string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE schedule_drafts SET state = ?, decider = ?, note = ?, decided_us = ? WHERE id = ? AND state = 'pending'`,
		state, decider, note, us(at), id)
	if err != nil {
		return fmt.Errorf("decide schedule draft %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.Draft(ctx, id); err != nil {
			return err
		}
		return fmt.Errorf("schedule draft %d was already decided: %w", id, fleet.ErrConflict)
	}
	return nil
}
