// Package console is the county staff's web console: server-rendered pages
// (html/template, Simplified Chinese) for signing in, the fleet overview
// with its region tree, device pages with commands, the content library
// with exact LED previews, accounts and the audit log, plus the public
// ticket status page that a receipt's QR code opens. CSS and the little
// JavaScript it uses (live preview, command polling) are embedded; nothing
// comes from a CDN. See docs/CONSOLE.md.
//
// The console is mounted at "/" beside fleet/api (which keeps "/api/",
// "/content/", "/calendar/" and "/healthz"). It has its own sessions
// (fleet.Accounts: a cookie, an idle and an absolute expiry, stored
// hashed), a CSRF token on every form, per-address and per-account login
// limits, and role checks (fleet.Account.CanSee/CanAct) on every page; every
// sign-in, change, command and refusal goes to the audit log (fleet.Audit).
package console

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"lawpoint/display/render"
	"lawpoint/fleet"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what the console needs. Registry, Library and Dispatcher are
// the App's; the account store is the registry's store (it must implement
// fleet.AccountStore, as fleet/sqlitestore does).
type Config struct {
	Registry   *fleet.Registry
	Library    *fleet.Library
	Dispatcher *fleet.Dispatcher
	// Bookings is the fleet's booking service (the one the API uses); nil
	// builds one on the registry's store when it keeps bookings.
	Bookings *fleet.Bookings
	Logger   *slog.Logger

	// Fonts draw LED previews; nil uses the Debian font paths.
	Fonts *render.Fonts
	// Tickets looks up a queue ticket for the public status page; nil
	// means the fleet has no ticket data and every ticket is "not found".
	Tickets TicketLookup
	// SecureCookies marks cookies Secure even on plain HTTP (behind a
	// TLS-terminating proxy). Cookies are always Secure on TLS requests.
	SecureCookies bool
	// Limits overrides the sign-in limits (tests); zero fields keep the
	// defaults.
	Limits Limits
	// Now replaces the clock (tests).
	Now func() time.Time
}

// Limits bound sign-in attempts and public lookups.
type Limits struct {
	// AddressAttempts sign-in attempts per client address per AddressWindow.
	AddressAttempts int
	AddressWindow   time.Duration
	// AccountFailures failed sign-ins per account name per AccountWindow.
	AccountFailures int
	AccountWindow   time.Duration
	// TicketLookups per client address per minute on /t/.
	TicketLookups int
}

// Default limits.
var DefaultLimits = Limits{AddressAttempts: 20, AddressWindow: 10 * time.Minute,
	AccountFailures: 5, AccountWindow: 15 * time.Minute, TicketLookups: 30}

// Console is the console's http.Handler.
type Console struct {
	cfg      Config
	store    fleet.Store
	accounts *fleet.Accounts
	audit    *fleet.Audit
	log      *slog.Logger
	now      func() time.Time
	mux      *http.ServeMux
	pages    map[string]*template.Template

	addrLimit, acctLimit, ticketLimit *limiter

	compiledCache compiledCache // see compiled (playing.go)
}

// New returns the console. It panics if the registry's store cannot keep
// accounts and the audit log (a programming error: fleet/sqlitestore can).
func New(cfg Config) *Console {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	if cfg.Fonts == nil {
		cfg.Fonts = &render.Fonts{}
	}
	l := cfg.Limits
	d := DefaultLimits
	if l.AddressAttempts == 0 {
		l.AddressAttempts, l.AddressWindow = d.AddressAttempts, d.AddressWindow
	}
	if l.AccountFailures == 0 {
		l.AccountFailures, l.AccountWindow = d.AccountFailures, d.AccountWindow
	}
	if l.TicketLookups == 0 {
		l.TicketLookups = d.TicketLookups
	}
	cfg.Limits = l
	st := cfg.Registry.Store()
	as, ok := st.(fleet.AccountStore)
	if !ok {
		panic("console: the fleet store does not keep accounts and the audit log (fleet.AccountStore)")
	}
	c := &Console{cfg: cfg, store: st, log: log, now: now, mux: http.NewServeMux(),
		addrLimit:   newLimiter(l.AddressAttempts, l.AddressWindow, now),
		acctLimit:   newLimiter(l.AccountFailures, l.AccountWindow, now),
		ticketLimit: newLimiter(l.TicketLookups, time.Minute, now)}
	c.audit = fleet.NewAudit(as, log)
	c.audit.SetClock(now)
	c.accounts = fleet.NewAccounts(as, c.audit)
	c.accounts.SetClock(now)
	if cfg.Bookings == nil {
		if bs, ok := st.(fleet.BookingStore); ok {
			c.cfg.Bookings = fleet.NewBookings(bs, log)
			c.cfg.Bookings.SetClock(now)
		}
	}
	c.pages = parsePages()
	c.routes()
	return c
}

// Accounts returns the console's account service (sessions, accounts).
func (c *Console) Accounts() *fleet.Accounts { return c.accounts }

// Audit returns the audit log.
func (c *Console) Audit() *fleet.Audit { return c.audit }

// Run prunes ended console sessions every interval until ctx ends.
func (c *Console) Run(ctx context.Context, every time.Duration) {
	fleet.RunEvery(ctx, every, c.log, "console sessions not pruned", c.accounts.Prune)
}

func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	c.mux.ServeHTTP(w, r)
}

func (c *Console) routes() {
	m := c.mux
	static, _ := fs.Sub(staticFS, "static")
	m.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	// Browsers ask for an icon on their own; answer it without a session so
	// it never lands on the sign-in page.
	m.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("GET /login", c.loginPage)
	m.HandleFunc("POST /login", c.login)
	m.HandleFunc("POST /logout", c.signedIn(c.logout))
	m.HandleFunc("GET /t/{device}/{day}/{number}", c.ticketPage)
	m.HandleFunc("GET /t/{ticket}", c.ticketPage)

	m.HandleFunc("GET /{$}", c.signedIn(c.overview))
	m.HandleFunc("GET /devices/{id}", c.signedIn(c.devicePage))
	m.HandleFunc("POST /devices/{id}/commands", c.signedIn(c.command))
	m.HandleFunc("POST /devices/{id}/board", c.signedIn(c.setBoard))
	m.HandleFunc("GET /devices/{id}/commands.json", c.signedIn(c.commandsJSON))
	m.HandleFunc("GET /devices/{id}/screenshots/{cmd}", c.signedIn(c.screenshot))

	m.HandleFunc("GET /library", c.signedIn(c.libraryPage))
	m.HandleFunc("GET /library/message", c.signedIn(c.messagePage))
	m.HandleFunc("POST /library/message", c.signedIn(c.saveMessage))
	m.HandleFunc("GET /library/preview.json", c.signedIn(c.previewJSON))
	m.HandleFunc("GET /library/preview.png", c.signedIn(c.previewPNG))
	c.uploadRoutes()    // pictures and articles: uploads.go
	c.programmeRoutes() // programmes and "排期播放": programmes.go

	m.HandleFunc("GET /notices", c.signedIn(c.noticesPage))
	m.HandleFunc("GET /notices/new", c.signedIn(c.newNoticePage))
	m.HandleFunc("POST /notices/new", c.signedIn(c.postNotice))
	m.HandleFunc("GET /notices/preview.png", c.signedIn(c.noticePreviewPNG))
	m.HandleFunc("GET /notices/{id}", c.signedIn(c.noticePage))
	m.HandleFunc("POST /notices/{id}/withdraw", c.signedIn(c.withdrawNotice))
	m.HandleFunc("GET /schedules", c.signedIn(c.schedulesPage))
	m.HandleFunc("GET /schedules/new", c.signedIn(c.newSchedulePage))
	m.HandleFunc("POST /schedules", c.signedIn(c.saveSchedule))
	m.HandleFunc("GET /schedules/{id}/edit", c.signedIn(c.editSchedulePage))
	m.HandleFunc("GET /schedules/delete", c.signedIn(c.deleteSchedulePage))
	m.HandleFunc("POST /schedules/delete", c.signedIn(c.deleteSchedule))
	m.HandleFunc("GET /schedules/drafts", c.signedIn(c.draftsPage))
	m.HandleFunc("POST /schedules/drafts/{id}", c.signedIn(c.decideDraft))
	m.HandleFunc("GET /schedules/week", c.signedIn(c.weekPage))
	m.HandleFunc("GET /schedules/month", c.signedIn(c.monthPage))
	m.HandleFunc("GET /rollout", c.signedIn(c.rolloutPage))
	m.HandleFunc("GET /rollout.json", c.signedIn(c.rolloutJSON))

	m.HandleFunc("GET /reports", c.signedIn(c.reportsPage))
	m.HandleFunc("GET /reports.csv", c.signedIn(c.reportsCSV))

	m.HandleFunc("GET /advisers", c.signedIn(c.advisersPage))
	m.HandleFunc("GET /advisers/new", c.signedIn(c.newAdviserPage))
	m.HandleFunc("POST /advisers/new", c.signedIn(c.createAdviser))
	m.HandleFunc("GET /advisers/{id}", c.signedIn(c.adviserPage))
	m.HandleFunc("POST /advisers/{id}", c.signedIn(c.saveAdviser))
	m.HandleFunc("POST /advisers/{id}/profile", c.signedIn(c.saveProfile))
	m.HandleFunc("POST /advisers/{id}/exceptions", c.signedIn(c.addException))
	m.HandleFunc("POST /advisers/{id}/exceptions/{eid}/delete", c.signedIn(c.deleteException))
	m.HandleFunc("GET /bookings", c.signedIn(c.bookingsPage))
	m.HandleFunc("POST /bookings/{code}/phone", c.signedIn(c.revealBooking))
	m.HandleFunc("POST /bookings/{code}/cancel", c.signedIn(c.cancelBooking))
	m.HandleFunc("GET /bookings/requests", c.signedIn(c.requestsPage))
	m.HandleFunc("POST /bookings/requests/phone", c.signedIn(c.revealRequest))

	m.HandleFunc("GET /audit", c.signedIn(c.auditPage))
	m.HandleFunc("GET /accounts", c.signedIn(c.accountsPage))
	m.HandleFunc("POST /accounts", c.signedIn(c.createAccount))
	c.accountRoutes() // own password, reset, disable, enable: password.go

	m.HandleFunc("/", c.signedIn(func(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
		c.errorPage(w, r, rc, http.StatusNotFound, "页面不存在", "没有这个页面，请从上方菜单进入。")
	}))
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// clientIP is the request's peer address (the console does not trust
// X-Forwarded-For: put a proxy's own limits in front if there is one).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// record writes an audit row for the request's account.
func (c *Console) record(r *http.Request, rc *reqCtx, e fleet.AuditEntry) {
	if rc != nil {
		e.Actor, e.Role = rc.acct.Username, rc.acct.Role
	}
	e.Address = clientIP(r)
	_ = c.audit.Record(r.Context(), e)
}

// deny answers 403 with a Chinese page and records the refusal.
func (c *Console) deny(w http.ResponseWriter, r *http.Request, rc *reqCtx, target, region, why string) {
	c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditDenied, Target: target, Region: region, Outcome: fleet.OutcomeDenied,
		Summary: why + "（" + r.Method + " " + r.URL.Path + "）"})
	c.errorPage(w, r, rc, http.StatusForbidden, "无权访问", why)
}

// internal answers 500 and logs err (English, no personal data).
func (c *Console) internal(w http.ResponseWriter, r *http.Request, rc *reqCtx, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	c.log.Error("console request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	c.errorPage(w, r, rc, http.StatusInternalServerError, "操作失败", fleet.StaffMessage(err))
}

func isJSONRequest(r *http.Request) bool {
	return strings.HasSuffix(r.URL.Path, ".json") || strings.Contains(r.Header.Get("Accept"), "application/json")
}
