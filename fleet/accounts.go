package fleet

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ConsoleSession is a signed-in browser: the cookie's token stored as its
// SHA-256, with an idle and an absolute expiry. Console sessions are apart
// from the API's bearer tokens (staff_sessions): the API does not accept a
// console cookie, so no API route can be driven by a forged cross-site form.
type ConsoleSession struct {
	Hash     [32]byte
	Username string
	Created  time.Time
	Seen     time.Time // last request (updated at most once a minute)
	Expires  time.Time // absolute end, whatever the activity
}

// AccountStore keeps staff accounts with their role and township, console
// sessions, and the audit log.
type AccountStore interface {
	AuditStore
	// Account returns one account; ErrNotFound if none.
	Account(ctx context.Context, username string) (Account, error)
	// Accounts lists every account by username.
	Accounts(ctx context.Context) ([]Account, error)
	// CreateAccount stores a new account and its audit row in one
	// transaction; ErrExists if the name is taken (and nothing is stored).
	CreateAccount(ctx context.Context, a Account, audit AuditEntry) error

	CreateConsoleSession(ctx context.Context, s ConsoleSession) error
	// ConsoleSession returns a session; ErrUnauthorized if none.
	ConsoleSession(ctx context.Context, hash [32]byte) (ConsoleSession, error)
	TouchConsoleSession(ctx context.Context, hash [32]byte, seen time.Time) error
	DeleteConsoleSession(ctx context.Context, hash [32]byte) error
	// PruneConsoleSessions deletes sessions that ended by now (absolute
	// expiry) or were idle since before idleSince.
	PruneConsoleSessions(ctx context.Context, now, idleSince time.Time) error
}

// Console session lifetimes.
const (
	DefaultConsoleIdle     = 30 * time.Minute
	DefaultConsoleAbsolute = 12 * time.Hour
)

// Accounts signs staff in and out of the console and manages accounts.
type Accounts struct {
	store AccountStore
	audit *Audit
	now   func() time.Time

	// Idle ends a session not used for this long; Absolute ends every
	// session this long after sign-in.
	Idle, Absolute time.Duration
}

// NewAccounts returns the account service on s, auditing through audit.
func NewAccounts(s AccountStore, audit *Audit) *Accounts {
	return &Accounts{store: s, audit: audit, now: time.Now, Idle: DefaultConsoleIdle, Absolute: DefaultConsoleAbsolute}
}

// SetClock replaces the clock (tests).
func (a *Accounts) SetClock(now func() time.Time) { a.now = now }

// Store returns the account store.
func (a *Accounts) Store() AccountStore { return a.store }

// SignIn checks a password and opens a console session. It returns the
// cookie token (only its hash is stored). Unknown users and wrong passwords
// fail alike with ErrBadCredentials, after the same PBKDF2 work.
func (a *Accounts) SignIn(ctx context.Context, username, password string) (string, Account, error) {
	acct, err := a.store.Account(ctx, username)
	if errors.Is(err, ErrNotFound) {
		VerifyStaffPassword(dummyStaffHash(), password)
		return "", Account{}, ErrBadCredentials
	}
	if err != nil {
		return "", Account{}, fmt.Errorf("sign in: %w", err)
	}
	if !VerifyStaffPassword(acct.Hash, password) {
		return "", acct, ErrBadCredentials
	}
	now := a.now()
	token := "lpc_" + NewSecret()
	s := ConsoleSession{Hash: TokenHash(token), Username: acct.Username, Created: now, Seen: now, Expires: now.Add(a.Absolute)}
	if err := a.store.CreateConsoleSession(ctx, s); err != nil {
		return "", Account{}, fmt.Errorf("sign in: %w", err)
	}
	return token, acct, nil
}

// Session returns the account of a console token, refusing sessions past
// their absolute end or idle for longer than Idle (ErrUnauthorized). It
// records the activity at most once a minute.
func (a *Accounts) Session(ctx context.Context, token string) (Account, ConsoleSession, error) {
	if token == "" {
		return Account{}, ConsoleSession{}, ErrUnauthorized
	}
	h := TokenHash(token)
	s, err := a.store.ConsoleSession(ctx, h)
	if err != nil {
		return Account{}, ConsoleSession{}, err
	}
	now := a.now()
	if !now.Before(s.Expires) || now.Sub(s.Seen) >= a.Idle {
		_ = a.store.DeleteConsoleSession(ctx, h)
		return Account{}, ConsoleSession{}, ErrUnauthorized
	}
	acct, err := a.store.Account(ctx, s.Username)
	if errors.Is(err, ErrNotFound) {
		return Account{}, ConsoleSession{}, ErrUnauthorized
	}
	if err != nil {
		return Account{}, ConsoleSession{}, err
	}
	if now.Sub(s.Seen) >= time.Minute {
		if err := a.store.TouchConsoleSession(ctx, h, now); err != nil {
			return Account{}, ConsoleSession{}, err
		}
		s.Seen = now
	}
	return acct, s, nil
}

// SignOut ends a console session.
func (a *Accounts) SignOut(ctx context.Context, token string) error {
	return a.store.DeleteConsoleSession(ctx, TokenHash(token))
}

// Prune deletes ended sessions.
func (a *Accounts) Prune(ctx context.Context) error {
	now := a.now()
	return a.store.PruneConsoleSessions(ctx, now, now.Add(-a.Idle))
}

// Create makes a new account with a random password (returned once) and
// records it in the audit log in the same transaction. Only administrators
// create accounts.
func (a *Accounts) Create(ctx context.Context, by Account, address string, n Account) (string, Account, error) {
	if !by.Admin() {
		return "", Account{}, &Error{Code: "forbidden", Msg: "only a county administrator creates accounts", Zh: "只有县级管理员可以创建账号"}
	}
	if err := NormalizeAccount(&n); err != nil {
		return "", Account{}, err
	}
	password := NewSecret()[:20]
	n.Hash = HashStaffPassword(password)
	n.Created = a.now()
	e := a.audit.prepare(AuditEntry{Actor: by.Username, Role: by.Role, Action: AuditAccount, Target: n.Username, Region: n.Township,
		Summary: fmt.Sprintf("创建账号 %s（%s）", n.Username, n.Role.Label()),
		After:   fmt.Sprintf("role=%s township=%s", n.Role, n.Township), Address: address})
	if err := a.store.CreateAccount(ctx, n, e); err != nil {
		if errors.Is(err, ErrExists) {
			return "", Account{}, invalidField("username", "that username is taken", "该用户名已被使用，请换一个")
		}
		return "", Account{}, err
	}
	return password, n, nil
}
