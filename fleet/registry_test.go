package fleet_test

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"lawpoint/fleet"
	"lawpoint/fleet/sqlitestore"
)

func newRegistry(t testing.TB) (*fleet.Registry, *time.Time) {
	t.Helper()
	s, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	r := fleet.NewRegistry(s)
	now := time.Date(2025, 12, 4, 9, 0, 0, 0, time.UTC)
	r.SetClock(func() time.Time { return now })
	return r, &now
}

func TestCreateDeviceChecksInput(t *testing.T) {
	r, _ := newRegistry(t)
	ok := fleet.Device{ID: "led-bt-001", Kind: fleet.KindLED, Region: " 仙游县 / 榜头镇 /坝下村", Tags: []string{"主街", " 宪法 ", "主街", ""}}
	d, err := r.CreateDevice(t.Context(), ok)
	if err != nil {
		t.Fatal(err)
	}
	if d.Region != "仙游县/榜头镇/坝下村" || !slices.Equal(d.Tags, []string{"主街", "宪法"}) || d.Created.IsZero() {
		t.Fatalf("stored %+v; want the region and tags tidied and a creation time", d)
	}
	for _, tc := range []struct {
		name string
		edit func(*fleet.Device)
		want error
		zh   string // part of the message staff see
	}{
		{"duplicate ID", func(d *fleet.Device) {}, fleet.ErrExists, "已存在"},
		{"upper-case ID", func(d *fleet.Device) { d.ID = "LED-1" }, fleet.ErrInvalid, "设备编号"},
		{"ID with slash", func(d *fleet.Device) { d.ID = "led/1" }, fleet.ErrInvalid, "设备编号"},
		{"ID too short", func(d *fleet.Device) { d.ID = "l1" }, fleet.ErrInvalid, "设备编号"},
		{"unknown kind", func(d *fleet.Device) { d.ID, d.Kind = "x-1", "tv" }, fleet.ErrInvalid, "设备类型"},
		{"no region", func(d *fleet.Device) { d.ID, d.Region = "x-2", "" }, fleet.ErrInvalid, "所属区域"},
		{"empty region level", func(d *fleet.Device) { d.ID, d.Region = "x-3", "仙游县//坝下村" }, fleet.ErrInvalid, "空的层级"},
		{"tag with comma", func(d *fleet.Device) { d.ID, d.Tags = "x-4", []string{"a,b"} }, fleet.ErrInvalid, "标签"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := ok
			tc.edit(&d)
			_, err := r.CreateDevice(t.Context(), d)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if msg := fleet.StaffMessage(err); !strings.Contains(msg, tc.zh) {
				t.Fatalf("staff see %q, want it to mention %q", msg, tc.zh)
			}
		})
	}
}

func TestEnrolmentIsOneTime(t *testing.T) {
	r, now := newRegistry(t)
	ctx := t.Context()
	if _, err := r.CreateDevice(ctx, fleet.Device{ID: "kiosk-bx-1", Kind: fleet.KindKiosk, Region: "仙游县/榜头镇/坝下村"}); err != nil {
		t.Fatal(err)
	}
	tok, exp, err := r.CreateToken(ctx, "kiosk-bx-1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(now.Add(fleet.DefaultTokenTTL)) {
		t.Fatalf("token expires %v, want in %v", exp, fleet.DefaultTokenTTL)
	}
	e, err := r.Enrol(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if e.Username != "kiosk-bx-1" || len(e.Password) < 40 || e.Device.Region != "仙游县/榜头镇/坝下村" {
		t.Fatalf("enrolment %+v", e)
	}
	if p, err := r.Authenticate(ctx, e.Username, e.Password); err != nil || p.Role != fleet.RoleDevice {
		t.Fatalf("new credentials do not log in: %+v %v", p, err)
	}
	_, err = r.Enrol(ctx, tok)
	if !errors.Is(err, fleet.ErrTokenUsed) {
		t.Fatalf("second use of a token: got %v, want ErrTokenUsed", err)
	}
	if !strings.Contains(fleet.StaffMessage(err), "已被使用") {
		t.Fatalf("staff message %q does not say the token was used", fleet.StaffMessage(err))
	}
	if !strings.Contains(err.Error(), "new token") {
		t.Fatalf("log message %q does not say what to do", err)
	}

	// The kiosk lost its SD card: staff issue a new token; the old password stops working.
	tok2, _, err := r.CreateToken(ctx, "kiosk-bx-1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	e2, err := r.Enrol(ctx, tok2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Authenticate(ctx, e.Username, e.Password); !errors.Is(err, fleet.ErrBadCredentials) {
		t.Fatalf("old password after re-enrolment: got %v, want ErrBadCredentials", err)
	}
	if _, err := r.Authenticate(ctx, e2.Username, e2.Password); err != nil {
		t.Fatal(err)
	}

	// An expired token.
	tok3, _, err := r.CreateToken(ctx, "kiosk-bx-1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	*now = now.Add(time.Hour)
	if _, err := r.Enrol(ctx, tok3); !errors.Is(err, fleet.ErrTokenExpired) {
		t.Fatalf("expired token: got %v, want ErrTokenExpired", err)
	}
	if _, err := r.Enrol(ctx, "not-a-token"); !errors.Is(err, fleet.ErrTokenUnknown) {
		t.Fatalf("unknown token: got %v, want ErrTokenUnknown", err)
	}
	if _, _, err := r.CreateToken(ctx, "kiosk-nobody", 0); !errors.Is(err, fleet.ErrNotFound) {
		t.Fatalf("token for unknown device: got %v, want ErrNotFound", err)
	}
}

func TestRevokedDeviceCannotLogInOrEnrol(t *testing.T) {
	r, _ := newRegistry(t)
	ctx := t.Context()
	if _, err := r.CreateDevice(ctx, fleet.Device{ID: "led-1", Kind: fleet.KindLED, Region: "仙游县"}); err != nil {
		t.Fatal(err)
	}
	tok, _, _ := r.CreateToken(ctx, "led-1", 0)
	e, err := r.Enrol(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	spare, _, _ := r.CreateToken(ctx, "led-1", 0)
	if err := r.Revoke(ctx, "led-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Authenticate(ctx, "led-1", e.Password); !errors.Is(err, fleet.ErrBadCredentials) {
		t.Fatalf("revoked device logs in: %v", err)
	}
	if _, err := r.Enrol(ctx, spare); err == nil {
		t.Fatal("revoked device enrolled with a token made before the revocation")
	}
	if _, _, err := r.CreateToken(ctx, "led-1", 0); !errors.Is(err, fleet.ErrRevoked) {
		t.Fatalf("token for revoked device: got %v, want ErrRevoked", err)
	}
	d, err := r.Device(ctx, "led-1")
	if err != nil || !d.IsRevoked() {
		t.Fatalf("device after revocation: %+v %v", d, err)
	}
	if err := r.Revoke(ctx, "led-404"); !errors.Is(err, fleet.ErrNotFound) {
		t.Fatalf("revoking unknown device: got %v, want ErrNotFound", err)
	}
}

func TestAuthenticate(t *testing.T) {
	r, _ := newRegistry(t)
	ctx := t.Context()
	if _, err := r.CreateDevice(ctx, fleet.Device{ID: "led-1", Kind: fleet.KindLED, Region: "仙游县"}); err != nil {
		t.Fatal(err)
	}
	tok, _, _ := r.CreateToken(ctx, "led-1", 0)
	e, _ := r.Enrol(ctx, tok)
	fleetPW, err := r.CreateFleetAccount(ctx, "lawpoint_fleet")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, user, pass string
		role             fleet.Role
	}{
		{"device", "led-1", e.Password, fleet.RoleDevice},
		{"fleet", "lawpoint_fleet", fleetPW, fleet.RoleFleet},
		{"wrong password", "led-1", e.Password + "x", ""},
		{"empty password", "led-1", "", ""},
		{"another account's password", "led-1", fleetPW, ""},
		{"unknown user", "led-2", e.Password, ""},
		{"empty user", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := r.Authenticate(ctx, tc.user, tc.pass)
			if tc.role == "" {
				if !errors.Is(err, fleet.ErrBadCredentials) {
					t.Fatalf("got %+v %v, want ErrBadCredentials", p, err)
				}
				return
			}
			if err != nil || p.Role != tc.role || p.Username != tc.user {
				t.Fatalf("got %+v %v, want role %s", p, err, tc.role)
			}
		})
	}
	if _, err := r.CreateFleetAccount(ctx, "led-2"); err == nil {
		t.Fatal("a fleet account named like a device ID was created")
	}
}

func TestDevicesByRegion(t *testing.T) {
	r, _ := newRegistry(t)
	ctx := t.Context()
	for _, d := range []fleet.Device{
		{ID: "a-1", Kind: fleet.KindLED, Region: "仙游县/榜头镇/坝下村"},
		{ID: "a-2", Kind: fleet.KindKiosk, Region: "仙游县/榜头镇"},
		{ID: "a-3", Kind: fleet.KindKiosk, Region: "仙游县/榜头镇外"},
	} {
		if _, err := r.CreateDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		region string
		want   []string
	}{
		{"仙游县/榜头镇", []string{"a-1", "a-2"}},
		{" 仙游县 / 榜头镇/ ", []string{"a-1", "a-2"}},
		{"仙游县/榜头", nil},
	} {
		ds, err := r.Devices(ctx, fleet.Filter{Region: tc.region})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range ds {
			got = append(got, d.ID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("region %q: got %v, want %v", tc.region, got, tc.want)
		}
	}
	if _, err := r.Devices(ctx, fleet.Filter{Kind: "tv"}); !errors.Is(err, fleet.ErrInvalid) {
		t.Fatalf("unknown kind filter: got %v, want ErrInvalid", err)
	}
}

func TestPasswordHashIsMosquittoSHA512(t *testing.T) {
	h := fleet.HashPassword("secret")
	if !strings.HasPrefix(h, "$6$") || strings.Count(h, "$") != 3 {
		t.Fatalf("hash %q is not in Mosquitto's $6$salt$hash form", h)
	}
	if !fleet.VerifyPassword(h, "secret") || fleet.VerifyPassword(h, "Secret") || fleet.VerifyPassword("garbage", "secret") {
		t.Fatal("VerifyPassword disagrees with HashPassword")
	}
	if fleet.HashPassword("secret") == h {
		t.Fatal("two hashes of one password are equal: the salt is missing")
	}
}

func TestStaffAccount(t *testing.T) {
	r, _ := newRegistry(t)
	ctx := t.Context()
	pw, err := r.CreateStaff(ctx, "admin", fleet.StaffAdmin)
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.Store().Staff(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(st.Hash, "pbkdf2-sha256$") || !fleet.VerifyStaffPassword(st.Hash, pw) || fleet.VerifyStaffPassword(st.Hash, pw+"x") {
		t.Fatalf("staff password does not verify against its stored hash %q", st.Hash)
	}
	if _, err := r.CreateStaff(ctx, "admin", fleet.StaffAdmin); !errors.Is(err, fleet.ErrExists) {
		t.Fatalf("second admin with the same name: got %v, want ErrExists", err)
	}
}
