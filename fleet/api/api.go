// Package api is the fleet's JSON HTTP API under /api/, used by lawpointctl
// and the staff console, plus the two paths devices use with their own
// credentials: item downloads (/content/items/{id}/{version}, with Range
// requests) and screenshot uploads. See docs/FLEET.md for the routes.
//
// Staff authenticate with a bearer token from POST /api/login (stored as its
// SHA-256, expiring); devices with HTTP Basic (device ID and MQTT password).
// Every error is JSON {"error": English, "message": Chinese, "field": ...}.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"lawpoint/content"
	"lawpoint/fleet"
	"lawpoint/fleet/internal/ratelog"
)

// Config is what the API serves.
type Config struct {
	Registry    *fleet.Registry
	Library     *fleet.Library
	Distributor *fleet.Distributor
	Dispatcher  *fleet.Dispatcher
	Logger      *slog.Logger
	// PublicKey is the county content-signing public key in content's text
	// form; enrolment returns it to the device.
	PublicKey string
	// MQTTURL is the broker address devices are told at enrolment, e.g.
	// "mqtts://fleet.example.cn:8883".
	MQTTURL string
	// Connected, if set, reports the number of MQTT clients (for /healthz).
	Connected func() int64
	// Bookings is the booking service (advisers, slots, bookings,
	// calendars, figures); nil builds one on the registry's store.
	Bookings *fleet.Bookings
}

// Server is the API's http.Handler.
type Server struct {
	cfg   Config
	store fleet.Store
	log   *slog.Logger
	warn  *ratelog.Limiter
	mux   *http.ServeMux
	audit *fleet.Audit // nil when the store keeps no audit log
	// access is every route's access decision by pattern (Server.handle).
	access map[string]access

	loginLimit *limiter // login attempts per address and per username
	enrolLimit *limiter // enrolment attempts per address
	authFail   *limiter // failed device logins per address
}

// New returns the API handler.
func New(cfg Config) *Server {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Server{cfg: cfg, store: cfg.Registry.Store(), log: log, warn: ratelog.New(log, time.Minute), mux: http.NewServeMux(), access: map[string]access{},
		loginLimit: newLimiter(10, time.Minute), enrolLimit: newLimiter(20, time.Minute), authFail: newLimiter(30, time.Minute)}
	if as, ok := s.store.(fleet.AuditStore); ok {
		s.audit = fleet.NewAudit(as, log)
	}
	if bs, ok := s.store.(fleet.BookingStore); ok && s.cfg.Bookings == nil {
		s.cfg.Bookings = fleet.NewBookings(bs, log)
	}
	s.routes()
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// routes registers every route with its access decision (see access.go
// and the roles table in docs/FLEET.md).
func (s *Server) routes() {
	s.handle("GET /healthz", accessPublic, s.health)
	s.handle("POST /api/login", accessPublic, s.login)
	s.handle("POST /api/logout", accessStaff, s.logout)
	s.handle("POST /api/enrol", accessPublic, s.enrol)

	s.handle("GET /api/devices", accessStaff, s.listDevices)
	s.handle("POST /api/devices", accessAdmin, s.createDevice)
	s.handle("GET /api/devices/{id}", accessStaff, s.showDevice)
	s.handle("POST /api/devices/{id}/token", accessAdmin, s.newToken)
	s.handle("POST /api/devices/{id}/revoke", accessAdmin, s.revokeDevice)
	s.handle("PUT /api/devices/{id}/settings", accessWriter, s.putSettings)
	s.handle("PUT /api/devices/{id}/board", accessWriter, s.putBoard)
	s.handle("GET /api/devices/{id}/commands", accessStaff, s.listCommands)
	s.handle("POST /api/devices/{id}/commands", accessWriter, s.createCommand)
	s.handle("GET /api/devices/{id}/commands/{cmd}", accessStaff, s.showCommand)
	s.handle("GET /api/devices/{id}/events", accessStaff, s.listEvents)
	s.handle("GET /api/devices/{id}/telemetry", accessStaff, s.listTelemetry)
	s.handle("PUT /api/devices/{id}/screenshots/{cmd}", accessDevice, s.uploadScreenshot)
	s.handle("GET /api/devices/{id}/screenshots/{cmd}", accessStaff, s.showScreenshot)

	s.handle("GET /api/content", accessStaff, s.listContent)
	s.handle("POST /api/content", accessWriter, s.addContent)
	s.handle("POST /api/content/blobs", accessWriter, s.uploadBlob)
	s.handle("GET /api/schedules", accessStaff, s.listSchedules)
	s.handle("POST /api/schedules", accessWriter, s.addSchedule)
	s.handle("POST /api/schedules/check", accessWriter, s.checkSchedule)
	s.handle("DELETE /api/schedules/{id}", accessAdmin, s.deleteSchedule)
	s.handle("GET /api/notices", accessStaff, s.listNotices)
	s.handle("POST /api/notices", accessWriter, s.addNotice)
	s.handle("POST /api/notices/{id}/withdraw", accessWriter, s.withdrawNotice)
	s.handle("GET /api/status", accessStaff, s.status)

	s.bookingRoutes()

	s.handle("GET /content/items/{id}/{version}", accessDeviceOrStaff, s.download)
	s.handle("HEAD /content/items/{id}/{version}", accessDeviceOrStaff, s.download)

	s.handle("/api/", accessPublic, func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, &fleet.Error{Code: "no_route", Msg: "no such API route: see docs/FLEET.md", Zh: "没有这个接口"})
	})
}

// ErrorBody is the JSON of every error answer.
type ErrorBody struct {
	Error    string         `json:"error"`   // English, for logs and tools
	Message  string         `json:"message"` // Simplified Chinese, for staff
	Code     string         `json:"code"`
	Field    string         `json:"field,omitempty"`
	Problems []ProblemBody  `json:"problems,omitempty"`
	Details  map[string]any `json:"details,omitempty"`
}

// ProblemBody is one authoring problem (content.FieldError).
type ProblemBody struct {
	Field   string `json:"field"`
	Error   string `json:"error"`
	Message string `json:"message"`
}

func statusOf(code string) int {
	switch code {
	case "not_found", "no_route":
		return http.StatusNotFound
	case "exists", "conflict", "revoked":
		return http.StatusConflict
	case "bad_credentials", "unauthorized":
		return http.StatusUnauthorized
	case "forbidden":
		return http.StatusForbidden
	case "too_many_requests":
		return http.StatusTooManyRequests
	case "too_large":
		return http.StatusRequestEntityTooLarge
	case "token_used", "token_expired", "token_unknown":
		return http.StatusForbidden
	}
	return http.StatusBadRequest
}

// fail answers with err as JSON. Errors that are not the fleet's own are
// logged (rate-limited) and answered with a generic 500.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		ps  content.Problems
		fes fleet.FieldErrors
		fe  *fleet.FieldError
		e   *fleet.Error
	)
	body := ErrorBody{}
	status := http.StatusInternalServerError
	switch {
	case errors.As(err, &ps) && len(ps) > 0:
		status = http.StatusBadRequest
		body = ErrorBody{Code: "invalid", Error: ps.Error(), Message: ps[0].Message, Field: ps[0].Field}
		for _, p := range ps {
			body.Problems = append(body.Problems, ProblemBody{Field: p.Field, Error: p.Problem + "; " + p.Fix, Message: p.Message})
		}
	case errors.As(err, &fes) && len(fes) > 0:
		// Every field's problem (a notice's text, regions and expiry).
		status = statusOf(fes[0].Err.Code)
		body = ErrorBody{Code: fes[0].Err.Code, Error: fes.Error(), Message: fes[0].Err.Zh, Field: fes[0].Field}
		for _, f := range fes {
			body.Problems = append(body.Problems, ProblemBody{Field: f.Field, Error: f.Err.Msg, Message: f.Err.Zh})
		}
	case errors.As(err, &fe):
		status = statusOf(fe.Err.Code)
		body = ErrorBody{Code: fe.Err.Code, Error: fe.Err.Msg, Message: fe.Err.Zh, Field: fe.Field}
	case errors.As(err, &e):
		status = statusOf(e.Code)
		body = ErrorBody{Code: e.Code, Error: err.Error(), Message: e.Zh}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		status = http.StatusServiceUnavailable
		body = ErrorBody{Code: "unavailable", Error: "request cancelled or timed out: try again", Message: "请求超时，请稍后重试"}
	default:
		s.warn.Warn("api-internal:"+r.Pattern, "API request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		body = ErrorBody{Code: "internal", Error: "internal error: try again; if it persists, see the fleet log", Message: fleet.StaffMessage(err)}
	}
	if status == http.StatusUnauthorized && strings.HasPrefix(r.URL.Path, "/content/") {
		w.Header().Set("WWW-Authenticate", `Basic realm="lawpoint"`)
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// MaxJSONBody bounds a JSON request body.
const MaxJSONBody = 1 << 20

// readJSON reads the JSON body strictly into v (decode) and answers a bad
// body itself; it reports whether v was read.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := decode(w, r, v); err != nil {
		s.fail(w, r, err)
		return false
	}
	return true
}

// decode reads a JSON body strictly into v.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxJSONBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, e := dec.Token(); e != io.EOF {
			err = errors.New("data continues after the JSON value")
		}
	}
	if err == nil {
		return nil
	}
	var (
		te *json.UnmarshalTypeError
		mb *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mb):
		return &fleet.Error{Code: "too_large", Msg: "request body over 1 MiB", Zh: "提交的数据过大"}
	case errors.As(err, &te):
		return &fleet.FieldError{Field: te.Field, Err: &fleet.Error{Code: "invalid",
			Msg: fmt.Sprintf("invalid input: %s: a JSON %s where %s is expected", te.Field, te.Value, te.Type),
			Zh:  fmt.Sprintf("字段“%s”的类型不正确", te.Field)}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &fleet.FieldError{Field: f, Err: &fleet.Error{Code: "invalid",
			Msg: fmt.Sprintf("invalid input: unknown field %q: remove it or check its spelling", f),
			Zh:  fmt.Sprintf("未知字段“%s”，请删除或检查拼写", f)}}
	}
	return &fleet.Error{Code: "invalid", Msg: "invalid input: the body is not the expected JSON object: " + err.Error(),
		Zh: "提交的数据格式有误，请检查后重试"}
}

// device authenticates a device with HTTP Basic (device ID, MQTT password).
func (s *Server) device(r *http.Request) (string, error) {
	user, pw, ok := r.BasicAuth()
	if !ok {
		return "", fleet.ErrUnauthorized
	}
	ip := clientIP(r)
	if s.authFail.blocked(ip) {
		return "", fleet.ErrTooMany
	}
	p, err := s.cfg.Registry.Authenticate(r.Context(), user, pw)
	if err != nil {
		if errors.Is(err, fleet.ErrBadCredentials) {
			s.authFail.allow(ip) // count the failure
			s.warn.Warn("device-auth:"+ip, "HTTP device authentication failed", "remote", ip)
		}
		return "", err
	}
	if p.Role != fleet.RoleDevice {
		return "", fleet.ErrBadCredentials
	}
	return p.Username, nil
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limiter allows n attempts per key per period (fixed window).
type limiter struct {
	n      int
	period time.Duration
	mu     sync.Mutex
	start  time.Time
	counts map[string]int
}

func newLimiter(n int, period time.Duration) *limiter {
	return &limiter{n: n, period: period, counts: map[string]int{}}
}

func (l *limiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.start) > l.period || len(l.counts) > 100000 {
		l.start, l.counts = now, map[string]int{}
	}
	l.counts[key]++
	return l.counts[key] <= l.n
}

// blocked reports whether key has used up its attempts, without counting.
func (l *limiter) blocked(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if time.Since(l.start) > l.period {
		return false
	}
	return l.counts[key] >= l.n
}

// health answers liveness (always 200 while the process serves), the
// number of MQTT clients, and whether the stored desired state has been
// republished since start ("desired_republish": pending, running, done or
// failed — retried; "desired_republished": devices, once a run ended).
// Until it is "done", devices that reconnect after a restart may wait for
// their desired state.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{"status": "ok"}
	if s.cfg.Connected != nil {
		out["mqtt_clients"] = s.cfg.Connected()
	}
	if s.cfg.Distributor != nil {
		state, n := s.cfg.Distributor.RepublishStatus()
		out["desired_republish"] = state
		if state == fleet.RepublishDone || state == fleet.RepublishFailed {
			out["desired_republished"] = n
		}
	}
	writeJSON(w, http.StatusOK, out)
}
