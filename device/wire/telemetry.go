package wire

import (
	"fmt"
	"time"
)

// MaxSamplesPerBatch caps a telemetry batch.
const MaxSamplesPerBatch = 60

// Link and printer states.
const (
	LinkOK       = "ok"       // replies as expected
	LinkDegraded = "degraded" // retries or partial failures
	LinkDown     = "down"     // configured but not answering
	LinkAbsent   = "absent"   // not configured on this device

	PrinterOK        = "ok"
	PrinterPaperLow  = "paper_low"
	PrinterPaperOut  = "paper_out"
	PrinterCoverOpen = "cover_open"
	PrinterOffline   = "offline"
	PrinterError     = "error"
	PrinterAbsent    = "absent"
)

// PartStatus is the state of one attached part (LED link, printer).
type PartStatus struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
	// Since is when the part entered this status (device clock).
	Since *time.Time `json:"since,omitempty"`
}

// Sample is one telemetry reading.
type Sample struct {
	At           time.Time `json:"at"`
	ClockTrusted bool      `json:"clock_trusted"`
	BootID       string    `json:"boot_id"`
	UptimeS      uint64    `json:"uptime_s"`
	// CPUTempC is nil where the machine has no sensor.
	CPUTempC       *float64    `json:"cpu_temp_c,omitempty"`
	Load1          float64     `json:"load1"`
	Load5          float64     `json:"load5"`
	Load15         float64     `json:"load15"`
	MemTotalBytes  uint64      `json:"mem_total_bytes"`
	MemAvailBytes  uint64      `json:"mem_avail_bytes"`
	DiskTotalBytes uint64      `json:"disk_total_bytes"`
	DiskFreeBytes  uint64      `json:"disk_free_bytes"`
	AppVersion     string      `json:"app_version"`
	LED            *PartStatus `json:"led,omitempty"`
	Printer        *PartStatus `json:"printer,omitempty"`
}

// TelemetryBatch is a message on lp/v1/dev/{id}/telemetry (QoS 0).
type TelemetryBatch struct {
	Schema  int      `json:"schema"`
	Samples []Sample `json:"samples"`
}

// TopicKind is the topic kind (telemetry).
func (TelemetryBatch) TopicKind() Kind { return KindTelemetry }

func (t TelemetryBatch) withSchema() Payload {
	if t.Schema == 0 {
		t.Schema = Schema
	}
	return t
}

// Validate checks the fields against the contract.
func (t TelemetryBatch) Validate() error {
	c := check{kind: KindTelemetry}
	c.schema(t.Schema)
	c.that(len(t.Samples) >= 1 && len(t.Samples) <= MaxSamplesPerBatch, "samples",
		"has %d samples; send 1 to %d per batch", len(t.Samples), MaxSamplesPerBatch)
	for i, s := range t.Samples {
		f := fmt.Sprintf("samples[%d].", i)
		c.timeSet(f+"at", s.At)
		c.token(f+"boot_id", s.BootID, 64, true)
		if s.CPUTempC != nil {
			c.that(*s.CPUTempC >= -50 && *s.CPUTempC <= 150, f+"cpu_temp_c", "%.1f is outside -50..150", *s.CPUTempC)
		}
		c.that(s.Load1 >= 0 && s.Load5 >= 0 && s.Load15 >= 0, f+"load1", "load averages cannot be negative")
		c.that(s.MemAvailBytes <= s.MemTotalBytes, f+"mem_avail_bytes", "%d is above mem_total_bytes %d", s.MemAvailBytes, s.MemTotalBytes)
		c.that(s.DiskFreeBytes <= s.DiskTotalBytes, f+"disk_free_bytes", "%d is above disk_total_bytes %d", s.DiskFreeBytes, s.DiskTotalBytes)
		c.text(f+"app_version", s.AppVersion, 64, true)
		if s.LED != nil {
			c.oneOf(f+"led.status", s.LED.Status, LinkOK, LinkDegraded, LinkDown, LinkAbsent)
			c.text(f+"led.message", s.LED.Message, 500, false)
		}
		if s.Printer != nil {
			c.oneOf(f+"printer.status", s.Printer.Status, PrinterOK, PrinterPaperLow, PrinterPaperOut,
				PrinterCoverOpen, PrinterOffline, PrinterError, PrinterAbsent)
			c.text(f+"printer.message", s.Printer.Message, 500, false)
		}
	}
	return c.err
}

func (c *check) oneOf(field, v string, allowed ...string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	c.fail(field, "%q is not one of %v", truncate(v, 30), allowed)
}

// DecodeTelemetry decodes and validates a telemetry batch.
func DecodeTelemetry(b []byte) (TelemetryBatch, error) {
	var t TelemetryBatch
	if err := decodeStrict(KindTelemetry, b, &t); err != nil {
		return TelemetryBatch{}, err
	}
	if err := t.Validate(); err != nil {
		return TelemetryBatch{}, err
	}
	return t, nil
}
