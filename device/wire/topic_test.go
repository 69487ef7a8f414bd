package wire

import (
	"errors"
	"strings"
	"testing"
)

func TestTopicRoundTrip(t *testing.T) {
	for _, k := range Kinds() {
		topic := Topic("kiosk-0001", k)
		id, kind, err := ParseTopic(topic)
		if err != nil || id != "kiosk-0001" || kind != k {
			t.Errorf("ParseTopic(%q) = %q, %q, %v; want kiosk-0001, %q", topic, id, kind, err, k)
		}
		if !strings.HasPrefix(topic, "lp/v1/dev/") {
			t.Errorf("Topic = %q, not under lp/v1/dev/", topic)
		}
	}
	if got := SharedFilter(KindEvents); got != "$share/fleet/lp/v1/dev/+/events" {
		t.Errorf("SharedFilter(events) = %q", got)
	}
}

func TestParseTopicRefuses(t *testing.T) {
	for _, topic := range []string{
		"", "lp/v1/dev/", "lp/v1/dev/kiosk-0001", "lp/v1/dev/kiosk-0001/", "lp/v1/dev/kiosk-0001/desired/x",
		"lp/v1/dev/+/desired", "lp/v1/dev/#", "lp/v2/dev/kiosk-0001/desired", "/lp/v1/dev/kiosk-0001/desired",
		"lp/v1/dev/Kiosk-0001/desired", "lp/v1/dev/kiosk-0001/nope", "lp/v1/dev/k/desired",
		"$share/fleet/lp/v1/dev/kiosk-0001/events", "lp/v1/dev/kiosk_1/desired",
	} {
		_, _, err := ParseTopic(topic)
		if !errors.Is(err, ErrTopic) {
			t.Errorf("ParseTopic(%q) err = %v; want ErrTopic", topic, err)
		}
	}
	_, _, err := ParseTopic("lp/v1/dev/a+b/desired")
	if !errors.Is(err, ErrDeviceID) || Code(err) != "bad_device_id" {
		t.Errorf("bad device ID in topic: err = %v, code %q; want ErrDeviceID too", err, Code(err))
	}
}

func TestValidateDeviceID(t *testing.T) {
	good := []string{"abc", "kiosk-0001", "led-bangtou-baxia-01", "0ab", strings.Repeat("a", 64)}
	bad := []string{"", "ab", "-abc", "Kiosk", "a/b", "a+b", "a#b", "a b", "a%u", "$sys", "a_b", "a.b",
		strings.Repeat("a", 65), "设备01"}
	for _, id := range good {
		if err := ValidateDeviceID(id); err != nil {
			t.Errorf("ValidateDeviceID(%q) = %v; want nil", id, err)
		}
	}
	for _, id := range bad {
		if err := ValidateDeviceID(id); !errors.Is(err, ErrDeviceID) {
			t.Errorf("ValidateDeviceID(%q) = %v; want ErrDeviceID", id, err)
		}
	}
}

func TestSpecsAreComplete(t *testing.T) {
	seen := map[Kind]bool{}
	for _, s := range Specs() {
		if seen[s.Kind] {
			t.Errorf("kind %q listed twice", s.Kind)
		}
		seen[s.Kind] = true
		if s.MaxBytes <= 0 || s.MaxBytes > MaxPayload {
			t.Errorf("%s: MaxBytes %d outside (0, MaxPayload]", s.Kind, s.MaxBytes)
		}
		if s.Writer == Fleet && !s.DeviceReads {
			t.Errorf("%s: written by the fleet but not read by the device", s.Kind)
		}
		if _, ok := samples()[s.Kind]; !ok {
			t.Errorf("%s: no sample payload in the tests", s.Kind)
		}
	}
	// Only presence and the two state topics are retained.
	for _, s := range Specs() {
		want := s.Kind == KindPresence || s.Kind == KindDesired || s.Kind == KindReported
		if s.Retain != want {
			t.Errorf("%s: Retain = %v, want %v", s.Kind, s.Retain, want)
		}
	}
}
