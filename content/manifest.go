package content

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ManifestSchema is the manifest schema this package writes and accepts.
const ManifestSchema = 1

// MaxManifestSize caps the signed manifest Verify reads, in bytes.
const MaxManifestSize = 4 << 20

// signingDomain prefixes the signed bytes so a manifest signature can never
// be taken for a signature over anything else made with the county key.
const signingDomain = "lawpoint-manifest-v1\x00"

// Manifest is everything one device needs to play for PlanHorizon without
// the fleet: its plan (which carries the notices and fallback in its
// answers, and the untrusted-clock answer), the items to fetch, and the
// notices for its region. The fleet raises Serial with every manifest it
// issues to a device; a device applies only a higher serial than it holds.
type Manifest struct {
	Schema    int       `json:"schema"`
	DeviceID  string    `json:"device_id"`
	Serial    uint64    `json:"serial"`
	IssuedAt  time.Time `json:"issued_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// Items are every item the plan plays, sorted by ID.
	Items []ItemRef `json:"items"`
	Plan  Plan      `json:"plan"`
	// Notices are the notices for the device's region that were neither
	// withdrawn nor expired when the manifest was issued, by start then ID.
	Notices []Notice `json:"notices"`
}

// ItemRef is an item a manifest's plan plays: where to fetch it, how to
// check it, and what the player needs to show it (a text's message and
// hints are carried whole, so a board needs no download for them).
type ItemRef struct {
	ID      string   `json:"id"`
	Kind    ItemKind `json:"kind"`
	Version int      `json:"version"`
	SHA256  string   `json:"sha256"`
	Size    int64    `json:"size"`
	// Path is the download path, /content/items/{id}/{version}.
	Path  string `json:"path"`
	Text  *Text  `json:"text,omitempty"`
	Image *Image `json:"image,omitempty"`
	Title string `json:"title,omitempty"`
}

// ItemPath is the download path of one version of an item.
func ItemPath(id string, version int) string {
	return "/content/items/" + id + "/" + strconv.Itoa(version)
}

// RefOf returns the manifest reference of it.
func RefOf(it Item) ItemRef {
	r := ItemRef{ID: it.ID, Kind: it.Kind, Version: it.Version, SHA256: it.SHA256, Size: it.Size, Path: ItemPath(it.ID, it.Version), Text: it.Text, Image: it.Image}
	if it.Article != nil {
		r.Title = it.Article.Title
	}
	return r
}

// ClockSkew is how far before its issue a manifest's plan starts, for
// devices whose clocks lag the fleet's.
const ClockSkew = 10 * time.Minute

// BuildManifest makes dev's manifest: a plan from ClockSkew before issuedAt
// to PlanHorizon after it, when the manifest expires.
func (c *Compiled) BuildManifest(dev Device, serial uint64, issuedAt time.Time) (*Manifest, error) {
	if serial == 0 {
		return nil, fmt.Errorf("content: manifest serial 0 is reserved for \"nothing applied\"; start serials at 1: %w", ErrInvalid)
	}
	if idProblem(dev.ID) != "" {
		return nil, fmt.Errorf("content: device ID %q is not usable in a manifest; register the device with an ID of letters, digits, '.', '_' or '-': %w", dev.ID, ErrInvalid)
	}
	issuedAt = issuedAt.UTC().Truncate(time.Second)
	// Start the plan a little early so a device whose clock lags the
	// fleet's still finds its segment.
	p := c.Plan(dev, issuedAt.Add(-ClockSkew), PlanHorizon+ClockSkew)
	m := &Manifest{Schema: ManifestSchema, DeviceID: dev.ID, Serial: serial, IssuedAt: issuedAt, ExpiresAt: p.To, Plan: *p, Items: []ItemRef{}, Notices: []Notice{}}
	var ids []string
	for _, s := range p.Segments {
		ids = append(ids, s.Answer.ItemIDs()...)
	}
	ids = append(ids, p.Untrusted.ItemIDs()...)
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		m.Items = append(m.Items, RefOf(*c.items[id]))
	}
	for _, n := range c.notices {
		if !n.Withdrawn && n.Expiry.After(p.From) && noticeCovers(&n, dev.Region) {
			m.Notices = append(m.Notices, n)
		}
	}
	return m, nil
}

// At returns what plays at t according to the manifest: the plan's segment
// on a trusted clock before ExpiresAt, else the untrusted-clock answer. ok
// is false when the clock is trusted and the manifest has run out.
func (m *Manifest) At(t time.Time, clockTrusted bool) (Answer, bool) {
	if clockTrusted && !t.Before(m.ExpiresAt) {
		return m.Plan.Untrusted, false
	}
	return m.Plan.At(t, clockTrusted)
}

// Expired reports whether m has expired at now; only meaningful on a
// trusted clock.
func (m *Manifest) Expired(now time.Time) bool { return !now.Before(m.ExpiresAt) }

// Encode returns the canonical encoding of m: compact JSON, fields in
// declaration order, item refs sorted by ID, every time in UTC as
// RFC 3339 with whole seconds ("2024-12-04T08:00:00Z"). m is not changed.
func (m *Manifest) Encode() ([]byte, error) {
	cm, err := canonical(m)
	if err != nil {
		return nil, err
	}
	if err := cm.check(); err != nil {
		return nil, fmt.Errorf("content: manifest cannot be encoded: %w", err)
	}
	return marshalCanonical(cm)
}

func marshalCanonical(m *Manifest) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("content: encoding manifest: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// canonical returns a copy of m with times in UTC and item refs sorted.
func canonical(m *Manifest) (*Manifest, error) {
	c := *m
	var bad error
	utc := func(t *time.Time) {
		if t.Nanosecond() != 0 && bad == nil {
			bad = fmt.Errorf("content: manifest time %s has a fraction of a second; use whole seconds: %w", t.Format(time.RFC3339Nano), ErrNonCanonical)
		}
		if !t.IsZero() {
			*t = t.UTC()
		}
	}
	answer := func(a *Answer) {
		utc(&a.Until)
		a.Notices = slices.Clone(a.Notices)
		for i := range a.Notices {
			utc(&a.Notices[i].Start)
			utc(&a.Notices[i].Expiry)
		}
	}
	utc(&c.IssuedAt)
	utc(&c.ExpiresAt)
	utc(&c.Plan.From)
	utc(&c.Plan.To)
	c.Items = slices.Clone(c.Items)
	slices.SortFunc(c.Items, func(a, b ItemRef) int { return strings.Compare(a.ID, b.ID) })
	c.Plan.Segments = slices.Clone(c.Plan.Segments)
	for i := range c.Plan.Segments {
		s := &c.Plan.Segments[i]
		utc(&s.Start)
		utc(&s.End)
		answer(&s.Answer)
	}
	answer(&c.Plan.Untrusted)
	c.Notices = slices.Clone(c.Notices)
	for i := range c.Notices {
		utc(&c.Notices[i].Start)
		utc(&c.Notices[i].Expiry)
	}
	return &c, bad
}

// check reports whether m is well formed (not whether it is for this
// device, current or newer; Verify checks those).
func (m *Manifest) check() error {
	switch {
	case m.Schema != ManifestSchema:
		return fmt.Errorf("schema %d is not %d", m.Schema, ManifestSchema)
	case idProblem(m.DeviceID) != "":
		return fmt.Errorf("device ID %q is not usable", m.DeviceID)
	case m.Serial == 0:
		return fmt.Errorf("serial is 0")
	case !m.IssuedAt.Before(m.ExpiresAt):
		return fmt.Errorf("expires at %s, not after it was issued at %s", m.ExpiresAt, m.IssuedAt)
	case !m.ExpiresAt.Equal(m.Plan.To):
		return fmt.Errorf("expires at %s but its plan ends at %s", m.ExpiresAt, m.Plan.To)
	case m.Plan.DeviceID != m.DeviceID:
		return fmt.Errorf("plan is for device %q, manifest for %q", m.Plan.DeviceID, m.DeviceID)
	}
	if err := m.Plan.check(); err != nil {
		return err
	}
	have := map[string]bool{}
	for i, r := range m.Items {
		switch {
		case idProblem(r.ID) != "":
			return fmt.Errorf("item ref %d has unusable ID %q", i, r.ID)
		case have[r.ID]:
			return fmt.Errorf("item %s is listed twice", r.ID)
		case i > 0 && r.ID < m.Items[i-1].ID:
			return fmt.Errorf("item refs are not sorted by ID")
		case r.Version < 1 || !isHexDigest(r.SHA256) || r.Size < 1 || r.Size > MaxItemSize:
			return fmt.Errorf("item %s has a bad version, sha256 or size", r.ID)
		case r.Path != ItemPath(r.ID, r.Version):
			return fmt.Errorf("item %s has path %q, want %q", r.ID, r.Path, ItemPath(r.ID, r.Version))
		}
		have[r.ID] = true
	}
	answers := []Answer{m.Plan.Untrusted}
	for _, s := range m.Plan.Segments {
		answers = append(answers, s.Answer)
	}
	for _, a := range answers {
		for _, id := range a.ItemIDs() {
			if !have[id] {
				return fmt.Errorf("plan plays item %s, which is not in the item refs", id)
			}
		}
	}
	return nil
}

// envelope is the wire form of a signed manifest.
type envelope struct {
	KeyID     string `json:"key_id"`
	Payload   []byte `json:"payload"`   // the canonical manifest, base64 in JSON
	Signature []byte `json:"signature"` // Ed25519 over signingDomain + payload
}

// Sign encodes m canonically and signs it with the county key, returning
// the bytes to send: {"key_id":...,"payload":base64,"signature":base64}.
func Sign(m *Manifest, key ed25519.PrivateKey) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("content: signing key has %d bytes, want %d; load it with DecodePrivateKey: %w", len(key), ed25519.PrivateKeySize, ErrInvalid)
	}
	payload, err := m.Encode()
	if err != nil {
		return nil, err
	}
	if len(payload) > MaxManifestSize*3/4-256 {
		return nil, fmt.Errorf("content: manifest for %s is %d bytes, too large to send; shorten notices or the plan: %w", m.DeviceID, len(payload), ErrTooLarge)
	}
	env := envelope{
		KeyID:     KeyID(key.Public().(ed25519.PublicKey)),
		Payload:   payload,
		Signature: ed25519.Sign(key, append([]byte(signingDomain), payload...)),
	}
	return json.Marshal(env)
}

// Verify checks a signed manifest as a device must before applying it, and
// returns the manifest. It rejects, with an error wrapping one sentinel:
// input over MaxManifestSize (ErrTooLarge), undecodable input
// (ErrMalformed), no signature (ErrUnsigned), a key other than pub
// (ErrWrongKey), a signature that does not match the bytes (ErrTampered),
// a schema other than ManifestSchema (ErrUnknownSchema), bytes that are
// not the canonical encoding (ErrNonCanonical), another device's manifest
// (ErrWrongDevice), a serial not above appliedSerial (ErrReplay; 0 means
// nothing applied yet), and, only when clockTrusted, a manifest whose
// ExpiresAt has passed (ErrExpired). With an untrusted clock expiry cannot
// be judged: the manifest is accepted, the device plays its Untrusted
// answer until the clock is set, and then checks Manifest.Expired.
// Verify does not modify data.
func Verify(data []byte, pub ed25519.PublicKey, deviceID string, appliedSerial uint64, now time.Time, clockTrusted bool) (*Manifest, error) {
	if len(data) > MaxManifestSize {
		return nil, fmt.Errorf("content: signed manifest is %d bytes, over the %d-byte limit; discard it and ask the fleet again: %w", len(data), MaxManifestSize, ErrTooLarge)
	}
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("content: county public key has %d bytes, want %d; configure it with DecodePublicKey: %w", len(pub), ed25519.PublicKeySize, ErrWrongKey)
	}
	var env struct {
		envelope
		Schema json.RawMessage `json:"schema"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("content: signed manifest is not the expected JSON envelope (%v); discard it and ask the fleet again: %w", err, ErrMalformed)
	}
	if len(env.Signature) == 0 {
		return nil, fmt.Errorf("content: manifest carries no signature; only content signed by the county may play, so discard it: %w", ErrUnsigned)
	}
	if env.KeyID != KeyID(pub) {
		return nil, fmt.Errorf("content: manifest is signed by key %q, not the county key %s; check the device's configured key or discard it: %w", env.KeyID, KeyID(pub), ErrWrongKey)
	}
	msg := make([]byte, 0, len(signingDomain)+len(env.Payload))
	msg = append(append(msg, signingDomain...), env.Payload...)
	if len(env.Signature) != ed25519.SignatureSize || !ed25519.Verify(pub, msg, env.Signature) {
		return nil, fmt.Errorf("content: manifest signature does not match its content; it was altered on the way, so discard it and ask the fleet again: %w", ErrTampered)
	}
	var head struct {
		Schema *int `json:"schema"`
	}
	if err := json.Unmarshal(env.Payload, &head); err != nil {
		return nil, fmt.Errorf("content: signed manifest payload is not JSON (%v); report it to the county: %w", err, ErrMalformed)
	}
	if head.Schema == nil || *head.Schema != ManifestSchema {
		got := "none"
		if head.Schema != nil {
			got = strconv.Itoa(*head.Schema)
		}
		return nil, fmt.Errorf("content: manifest schema %s is not %d; update the device software: %w", got, ManifestSchema, ErrUnknownSchema)
	}
	m := new(Manifest)
	dec := json.NewDecoder(bytes.NewReader(env.Payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(m); err != nil {
		return nil, fmt.Errorf("content: signed manifest does not decode (%v); report it to the county: %w", err, ErrMalformed)
	}
	if dec.More() {
		return nil, fmt.Errorf("content: signed manifest has data after its end; report it to the county: %w", ErrNonCanonical)
	}
	cm, err := canonical(m)
	if err != nil {
		return nil, err
	}
	again, err := marshalCanonical(cm)
	if err != nil || !bytes.Equal(again, env.Payload) {
		return nil, fmt.Errorf("content: signed manifest is not canonically encoded; report it to the county (the fleet must sign Manifest.Encode output): %w", ErrNonCanonical)
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("content: signed manifest is malformed: %v; report it to the county: %w", err, ErrMalformed)
	}
	if m.DeviceID != deviceID {
		return nil, fmt.Errorf("content: manifest is for device %s, not this device %s; check the device's identity: %w", m.DeviceID, deviceID, ErrWrongDevice)
	}
	if m.Serial <= appliedSerial {
		return nil, fmt.Errorf("content: manifest serial %d is not newer than the applied %d; keep the current content (this is an old or replayed manifest): %w", m.Serial, appliedSerial, ErrReplay)
	}
	if clockTrusted && m.Expired(now) {
		return nil, fmt.Errorf("content: manifest expired at %s (now %s); keep playing the fallback and ask the fleet for a new one: %w",
			m.ExpiresAt.Format(time.RFC3339), now.UTC().Format(time.RFC3339), ErrExpired)
	}
	return m, nil
}
