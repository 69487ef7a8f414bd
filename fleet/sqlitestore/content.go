package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"lawpoint/content"
	"lawpoint/fleet"
)

// ContentSet implements fleet.ContentStore.
func (s *Store) ContentSet(ctx context.Context) (*content.Set, int64, error) {
	// One read transaction: the revision and the records are one snapshot.
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("read content: %w", err)
	}
	defer tx.Rollback()
	var rev int64
	if err := tx.QueryRowContext(ctx, `SELECT rev FROM content_rev WHERE id = 1`).Scan(&rev); err != nil {
		return nil, 0, fmt.Errorf("read content revision: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT c.kind, c.id, c.body FROM content_records c
		WHERE c.version = (SELECT max(version) FROM content_records m WHERE m.kind = c.kind AND m.id = c.id)
		AND c.body IS NOT NULL ORDER BY c.kind, c.id`)
	if err != nil {
		return nil, 0, fmt.Errorf("read content: %w", err)
	}
	defer rows.Close()
	set := &content.Set{Items: []content.Item{}, Programmes: []content.Programme{}, Schedules: []content.Schedule{}}
	for rows.Next() {
		var (
			kind, id string
			body     []byte
		)
		if err := rows.Scan(&kind, &id, &body); err != nil {
			return nil, 0, fmt.Errorf("read content: %w", err)
		}
		if err := addRecord(set, fleet.RecordKind(kind), id, body); err != nil {
			return nil, 0, fmt.Errorf("read content %s %s: %w (the store is damaged; restore it from a backup)", kind, id, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("read content: %w", err)
	}
	return set, rev, nil
}

func addRecord(set *content.Set, kind fleet.RecordKind, id string, body []byte) error {
	switch kind {
	case fleet.RecordItem:
		var v content.Item
		if err := json.Unmarshal(body, &v); err != nil {
			return err
		}
		set.Items = append(set.Items, v)
	case fleet.RecordProgramme:
		var v content.Programme
		if err := json.Unmarshal(body, &v); err != nil {
			return err
		}
		set.Programmes = append(set.Programmes, v)
	case fleet.RecordSchedule:
		var v content.Schedule
		if err := json.Unmarshal(body, &v); err != nil {
			return err
		}
		set.Schedules = append(set.Schedules, v)
	case fleet.RecordNotice:
		var v content.Notice
		if err := json.Unmarshal(body, &v); err != nil {
			return err
		}
		set.Notices = append(set.Notices, v)
	case fleet.RecordFallback:
		var pid string
		if err := json.Unmarshal(body, &pid); err != nil {
			return err
		}
		if set.Fallbacks == nil {
			set.Fallbacks = map[string]string{}
		}
		set.Fallbacks[id] = pid
	default:
		return fmt.Errorf("unknown record kind %q", kind)
	}
	return nil
}

// PutContent implements fleet.ContentStore.
func (s *Store) PutContent(ctx context.Context, baseRev int64, recs []fleet.ContentRecord) (int64, error) {
	var rev int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT rev FROM content_rev WHERE id = 1`).Scan(&rev); err != nil {
			return err
		}
		if rev != baseRev {
			return fmt.Errorf("content revision is %d, not %d: %w", rev, baseRev, fleet.ErrConflict)
		}
		rev++
		for _, r := range recs {
			var have int
			if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM content_records WHERE kind = ? AND id = ?`,
				string(r.Kind), r.ID).Scan(&have); err != nil {
				return err
			}
			if r.Version == 0 {
				r.Version = have + 1
			}
			if r.Version != have+1 {
				return fmt.Errorf("%s %s is at version %d, not %d: %w", r.Kind, r.ID, have, r.Version-1, fleet.ErrConflict)
			}
			var body any
			if r.Body != nil {
				body = []byte(r.Body)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO content_records (kind, id, version, body, rev, created_us, author)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, string(r.Kind), r.ID, r.Version, body, rev, us(r.Created), r.Author); err != nil {
				return err
			}
			hook("content-record")
		}
		_, err := tx.ExecContext(ctx, `UPDATE content_rev SET rev = ? WHERE id = 1`, rev)
		return err
	})
	if err != nil {
		if errors.Is(err, fleet.ErrConflict) {
			return 0, err
		}
		return 0, fmt.Errorf("store content: %w", err)
	}
	return rev, nil
}

// ContentRecord implements fleet.ContentStore.
func (s *Store) ContentRecord(ctx context.Context, kind fleet.RecordKind, id string, version int) (fleet.ContentRecord, error) {
	r := fleet.ContentRecord{Kind: kind, ID: id, Version: version}
	var created int64
	var body []byte
	err := s.r.QueryRowContext(ctx, `SELECT body, created_us, author FROM content_records WHERE kind = ? AND id = ? AND version = ?`,
		string(kind), id, version).Scan(&body, &created, &r.Author)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("%s %s version %d: %w", kind, id, version, fleet.ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("read %s %s: %w", kind, id, err)
	}
	if body != nil {
		r.Body = body
	}
	r.Created = fromUS(created)
	return r, nil
}

// ContentHistory implements fleet.ContentStore.
func (s *Store) ContentHistory(ctx context.Context, kind fleet.RecordKind, id string) ([]fleet.ContentRecord, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT version, body, created_us, author FROM content_records
		WHERE kind = ? AND id = ? ORDER BY version`, string(kind), id)
	if err != nil {
		return nil, fmt.Errorf("read history of %s %s: %w", kind, id, err)
	}
	defer rows.Close()
	var out []fleet.ContentRecord
	for rows.Next() {
		r := fleet.ContentRecord{Kind: kind, ID: id}
		var created int64
		var body []byte
		if err := rows.Scan(&r.Version, &body, &created, &r.Author); err != nil {
			return nil, err
		}
		if body != nil {
			r.Body = body
		}
		r.Created = fromUS(created)
		out = append(out, r)
	}
	return out, rows.Err()
}
