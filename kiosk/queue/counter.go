package queue

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// CounterConfig configures the counter web page.
type CounterConfig struct {
	// PIN is the staff PIN, 4 to 12 digits (from the kiosk's config).
	PIN string
	// SessionTTL is how long a login lasts (default 12 hours).
	SessionTTL time.Duration
	// MaxFailures wrong PINs from one address lock it out for Lockout,
	// doubled at every further MaxFailures, up to an hour (defaults 5 and
	// 1 minute). Five times MaxFailures from all addresses together lock
	// every new login the same way; sessions already open keep working.
	MaxFailures int
	Lockout     time.Duration
	// SecureCookie marks the session cookie Secure (set it when the page
	// is served over HTTPS).
	SecureCookie bool
	// Now is the clock of sessions and lockouts (default time.Now).
	Now func() time.Time
	// Log receives English log lines; nil is slog.Default().
	Log *slog.Logger
}

// Counter is the staff web page and its JSON API (docs/QUEUE.md). It is
// an http.Handler.
type Counter struct {
	q    *Queue
	cfg  CounterConfig
	pin  [32]byte
	mux  *http.ServeMux
	tmpl *template.Template

	mu       sync.Mutex
	sessions map[string]*session
	fails    map[string]*failures
}

type session struct {
	csrf    string
	window  int
	expires time.Time
	flash   string
	flashOK bool
}

type failures struct {
	n     int
	until time.Time
	last  time.Time
}

const (
	sessionCookie = "lp_counter"
	loginCookie   = "lp_login"
	maxSessions   = 64
	maxBody       = 16 << 10
)

// NewCounter returns the counter page for q.
func NewCounter(q *Queue, cfg CounterConfig) (*Counter, error) {
	if n := len(cfg.PIN); n < 4 || n > 12 || !allDigits(cfg.PIN) {
		return nil, errors.New("queue: the counter PIN must be 4 to 12 digits; set it in the kiosk's config")
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 5
	}
	if cfg.Lockout <= 0 {
		cfg.Lockout = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	c := &Counter{q: q, cfg: cfg, pin: sha256.Sum256([]byte(cfg.PIN)), mux: http.NewServeMux(),
		tmpl: counterTemplates, sessions: map[string]*session{}, fails: map[string]*failures{}}
	c.mux.HandleFunc("GET /login", c.loginPage)
	c.mux.HandleFunc("POST /login", c.login)
	c.mux.HandleFunc("POST /logout", c.authed(c.logout))
	c.mux.HandleFunc("GET /{$}", c.authed(c.page))
	c.mux.HandleFunc("POST /window", c.authed(c.setWindow))
	for _, a := range actions {
		c.mux.HandleFunc("POST /"+a, c.authed(c.formAction(a)))
		c.mux.HandleFunc("POST /api/"+a, c.authed(c.apiAction(a)))
	}
	c.mux.HandleFunc("GET /api/state", c.authed(c.apiState))
	return c, nil
}

var actions = []string{"call", "recall", "serve", "noshow", "transfer"}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ServeHTTP serves the page.
func (c *Counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	c.mux.ServeHTTP(w, r)
}

// ListenAndServe serves the page on addr (e.g. ":8080", the contact
// point's network) until ctx ends, then shuts down gracefully.
func (c *Counter) ListenAndServe(ctx context.Context, addr string) error {
	srv := &http.Server{Addr: addr, Handler: c, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("queue: counter page on %s (is the port in use?): %w", addr, err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		return ctx.Err()
	}
}

func token() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// --- login and sessions

func (c *Counter) loginPage(w http.ResponseWriter, r *http.Request) {
	c.renderLogin(w, http.StatusOK, "")
}

func (c *Counter) renderLogin(w http.ResponseWriter, status int, msg string) {
	t := token()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: t, Path: "/login", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: c.cfg.SecureCookie, MaxAge: 3600})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	c.tmpl.ExecuteTemplate(w, "login", map[string]any{"CSRF": t, "Error": msg, "MaxWindow": MaxWindow})
}

// locked reports how long key stays locked out (0: not locked).
func (c *Counter) locked(key string, now time.Time) time.Duration {
	if f := c.fails[key]; f != nil && now.Before(f.until) {
		return f.until.Sub(now)
	}
	return 0
}

func (c *Counter) fail(key string, max int, now time.Time) {
	f := c.fails[key]
	if f == nil {
		f = &failures{}
		c.fails[key] = f
	}
	f.n++
	f.last = now
	if f.n%max == 0 {
		d := c.cfg.Lockout << min(f.n/max-1, 6)
		f.until = now.Add(min(d, time.Hour))
	}
}

func (c *Counter) login(w http.ResponseWriter, r *http.Request) {
	ck, err := r.Cookie(loginCookie)
	if err != nil || r.ParseForm() != nil || !equal(r.PostFormValue("csrf"), ck.Value) {
		c.renderLogin(w, http.StatusForbidden, "页面已过期，请重新输入")
		return
	}
	now := c.cfg.Now()
	addr := clientAddr(r)
	c.mu.Lock()
	wait := max(c.locked("addr:"+addr, now), c.locked("all", now))
	c.mu.Unlock()
	if wait > 0 {
		mins := int((wait + time.Minute - 1) / time.Minute)
		c.renderLogin(w, http.StatusTooManyRequests, fmt.Sprintf("密码错误次数过多，请 %d 分钟后再试", mins))
		return
	}
	pin := sha256.Sum256([]byte(r.PostFormValue("pin")))
	if subtle.ConstantTimeCompare(pin[:], c.pin[:]) != 1 {
		c.mu.Lock()
		c.fail("addr:"+addr, c.cfg.MaxFailures, now)
		c.fail("all", 5*c.cfg.MaxFailures, now)
		c.mu.Unlock()
		c.cfg.Log.Warn("counter page: wrong PIN", "addr", addr)
		c.renderLogin(w, http.StatusUnauthorized, "密码错误，请重新输入")
		return
	}
	window, err := strconv.Atoi(r.PostFormValue("window"))
	if err != nil || checkWindow(window) != nil {
		c.renderLogin(w, http.StatusBadRequest, fmt.Sprintf("请填写窗口号（1–%d）", MaxWindow))
		return
	}
	t := token()
	c.mu.Lock()
	delete(c.fails, "addr:"+addr)
	c.prune(now)
	c.sessions[t] = &session{csrf: token(), window: window, expires: now.Add(c.cfg.SessionTTL)}
	c.mu.Unlock()
	c.cfg.Log.Info("counter page: staff logged in", "addr", addr, "window", window)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: t, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: c.cfg.SecureCookie, MaxAge: int(c.cfg.SessionTTL / time.Second)})
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Path: "/login", MaxAge: -1})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// prune drops expired sessions and stale failure records, and the oldest
// sessions beyond maxSessions. c.mu is held.
func (c *Counter) prune(now time.Time) {
	for k, s := range c.sessions {
		if now.After(s.expires) {
			delete(c.sessions, k)
		}
	}
	for len(c.sessions) >= maxSessions {
		var oldest string
		for k, s := range c.sessions {
			if oldest == "" || s.expires.Before(c.sessions[oldest].expires) {
				oldest = k
			}
		}
		delete(c.sessions, oldest)
	}
	for k, f := range c.fails {
		if now.Sub(f.last) > 24*time.Hour && now.After(f.until) {
			delete(c.fails, k)
		}
	}
}

type authedHandler func(w http.ResponseWriter, r *http.Request, s *session)

// authed requires a session and, on POST, its CSRF token (form field csrf
// or header X-CSRF-Token).
func (c *Counter) authed(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		api := len(r.URL.Path) > 5 && r.URL.Path[:5] == "/api/"
		var s *session
		if ck, err := r.Cookie(sessionCookie); err == nil {
			now := c.cfg.Now()
			c.mu.Lock()
			if s = c.sessions[ck.Value]; s != nil && now.After(s.expires) {
				delete(c.sessions, ck.Value)
				s = nil
			}
			c.mu.Unlock()
		}
		if s == nil {
			if api {
				writeJSON(w, http.StatusUnauthorized, apiError{Error: "请先登录", Code: "login"})
				return
			}
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			got := r.Header.Get("X-CSRF-Token")
			if !api {
				got = r.PostFormValue("csrf")
			}
			if !equal(got, s.csrf) {
				if api {
					writeJSON(w, http.StatusForbidden, apiError{Error: "页面已过期，请刷新后再试", Code: "csrf"})
					return
				}
				http.Error(w, "页面已过期，请返回并刷新后再试", http.StatusForbidden)
				return
			}
		}
		h(w, r, s)
	}
}

func (c *Counter) logout(w http.ResponseWriter, r *http.Request, s *session) {
	c.mu.Lock()
	for k, v := range c.sessions {
		if v == s {
			delete(c.sessions, k)
		}
	}
	c.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (c *Counter) setWindow(w http.ResponseWriter, r *http.Request, s *session) {
	n, err := strconv.Atoi(r.PostFormValue("window"))
	c.mu.Lock()
	if err != nil || checkWindow(n) != nil {
		s.flash, s.flashOK = fmt.Sprintf("窗口号须为 1–%d", MaxWindow), false
	} else {
		s.window, s.flash, s.flashOK = n, fmt.Sprintf("已切换到 %d 号窗口", n), true
	}
	c.mu.Unlock()
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// --- actions

// actionRequest is the body of a JSON action and the fields of a form.
type actionRequest struct {
	Category string `json:"category,omitempty"` // call: "" for all
	Window   int    `json:"window,omitempty"`   // call: default the session's
	ID       string `json:"id,omitempty"`       // recall, serve, noshow, transfer
	To       string `json:"to,omitempty"`       // transfer
}

// do runs an action and returns the ticket and the staff's message.
func (c *Counter) do(ctx context.Context, action string, req actionRequest, s *session) (Ticket, string, error) {
	if req.Window == 0 {
		c.mu.Lock()
		req.Window = s.window
		c.mu.Unlock()
	}
	var t Ticket
	var err error
	switch action {
	case "call":
		t, err = c.q.CallNext(ctx, req.Category, req.Window)
		if err == nil {
			return t, Call{Ticket: t.Number, Window: t.Window}.Text(), nil
		}
	case "recall":
		t, err = c.q.Recall(ctx, req.ID)
		if err == nil {
			return t, "已重呼：" + t.call().Text(), nil
		}
	case "serve":
		t, err = c.q.Serve(ctx, req.ID)
		if err == nil {
			return t, t.Number + " 号已完成", nil
		}
	case "noshow":
		t, err = c.q.NoShow(ctx, req.ID)
		if err == nil {
			return t, t.Number + " 号已过号", nil
		}
	case "transfer":
		t, err = c.q.Transfer(ctx, req.ID, req.To)
		if err == nil {
			return t, fmt.Sprintf("%s 号已转到%s，前面还有 %d 人", t.Number, t.Name, t.Ahead), nil
		}
	}
	return Ticket{}, "", err
}

// StaffMessage says what went wrong, in Chinese, for staff; the HTTP status
// goes with it.
func StaffMessage(err error) (string, int) {
	switch {
	case errors.Is(err, ErrEmpty):
		return "当前没有等候的号", http.StatusConflict
	case errors.Is(err, ErrState):
		return "这张号现在不能这样操作（可能已完成、已过号或已转走），请刷新页面", http.StatusConflict
	case errors.Is(err, ErrNoTicket):
		return "找不到这张号，请刷新页面", http.StatusNotFound
	case errors.Is(err, ErrUnknownCategory):
		return "没有这个服务类别，请刷新页面", http.StatusBadRequest
	case errors.Is(err, ErrWindow):
		return fmt.Sprintf("窗口号须为 1–%d", MaxWindow), http.StatusBadRequest
	}
	return "操作没有成功，请再试一次；一直不成功请联系县中心", http.StatusInternalServerError
}

func (c *Counter) fail500(err error) {
	if _, st := StaffMessage(err); st == http.StatusInternalServerError {
		c.cfg.Log.Error("counter page: action failed", "err", err)
	}
}

func (c *Counter) formAction(action string) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		req := actionRequest{Category: r.PostFormValue("category"), ID: r.PostFormValue("id"), To: r.PostFormValue("to")}
		_, msg, err := c.do(r.Context(), action, req, s)
		ok := err == nil
		if err != nil {
			c.fail500(err)
			msg, _ = StaffMessage(err)
		}
		c.mu.Lock()
		s.flash, s.flashOK = msg, ok
		c.mu.Unlock()
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}
}

type apiError struct {
	Error string `json:"error"` // Chinese, for staff
	Code  string `json:"code"`
}

// APITicket is a ticket in the JSON API.
type APITicket struct {
	ID       string `json:"id"`
	Number   string `json:"number"`
	Category string `json:"category"`
	Name     string `json:"name"`
	Status   Status `json:"status"`
	Window   int    `json:"window,omitempty"`
	Ahead    int    `json:"ahead"`
	WaitS    int    `json:"wait_s"`
}

func apiTicket(t Ticket) APITicket {
	return APITicket{ID: t.ID, Number: t.Number, Category: t.Category, Name: t.Name, Status: t.Status,
		Window: t.Window, Ahead: t.Ahead, WaitS: int(t.Wait / time.Second)}
}

// APICall is an open call in the JSON API.
type APICall struct {
	Seq    int64  `json:"seq"`
	Ticket string `json:"ticket"`
	Window int    `json:"window"`
	Name   string `json:"name"`
	ID     string `json:"id"`
	Text   string `json:"text"`
}

func apiCall(c Call) APICall {
	return APICall{Seq: c.Seq, Ticket: c.Ticket, Window: c.Window, Name: c.Name, ID: c.ID, Text: c.Text()}
}

// APIResult answers a JSON action.
type APIResult struct {
	Ticket  APITicket `json:"ticket"`
	Message string    `json:"message"`
}

func (c *Counter) apiAction(action string) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		var req actionRequest
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, apiError{Error: "请求格式不对", Code: "bad_request"})
			return
		}
		t, msg, err := c.do(r.Context(), action, req, s)
		if err != nil {
			c.fail500(err)
			m, st := StaffMessage(err)
			writeJSON(w, st, apiError{Error: m, Code: errCode(err)})
			return
		}
		writeJSON(w, http.StatusOK, APIResult{Ticket: apiTicket(t), Message: msg})
	}
}

func errCode(err error) string {
	for _, e := range []struct {
		err  error
		code string
	}{{ErrEmpty, "empty"}, {ErrState, "state"}, {ErrNoTicket, "no_ticket"}, {ErrUnknownCategory, "category"}, {ErrWindow, "window"}} {
		if errors.Is(err, e.err) {
			return e.code
		}
	}
	return "internal"
}

// APIState is the answer of GET /api/state.
type APIState struct {
	Day          string     `json:"day"`
	DayConfirmed bool       `json:"day_confirmed"`
	Window       int        `json:"window"`
	CSRFToken    string     `json:"csrf_token"`
	Queues       []APIQueue `json:"queues"`
	Calls        []APICall  `json:"calls"`
}

// APIQueue is one category's queue in APIState.
type APIQueue struct {
	Category string      `json:"category"`
	Name     string      `json:"name"`
	Offered  bool        `json:"offered"`
	WaitS    int         `json:"wait_s"`
	Waiting  []APITicket `json:"waiting"`
}

func (c *Counter) state(ctx context.Context, s *session) (APIState, error) {
	snap, err := c.q.Snapshot(ctx)
	if err != nil {
		return APIState{}, err
	}
	c.mu.Lock()
	st := APIState{Day: snap.Day, DayConfirmed: snap.DayConfirmed, Window: s.window, CSRFToken: s.csrf,
		Queues: []APIQueue{}, Calls: []APICall{}}
	c.mu.Unlock()
	for _, w := range snap.Queues {
		aq := APIQueue{Category: w.Category.Prefix, Name: w.Category.Name, Offered: w.Offered, WaitS: int(w.Wait / time.Second),
			Waiting: []APITicket{}}
		for _, t := range w.Tickets {
			aq.Waiting = append(aq.Waiting, apiTicket(t))
		}
		st.Queues = append(st.Queues, aq)
	}
	for _, cl := range snap.Calls {
		st.Calls = append(st.Calls, apiCall(cl))
	}
	return st, nil
}

func (c *Counter) apiState(w http.ResponseWriter, r *http.Request, s *session) {
	st, err := c.state(r.Context(), s)
	if err != nil {
		c.fail500(err)
		m, code := StaffMessage(err)
		writeJSON(w, code, apiError{Error: m, Code: "internal"})
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// --- the page

func (c *Counter) page(w http.ResponseWriter, r *http.Request, s *session) {
	st, err := c.state(r.Context(), s)
	if err != nil {
		c.fail500(err)
		m, code := StaffMessage(err)
		http.Error(w, m, code)
		return
	}
	c.mu.Lock()
	flash, flashOK := s.flash, s.flashOK
	s.flash = ""
	c.mu.Unlock()
	var mine *APICall
	var others []APICall
	for i, cl := range st.Calls {
		if cl.Window == st.Window && mine == nil {
			mine = &st.Calls[i]
		} else {
			others = append(others, cl)
		}
	}
	var cats []APIQueue
	for _, q := range st.Queues {
		if q.Offered {
			cats = append(cats, q)
		}
	}
	total := 0
	for _, q := range st.Queues {
		total += len(q.Waiting)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := c.tmpl.ExecuteTemplate(w, "page", map[string]any{"S": st, "Mine": mine, "Others": others,
		"Offered": cats, "Total": total, "Flash": flash, "FlashOK": flashOK, "MaxWindow": MaxWindow}); err != nil {
		c.cfg.Log.Error("counter page: rendering", "err", err)
	}
}
