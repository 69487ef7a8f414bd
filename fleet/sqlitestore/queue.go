package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"lawpoint/device/wire"
	"lawpoint/fleet"
)

var _ fleet.QueueStore = (*Store)(nil)

// ticketDayExpr is the indexed expression of migration 6: the queue day
// inside a stored event. A query must spell it exactly so for SQLite to use
// the index events_ticket_day.
const ticketDayExpr = `(CASE WHEN json_valid(CAST(payload AS TEXT)) THEN json_extract(CAST(payload AS TEXT), '$.data.day') END)`

// ticketEventsQuery reads one kiosk's ticket events of one day through
// events_ticket_day (its WHERE repeats the index's, so the partial index
// applies); TestTicketEventsUseTheIndex checks the plan.
const ticketEventsQuery = `SELECT type, payload FROM events
	WHERE device_id = ? AND ` + ticketDayExpr + ` = ?
	AND type IN ('ticket.issued', 'ticket.called', 'ticket.served', 'ticket.no_show')
	ORDER BY device_seq, seq`

// TicketEvents implements fleet.QueueStore.
func (s *Store) TicketEvents(ctx context.Context, deviceID, day string) ([]fleet.TicketEvent, error) {
	rows, err := s.r.QueryContext(ctx, ticketEventsQuery, deviceID, day)
	if err != nil {
		return nil, fmt.Errorf("read ticket events of %s on %s: %w", deviceID, day, err)
	}
	defer rows.Close()
	out := []fleet.TicketEvent{}
	for rows.Next() {
		var (
			typ     string
			payload []byte
		)
		if err := rows.Scan(&typ, &payload); err != nil {
			return nil, fmt.Errorf("read ticket events of %s on %s: %w", deviceID, day, err)
		}
		var e wire.Event
		if err := json.Unmarshal(payload, &e); err != nil {
			continue // stored events were checked on arrival; skip one that is not
		}
		d, err := e.DecodeData()
		td, ok := d.(*wire.TicketData)
		if err != nil || !ok {
			continue
		}
		out = append(out, fleet.TicketEvent{Type: wire.EventType(typ), Data: *td})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read ticket events of %s on %s: %w", deviceID, day, err)
	}
	return out, nil
}

// DropOldVersions implements fleet.QueueStore.
func (s *Store) DropOldVersions(ctx context.Context, kind fleet.RecordKind, id string) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM content_records WHERE kind = ? AND id = ?
			AND version < (SELECT max(version) FROM content_records WHERE kind = ? AND id = ?)`,
			string(kind), id, string(kind), id)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("drop old versions of %s %s: %w", kind, id, err)
	}
	return n, nil
}
