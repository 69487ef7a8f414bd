package sim

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"lawpoint/content"
)

// VerifyMode is how much of a manifest a simulated device checks.
type VerifyMode string

const (
	// VerifySignature checks what makes content trustworthy: the envelope,
	// the county key ID, the Ed25519 signature over the exact payload
	// bytes, and then the payload's device ID, serial (newer than the one
	// applied) and expiry. It skips what content.Verify adds on top: the
	// strict decode of the whole plan into Go values, the canonical
	// re-encoding comparison and the structural checks of the plan and
	// item refs (content.Manifest.check). Those guard against a buggy
	// fleet, not a forger; the fleet's own tests run content.Verify on
	// what it signs.
	VerifySignature VerifyMode = "sig"
	// VerifyFull runs content.Verify, exactly what the device agent does.
	VerifyFull VerifyMode = "full"
)

// signingDomain must equal content's private constant; TestVerifyModesAgree
// proves it does by checking manifests content.Sign made.
const signingDomain = "lawpoint-manifest-v1\x00"

var (
	errManifestKey    = errors.New("manifest signed by another key")
	errManifestSig    = errors.New("manifest signature does not match")
	errManifestDevice = errors.New("manifest is for another device")
	errManifestOld    = errors.New("manifest serial is not newer than the applied one")
	errManifestExpiry = errors.New("manifest has expired")
)

// manifestHead is the part of the payload VerifySignature reads.
type manifestHead struct {
	DeviceID  string    `json:"device_id"`
	Serial    uint64    `json:"serial"`
	ExpiresAt time.Time `json:"expires_at"`
}

// verifier checks manifests for the devices of one county key.
type verifier struct {
	mode  VerifyMode
	pub   ed25519.PublicKey
	keyID string
}

func newVerifier(mode VerifyMode, pub ed25519.PublicKey) (*verifier, error) {
	switch mode {
	case "":
		mode = VerifySignature
	case VerifySignature, VerifyFull:
	default:
		return nil, fmt.Errorf("verify mode %q: use sig or full", mode)
	}
	if len(pub) != ed25519.PublicKeySize {
		return nil, errors.New("county public key missing or malformed")
	}
	return &verifier{mode: mode, pub: pub, keyID: content.KeyID(pub)}, nil
}

// check verifies a signed manifest for deviceID and returns its serial.
func (v *verifier) check(data []byte, deviceID string, applied uint64, now time.Time) (uint64, error) {
	if v.mode == VerifyFull {
		m, err := content.Verify(data, v.pub, deviceID, applied, now, true)
		if err != nil {
			return 0, err
		}
		return m.Serial, nil
	}
	var env struct {
		KeyID     string `json:"key_id"`
		Payload   []byte `json:"payload"`
		Signature []byte `json:"signature"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return 0, fmt.Errorf("manifest envelope: %w", err)
	}
	if env.KeyID != v.keyID {
		return 0, errManifestKey
	}
	msg := make([]byte, 0, len(signingDomain)+len(env.Payload))
	msg = append(append(msg, signingDomain...), env.Payload...)
	if len(env.Signature) != ed25519.SignatureSize || !ed25519.Verify(v.pub, msg, env.Signature) {
		return 0, errManifestSig
	}
	var h manifestHead
	if err := json.Unmarshal(env.Payload, &h); err != nil {
		return 0, fmt.Errorf("manifest payload: %w", err)
	}
	switch {
	case h.DeviceID != deviceID:
		return 0, errManifestDevice
	case h.Serial <= applied:
		return 0, errManifestOld
	case !now.Before(h.ExpiresAt):
		return 0, errManifestExpiry
	}
	return h.Serial, nil
}
