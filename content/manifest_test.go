package content

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// seeded returns a deterministic key so tests and corpora are stable.
func seeded(b byte) (ed25519.PublicKey, ed25519.PrivateKey) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
	return priv.Public().(ed25519.PublicKey), priv
}

func manifestSet() *Set {
	s := baseSet()
	s.Schedules = []Schedule{
		{ID: "s-evening", ProgrammeID: "p-fraud", Priority: 5, Target: Target{Regions: []string{"仙游县/榜头镇"}}, Weekdays: EveryDay,
			Windows: []Window{{Start: Clock(18, 0, 0), End: Clock(21, 0, 0)}}},
		{ID: "s-aid", ProgrammeID: "p-aid", Priority: 1, Target: Target{Kinds: []string{DeviceLED}}, Always: true},
	}
	s.Notices = []Notice{{ID: "n-flood", Text: "防汛紧急通知：请远离河道", Regions: []string{"仙游县/榜头镇"},
		Start: at(shanghai, 2024, 12, 3, 9, 0, 0), Expiry: at(shanghai, 2024, 12, 3, 18, 0, 0)}}
	return s
}

func signedFixture(t testing.TB) (data []byte, pub ed25519.PublicKey, priv ed25519.PrivateKey, m *Manifest) {
	t.Helper()
	pub, priv = seeded(7)
	c := compile(t, manifestSet())
	m, err := c.BuildManifest(ledBaxia, 42, at(shanghai, 2024, 12, 2, 10, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	data, err = Sign(m, priv)
	if err != nil {
		t.Fatal(err)
	}
	return data, pub, priv, m
}

func TestManifestSignVerify(t *testing.T) {
	data, pub, _, m := signedFixture(t)
	now := at(shanghai, 2024, 12, 2, 10, 5, 0)
	got, err := Verify(data, pub, "led-baxia", 41, now, true)
	if err != nil {
		t.Fatal(err)
	}
	if got.Serial != 42 || got.DeviceID != "led-baxia" || !got.ExpiresAt.Equal(m.IssuedAt.Add(PlanHorizon)) {
		t.Errorf("verified manifest %+v", got)
	}
	var ids []string
	for _, r := range got.Items {
		ids = append(ids, r.ID+"@"+r.Path)
	}
	if want := "img-12348@/content/items/img-12348/1 t-aid@/content/items/t-aid/2 t-fraud@/content/items/t-fraud/1"; strings.Join(ids, " ") != want {
		t.Errorf("item refs %v, want %s", ids, want)
	}
	if len(got.Notices) != 1 || got.Notices[0].ID != "n-flood" {
		t.Errorf("notices %+v", got.Notices)
	}
	// The device plays from the manifest alone, as Resolve would.
	c := compile(t, manifestSet())
	for _, when := range []time.Time{now, at(shanghai, 2024, 12, 2, 18, 30, 0), at(shanghai, 2024, 12, 3, 12, 0, 0), at(shanghai, 2024, 12, 15, 20, 59, 59)} {
		a, ok := got.At(when, true)
		if want := c.Resolve(ledBaxia, when, Trusted); !ok || !a.Same(want) {
			t.Errorf("manifest at %v plays %s (ok %v), Resolve %s", when, playing(a), ok, playing(want))
		}
	}
	if a, _ := got.At(now, false); playing(a) != "schedule:s-aid/p-aid" {
		t.Errorf("untrusted clock plays %s, want the always schedule", playing(a))
	}
	if _, ok := got.At(got.ExpiresAt, true); ok {
		t.Errorf("manifest still answers after it expired")
	}
}

func TestManifestVerifyRejects(t *testing.T) {
	data, pub, priv, m := signedFixture(t)
	now := at(shanghai, 2024, 12, 2, 10, 5, 0)
	otherPub, otherPriv := seeded(9)
	resign := func(payload []byte) []byte {
		b, _ := json.Marshal(envelope{KeyID: KeyID(pub), Payload: payload, Signature: ed25519.Sign(priv, append([]byte(signingDomain), payload...))})
		return b
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatal(err)
	}
	payload := env.Payload
	cases := []struct {
		name    string
		data    []byte
		pub     ed25519.PublicKey
		device  string
		applied uint64
		now     time.Time
		trusted bool
		want    error
	}{
		{"bare manifest without signature", payload, pub, "led-baxia", 0, now, true, ErrUnsigned},
		{"empty signature", mustJSON(envelope{KeyID: KeyID(pub), Payload: payload}), pub, "led-baxia", 0, now, true, ErrUnsigned},
		{"payload changed after signing", bytes.Replace(data, []byte(`"signature":"`), []byte(`"signature":"AAAA`), 1), pub, "led-baxia", 0, now, true, ErrTampered},
		{"payload byte flipped", mustJSON(envelope{KeyID: env.KeyID, Payload: bytes.Replace(payload, []byte(`"serial":42`), []byte(`"serial":99`), 1), Signature: env.Signature}), pub, "led-baxia", 0, now, true, ErrTampered},
		{"signed by another key", func() []byte { b, _ := Sign(m, otherPriv); return b }(), pub, "led-baxia", 0, now, true, ErrWrongKey},
		{"another key claiming our key ID", mustJSON(envelope{KeyID: KeyID(pub), Payload: payload, Signature: ed25519.Sign(otherPriv, append([]byte(signingDomain), payload...))}), pub, "led-baxia", 0, now, true, ErrTampered},
		{"verified with another key", data, otherPub, "led-baxia", 0, now, true, ErrWrongKey},
		{"for another device", data, pub, "led-zize", 0, now, true, ErrWrongDevice},
		{"expired on a trusted clock", data, pub, "led-baxia", 0, m.ExpiresAt, true, ErrExpired},
		{"replayed serial", data, pub, "led-baxia", 42, now, true, ErrReplay},
		{"older serial", data, pub, "led-baxia", 100, now, true, ErrReplay},
		{"non-canonical: indented", resign(indent(payload)), pub, "led-baxia", 0, now, true, ErrNonCanonical},
		{"non-canonical: local times", resign(bytes.ReplaceAll(payload, []byte(`"issued_at":"2024-12-02T02:00:00Z"`), []byte(`"issued_at":"2024-12-02T10:00:00+08:00"`))), pub, "led-baxia", 0, now, true, ErrNonCanonical},
		{"unknown schema", resign(bytes.Replace(payload, []byte(`{"schema":1,`), []byte(`{"schema":2,`), 1)), pub, "led-baxia", 0, now, true, ErrUnknownSchema},
		{"unknown field", resign(bytes.Replace(payload, []byte(`{"schema":1,`), []byte(`{"schema":1,"extra":true,`), 1)), pub, "led-baxia", 0, now, true, ErrMalformed},
		{"oversized", append(bytes.Repeat([]byte(" "), MaxManifestSize), data...), pub, "led-baxia", 0, now, true, ErrTooLarge},
		{"not JSON", []byte("hello"), pub, "led-baxia", 0, now, true, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := bytes.Clone(c.data)
			m, err := Verify(c.data, c.pub, c.device, c.applied, c.now, c.trusted)
			if !errors.Is(err, c.want) || m != nil {
				t.Errorf("Verify = %v, %v; want %v", m, err, c.want)
			}
			if err != nil && !strings.Contains(err.Error(), ";") {
				t.Errorf("error %q does not say what to do", err)
			}
			if !bytes.Equal(before, c.data) {
				t.Errorf("Verify changed its input")
			}
		})
	}
}

func TestManifestExpiryNeedsTrustedClock(t *testing.T) {
	data, pub, _, m := signedFixture(t)
	late := m.ExpiresAt.Add(24 * time.Hour)
	got, err := Verify(data, pub, "led-baxia", 0, late, false)
	if err != nil {
		t.Fatalf("an untrusted clock cannot judge expiry, yet Verify said %v", err)
	}
	if !got.Expired(late) {
		t.Errorf("Expired(%v) is false", late)
	}
	if a, _ := got.At(late, false); a.ClockTrusted || playing(a) != "schedule:s-aid/p-aid" {
		t.Errorf("untrusted clock plays %s", playing(a))
	}
}

func TestManifestEncodeIsCanonical(t *testing.T) {
	_, _, _, m := signedFixture(t)
	a, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	// The same manifest with times in another zone and refs shuffled
	// encodes to the same bytes.
	m2 := *m
	m2.IssuedAt = m.IssuedAt.In(shanghai)
	m2.Items = append([]ItemRef(nil), m.Items...)
	m2.Items[0], m2.Items[1] = m2.Items[1], m2.Items[0]
	b, err := m2.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("encodings differ:\n%s\n%s", a, b)
	}
	if !bytes.HasPrefix(a, []byte(`{"schema":1,"device_id":"led-baxia","serial":42,"issued_at":"2024-12-02T02:00:00Z",`)) {
		t.Errorf("encoding starts %s", a[:120])
	}
	if m.Items[0].ID != "img-12348" || !m.IssuedAt.Equal(m2.IssuedAt) {
		t.Errorf("Encode changed the manifest")
	}
}

func TestKeys(t *testing.T) {
	pub, priv := seeded(3)
	s := EncodePublicKey(pub)
	if !strings.HasPrefix(s, "ed25519:") {
		t.Errorf("public key text %q", s)
	}
	back, err := DecodePublicKey(s)
	if err != nil || !back.Equal(pub) {
		t.Errorf("DecodePublicKey = %v, %v", back, err)
	}
	pk, err := DecodePrivateKey(EncodePrivateKey(priv))
	if err != nil || !pk.Equal(priv) {
		t.Errorf("DecodePrivateKey = %v", err)
	}
	for _, bad := range []string{"", "ed25519:", "ed25519:AAAA", "rsa:" + strings.TrimPrefix(s, "ed25519:"), strings.TrimPrefix(s, "ed25519:")} {
		if _, err := DecodePublicKey(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("DecodePublicKey(%q) = %v", bad, err)
		}
	}
	if id := KeyID(pub); len(id) != 16 || id == KeyID(ed25519.PublicKey(make([]byte, 32))) {
		t.Errorf("KeyID %q", id)
	}
	p2, k2, err := GenerateKey(nil)
	if err != nil || !k2.Public().(ed25519.PublicKey).Equal(p2) {
		t.Errorf("GenerateKey: %v", err)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func indent(b []byte) []byte {
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", " "); err != nil {
		panic(err)
	}
	return out.Bytes()
}
