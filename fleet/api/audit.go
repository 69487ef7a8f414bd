package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"lawpoint/device/wire"
	"lawpoint/fleet"
)

// The API's audit trail is the console's (fleet.Audit, the same table):
// every sign-in (ok, failed, refused by the limit), sign-out, refusal
// (Server.deny) and successful change writes one row through
// Server.record, with the console's action, target, region and
// before/after conventions for the same operation, and a Chinese summary
// that starts with "通过接口" so staff can tell the two apart. Reads and
// checks that store nothing write none; input refused with 400 writes
// none. Phone numbers are masked (wire.MaskPhone) and booking contacts
// never appear; tokens and passwords never do. docs/FLEET.md lists the
// action of every route.

// viaAPI starts every summary of the API's own rows.
const viaAPI = "通过接口"

// record writes one audit row for the request: the signed-in account as
// actor and its role (unless e names an actor, as a sign-in does) and the
// client's address. It is the only place the API writes audit rows.
func (s *Server) record(r *http.Request, e fleet.AuditEntry) {
	if s.audit == nil {
		return
	}
	if e.Actor == "" {
		acct := staffOf(r)
		e.Actor, e.Role = acct.Username, acct.Role
	}
	e.Address = clientIP(r)
	_ = s.audit.Record(r.Context(), e)
}

// auditJSON is v as compact JSON for an audit row's before or after text
// (fleet.Audit clips it).
func auditJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// adviserAudit is an adviser for an audit row: its phone number masked,
// as the console's adviser pages record it.
func adviserAudit(a fleet.Adviser) string {
	a.Phone = wire.MaskPhone(a.Phone)
	return auditJSON(a)
}

// beijing formats t as staff read it (the county's time zone).
func beijing(t time.Time) string {
	loc, err := time.LoadLocation(fleet.DefaultTimeZone)
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	return t.In(loc).Format("2006-01-02 15:04")
}

// clipName bounds a name typed at sign-in before it is recorded.
func clipName(s string) string {
	if utf8.RuneCountInString(s) <= 64 {
		return s
	}
	return string([]rune(s)[:64]) + "…"
}

// commandNames are the Chinese names of device commands in summaries.
var commandNames = map[wire.CommandKind]string{
	wire.CmdPing: "连通测试", wire.CmdReboot: "重启设备", wire.CmdIdentify: "闪烁识别",
	wire.CmdSetBrightness: "调节亮度", wire.CmdScreenshot: "截屏", "restart": "重启程序", "resync": "重新同步",
}

func commandName(k wire.CommandKind) string {
	if n, ok := commandNames[k]; ok {
		return n
	}
	return string(k)
}
