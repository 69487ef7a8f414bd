package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for k, p := range samples() {
		b, err := Encode(p)
		if err != nil {
			t.Fatalf("Encode(%s): %v", k, err)
		}
		if !bytes.Contains(b, []byte(`"schema":1`)) {
			t.Errorf("%s: encoded payload has no schema: %s", k, b)
		}
		got, err := Decode(k, b)
		if err != nil {
			t.Fatalf("Decode(%s, %s): %v", k, b, err)
		}
		want := p.withSchema()
		if !reflect.DeepEqual(normalize(t, got), normalize(t, want)) {
			t.Errorf("%s: round trip changed the payload:\n got %#v\nwant %#v", k, got, want)
		}
	}
}

// normalize re-encodes a payload, so RawMessage whitespace does not matter.
func normalize(t *testing.T, p Payload) string {
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDecodeRefuses(t *testing.T) {
	desired := func(edit func(m map[string]any)) []byte {
		b, _ := Encode(samples()[KindDesired])
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		out, _ := json.Marshal(m)
		return out
	}
	settings := func(m map[string]any) map[string]any { return m["settings"].(map[string]any) }
	cases := []struct {
		name  string
		in    []byte
		class error
		field string
	}{
		{"empty", nil, ErrMalformed, ""},
		{"array", []byte(`[1,2]`), ErrMalformed, ""},
		{"not json", []byte(`{"schema":1,`), ErrMalformed, ""},
		{"too large", append([]byte(`{"schema":1,"pad":"`), bytes.Repeat([]byte("x"), 512*1024)...), ErrTooLarge, ""},
		{"no schema", desired(func(m map[string]any) { delete(m, "schema") }), ErrSchema, "schema"},
		{"schema 2", desired(func(m map[string]any) { m["schema"] = 2 }), ErrSchema, "schema"},
		{"schema string", desired(func(m map[string]any) { m["schema"] = "1" }), ErrSchema, "schema"},
		{"unknown field", desired(func(m map[string]any) { m["colour"] = "red" }), ErrMalformed, ""},
		{"unknown nested field", desired(func(m map[string]any) { settings(m)["contrast"] = 3 }), ErrMalformed, ""},
		{"wrong type", desired(func(m map[string]any) { m["version"] = "7" }), ErrMalformed, "version"},
		{"trailing data", append(desired(func(map[string]any) {}), []byte(` {}`)...), ErrMalformed, ""},
		{"version 0", desired(func(m map[string]any) { m["version"] = 0 }), ErrInvalid, "version"},
		{"brightness 140", desired(func(m map[string]any) { settings(m)["brightness"] = 140 }), ErrInvalid, "settings.brightness"},
		{"bad zone", desired(func(m map[string]any) { settings(m)["time_zone"] = "../etc/passwd" }), ErrInvalid, "settings.time_zone"},
		{"telemetry 1s", desired(func(m map[string]any) { settings(m)["telemetry_interval_s"] = 1 }), ErrInvalid, "settings.telemetry_interval_s"},
		{"power 25:00", desired(func(m map[string]any) { settings(m)["power"] = map[string]string{"on": "25:00", "off": "06:00"} }), ErrInvalid, "settings.power.on"},
		{"manifest not object", desired(func(m map[string]any) { m["manifest"] = "signed" }), ErrInvalid, "manifest"},
		{"no issued_at", desired(func(m map[string]any) { delete(m, "issued_at") }), ErrInvalid, "issued_at"},
	}
	for _, c := range cases {
		_, err := DecodeDesired(c.in)
		if !errors.Is(err, c.class) {
			t.Errorf("%s: err = %v; want class %v", c.name, err, c.class)
			continue
		}
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("%s: err %T is not a *DecodeError", c.name, err)
			continue
		}
		if de.Kind != KindDesired || de.Field != c.field {
			t.Errorf("%s: kind %q field %q; want desired %q (%v)", c.name, de.Kind, de.Field, c.field, err)
		}
		if !strings.HasPrefix(err.Error(), "wire: desired") {
			t.Errorf("%s: message %q does not say which payload", c.name, err)
		}
	}
}

func TestDecodeCapIsPerKind(t *testing.T) {
	for _, s := range Specs() {
		in := append([]byte(`{"schema":1,"x":"`), bytes.Repeat([]byte("a"), s.MaxBytes)...)
		_, err := Decode(s.Kind, in)
		if Code(err) != "too_large" {
			t.Errorf("%s: %d-byte payload: err = %v; want too_large", s.Kind, len(in), err)
		}
	}
}

func TestEncodeRefusesInvalid(t *testing.T) {
	_, err := Encode(Presence{Status: "maybe", Session: 1})
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("Encode(bad presence) err = %v; want ErrInvalid", err)
	}
	big := EventBatch{Batch: "b-1"}
	for i := range MaxEventsPerBatch {
		big.Events = append(big.Events, Event{Seq: uint64(i + 1), Type: EventFault, At: t0, BootID: "b",
			Data: json.RawMessage(fmt.Sprintf(`{"code":"x","component":"agent","severity":"info","message":%q}`, strings.Repeat("长", 1000)))})
	}
	if _, err := Encode(big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Encode(oversized batch) err = %v; want ErrTooLarge", err)
	}
}

func TestPresenceRules(t *testing.T) {
	w, err := Encode(Will(9))
	if err != nil {
		t.Fatal(err)
	}
	p, err := DecodePresence(w)
	if err != nil || p.Status != Offline || p.Session != 9 || p.Reason != OfflineLost {
		t.Fatalf("will round trip = %+v, %v", p, err)
	}
	for name, in := range map[string]string{
		"session 0":           `{"schema":1,"status":"online","session":0,"device_kind":"led","app_version":"1"}`,
		"online with reason":  `{"schema":1,"status":"online","session":1,"reason":"lost","device_kind":"led","app_version":"1"}`,
		"offline w/o reason":  `{"schema":1,"status":"offline","session":1}`,
		"unknown device kind": `{"schema":1,"status":"online","session":1,"device_kind":"tv","app_version":"1"}`,
		"accept device kind":  `{"schema":1,"status":"online","session":1,"device_kind":"led","app_version":"1","accept":{"events":1}}`,
	} {
		if _, err := DecodePresence([]byte(in)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v; want ErrInvalid", name, err)
		}
	}
}

func TestCommandArgs(t *testing.T) {
	cmd := func(kind CommandKind, args string) Command {
		c := samples()[KindCommand].(Command)
		c.Kind, c.Args = kind, json.RawMessage(args)
		return c
	}
	a, err := cmd(CmdSetBrightness, `{"percent":30}`).DecodeArgs()
	if err != nil || a.(*SetBrightnessArgs).Percent != 30 {
		t.Errorf("set_brightness args = %#v, %v", a, err)
	}
	a, err = cmd(CmdIdentify, ``).DecodeArgs()
	if err != nil || a.(*IdentifyArgs).Seconds != 10 {
		t.Errorf("identify without args = %#v, %v; want 10 s default", a, err)
	}
	if a, err := cmd(CmdPing, `{}`).DecodeArgs(); a != nil || err != nil {
		t.Errorf("ping args = %#v, %v", a, err)
	}
	for _, c := range []struct {
		cmd   Command
		class error
	}{
		{cmd(CmdSetBrightness, `{"percent":101}`), ErrInvalid},
		{cmd(CmdSetBrightness, `{"level":3}`), ErrMalformed},
		{cmd(CmdPing, `{"x":1}`), ErrMalformed},
		{cmd(CmdIdentify, `{"seconds":3600}`), ErrInvalid},
		{cmd(CmdScreenshot, `{"upload_path":"http://evil/x"}`), ErrInvalid},
		{cmd(CmdScreenshot, `{"upload_path":"/api/../../etc"}`), ErrInvalid},
		{cmd("format_disk", `{}`), ErrUnsupported},
	} {
		if _, err := c.cmd.DecodeArgs(); !errors.Is(err, c.class) {
			t.Errorf("%s %s: err = %v; want %v", c.cmd.Kind, c.cmd.Args, err, c.class)
		}
	}
	// An unknown kind still decodes, so the device can answer "unsupported".
	b, _ := Encode(cmd("format_disk", `{}`))
	if c, err := DecodeCommand(b); err != nil || c.ID == "" {
		t.Errorf("unknown command kind must decode for the answer: %v", err)
	}
	bad := cmd(CmdPing, `{}`)
	bad.Deadline = bad.IssuedAt.Add(-1)
	if _, err := Encode(bad); !errors.Is(err, ErrInvalid) {
		t.Errorf("deadline before issue: err = %v", err)
	}
}

func TestResultNeedsMessageUnlessOK(t *testing.T) {
	r := samples()[KindResult].(Result)
	r.Status, r.Message = ResultFailed, ""
	if _, err := Encode(r); !errors.Is(err, ErrInvalid) {
		t.Errorf("failed without message: err = %v; want ErrInvalid", err)
	}
	r.Message = "LED board does not answer on /dev/ttyUSB0"
	if _, err := Encode(r); err != nil {
		t.Errorf("failed with message: %v", err)
	}
}

func TestEventData(t *testing.T) {
	ev := func(typ EventType, data string) Event {
		return Event{Seq: 1, Type: typ, At: t0, BootID: "b", Data: json.RawMessage(data)}
	}
	good := []Event{
		ev(EventTicketIssued, `{"ticket":"A023","service":"legal_aid","day":"2026-05-04"}`),
		ev(EventTicketCalled, `{"ticket":"A023","service":"legal_aid","day":"2026-05-04","counter":"1号窗口"}`),
		ev(EventTicketServed, `{"ticket":"A023","service":"mediation","day":"2026-05-04","counter":"2","service_s":600}`),
		ev(EventTicketNoShow, `{"ticket":"A023","service":"notary","day":"2026-05-04"}`),
		ev(EventBookingRequested, `{"request_id":"r-1","service":"consultation","slot_start":"2026-05-05T10:00:00+08:00","contact":{"name":"张三","phone":"13812345678"}}`),
		ev(EventRating, `{"service":"mediation","score":4,"tags":["patient"]}`),
		ev(EventPlay, `{"item_id":"msg-1","item_version":3,"manifest_serial":12,"from":"2026-05-04T09:00:00Z","to":"2026-05-04T10:00:00Z","plays":40,"seconds":400}`),
		ev(EventFault, `{"code":"no_reply","component":"led","severity":"error","message":"board silent","count":3}`),
	}
	for _, e := range good {
		if _, err := e.DecodeData(); err != nil {
			t.Errorf("%s: %v", e.Type, err)
		}
	}
	bad := []struct {
		e     Event
		class error
	}{
		{ev(EventTicketIssued, `{"ticket":"A023","service":"tax","day":"2026-05-04"}`), ErrInvalid},
		{ev(EventTicketIssued, `{"ticket":"A023","service":"legal_aid","day":"04/05/2026"}`), ErrInvalid},
		{ev(EventTicketCalled, `{"ticket":"A023","service":"legal_aid","day":"2026-05-04"}`), ErrInvalid},
		{ev(EventTicketIssued, `{"ticket":"A023","service":"legal_aid","day":"2026-05-04","phone":"138"}`), ErrMalformed},
		{ev(EventBookingRequested, `{"request_id":"r-1","service":"consultation","slot_start":"2026-05-05T10:00:00+08:00","contact":{"name":"张三","phone":"call me"}}`), ErrInvalid},
		{ev(EventRating, `{"service":"mediation","score":6}`), ErrInvalid},
		{ev(EventPlay, `{"item_id":"m","from":"2026-05-04T10:00:00Z","to":"2026-05-04T09:00:00Z","plays":1}`), ErrInvalid},
		{ev(EventFault, `{"code":"x","component":"led","severity":"fatal"}`), ErrInvalid},
		{ev("ticket.lost", `{}`), ErrUnsupported},
	}
	for _, c := range bad {
		if _, err := c.e.DecodeData(); !errors.Is(err, c.class) {
			t.Errorf("%s %s: err = %v; want %v", c.e.Type, c.e.Data, err, c.class)
		}
	}
}

func TestEventBatchRules(t *testing.T) {
	b := samples()[KindEvents].(EventBatch)
	b.Events[1].Seq = b.Events[0].Seq
	if _, err := Encode(b); !errors.Is(err, ErrInvalid) {
		t.Errorf("duplicate seq in batch: err = %v", err)
	}
	if got := EventID("kiosk-0001", 1201); got != "kiosk-0001:1201" {
		t.Errorf("EventID = %q", got)
	}
	e := samples()[KindEvents].(EventBatch).Events[0]
	f := e.Fingerprint()
	e2 := e
	e2.Data = json.RawMessage(`{ "ticket":"A023", "service":"legal_aid", "day":"2026-05-04" }`)
	if e2.Fingerprint() != f {
		t.Error("fingerprint depends on whitespace in data; a resend must match")
	}
	e2.Data = json.RawMessage(`{"ticket":"A024","service":"legal_aid","day":"2026-05-04"}`)
	if e2.Fingerprint() == f {
		t.Error("different events have the same fingerprint")
	}
}

func TestAckRules(t *testing.T) {
	a := samples()[KindAck].(Ack)
	if !a.Done(1201) || !a.Done(1202) || a.Done(1203) {
		t.Errorf("Done: stored or rejected events are done, others are not")
	}
	bad := []Ack{
		{Batch: "b"},
		{Batch: "b", Stored: SeqRanges{{5, 3}}},
		{Batch: "b", Stored: SeqRanges{{5, 6}, {1, 2}}},
		{Batch: "b", Stored: SeqRanges{{1, 2}, {3, 4}}}, // adjacent: must be merged
		{Batch: "b", Stored: SeqRanges{{1, 5}}, Conflict: SeqRanges{{5, 5}}, NextSeq: 9},
		{Batch: "b", Conflict: SeqRanges{{5, 5}}},
		{Batch: "b", Stored: SeqRanges{{1, 5}}, Rejected: []Rejection{{Seq: 3, Reason: Reason{Code: "x"}}}},
	}
	for _, x := range bad {
		if _, err := Encode(x); !errors.Is(err, ErrInvalid) {
			t.Errorf("Encode(%+v) err = %v; want ErrInvalid", x, err)
		}
	}
	if got := RangesOf(7, 3, 4, 5, 0, 9, 4); !reflect.DeepEqual(got, SeqRanges{{3, 5}, {7, 7}, {9, 9}}) {
		t.Errorf("RangesOf = %v", got)
	}
	b, _ := Encode(Ack{Batch: "b", Stored: RangesOf(1, 2, 3)})
	if !bytes.Contains(b, []byte(`"stored":[[1,3]]`)) {
		t.Errorf("ranges are not [first,last] arrays: %s", b)
	}
}

func TestContactIsMaskedInLogs(t *testing.T) {
	c := Contact{Name: "张三丰", Phone: "13812345678"}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("booking", "contact", c)
	out := buf.String() + fmt.Sprint(c) + fmt.Sprintf("%v %s", c, c)
	if strings.Contains(out, "13812345678") || strings.Contains(out, "三丰") {
		t.Errorf("contact leaked into log output: %s", out)
	}
	if !strings.Contains(out, "138****5678") || !strings.Contains(out, "张**") {
		t.Errorf("masked contact missing: %s", out)
	}
}

func TestClockEstimate(t *testing.T) {
	r := TimeReply{Schema: 1, ID: "r", UptimeMS: 10_000, FleetTime: t0}
	now, bound, ok := r.Estimate(10_400)
	if !ok || !now.Equal(t0.Add(200_000_000)) || bound != 200_000_000 {
		t.Errorf("Estimate(400 ms rtt) = %v, %v, %v", now, bound, ok)
	}
	if _, _, ok := r.Estimate(10_000 + 5_001); ok {
		t.Error("a reply after more than MaxClockRTT must not be trusted")
	}
	if _, _, ok := r.Estimate(9_999); ok {
		t.Error("a reply from before the request must not be trusted")
	}
}

func TestCodes(t *testing.T) {
	for err, want := range map[error]string{
		nil: "", errors.New("x"): "",
		fmt.Errorf("w: %w", ErrTooLarge): "too_large", &DecodeError{Class: ErrSchema}: "unknown_schema",
		&DecodeError{Class: ErrInvalid}: "invalid", &DecodeError{Class: ErrUnsupported}: "unsupported",
	} {
		if got := Code(err); got != want {
			t.Errorf("Code(%v) = %q; want %q", err, got, want)
		}
	}
}
