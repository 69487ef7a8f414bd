package fleet_test

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"lawpoint/device/wire"
	"lawpoint/fleet"
)

func TestICalFoldAt75OctetsOnCharacterBoundaries(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SHORT:x", "SHORT:x\r\n"},
		{strings.Repeat("a", 75), strings.Repeat("a", 75) + "\r\n"},
		{strings.Repeat("a", 76), strings.Repeat("a", 75) + "\r\n a\r\n"},
		// 74 + 74 + rest: every continuation line is one space plus 74 octets.
		{strings.Repeat("b", 75+74+3), strings.Repeat("b", 75) + "\r\n " + strings.Repeat("b", 74) + "\r\n bbb\r\n"},
		// "法" is 3 octets: 73 ASCII + 法 would be 76; the character moves whole.
		{strings.Repeat("c", 73) + "法律", strings.Repeat("c", 73) + "\r\n 法律\r\n"},
		{strings.Repeat("d", 72) + "法律", strings.Repeat("d", 72) + "法\r\n 律\r\n"},
	} {
		if got := fleet.ICalFold(tc.in); got != tc.want {
			t.Errorf("fold %q\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
	long := "DESCRIPTION:" + strings.Repeat("村民法律咨询，", 40)
	for i, l := range strings.Split(strings.TrimSuffix(fleet.ICalFold(long), "\r\n"), "\r\n") {
		if len(l) > 75 || !utf8.ValidString(l) || (i > 0 && l[0] != ' ') {
			t.Fatalf("line %d: %d octets, valid %v: %q", i, len(l), utf8.ValidString(l), l)
		}
	}
	if unfold(fleet.ICalFold(long)) != long+"\r\n" {
		t.Fatal("unfolding does not give the line back")
	}
}

func TestICalEscape(t *testing.T) {
	in := "a,b;c\\d\ne\r\nf"
	if got, want := fleet.ICalEscape(in), `a\,b\;c\\d\ne\nf`; got != want {
		t.Fatalf("escape\n got %s\nwant %s", got, want)
	}
	if got := unescape(fleet.ICalEscape(in)); got != "a,b;c\\d\ne\nf" {
		t.Fatalf("round trip %q", got)
	}
}

// unfold joins continuation lines (RFC 5545 section 3.1).
func unfold(s string) string { return strings.ReplaceAll(s, "\r\n ", "") }

func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			if s[i] == 'n' || s[i] == 'N' {
				b.WriteByte('\n')
			} else {
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

type component struct {
	name  string
	props map[string][]string // name (with parameters) → values, unescaped
	subs  []*component
}

// parseICal is a small RFC 5545 reader: CRLF lines, unfolding, nested
// BEGIN/END, NAME[;PARAMS]:VALUE.
func parseICal(t *testing.T, b []byte) *component {
	t.Helper()
	if bytes.Contains(bytes.ReplaceAll(b, []byte("\r\n"), nil), []byte("\n")) {
		t.Fatal("a bare LF: lines must end with CRLF")
	}
	if !bytes.HasSuffix(b, []byte("\r\n")) {
		t.Fatal("the last line does not end with CRLF")
	}
	for i, l := range strings.Split(string(b), "\r\n") {
		if len(l) > 75 || !utf8.ValidString(l) {
			t.Fatalf("physical line %d is %d octets or splits a character: %q", i, len(l), l)
		}
	}
	var stack []*component
	var root *component
	for _, l := range strings.Split(strings.TrimSuffix(unfold(string(b)), "\r\n"), "\r\n") {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("line without a colon: %q", l)
		}
		switch name {
		case "BEGIN":
			c := &component{name: value, props: map[string][]string{}}
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				top.subs = append(top.subs, c)
			} else {
				root = c
			}
			stack = append(stack, c)
		case "END":
			if len(stack) == 0 || stack[len(stack)-1].name != value {
				t.Fatalf("END:%s does not close the open component", value)
			}
			stack = stack[:len(stack)-1]
		default:
			top := stack[len(stack)-1]
			top.props[name] = append(top.props[name], unescape(value))
		}
	}
	if len(stack) != 0 || root == nil {
		t.Fatal("unbalanced BEGIN/END")
	}
	return root
}

func (c *component) get(t *testing.T, name string) string {
	t.Helper()
	v := c.props[name]
	if len(v) != 1 {
		t.Fatalf("%s: property %s appears %d times", c.name, name, len(v))
	}
	return v[0]
}

func TestICalendarFeedParsesBack(t *testing.T) {
	a := fleet.Adviser{ID: "lin", Name: "林志明", TimeZone: "Asia/Shanghai"}
	start := at("2026-05-04", "09:40")
	now := time.Date(2026, 5, 3, 12, 0, 0, 0, time.UTC)
	bs := []fleet.Booking{
		{ID: 7, Code: "K7M2QX", AdviserID: "lin", Service: wire.ServiceLegalAid, SlotStart: start, SlotEnd: start.Add(30 * time.Minute),
			Phone: "13812345678", ContactPoint: "坝下村, 联系点; 一号\\", Status: wire.BookingConfirmed,
			MeetingURL: "https://meet.example.cn/lawpoint-0123456789abcdef0123", Updated: now},
		{ID: 8, Code: "ABCDEF", AdviserID: "lin", Service: wire.ServiceConsultation, SlotStart: start.Add(time.Hour),
			SlotEnd: start.Add(90 * time.Minute), Phone: "13900001111", Status: wire.BookingCancelled, Sequence: 1,
			MeetingURL: "https://meet.example.cn/x", Updated: now},
	}
	out := fleet.ICalendar(a, bs, "lawpoint", now)
	if bytes.Contains(out, []byte("13812345678")) || bytes.Contains(out, []byte("13900001111")) {
		t.Fatal("an unmasked phone number is in the feed")
	}
	cal := parseICal(t, out)
	if cal.name != "VCALENDAR" || cal.get(t, "VERSION") != "2.0" || cal.get(t, "PRODID") == "" || len(cal.subs) != 2 {
		t.Fatalf("calendar %+v", cal)
	}
	ev := cal.subs[0]
	if ev.name != "VEVENT" || ev.get(t, "UID") != "booking-7@lawpoint" || ev.get(t, "DTSTAMP") != "20260503T120000Z" {
		t.Fatalf("event %+v", ev.props)
	}
	// 09:40 in Shanghai is 01:40 UTC.
	if ev.get(t, "DTSTART") != "20260504T014000Z" || ev.get(t, "DTEND") != "20260504T021000Z" || ev.get(t, "STATUS") != "CONFIRMED" {
		t.Fatalf("times/status %v", ev.props)
	}
	if s := ev.get(t, "SUMMARY"); s != "视频咨询：法律援助（K7M2QX）" {
		t.Fatalf("summary %q", s)
	}
	desc := ev.get(t, "DESCRIPTION")
	for _, want := range []string{"群众电话：138****5678", "会议链接：https://meet.example.cn/lawpoint-0123456789abcdef0123", "联系点：坝下村, 联系点; 一号\\", "\n服务：法律援助"} {
		if !strings.Contains(desc, want) {
			t.Errorf("description lacks %q:\n%s", want, desc)
		}
	}
	if !strings.Contains(unfold(string(out)), `坝下村\, 联系点\; 一号\\`) {
		t.Error("comma, semicolon and backslash are not escaped in the raw feed")
	}
	if len(ev.subs) != 1 || ev.subs[0].name != "VALARM" || ev.subs[0].get(t, "TRIGGER") != "-PT15M" || ev.subs[0].get(t, "ACTION") != "DISPLAY" {
		t.Fatalf("alarm %+v", ev.subs)
	}
	cancelled := cal.subs[1]
	if cancelled.get(t, "STATUS") != "CANCELLED" || cancelled.get(t, "SEQUENCE") != "1" || len(cancelled.subs) != 0 {
		t.Fatalf("cancelled event %+v", cancelled.props)
	}
}
