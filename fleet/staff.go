package fleet

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
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
// once for the person to change at first login.
func (r *Registry) CreateStaff(ctx context.Context, username string, role StaffRole) (password string, err error) {
	username = strings.TrimSpace(username)
	if username == "" || utf8.RuneCountInString(username) > 64 || !printable(username) {
		return "", invalid("staff username must be 1 to 64 printable characters", "用户名须为1到64个字符")
	}
	if role != StaffAdmin {
		return "", invalid(fmt.Sprintf("staff role %q is unknown", role), "未知的用户角色")
	}
	password = NewSecret()[:20] // 120 bits, still typeable
	s := Staff{Username: username, Hash: HashStaffPassword(password), Role: role, Created: r.now()}
	if err := r.store.CreateStaff(ctx, s); err != nil {
		return "", fmt.Errorf("create staff account: %w", err)
	}
	return password, nil
}
