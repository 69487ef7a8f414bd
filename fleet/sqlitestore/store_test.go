package sqlitestore

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet"
)

func open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var t0 = time.Date(2025, 12, 4, 9, 0, 0, 0, time.UTC) // National Constitution Day

func dev(id, region string, kind fleet.Kind, tags ...string) fleet.Device {
	return fleet.Device{ID: id, Kind: kind, Model: "Pi 4", Region: region, Tags: tags, ContactPoint: "联系点", Created: t0}
}

func ids(ds []fleet.Device) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.ID)
	}
	return out
}

func TestDeviceRoundTrip(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	in := dev("led-0001", "仙游县/榜头镇/坝下村", fleet.KindLED, "主街", "宪法")
	if err := s.CreateDevice(ctx, in); err != nil {
		t.Fatal(err)
	}
	got, err := s.Device(ctx, "led-0001")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != in.ID || got.Kind != in.Kind || got.Region != in.Region || got.Model != in.Model ||
		got.ContactPoint != in.ContactPoint || !got.Created.Equal(in.Created) || got.IsRevoked() ||
		!slices.Equal(got.Tags, []string{"主街", "宪法"}) {
		t.Fatalf("read back %+v, stored %+v", got, in)
	}
	if err := s.CreateDevice(ctx, in); !errors.Is(err, fleet.ErrExists) {
		t.Fatalf("second create: got %v, want ErrExists", err)
	}
	if _, err := s.Device(ctx, "led-9999"); !errors.Is(err, fleet.ErrNotFound) {
		t.Fatalf("unknown device: got %v, want ErrNotFound", err)
	}
}

func TestDevicesFilter(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	for _, d := range []fleet.Device{
		dev("k-bx-1", "仙游县/榜头镇/坝下村", fleet.KindKiosk, "试点"),
		dev("l-bx-1", "仙游县/榜头镇/坝下村", fleet.KindLED),
		dev("l-bt-1", "仙游县/榜头镇", fleet.KindLED, "主街"),
		dev("l-btw-1", "仙游县/榜头镇外", fleet.KindLED, "主街"), // shares a text prefix, not a segment
		dev("k-gq-1", "仙游县/盖尾镇/前连村", fleet.KindKiosk, "试点"),
		dev("k-old-1", "仙游县/榜头镇/坝下村", fleet.KindKiosk),
	} {
		if err := s.CreateDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RevokeDevice(ctx, "k-old-1", t0); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		f    fleet.Filter
		want []string
	}{
		{"all active", fleet.Filter{}, []string{"k-bx-1", "k-gq-1", "l-bt-1", "l-btw-1", "l-bx-1"}},
		{"with revoked", fleet.Filter{IncludeRevoked: true}, []string{"k-bx-1", "k-gq-1", "k-old-1", "l-bt-1", "l-btw-1", "l-bx-1"}},
		{"township covers villages, not look-alikes", fleet.Filter{Region: "仙游县/榜头镇"}, []string{"k-bx-1", "l-bt-1", "l-bx-1"}},
		{"village", fleet.Filter{Region: "仙游县/榜头镇/坝下村"}, []string{"k-bx-1", "l-bx-1"}},
		{"partial segment matches nothing", fleet.Filter{Region: "仙游县/榜头"}, nil},
		{"county", fleet.Filter{Region: "仙游县"}, []string{"k-bx-1", "k-gq-1", "l-bt-1", "l-btw-1", "l-bx-1"}},
		{"kind", fleet.Filter{Kind: fleet.KindKiosk}, []string{"k-bx-1", "k-gq-1"}},
		{"tag", fleet.Filter{Tag: "主街"}, []string{"l-bt-1", "l-btw-1"}},
		{"tag and region", fleet.Filter{Tag: "试点", Region: "仙游县/盖尾镇"}, []string{"k-gq-1"}},
		{"page 1", fleet.Filter{Limit: 2}, []string{"k-bx-1", "k-gq-1"}},
		{"page 2", fleet.Filter{Limit: 2, After: "k-gq-1"}, []string{"l-bt-1", "l-btw-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Devices(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), tc.want) {
				t.Fatalf("got %v, want %v", ids(got), tc.want)
			}
		})
	}
}

func TestRedeemToken(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	for _, id := range []string{"kiosk-1", "kiosk-2"} {
		if err := s.CreateDevice(ctx, dev(id, "仙游县/榜头镇/坝下村", fleet.KindKiosk)); err != nil {
			t.Fatal(err)
		}
	}
	tok := func(b byte, id string, expires time.Time) [32]byte {
		h := [32]byte{b}
		if err := s.CreateToken(ctx, fleet.Token{Hash: h, DeviceID: id, Created: t0, Expires: expires}); err != nil {
			t.Fatal(err)
		}
		return h
	}
	good := tok(1, "kiosk-1", t0.Add(time.Hour))
	expired := tok(2, "kiosk-1", t0.Add(time.Minute))
	forRevoked := tok(3, "kiosk-2", t0.Add(time.Hour))
	if err := s.RevokeDevice(ctx, "kiosk-2", t0); err != nil {
		t.Fatal(err)
	}
	cred := fleet.Credential{Hash: fleet.HashPassword("pw"), Role: fleet.RoleDevice, Created: t0}
	now := t0.Add(30 * time.Minute)
	for _, tc := range []struct {
		name string
		hash [32]byte
		want error
	}{
		{"first use", good, nil},
		{"second use", good, fleet.ErrTokenUsed},
		{"expired", expired, fleet.ErrTokenExpired},
		{"unknown", [32]byte{9}, fleet.ErrTokenUnknown},
		{"revoked device (token deleted)", forRevoked, fleet.ErrTokenUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := s.RedeemToken(ctx, tc.hash, cred, now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.want == nil && d.ID != "kiosk-1" {
				t.Fatalf("redeemed for %q, want kiosk-1", d.ID)
			}
		})
	}
	c, err := s.Credential(ctx, "kiosk-1")
	if err != nil || c.Role != fleet.RoleDevice || !fleet.VerifyPassword(c.Hash, "pw") {
		t.Fatalf("credential after enrolment: %+v, %v", c, err)
	}
	if _, err := s.Credential(ctx, "kiosk-2"); !errors.Is(err, fleet.ErrNotFound) {
		t.Fatalf("revoked device has a credential: %v", err)
	}
	if err := s.CreateToken(ctx, fleet.Token{Hash: [32]byte{4}, DeviceID: "kiosk-2", Created: t0, Expires: now}); !errors.Is(err, fleet.ErrRevoked) {
		t.Fatalf("token for revoked device: got %v, want ErrRevoked", err)
	}
	if err := s.CreateToken(ctx, fleet.Token{Hash: [32]byte{5}, DeviceID: "nobody", Created: t0, Expires: now}); !errors.Is(err, fleet.ErrNotFound) {
		t.Fatalf("token for unknown device: got %v, want ErrNotFound", err)
	}
}

func TestFleetAccountCannotBeTakenByDevice(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	if err := s.PutCredential(ctx, fleet.Credential{Username: "fleet-1", Hash: fleet.HashPassword("x"), Role: fleet.RoleFleet, Created: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateDevice(ctx, dev("fleet-1", "仙游县", fleet.KindLED)); !errors.Is(err, fleet.ErrExists) {
		t.Fatalf("device named like a fleet account: got %v, want ErrExists", err)
	}
	if err := s.CreateDevice(ctx, dev("led-1", "仙游县", fleet.KindLED)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCredential(ctx, fleet.Credential{Username: "led-1", Hash: "h", Role: fleet.RoleFleet, Created: t0}); !errors.Is(err, fleet.ErrExists) {
		t.Fatalf("fleet account named like a device: got %v, want ErrExists", err)
	}
	cs, err := s.Credentials(ctx)
	if err != nil || len(cs) != 1 || cs[0].Username != "fleet-1" || cs[0].Role != fleet.RoleFleet {
		t.Fatalf("accounts: %+v, %v", cs, err)
	}
}

func TestPresenceSessionRule(t *testing.T) {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	p := func(online bool, session uint64, m int) fleet.Presence {
		return fleet.Presence{DeviceID: "led-1", Online: online, Session: session, LastSeen: at(m)}
	}
	for _, tc := range []struct {
		name    string
		steps   []fleet.Presence
		online  bool
		session uint64
		seen    int // minute of LastSeen
		last    wire.Verdict
	}{
		{"online", []fleet.Presence{p(true, 1, 0)}, true, 1, 0, wire.Applied},
		{"clean offline", []fleet.Presence{p(true, 1, 0), p(false, 1, 5)}, false, 1, 5, wire.Applied},
		{"reconnect", []fleet.Presence{p(true, 1, 0), p(false, 1, 5), p(true, 2, 6)}, true, 2, 6, wire.Applied},
		{"late will of old session ignored", []fleet.Presence{p(true, 1, 0), p(true, 2, 6), p(false, 1, 7)}, true, 2, 6, wire.Stale},
		{"stale online of ended session ignored", []fleet.Presence{p(true, 3, 0), p(false, 3, 5), p(true, 3, 6)}, false, 3, 5, wire.Stale},
		{"newer session offline", []fleet.Presence{p(true, 1, 0), p(false, 2, 5)}, false, 2, 5, wire.Applied},
		{"heartbeat moves last seen", []fleet.Presence{p(true, 4, 0), p(true, 4, 9)}, true, 4, 9, wire.Duplicate},
		{"online of older session is behind", []fleet.Presence{p(true, 4, 0), p(true, 2, 9)}, true, 4, 0, wire.Behind},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			ctx := t.Context()
			if err := s.CreateDevice(ctx, dev("led-1", "仙游县", fleet.KindLED)); err != nil {
				t.Fatal(err)
			}
			vs, err := s.UpdatePresence(ctx, tc.steps)
			if err != nil {
				t.Fatal(err)
			}
			if vs[len(vs)-1] != tc.last {
				t.Errorf("last message: verdict %v, want %v", vs[len(vs)-1], tc.last)
			}
			got, err := s.Presence(ctx, "led-1")
			if err != nil {
				t.Fatal(err)
			}
			if got.Online != tc.online || got.Session != tc.session {
				t.Fatalf("online=%v session=%d, want online=%v session=%d", got.Online, got.Session, tc.online, tc.session)
			}
			if !got.LastSeen.Equal(at(tc.seen)) {
				t.Fatalf("last seen %v, want %v (stale messages do not count)", got.LastSeen, at(tc.seen))
			}
		})
	}
}

func TestPresenceUnknownDeviceSkipped(t *testing.T) {
	s := open(t)
	v, err := s.UpdatePresence(t.Context(), []fleet.Presence{{DeviceID: "ghost", Online: true, Session: 1, LastSeen: t0}})
	if err != nil || len(v) != 1 || v[0] != 0 {
		t.Fatalf("presence for unknown device: verdicts=%v err=%v", v, err)
	}
	if _, err := s.Presence(t.Context(), "ghost"); !errors.Is(err, fleet.ErrNotFound) {
		t.Fatalf("presence stored for unknown device: %v", err)
	}
}

func TestEventsStoredOnce(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	for _, id := range []string{"kiosk-1", "kiosk-2"} {
		if err := s.CreateDevice(ctx, dev(id, "仙游县", fleet.KindKiosk)); err != nil {
			t.Fatal(err)
		}
	}
	ev := func(dev, key string) fleet.Event {
		return fleet.Event{DeviceID: dev, Key: key, Type: "ticket", Payload: []byte(`{"n":1}`), Occurred: t0, Received: t0}
	}
	n, err := s.AddEvents(ctx, []fleet.Event{ev("kiosk-1", "a"), ev("kiosk-1", "b"), ev("kiosk-2", "a")})
	if err != nil || n != 3 {
		t.Fatalf("first batch: n=%d err=%v", n, err)
	}
	// Resent after a reconnect, with one new one and one from an unknown device.
	n, err = s.AddEvents(ctx, []fleet.Event{ev("kiosk-1", "a"), ev("kiosk-1", "b"), ev("kiosk-1", "c"), ev("ghost", "a")})
	if err != nil || n != 1 {
		t.Fatalf("resent batch: n=%d err=%v, want 1 new", n, err)
	}
	es, err := s.Events(ctx, "kiosk-1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range es {
		keys = append(keys, e.Key)
	}
	if !slices.Equal(keys, []string{"a", "b", "c"}) {
		t.Fatalf("kiosk-1 events %v, want [a b c]", keys)
	}
	more, err := s.Events(ctx, "kiosk-1", es[1].Seq, 0)
	if err != nil || len(more) != 1 || more[0].Key != "c" {
		t.Fatalf("events after seq %d: %+v %v", es[1].Seq, more, err)
	}
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "fleet.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateDevice(ctx, dev("led-1", "仙游县", fleet.KindLED)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.SchemaVersion(ctx); err != nil || v != len(migrations) {
		t.Fatalf("schema version %d (%v), want %d", v, err, len(migrations))
	}
	if _, err := s.Device(ctx, "led-1"); err != nil {
		t.Fatal(err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "fleet.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO schema_version VALUES (?, 0)`, len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(ctx, path); err == nil {
		s.Close()
		t.Fatal("a store from a newer version opened; want a refusal that says to run the newer lawpoint-fleet")
	}
}
