package wire

import (
	"encoding/json"
	"strings"
	"time"
)

// Settings are the device settings the fleet desires and the device reports
// as applied. The desired state always carries the full set, never a patch.
type Settings struct {
	// Brightness of the screen or LED board, 0..100 percent (0 = dark).
	Brightness int `json:"brightness"`
	// Volume of the kiosk voice, 0..100 percent (LED boards report 0).
	Volume int `json:"volume"`
	// TimeZone is an IANA zone name, e.g. "Asia/Shanghai"; schedules and the
	// power window are read in it.
	TimeZone string `json:"time_zone"`
	// TelemetryInterval is the seconds between telemetry samples, 10..3600.
	TelemetryInterval int `json:"telemetry_interval_s"`
	// Power, when set, is the daily window in which the screen or board is
	// on; outside it the device blanks (or switches the board relay off).
	// Nil means always on. The window may cross midnight (on 18:00, off 06:00).
	Power *DailyWindow `json:"power,omitempty"`
}

// DailyWindow is a half-open daily window [On, Off) in local "HH:MM".
type DailyWindow struct {
	On  string `json:"on"`
	Off string `json:"off"`
}

func (c *check) settings(prefix string, s Settings) {
	c.percent(prefix+"brightness", s.Brightness)
	c.percent(prefix+"volume", s.Volume)
	c.that(validZoneName(s.TimeZone), prefix+"time_zone", "%q is not an IANA time zone name such as Asia/Shanghai", truncate(s.TimeZone, 40))
	c.that(s.TelemetryInterval >= 10 && s.TelemetryInterval <= 3600, prefix+"telemetry_interval_s",
		"%d is outside 10..3600 seconds", s.TelemetryInterval)
	if s.Power != nil {
		c.that(validHHMM(s.Power.On), prefix+"power.on", "%q is not a time of day HH:MM (00:00..23:59)", truncate(s.Power.On, 10))
		c.that(validHHMM(s.Power.Off), prefix+"power.off", "%q is not a time of day HH:MM (00:00..23:59)", truncate(s.Power.Off, 10))
		c.that(s.Power.On != s.Power.Off, prefix+"power", "on and off are both %s; omit power for always on", s.Power.On)
	}
}

// validZoneName checks the shape of an IANA zone name ("UTC", "Asia/Shanghai",
// "America/Argentina/Buenos_Aires", "Etc/GMT-8"). Whether the zone exists is
// for the device to find out (time.LoadLocation) and report as failed.
func validZoneName(z string) bool {
	if z == "" || len(z) > 64 || strings.HasPrefix(z, "/") || strings.HasSuffix(z, "/") || strings.Contains(z, "..") || strings.Contains(z, "//") {
		return false
	}
	for i := 0; i < len(z); i++ {
		ch := z[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte("/_-+", ch) >= 0) {
			return false
		}
	}
	return true
}

func validHHMM(s string) bool {
	if len(s) != 5 || s[2] != ':' {
		return false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	return h < 24 && m < 60
}

// Desired is the retained message on lp/v1/dev/{id}/desired, written only by
// the fleet: everything the device must converge to.
type Desired struct {
	Schema int `json:"schema"`
	// Version grows with every change of this device's desired state (a
	// per-device counter kept by the fleet). A device ignores a Version lower
	// than the one it last applied.
	Version  uint64    `json:"version"`
	IssuedAt time.Time `json:"issued_at"`
	Settings Settings  `json:"settings"`
	// Manifest is the county-signed content manifest, opaque here and
	// verified by the device with the county public key before use. JSON
	// null (or absent) means the device has no content assigned.
	Manifest json.RawMessage `json:"manifest,omitempty"`
	// SessionFloor is the newest presence session the fleet has seen from
	// this device. A device whose own counter is not above it sets its
	// counter to SessionFloor and reconnects (its counter was lost).
	SessionFloor uint64 `json:"session_floor"`
}

func (Desired) TopicKind() Kind { return KindDesired }

func (d Desired) withSchema() Payload {
	if d.Schema == 0 {
		d.Schema = Schema
	}
	return d
}

// Validate checks the fields against the contract.
func (d Desired) Validate() error {
	c := check{kind: KindDesired}
	c.schema(d.Schema)
	c.that(d.Version >= 1, "version", "is 0; desired versions start at 1")
	c.timeSet("issued_at", d.IssuedAt)
	c.settings("settings.", d.Settings)
	c.object("manifest", d.Manifest, false)
	return c.err
}

// HasManifest reports whether the desired state assigns content.
func (d Desired) HasManifest() bool {
	t := strings.TrimSpace(string(d.Manifest))
	return t != "" && t != "null"
}

// DecodeDesired decodes and validates a desired-state payload.
func DecodeDesired(b []byte) (Desired, error) {
	var d Desired
	if err := decodeStrict(KindDesired, b, &d); err != nil {
		return Desired{}, err
	}
	if err := d.Validate(); err != nil {
		return Desired{}, err
	}
	return d, nil
}

// Status is how far a device is from its desired state.
type Status string

const (
	// Converged: the desired version is fully applied.
	Converged Status = "converged"
	// Pending: the device is working on it (downloading, waiting for a
	// trusted clock); Reason says on what.
	Pending Status = "pending"
	// Failed: the device cannot apply it and keeps what it had; Reason says
	// why. It retries only when a new desired version arrives or on resync.
	Failed Status = "failed"
)

// Reason is a machine code with a human message (English, for staff and
// logs). Codes are listed in docs/PROTOCOL.md; a receiver shows an unknown
// code as is.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
}

func (c *check) reason(field string, r *Reason, required bool) {
	if r == nil {
		c.that(!required, field, "is missing; say why with a code and a message")
		return
	}
	c.code(field+".code", r.Code, true)
	c.text(field+".message", r.Message, 500, false)
}

// Progress is how much of the desired content a device holds.
type Progress struct {
	ItemsTotal int   `json:"items_total"`
	ItemsReady int   `json:"items_ready"`
	BytesTotal int64 `json:"bytes_total"`
	BytesReady int64 `json:"bytes_ready"`
}

// Reported is the retained message on lp/v1/dev/{id}/reported: what the
// device has applied. It is published on every connect, on every change of
// status, and at least every 10 minutes while pending.
type Reported struct {
	Schema int `json:"schema"`
	// Session and Seq order reported messages: Session is the presence
	// session of the connection, Seq counts messages within it from 1.
	Session uint64 `json:"session"`
	Seq     uint64 `json:"seq"`
	// DesiredVersion is the desired version this report is about (0 when
	// the device has never received a desired state).
	DesiredVersion uint64 `json:"desired_version"`
	// ManifestSerial is the serial of the manifest in use (0 for none).
	ManifestSerial uint64    `json:"manifest_serial"`
	Status         Status    `json:"status"`
	Reason         *Reason   `json:"reason,omitempty"`
	Progress       *Progress `json:"progress,omitempty"`
	// Settings are the settings in effect (nil before any were applied).
	Settings     *Settings `json:"settings,omitempty"`
	At           time.Time `json:"at"`
	ClockTrusted bool      `json:"clock_trusted"`
}

func (Reported) TopicKind() Kind { return KindReported }

func (r Reported) withSchema() Payload {
	if r.Schema == 0 {
		r.Schema = Schema
	}
	return r
}

// Validate checks the fields against the contract.
func (r Reported) Validate() error {
	c := check{kind: KindReported}
	c.schema(r.Schema)
	c.that(r.Session >= 1, "session", "is 0; use the session of the current connection")
	c.that(r.Seq >= 1, "seq", "is 0; number reports from 1 within a session")
	c.timeSet("at", r.At)
	switch r.Status {
	case Converged:
		c.that(r.Reason == nil, "reason", "is set on a converged report; send it only when pending or failed")
	case Pending:
		c.reason("reason", r.Reason, true)
	case Failed:
		c.reason("reason", r.Reason, true)
	default:
		c.fail("status", "%q is not converged, pending or failed", truncate(string(r.Status), 20))
	}
	if p := r.Progress; p != nil {
		c.that(p.ItemsTotal >= 0 && p.ItemsReady >= 0 && p.ItemsReady <= p.ItemsTotal, "progress.items_ready",
			"%d of %d is not a count between 0 and the total", p.ItemsReady, p.ItemsTotal)
		c.that(p.BytesTotal >= 0 && p.BytesReady >= 0 && p.BytesReady <= p.BytesTotal, "progress.bytes_ready",
			"%d of %d is not a count between 0 and the total", p.BytesReady, p.BytesTotal)
	}
	if r.Settings != nil {
		c.settings("settings.", *r.Settings)
	}
	return c.err
}

// Newer reports whether r was published after old by the same device.
func (r Reported) Newer(old Reported) bool {
	return r.Session > old.Session || r.Session == old.Session && r.Seq > old.Seq
}

// DecodeReported decodes and validates a reported-state payload.
func DecodeReported(b []byte) (Reported, error) {
	var r Reported
	if err := decodeStrict(KindReported, b, &r); err != nil {
		return Reported{}, err
	}
	if err := r.Validate(); err != nil {
		return Reported{}, err
	}
	return r, nil
}
