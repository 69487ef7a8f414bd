package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"lawpoint/content"
	"lawpoint/device/wire"
	"lawpoint/fleet"
	"lawpoint/fleet/api"
	"lawpoint/fleet/sqlitestore"
)

// The two townships of the tests and the staff password.
var (
	townBT  = "仙游县/榜头镇"
	townDW  = "仙游县/度尾镇"
	villBT  = townBT + "/坝下村"
	villDW  = townDW + "/中峰村"
	staffPW = "correct horse 7"
	expiry  = time.Now().Add(2 * time.Hour).Truncate(time.Second) // a notice's expiry; not asserted
)

// quickHash is a PBKDF2 hash with few iterations, so tests sign in fast
// (VerifyStaffPassword reads the work factor from the hash).
func quickHash(pw string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key, _ := pbkdf2.Key(sha256.New, pw, salt, 1000, 32)
	return fmt.Sprintf("pbkdf2-sha256$1000$%s$%s", base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

type nopBus struct{}

func (nopBus) Publish(context.Context, string, []byte, byte, bool) error    { return nil }
func (nopBus) Subscribe(context.Context, string, byte, fleet.Handler) error { return nil }

// townships is the whole API (library, distributor, dispatcher, bookings)
// on a real SQLite store, with an administrator ("admin"), a township
// operator of 榜头镇 ("bangtou") and a viewer ("viewer"), and devices,
// content, schedules, notices, advisers and bookings in 榜头镇 and 度尾镇.
type townships struct {
	*county
	api    *api.Server
	lib    *fleet.Library
	disp   *fleet.Dispatcher
	tokens map[string]string
	cmdDW  string // a screenshot command of led-dw, with its picture
	excDW  int64  // a leave of adviser wu (度尾镇)
	bookDW string // a booking made at kiosk-dw (度尾镇)
	bookBT string // a booking made at kiosk-bt (榜头镇)
	cats   wire.KioskCategories
}

func newTownships(t *testing.T) *townships {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	st, err := sqlitestore.Open(ctx, filepath.Join(dir, "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := fleet.NewBlobs(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c := &townships{county: &county{t: t, st: st, reg: fleet.NewRegistry(st), pw: map[string]string{}, now: at("2026-05-03", "20:00")},
		lib: fleet.NewLibrary(st, blobs), disp: fleet.NewDispatcher(st, nopBus{}, log), tokens: map[string]string{}}
	c.bk = fleet.NewBookings(st, log)
	c.bk.SetClock(c.clock)
	c.api = api.New(api.Config{Registry: c.reg, Library: c.lib, Distributor: fleet.NewDistributor(st, nopBus{}, key, log),
		Dispatcher: c.disp, Bookings: c.bk, Logger: log})
	c.srv = httptest.NewServer(c.api)
	t.Cleanup(func() {
		c.srv.Close()
		st.Close()
	})
	for _, a := range []fleet.Account{
		{Username: "admin", Role: fleet.StaffAdmin},
		{Username: "bangtou", Role: fleet.StaffOperator, Township: townBT},
		{Username: "viewer", Role: fleet.StaffViewer},
	} {
		a.Hash, a.Created = quickHash(staffPW), time.Now()
		if err := st.CreateAccount(ctx, a, fleet.AuditEntry{Actor: "test", Action: fleet.AuditAccount, Target: a.Username, Outcome: fleet.OutcomeOK}); err != nil {
			t.Fatal(err)
		}
		c.tokens[a.Username] = c.login(a.Username)
	}
	c.token = c.tokens["admin"]

	for _, d := range []fleet.Device{
		{ID: "led-bt", Kind: fleet.KindLED, Region: villBT},
		{ID: "led-dw", Kind: fleet.KindLED, Region: villDW},
		{ID: "led-dw2", Kind: fleet.KindLED, Region: villDW},
	} {
		if _, err := c.reg.CreateDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	c.kiosk("kiosk-bt", villBT, "坝下村联系点")
	c.kiosk("kiosk-dw", villDW, "中峰村联系点")

	cmd, err := c.disp.Create(ctx, "admin", "led-dw", wire.CmdScreenshot, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var pic bytes.Buffer
	_ = png.Encode(&pic, image.NewGray(image.Rect(0, 0, 4, 2)))
	sum, err := blobs.PutBytes(pic.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AttachScreenshot(ctx, "led-dw", cmd.ID, sum); err != nil {
		t.Fatal(err)
	}
	c.cmdDW = cmd.ID

	c.must("", "POST", "/api/content", api.ContentRequest{
		Items:      []content.Item{{ID: "county-item", Kind: content.KindText, Text: &content.Text{Body: "学法用法"}}},
		Programmes: []content.Programme{{ID: "p-county", Entries: []content.Entry{{ItemID: "county-item", Seconds: 10}}}},
	}, nil)
	for id, regions := range map[string][]string{"sched-bt": {townBT}, "sched-dw": {townDW}, "sched-dw2": {townDW}, "sched-county": {"仙游县"}} {
		c.must("", "POST", "/api/schedules", schedule(id, regions...), nil)
	}
	for id, region := range map[string]string{"notice-bt": townBT, "notice-dw": townDW} {
		c.must("", "POST", "/api/notices", content.Notice{ID: id, Text: "暴雨预警", Regions: []string{region}, Expiry: expiry}, nil)
	}
	c.advisers() // lin serves 榜头镇, chen is 坝下村's own
	c.must("", "PUT", "/api/advisers/wu-wenhua", wuAdviser(), nil)
	var exc fleet.Exception
	c.must("", "POST", "/api/advisers/wu-wenhua/exceptions", api.ExceptionRequest{Kind: "off", From: at("2026-05-05", "00:00"), To: at("2026-05-05", "12:00")}, &exc)
	c.excDW = exc.ID
	var kb wire.KioskBooking
	c.must("kiosk-dw", "POST", "/api/kiosk/bookings", book("dw-1", "wu-wenhua", at("2026-05-04", "09:00"), "13800000001"), &kb)
	c.bookDW = kb.Code
	c.must("kiosk-bt", "POST", "/api/kiosk/bookings", book("bt-1", "lin", at("2026-05-04", "09:00"), "13800000002"), &kb)
	c.bookBT = kb.Code
	c.must("", "GET", "/api/categories", nil, &c.cats)
	return c
}

func (c *townships) login(user string) string {
	c.t.Helper()
	tok, _, err := c.reg.Login(c.t.Context(), user, staffPW, time.Hour)
	if err != nil {
		c.t.Fatal(err)
	}
	return tok
}

func schedule(id string, regions ...string) content.Schedule {
	return content.Schedule{ID: id, ProgrammeID: "p-county", Priority: 10, Always: true, Target: content.Target{Regions: regions}}
}

func wuAdviser() fleet.Adviser {
	return fleet.Adviser{Name: "吴文华", Kind: fleet.AdviserLawyer, Serves: []string{townDW}, Services: []string{"consultation"}, Active: true,
		SlotMinutes: 30, HorizonDays: 14, Hours: map[string][]string{"mon": {"09:00-11:00"}}}
}

// as sends a request with user's bearer token (a []byte body is sent as
// it is, anything else as JSON) and decodes a 2xx answer into out.
func (c *townships) as(user, method, path string, body, out any) (int, []byte) {
	c.t.Helper()
	return c.withToken(c.tokens[user], method, path, body, out)
}

func (c *townships) withToken(tok, method, path string, body, out any) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, c.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode < 300 && out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return resp.StatusCode, raw
}

// denied returns the audit rows refusing user's "METHOD path".
func (c *townships) denied(user, method, path string) []fleet.AuditEntry {
	c.t.Helper()
	rows, err := c.st.AuditLog(c.t.Context(), fleet.AuditFilter{Actor: user, Action: fleet.AuditDenied, Target: method + " " + path, Limit: 100})
	if err != nil {
		c.t.Fatal(err)
	}
	return rows
}

// mustDeny checks a 403 with a Chinese message and exactly one new audit
// row for it ("METHOD path", without the query), in region.
func (c *townships) mustDeny(user, method, target string, body any, region string) {
	c.t.Helper()
	path, _, _ := strings.Cut(target, "?")
	before := len(c.denied(user, method, path))
	code, raw := c.as(user, method, target, body, nil)
	var eb api.ErrorBody
	_ = json.Unmarshal(raw, &eb)
	if code != http.StatusForbidden || eb.Code != "forbidden" || !hasHan(eb.Message) {
		c.t.Fatalf("%s %s %s: %d %s, want 403 forbidden with a Chinese message", user, method, path, code, raw)
	}
	rows := c.denied(user, method, path)
	if len(rows) != before+1 || rows[0].Outcome != fleet.OutcomeDenied || rows[0].Region != region || rows[0].Summary != eb.Message {
		c.t.Fatalf("%s %s %s: audit rows %+v, want one more denied row in region %q saying %q", user, method, path, rows, region, eb.Message)
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

// An operator of 榜头镇 reads their own devices and is refused (403,
// audited with the device's region) every read of a 度尾镇 device; their
// device list, region filter and status counts are their township's.
func TestOperatorSeesOnlyTheirTownshipsDevices(t *testing.T) {
	c := newTownships(t)
	var list struct {
		Devices []api.DeviceView `json:"devices"`
	}
	c.as("bangtou", "GET", "/api/devices", nil, &list)
	var ids []string
	for _, d := range list.Devices {
		ids = append(ids, d.ID)
	}
	if !slices.Equal(ids, []string{"kiosk-bt", "led-bt"}) {
		t.Fatalf("the operator's device list: %v, want only 榜头镇's kiosk-bt and led-bt", ids)
	}
	c.as("admin", "GET", "/api/devices", nil, &list)
	if len(list.Devices) != 5 {
		t.Fatalf("the administrator's device list has %d devices, want all 5", len(list.Devices))
	}
	c.mustDeny("bangtou", "GET", "/api/devices?region="+townDW, nil, townDW)

	var d api.DeviceDetail
	if code, raw := c.as("bangtou", "GET", "/api/devices/led-bt", nil, &d); code != http.StatusOK || d.ID != "led-bt" {
		t.Fatalf("the operator's own device: %d %s", code, raw)
	}
	if code, raw := c.as("bangtou", "POST", "/api/devices/led-bt/commands", api.CommandRequest{Kind: "ping"}, nil); code != http.StatusCreated {
		t.Fatalf("a ping to the operator's own board: %d %s", code, raw)
	}
	for _, p := range []string{"/api/devices/led-dw", "/api/devices/led-dw/commands", "/api/devices/led-dw/commands/" + c.cmdDW,
		"/api/devices/led-dw/telemetry", "/api/devices/led-dw/events", "/api/devices/led-dw/screenshots/" + c.cmdDW} {
		c.mustDeny("bangtou", "GET", p, nil, villDW)
	}
	c.mustDeny("bangtou", "POST", "/api/devices/led-dw/commands", api.CommandRequest{Kind: "reboot"}, villDW)
	c.mustDeny("bangtou", "PUT", "/api/devices/led-dw/settings", fleet.DefaultSettings, villDW)
	cs, err := c.st.Commands(t.Context(), "led-dw", 10)
	if err != nil || len(cs) != 1 {
		t.Fatalf("commands of led-dw after the refused reboot: %v %v, want only the screenshot", cs, err)
	}

	var st api.Status
	c.as("bangtou", "GET", "/api/status", nil, &st)
	if st.Devices != 2 {
		t.Fatalf("the operator's status counts %d devices, want 榜头镇's 2", st.Devices)
	}
	c.as("viewer", "GET", "/api/status", nil, &st)
	if st.Devices != 5 {
		t.Fatalf("the viewer's status counts %d devices, want 5", st.Devices)
	}
}

// An operator's schedule for their township becomes a pending draft in the
// console's draft table (202, not published); one for another township is
// 403 and nothing is drafted; their list shows the schedules touching
// their township; an administrator's schedule is published as before.
func TestOperatorSchedulesAreDrafts(t *testing.T) {
	c := newTownships(t)
	var cr api.CheckResponse
	code, raw := c.as("bangtou", "POST", "/api/schedules", schedule("bt-week", villBT), &cr)
	if code != http.StatusAccepted || cr.Stored || cr.DraftID == 0 {
		t.Fatalf("the operator's schedule for 坝下村: %d %s, want 202 with a draft ID and stored false", code, raw)
	}
	ds := fleet.DraftStore(c.st)
	drafts, err := ds.Drafts(t.Context(), fleet.DraftPending)
	if err != nil {
		t.Fatal(err)
	}
	if len(drafts) != 1 || drafts[0].ID != cr.DraftID || drafts[0].ScheduleID != "bt-week" || drafts[0].Author != "bangtou" || drafts[0].Township != townBT {
		t.Fatalf("pending drafts %+v, want the operator's bt-week", drafts)
	}
	var got content.Schedule
	if err := json.Unmarshal(drafts[0].Body, &got); err != nil || !slices.Equal(got.Target.Regions, []string{villBT}) || got.ProgrammeID != "p-county" {
		t.Fatalf("the draft's schedule %s: %v", drafts[0].Body, err)
	}
	if _, ok := c.scheduleIDs("admin")["bt-week"]; ok {
		t.Fatal("the operator's draft was published")
	}
	rows, _ := c.st.AuditLog(t.Context(), fleet.AuditFilter{Actor: "bangtou", Action: fleet.AuditSchedule})
	if len(rows) != 1 || rows[0].Target != "bt-week" || !strings.Contains(rows[0].Summary, "草稿") {
		t.Fatalf("audit rows of the draft: %+v", rows)
	}

	c.mustDeny("bangtou", "POST", "/api/schedules", schedule("dw-week", townDW), townDW)
	c.mustDeny("bangtou", "POST", "/api/schedules", schedule("both", villBT, townDW), villBT+","+townDW)
	c.mustDeny("bangtou", "POST", "/api/schedules/check", schedule("dw-week", townDW), townDW)
	// Changing a county schedule that merely covers the township is not
	// the operator's either, even with a target inside it.
	c.mustDeny("bangtou", "POST", "/api/schedules", schedule("sched-county", villBT), "仙游县")
	c.mustDeny("bangtou", "DELETE", "/api/schedules/sched-bt", nil, townBT)
	if drafts, _ = ds.Drafts(t.Context(), ""); len(drafts) != 1 {
		t.Fatalf("drafts after refusals: %+v, want only bt-week", drafts)
	}

	seen := c.scheduleIDs("bangtou")
	for _, want := range []string{"sched-bt", "sched-county"} {
		if _, ok := seen[want]; !ok {
			t.Errorf("the operator's schedule list lacks %s: %v", want, seen)
		}
	}
	if _, ok := seen["sched-dw"]; ok {
		t.Errorf("the operator's schedule list shows 度尾镇's sched-dw: %v", seen)
	}
	if n := len(c.scheduleIDs("viewer")); n != 4 {
		t.Errorf("the viewer sees %d schedules, want 4", n)
	}

	var pub api.CheckResponse
	code, raw = c.as("admin", "POST", "/api/schedules", schedule("dw-week", townDW), &pub)
	if code != http.StatusCreated || !pub.Stored || pub.DraftID != 0 {
		t.Fatalf("the administrator's schedule: %d %s", code, raw)
	}
	if _, ok := c.scheduleIDs("admin")["dw-week"]; !ok {
		t.Fatal("the administrator's schedule is not published")
	}
}

func (c *townships) scheduleIDs(user string) map[string]bool {
	c.t.Helper()
	var out struct {
		Schedules []content.Schedule `json:"schedules"`
	}
	if code, raw := c.as(user, "GET", "/api/schedules", nil, &out); code != http.StatusOK {
		c.t.Fatalf("%s lists schedules: %d %s", user, code, raw)
	}
	ids := map[string]bool{}
	for _, s := range out.Schedules {
		ids[s.ID] = true
	}
	return ids
}

// An operator adds new items and changes their own, never the county's
// items nor the fallbacks; a refused batch stores nothing of it.
func TestOperatorContentRules(t *testing.T) {
	c := newTownships(t)
	mine := content.Item{ID: "bt-notice", Kind: content.KindText, Text: &content.Text{Body: "榜头镇普法"}}
	if code, raw := c.as("bangtou", "POST", "/api/content", api.ContentRequest{Items: []content.Item{mine}}, nil); code != http.StatusCreated {
		t.Fatalf("the operator's new item: %d %s", code, raw)
	}
	mine.Text.Body = "榜头镇普法（更新）"
	if code, raw := c.as("bangtou", "POST", "/api/content", api.ContentRequest{Items: []content.Item{mine}}, nil); code != http.StatusCreated {
		t.Fatalf("the operator changing their own item: %d %s", code, raw)
	}
	county := content.Item{ID: "county-item", Kind: content.KindText, Text: &content.Text{Body: "改掉县里的内容"}}
	fresh := content.Item{ID: "bt-new", Kind: content.KindText, Text: &content.Text{Body: "新内容"}}
	c.mustDeny("bangtou", "POST", "/api/content", api.ContentRequest{Items: []content.Item{fresh, county}}, townBT)
	c.mustDeny("bangtou", "POST", "/api/content", api.ContentRequest{Programmes: []content.Programme{{ID: "p-county",
		Entries: []content.Entry{{ItemID: "bt-notice", Seconds: 5}}}}}, townBT)
	c.mustDeny("bangtou", "POST", "/api/content", api.ContentRequest{Fallbacks: map[string]string{"led": "p-county"}}, townBT)
	var set api.ContentView
	c.as("bangtou", "GET", "/api/content", nil, &set)
	bodies := map[string]string{}
	for _, it := range set.Items {
		if it.Text != nil {
			bodies[it.ID] = it.Text.Body
		}
	}
	if bodies["county-item"] != "学法用法" || bodies["bt-notice"] != "榜头镇普法（更新）" || bodies["bt-new"] != "" || len(set.Fallbacks) != 0 {
		t.Fatalf("content after the refusals: %v, fallbacks %v", bodies, set.Fallbacks)
	}
}

// Notices, advisers and bookings follow the console: lists scoped to the
// operator's township, changes only where every region is theirs, phone
// numbers only with the phone permission.
func TestOperatorNoticesAdvisersBookings(t *testing.T) {
	c := newTownships(t)
	var ns struct {
		Notices []content.Notice `json:"notices"`
	}
	c.as("bangtou", "GET", "/api/notices", nil, &ns)
	if len(ns.Notices) != 1 || ns.Notices[0].ID != "notice-bt" {
		t.Fatalf("the operator's notices: %+v, want only notice-bt", ns.Notices)
	}
	c.mustDeny("bangtou", "POST", "/api/notices", content.Notice{ID: "n-dw", Text: "停电通知", Regions: []string{villDW}, Expiry: expiry}, villDW)
	c.mustDeny("bangtou", "POST", "/api/notices/notice-dw/withdraw", nil, townDW)
	if code, raw := c.as("bangtou", "POST", "/api/notices", content.Notice{ID: "n-bt", Text: "停电通知", Regions: []string{villBT}, Expiry: expiry}, nil); code != http.StatusCreated {
		t.Fatalf("the operator's notice for 坝下村: %d %s", code, raw)
	}
	if code, raw := c.as("bangtou", "POST", "/api/notices/notice-bt/withdraw", nil, nil); code != http.StatusOK {
		t.Fatalf("the operator withdrawing their township's notice: %d %s", code, raw)
	}

	var as struct {
		Advisers []fleet.Adviser `json:"advisers"`
	}
	c.as("bangtou", "GET", "/api/advisers", nil, &as)
	var names []string
	for _, a := range as.Advisers {
		names = append(names, a.ID)
	}
	sort.Strings(names)
	if !slices.Equal(names, []string{"chen", "lin"}) {
		t.Fatalf("the operator's advisers: %v, want chen and lin", names)
	}
	wu := wuAdviser()
	wu.Serves = []string{villBT}
	c.mustDeny("bangtou", "PUT", "/api/advisers/wu-wenhua", wu, townDW)
	lin := fleet.Adviser{Name: "林志明", Kind: fleet.AdviserLawyer, Serves: []string{townBT, townDW}, Services: []string{"consultation"}, Active: true,
		SlotMinutes: 30, HorizonDays: 14, Hours: map[string][]string{"mon": {"09:00-11:00"}}}
	c.mustDeny("bangtou", "PUT", "/api/advisers/lin", lin, townBT+","+townDW)
	lin.Serves = []string{townBT}
	if code, raw := c.as("bangtou", "PUT", "/api/advisers/lin", lin, nil); code != http.StatusOK {
		t.Fatalf("the operator changing their township's adviser: %d %s", code, raw)
	}
	// A new adviser: inside the township, as in the console; county-wide
	// or across townships, the county's.
	if code, raw := c.as("bangtou", "PUT", "/api/advisers/new-one", lin, nil); code != http.StatusOK {
		t.Fatalf("the operator adding an adviser for their township: %d %s", code, raw)
	}
	county := lin
	county.Serves = nil
	c.mustDeny("bangtou", "PUT", "/api/advisers/new-county", county, "")
	county.Serves = []string{townBT, townDW}
	c.mustDeny("bangtou", "PUT", "/api/advisers/new-two", county, townBT+","+townDW)

	var bs struct {
		Bookings []api.BookingView `json:"bookings"`
	}
	c.as("bangtou", "GET", "/api/bookings?day=2026-05-04", nil, &bs)
	if len(bs.Bookings) != 1 || bs.Bookings[0].Code != c.bookBT || !bs.Bookings[0].Masked {
		t.Fatalf("the operator's bookings: %+v, want only %s, masked", bs.Bookings, c.bookBT)
	}
	// Operators may call their own township's villagers back (PermPhone);
	// viewers may not.
	c.as("bangtou", "GET", "/api/bookings?day=2026-05-04&phone=1", nil, &bs)
	if len(bs.Bookings) != 1 || bs.Bookings[0].Masked || bs.Bookings[0].Phone != "13800000002" {
		t.Fatalf("the operator's bookings with phone=1: %+v, want only %s, unmasked", bs.Bookings, c.bookBT)
	}
	shown, _ := c.st.AuditLog(t.Context(), fleet.AuditFilter{Actor: "bangtou", Action: fleet.AuditShowPersonal})
	if len(shown) != 1 || shown[0].Target != "GET /api/bookings" || shown[0].Region != townBT || strings.Contains(shown[0].Summary, "13800000002") {
		t.Fatalf("audit rows of the shown numbers: %+v", shown)
	}
	c.mustDeny("viewer", "GET", "/api/bookings?day=2026-05-04&phone=1", nil, "")
	c.mustDeny("viewer", "GET", "/api/bookings/requests?phone=1", nil, "")
	c.mustDeny("bangtou", "GET", "/api/bookings?day=2026-05-04&region="+townDW, nil, townDW)
	c.mustDeny("bangtou", "POST", "/api/bookings/"+c.bookDW+"/cancel", nil, villDW)
	c.as("admin", "GET", "/api/bookings?day=2026-05-04&phone=1", nil, &bs)
	if len(bs.Bookings) != 2 || bs.Bookings[0].Masked || bs.Bookings[0].Status != wire.BookingConfirmed || bs.Bookings[1].Status != wire.BookingConfirmed {
		t.Fatalf("the administrator's bookings after the refusals: %+v", bs.Bookings)
	}
}

// route is one staff route of the table: a request that reaches a 度尾镇
// object (outside the operator's township) and the status each role gets.
type route struct {
	pattern, method, path string
	body                  func(c *townships) any
	admin, operator, view int
	fresh                 bool // sent with a fresh token (logout ends it)
}

func staffRoutes(c *townships) []route {
	ok, created, no := http.StatusOK, http.StatusCreated, http.StatusForbidden
	nobody := func(*townships) any { return nil }
	body := func(v any) func(*townships) any { return func(*townships) any { return v } }
	dwSched := schedule("dw-new", townDW)
	return []route{
		{"POST /api/logout", "POST", "/api/logout", nobody, ok, ok, ok, true},
		{"GET /api/devices", "GET", "/api/devices", nobody, ok, ok, ok, false},
		{"POST /api/devices", "POST", "/api/devices", body(api.CreateDeviceRequest{ID: "led-new", Kind: "led", Region: villDW}), created, no, no, false},
		{"GET /api/devices/{id}", "GET", "/api/devices/led-dw", nobody, ok, no, ok, false},
		{"POST /api/devices/{id}/token", "POST", "/api/devices/led-dw/token", nobody, created, no, no, false},
		{"POST /api/devices/{id}/revoke", "POST", "/api/devices/led-dw2/revoke", nobody, ok, no, no, false},
		{"PUT /api/devices/{id}/settings", "PUT", "/api/devices/led-dw/settings", body(fleet.DefaultSettings), ok, no, no, false},
		{"PUT /api/devices/{id}/board", "PUT", "/api/devices/led-dw/board", body(fleet.Board{Controller: "bx-5k1", Width: 64, Height: 16}), ok, no, no, false},
		{"GET /api/devices/{id}/commands", "GET", "/api/devices/led-dw/commands", nobody, ok, no, ok, false},
		{"POST /api/devices/{id}/commands", "POST", "/api/devices/led-dw/commands", body(api.CommandRequest{Kind: "ping"}), created, no, no, false},
		{"GET /api/devices/{id}/commands/{cmd}", "GET", "/api/devices/led-dw/commands/" + c.cmdDW, nobody, ok, no, ok, false},
		{"GET /api/devices/{id}/events", "GET", "/api/devices/led-dw/events", nobody, ok, no, ok, false},
		{"GET /api/devices/{id}/telemetry", "GET", "/api/devices/led-dw/telemetry", nobody, ok, no, ok, false},
		{"GET /api/devices/{id}/screenshots/{cmd}", "GET", "/api/devices/led-dw/screenshots/" + c.cmdDW, nobody, ok, no, ok, false},
		{"GET /api/content", "GET", "/api/content", nobody, ok, ok, ok, false},
		{"POST /api/content", "POST", "/api/content", body(api.ContentRequest{Items: []content.Item{{ID: "county-item", Kind: content.KindText,
			Text: &content.Text{Body: "学法用法，第二版"}}}}), created, no, no, false},
		{"POST /api/content/blobs", "POST", "/api/content/blobs", body([]byte("bytes of a picture")), created, created, no, false},
		{"GET /api/schedules", "GET", "/api/schedules", nobody, ok, ok, ok, false},
		{"POST /api/schedules", "POST", "/api/schedules", body(dwSched), created, no, no, false},
		{"POST /api/schedules/check", "POST", "/api/schedules/check", body(dwSched), ok, no, no, false},
		{"DELETE /api/schedules/{id}", "DELETE", "/api/schedules/sched-dw2", nobody, ok, no, no, false},
		{"GET /api/notices", "GET", "/api/notices", nobody, ok, ok, ok, false},
		{"POST /api/notices", "POST", "/api/notices", body(content.Notice{ID: "n-new", Text: "暴雨预警", Regions: []string{townDW}, Expiry: expiry}), created, no, no, false},
		{"POST /api/notices/{id}/withdraw", "POST", "/api/notices/notice-dw/withdraw", nobody, ok, no, no, false},
		{"GET /api/status", "GET", "/api/status", nobody, ok, ok, ok, false},
		{"GET /api/advisers", "GET", "/api/advisers", nobody, ok, ok, ok, false},
		{"GET /api/advisers/{id}", "GET", "/api/advisers/wu-wenhua", nobody, ok, no, ok, false},
		{"PUT /api/advisers/{id}", "PUT", "/api/advisers/wu-wenhua", body(wuAdviser()), ok, no, no, false},
		{"POST /api/advisers/{id}/exceptions", "POST", "/api/advisers/wu-wenhua/exceptions", body(api.ExceptionRequest{Kind: "off",
			From: at("2026-05-06", "00:00"), To: at("2026-05-06", "12:00")}), created, no, no, false},
		{"DELETE /api/advisers/{id}/exceptions/{eid}", "DELETE", fmt.Sprintf("/api/advisers/wu-wenhua/exceptions/%d", c.excDW), nobody, ok, no, no, false},
		{"POST /api/advisers/{id}/calendar", "POST", "/api/advisers/wu-wenhua/calendar", nobody, created, no, no, false},
		{"GET /api/bookings", "GET", "/api/bookings?day=2026-05-04", nobody, ok, ok, ok, false},
		{"GET /api/bookings/requests", "GET", "/api/bookings/requests", nobody, ok, ok, ok, false},
		{"POST /api/bookings/{code}/cancel", "POST", "/api/bookings/" + c.bookDW + "/cancel", nobody, ok, no, no, false},
		{"GET /api/booking/settings", "GET", "/api/booking/settings", nobody, ok, ok, ok, false},
		{"PUT /api/booking/settings", "PUT", "/api/booking/settings", body(api.BookingSettings{MeetingURLTemplate: "https://meet.example.cn/lawpoint-{room}"}), ok, no, no, false},
		{"GET /api/categories", "GET", "/api/categories", nobody, ok, ok, ok, false},
		{"PUT /api/categories", "PUT", "/api/categories", func(c *townships) any { return c.cats }, ok, no, no, false},
		{"GET /api/figures", "GET", "/api/figures?from=2026-05-04", nobody, ok, ok, ok, false},
	}
}

// Every staff route, for every role: the operator of 榜头镇 asks about
// 度尾镇's objects, the viewer reads everything and changes nothing, the
// administrator is served as before. Every 403 is audited with
// "METHOD path". The table must name every staff route the server has, so
// a route added without a decision fails here.
func TestEveryStaffRouteForEveryRole(t *testing.T) {
	c := newTownships(t)
	table := staffRoutes(c)
	var staff []string
	for p, a := range c.api.Access() {
		if a == "staff" || a == "writer" || a == "admin" {
			staff = append(staff, p)
		}
	}
	var named []string
	for _, r := range table {
		named = append(named, r.pattern)
	}
	sort.Strings(staff)
	sort.Strings(named)
	if !slices.Equal(staff, named) {
		t.Fatalf("staff routes of the server:\n%v\nrows of the table:\n%v\nadd a row (and a line in docs/FLEET.md) for every route", staff, named)
	}
	for _, r := range table {
		path, _, _ := strings.Cut(r.path, "?")
		for _, role := range []struct {
			user string
			want int
		}{{"viewer", r.view}, {"bangtou", r.operator}, {"admin", r.admin}} {
			tok := c.tokens[role.user]
			if r.fresh {
				tok = c.login(role.user)
			}
			before := len(c.denied(role.user, r.method, path))
			code, raw := c.withToken(tok, r.method, r.path, r.body(c), nil)
			if code != role.want {
				t.Errorf("%s as %s: %d %s, want %d", r.pattern, role.user, code, raw, role.want)
				continue
			}
			rows := len(c.denied(role.user, r.method, path))
			if code == http.StatusForbidden && rows != before+1 {
				t.Errorf("%s as %s: 403 with %d new audit rows, want 1", r.pattern, role.user, rows-before)
			}
			if code != http.StatusForbidden && rows != before {
				t.Errorf("%s as %s: %d but a denied audit row was written", r.pattern, role.user, code)
			}
		}
	}
}

// Every route of the package is registered through Server.handle with an
// access decision, the docs' roles table states the same decision for
// every staff route, and no API route is left unregistered.
func TestEveryRouteHasAnAccessDecision(t *testing.T) {
	c := newTownships(t)
	access := c.api.Access()
	files, _ := filepath.Glob("*.go")
	patternRE := regexp.MustCompile(`"((?:GET|HEAD|POST|PUT|PATCH|DELETE) /[^"]*)"`)
	registerRE := regexp.MustCompile(`\.(HandleFunc|Handle)\(`)
	registrations := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range patternRE.FindAllStringSubmatch(string(src), -1) {
			if _, ok := access[m[1]]; !ok {
				t.Errorf("%s: route %q is not registered through Server.handle with an access decision", f, m[1])
			}
		}
		registrations += len(registerRE.FindAllString(string(src), -1))
	}
	if registrations != 1 {
		t.Errorf("%d mux registrations in the package; routes must go through Server.handle only (1)", registrations)
	}
	doc, err := os.ReadFile("../../docs/FLEET.md")
	if err != nil {
		t.Fatal(err)
	}
	for p, a := range access {
		if !strings.HasPrefix(p, "/api/") && !strings.Contains(p, " /api/") {
			continue
		}
		if a != "staff" && a != "writer" && a != "admin" {
			continue
		}
		if !strings.Contains(string(doc), "| `"+p+"` | "+a+" |") {
			t.Errorf("docs/FLEET.md has no roles-table row \"| `%s` | %s |\"", p, a)
		}
	}
}

// Operators without a township and unknown roles get nothing; the console
// cookie is never read.
func TestAccountsWithoutRightsAndCookies(t *testing.T) {
	c := newTownships(t)
	for _, a := range []fleet.Account{{Username: "nowhere", Role: fleet.StaffOperator}, {Username: "odd", Role: "counter"}} {
		a.Hash, a.Created = quickHash(staffPW), time.Now()
		if err := c.st.CreateAccount(t.Context(), a, fleet.AuditEntry{Actor: "test", Action: fleet.AuditAccount, Target: a.Username, Outcome: fleet.OutcomeOK}); err != nil {
			t.Fatal(err)
		}
		c.tokens[a.Username] = c.login(a.Username)
		c.mustDeny(a.Username, "GET", "/api/devices", nil, "")
	}
	req, _ := http.NewRequest("GET", c.srv.URL+"/api/devices", nil)
	req.AddCookie(&http.Cookie{Name: "lawpoint_session", Value: c.tokens["admin"]})
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the admin's token in a cookie: %d, want 401", resp.StatusCode)
	}
}
