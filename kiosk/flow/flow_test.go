package flow_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"lawpoint/kiosk/flow"
	"lawpoint/kiosk/flow/flowtest"
)

func TestHomeOffersFourServicesAndTheContactPoint(t *testing.T) {
	k := newKit(t)
	v := k.expect(flow.ScreenHome)
	for _, want := range []string{"取号", "预约视频咨询", "法治宣传", "服务评价"} {
		if _, ok := v.Find(want); !ok {
			t.Errorf("home has no %s button", want)
		}
	}
	k.says("坝下村法律服务联系点", "12348", "林志明 法律顾问")
	if v.Nav {
		t.Error("home shows 返回/首页; it is already home")
	}
}

func TestTakeATicket(t *testing.T) {
	k := newKit(t)
	v := k.tap("取号")
	k.expect(flow.ScreenTicketCategory)
	if len(v.Choices) != 4 {
		t.Fatalf("categories shown: %v", labels(v))
	}
	v = k.tap("人民调解")
	k.expect(flow.ScreenTicketIssued)
	if v.Ticket == nil || v.Ticket.Number != "C001" {
		t.Fatalf("ticket card %+v, want C001", v.Ticket)
	}
	k.says("C001", "人民调解", "前面还有 2 人", "大约等 12 分钟", "取号时间 11月27日 08:1")
	if v.Notice != nil {
		t.Errorf("a notice on a good print: %+v", v.Notice)
	}
	if len(k.printer.Tickets) != 1 || k.printer.Tickets[0].Number != "C001" {
		t.Errorf("printed %+v", k.printer.Tickets)
	}
	k.tap("完成")
	k.expect(flow.ScreenHome)
	k.tap("取号")
	k.tap("人民调解")
	k.says("C002")
}

func TestTicketWithoutPaperIsStillShownLarge(t *testing.T) {
	k := newKit(t)
	k.printer.Err = flowtest.ErrPaperOut
	k.tap("取号")
	v := k.tap("法律咨询")
	if v.Ticket == nil || v.Ticket.Number != "A001" {
		t.Fatalf("no ticket shown when the printer is out of paper: %+v", v)
	}
	if v.Notice == nil || !strings.HasPrefix(v.Notice.Text, "打印机缺纸") || !strings.Contains(v.Notice.Text, "请记住屏幕上的号码") {
		t.Errorf("printer fault notice: %+v", v.Notice)
	}
	k.saysNot("escpos") // no English internals on screen
}

func TestTicketUntrustedClockHidesTheTime(t *testing.T) {
	k := newKit(t)
	k.queue.Now = func() time.Time { return time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC) }
	k.queue.Untrusted = true
	k.queue.Ahead, k.queue.Wait = 0, 0
	k.tap("取号")
	k.tap("法律咨询")
	k.says("A001", "前面没有人", "马上就到您")
	k.saysNot("1970", "取号时间", "1月1日")
}

func TestTicketIssueFailureLetsYouTryAgain(t *testing.T) {
	k := newKit(t)
	k.queue.Err = errors.New("queue: store: disk full: 存储空间已满")
	k.tap("取号")
	k.tap("法律咨询")
	k.expect(flow.ScreenTicketCategory)
	k.says("没有取到号：存储空间已满", "请再点一次")
	k.queue.Err = nil
	k.tap("法律咨询")
	k.expect(flow.ScreenTicketIssued)
}

func TestCalledTicketIsAnnounced(t *testing.T) {
	k := newKit(t)
	k.queue.Call("A003", "1")
	k.says("请 A003 号到 1 号窗口")
	k.tap("取号")
	k.says("请 A003 号到 1 号窗口")
}

func TestBookAConsultation(t *testing.T) {
	k := newKit(t)
	k.tap("预约视频咨询")
	v := k.expect(flow.ScreenBookingService)
	if len(v.Choices) != 4 {
		t.Errorf("services %v", labels(v))
	}
	v = k.tap("法律咨询")
	k.expect(flow.ScreenBookingAdviser)
	if v.Choices[0].Label != "林志明 法律顾问" || v.Choices[0].Sub != "本村法律顾问" {
		t.Errorf("the village's own adviser is not first: %+v", v.Choices)
	}
	v = k.tap("林志明 法律顾问")
	k.expect(flow.ScreenBookingDay)
	if len(v.Choices) != 6 {
		t.Errorf("days %v", labels(v))
	}
	k.says("今天 11月27日", "明天 11月28日", "后天 11月29日", "11月30日", "星期四", "可约4个")
	if b, _ := v.Find("后天 11月29日"); !b.Disabled || b.Sub != "星期六　已约满" {
		t.Errorf("a full day should be greyed out and say 已约满: %+v", b)
	}
	v = k.tap("明天 11月28日")
	k.expect(flow.ScreenBookingSlot)
	k.says("上午9:00", "上午9:30", "上午10:00", "下午2:30", "明天 11月28日 星期五，几点？")
	k.tap("下午2:30")
	v = k.expect(flow.ScreenBookingPhone)
	if len(v.Keypad.Keys) != 12 {
		t.Errorf("keypad keys %v", labels(v))
	}
	k.typePhone("13812345678")
	if got := k.view().Keypad.Display; got != "138 1234 5678" {
		t.Errorf("while typing the number reads %q", got)
	}
	k.tap("下一步")
	k.expect(flow.ScreenBookingConfirm)
	k.says("法律咨询", "林志明 法律顾问（本村）", "明天 11月28日 星期五 下午2:30", "138****5678")
	k.saysNot("13812345678", "138 1234 5678")
	v = k.tap("确认预约")
	k.expect(flow.ScreenBookingResult)
	if v.Code == nil || v.Code.Code != "K7Q2" || v.Title != "预约成功" {
		t.Errorf("result %+v", v)
	}
	k.says("138****5678")
	k.saysNot("13812345678")
	if len(k.book.Requests) != 1 {
		t.Fatalf("requests %+v", k.book.Requests)
	}
	r := k.book.Requests[0]
	if r.Phone != "13812345678" || r.AdviserID != "adviser-lin" || r.Service != "法律咨询" || r.Slot.Start.Hour() != 14 {
		t.Errorf("request %+v", r)
	}
	if len(k.printer.Bookings) != 1 || k.printer.Bookings[0].Code != "K7Q2" || k.printer.Bookings[0].AdviserName != "林志明" {
		t.Errorf("slip %+v", k.printer.Bookings)
	}
	// 返回 after booking goes home: it must not offer to book again.
	k.tap("返回")
	k.expect(flow.ScreenHome)
}

func TestBookingOfflineIsAwaitingConfirmation(t *testing.T) {
	k := newKit(t)
	k.book.Status = flow.BookingPending
	k.printer.Err = errors.New("printer: open /dev/usb/lp0: 打印机没有连接")
	k.toKeypad()
	k.typePhone("15900001111")
	k.tap("下一步")
	v := k.tap("确认预约")
	if v.Title != "已记下，待确认" || !strings.Contains(v.Code.Label, "待确认") || v.Code.Code != "K7Q2" {
		t.Errorf("offline result %+v / %+v", v.Title, v.Code)
	}
	k.says("联网后自动确认", "打印机没有连接，没有打出预约单")
}

func TestBookingSlotTakenOffersTheNextFreeSlots(t *testing.T) {
	k := newKit(t)
	k.book.Status = flow.BookingTaken
	k.toKeypad()
	k.typePhone("13812345678")
	k.tap("下一步")
	v := k.tap("确认预约")
	k.expect(flow.ScreenBookingResult)
	k.says("这个时间已被约走", "请选一个别的时间")
	if got := labels(v); !contains(got, "上午9:30") || !contains(got, "下午2:30") || contains(got, "上午9:00") {
		t.Errorf("next slots offered: %v", got)
	}
	if len(k.printer.Bookings) != 0 {
		t.Error("a slip was printed for a slot that was taken")
	}
	k.book.Status = flow.BookingConfirmed
	k.tap("上午9:30")
	k.expect(flow.ScreenBookingConfirm)
	k.says("今天 11月27日 星期四 上午9:30", "138****5678")
	k.tap("确认预约")
	k.says("预约成功", "K7Q2")
	if got := k.book.Requests[1].Slot.Start; got.Hour() != 9 || got.Minute() != 30 {
		t.Errorf("second request for %v", got)
	}
}

func TestBookingErrorLetsYouTryAgain(t *testing.T) {
	k := newKit(t)
	k.book.Err = errors.New("booking: dial tcp: i/o timeout")
	k.toKeypad()
	k.typePhone("13812345678")
	k.tap("下一步")
	k.tap("确认预约")
	k.expect(flow.ScreenBookingConfirm)
	k.says("预约没有成功：网络或系统出了问题", "再试一次")
	k.saysNot("dial tcp")
	k.book.Err = nil
	k.tap("再试一次")
	k.says("预约成功")
}

func TestPhoneNumberIsChecked(t *testing.T) {
	k := newKit(t)
	k.toKeypad()
	if b, _ := k.view().Find("删除"); !b.Disabled {
		t.Error("删除 is live with nothing typed")
	}
	k.tap("下一步")
	k.says("请先输入手机号码")
	k.typePhone("1381234567")
	k.tap("下一步")
	k.expect(flow.ScreenBookingPhone)
	k.says("手机号码是11位，现在是10位")
	k.typePhone("89") // the 12th digit is ignored
	if got := k.view().Keypad.Display; got != "138 1234 5678" {
		t.Errorf("display %q", got)
	}
	k.saysNot("手机号码是11位") // typing clears the complaint
	k.tap("清空")
	k.typePhone("12812345678")
	k.tap("下一步")
	k.says("手机号码要以13到19开头")
	k.tap("删除")
	if got := k.view().Keypad.Display; got != "128 1234 567" {
		t.Errorf("after 删除 %q", got)
	}
}

func TestBookingBackWalksBackOneStepAtATime(t *testing.T) {
	k := newKit(t)
	k.toKeypad()
	k.typePhone("13812345678")
	k.tap("下一步")
	for _, want := range []flow.Screen{flow.ScreenBookingPhone, flow.ScreenBookingSlot, flow.ScreenBookingDay, flow.ScreenBookingAdviser, flow.ScreenBookingService, flow.ScreenHome} {
		k.tap("返回")
		k.expect(want)
	}
}

func TestEveryStepHasBackAndHome(t *testing.T) {
	k := newKit(t)
	k.toKeypad()
	k.typePhone("13812345678")
	k.tap("下一步")
	k.tap("确认预约")
	k.tap("首页")
	k.tap("取号")
	k.tap("法律咨询")
	k.tap("首页")
	k.tap("法治宣传")
	k.tap("怎样申请法律援助")
	k.tap("首页")
	k.tap("服务评价")
	k.tap("满意")
	k.tap("提交评价")
	screens := map[flow.Screen]bool{}
	for _, v := range k.seen {
		screens[v.Screen] = true
		if v.Screen == flow.ScreenHome {
			continue
		}
		_, back := v.Find("返回")
		_, home := v.Find("首页")
		if !back || !home || !v.Nav {
			t.Errorf("%s lacks 返回 or 首页: %v", v.Screen, labels(v))
		}
	}
	if len(screens) < 14 {
		t.Errorf("only %d screens visited: %v", len(screens), screens)
	}
}

func TestReadAnArticle(t *testing.T) {
	k := newKit(t)
	v := k.tap("法治宣传")
	k.expect(flow.ScreenEducationList)
	if len(v.Choices) != 2 {
		t.Errorf("articles %v", labels(v))
	}
	v = k.tap("怎样申请法律援助")
	k.expect(flow.ScreenEducationRead)
	k.says("第一页：带上身份证。", "第1页，共3页")
	if b, _ := v.Find("上一页"); !b.Disabled {
		t.Error("上一页 is live on the first page")
	}
	if _, ok := v.Find("朗读"); ok {
		t.Error("朗读 offered without a voice")
	}
	k.tap("下一页")
	k.says("第二页：拨打12348。", "第2页，共3页")
	v = k.tap("下一页")
	if b, _ := v.Find("下一页"); !b.Disabled {
		t.Error("下一页 is live on the last page")
	}
	k.tap("上一页")
	k.says("第二页")
	k.tap("返回")
	k.expect(flow.ScreenEducationList)
}

func TestReadAloudWhenAVoiceIsInstalled(t *testing.T) {
	clock := flowtest.NewClock(start)
	sp := &flowtest.Speaker{Hold: true}
	done := make(chan struct{}, 8)
	app := flow.New(flow.Services{
		Content: flowtest.Content{{ID: "a", Title: "宪法", Body: "宪法是国家的根本法。"}},
		Speaker: sp,
	}, flow.Config{Now: clock.Now, Notify: func() { done <- struct{}{} }})
	tap := func(label string) flow.View {
		t.Helper()
		clock.Advance(time.Second)
		b, ok := app.View().Find(label)
		if !ok {
			t.Fatalf("no %q on %s: %v", label, app.View().Screen, labels(app.View()))
		}
		app.Tap(b.ID)
		return app.View()
	}
	tap("法治宣传")
	tap("宪法")
	v := tap("朗读")
	if _, ok := v.Find("停止朗读"); !ok {
		t.Fatalf("while reading the button should say 停止朗读: %v", labels(v))
	}
	tap("停止朗读")
	<-done // the voice stopped
	app.Drain()
	if _, ok := app.View().Find("朗读"); !ok {
		t.Errorf("after stopping: %v", labels(app.View()))
	}
	if len(sp.Said) != 1 || sp.Said[0] != "宪法。宪法是国家的根本法。" {
		t.Errorf("read aloud %q", sp.Said)
	}
}

func TestRateFromHome(t *testing.T) {
	k := newKit(t)
	v := k.tap("服务评价")
	k.expect(flow.ScreenRatingScore)
	var words []string
	for _, f := range v.Faces {
		words = append(words, f.Label)
		if f.Icon == "" {
			t.Errorf("face %s has no picture", f.Label)
		}
	}
	if strings.Join(words, " ") != "非常满意 满意 一般 不满意" {
		t.Errorf("faces %v", words)
	}
	v = k.tap("不满意")
	k.expect(flow.ScreenRatingReasons)
	k.says("等得太久", "没听明白", "您选了“不满意”")
	k.tap("等得太久")
	k.tap("态度不好")
	k.tap("态度不好") // tapped again: unselected
	v = k.view()
	if b, _ := v.Find("等得太久"); !b.Selected || b.Sub != "已选" {
		t.Errorf("chip not selected: %+v", b)
	}
	k.tap("提交评价")
	k.expect(flow.ScreenRatingThanks)
	k.says("谢谢您的评价！")
	want := flow.Rating{Score: 1, Reasons: []string{"等得太久"}}
	if len(k.ratings.Got) != 1 || k.ratings.Got[0].Score != want.Score || strings.Join(k.ratings.Got[0].Reasons, ",") != "等得太久" || k.ratings.Got[0].TicketID != "" {
		t.Errorf("rating stored %+v", k.ratings.Got)
	}
	// The thanks screen goes home by itself.
	k.app.Tick(k.clock.Advance(7 * time.Second))
	k.expect(flow.ScreenRatingThanks)
	k.app.Tick(k.clock.Advance(2 * time.Second))
	k.expect(flow.ScreenHome)
}

func TestRatingAfterServiceIsLinked(t *testing.T) {
	k := newKit(t)
	k.app.StartRating("t-A-3", "")
	k.expect(flow.ScreenRatingScore)
	k.says("刚才的服务，您满意吗？")
	k.tap("非常满意")
	k.says("态度好", "讲得清楚")
	k.tap("提交评价")
	if len(k.ratings.Got) != 1 || k.ratings.Got[0].Score != 4 || k.ratings.Got[0].TicketID != "t-A-3" || len(k.ratings.Got[0].Reasons) != 0 {
		t.Errorf("rating stored %+v", k.ratings.Got)
	}
	k.app.StartRating("", "K7Q2")
	k.tap("一般")
	k.tap("提交评价")
	if got := k.ratings.Got[1]; got.BookingCode != "K7Q2" || got.Score != 2 {
		t.Errorf("rating stored %+v", got)
	}
}

func TestRatingThatCannotBeStoredSaysSo(t *testing.T) {
	k := newKit(t)
	k.ratings.Err = errors.New("outbox: disk full")
	k.tap("服务评价")
	k.tap("满意")
	k.tap("提交评价")
	k.says("谢谢您的评价！", "评价没有存上，请告诉工作人员。")
}

func TestIdleAsksThenGoesHomeAndForgets(t *testing.T) {
	k := newKit(t)
	k.toKeypad()
	k.typePhone("1381234")
	k.app.Tick(k.clock.Advance(44 * time.Second))
	if k.view().Idle != nil {
		t.Fatal("asked 还在使用吗 before 45 s")
	}
	k.app.Tick(k.clock.Advance(time.Second))
	v := k.view()
	if v.Idle == nil || v.Idle.Question != "还在使用吗？" || v.Idle.Countdown != "15秒后回到首页" {
		t.Fatalf("idle prompt at 45 s: %+v", v.Idle)
	}
	if bs := v.Buttons(); len(bs) != 1 || bs[0].Label != "还在用" {
		t.Errorf("with the prompt up the live buttons are %v", labels(v))
	}
	k.app.Tick(k.clock.Advance(10 * time.Second))
	k.says("5秒后回到首页")
	k.app.Tick(k.clock.Advance(5 * time.Second))
	k.expect(flow.ScreenHome)
	if k.view().Idle != nil {
		t.Error("prompt still shown at home")
	}
	// What was typed is gone.
	k.toKeypad()
	if got := k.view().Keypad.Display; got != "" {
		t.Errorf("the number typed before is still there: %q", got)
	}
}

func TestIdlePromptAnswerKeepsWhatWasEntered(t *testing.T) {
	k := newKit(t)
	k.toKeypad()
	k.typePhone("138")
	k.app.Tick(k.clock.Advance(50 * time.Second))
	// A touch anywhere (here, where 清空 is) only answers the prompt.
	k.app.Tap(flow.TargetKeyClear)
	v := k.expect(flow.ScreenBookingPhone)
	if v.Idle != nil || v.Keypad.Display != "138" {
		t.Errorf("after answering: idle %+v, number %q", v.Idle, v.Keypad.Display)
	}
	k.app.Tick(k.clock.Advance(44 * time.Second))
	if k.view().Idle != nil {
		t.Error("the idle timer did not restart")
	}
	k.app.Tick(k.clock.Advance(time.Second))
	k.tap("还在用")
	k.expect(flow.ScreenBookingPhone)
}

func TestIdleTimesAreConfigurable(t *testing.T) {
	k := newKit(t, func(c *flow.Config) { c.IdleWarn, c.IdleReset = 20*time.Second, 30*time.Second })
	k.tap("法治宣传")
	if w := k.app.NextWake(); !w.Equal(k.clock.Now().Add(20 * time.Second)) {
		t.Errorf("next wake %v, want in 20 s", w.Sub(k.clock.Now()))
	}
	k.app.Tick(k.clock.Advance(20 * time.Second))
	k.says("10秒后回到首页")
	if w := k.app.NextWake(); !w.Equal(k.clock.Now().Add(time.Second)) {
		t.Errorf("with the countdown shown, next wake in %v, want 1 s", w.Sub(k.clock.Now()))
	}
	k.app.Tick(k.clock.Advance(10 * time.Second))
	k.expect(flow.ScreenHome)
}

func TestHomeNeverAsksIfStillInUse(t *testing.T) {
	k := newKit(t)
	k.app.Tick(k.clock.Advance(10 * time.Minute))
	if k.view().Idle != nil {
		t.Error("home asked 还在使用吗")
	}
	if !k.app.NextWake().IsZero() {
		t.Error("home wants to wake up with nothing to do")
	}
}

func TestDoubleTapDoesNotPressTheNextScreen(t *testing.T) {
	k := newKit(t)
	k.tap("取号")
	k.clock.Advance(time.Second)
	k.app.Tap(flow.ChoiceTarget(0)) // 法律咨询 → ticket A001
	k.clock.Advance(100 * time.Millisecond)
	k.app.Tap(flow.TargetDone) // the second tap of a double tap lands on 完成
	k.expect(flow.ScreenTicketIssued)
	k.says("A001")
}

func TestNothingWiredStillShowsHome(t *testing.T) {
	app := flow.New(flow.Services{}, flow.Config{Sync: true, TapGuard: -1})
	if v := app.View(); v.Screen != flow.ScreenHome || !strings.Contains(v.Text(), "12348") {
		t.Fatalf("home without services: %+v", v)
	}
	app.Tap(flow.TargetTicket)
	if !strings.Contains(app.View().Text(), "暂时没有可以取号的业务") {
		t.Errorf("ticket without a queue: %s", app.View().Text())
	}
	app.Tap(flow.TargetHome)
	app.Tap(flow.TargetBooking)
	app.Tap(flow.ChoiceTarget(0))
	if !strings.Contains(app.View().Text(), "现在没有可以预约的律师") {
		t.Errorf("booking without a service: %s", app.View().Text())
	}
}

func TestMaskPhone(t *testing.T) {
	if got := flow.MaskPhone("13812345678"); got != "138****5678" {
		t.Errorf("MaskPhone = %q", got)
	}
}

type userErr struct{}

func (userErr) Error() string       { return "escpos: status 0x0c" }
func (userErr) UserMessage() string { return "打印机盖子没有关好" }

func TestUserMessage(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{errors.New("打印机缺纸"), "打印机缺纸"},
		{errors.New("printer: write /dev/usb/lp0: 打印机缺纸"), "打印机缺纸"},
		{errors.New("printer: write: broken pipe"), "打印机出了故障"},
		{errors.Join(context.DeadlineExceeded, userErr{}), "打印机盖子没有关好"},
	} {
		if got := flow.UserMessage(c.err, "打印机出了故障"); got != c.want {
			t.Errorf("UserMessage(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
