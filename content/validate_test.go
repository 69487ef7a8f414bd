package content

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidateNamesFieldAndFix(t *testing.T) {
	good := Schedule{ID: "s1", ProgrammeID: "p-fraud", Priority: 5, Target: Target{Regions: []string{"仙游县"}},
		Weekdays: EveryDay, Windows: []Window{{Start: Clock(8, 0, 0), End: Clock(12, 0, 0)}}}
	cases := []struct {
		name   string
		change func(*Set)
		field  string
		kind   error
	}{
		{"reversed window", func(s *Set) { s.Schedules[0].Windows[0] = Window{Start: Clock(17, 0, 0), End: Clock(9, 0, 0)} }, "schedules[s1].windows[0].end", ErrInvalid},
		{"zero-length window", func(s *Set) { s.Schedules[0].Windows[0] = Window{Start: Clock(9, 0, 0), End: Clock(9, 0, 0)} }, "schedules[s1].windows[0].end", ErrInvalid},
		{"overnight flag on a same-day window", func(s *Set) {
			s.Schedules[0].Windows[0] = Window{Start: Clock(9, 0, 0), End: Clock(10, 0, 0), Overnight: true}
		}, "schedules[s1].windows[0].overnight", ErrInvalid},
		{"unknown zone", func(s *Set) { s.Schedules[0].Zone = "Asia/Xianyou" }, "schedules[s1].zone", ErrUnknownReference},
		{"Local is not a zone", func(s *Set) { s.Schedules[0].Zone = "Local" }, "schedules[s1].zone", ErrUnknownReference},
		{"empty text", func(s *Set) { s.Items[0] = NewText("t-fraud", 1, Text{Body: "  "}) }, "items[t-fraud].text.body", ErrInvalid},
		{"text not matching its digest", func(s *Set) { s.Items[0].Text.Body = "改过的内容" }, "items[t-fraud].sha256", ErrInvalid},
		{"dates in the wrong order", func(s *Set) {
			s.Schedules[0].DateFrom, s.Schedules[0].DateUntil = NewDate(2024, 12, 5), NewDate(2024, 12, 1)
		}, "schedules[s1].date_until", ErrInvalid},
		{"unknown programme", func(s *Set) { s.Schedules[0].ProgrammeID = "p-none" }, "schedules[s1].programme_id", ErrUnknownReference},
		{"unknown item", func(s *Set) { s.Programmes[0].Entries[0].ItemID = "t-none" }, "programmes[p-fraud].entries[0].item_id", ErrUnknownReference},
		{"priority out of range", func(s *Set) { s.Schedules[0].Priority = 5000 }, "schedules[s1].priority", ErrInvalid},
		{"empty weekday mask", func(s *Set) { s.Schedules[0].Weekdays = 0 }, "schedules[s1].weekdays", ErrInvalid},
		{"empty target", func(s *Set) { s.Schedules[0].Target = Target{} }, "schedules[s1].target", ErrInvalid},
		{"malformed region", func(s *Set) { s.Schedules[0].Target.Regions = []string{"仙游县//榜头镇"} }, "schedules[s1].target.regions[0]", ErrInvalid},
		{"always with windows", func(s *Set) { s.Schedules[0].Always = true }, "schedules[s1].always", ErrInvalid},
		{"notice without expiry", func(s *Set) {
			s.Notices = []Notice{{ID: "n1", Text: "通知", Regions: []string{"仙游县"}, Start: at(shanghai, 2024, 12, 2, 9, 0, 0)}}
		}, "notices[n1].expiry", ErrInvalid},
		{"duplicate schedule", func(s *Set) { s.Schedules = append(s.Schedules, s.Schedules[0]) }, "schedules[s1].id", ErrInvalid},
		{"fallback to a missing programme", func(s *Set) { s.Fallbacks[DeviceLED] = "p-none" }, "fallbacks[led]", ErrUnknownReference},
		{"validity reversed", func(s *Set) {
			s.Items[0].ValidFrom, s.Items[0].ValidUntil = at(shanghai, 2024, 12, 5, 0, 0, 0), at(shanghai, 2024, 12, 1, 0, 0, 0)
		}, "items[t-fraud].valid_until", ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := baseSet()
			s.Schedules = []Schedule{good}
			s.Schedules[0].Windows = append([]Window(nil), good.Windows...)
			c.change(s)
			err := s.Validate()
			if err == nil {
				t.Fatal("Validate accepted the set")
			}
			if !errors.Is(err, c.kind) {
				t.Errorf("error %v is not %v", err, c.kind)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a FieldError", err)
			}
			found := false
			for _, p := range err.(Problems) {
				if p.Field == c.field {
					found = true
					if p.Problem == "" || p.Fix == "" || !hasHan(p.Message) {
						t.Errorf("problem %+v lacks an English problem and fix or a Chinese message", p)
					}
				}
			}
			if !found {
				t.Errorf("no problem names %s; got %v", c.field, err)
			}
		})
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

func TestValidateAcceptsGoodSet(t *testing.T) {
	s := baseSet()
	s.Schedules = []Schedule{{ID: "s1", ProgrammeID: "p-fraud", Priority: 5, Target: Target{Regions: []string{"仙游县"}}, Weekdays: WorkDays,
		Windows: []Window{{Start: Clock(22, 0, 0), End: Clock(2, 0, 0), Overnight: true}, {Start: Clock(8, 0, 0), End: Clock(24, 0, 0)}}}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestCheckReportsNoDeviceAndConflicts(t *testing.T) {
	s := baseSet()
	s.Schedules = []Schedule{
		{ID: "s-a", ProgrammeID: "p-fraud", Priority: 5, Target: Target{Regions: []string{"仙游县/榜头镇"}}, Weekdays: Days(time.Wednesday),
			Windows: []Window{{Start: Clock(9, 0, 0), End: Clock(11, 0, 0)}}},
		{ID: "s-b", ProgrammeID: "p-aid", Priority: 5, Target: Target{Tags: []string{"主街"}}, Weekdays: EveryDay,
			Windows: []Window{{Start: Clock(10, 0, 0), End: Clock(12, 0, 0)}}},
		{ID: "s-c", ProgrammeID: "p-aid", Priority: 6, Target: Target{Regions: []string{"仙游县"}}, Always: true},
		{ID: "s-ghost", ProgrammeID: "p-aid", Priority: 5, Target: Target{Regions: []string{"仙游县/盖尾镇"}}, Always: true},
	}
	s.Notices = []Notice{{ID: "n1", Text: "通知", Regions: []string{"莆田市"}, Start: at(shanghai, 2024, 12, 2, 9, 0, 0), Expiry: at(shanghai, 2024, 12, 3, 9, 0, 0)}}
	r := Check(s, fleet, at(shanghai, 2024, 12, 2, 0, 0, 0), 14*24*time.Hour)
	if !errors.Is(r.Err(), ErrNoDevice) {
		t.Fatalf("Check error %v, want ErrNoDevice", r.Err())
	}
	var fields []string
	for _, p := range r.Problems {
		fields = append(fields, p.Field)
	}
	if got := strings.Join(fields, " "); got != "schedules[s-ghost].target notices[n1].regions" {
		t.Errorf("problems name %s", got)
	}
	if len(r.Conflicts) != 1 {
		t.Fatalf("conflicts %+v, want one (s-a with s-b)", r.Conflicts)
	}
	cf := r.Conflicts[0]
	if cf.Schedules != [2]string{"s-a", "s-b"} || cf.Priority != 5 || strings.Join(cf.Devices, ",") != "led-baxia" {
		t.Errorf("conflict %+v", cf)
	}
	if !cf.Start.Equal(at(shanghai, 2024, 12, 4, 10, 0, 0)) || !cf.End.Equal(at(shanghai, 2024, 12, 4, 11, 0, 0)) || cf.Overlaps != 2 {
		t.Errorf("conflict first overlaps [%v, %v), %d times; want Wednesday 10:00-11:00, twice in two weeks", cf.Start, cf.End, cf.Overlaps)
	}
	if !hasHan(cf.Message) {
		t.Errorf("conflict message %q is not Chinese", cf.Message)
	}
}

func TestDecodeScheduleStrict(t *testing.T) {
	good := `{"id":"s1","programme_id":"p1","priority":3,"target":{"regions":["仙游县/榜头镇"],"exclude_devices":["led-9"]},
		"date_from":"2024-12-01","date_until":"2024-12-31","weekdays":["mon","sat"],
		"windows":[{"start":"22:00","end":"02:00","overnight":true},{"start":"08:00","end":"24:00"}],"zone":"Asia/Shanghai"}`
	s, err := DecodeSchedule([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if s.Weekdays != Days(time.Monday, time.Saturday) || s.Windows[0].End != Clock(2, 0, 0) || s.DateUntil != NewDate(2024, 12, 31) {
		t.Errorf("decoded %+v", s)
	}
	for name, bad := range map[string]string{
		"unknown field":   `{"id":"s1","programme_id":"p1","priority":3,"target":{"regions":["仙游县"]},"always":true,"colour":"red"}`,
		"bad time":        `{"id":"s1","programme_id":"p1","priority":3,"target":{"regions":["仙游县"]},"weekdays":["mon"],"windows":[{"start":"25:00","end":"02:00"}]}`,
		"bad weekday":     `{"id":"s1","programme_id":"p1","priority":3,"target":{"regions":["仙游县"]},"weekdays":["funday"]}`,
		"wrong type":      `{"id":"s1","programme_id":"p1","priority":"high","target":{"regions":["仙游县"]},"always":true}`,
		"trailing data":   `{"id":"s1","programme_id":"p1","priority":3,"target":{"regions":["仙游县"]},"always":true} {}`,
		"broken JSON":     `{"id":"s1",`,
		"reversed window": `{"id":"s1","programme_id":"p1","priority":3,"target":{"regions":["仙游县"]},"weekdays":["mon"],"windows":[{"start":"17:00","end":"09:00"}]}`,
	} {
		_, err := DecodeSchedule([]byte(bad))
		var fe *FieldError
		if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) || !hasHan(fe.Message) {
			t.Errorf("%s: error %v is not an invalid FieldError with a Chinese message", name, err)
		}
	}
}

func TestSetJSONRoundTrip(t *testing.T) {
	s := baseSet()
	s.Schedules = []Schedule{{ID: "s1", ProgrammeID: "p-fraud", Priority: 5, Target: Target{Regions: []string{"仙游县"}}, Weekdays: WorkDays,
		DateFrom: NewDate(2024, 12, 1), Windows: []Window{{Start: Clock(22, 0, 0), End: Clock(2, 0, 0), Overnight: true}}}}
	s.Notices = []Notice{{ID: "n1", Text: "通知", Regions: []string{"仙游县"}, Start: at(shanghai, 2024, 12, 2, 9, 0, 0), Expiry: at(shanghai, 2024, 12, 3, 9, 0, 0)}}
	data, err := jsonMarshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"programme_id":"p-fraud"`, `"weekdays":["mon","tue","wed","thu","fri"]`, `"start":"22:00"`, `"date_from":"2024-12-01"`, `"sha256":`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("JSON lacks %s: %s", want, data)
		}
	}
	back, err := DecodeSet(data)
	if err != nil {
		t.Fatal(err)
	}
	now := at(shanghai, 2024, 12, 2, 23, 0, 0)
	a, _ := Resolve(ledBaxia, now, s, Trusted)
	b, _ := Resolve(ledBaxia, now, back, Trusted)
	if !a.Same(b) || !a.Until.Equal(b.Until) {
		t.Errorf("decoded set plays %s, original %s", playing(b), playing(a))
	}
}
