package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet"
)

const stateColumns = `d.id, coalesce(s.version, 0), coalesce(s.serial, 0), coalesce(s.digest, ''), coalesce(s.expires_us, 0),
	coalesce(s.issued_us, 0), s.payload, coalesce(s.published, 0), coalesce(s.session_floor, 0), s.settings, s.reported, coalesce(s.reported_us, 0)`

// summaryColumns are stateColumns with the payload left out once the
// broker took it (StateSummaries): SQLite then does not read the payload's
// overflow pages at all.
const summaryColumns = `d.id, coalesce(s.version, 0), coalesce(s.serial, 0), coalesce(s.digest, ''), coalesce(s.expires_us, 0),
	coalesce(s.issued_us, 0), CASE WHEN s.published = 0 THEN s.payload END, coalesce(s.published, 0), coalesce(s.session_floor, 0),
	s.settings, s.reported, coalesce(s.reported_us, 0)`

func scanState(sc scanner) (fleet.DeviceState, error) {
	var (
		st                          fleet.DeviceState
		version, serial, floor      int64
		expires, issued, reportedUS int64
		payload, settings, reported []byte
		published                   bool
	)
	if err := sc.Scan(&st.DeviceID, &version, &serial, &st.Digest, &expires, &issued, &payload, &published, &floor,
		&settings, &reported, &reportedUS); err != nil {
		return st, err
	}
	st.Version, st.Serial, st.SessionFloor = uint64(version), uint64(serial), uint64(floor)
	st.Expires, st.Issued, st.ReportedAt = fromUS(expires), fromUS(issued), fromUS(reportedUS)
	st.Payload, st.Published = payload, published
	if settings != nil {
		st.Settings = new(wire.Settings)
		if err := json.Unmarshal(settings, st.Settings); err != nil {
			return st, fmt.Errorf("settings of %s: %w", st.DeviceID, err)
		}
	}
	if reported != nil {
		st.Reported = new(wire.Reported)
		if err := json.Unmarshal(reported, st.Reported); err != nil {
			return st, fmt.Errorf("reported state of %s: %w", st.DeviceID, err)
		}
	}
	return st, nil
}

// State implements fleet.StateStore.
func (s *Store) State(ctx context.Context, id string) (fleet.DeviceState, error) {
	st, err := scanState(s.r.QueryRowContext(ctx, `SELECT `+stateColumns+`
		FROM devices d LEFT JOIN device_state s ON s.device_id = d.id WHERE d.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return st, fmt.Errorf("device %s: %w", id, fleet.ErrNotFound)
	}
	if err != nil {
		return st, fmt.Errorf("read state of %s: %w", id, err)
	}
	return st, nil
}

// States implements fleet.StateStore.
func (s *Store) States(ctx context.Context, after string, limit int) ([]fleet.DeviceState, error) {
	return s.states(ctx, stateColumns, after, limit)
}

// StateSummaries implements fleet.StateStore.
func (s *Store) StateSummaries(ctx context.Context, after string, limit int) ([]fleet.DeviceState, error) {
	return s.states(ctx, summaryColumns, after, limit)
}

func (s *Store) states(ctx context.Context, columns, after string, limit int) ([]fleet.DeviceState, error) {
	if limit <= 0 {
		limit = math.MaxInt32
	}
	return queryAll(ctx, s.r, "list device states", scanState, `SELECT `+columns+`
		FROM devices d LEFT JOIN device_state s ON s.device_id = d.id
		WHERE d.id > ? AND d.revoked_us IS NULL ORDER BY d.id LIMIT ?`, after, limit)
}

func ensureState(ctx context.Context, tx *sql.Tx, id string) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO device_state (device_id) SELECT id FROM devices WHERE id = ?
		ON CONFLICT (device_id) DO NOTHING`, id)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return true, nil
	}
	var ok bool
	err = tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM device_state WHERE device_id = ?)`, id).Scan(&ok)
	return ok, err
}

// PutDesired implements fleet.StateStore.
func (s *Store) PutDesired(ctx context.Context, ups []fleet.DesiredUpdate) ([]bool, error) {
	done := make([]bool, len(ups))
	err := s.tx(ctx, func(tx *sql.Tx) error {
		clear(done)
		for i, u := range ups {
			if u.Version < 1 || u.Version > math.MaxInt64 || u.Serial > math.MaxInt64 {
				continue
			}
			update := func() (bool, error) {
				res, err := tx.ExecContext(ctx, `UPDATE device_state SET version = ?, serial = ?, digest = ?, expires_us = ?,
					issued_us = ?, payload = ?, published = 0 WHERE device_id = ? AND version = ? AND serial < ?`,
					int64(u.Version), int64(u.Serial), u.Digest, us(u.Expires), us(u.Issued), u.Payload, u.DeviceID,
					int64(u.Version-1), int64(u.Serial))
				if err != nil {
					return false, err
				}
				n, _ := res.RowsAffected()
				return n == 1, nil
			}
			// Most devices have a state row already: try the update
			// first, and make the row only when nothing was updated.
			ok, err := update()
			if err != nil {
				return err
			}
			if !ok {
				exists, err := ensureState(ctx, tx, u.DeviceID)
				if err != nil {
					return err
				}
				if !exists {
					continue
				}
				if ok, err = update(); err != nil {
					return err
				}
			}
			done[i] = ok
			hook("desired")
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store desired state: %w", err)
	}
	return done, nil
}

// MarkPublished implements fleet.StateStore.
func (s *Store) MarkPublished(ctx context.Context, versions map[string]uint64) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for id, v := range versions {
			if v > math.MaxInt64 {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE device_state SET published = 1 WHERE device_id = ? AND version = ?`, id, int64(v)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark desired state published: %w", err)
	}
	return nil
}

// SetSessionFloor implements fleet.StateStore.
func (s *Store) SetSessionFloor(ctx context.Context, id string, floor uint64) (bool, error) {
	if floor > math.MaxInt64 {
		return false, nil
	}
	changed := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		ok, err := ensureState(ctx, tx, id)
		if err != nil || !ok {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE device_state SET session_floor = ? WHERE device_id = ? AND session_floor < ?`,
			int64(floor), id, int64(floor))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		changed = n > 0
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store session floor of %s: %w", id, err)
	}
	return changed, nil
}

// SetSettings implements fleet.StateStore.
func (s *Store) SetSettings(ctx context.Context, id string, set *wire.Settings) error {
	var body any
	if set != nil {
		b, err := json.Marshal(set)
		if err != nil {
			return err
		}
		body = b
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		ok, err := ensureState(ctx, tx, id)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("device %s: %w", id, fleet.ErrNotFound)
		}
		_, err = tx.ExecContext(ctx, `UPDATE device_state SET settings = ? WHERE device_id = ?`, body, id)
		return err
	})
	if err != nil && !errors.Is(err, fleet.ErrNotFound) {
		return fmt.Errorf("store settings of %s: %w", id, err)
	}
	return err
}

// UpdateReported implements fleet.StateStore.
func (s *Store) UpdateReported(ctx context.Context, rs []fleet.ReportedUpdate) ([]bool, error) {
	done := make([]bool, len(rs))
	err := s.tx(ctx, func(tx *sql.Tx) error {
		clear(done)
		for i, r := range rs {
			if r.Reported.Session > math.MaxInt64 || r.Reported.Seq > math.MaxInt64 {
				continue
			}
			ok, err := ensureState(ctx, tx, r.DeviceID)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			body, err := json.Marshal(r.Reported)
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `UPDATE device_state SET reported = ?, reported_session = ?, reported_seq = ?, reported_us = ?
				WHERE device_id = ? AND (reported_session < ? OR (reported_session = ? AND reported_seq < ?))`,
				body, int64(r.Reported.Session), int64(r.Reported.Seq), us(r.Received), r.DeviceID,
				int64(r.Reported.Session), int64(r.Reported.Session), int64(r.Reported.Seq))
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			done[i] = n == 1
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store reported state: %w", err)
	}
	return done, nil
}

// Presences implements fleet.Store.
func (s *Store) Presences(ctx context.Context) ([]fleet.Presence, error) {
	return queryAll(ctx, s.r, "list presence", func(sc scanner) (fleet.Presence, error) {
		var (
			p             fleet.Presence
			session       int64
			seen, changed int64
		)
		if err := sc.Scan(&p.DeviceID, &p.Online, &session, &seen, &changed); err != nil {
			return p, err
		}
		p.Session, p.LastSeen, p.Changed = uint64(session), fromUS(seen), fromUS(changed)
		return p, nil
	}, `SELECT device_id, online, session, last_seen_us, changed_us FROM presence ORDER BY device_id`)
}

// AddEventBatch implements fleet.Store.
func (s *Store) AddEventBatch(ctx context.Context, deviceID string, es []fleet.Event) ([]fleet.EventOutcome, uint64, error) {
	out := make([]fleet.EventOutcome, len(es))
	var next uint64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		clear(out)
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM devices WHERE id = ?)`, deviceID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("device %s: %w", deviceID, fleet.ErrNotFound)
		}
		for i, e := range es {
			if e.Payload == nil {
				e.Payload = []byte{}
			}
			if e.DeviceSeq > math.MaxInt64 {
				out[i] = fleet.EventConflict
				continue
			}
			var seq sql.NullInt64
			if e.DeviceSeq > 0 {
				seq = sql.NullInt64{Int64: int64(e.DeviceSeq), Valid: true}
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO events (device_id, idem_key, type, payload, occurred_us, received_us, device_seq, fingerprint)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, idem_key) DO NOTHING`,
				deviceID, e.Key, e.Type, e.Payload, us(e.Occurred), us(e.Received), seq, e.Fingerprint)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				out[i] = fleet.EventStored
				hook("event")
				continue
			}
			var fp string
			if err := tx.QueryRowContext(ctx, `SELECT fingerprint FROM events WHERE device_id = ? AND idem_key = ?`, deviceID, e.Key).Scan(&fp); err != nil {
				return err
			}
			if fp == e.Fingerprint || fp == "" {
				out[i] = fleet.EventDuplicate
			} else {
				out[i] = fleet.EventConflict
			}
		}
		var maxSeq sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT max(device_seq) FROM events WHERE device_id = ?`, deviceID).Scan(&maxSeq); err != nil {
			return err
		}
		next = uint64(maxSeq.Int64) + 1
		return nil
	})
	if err != nil {
		if errors.Is(err, fleet.ErrNotFound) {
			return nil, 0, err
		}
		return nil, 0, fmt.Errorf("store event batch of %s: %w", deviceID, err)
	}
	return out, next, nil
}

// AddTelemetry implements fleet.TelemetryStore.
func (s *Store) AddTelemetry(ctx context.Context, ss []fleet.TelemetrySample) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for _, t := range ss {
			if _, err := tx.ExecContext(ctx, `INSERT INTO telemetry (device_id, at_us, received_us, sample)
				SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM devices WHERE id = ?)`,
				t.DeviceID, us(t.At), us(t.Received), []byte(t.Sample), t.DeviceID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store telemetry: %w", err)
	}
	return nil
}

// Telemetry implements fleet.TelemetryStore.
func (s *Store) Telemetry(ctx context.Context, deviceID string, limit int) ([]fleet.TelemetrySample, error) {
	if limit <= 0 {
		limit = 100
	}
	return queryAll(ctx, s.r, "read telemetry of "+deviceID, func(sc scanner) (fleet.TelemetrySample, error) {
		t := fleet.TelemetrySample{DeviceID: deviceID}
		var at, rec int64
		var b []byte
		if err := sc.Scan(&at, &rec, &b); err != nil {
			return t, err
		}
		t.At, t.Received, t.Sample = fromUS(at), fromUS(rec), b
		return t, nil
	}, `SELECT at_us, received_us, sample FROM telemetry WHERE device_id = ? ORDER BY id DESC LIMIT ?`, deviceID, limit)
}

// PruneTelemetry implements fleet.TelemetryStore. It deletes in chunks so
// a large prune never holds the write lock for long.
func (s *Store) PruneTelemetry(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		res, err := s.w.ExecContext(ctx, `DELETE FROM telemetry WHERE id IN
			(SELECT id FROM telemetry WHERE received_us < ? LIMIT 5000)`, us(before))
		if err != nil {
			return total, fmt.Errorf("prune telemetry: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < 5000 {
			return total, nil
		}
	}
}

// CreateSession implements fleet.SessionStore.
func (s *Store) CreateSession(ctx context.Context, se fleet.Session) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO staff_sessions (hash, username, created_us, expires_us) VALUES (?, ?, ?, ?)`,
		se.Hash[:], se.Username, us(se.Created), us(se.Expires))
	if err != nil {
		return fmt.Errorf("store session of %q: %w", se.Username, err)
	}
	return nil
}

// Session implements fleet.SessionStore.
func (s *Store) Session(ctx context.Context, hash [32]byte, now time.Time) (fleet.Session, error) {
	se := fleet.Session{Hash: hash}
	var created, expires int64
	err := s.r.QueryRowContext(ctx, `SELECT username, created_us, expires_us FROM staff_sessions WHERE hash = ? AND expires_us > ?`,
		hash[:], us(now)).Scan(&se.Username, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return se, fleet.ErrUnauthorized
	}
	if err != nil {
		return se, fmt.Errorf("read session: %w", err)
	}
	se.Created, se.Expires = fromUS(created), fromUS(expires)
	return se, nil
}

// DeleteSession implements fleet.SessionStore.
func (s *Store) DeleteSession(ctx context.Context, hash [32]byte) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM staff_sessions WHERE hash = ?`, hash[:]); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// PruneSessions implements fleet.SessionStore.
func (s *Store) PruneSessions(ctx context.Context, now time.Time) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM staff_sessions WHERE expires_us <= ?`, us(now)); err != nil {
		return fmt.Errorf("prune sessions: %w", err)
	}
	return nil
}
