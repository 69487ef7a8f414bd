package content

import (
	"encoding/json"
	"testing"
	"time"
)

var shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at returns the wall time in loc.
func at(loc *time.Location, y int, m time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, m, d, h, mi, s, 0, loc)
}

// Devices of the fixture county.
var (
	kioskBaxia = Device{ID: "kiosk-baxia", Kind: DeviceKiosk, Region: "仙游县/榜头镇/坝下村"}
	ledBaxia   = Device{ID: "led-baxia", Kind: DeviceLED, Region: "仙游县/榜头镇/坝下村", Tags: []string{"主街"}}
	ledZize    = Device{ID: "led-zize", Kind: DeviceLED, Region: "仙游县/榜头镇/紫泽村", Tags: []string{"公园"}}
	ledDuwei   = Device{ID: "led-duwei", Kind: DeviceLED, Region: "仙游县/度尾镇/中峰村", Tags: []string{"主街"}}
	fleet      = []Device{kioskBaxia, ledBaxia, ledZize, ledDuwei}
)

// baseSet is a small library with a fallback per kind and no schedules.
func baseSet() *Set {
	return &Set{
		Items: []Item{
			NewText("t-fraud", 1, Text{Body: "谨防电信诈骗，不转账、不汇款", Colour: ColourRed, Effect: EffectScrollLeft, Speed: 4}),
			NewText("t-mediation", 1, Text{Body: "邻里纠纷找人民调解，免费、便捷"}),
			NewText("t-aid", 2, Text{Body: "法律援助请拨打 12348"}),
			NewText("t-law", 1, Text{Body: "学习民法典，护航美好生活"}),
			NewArticle("a-constitution", 1, "宪法日", "每年12月4日是国家宪法日。"),
			NewImage("img-12348", 1, "png", 64, 32, []byte("\x89PNG fake")),
		},
		Programmes: []Programme{
			{ID: "p-fraud", Entries: []Entry{{ItemID: "t-fraud", Seconds: 10}}},
			{ID: "p-mediation", Entries: []Entry{{ItemID: "t-mediation", Seconds: 10}}},
			{ID: "p-aid", Entries: []Entry{{ItemID: "t-aid", Seconds: 8}, {ItemID: "img-12348", Seconds: 5}}},
			{ID: "p-led-default", Entries: []Entry{{ItemID: "t-law", Seconds: 15}}},
			{ID: "p-kiosk-default", Entries: []Entry{{ItemID: "a-constitution", Seconds: 60}}},
		},
		Fallbacks: map[string]string{DeviceLED: "p-led-default", DeviceKiosk: "p-kiosk-default"},
	}
}

func compile(t testing.TB, s *Set) *Compiled {
	t.Helper()
	c, err := Compile(s)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return c
}

// playing returns "source:schedule/programme,..." for compact comparison.
func playing(a Answer) string {
	s := string(a.Source)
	if a.Source == SourceNotice {
		for _, n := range a.Notices {
			s += ":" + n.ID
		}
		return s
	}
	for _, p := range a.Programmes {
		s += ":" + p.ScheduleID + "/" + p.ProgrammeID
	}
	return s
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
