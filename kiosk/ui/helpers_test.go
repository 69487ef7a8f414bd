package ui_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"lawpoint/display/render"
	"lawpoint/kiosk/flow"
	"lawpoint/kiosk/flow/flowtest"
	"lawpoint/kiosk/ui"
)

// fontMeasurer measures with WenQuanYi Micro Hei through display/render
// (the kiosk measures with ebiten; the advances are the font's either way).
type fontMeasurer struct{ f *render.TrueType }

const measureAt = 64

func (m fontMeasurer) Advance(s string, size float64) float64 {
	w := 0
	for _, r := range s {
		g, ok := m.f.Glyph(r)
		if !ok {
			w += measureAt
			continue
		}
		w += g.Advance
	}
	return float64(w) * size / measureAt
}

var (
	fontOnce sync.Once
	font     *render.TrueType
	fontErr  error
)

func loadFont(t testing.TB) *render.TrueType {
	t.Helper()
	fontOnce.Do(func() { font, fontErr = render.LoadTrueType(render.DefaultTrueTypePath, measureAt) })
	if fontErr != nil {
		t.Fatalf("the kiosk's font: %v", fontErr)
	}
	return font
}

func measurer(t testing.TB) ui.Measurer { return fontMeasurer{loadFont(t)} }

var (
	cst   = time.FixedZone("CST", 8*3600)
	start = time.Date(2025, 11, 27, 8, 15, 0, 0, cst)
)

type scene struct {
	name string
	view flow.View
}

// scenes drives every flow with fakes and returns every view a villager
// can meet, including notices, the idle prompt and a called ticket.
func scenes(t *testing.T) []scene {
	m := measurer(t)
	var out []scene
	clock := flowtest.NewClock(start)
	q := flowtest.NewQueue()
	q.Now = clock.Now
	for i := 0; i < 9; i++ {
		q.Cats = append(q.Cats, flow.Category{ID: fmt.Sprint("x", i), Prefix: "E", Name: []string{"司法鉴定", "法律援助申请", "刑满释放人员帮扶", "矛盾纠纷调解", "遗嘱公证咨询", "劳动争议", "土地承包纠纷", "婚姻家庭", "交通事故赔偿"}[i]})
	}
	pr := &flowtest.Printer{}
	bk := flowtest.NewBookings(start, start.AddDate(0, 0, 1))
	for h := 8; h < 18; h++ { // a long day: the slot list pages
		bk.Free["adviser-lin"] = append(bk.Free["adviser-lin"], time.Date(2025, 11, 28, h, 45, 0, 0, cst))
	}
	for i := 0; i < 6; i++ {
		bk.List = append(bk.List, flow.Adviser{ID: fmt.Sprint("l", i), Name: "郑晓燕", Title: "律师事务所律师"})
	}
	rt := &flowtest.Ratings{}
	long := "经济困难的群众，可以到县法律援助中心、乡镇司法所或村法律服务联系点申请法律援助。申请时请带上身份证和经济困难的证明材料。\n不清楚的，请拨打12348公共法律服务热线咨询。"
	arts := flowtest.Content{
		{ID: "a", Title: "怎样申请法律援助", Body: long + long + long},
		{ID: "b", Title: "宪法是国家的根本法，尊崇宪法、学习宪法、遵守宪法、维护宪法", Body: "宪法。"},
		{ID: "c", Title: "谨防电信网络诈骗", Body: "陌生来电要转账，先挂电话再核实。"},
		{ID: "d", Title: "邻里纠纷找调解", Body: "村里就有人民调解委员会。"},
		{ID: "e", Title: "民法典", Body: "社会生活的百科全书。"},
	}
	mine := &flowtest.MyBookings{Phone: "13812345678", Misses: 2, Booking: flow.BookingInfo{
		Code: "K7M2QX", Status: flow.BookingConfirmed, Service: "法律援助", AdviserID: "adviser-lin", AdviserName: "林志明",
		Slot:  flow.Slot{Start: time.Date(2025, 11, 27, 8, 20, 0, 0, cst), End: time.Date(2025, 11, 27, 8, 50, 0, 0, cst)},
		Phone: "138****5678", MeetingURL: "https://meet.example.cn/x",
	}}
	video := &flowtest.Video{}
	updates := flowtest.NewUpdates()
	app := flow.New(flow.Services{
		MyBookings: mine, Video: video, Updates: updates,
		Queue: q, Printer: pr, Bookings: bk, Ratings: rt, Content: arts, Speaker: &flowtest.Speaker{},
		Info: flow.StaticInfo{PointName: "仙游县榜头镇坝下村法律服务联系点", Hotline: "12348", AdviserOnDuty: "林志明 法律顾问"},
	}, flow.Config{Now: clock.Now, Sync: true, Paginate: ui.Paginator(m)})
	snap := func(name string) {
		out = append(out, scene{name, app.View()})
	}
	tap := func(label string) {
		t.Helper()
		clock.Advance(time.Second)
		b, ok := app.View().Find(label)
		if !ok {
			t.Fatalf("no %q on %s:\n%s", label, app.View().Screen, app.View().Text())
		}
		app.Tap(b.ID)
		snap(string(app.View().Screen) + " after " + label)
	}
	// keys taps the keypad keys of text one by one.
	keys := func(text string) {
		t.Helper()
		for _, r := range text {
			tap(string(r))
		}
	}
	// lookUp opens 我的预约 from home and looks a booking up: its code,
	// 下一步, the phone number, 查找预约.
	lookUp := func(code string) {
		t.Helper()
		tap("预约视频咨询")
		tap("查看、取消或改约")
		keys(code)
		tap("下一步")
		keys("13812345678")
		tap("查找预约")
	}
	snap("home")
	q.Call("A003", "1")
	snap("home with a call")
	tap("取号")
	tap("下一页")
	tap("上一页")
	tap("法律咨询")
	pr.Err = flowtest.ErrPaperOut
	tap("首页")
	tap("取号")
	tap("法律援助")
	q.Call("", "")
	q.Err = errors.New("存储空间已满")
	tap("首页")
	tap("取号")
	tap("法律咨询")
	q.Err = nil
	tap("首页")
	tap("预约视频咨询")
	tap("法律咨询")
	tap("下一页")
	tap("上一页")
	tap("林志明 法律顾问")
	tap("明天 11月28日")
	tap("下一页")
	tap("上一页")
	tap("上午9:00")
	tap("下一步")
	keys("13812345")
	tap("下一步")
	keys("678")
	tap("下一步")
	bk.Status = flow.BookingTaken
	tap("确认预约")
	bk.Status = flow.BookingPending
	tap("上午9:30")
	tap("确认预约")
	tap("首页")
	bk.Status = flow.BookingConfirmed
	pr.Err = nil
	tap("预约视频咨询")
	tap("法律咨询")
	tap("林志明 法律顾问")
	tap("今天 11月27日")
	tap("上午9:00")
	keys("13912345678")
	tap("下一步")
	tap("确认预约")
	tap("首页")
	tap("法治宣传")
	tap("下一页")
	tap("上一页")
	tap("怎样申请法律援助")
	tap("下一页")
	tap("朗读")
	tap("首页")
	tap("服务评价")
	tap("不满意")
	tap("等得太久")
	tap("提交评价")
	app.StartRating("t-1", "")
	snap("rating linked")
	tap("非常满意")
	rt.Err = errors.New("disk full")
	tap("提交评价")
	tap("首页")

	// 我的预约: the code keypad, a miss, the booking, cancel, move.
	lookUp("K7M2QA")
	tap("删除")
	tap("X")
	tap("下一步")
	tap("查找预约")
	tap("取消预约")
	mine.Err = errors.New("app: fleet: 现在连不上县里的系统，请稍后再试，或拨打12348")
	tap("确定取消")
	mine.Err = nil
	tap("确定取消")
	pr.Err = flowtest.ErrPaperOut
	tap("完成")
	mine.Booking.Status = flow.BookingConfirmed
	mine.Booking.Slot = flow.Slot{Start: time.Date(2025, 11, 28, 9, 0, 0, 0, cst), End: time.Date(2025, 11, 28, 9, 30, 0, 0, cst)}
	lookUp("K7M2QX")
	tap("改约")
	tap("明天 11月28日")
	mine.Taken = []flow.Slot{{Start: time.Date(2025, 11, 28, 16, 45, 0, 0, cst), End: time.Date(2025, 11, 28, 17, 15, 0, 0, cst)}}
	tap("上午10:00")
	tap("确认改约")
	tap("下午4:45")
	tap("确认改约")
	pr.Err = nil
	tap("首页")
	mine.Booking.Slot = flow.Slot{Start: time.Date(2025, 11, 27, 8, 30, 0, 0, cst), End: time.Date(2025, 11, 27, 9, 0, 0, 0, cst)}
	lookUp("K7M2QX")
	for i := 0; i < 3; i++ { // two misses, then too many
		tap("首页")
		lookUp("ABCDEFGH")
	}
	tap("首页")

	// The home band: a late outcome (with a call), the video call, 去评价.
	updates.Push(flow.Booking{Code: "K7M2QX", Status: flow.BookingTaken, AdviserName: "欧阳明华", Phone: "13812345678",
		Slot: flow.Slot{Start: time.Date(2025, 11, 28, 14, 30, 0, 0, cst)}})
	updates.Push(flow.Booking{Code: "K7M2QX", Status: flow.BookingConfirmed, AdviserName: "林志明", Phone: "13812345678",
		Slot: flow.Slot{Start: time.Date(2025, 11, 28, 9, 0, 0, 0, cst)}})
	app.Tick(clock.Now())
	snap("home with a late outcome")
	q.Call("A012", "2")
	snap("home with a late outcome and a call")
	tap("知道了")
	q.Call("", "")
	video.List = []flow.Consultation{{Code: "K7M2QX", Service: "法律咨询", AdviserName: "欧阳明华",
		Slot: flow.Slot{Start: clock.Now(), End: clock.Now().Add(30 * time.Minute)}, MeetingURL: "https://meet.example.cn/x"}}
	snap("home with the video call")
	q.Call("A012", "2")
	snap("home with the video call and a call")
	q.Call("", "")
	video.Err = errors.New("app: video: 这台机器没有装视频软件，请找工作人员，或用手机扫预约单上的二维码")
	tap("开始视频咨询")
	video.Err = nil
	tap("完成")
	tap("开始视频咨询") // the fake client exits at once: home with 去评价
	snap("home after a call")
	q.Call("A012", "2")
	snap("home after a call with a call")
	q.Call("", "")
	clock.Advance(31 * time.Minute)
	app.Tick(clock.Now())
	snap("home after a call, slot over")

	tap("取号")
	app.Tick(clock.Advance(50 * time.Second))
	snap("idle prompt")
	return out
}
