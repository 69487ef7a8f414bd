package content

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"testing"
	"time"
)

// FuzzVerify feeds arbitrary bytes to Verify: it must never panic, and
// whatever it accepts must be well formed and canonical.
func FuzzVerify(f *testing.F) {
	data, pub, _, _ := signedFixture(f)
	var env envelope
	_ = json.Unmarshal(data, &env)
	f.Add(data)
	f.Add(env.Payload)
	f.Add([]byte(`{"key_id":"","payload":"","signature":""}`))
	f.Add([]byte(`{"schema":1}`))
	f.Add([]byte(`null`))
	f.Add(bytes.Replace(data, []byte(`"signature":"`), []byte(`"signature":"AA`), 1))
	now := at(shanghai, 2024, 12, 2, 10, 5, 0)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Verify(data, pub, "led-baxia", 0, now, true)
		if err != nil {
			if m != nil {
				t.Fatal("Verify returned a manifest with an error")
			}
			return
		}
		if err := m.check(); err != nil {
			t.Fatalf("Verify accepted a malformed manifest: %v", err)
		}
	})
}

// FuzzVerifyPayload signs arbitrary payloads with the county key, so the
// fuzzer reaches the manifest decoder behind the signature check.
func FuzzVerifyPayload(f *testing.F) {
	data, pub, priv, _ := signedFixture(f)
	var env envelope
	_ = json.Unmarshal(data, &env)
	f.Add(env.Payload)
	f.Add(bytes.Replace(env.Payload, []byte(`"segments":[`), []byte(`"segments":[{},`), 1))
	f.Add([]byte(`{"schema":1,"device_id":"led-baxia","serial":1}`))
	f.Add([]byte(`{"schema":1e9}`))
	now := at(shanghai, 2024, 12, 2, 10, 5, 0)
	f.Fuzz(func(t *testing.T, payload []byte) {
		signed, _ := json.Marshal(envelope{KeyID: KeyID(pub), Payload: payload, Signature: ed25519.Sign(priv, append([]byte(signingDomain), payload...))})
		m, err := Verify(signed, pub, "led-baxia", 0, now, false)
		if err != nil {
			return
		}
		again, err := m.Encode()
		if err != nil || !bytes.Equal(again, payload) {
			t.Fatalf("accepted payload does not re-encode to itself (%v):\n%s\n%s", err, payload, again)
		}
		for _, s := range m.Plan.Segments {
			if a, ok := m.At(s.Start, true); !ok && s.Start.Before(m.ExpiresAt) {
				t.Fatalf("no answer at a segment start %v: %+v", s.Start, a)
			}
		}
	})
}

// FuzzDecodeSchedule: DecodeSchedule never panics, what it accepts
// round-trips through JSON, and the resolver copes with it.
func FuzzDecodeSchedule(f *testing.F) {
	for _, s := range []string{
		`{"id":"s1","programme_id":"p-fraud","priority":3,"target":{"regions":["仙游县/榜头镇"]},"weekdays":["mon","sat"],"windows":[{"start":"22:00","end":"02:00","overnight":true}],"zone":"Asia/Shanghai"}`,
		`{"id":"s2","programme_id":"p-aid","priority":1000,"target":{"tags":["主街"],"kinds":["led"],"exclude_regions":["仙游县/度尾镇"]},"always":true}`,
		`{"id":"s3","programme_id":"p-aid","priority":0,"target":{"devices":["led-zize"]},"date_from":"2024-03-01","date_until":"2024-03-31","weekdays":["sun"],"windows":[{"start":"01:30:15","end":"24:00"}],"zone":"America/New_York"}`,
		`{"id":"s4","programme_id":"p-aid","priority":-1,"target":{},"weekdays":[],"windows":[{"start":"09:00","end":"09:00"}],"zone":"Mars/Olympus"}`,
		`{}`, `[]`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeSchedule(data)
		if err != nil {
			if _, ok := err.(Problems); !ok {
				t.Fatalf("error %T is not Problems: %v", err, err)
			}
			return
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := DecodeSchedule(b)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", b, err)
		}
		b2, _ := json.Marshal(s2)
		if !bytes.Equal(b, b2) {
			t.Fatalf("round trip changed the schedule:\n%s\n%s", b, b2)
		}
		set := baseSet()
		s.ProgrammeID = "p-fraud"
		set.Schedules = []Schedule{s}
		c, err := Compile(set)
		if err != nil {
			t.Fatalf("a decoded schedule does not compile: %v", err)
		}
		now := at(shanghai, 2024, 3, 10, 1, 0, 0)
		for _, d := range fleet {
			a := c.Resolve(d, now, Trusted)
			if !a.Until.IsZero() && !a.Until.After(now) {
				t.Fatalf("until %v is not after %v", a.Until, now)
			}
		}
		c.Plan(ledZize, now, 2*24*time.Hour)
	})
}

// FuzzDecodeSet: DecodeSet never panics and what it accepts compiles and
// resolves.
func FuzzDecodeSet(f *testing.F) {
	good, _ := json.Marshal(manifestSet())
	f.Add(good)
	f.Add([]byte(`{"items":[],"programmes":[],"schedules":[]}`))
	f.Add([]byte(`{"items":[{"id":"x","kind":"text","version":1,"sha256":"","size":0,"text":{"body":""}}],"programmes":[{"id":"p","entries":[{"item_id":"x","seconds":0}]}],"schedules":[],"fallbacks":{"led":"p","tv":"q"}}`))
	f.Add([]byte(`{"notices":[{"id":"n","text":"通知","regions":["仙游县"],"start":"2024-12-02T09:00:00+08:00","expiry":"2024-12-02T08:00:00+08:00"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeSet(data)
		if err != nil {
			return
		}
		c, err := Compile(s)
		if err != nil {
			t.Fatalf("a decoded set does not compile: %v", err)
		}
		now := at(shanghai, 2024, 12, 2, 10, 0, 0)
		for _, d := range fleet {
			c.Resolve(d, now, Trusted)
			c.Resolve(d, now, Options{})
		}
	})
}
