package fleet

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"lawpoint/device/wire"
)

// ICalendar writes an adviser's bookings as an RFC 5545 calendar for
// subscription from the adviser's own calendar app.
//
// Times are written in UTC (DTSTART:20260504T013000Z) rather than with
// TZID=Asia/Shanghai and a VTIMEZONE: every client reads UTC the same way,
// there is no zone definition to get wrong or keep current, and Shanghai
// has no daylight saving, so nothing is lost; the app shows the times in the
// phone's own zone. X-WR-TIMEZONE tells clients that honour it which zone
// the calendar belongs to.
//
// Every event has a reminder 15 minutes before (VALARM, DISPLAY). The phone
// number in DESCRIPTION is masked; the adviser sees the full number in the
// console. Cancelled bookings stay in the feed with STATUS:CANCELLED and a
// higher SEQUENCE, so subscribed calendars drop them.
func ICalendar(a Adviser, bs []Booking, host string, now time.Time) []byte {
	var w icalWriter
	w.line("BEGIN:VCALENDAR")
	w.line("VERSION:2.0")
	w.line("PRODID:-//lawpoint//booking//ZH")
	w.line("CALSCALE:GREGORIAN")
	w.line("METHOD:PUBLISH")
	w.prop("X-WR-CALNAME", a.Name+" 视频法律咨询预约")
	w.line("X-WR-TIMEZONE:" + a.TimeZone)
	w.line("REFRESH-INTERVAL;VALUE=DURATION:PT15M")
	w.line("X-PUBLISHED-TTL:PT15M")
	for _, b := range bs {
		w.line("BEGIN:VEVENT")
		w.line("UID:booking-" + strconv.FormatInt(b.ID, 10) + "@" + host)
		w.line("DTSTAMP:" + icalTime(now))
		w.line("LAST-MODIFIED:" + icalTime(b.Updated))
		w.line("SEQUENCE:" + strconv.Itoa(b.Sequence))
		w.line("DTSTART:" + icalTime(b.SlotStart))
		w.line("DTEND:" + icalTime(b.SlotEnd))
		w.prop("SUMMARY", "视频咨询："+ServiceName(b.Service)+"（"+b.Code+"）")
		where := b.ContactPoint
		if where == "" {
			where = b.Region
		}
		desc := fmt.Sprintf("预约码：%s\n服务：%s\n联系点：%s\n群众电话：%s\n会议链接：%s",
			b.Code, ServiceName(b.Service), where, wire.MaskPhone(b.Phone), b.MeetingURL)
		w.prop("DESCRIPTION", desc)
		w.prop("LOCATION", b.MeetingURL)
		w.line("URL:" + b.MeetingURL)
		if b.Status == wire.BookingCancelled {
			w.line("STATUS:CANCELLED")
		} else {
			w.line("STATUS:CONFIRMED")
		}
		w.line("TRANSP:OPAQUE")
		if b.Status != wire.BookingCancelled {
			w.line("BEGIN:VALARM")
			w.line("ACTION:DISPLAY")
			w.line("TRIGGER:-PT15M")
			w.prop("DESCRIPTION", "15分钟后视频咨询（"+b.Code+"）")
			w.line("END:VALARM")
		}
		w.line("END:VEVENT")
	}
	w.line("END:VCALENDAR")
	return []byte(w.b.String())
}

func icalTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// ICalEscape escapes a TEXT value (RFC 5545 section 3.3.11): backslash,
// semicolon, comma and newline.
func ICalEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(s)
}

// ICalFold folds a content line at 75 octets (RFC 5545 section 3.1): each
// continuation starts with one space, which counts towards its 75 octets,
// and no UTF-8 character is split. Lines end with CRLF.
func ICalFold(line string) string {
	var b strings.Builder
	limit := 75
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		b.WriteString(line[:cut])
		b.WriteString("\r\n ")
		line = line[cut:]
		limit = 74 // the leading space takes one octet
	}
	b.WriteString(line)
	b.WriteString("\r\n")
	return b.String()
}

type icalWriter struct{ b strings.Builder }

func (w *icalWriter) line(s string)          { w.b.WriteString(ICalFold(s)) }
func (w *icalWriter) prop(name, text string) { w.line(name + ":" + ICalEscape(text)) }
