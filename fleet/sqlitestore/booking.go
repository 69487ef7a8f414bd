package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet"

	sqlite3 "modernc.org/sqlite/lib"
)

var _ fleet.BookingStore = (*Store)(nil)

// btx is a fleet.BookingTx on one SQLite transaction.
type btx struct {
	ctx context.Context
	tx  *sql.Tx
}

// BookingWrite implements fleet.BookingStore: fn runs in one write
// transaction (BEGIN IMMEDIATE), committed only if it returns nil.
func (s *Store) BookingWrite(ctx context.Context, fn func(fleet.BookingTx) error) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return fn(&btx{ctx, tx}) })
}

// BookingRead implements fleet.BookingStore: fn reads one snapshot.
func (s *Store) BookingRead(ctx context.Context, fn func(fleet.BookingTx) error) error {
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("read bookings: %w", err)
	}
	defer tx.Rollback()
	return fn(&btx{ctx, tx})
}

func scanAdviser(sc scanner) (fleet.Adviser, error) {
	var (
		a    fleet.Adviser
		body []byte
	)
	if err := sc.Scan(&body); err != nil {
		return a, err
	}
	err := json.Unmarshal(body, &a)
	return a, err
}

func (t *btx) Adviser(id string) (fleet.Adviser, error) {
	a, err := scanAdviser(t.tx.QueryRowContext(t.ctx, `SELECT body FROM advisers WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("adviser %s: %w", id, fleet.ErrNotFound)
	}
	return a, err
}

func (t *btx) Advisers() ([]fleet.Adviser, error) {
	return queryAll(t.ctx, t.tx, "list advisers", scanAdviser, `SELECT body FROM advisers ORDER BY id`)
}

// Exceptions lists exceptions ending after from and (unless to is zero)
// starting before to.
func (t *btx) Exceptions(adviserID string, from, to time.Time) ([]fleet.Exception, error) {
	end := int64(1) << 62
	if !to.IsZero() {
		end = us(to)
	}
	rows, err := t.tx.QueryContext(t.ctx, `SELECT id, adviser_id, kind, from_us, to_us, note, created_us FROM adviser_exceptions
		WHERE adviser_id = ? AND to_us > ? AND from_us < ? ORDER BY from_us, id`, adviserID, us(from), end)
	if err != nil {
		return nil, fmt.Errorf("list exceptions of %s: %w", adviserID, err)
	}
	defer rows.Close()
	var out []fleet.Exception
	for rows.Next() {
		var (
			e              fleet.Exception
			f, tt, created int64
		)
		if err := rows.Scan(&e.ID, &e.AdviserID, &e.Kind, &f, &tt, &e.Note, &created); err != nil {
			return nil, err
		}
		e.From, e.To, e.Created = fromUS(f), fromUS(tt), fromUS(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

const bookingColumns = `id, code, adviser_id, service, slot_start_us, slot_end_us, phone, name, coalesce(device_id, ''),
	coalesce(idem_key, ''), contact_point, region, source, status, meeting_url, sequence, created_us, updated_us`

func scanBooking(sc scanner) (fleet.Booking, error) {
	var (
		b                            fleet.Booking
		start, end, created, updated int64
	)
	err := sc.Scan(&b.ID, &b.Code, &b.AdviserID, &b.Service, &start, &end, &b.Phone, &b.Name, &b.DeviceID, &b.IdemKey,
		&b.ContactPoint, &b.Region, &b.Source, &b.Status, &b.MeetingURL, &b.Sequence, &created, &updated)
	b.SlotStart, b.SlotEnd, b.Created, b.Updated = fromUS(start), fromUS(end), fromUS(created), fromUS(updated)
	return b, err
}

func (t *btx) Bookings(f fleet.BookingFilter) ([]fleet.Booking, error) {
	var (
		q    strings.Builder
		args []any
	)
	q.WriteString(`SELECT ` + bookingColumns + ` FROM bookings WHERE 1=1`)
	if f.AdviserID != "" {
		q.WriteString(` AND adviser_id = ?`)
		args = append(args, f.AdviserID)
	}
	if !f.From.IsZero() {
		q.WriteString(` AND slot_start_us >= ?`)
		args = append(args, us(f.From))
	}
	if !f.To.IsZero() {
		q.WriteString(` AND slot_start_us < ?`)
		args = append(args, us(f.To))
	}
	if f.ContactPoint != "" {
		q.WriteString(` AND contact_point = ?`)
		args = append(args, f.ContactPoint)
	}
	if f.Region != "" {
		q.WriteString(` AND (region = ? OR (region >= ? AND region < ?))`)
		args = append(args, f.Region, f.Region+"/", f.Region+"0")
	}
	if f.Status != "" {
		q.WriteString(` AND status = ?`)
		args = append(args, f.Status)
	}
	q.WriteString(` ORDER BY slot_start_us, id`)
	if f.Limit > 0 {
		q.WriteString(` LIMIT ` + strconv.Itoa(f.Limit))
	}
	return queryAll(t.ctx, t.tx, "list bookings", scanBooking, q.String(), args...)
}

func (t *btx) one(where string, args ...any) (fleet.Booking, error) {
	b, err := scanBooking(t.tx.QueryRowContext(t.ctx, `SELECT `+bookingColumns+` FROM bookings WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return b, fmt.Errorf("booking: %w", fleet.ErrNotFound)
	}
	if err != nil {
		return b, fmt.Errorf("read booking: %w", err)
	}
	return b, nil
}

func (t *btx) BookingByRequest(deviceID, key string) (fleet.Booking, error) {
	return t.one(`device_id = ? AND idem_key = ?`, deviceID, key)
}

func (t *btx) BookingByCode(code string) (fleet.Booking, error) {
	return t.one(`code = ?`, code)
}

func nullStr(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// slotOrRequest maps the unique indexes' violations to fleet errors.
func slotOrRequest(err error) error {
	if err == nil {
		return nil
	}
	if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE) {
		switch msg := err.Error(); {
		case strings.Contains(msg, "bookings.adviser_id") || strings.Contains(msg, "slot_start_us"):
			return fleet.ErrSlotTaken
		case strings.Contains(msg, "bookings.idem_key") || strings.Contains(msg, "bookings.device_id"):
			return fleet.ErrDuplicateRequest
		case strings.Contains(msg, "bookings.code"):
			return fmt.Errorf("booking code: %w", fleet.ErrExists)
		}
	}
	return fmt.Errorf("store booking: %w", err)
}

func (t *btx) InsertBooking(b *fleet.Booking) error {
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO bookings (code, adviser_id, service, slot_start_us, slot_end_us, phone, name,
		device_id, idem_key, contact_point, region, source, status, meeting_url, sequence, created_us, updated_us)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		b.Code, b.AdviserID, b.Service, us(b.SlotStart), us(b.SlotEnd), b.Phone, b.Name, nullStr(b.DeviceID), nullStr(b.IdemKey),
		b.ContactPoint, b.Region, b.Source, b.Status, b.MeetingURL, b.Sequence, us(b.Created), us(b.Updated))
	if err != nil {
		return slotOrRequest(err)
	}
	hook("booking")
	b.ID, err = res.LastInsertId()
	return err
}

func (t *btx) UpdateBooking(b fleet.Booking) error {
	_, err := t.tx.ExecContext(t.ctx, `UPDATE bookings SET slot_start_us = ?, slot_end_us = ?, status = ?, sequence = ?, updated_us = ?
		WHERE id = ?`, us(b.SlotStart), us(b.SlotEnd), b.Status, b.Sequence, us(b.Updated), b.ID)
	return slotOrRequest(err)
}

func (t *btx) Device(id string) (fleet.Device, error) {
	d, err := scanDevice(t.tx.QueryRowContext(t.ctx, `SELECT `+deviceColumns+` FROM devices d WHERE d.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("device %s: %w", id, fleet.ErrNotFound)
	}
	return d, err
}

func (t *btx) Setting(key string) (string, error) {
	var v string
	err := t.tx.QueryRowContext(t.ctx, `SELECT value FROM booking_settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

func (t *btx) Cursor(name string) (int64, error) {
	var v int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT seq FROM projection_cursor WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

func (t *btx) SetCursor(name string, seq int64) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO projection_cursor (name, seq) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET seq = excluded.seq`, name, seq)
	return err
}

func (t *btx) EventsAfter(seq int64, limit int) ([]fleet.Event, error) {
	return queryAll(t.ctx, t.tx, "read events", scanEvent, `SELECT `+eventColumns+` FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, seq, limit)
}

func (t *btx) PutRequest(r fleet.BookingRequestRecord) error {
	body, _ := json.Marshal(r.Data)
	var bid sql.NullInt64
	if r.BookingID != 0 {
		bid = sql.NullInt64{Int64: r.BookingID, Valid: true}
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO booking_requests (device_id, request_id, event_seq, body, status, reason, booking_id, received_us)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (device_id, request_id) DO UPDATE SET status = excluded.status, reason = excluded.reason, booking_id = excluded.booking_id
		WHERE booking_requests.status = 'unconfirmed'`,
		r.DeviceID, r.RequestID, r.EventSeq, body, r.Status, r.Reason, bid, us(r.Received))
	return err
}

func (t *btx) ConfirmRequest(deviceID, requestID string, bookingID int64) error {
	_, err := t.tx.ExecContext(t.ctx, `UPDATE booking_requests SET status = 'confirmed', reason = '', booking_id = ?
		WHERE device_id = ? AND request_id = ? AND status = 'unconfirmed'`, bookingID, deviceID, requestID)
	return err
}

func nullTime(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: us(t), Valid: true}
}

// UpsertTicket merges one ticket event into the ticket's row: the first
// trusted call time is kept (0 marks a call whose time is unknown).
func (t *btx) UpsertTicket(eventType string, r fleet.TicketRow) error {
	var set string
	called := sql.NullInt64{}
	switch wire.EventType(eventType) {
	case wire.EventTicketIssued:
		set = `issued = 1, issued_us = coalesce(queue_tickets.issued_us, excluded.issued_us)`
	case wire.EventTicketCalled:
		called = sql.NullInt64{Int64: us(r.CalledAt), Valid: true} // 0 when the clock was not trusted
		set = `called_us = coalesce(queue_tickets.called_us, excluded.called_us), service = excluded.service`
	case wire.EventTicketServed:
		set = `served = 1, service_s = excluded.service_s, service = excluded.service`
	case wire.EventTicketNoShow:
		set = `no_show = 1`
	default:
		return nil
	}
	var svc sql.NullInt64
	if r.ServiceS >= 0 {
		svc = sql.NullInt64{Int64: int64(r.ServiceS), Valid: true}
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO queue_tickets (device_id, day, ticket, service, contact_point, region,
		issued, issued_us, called_us, served, no_show, service_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (device_id, day, ticket) DO UPDATE SET `+set,
		r.DeviceID, r.Day, r.Ticket, r.Service, r.ContactPoint, r.Region, r.Issued, nullTime(r.IssuedAt), called,
		r.Served, r.NoShow, svc)
	return err
}

func (t *btx) AddRating(r fleet.RatingRow) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO ratings (device_id, event_seq, day, service, score, ticket, contact_point, region)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		r.DeviceID, r.EventSeq, r.Day, r.Service, r.Score, r.Ticket, r.ContactPoint, r.Region)
	return err
}

// PutAdviser implements fleet.BookingStore.
func (s *Store) PutAdviser(ctx context.Context, a fleet.Adviser, now time.Time) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO advisers (id, body, created_us, updated_us) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_us = excluded.updated_us`, a.ID, body, us(now), us(now))
		return err
	})
}

// AddException implements fleet.BookingStore.
func (s *Store) AddException(ctx context.Context, e fleet.Exception) (fleet.Exception, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var ok bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM advisers WHERE id = ?)`, e.AdviserID).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("adviser %s: %w", e.AdviserID, fleet.ErrNotFound)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO adviser_exceptions (adviser_id, kind, from_us, to_us, note, created_us)
			VALUES (?, ?, ?, ?, ?, ?)`, e.AdviserID, e.Kind, us(e.From), us(e.To), e.Note, us(e.Created))
		if err != nil {
			return err
		}
		e.ID, err = res.LastInsertId()
		return err
	})
	return e, err
}

// DeleteException implements fleet.BookingStore.
func (s *Store) DeleteException(ctx context.Context, adviserID string, id int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM adviser_exceptions WHERE adviser_id = ? AND id = ?`, adviserID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("exception %d of %s: %w", id, adviserID, fleet.ErrNotFound)
		}
		return nil
	})
}

// SetCalendarToken implements fleet.BookingStore.
func (s *Store) SetCalendarToken(ctx context.Context, adviserID string, hash [32]byte) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE advisers SET calendar_hash = ? WHERE id = ?`, hash[:], adviserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("adviser %s: %w", adviserID, fleet.ErrNotFound)
		}
		return nil
	})
}

// AdviserByCalendarToken implements fleet.BookingStore.
func (s *Store) AdviserByCalendarToken(ctx context.Context, hash [32]byte) (fleet.Adviser, error) {
	a, err := scanAdviser(s.r.QueryRowContext(ctx, `SELECT body FROM advisers WHERE calendar_hash = ?`, hash[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("calendar: %w", fleet.ErrNotFound)
	}
	return a, err
}

// Requests implements fleet.BookingStore.
func (s *Store) Requests(ctx context.Context, status string, limit int) ([]fleet.BookingRequestRecord, error) {
	if limit <= 0 {
		limit = 500
	}
	return queryAll(ctx, s.r, "list booking requests", func(sc scanner) (fleet.BookingRequestRecord, error) {
		var (
			r    fleet.BookingRequestRecord
			body []byte
			rec  int64
		)
		if err := sc.Scan(&r.DeviceID, &r.RequestID, &r.EventSeq, &body, &r.Status, &r.Reason, &r.BookingID, &rec); err != nil {
			return r, err
		}
		_ = json.Unmarshal(body, &r.Data)
		r.Received = fromUS(rec)
		return r, nil
	}, `SELECT device_id, request_id, event_seq, body, status, reason, coalesce(booking_id, 0), received_us
		FROM booking_requests WHERE ? = '' OR status = ? ORDER BY received_us, event_seq LIMIT ?`, status, status, limit)
}

// SetSetting implements fleet.BookingStore.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO booking_settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
		return err
	})
}

// Categories implements fleet.BookingStore.
func (s *Store) Categories(ctx context.Context) ([]wire.KioskCategory, int64, error) {
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var rev int64
	var v string
	if err := tx.QueryRowContext(ctx, `SELECT value FROM booking_settings WHERE key = 'categories_rev'`).Scan(&v); err == nil {
		rev, _ = strconv.ParseInt(v, 10, 64)
	}
	rows, err := tx.QueryContext(ctx, `SELECT prefix, name, service FROM service_categories ORDER BY position`)
	if err != nil {
		return nil, 0, fmt.Errorf("list categories: %w", err)
	}
	defer rows.Close()
	var out []wire.KioskCategory
	for rows.Next() {
		var c wire.KioskCategory
		if err := rows.Scan(&c.Prefix, &c.Name, &c.Service); err != nil {
			return nil, 0, err
		}
		out = append(out, c)
	}
	return out, rev, rows.Err()
}

// PutCategories implements fleet.BookingStore: the list is replaced and
// its revision bumped in one transaction.
func (s *Store) PutCategories(ctx context.Context, cs []wire.KioskCategory) (int64, error) {
	var rev int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM service_categories`); err != nil {
			return err
		}
		for i, c := range cs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO service_categories (position, prefix, name, service) VALUES (?, ?, ?, ?)`,
				i, c.Prefix, c.Name, c.Service); err != nil {
				return err
			}
		}
		return tx.QueryRowContext(ctx, `INSERT INTO booking_settings (key, value) VALUES ('categories_rev', '1')
			ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) RETURNING CAST(value AS INTEGER)`).Scan(&rev)
	})
	return rev, err
}

// LastEventSeq implements fleet.BookingStore.
func (s *Store) LastEventSeq(ctx context.Context) (int64, error) {
	var v int64
	err := s.r.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM events`).Scan(&v)
	return v, err
}

// ScanTickets implements fleet.BookingStore.
func (s *Store) ScanTickets(ctx context.Context, fromDay, toDay string, fn func(fleet.TicketRow) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT device_id, day, ticket, service, contact_point, region, issued,
		coalesce(issued_us, 0), coalesce(called_us, 0), served, no_show, coalesce(service_s, -1)
		FROM queue_tickets WHERE day >= ? AND day <= ?`, fromDay, toDay)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			r              fleet.TicketRow
			issued, called int64
		)
		if err := rows.Scan(&r.DeviceID, &r.Day, &r.Ticket, &r.Service, &r.ContactPoint, &r.Region, &r.Issued,
			&issued, &called, &r.Served, &r.NoShow, &r.ServiceS); err != nil {
			return err
		}
		r.IssuedAt, r.CalledAt = fromUS(issued), fromUS(called)
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ScanRatings implements fleet.BookingStore.
func (s *Store) ScanRatings(ctx context.Context, fromDay, toDay string, fn func(fleet.RatingRow) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT device_id, event_seq, day, service, score, ticket, contact_point, region
		FROM ratings WHERE day >= ? AND day <= ?`, fromDay, toDay)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r fleet.RatingRow
		if err := rows.Scan(&r.DeviceID, &r.EventSeq, &r.Day, &r.Service, &r.Score, &r.Ticket, &r.ContactPoint, &r.Region); err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}
