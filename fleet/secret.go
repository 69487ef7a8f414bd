package fleet

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"strings"
)

// SecretBytes is the entropy of every generated password and token.
const SecretBytes = 32

// NewSecret returns SecretBytes random bytes as unpadded base64url text
// (43 characters), for device passwords and enrolment tokens.
func NewSecret() string {
	b := make([]byte, SecretBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashPassword hashes a high-entropy machine password for storage in
// Mosquitto's "$6$" password-file format: base64(salt) and base64 of
// SHA-512(password || salt) with a 12-byte random salt. One hash is enough
// for 256-bit random secrets (no dictionary to search), is cheap when 50,000
// devices reconnect at once, and lets export-mosquitto write the broker's
// password file without ever knowing a password. Human passwords must use a
// slow KDF instead.
func HashPassword(password string) string {
	salt := make([]byte, 12)
	_, _ = rand.Read(salt)
	return formatSHA512(salt, password)
}

func formatSHA512(salt []byte, password string) string {
	h := sha512.New()
	h.Write([]byte(password))
	h.Write(salt)
	return "$6$" + base64.StdEncoding.EncodeToString(salt) + "$" + base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// dummyHash is compared against when a username is unknown, so the answer
// takes as long as for a known one.
var dummyHash = HashPassword(NewSecret())

// VerifyPassword reports whether password matches hash (HashPassword
// output). The digest comparison is constant-time.
func VerifyPassword(hash, password string) bool {
	rest, ok := strings.CutPrefix(hash, "$6$")
	if !ok {
		return false
	}
	saltText, sumText, ok := strings.Cut(rest, "$")
	if !ok {
		return false
	}
	salt, err1 := base64.StdEncoding.DecodeString(saltText)
	want, err2 := base64.StdEncoding.DecodeString(sumText)
	if err1 != nil || err2 != nil || len(want) != sha512.Size {
		return false
	}
	h := sha512.New()
	h.Write([]byte(password))
	h.Write(salt)
	return subtle.ConstantTimeCompare(h.Sum(nil), want) == 1
}

// TokenHash is how an enrolment token is stored: its SHA-256. Tokens are
// 256-bit random, so an unsalted hash cannot be reversed, and the hash can be
// looked up directly.
func TokenHash(token string) [32]byte {
	return sha256.Sum256([]byte(strings.TrimSpace(token)))
}
