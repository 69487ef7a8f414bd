package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet"
)

func historyRows(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.w.QueryContext(t.Context(), `SELECT device_id, online, session, at_us FROM presence_history ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var (
			id          string
			online      bool
			session, at int64
		)
		if err := rows.Scan(&id, &online, &session, &at); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %v/%d +%v", id, online, session, time.UnixMicro(at).Sub(t0)))
	}
	return out
}

// UpdatePresence writes the presence and its history row in one
// transaction: when either write fails, neither is stored, nor anything
// else of the batch.
func TestPresenceHistoryInSameTransaction(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	for _, id := range []string{"kiosk-a", "kiosk-b"} {
		if err := s.CreateDevice(ctx, dev(id, "仙游县/榜头镇/坝下村", fleet.KindKiosk)); err != nil {
			t.Fatal(err)
		}
	}
	batch := []fleet.Presence{
		{DeviceID: "kiosk-a", Online: true, Session: 1, LastSeen: t0},
		{DeviceID: "kiosk-b", Online: true, Session: 1, LastSeen: t0.Add(time.Minute)},
	}
	for _, tc := range []struct{ name, trigger string }{
		{"history row fails", `CREATE TEMP TRIGGER fail BEFORE INSERT ON presence_history WHEN NEW.device_id = 'kiosk-b'
			BEGIN SELECT RAISE(ABORT, 'history refused'); END`},
		{"presence row fails", `CREATE TEMP TRIGGER fail BEFORE INSERT ON presence WHEN NEW.device_id = 'kiosk-b'
			BEGIN SELECT RAISE(ABORT, 'presence refused'); END`},
	} {
		// TEMP triggers live on the one write connection, which UpdatePresence uses.
		if _, err := s.w.ExecContext(ctx, tc.trigger); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdatePresence(ctx, batch); err == nil || !strings.Contains(err.Error(), "refused") {
			t.Fatalf("%s: the batch was stored or failed otherwise: %v", tc.name, err)
		}
		for _, id := range []string{"kiosk-a", "kiosk-b"} {
			if _, err := s.Presence(ctx, id); !errors.Is(err, fleet.ErrNotFound) {
				t.Errorf("%s: %s's presence stored (%v)", tc.name, id, err)
			}
		}
		if h := historyRows(t, s); len(h) != 0 {
			t.Errorf("%s: history %v written without the presence", tc.name, h)
		}
		if _, err := s.w.ExecContext(ctx, `DROP TRIGGER temp.fail`); err != nil {
			t.Fatal(err)
		}
	}
	// Without the trigger both are written: one row per change, none for a
	// duplicate, at the receive time.
	batch = append(batch, fleet.Presence{DeviceID: "kiosk-a", Online: true, Session: 1, LastSeen: t0.Add(2 * time.Minute)},
		fleet.Presence{DeviceID: "kiosk-a", Online: false, Session: 1, LastSeen: t0.Add(3 * time.Minute)})
	vs, err := s.UpdatePresence(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(vs) != "[applied applied duplicate applied]" {
		t.Fatalf("verdicts %v", vs)
	}
	if h := fmt.Sprint(historyRows(t, s)); h != "[kiosk-a true/1 +0s kiosk-b true/1 +1m0s kiosk-a false/1 +3m0s]" {
		t.Errorf("history %s", h)
	}
	if p, err := s.Presence(ctx, "kiosk-a"); err != nil || p.Online {
		t.Errorf("kiosk-a %+v (%v)", p, err)
	}
}

// Migration 9 starts the history with each device's current state, at its
// last change (or, if unknown, when it was last seen).
func TestPresenceHistoryMigrationSeedsCurrentState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fleet.db")
	ctx := t.Context()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"kiosk-a", "kiosk-b", "kiosk-c"} {
		if err := s.CreateDevice(ctx, dev(id, "仙游县/榜头镇/坝下村", fleet.KindKiosk)); err != nil {
			t.Fatal(err)
		}
	}
	// Back to schema 8 with presence rows, as a store before this version,
	// then migration 9 again (run directly: later migrations are applied).
	for _, q := range []string{
		`DROP TABLE presence_history`,
		fmt.Sprintf(`INSERT INTO presence (device_id, online, session, last_seen_us, changed_us) VALUES
			('kiosk-a', 1, 3, %d, %d), ('kiosk-b', 0, 2, %d, 0), ('kiosk-c', 1, 1, 0, 0)`,
			t0.Add(time.Hour).UnixMicro(), t0.UnixMicro(), t0.Add(2*time.Hour).UnixMicro()),
		migrations[8],
	} {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	defer s.Close()
	if h := fmt.Sprint(historyRows(t, s)); h != "[kiosk-a true/3 +0s kiosk-b false/2 +2h0m0s]" {
		t.Errorf("seeded history %s", h)
	}
}

// PresenceHistory: the state at from (the last change before it) and the
// changes in [from, to), of the region's devices only.
func TestPresenceHistoryWindowAndRegion(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	if err := s.CreateDevice(ctx, dev("kiosk-a", "仙游县/榜头镇/坝下村", fleet.KindKiosk)); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateDevice(ctx, dev("kiosk-z", "仙游县/度尾镇/中峰村", fleet.KindKiosk)); err != nil {
		t.Fatal(err)
	}
	var batch []fleet.Presence
	for i := range 6 { // sessions 1..3 online then offline, one hour apart
		batch = append(batch, fleet.Presence{DeviceID: "kiosk-a", Online: i%2 == 0, Session: uint64(i/2 + 1), LastSeen: t0.Add(time.Duration(i) * time.Hour)})
	}
	batch = append(batch, fleet.Presence{DeviceID: "kiosk-z", Online: true, Session: 1, LastSeen: t0})
	if vs, err := s.UpdatePresence(ctx, batch); err != nil || vs[6] != wire.Applied {
		t.Fatal(vs, err)
	}
	got, err := s.PresenceHistory(ctx, t0.Add(150*time.Minute), t0.Add(4*time.Hour), "仙游县/榜头镇")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range got {
		out = append(out, fmt.Sprintf("%s %v/%d +%v", c.DeviceID, c.Online, c.Session, c.At.Sub(t0)))
	}
	if fmt.Sprint(out) != "[kiosk-a true/2 +2h0m0s kiosk-a false/2 +3h0m0s]" {
		t.Errorf("window %v", out)
	}
	if got, _ := s.PresenceHistory(ctx, t0.Add(time.Hour), t0.Add(2*time.Hour), ""); len(got) != 3 || got[2].DeviceID != "kiosk-z" {
		t.Errorf("all regions %+v", got)
	}
}

// BenchmarkPresenceHistoryUptime: the reports' uptime for 10,000 devices
// over 30 days with 4 changes a day (1.2 million rows): the store query and
// the computation.
func BenchmarkPresenceHistoryUptime(b *testing.B) {
	const devices, days = 10_000, 30
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "fleet.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	from := time.Date(2026, 5, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	err = s.tx(ctx, func(tx *sql.Tx) error {
		for i := range devices {
			id := fmt.Sprintf("kiosk-%05d", i)
			if _, err := tx.ExecContext(ctx, `INSERT INTO devices (id, kind, region, created_us) VALUES (?, 'kiosk', ?, ?)`,
				id, fmt.Sprintf("仙游县/镇%02d/村%02d", i%20, i/20%25), from.AddDate(0, 0, -1).UnixMicro()); err != nil {
				return err
			}
			shift := time.Duration(i%60) * time.Minute
			session := 0
			for d := range days + 1 {
				for _, span := range [][2]int{{8, 12}, {14, 18}} {
					session++
					for k, h := range span {
						at := from.AddDate(0, 0, d-1).Add(time.Duration(h)*time.Hour + shift)
						if _, err := tx.ExecContext(ctx, `INSERT INTO presence_history (device_id, online, at_us, session) VALUES (?, ?, ?, ?)`,
							id, k == 0, at.UnixMicro(), session); err != nil {
							return err
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	to := from.AddDate(0, 0, days)
	for b.Loop() {
		rep, err := fleet.Uptime(ctx, s, from, to, "")
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Devices) != devices {
			b.Fatal(len(rep.Devices))
		}
	}
}
