package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Event is one encoded event waiting in the outbox.
type Event struct {
	Seq uint64
	// Body is the event's JSON as encoded once when it was recorded; it is
	// resent unchanged.
	Body []byte
	// Single marks an event whose batch the fleet could not read; it is
	// resent alone.
	Single bool
}

// AddEvent takes the next event sequence number and stores the event that
// encode returns for it, in one transaction: the number and the bytes are
// on disk together or not at all.
func (s *Store) AddEvent(ctx context.Context, encode func(seq uint64) ([]byte, error)) (uint64, error) {
	var seq uint64
	err := s.tx(ctx, "adding an event to the outbox", func(tx *sql.Tx) (err error) {
		seq, err = insertEvent(ctx, tx, encode)
		return err
	})
	return seq, err
}

// insertEvent takes the next sequence number and stores the event encoded
// with it, inside tx.
func insertEvent(ctx context.Context, tx *sql.Tx, encode func(seq uint64) ([]byte, error)) (uint64, error) {
	cur, err := counter(tx, ctx, counterEvent)
	if err != nil {
		return 0, err
	}
	seq := cur + 1
	body, err := encode(seq)
	if err != nil {
		return 0, err
	}
	if err := setCounter(tx, ctx, counterEvent, seq); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO outbox(seq, body) VALUES(?, ?)", int64(seq), body); err != nil {
		return 0, err
	}
	return seq, nil
}

// AddEventOnce is AddEvent for an event the caller names with its own key
// (e.g. "{ticketID}:issued"): the first call stores the event; a later call
// with the same key, after a crash between the caller's own commit and
// its marking the event handed over, stores nothing and returns the first
// sequence number, so the fleet counts the event once. Keys are kept for
// keyRetention.
func (s *Store) AddEventOnce(ctx context.Context, key string, now time.Time, encode func(seq uint64) ([]byte, error)) (seq uint64, added bool, err error) {
	if key == "" {
		return 0, false, errors.New("store: an event key is empty; give the caller's idempotency key")
	}
	err = s.tx(ctx, "adding a keyed event to the outbox", func(tx *sql.Tx) error {
		var prev int64
		switch err := tx.QueryRowContext(ctx, "SELECT seq FROM recorded WHERE key = ?", key).Scan(&prev); {
		case err == nil:
			seq, added = uint64(prev), false
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if seq, err = insertEvent(ctx, tx, encode); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO recorded(key, seq, at) VALUES(?, ?, ?)", key, int64(seq), now.Unix()); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM recorded WHERE at < ?", now.Add(-keyRetention).Unix())
		added = true
		return err
	})
	return seq, added, err
}

// keyRetention is how long AddEventOnce remembers a key: far longer than
// any crash-and-replay of a caller's own outbox.
const keyRetention = 90 * 24 * time.Hour

// Pending returns up to limit outbox events with a sequence number above
// after, in order.
func (s *Store) Pending(ctx context.Context, after uint64, limit int) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT seq, body, single FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", int64(after), limit)
	if err != nil {
		return nil, fmt.Errorf("store: reading the outbox: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var seq int64
		if err := rows.Scan(&seq, &e.Body, &e.Single); err != nil {
			return nil, fmt.Errorf("store: reading the outbox: %w", err)
		}
		e.Seq = uint64(seq)
		out = append(out, e)
	}
	return out, rows.Err()
}

// OutboxLen returns how many events wait for an ack.
func (s *Store) OutboxLen(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM outbox").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: counting the outbox: %w", err)
	}
	return n, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func seqArgs(seqs []uint64) []any {
	args := make([]any, len(seqs))
	for i, s := range seqs {
		args[i] = int64(s)
	}
	return args
}

// DeleteEvents removes the events with these sequence numbers (acked as
// stored or rejected) and returns how many were there.
func (s *Store) DeleteEvents(ctx context.Context, seqs []uint64) (int, error) {
	if len(seqs) == 0 {
		return 0, nil
	}
	var n int64
	err := s.tx(ctx, "deleting acknowledged events", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM outbox WHERE seq IN ("+placeholders(len(seqs))+")", seqArgs(seqs)...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// MarkSingle flags events to be resent one per batch.
func (s *Store) MarkSingle(ctx context.Context, seqs []uint64) error {
	if len(seqs) == 0 {
		return nil
	}
	return s.tx(ctx, "marking events for single resend", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE outbox SET single = 1 WHERE seq IN ("+placeholders(len(seqs))+")", seqArgs(seqs)...)
		return err
	})
}

// Renumber handles an ack conflict: the fleet already holds these sequence
// numbers for other events (the device lost its counter). It moves the
// counter to at least nextSeq-1 and gives each event still in the outbox a
// new number, re-encoded by reencode, in one transaction. It returns the
// new numbers by old number.
func (s *Store) Renumber(ctx context.Context, seqs []uint64, nextSeq uint64, reencode func(body []byte, seq uint64) ([]byte, error)) (map[uint64]uint64, error) {
	moved := map[uint64]uint64{}
	err := s.tx(ctx, "renumbering conflicting events", func(tx *sql.Tx) error {
		cur, err := counter(tx, ctx, counterEvent)
		if err != nil {
			return err
		}
		if nextSeq > 0 && cur < nextSeq-1 {
			cur = nextSeq - 1
		}
		for _, old := range seqs {
			var body []byte
			err := tx.QueryRowContext(ctx, "SELECT body FROM outbox WHERE seq = ?", int64(old)).Scan(&body)
			if err == sql.ErrNoRows {
				continue
			}
			if err != nil {
				return err
			}
			cur++
			nb, err := reencode(body, cur)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM outbox WHERE seq = ?", int64(old)); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO outbox(seq, body) VALUES(?, ?)", int64(cur), nb); err != nil {
				return err
			}
			moved[old] = cur
		}
		return setCounter(tx, ctx, counterEvent, cur)
	})
	return moved, err
}

// SeqsIn returns the sequence numbers in the outbox within [first, last].
func (s *Store) SeqsIn(ctx context.Context, first, last uint64) ([]uint64, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT seq FROM outbox WHERE seq BETWEEN ? AND ? ORDER BY seq", int64(first), int64(last))
	if err != nil {
		return nil, fmt.Errorf("store: reading the outbox: %w", err)
	}
	defer rows.Close()
	var out []uint64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("store: reading the outbox: %w", err)
		}
		out = append(out, uint64(v))
	}
	return out, rows.Err()
}
