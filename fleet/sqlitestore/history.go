package sqlitestore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"time"

	"lawpoint/fleet"
)

// appendPresenceChange adds n (a presence UpdatePresence just stored with
// verdict applied) to the presence history, inside UpdatePresence's
// transaction. at is the observation's receive time (its LastSeen); a
// retained message has none, and then the store's clock stands in (the
// message is written within one batch of its arrival).
func appendPresenceChange(ctx context.Context, tx *sql.Tx, n fleet.Presence, at time.Time) error {
	if at.IsZero() {
		at = time.Now()
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO presence_history (device_id, online, at_us, session) VALUES (?, ?, ?, ?)`,
		n.DeviceID, n.Online, at.UnixMicro(), int64(n.Session))
	return err
}

// regionClause is the devices filter of region (d.region, whole segments
// only, an index range scan); "" with no arguments for all regions.
func regionClause(region string) (string, []any) {
	if region == "" {
		return "", nil
	}
	return ` AND (d.region = ? OR (d.region >= ? AND d.region < ?))`, []any{region, region + "/", region + "0"}
}

// PresenceHistory implements fleet.Store. Both parts are read in one
// transaction, so they are one snapshot. CROSS JOIN keeps the devices as
// the outer loop (index seeks per device); without table statistics SQLite
// would otherwise scan the whole history.
func (s *Store) PresenceHistory(ctx context.Context, from, to time.Time, region string) ([]fleet.PresenceChange, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("presence history: %w", err)
	}
	defer tx.Rollback()
	where, rargs := regionClause(region)
	inPeriod := ` FROM devices d CROSS JOIN presence_history h ON h.device_id = d.id AND h.at_us >= ? AND h.at_us < ? WHERE 1` + where
	pargs := append([]any{from.UnixMicro(), to.UnixMicro()}, rargs...)
	// Counted first (on the index alone): growing the slice row by row
	// allocated five times its final size.
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*)`+inPeriod, pargs...).Scan(&n); err != nil {
		return nil, fmt.Errorf("presence history: %w", err)
	}
	out := make([]fleet.PresenceChange, 0, n+1024)
	read := func(q string, args ...any) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				c       fleet.PresenceChange
				session int64
				at      int64
			)
			if err := rows.Scan(&c.Seq, &c.DeviceID, &c.Online, &session, &at); err != nil {
				return err
			}
			c.Session, c.At = uint64(session), time.UnixMicro(at)
			out = append(out, c)
		}
		return rows.Err()
	}
	// Each device's state at from: its last change before it (an index
	// seek on (device_id, at_us) per device).
	err = read(`SELECT h.id, h.device_id, h.online, h.session, h.at_us FROM devices d
		CROSS JOIN presence_history h ON h.id = (SELECT k.id FROM presence_history k
			WHERE k.device_id = d.id AND k.at_us < ? ORDER BY k.at_us DESC, k.id DESC LIMIT 1)
		WHERE 1`+where, append([]any{from.UnixMicro()}, rargs...)...)
	if err == nil {
		err = read(`SELECT h.id, h.device_id, h.online, h.session, h.at_us`+inPeriod, pargs...)
	}
	if err != nil {
		return nil, fmt.Errorf("presence history: %w", err)
	}
	return groupByDevice(out), nil
}

// groupByDevice orders changes by device ID, then Seq, in linear time (a
// counting sort on the device; a full sort of a million rows by ID took
// longer than reading them). Each device's changes come nearly in Seq order
// (by time from the index), so sorting them is cheap.
func groupByDevice(cs []fleet.PresenceChange) []fleet.PresenceChange {
	// Rank the devices by ID (rows of one device mostly come together).
	rank := map[string]int{}
	for i, c := range cs {
		if i == 0 || c.DeviceID != cs[i-1].DeviceID {
			rank[c.DeviceID] = 0
		}
	}
	ids := slices.Sorted(maps.Keys(rank))
	for i, id := range ids {
		rank[id] = i
	}
	// Count each device's changes, then place them.
	devRank := make([]int, len(cs))
	starts := make([]int, len(ids)+1)
	for i, c := range cs {
		if i > 0 && c.DeviceID == cs[i-1].DeviceID {
			devRank[i] = devRank[i-1]
		} else {
			devRank[i] = rank[c.DeviceID]
		}
		starts[devRank[i]+1]++
	}
	for i := range ids {
		starts[i+1] += starts[i]
	}
	out := make([]fleet.PresenceChange, len(cs))
	next := slices.Clone(starts[:len(ids)])
	for i, c := range cs {
		out[next[devRank[i]]] = c
		next[devRank[i]]++
	}
	bySeq := func(a, b fleet.PresenceChange) int { return cmp.Compare(a.Seq, b.Seq) }
	for i := range ids {
		if seg := out[starts[i]:starts[i+1]]; !slices.IsSortedFunc(seg, bySeq) {
			slices.SortFunc(seg, bySeq)
		}
	}
	return out
}

// PrunePresenceHistory implements fleet.Store. It deletes in chunks, like
// PruneTelemetry, so a large prune never holds the write lock for long.
func (s *Store) PrunePresenceHistory(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		res, err := s.w.ExecContext(ctx, `DELETE FROM presence_history WHERE id IN (
			SELECT h.id FROM devices d CROSS JOIN presence_history h ON h.device_id = d.id AND h.at_us < ?1
			WHERE h.id <> (SELECT k.id FROM presence_history k
				WHERE k.device_id = d.id AND k.at_us < ?1 ORDER BY k.at_us DESC, k.id DESC LIMIT 1)
			LIMIT 5000)`, before.UnixMicro())
		if err != nil {
			return total, fmt.Errorf("prune presence history: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < 5000 {
			return total, nil
		}
	}
}
