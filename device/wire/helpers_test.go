package wire

import (
	"encoding/json"
	"time"
)

var t0 = time.Date(2026, 5, 4, 9, 30, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// samples returns one valid payload of every kind.
func samples() map[Kind]Payload {
	settings := Settings{Brightness: 80, Volume: 60, TimeZone: "Asia/Shanghai", TelemetryInterval: 60,
		Power: &DailyWindow{On: "06:30", Off: "22:00"}}
	return map[Kind]Payload{
		KindPresence: Presence{Status: Online, Session: 42, DeviceKind: LED, AppVersion: "0.1.0",
			Accept: map[Kind]int{KindDesired: 1, KindCommand: 1}},
		KindDesired: Desired{Version: 7, IssuedAt: t0, Settings: settings,
			Manifest: json.RawMessage(`{"serial":12,"sig":"AAAA"}`), SessionFloor: 41},
		KindReported: Reported{Session: 42, Seq: 3, DesiredVersion: 7, ManifestSerial: 11, Status: Pending,
			Reason:   &Reason{Code: "downloading", Message: "3 of 5 items"},
			Progress: &Progress{ItemsTotal: 5, ItemsReady: 3, BytesTotal: 5000, BytesReady: 3000},
			Settings: &settings, At: t0, ClockTrusted: true},
		KindCommand: Command{ID: "0d6f1c9e-8f5a-4b7e-9a51-6a1f7c3d2e10", Kind: CmdSetBrightness,
			Args: json.RawMessage(`{"percent":30}`), IssuedAt: t0, Deadline: t0.Add(time.Hour)},
		KindResult: Result{ID: "0d6f1c9e-8f5a-4b7e-9a51-6a1f7c3d2e10", Kind: CmdPing, Status: ResultOK,
			Data: json.RawMessage(`{"uptime_s":100,"app_version":"0.1.0"}`), At: t0},
		KindEvents: EventBatch{Batch: "b-1201", Events: []Event{
			{Seq: 1201, Type: EventTicketIssued, At: t0, ClockTrusted: true, BootID: "5e1c", UptimeMS: 5000,
				Data: json.RawMessage(`{"ticket":"A023","service":"legal_aid","day":"2026-05-04"}`)},
			{Seq: 1202, Type: EventRating, At: t0, BootID: "5e1c", UptimeMS: 9000,
				Data: json.RawMessage(`{"service":"legal_aid","ticket":"A023","score":5}`)},
		}},
		KindAck: Ack{Batch: "b-1201", Stored: SeqRanges{{1201, 1201}},
			Rejected: []Rejection{{Seq: 1202, Reason: Reason{Code: "invalid", Message: "score"}}}},
		KindTelemetry: TelemetryBatch{Samples: []Sample{{At: t0, BootID: "5e1c", UptimeS: 3600,
			CPUTempC: ptr(51.5), Load1: 0.2, Load5: 0.1, Load15: 0.05, MemTotalBytes: 4 << 30, MemAvailBytes: 3 << 30,
			DiskTotalBytes: 32 << 30, DiskFreeBytes: 20 << 30, AppVersion: "0.1.0",
			LED: &PartStatus{Status: LinkOK}, Printer: &PartStatus{Status: PrinterAbsent}}}},
		KindTimeRequest: TimeRequest{ID: "r1", UptimeMS: 5000},
		KindTime:        TimeReply{ID: "r1", UptimeMS: 5000, FleetTime: t0},
	}
}
