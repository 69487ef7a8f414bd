package fleet

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// StaffRole is what a staff account may do in the console and API.
type StaffRole string

// Staff roles. Admins manage accounts and devices; more roles (township
// staff, counter staff) come with the console.
const (
	StaffAdmin StaffRole = "admin"
)

// Staff is a person's account for the console and API.
type Staff struct {
	Username string
	Hash     string // HashStaffPassword output
	Role     StaffRole
	Created  time.Time
}

// StaffKDFIterations is the PBKDF2-HMAC-SHA256 work factor for people's
// passwords (OWASP 2023 guidance); people choose guessable passwords, so
// unlike device secrets these get a slow hash.
const StaffKDFIterations = 600_000

// HashStaffPassword hashes a person's password with PBKDF2-HMAC-SHA256 and a
// random 16-byte salt, as "pbkdf2-sha256$iterations$salt$key" (base64).
func HashStaffPassword(password string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key, _ := pbkdf2.Key(sha256.New, password, salt, StaffKDFIterations, 32)
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", StaffKDFIterations,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// VerifyStaffPassword reports whether password matches hash.
func VerifyStaffPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > 10_000_000 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[2])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

// CreateStaff creates a staff account with a random password, returned
// once. It does not mark the password to be changed (tests and tools sign
// in with it through the API); lawpoint-fleet init does, with
// Accounts.RequireChange, and accounts made in the console always are.
func (r *Registry) CreateStaff(ctx context.Context, username string, role StaffRole) (password string, err error) {
	return r.createStaff(ctx, username, role, NewSecret()[:20]) // 120 bits, still typeable
}

// CreateStaffWithPassword creates a staff account with a password its
// owner chose (lawpoint-fleet init --admin-password-file): checked by the
// rules of a password change (NewPasswordProblems) and, being the owner's
// own, not one to change at the first sign-in.
func (r *Registry) CreateStaffWithPassword(ctx context.Context, username string, role StaffRole, password string) error {
	username = strings.TrimSpace(username)
	if ps := NewPasswordProblems(username, password, password); len(ps) > 0 {
		return ps
	}
	_, err := r.createStaff(ctx, username, role, password)
	return err
}

func (r *Registry) createStaff(ctx context.Context, username string, role StaffRole, password string) (string, error) {
	username = strings.TrimSpace(username)
	if username == "" || utf8.RuneCountInString(username) > 64 || !printable(username) {
		return "", invalid("staff username must be 1 to 64 printable characters", "用户名须为1到64个字符")
	}
	if role != StaffAdmin {
		return "", invalid(fmt.Sprintf("staff role %q is unknown", role), "未知的用户角色")
	}
	s := Staff{Username: username, Hash: HashStaffPassword(password), Role: role, Created: r.now()}
	if err := r.store.CreateStaff(ctx, s); err != nil {
		return "", fmt.Errorf("create staff account: %w", err)
	}
	return password, nil
}

// Staff sessions.
const (
	DefaultSessionTTL = 12 * time.Hour
	MaxSessionTTL     = 90 * 24 * time.Hour
)

// Login checks a staff member's password and opens a session. It returns
// the bearer token (shown once; only its SHA-256 is stored) and when it
// expires. ttl <= 0 means DefaultSessionTTL. Unknown users and wrong
// passwords fail alike with ErrBadCredentials; a disabled account fails
// with ErrAccountDisabled whatever the password (answer it as
// ErrBadCredentials); an account whose password was set by someone else
// fails, with the right password only, with ErrPasswordChangeRequired.
func (r *Registry) Login(ctx context.Context, username, password string, ttl time.Duration) (token string, expires time.Time, err error) {
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	if ttl > MaxSessionTTL {
		return "", time.Time{}, invalidField("ttl_hours", "a session lasts at most 90 days", "登录有效期最长90天")
	}
	st, state, err := r.staffWithState(ctx, strings.TrimSpace(username))
	if errors.Is(err, ErrNotFound) {
		VerifyStaffPassword(dummyStaffHash(), password)
		return "", time.Time{}, ErrBadCredentials
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("login: %w", err)
	}
	ok := VerifyStaffPassword(st.Hash, password)
	switch {
	case state.Disabled:
		return "", time.Time{}, ErrAccountDisabled
	case !ok:
		return "", time.Time{}, ErrBadCredentials
	case state.MustChange:
		return "", time.Time{}, ErrPasswordChangeRequired
	}
	now := r.now()
	token = "lps_" + NewSecret()
	s := Session{Hash: TokenHash(token), Username: st.Username, Created: now, Expires: now.Add(ttl)}
	if err := r.store.CreateSession(ctx, s); err != nil {
		return "", time.Time{}, fmt.Errorf("login: %w", err)
	}
	// A reset or a disabling that committed while the password was being
	// checked revoked every token but could not see this one.
	again, state, err := r.staffWithState(ctx, st.Username)
	if err != nil || state.Disabled || state.MustChange || again.Hash != st.Hash {
		_ = r.store.DeleteSession(ctx, s.Hash)
		switch {
		case err != nil && !errors.Is(err, ErrNotFound):
			return "", time.Time{}, fmt.Errorf("login: %w", err)
		case state.Disabled:
			return "", time.Time{}, ErrAccountDisabled
		}
		return "", time.Time{}, ErrBadCredentials
	}
	return token, s.Expires, nil
}

// staffWithState reads a staff account and, when the store keeps account
// states (fleet/sqlitestore does), its state.
func (r *Registry) staffWithState(ctx context.Context, username string) (Staff, AccountState, error) {
	as, ok := r.store.(AccountStore)
	if !ok {
		st, err := r.store.Staff(ctx, username)
		return st, AccountState{}, err
	}
	a, state, err := as.AccountWithState(ctx, username)
	return Staff{Username: a.Username, Hash: a.Hash, Role: a.Role, Created: a.Created}, state, err
}

// dummyStaffHash is checked for unknown users so the answer takes as long.
var dummyStaffHash = sync.OnceValue(func() string { return HashStaffPassword(NewSecret()) })

// SessionStaff returns the staff account of a bearer token;
// ErrUnauthorized if the token is unknown or expired, or its account is
// gone or disabled.
func (r *Registry) SessionStaff(ctx context.Context, token string) (Staff, error) {
	if token == "" {
		return Staff{}, ErrUnauthorized
	}
	s, err := r.store.Session(ctx, TokenHash(token), r.now())
	if err != nil {
		return Staff{}, err
	}
	st, state, err := r.staffWithState(ctx, s.Username)
	if errors.Is(err, ErrNotFound) || err == nil && state.Disabled {
		return Staff{}, ErrUnauthorized
	}
	return st, err
}

// Logout ends the session of a bearer token.
func (r *Registry) Logout(ctx context.Context, token string) error {
	return r.store.DeleteSession(ctx, TokenHash(token))
}
