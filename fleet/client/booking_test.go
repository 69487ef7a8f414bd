package client_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lawpoint/fleet"
	"lawpoint/fleet/api"
	"lawpoint/fleet/client"
	"lawpoint/fleet/sqlitestore"
)

// TestBookingCommands drives the adviser, booking and figures commands
// against a real API and store.
func TestBookingCommands(t *testing.T) {
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg := fleet.NewRegistry(st)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	bk := fleet.NewBookings(st, log)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	bk.SetClock(func() time.Time { return time.Date(2026, 5, 3, 20, 0, 0, 0, loc) })
	srv := httptest.NewServer(api.New(api.Config{Registry: reg, Bookings: bk, Logger: log}))
	defer srv.Close()
	pw, _ := reg.CreateStaff(t.Context(), "admin", fleet.StaffAdmin)
	tok, _, err := reg.Login(t.Context(), "admin", pw, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		cli := &client.CLI{Out: &out, Err: &errb, Getenv: func(k string) string {
			return map[string]string{"LAWPOINT_URL": srv.URL, "LAWPOINT_TOKEN": tok}[k]
		}, ConfigFile: filepath.Join(t.TempDir(), "c.json")}
		code := cli.Run(t.Context(), args)
		return out.String(), errb.String(), code
	}
	ok := func(want string, args ...string) string {
		t.Helper()
		o, e, code := run(args...)
		if code != 0 || !strings.Contains(o, want) {
			t.Fatalf("%v: %d\n%s\n%s", args, code, o, e)
		}
		return o
	}
	ok("已保存律师 林志明", "adviser", "add", "--id", "lin", "--name", "林志明", "--kind", "lawyer", "--serve", "仙游县/榜头镇", "--service", "consultation")
	ok("09:00-11:00, 14:00-15:00", "adviser", "hours", "lin", "--mon", "09:00-11:00,14:00-15:00", "--tue", "09:00-10:00")
	ok("tue", "adviser", "hours", "lin", "--wed", "08:00-09:00")
	if o := ok("wed", "adviser", "hours", "lin", "--tue", ""); strings.Contains(o, "tue") {
		t.Fatalf("a cleared day is still there:\n%s", o)
	}
	ok("已登记请假", "adviser", "leave", "lin", "--from", "2026-05-04", "--note", "开庭")
	ok("2026-05-05 00:00", "adviser", "leave", "lin", "--from", "2026-05-04")
	ok("已登记加班", "adviser", "leave", "lin", "--from", "2026-05-09T09:00", "--to", "2026-05-09T11:00", "--extra")
	ok("/calendar/cal_", "adviser", "calendar", "lin")
	ok("林志明", "adviser", "list")
	ok("没有预约", "booking", "list", "--day", "2026-05-04")
	ok("没有待确认", "booking", "requests")
	ok("这段时间没有数据", "figures", "--from", "2026-05-01", "--to", "2026-05-04")
	if _, e, code := run("adviser", "hours", "lin", "--mon", "11:00-09:00"); code != 1 || !strings.Contains(e, "hours.mon[0]") || !strings.Contains(e, "工作时间") {
		t.Fatalf("bad hours: %d %s", code, e)
	}
	if _, e, code := run("adviser", "leave", "lin", "--from", "May 4"); code != 1 || !strings.Contains(e, "YYYY-MM-DD") {
		t.Fatalf("bad date: %d %s", code, e)
	}
	if _, _, code := run("adviser", "fly"); code != 2 {
		t.Fatalf("unknown command: %d", code)
	}
}
