package queue

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// staff is a browser on the contact point's network.
type staff struct {
	t    *testing.T
	srv  *httptest.Server
	c    *http.Client
	csrf string
}

func newCounter(t *testing.T, q *Queue, now func() time.Time) *httptest.Server {
	t.Helper()
	c, err := NewCounter(q, CounterConfig{PIN: "2468", Now: now, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return srv
}

func newStaff(t *testing.T, srv *httptest.Server) *staff {
	jar, _ := cookiejar.New(nil)
	return &staff{t: t, srv: srv, c: &http.Client{Jar: jar}}
}

var hiddenCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (s *staff) get(path string) (int, string) {
	s.t.Helper()
	return s.page(s.c.Get(s.srv.URL + path))
}

func (s *staff) post(path string, form url.Values) (int, string) {
	s.t.Helper()
	return s.page(s.c.PostForm(s.srv.URL+path, form))
}

// page reads the page a request got, keeping the CSRF token its form
// carries for the next post.
func (s *staff) page(resp *http.Response, err error) (int, string) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := hiddenCSRF.FindStringSubmatch(string(b)); m != nil {
		s.csrf = m[1]
	}
	return resp.StatusCode, string(b)
}

func (s *staff) login(pin string) (int, string) {
	s.t.Helper()
	s.get("/login")
	return s.post("/login", url.Values{"csrf": {s.csrf}, "pin": {pin}, "window": {"2"}})
}

func (s *staff) api(path, token string, body any) (int, map[string]any) {
	s.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+path, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-CSRF-Token", token)
	}
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestCounterPageNeedsTheRightPIN(t *testing.T) {
	clk := newClock(at("2026-05-04", "09:00"), true)
	q, _ := openTest(t, clk)
	srv := newCounter(t, q, nil)
	s := newStaff(t, srv)
	if code, body := s.get("/"); code != http.StatusOK || !strings.Contains(body, "登录") {
		t.Fatalf("without a login the page shows %d, not the login form", code)
	}
	code, body := s.login("1111")
	if code != http.StatusUnauthorized || !strings.Contains(body, "密码错误") {
		t.Fatalf("wrong PIN: %d %q", code, body)
	}
	if code, _ := s.api("/api/call", "x", map[string]any{}); code != http.StatusUnauthorized {
		t.Fatalf("API after a wrong PIN: %d, want 401", code)
	}
	// A login post without the form's token (another site posting the
	// form) is refused even with the right PIN.
	other := newStaff(t, srv)
	if code, _ := other.post("/login", url.Values{"pin": {"2468"}, "window": {"1"}}); code != http.StatusForbidden {
		t.Fatalf("login without its token: %d, want 403", code)
	}
	code, body = s.login("2468")
	if code != http.StatusOK || !strings.Contains(body, "2 号窗口") || !strings.Contains(body, "叫下一位") {
		t.Fatalf("right PIN: %d\n%s", code, body)
	}
}

func TestCounterLocksOutAfterWrongPINs(t *testing.T) {
	clk := newClock(at("2026-05-04", "09:00"), true)
	q, _ := openTest(t, clk)
	var mu sync.Mutex
	now := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	srv := newCounter(t, q, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	s := newStaff(t, srv)
	for range 5 {
		if code, _ := s.login("0000"); code != http.StatusUnauthorized {
			t.Fatalf("wrong PIN: %d", code)
		}
	}
	code, body := s.login("2468")
	if code != http.StatusTooManyRequests || !strings.Contains(body, "分钟后再试") {
		t.Fatalf("right PIN during the lockout: %d; want 429 with a wait message", code)
	}
	mu.Lock()
	now = now.Add(61 * time.Second)
	mu.Unlock()
	if code, _ := s.login("2468"); code != http.StatusOK {
		t.Fatalf("right PIN after the lockout: %d", code)
	}
}

func TestCounterCallsTheNextTicket(t *testing.T) {
	ctx := context.Background()
	clk := newClock(at("2026-05-04", "09:00"), true)
	q, _ := openTest(t, clk)
	issue(t, q, "A")
	b := issue(t, q, "B")
	issue(t, q, "B")
	srv := newCounter(t, q, nil)
	s := newStaff(t, srv)
	_, page := s.login("2468")
	if !strings.Contains(page, "法律援助（B）") || !strings.Contains(page, "B001 B002") {
		t.Fatalf("page does not list the waiting B tickets:\n%s", page)
	}
	notes := q.Watch(ctx)

	// A form post without the CSRF token changes nothing.
	if code, _ := s.post("/call", url.Values{"category": {"B"}}); code != http.StatusForbidden {
		t.Fatalf("call without CSRF: %d, want 403", code)
	}
	if _, ok, _ := q.Current(ctx); ok {
		t.Fatal("a call without CSRF token changed the current call")
	}
	code, page := s.post("/call", url.Values{"category": {"B"}, "csrf": {s.csrf}})
	if code != http.StatusOK || !strings.Contains(page, "请 B001 号到 2 号窗口") {
		t.Fatalf("call next B: %d\n%s", code, page)
	}
	cur, ok, _ := q.Current(ctx)
	if !ok || cur.Text() != "请 B001 号到 2 号窗口" {
		t.Fatalf("current call = %+v", cur)
	}
	if n := <-notes; n.Kind != NoticeCalled || n.Call.Ticket != "B001" {
		t.Fatalf("the kiosk was told %+v", n)
	}

	// JSON: the same with the header token, refused without it.
	if code, out := s.api("/api/serve", "", map[string]any{"id": b.ID}); code != http.StatusForbidden || out["code"] != "csrf" {
		t.Fatalf("API without CSRF: %d %v", code, out)
	}
	if got, _ := q.Lookup(ctx, b.ID); got.Status != StatusCalled {
		t.Fatalf("B001 changed without a CSRF token: %s", got.Status)
	}
	code, out := s.api("/api/serve", s.csrf, map[string]any{"id": b.ID})
	if code != http.StatusOK || out["message"] != "B001 号已完成" {
		t.Fatalf("API serve: %d %v", code, out)
	}
	code, out = s.api("/api/call", s.csrf, map[string]any{"window": 5})
	if code != http.StatusOK || out["message"] != "请 A001 号到 5 号窗口" {
		t.Fatalf("API call all: %d %v", code, out)
	}
	id := out["ticket"].(map[string]any)["id"].(string)
	code, out = s.api("/api/transfer", s.csrf, map[string]any{"id": id, "to": "C"})
	if code != http.StatusOK || !strings.Contains(out["message"].(string), "A001 号已转到人民调解") {
		t.Fatalf("API transfer: %d %v", code, out)
	}
	s.api("/api/call", s.csrf, map[string]any{"category": "C"})
	s.api("/api/call", s.csrf, map[string]any{"category": "C"})
	code, out = s.api("/api/call", s.csrf, map[string]any{"category": "C"})
	if code != http.StatusConflict || out["error"] != "当前没有等候的号" {
		t.Fatalf("API call with nobody waiting: %d %v", code, out)
	}

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/state", nil)
	resp, err := s.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var st APIState
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if st.Window != 2 || len(st.Queues) != 4 || len(st.Queues[1].Waiting) != 1 || st.Queues[1].Waiting[0].Number != "B002" {
		t.Fatalf("state = %+v", st)
	}
}
