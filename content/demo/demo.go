// Package demo is the demonstration county that `make run` and the tests
// start from: a few townships and villages of Xianyou County, their devices,
// and a week of legal-education content with schedules. The messages are our
// own short texts on the themes the county plan names (the Constitution, the
// Civil Code, legal aid, fraud prevention, mediation).
package demo

import (
	"lawpoint/content"
)

// County is the root of the demo region tree.
const County = "仙游县"

// Regions are the demo villages, as region paths.
var Regions = []string{
	"仙游县/榜头镇/坝下村",
	"仙游县/榜头镇/紫溪村",
	"仙游县/鲤城街道/东门社区",
	"仙游县/度尾镇/云居村",
}

// Devices are the demo kiosks and LED boards, one of each per village.
func Devices() []content.Device {
	return []content.Device{
		{ID: "led-bangtou-baxia", Kind: "led", Region: "仙游县/榜头镇/坝下村", Tags: []string{"主街"}},
		{ID: "kiosk-bangtou-baxia", Kind: "kiosk", Region: "仙游县/榜头镇/坝下村"},
		{ID: "led-bangtou-zixi", Kind: "led", Region: "仙游县/榜头镇/紫溪村"},
		{ID: "led-licheng-dongmen", Kind: "led", Region: "仙游县/鲤城街道/东门社区", Tags: []string{"主街", "公园"}},
		{ID: "kiosk-licheng-dongmen", Kind: "kiosk", Region: "仙游县/鲤城街道/东门社区"},
		{ID: "led-duwei-yunju", Kind: "led", Region: "仙游县/度尾镇/云居村"},
	}
}

func text(id, body string, colour content.Colour, tags ...string) content.Item {
	it := content.NewText(id, 1, content.Text{Body: body, Colour: colour, Effect: content.EffectStatic, StaySeconds: 8})
	it.Tags = tags
	return it
}

// Set returns the demo content: items, programmes, schedules and fallbacks.
// Every value is fresh, so callers may change it.
func Set() *content.Set {
	items := []content.Item{
		text("xianfa-1", "宪法是国家的根本法，尊崇宪法、学习宪法、遵守宪法、维护宪法。", content.ColourRed, "宪法"),
		text("xianfa-day", "12月4日国家宪法日：弘扬宪法精神，建设法治中国。", content.ColourYellow, "宪法"),
		text("minfadian-1", "民法典是社会生活的百科全书，守护你我的合法权益。", content.ColourGreen, "民法典"),
		text("yuanzhu-1", "经济困难需要法律帮助？请拨打12348公共法律服务热线。", content.ColourYellow, "法律援助"),
		text("fanzha-1", "陌生来电要转账，先挂电话再核实，谨防电信网络诈骗。", content.ColourRed, "反诈骗"),
		text("tiaojie-1", "邻里纠纷找调解，村里就有人民调解委员会。", content.ColourGreen, "人民调解"),
		content.NewArticle("article-yuanzhu", 1, "怎样申请法律援助",
			"经济困难的群众，可以到县法律援助中心、乡镇司法所或村法律服务联系点申请法律援助。\n"+
				"申请时请带上身份证和经济困难的证明材料。\n不清楚的，请拨打12348公共法律服务热线咨询。"),
	}
	items[len(items)-1].Tags = []string{"法律援助"}
	return &content.Set{
		Items: items,
		Programmes: []content.Programme{
			{ID: "street-day", Name: "街头日间", Entries: []content.Entry{
				{ItemID: "xianfa-1", Seconds: 10}, {ItemID: "minfadian-1", Seconds: 10},
				{ItemID: "yuanzhu-1", Seconds: 10}, {ItemID: "tiaojie-1", Seconds: 10},
			}},
			{ID: "street-evening", Name: "街头晚间（反诈骗）", Entries: []content.Entry{
				{ItemID: "fanzha-1", Seconds: 10}, {ItemID: "yuanzhu-1", Seconds: 10},
			}},
			{ID: "constitution-week", Name: "宪法宣传周", Entries: []content.Entry{
				{ItemID: "xianfa-day", Seconds: 10}, {ItemID: "xianfa-1", Seconds: 10},
			}},
			{ID: "fallback-led", Name: "LED 默认", Entries: []content.Entry{{ItemID: "yuanzhu-1", Seconds: 15}}},
			{ID: "fallback-kiosk", Name: "自助终端默认", Entries: []content.Entry{{ItemID: "article-yuanzhu", Seconds: 60}}},
		},
		Schedules: []content.Schedule{
			{ID: "county-day", Name: "全县白天", ProgrammeID: "street-day", Priority: 10,
				Target:   content.Target{Regions: []string{County}, Kinds: []string{"led"}},
				Weekdays: content.EveryDay, Windows: []content.Window{{Start: content.Clock(7, 0, 0), End: content.Clock(18, 0, 0)}}},
			{ID: "county-evening", Name: "全县晚间反诈骗", ProgrammeID: "street-evening", Priority: 10,
				Target:   content.Target{Regions: []string{County}, Kinds: []string{"led"}},
				Weekdays: content.EveryDay, Windows: []content.Window{{Start: content.Clock(18, 0, 0), End: content.Clock(22, 30, 0)}}},
			{ID: "constitution-day", Name: "国家宪法日", ProgrammeID: "constitution-week", Priority: 50,
				Target:   content.Target{Regions: []string{County}, Kinds: []string{"led"}},
				Weekdays: content.EveryDay, DateFrom: content.NewDate(2026, 12, 1), DateUntil: content.NewDate(2026, 12, 4)},
		},
		Fallbacks: map[string]string{"led": "fallback-led", "kiosk": "fallback-kiosk"},
	}
}
