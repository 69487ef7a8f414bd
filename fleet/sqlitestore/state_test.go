package sqlitestore

import (
	"bytes"
	"reflect"
	"testing"

	"lawpoint/device/wire"
	"lawpoint/fleet"
)

// TestStateSummariesAreStatesWithoutPublishedPayloads: the summaries a
// recompute and the status counts read are the rows States returns, in the
// same order and pages, field for field — except that a payload the broker
// already took is left out. A payload not yet published is kept (the
// recompute must still send it), and a revoked device is left out of both.
func TestStateSummariesAreStatesWithoutPublishedPayloads(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	for _, id := range []string{"led-a", "led-b", "led-c", "led-d", "led-e"} {
		if err := s.CreateDevice(ctx, dev(id, "仙游县/榜头镇/坝下村", fleet.KindLED)); err != nil {
			t.Fatal(err)
		}
	}
	// led-a: published; led-b: stored, not published; led-c: published,
	// with settings, a session floor and a report; led-d: nothing issued;
	// led-e: revoked.
	payload := func(id string) []byte { return bytes.Repeat([]byte(id), 4000) }
	var ups []fleet.DesiredUpdate
	for _, id := range []string{"led-a", "led-b", "led-c", "led-e"} {
		ups = append(ups, fleet.DesiredUpdate{DeviceID: id, Version: 1, Serial: 1, Digest: "d-" + id,
			Expires: t0.AddDate(0, 0, 14), Issued: t0, Payload: payload(id)})
	}
	if ok, err := s.PutDesired(ctx, ups); err != nil || !ok[0] || !ok[1] || !ok[2] || !ok[3] {
		t.Fatalf("PutDesired: %v %v", ok, err)
	}
	if err := s.MarkPublished(ctx, map[string]uint64{"led-a": 1, "led-c": 1, "led-e": 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSettings(ctx, "led-c", &wire.Settings{Brightness: 30, Volume: 0, TimeZone: "Asia/Shanghai", TelemetryInterval: 120}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetSessionFloor(ctx, "led-c", 9); err != nil {
		t.Fatal(err)
	}
	rep := wire.Reported{Schema: 1, Session: 10, Seq: 1, DesiredVersion: 1, ManifestSerial: 1, Status: wire.Converged, At: t0}
	if _, err := s.UpdateReported(ctx, []fleet.ReportedUpdate{{DeviceID: "led-c", Reported: rep, Received: t0}}); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeDevice(ctx, "led-e", t0); err != nil {
		t.Fatal(err)
	}

	full, err := s.States(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	sums, err := s.StateSummaries(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(full) != 4 || len(sums) != len(full) {
		t.Fatalf("States %d rows, StateSummaries %d; want 4 each (the revoked device left out)", len(full), len(sums))
	}
	wantPayload := map[string]bool{"led-b": true} // stored but not published
	for i := range full {
		f, m := full[i], sums[i]
		if f.DeviceID != m.DeviceID {
			t.Fatalf("row %d: States has %s, StateSummaries %s", i, f.DeviceID, m.DeviceID)
		}
		if wantPayload[m.DeviceID] {
			if !bytes.Equal(m.Payload, payload(m.DeviceID)) {
				t.Errorf("%s: an unpublished payload must be in the summary (%d bytes)", m.DeviceID, len(m.Payload))
			}
		} else if m.Payload != nil {
			t.Errorf("%s: summary carries a %d-byte payload; want none (published or never issued)", m.DeviceID, len(m.Payload))
		}
		f.Payload, m.Payload = nil, nil
		if !reflect.DeepEqual(f, m) {
			t.Errorf("%s: summary differs from States beyond the payload:\n states  %+v\n summary %+v", f.DeviceID, f, m)
		}
	}
	if c := sums[2]; c.DeviceID != "led-c" || !c.Published || c.Version != 1 || c.SessionFloor != 9 ||
		c.Settings == nil || c.Settings.Brightness != 30 || c.Reported == nil || c.Reported.Status != wire.Converged {
		t.Fatalf("led-c summary lost fields: %+v", c)
	}
	// Paging is the same as States'.
	page, err := s.StateSummaries(ctx, "led-a", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || page[0].DeviceID != "led-b" || page[1].DeviceID != "led-c" {
		t.Fatalf("page after led-a, 2 rows: %+v", page)
	}
}
