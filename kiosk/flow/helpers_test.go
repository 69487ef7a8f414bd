package flow_test

import (
	"strings"
	"testing"
	"time"

	"lawpoint/kiosk/flow"
	"lawpoint/kiosk/flow/flowtest"
)

// start is Thursday 27 November 2025, 10:15 in China.
var (
	cst   = time.FixedZone("CST", 8*3600)
	start = time.Date(2025, 11, 27, 8, 15, 0, 0, cst)
)

type kit struct {
	t       *testing.T
	app     *flow.App
	clock   *flowtest.Clock
	queue   *flowtest.Queue
	printer *flowtest.Printer
	book    *flowtest.Bookings
	ratings *flowtest.Ratings
	speaker *flowtest.Speaker
	mine    *flowtest.MyBookings
	video   *flowtest.Video
	updates *flowtest.Updates
	seen    []flow.View // every view shown after a tap
}

func newKit(t *testing.T, cfg ...func(*flow.Config)) *kit {
	t.Helper()
	k := &kit{t: t, clock: flowtest.NewClock(start), queue: flowtest.NewQueue(), printer: &flowtest.Printer{}, ratings: &flowtest.Ratings{}}
	k.queue.Now = k.clock.Now
	k.book = flowtest.NewBookings(start, start.AddDate(0, 0, 1), start.AddDate(0, 0, 3))
	k.mine = &flowtest.MyBookings{Phone: "13812345678", Booking: flow.BookingInfo{
		Code: "K7M2QX", Status: flow.BookingConfirmed, Service: "法律咨询", AdviserID: "adviser-lin", AdviserName: "林志明",
		Slot:  flow.Slot{Start: time.Date(2025, 11, 28, 14, 30, 0, 0, cst), End: time.Date(2025, 11, 28, 15, 0, 0, 0, cst)},
		Phone: "138****5678", MeetingURL: "https://meet.example.cn/lawpoint-k7m2qx",
	}}
	k.video = &flowtest.Video{}
	k.updates = flowtest.NewUpdates()
	c := flow.Config{Now: k.clock.Now, Sync: true, Paginate: func(body string) []string { return strings.Split(body, "|") }}
	for _, f := range cfg {
		f(&c)
	}
	k.app = flow.New(flow.Services{
		Queue: k.queue, Printer: k.printer, Bookings: k.book, Ratings: k.ratings,
		Content: flowtest.Content{
			{ID: "aid", Title: "怎样申请法律援助", Body: "第一页：带上身份证。|第二页：拨打12348。|第三页：到司法所。"},
			{ID: "fraud", Title: "谨防电信诈骗", Body: "陌生来电要转账，先挂电话再核实。"},
		},
		Info:       flow.StaticInfo{PointName: "坝下村法律服务联系点", Hotline: "12348", AdviserOnDuty: "林志明 法律顾问"},
		MyBookings: k.mine, Video: k.video, Updates: k.updates,
	}, c)
	return k
}

// tap presses the live button whose label or ID is s, a second after the
// last touch (as a person would), and fails when there is none.
func (k *kit) tap(s string) flow.View {
	k.t.Helper()
	k.clock.Advance(time.Second)
	v := k.app.View()
	b, ok := v.Find(s)
	if !ok {
		k.t.Fatalf("on %s there is no button %q; buttons: %v", v.Screen, s, labels(v))
	}
	if b.Disabled {
		k.t.Fatalf("on %s button %q is greyed out", v.Screen, s)
	}
	k.app.Tap(b.ID)
	v = k.app.View()
	k.seen = append(k.seen, v)
	return v
}

func (k *kit) view() flow.View { return k.app.View() }

func (k *kit) expect(screen flow.Screen) flow.View {
	k.t.Helper()
	v := k.app.View()
	if v.Screen != screen {
		k.t.Fatalf("screen is %s, want %s; it says:\n%s", v.Screen, screen, v.Text())
	}
	return v
}

func (k *kit) says(parts ...string) {
	k.t.Helper()
	txt := k.app.View().Text()
	for _, p := range parts {
		if !strings.Contains(txt, p) {
			k.t.Errorf("screen %s does not say %q; it says:\n%s", k.app.View().Screen, p, txt)
		}
	}
}

func (k *kit) saysNot(parts ...string) {
	k.t.Helper()
	txt := k.app.View().Text()
	for _, p := range parts {
		if strings.Contains(txt, p) {
			k.t.Errorf("screen %s says %q; it should not:\n%s", k.app.View().Screen, p, txt)
		}
	}
}

func labels(v flow.View) []string {
	var out []string
	for _, b := range v.Buttons() {
		out = append(out, b.Label)
	}
	return out
}

// typePhone taps the digits of p on the keypad.
func (k *kit) typePhone(p string) {
	k.t.Helper()
	for _, r := range p {
		k.tap(string(r))
	}
}

// toKeypad walks the booking flow to the phone step with the first
// service, the first adviser, today, and the first slot.
func (k *kit) toKeypad() {
	k.t.Helper()
	k.tap("预约视频咨询")
	k.tap("法律咨询")
	k.tap("林志明 法律顾问")
	k.tap("今天 11月27日")
	k.tap("上午9:00")
	k.expect(flow.ScreenBookingPhone)
}
