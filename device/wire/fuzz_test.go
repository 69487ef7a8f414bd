package wire

import (
	"errors"
	"strings"
	"testing"
)

// FuzzDecode: no input panics any decoder, every refusal carries a class,
// and whatever decodes re-encodes and decodes to the same payload.
func FuzzDecode(f *testing.F) {
	kinds := Kinds()
	for i, k := range kinds {
		b, err := Encode(samples()[k])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), b)
	}
	f.Add(uint8(0), []byte(`{"schema":1,"status":"online","session":18446744073709551615}`))
	f.Add(uint8(2), []byte(`{"schema":1e400}`))
	f.Add(uint8(5), []byte(`{"schema":1,"batch":"b","events":[{"seq":1,"type":"rating","data":null}]}`))
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		k := kinds[int(which)%len(kinds)]
		p, err := Decode(k, b)
		if err != nil {
			if Code(err) == "" {
				t.Fatalf("Decode(%s) error without a class: %v", k, err)
			}
			return
		}
		// Per-kind data decoders must not panic either.
		switch v := p.(type) {
		case Command:
			_, _ = v.DecodeArgs()
		case EventBatch:
			for _, e := range v.Events {
				_, _ = e.DecodeData()
				_ = e.Fingerprint()
			}
		}
		again, err := Encode(p)
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				return // compact re-encoding can only shrink, but escaping may grow
			}
			t.Fatalf("decoded %s does not re-encode: %v\ninput %q", k, err, b)
		}
		p2, err := Decode(k, again)
		if err != nil {
			t.Fatalf("re-encoded %s does not decode: %v\n%s", k, err, again)
		}
		if normalize(t, p) != normalize(t, p2) {
			t.Fatalf("%s changed on a second round trip:\n%s\n%s", k, normalize(t, p), normalize(t, p2))
		}
	})
}

// FuzzParseTopic: no panic; an accepted topic is rebuilt exactly by Topic.
func FuzzParseTopic(f *testing.F) {
	f.Add("lp/v1/dev/kiosk-0001/desired")
	f.Add("lp/v1/dev/+/events")
	f.Add("$share/fleet/lp/v1/dev/+/events")
	f.Add("lp/v1/dev//")
	f.Fuzz(func(t *testing.T, topic string) {
		id, k, err := ParseTopic(topic)
		if err != nil {
			if !errors.Is(err, ErrTopic) {
				t.Fatalf("ParseTopic(%q) error is not ErrTopic: %v", topic, err)
			}
			return
		}
		if Topic(id, k) != topic {
			t.Fatalf("ParseTopic(%q) = %q, %q, which rebuilds as %q", topic, id, k, Topic(id, k))
		}
	})
}

// FuzzAllow: no panic; a device is never granted anything outside its own
// subtree, never a wildcard, and never a topic the fleet writes.
func FuzzAllow(f *testing.F) {
	f.Add("kiosk-0001", "lp/v1/dev/kiosk-0001/desired", false)
	f.Add("kiosk-0001", "lp/v1/dev/+/desired", false)
	f.Add("kiosk-0001", "#", false)
	f.Add("a+b", "lp/v1/dev/a+b/events", true)
	f.Fuzz(func(t *testing.T, user, topic string, write bool) {
		_ = Allow(user, true, topic, write)
		if !Allow(user, false, topic, write) {
			return
		}
		id, k, err := ParseTopic(topic)
		if err != nil || id != user {
			t.Fatalf("device %q granted %q (write=%v) outside its subtree", user, topic, write)
		}
		spec, _ := SpecOf(k)
		if write && spec.Writer != Device {
			t.Fatalf("device %q granted write on %q, which only the fleet writes", user, topic)
		}
		if strings.ContainsAny(topic, "+#") {
			t.Fatalf("device %q granted wildcard %q", user, topic)
		}
	})
}
