package fleet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
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

	// AccountWithState returns an account and its state; ErrNotFound if
	// none.
	AccountWithState(ctx context.Context, username string) (Account, AccountState, error)
	// AccountStates returns the state of every account by username.
	AccountStates(ctx context.Context) (map[string]AccountState, error)
	// AddAccount is CreateAccount with the new account's state (its
	// MustChange flag and PasswordSet time); CreateAccount stores the zero
	// state, as tests and lawpoint-fleet init do.
	AddAccount(ctx context.Context, a Account, s AccountState, audit AuditEntry) error
	// SetMustChange sets or clears an account's MustChange flag alone;
	// ErrNotFound if there is no such account.
	SetMustChange(ctx context.Context, username string, on bool) error
	// SetPassword stores c, deletes every console session of the account
	// except c.Keep and all its API tokens (staff_sessions), and stores the
	// audit row that audit makes of what was revoked, in one transaction;
	// ErrNotFound (and nothing changed) if there is no such account.
	SetPassword(ctx context.Context, c PasswordChange, audit func(Revoked) AuditEntry) error
	// SetDisabled disables the account at a non-zero time (deleting all its
	// console sessions and API tokens) or enables it (zero), and stores the
	// audit row, in one transaction. Disabling fails with ErrLastAdmin, and
	// changes nothing, when no other enabled administrator would remain;
	// ErrNotFound if there is no such account.
	SetDisabled(ctx context.Context, username string, at time.Time, audit func(Revoked) AuditEntry) error
}

// AccountState is what an account's sign-in depends on beside its
// password and role.
type AccountState struct {
	// MustChange: the password was set by someone else (lawpoint-fleet
	// init or reset-admin, an administrator's new account or reset). The
	// console lets the account do nothing but change it, and the API
	// refuses to log it in (ErrPasswordChangeRequired).
	MustChange bool
	// Disabled accounts cannot sign in to the console or the API; their
	// sessions and tokens were revoked when they were disabled.
	Disabled   bool
	DisabledAt time.Time
	// PasswordSet is when the password was last set; zero: at creation.
	PasswordSet time.Time
}

// PasswordChange is a new password hash for an account (AccountStore.SetPassword).
type PasswordChange struct {
	Username   string
	Hash       string // HashStaffPassword output
	MustChange bool
	At         time.Time
	// Keep is the hash of the console session that stays signed in (the
	// one that changed its own password); the zero hash keeps none.
	Keep [32]byte
	// Enable also enables a disabled account (lawpoint-fleet reset-admin).
	Enable bool
}

// Revoked counts the sessions a password change or a disabling ended.
type Revoked struct {
	ConsoleSessions int64
	APITokens       int64
}

// Errors of account management.
var (
	// ErrAccountDisabled: the account is disabled. Sign-in answers it
	// exactly like ErrBadCredentials (the Chinese message is the same);
	// only the audit row says why.
	ErrAccountDisabled = &Error{"account_disabled", "the account is disabled (answered as a wrong username or password)", "用户名或密码错误"}
	// ErrPasswordChangeRequired: the account's password was set by someone
	// else and must be changed in the console before the API logs it in.
	ErrPasswordChangeRequired = &Error{"password_change_required",
		"the password was set by someone else: sign in to the staff console, change it there, then log in again",
		"此账号的密码是初始密码或由管理员重置的，须先登录管理控制台修改密码，然后再用 lawpointctl 登录"}
	// ErrWrongPassword: the current password given to change it is wrong.
	ErrWrongPassword = &Error{"wrong_password", "the current password is wrong", "当前密码不正确"}
	// ErrLastAdmin: the change would leave no enabled county administrator.
	ErrLastAdmin = &Error{"last_admin", "at least one enabled county administrator must remain",
		"至少要保留一个可用的县级管理员账号，否则全县将无人能管理账号"}
)

// Password rules for a password a person chooses.
const (
	MinPasswordChars = 10
	MaxPasswordChars = 256 // the sign-in forms take at most 1,024 bytes
	// PasswordRulesZh is what the change form says beside the field.
	PasswordRulesZh = "至少10个字符；不能与用户名相同；不能与当前密码相同"
)

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
// fail alike with ErrBadCredentials, after the same PBKDF2 work; a disabled
// account fails with ErrAccountDisabled (answer it as ErrBadCredentials)
// whatever the password. An account that must change its password signs
// in: the console then shows it the password page only.
func (a *Accounts) SignIn(ctx context.Context, username, password string) (string, Account, error) {
	acct, st, err := a.store.AccountWithState(ctx, username)
	if errors.Is(err, ErrNotFound) {
		VerifyStaffPassword(dummyStaffHash(), password)
		return "", Account{}, ErrBadCredentials
	}
	if err != nil {
		return "", Account{}, fmt.Errorf("sign in: %w", err)
	}
	ok := VerifyStaffPassword(acct.Hash, password)
	if st.Disabled {
		return "", acct, ErrAccountDisabled
	}
	if !ok {
		return "", acct, ErrBadCredentials
	}
	now := a.now()
	token := "lpc_" + NewSecret()
	s := ConsoleSession{Hash: TokenHash(token), Username: acct.Username, Created: now, Seen: now, Expires: now.Add(a.Absolute)}
	if err := a.store.CreateConsoleSession(ctx, s); err != nil {
		return "", Account{}, fmt.Errorf("sign in: %w", err)
	}
	// A reset or a disabling that committed while the password was being
	// checked has revoked every session but could not see this one.
	again, st2, err := a.store.AccountWithState(ctx, acct.Username)
	if err != nil || st2.Disabled || again.Hash != acct.Hash {
		_ = a.store.DeleteConsoleSession(ctx, s.Hash)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return "", Account{}, fmt.Errorf("sign in: %w", err)
		}
		if st2.Disabled {
			return "", acct, ErrAccountDisabled
		}
		return "", acct, ErrBadCredentials
	}
	return token, acct, nil
}

// Session returns the account of a console token, refusing sessions past
// their absolute end or idle for longer than Idle, and sessions of disabled
// accounts (ErrUnauthorized). It records the activity at most once a
// minute.
func (a *Accounts) Session(ctx context.Context, token string) (Account, ConsoleSession, error) {
	acct, _, s, err := a.SessionWithState(ctx, token)
	return acct, s, err
}

// SessionWithState is Session with the account's state (the console sends
// an account that must change its password to the password page).
func (a *Accounts) SessionWithState(ctx context.Context, token string) (Account, AccountState, ConsoleSession, error) {
	if token == "" {
		return Account{}, AccountState{}, ConsoleSession{}, ErrUnauthorized
	}
	h := TokenHash(token)
	s, err := a.store.ConsoleSession(ctx, h)
	if err != nil {
		return Account{}, AccountState{}, ConsoleSession{}, err
	}
	now := a.now()
	if !now.Before(s.Expires) || now.Sub(s.Seen) >= a.Idle {
		_ = a.store.DeleteConsoleSession(ctx, h)
		return Account{}, AccountState{}, ConsoleSession{}, ErrUnauthorized
	}
	acct, st, err := a.store.AccountWithState(ctx, s.Username)
	if errors.Is(err, ErrNotFound) {
		return Account{}, AccountState{}, ConsoleSession{}, ErrUnauthorized
	}
	if err != nil {
		return Account{}, AccountState{}, ConsoleSession{}, err
	}
	if st.Disabled {
		_ = a.store.DeleteConsoleSession(ctx, h)
		return Account{}, AccountState{}, ConsoleSession{}, ErrUnauthorized
	}
	if now.Sub(s.Seen) >= time.Minute {
		if err := a.store.TouchConsoleSession(ctx, h, now); err != nil {
			return Account{}, AccountState{}, ConsoleSession{}, err
		}
		s.Seen = now
	}
	return acct, st, s, nil
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

// oneTimePassword is a password made for someone else to type once: 120
// random bits, still typeable.
func oneTimePassword() string { return NewSecret()[:20] }

// Create makes a new account with a random password (returned once), which
// the account must change at its first console sign-in, and records it in
// the audit log in the same transaction. Only administrators create
// accounts.
func (a *Accounts) Create(ctx context.Context, by Account, address string, n Account) (string, Account, error) {
	if !by.Admin() {
		return "", Account{}, &Error{Code: "forbidden", Msg: "only a county administrator creates accounts", Zh: "只有县级管理员可以创建账号"}
	}
	if err := NormalizeAccount(&n); err != nil {
		return "", Account{}, err
	}
	password := oneTimePassword()
	n.Hash = HashStaffPassword(password)
	n.Created = a.now()
	e := a.audit.prepare(AuditEntry{Actor: by.Username, Role: by.Role, Action: AuditAccount, Target: n.Username, Region: n.Township,
		Summary: fmt.Sprintf("创建账号 %s（%s）", n.Username, n.Role.Label()),
		After:   fmt.Sprintf("role=%s township=%s", n.Role, n.Township), Address: address})
	if err := a.store.AddAccount(ctx, n, AccountState{MustChange: true, PasswordSet: n.Created}, e); err != nil {
		if errors.Is(err, ErrExists) {
			return "", Account{}, invalidField("username", "that username is taken", "该用户名已被使用，请换一个")
		}
		return "", Account{}, err
	}
	return password, n, nil
}

func fieldProblem(field, msg, zh string) *FieldError {
	return &FieldError{Field: field, Err: &Error{Code: ErrInvalid.Code, Msg: "invalid input: " + field + ": " + msg, Zh: zh}}
}

// NewPasswordProblems checks a new password that username chose (typed
// twice: next and confirm) against the rules other than "not the current
// one": at least MinPasswordChars characters, at most MaxPasswordChars,
// no control characters, not the username. Fields: "new", "confirm".
func NewPasswordProblems(username, next, confirm string) FieldErrors {
	var out FieldErrors
	n := utf8.RuneCountInString(next)
	switch {
	case next == "":
		out = append(out, fieldProblem("new", "give the new password", "请填写新密码"))
	case n < MinPasswordChars:
		out = append(out, fieldProblem("new", "the new password needs at least 10 characters", fmt.Sprintf("新密码至少需要%d个字符（现在是%d个）", MinPasswordChars, n)))
	case n > MaxPasswordChars:
		out = append(out, fieldProblem("new", "the new password has more than 256 characters", fmt.Sprintf("新密码最多%d个字符", MaxPasswordChars)))
	case !utf8.ValidString(next) || !printable(next):
		out = append(out, fieldProblem("new", "the new password has control characters", "新密码不能包含控制字符"))
	case strings.EqualFold(strings.TrimSpace(next), username):
		out = append(out, fieldProblem("new", "the new password is the username", "新密码不能与用户名相同"))
	}
	switch {
	case confirm == "" && next != "":
		out = append(out, fieldProblem("confirm", "give the new password a second time", "请再输入一次新密码"))
	case confirm != next:
		out = append(out, fieldProblem("confirm", "the two new passwords differ", "两次输入的新密码不一致"))
	}
	return out
}

// revokedZh says in Chinese what a change revoked, for the audit row.
func revokedZh(rv Revoked) string {
	return fmt.Sprintf("已注销 %d 个控制台登录、%d 个 API 令牌", rv.ConsoleSessions, rv.APITokens)
}

// ChangePassword changes acct's own password after checking the current
// one and the rules (NewPasswordProblems, and not the current password);
// every problem comes back at once as FieldErrors (fields "current",
// "new", "confirm"), a wrong current password among them as
// ErrWrongPassword (audited, so the console can limit guesses as at
// sign-in). On success every other console session of the account and all
// its API tokens are revoked; the console session of token stays. The
// change is audited, never the password.
func (a *Accounts) ChangePassword(ctx context.Context, acct Account, token, current, next, confirm, address string) error {
	var probs FieldErrors
	if current == "" {
		probs = append(probs, fieldProblem("current", "give the current password", "请填写当前密码"))
	}
	probs = append(probs, NewPasswordProblems(acct.Username, next, confirm)...)
	if current != "" {
		fresh, _, err := a.store.AccountWithState(ctx, acct.Username)
		if errors.Is(err, ErrNotFound) {
			return ErrUnauthorized
		}
		if err != nil {
			return fmt.Errorf("change password: %w", err)
		}
		switch {
		case len(current) > 1024 || !VerifyStaffPassword(fresh.Hash, current):
			probs = append(FieldErrors{{Field: "current", Err: ErrWrongPassword}}, probs...)
			_ = a.audit.Record(ctx, AuditEntry{Actor: acct.Username, Role: acct.Role, Action: AuditAccount, Target: acct.Username,
				Region: acct.Township, Outcome: OutcomeFailed, Summary: "修改密码失败：当前密码不正确", Address: address})
		case next == current:
			probs = append(probs, fieldProblem("new", "the new password is the current one", "新密码不能与当前密码相同"))
		}
	}
	if len(probs) > 0 {
		return probs
	}
	now := a.now()
	c := PasswordChange{Username: acct.Username, Hash: HashStaffPassword(next), At: now, Keep: TokenHash(token)}
	err := a.store.SetPassword(ctx, c, func(rv Revoked) AuditEntry {
		return a.audit.prepare(AuditEntry{At: now, Actor: acct.Username, Role: acct.Role, Action: AuditAccount, Target: acct.Username,
			Region: acct.Township, Summary: "修改了自己的密码；" + strings.Replace(revokedZh(rv), "已注销", "已注销其他", 1), Address: address})
	})
	if errors.Is(err, ErrNotFound) {
		return ErrUnauthorized
	}
	return err
}

// manage loads the account an administrator acts on, refusing
// non-administrators and the administrator's own account (so the county
// never locks itself out: there is always another administrator acting).
func (a *Accounts) manage(ctx context.Context, by Account, username, selfZh string) (Account, AccountState, error) {
	if !by.Admin() {
		return Account{}, AccountState{}, &Error{Code: "forbidden", Msg: "only a county administrator manages accounts", Zh: "只有县级管理员可以管理账号。"}
	}
	if username == by.Username {
		return Account{}, AccountState{}, &Error{Code: "forbidden", Msg: "an administrator cannot do this to their own account", Zh: selfZh}
	}
	t, st, err := a.store.AccountWithState(ctx, username)
	if errors.Is(err, ErrNotFound) {
		return Account{}, AccountState{}, &Error{Code: ErrNotFound.Code, Msg: "no such account", Zh: "没有这个账号"}
	}
	return t, st, err
}

// ResetPassword gives another account a new random password (returned
// once), which it must change at its next console sign-in, and revokes
// all its console sessions and API tokens; audited. Only administrators
// reset, and not their own password (they change it).
func (a *Accounts) ResetPassword(ctx context.Context, by Account, address, username string) (string, error) {
	t, _, err := a.manage(ctx, by, username, "不能在这里重置自己的密码，请在“修改密码”页修改。")
	if err != nil {
		return "", err
	}
	password := oneTimePassword()
	now := a.now()
	c := PasswordChange{Username: t.Username, Hash: HashStaffPassword(password), MustChange: true, At: now}
	err = a.store.SetPassword(ctx, c, func(rv Revoked) AuditEntry {
		return a.audit.prepare(AuditEntry{At: now, Actor: by.Username, Role: by.Role, Action: AuditAccount, Target: t.Username, Region: t.Township,
			Summary: fmt.Sprintf("重置账号 %s 的密码（须在下次登录时修改）；%s", t.Username, revokedZh(rv)), Address: address})
	})
	if err != nil {
		return "", err
	}
	return password, nil
}

// SetDisabled disables (disable) or enables another account; audited.
// Disabling revokes the account's console sessions and API tokens at once;
// a disabled account cannot sign in anywhere. Only administrators do this,
// never to themselves, and never to the last enabled administrator
// (ErrLastAdmin).
func (a *Accounts) SetDisabled(ctx context.Context, by Account, address, username string, disable bool) error {
	self := "不能停用自己的账号，以免全县无人能管理账号；如确需停用，请另一位县级管理员操作。"
	if !disable {
		self = "不能启用自己的账号。"
	}
	t, st, err := a.manage(ctx, by, username, self)
	if err != nil {
		return err
	}
	if st.Disabled == disable {
		zh := "该账号已是停用状态。"
		if !disable {
			zh = "该账号未被停用，无需启用。"
		}
		return &Error{Code: ErrConflict.Code, Msg: "the account is already in that state", Zh: zh}
	}
	now := a.now()
	at, verb := now, "停用"
	if !disable {
		at, verb = time.Time{}, "启用"
	}
	return a.store.SetDisabled(ctx, t.Username, at, func(rv Revoked) AuditEntry {
		sum := fmt.Sprintf("%s账号 %s（%s）", verb, t.Username, t.Role.Label())
		if disable {
			sum += "；" + revokedZh(rv)
		}
		return a.audit.prepare(AuditEntry{At: now, Actor: by.Username, Role: by.Role, Action: AuditAccount, Target: t.Username, Region: t.Township,
			Summary: sum, Before: "disabled=" + fmt.Sprint(!disable), After: "disabled=" + fmt.Sprint(disable), Address: address})
	})
}

// ResetAdminActor is the audit actor of ResetAdmin.
const ResetAdminActor = "lawpoint-fleet"

// ResetAdmin is for the server operator who lost the last administrator's
// password (lawpoint-fleet reset-admin): it gives the administrator
// account username a new random password (returned once) that it must
// change at its next console sign-in, enables it if it was disabled, and
// revokes its sessions and tokens. The audit row's actor is
// "lawpoint-fleet" and its address the host it ran on.
func (a *Accounts) ResetAdmin(ctx context.Context, username, host string) (password string, enabled bool, err error) {
	t, st, err := a.store.AccountWithState(ctx, username)
	if err != nil || !t.Admin() {
		admins, lerr := a.admins(ctx)
		if lerr != nil {
			return "", false, lerr
		}
		if errors.Is(err, ErrNotFound) {
			return "", false, fmt.Errorf("no account %q; administrator accounts here: %s", username, admins)
		}
		if err != nil {
			return "", false, err
		}
		return "", false, fmt.Errorf("%q is not a county administrator (role %s); administrator accounts here: %s", username, t.Role, admins)
	}
	password = oneTimePassword()
	now := a.now()
	c := PasswordChange{Username: t.Username, Hash: HashStaffPassword(password), MustChange: true, At: now, Enable: true}
	err = a.store.SetPassword(ctx, c, func(rv Revoked) AuditEntry {
		sum := fmt.Sprintf("服务器上用 lawpoint-fleet reset-admin 重置了县级管理员 %s 的密码（须在下次登录时修改）；%s", t.Username, revokedZh(rv))
		if st.Disabled {
			sum += "；该账号原已停用，现已重新启用"
		}
		return a.audit.prepare(AuditEntry{At: now, Actor: ResetAdminActor, Action: AuditAccount, Target: t.Username, Summary: sum, Address: host})
	})
	if err != nil {
		return "", false, err
	}
	return password, st.Disabled, nil
}

// admins lists the administrator accounts' names, for an error message.
func (a *Accounts) admins(ctx context.Context) (string, error) {
	as, err := a.store.Accounts(ctx)
	if err != nil {
		return "", err
	}
	var names []string
	for _, x := range as {
		if x.Admin() {
			names = append(names, x.Username)
		}
	}
	if len(names) == 0 {
		return "(none)", nil
	}
	return strings.Join(names, ", "), nil
}

// RequireChange marks an account's password as set by someone else, to be
// changed at its next console sign-in (lawpoint-fleet init does this for
// the first administrator).
func (a *Accounts) RequireChange(ctx context.Context, username string) error {
	return a.store.SetMustChange(ctx, username, true)
}
