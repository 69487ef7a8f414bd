package demo

import (
	"testing"
	"time"

	"lawpoint/content"
)

// The demo county is valid, conflict-free, and every LED board plays the
// day programme at noon, the anti-fraud programme at 20:00 and the
// Constitution Day programme on 4 December.
func TestDemoSetPlays(t *testing.T) {
	set := Set()
	rep := content.Check(set, Devices(), time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), 14*24*time.Hour)
	if err := rep.Err(); err != nil {
		t.Fatalf("demo set invalid: %v", err)
	}
	if len(rep.Conflicts) != 0 {
		t.Fatalf("demo set has conflicts: %+v", rep.Conflicts)
	}
	c, err := content.Compile(set)
	if err != nil {
		t.Fatal(err)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	cases := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 11, 27, 12, 0, 0, 0, sh), "street-day"},
		{time.Date(2026, 11, 27, 20, 0, 0, 0, sh), "street-evening"},
		{time.Date(2026, 11, 28, 3, 0, 0, 0, sh), "fallback-led"},
		{time.Date(2026, 12, 4, 20, 0, 0, 0, sh), "constitution-week"},
	}
	for _, d := range Devices() {
		if d.Kind != "led" {
			continue
		}
		for _, tc := range cases {
			a := c.Resolve(d, tc.at, content.Trusted)
			got := ""
			if len(a.Programmes) > 0 {
				got = a.Programmes[0].ProgrammeID
			}
			if got != tc.want {
				t.Errorf("%s at %s plays %q (source %v), want %q", d.ID, tc.at, got, a.Source, tc.want)
			}
		}
	}
}
