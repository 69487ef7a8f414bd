package content

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// Key text prefixes.
const (
	publicKeyPrefix  = "ed25519:"
	privateKeyPrefix = "ed25519-seed:"
)

// GenerateKey makes a county signing key from r (crypto/rand when nil).
func GenerateKey(r io.Reader) (ed25519.PublicKey, ed25519.PrivateKey, error) {
	if r == nil {
		r = rand.Reader
	}
	pub, priv, err := ed25519.GenerateKey(r)
	if err != nil {
		return nil, nil, fmt.Errorf("content: generating a signing key: %w", err)
	}
	return pub, priv, nil
}

// EncodePublicKey writes pub as "ed25519:" followed by standard base64, the
// form a device's configuration holds.
func EncodePublicKey(pub ed25519.PublicKey) string {
	return publicKeyPrefix + base64.StdEncoding.EncodeToString(pub)
}

// DecodePublicKey reads the form EncodePublicKey writes.
func DecodePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := decodeKey(s, publicKeyPrefix, ed25519.PublicKeySize)
	if err != nil {
		return nil, err
	}
	return ed25519.PublicKey(b), nil
}

// EncodePrivateKey writes key's 32-byte seed as "ed25519-seed:" followed by
// standard base64. Keep it secret: whoever holds it decides what boards show.
func EncodePrivateKey(key ed25519.PrivateKey) string {
	return privateKeyPrefix + base64.StdEncoding.EncodeToString(key.Seed())
}

// DecodePrivateKey reads the form EncodePrivateKey writes.
func DecodePrivateKey(s string) (ed25519.PrivateKey, error) {
	b, err := decodeKey(s, privateKeyPrefix, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	return ed25519.NewKeyFromSeed(b), nil
}

func decodeKey(s, prefix string, size int) ([]byte, error) {
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return nil, fmt.Errorf("content: key %q does not start with %q; copy the whole key as the fleet printed it: %w", abbreviate(s), prefix, ErrInvalid)
	}
	b, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(b) != size {
		return nil, fmt.Errorf("content: key after %q is not %d bytes of base64; copy the whole key as the fleet printed it: %w", prefix, size, ErrInvalid)
	}
	return b, nil
}

func abbreviate(s string) string {
	if len(s) > 16 {
		return s[:16] + "..."
	}
	return s
}

// KeyID names a public key: the first 8 bytes of its SHA-256, in hex. It
// tells keys apart in logs and manifests; it proves nothing.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}
