package fleet

import (
	"context"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"
)

// Audit actions: what staff did (or tried to do).
const (
	AuditLogin          = "login"           // sign-in (ok, or failed with the reason)
	AuditLogout         = "logout"          // sign-out
	AuditDenied         = "denied"          // a 403: a page or action outside the account's role or township
	AuditCSRF           = "csrf_refused"    // a form without a valid CSRF token
	AuditCommand        = "command"         // a device command (ping, reboot, ...)
	AuditContent        = "content"         // an item written or changed
	AuditSchedule       = "schedule"        // a schedule written, drafted or deleted
	AuditApprove        = "approve"         // a township draft approved
	AuditPublish        = "publish"         // a notice or schedule published
	AuditAccount        = "account"         // a staff account created or changed
	AuditShowPersonal   = "show_personal"   // full phone numbers or names shown
	AuditNoticeWithdraw = "notice_withdraw" // an emergency notice withdrawn
	AuditDevice         = "device"          // a device registered, revoked, given an enrolment token, or its LED board or settings changed
	// The adviser and booking actions; the console's adviser pages write
	// the same values (fleet/console advisers.go), the API these.
	AuditAdviser       = "adviser"        // an adviser added, or its profile, hours, leave, extra hours or calendar address changed
	AuditBookingCancel = "booking_cancel" // a booking cancelled by staff
)

// Audit outcomes.
const (
	OutcomeOK     = "ok"
	OutcomeFailed = "failed"
	OutcomeDenied = "denied"
)

// AuditEntry is one row of the audit log. Before and After summarise what
// changed (short text or JSON; never a password, token or phone number).
type AuditEntry struct {
	ID      int64
	At      time.Time
	Actor   string    // staff username ("" for an unknown name at sign-in)
	Role    StaffRole // the actor's role at the time
	Action  string    // one of the Audit* actions
	Target  string    // what it was about: a device ID, item ID, account, path
	Region  string    // the region the target lies in, when it has one
	Outcome string    // OutcomeOK, OutcomeFailed or OutcomeDenied
	Summary string    // one line in Chinese for staff
	Before  string
	After   string
	Address string // the client's IP address
}

// MaxAuditText bounds Summary, Before and After (characters).
const MaxAuditText = 2000

// AuditFilter selects audit rows; empty fields match everything.
type AuditFilter struct {
	Actor   string
	Action  string
	Outcome string
	Target  string
	Region  string // rows whose region lies in or under this one
	From    time.Time
	To      time.Time // exclusive
	Before  int64     // rows with ID < Before (paging); 0 for the newest
	Limit   int       // 0 means 100; at most 1000
}

// AuditStore keeps the audit log. Rows are only ever added.
type AuditStore interface {
	// AddAudit appends a row and returns its ID.
	AddAudit(ctx context.Context, e AuditEntry) (int64, error)
	// AuditLog lists rows matching f, newest first.
	AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}

// Audit records what staff do. A row that cannot be stored is logged (in
// English, without personal data) so the action is never silently lost.
type Audit struct {
	store AuditStore
	log   *slog.Logger
	now   func() time.Time
}

// NewAudit returns the audit log on s.
func NewAudit(s AuditStore, log *slog.Logger) *Audit {
	if log == nil {
		log = slog.Default()
	}
	return &Audit{store: s, log: log, now: time.Now}
}

// SetClock replaces the clock (tests).
func (a *Audit) SetClock(now func() time.Time) { a.now = now }

// Record appends e, filling its time when zero and trimming long texts.
func (a *Audit) Record(ctx context.Context, e AuditEntry) error {
	e = a.prepare(e)
	_, err := a.store.AddAudit(context.WithoutCancel(ctx), e)
	if err != nil {
		a.log.Error("audit row not stored", "action", e.Action, "actor", e.Actor, "target", e.Target, "outcome", e.Outcome, "error", err)
	}
	return err
}

func (a *Audit) prepare(e AuditEntry) AuditEntry {
	if e.At.IsZero() {
		e.At = a.now()
	}
	if e.Outcome == "" {
		e.Outcome = OutcomeOK
	}
	e.Summary, e.Before, e.After = clip(e.Summary), clip(e.Before), clip(e.After)
	return e
}

// List returns audit rows matching f, newest first.
func (a *Audit) List(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 1000)
	f.Actor, f.Action, f.Target = strings.TrimSpace(f.Actor), strings.TrimSpace(f.Action), strings.TrimSpace(f.Target)
	return a.store.AuditLog(ctx, f)
}

func clip(s string) string {
	if utf8.RuneCountInString(s) <= MaxAuditText {
		return s
	}
	r := []rune(s)
	return string(r[:MaxAuditText-1]) + "…"
}
