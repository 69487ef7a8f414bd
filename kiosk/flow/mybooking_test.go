package flow_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"lawpoint/kiosk/flow"
)

// toMyBooking opens 我的预约 from the booking screen and types code and phone.
func (k *kit) toMyBooking(code, phone string) flow.View {
	k.t.Helper()
	k.tap("预约视频咨询")
	k.tap("查看、取消或改约")
	k.expect(flow.ScreenMyCode)
	for _, r := range code {
		k.tap(string(r))
	}
	k.tap("下一步")
	k.expect(flow.ScreenMyPhone)
	k.typePhone(phone)
	return k.tap("查找预约")
}

func TestMyBookingCodeKeypad(t *testing.T) {
	k := newKit(t)
	k.tap("预约视频咨询")
	v := k.tap("查看、取消或改约")
	k.expect(flow.ScreenMyCode)
	k.says("请照预约单输入预约码")
	if v.Keypad == nil || v.Keypad.Columns != 8 || len(v.Keypad.Keys) != 34 {
		t.Fatalf("code keypad %+v", v.Keypad)
	}
	for _, no := range []string{"0", "1", "I", "O"} {
		if _, ok := v.Find(no); ok {
			t.Errorf("the code keypad has %q, which codes never use", no)
		}
	}
	for _, yes := range []string{"2", "9", "A", "H", "J", "N", "P", "Z", "删除", "清空"} {
		if _, ok := v.Find(yes); !ok {
			t.Errorf("the code keypad lacks %q", yes)
		}
	}
	if v.Keypad.Display != "_ _ _ _ _ _" {
		t.Errorf("empty display %q", v.Keypad.Display)
	}
	for _, r := range "K7M" {
		k.tap(string(r))
	}
	if got := k.view().Keypad.Display; got != "K 7 M _ _ _" {
		t.Errorf("display %q", got)
	}
	k.tap("下一步")
	k.expect(flow.ScreenMyCode)
	k.says("预约码是6位，现在是3位")
	k.tap("删除")
	k.tap("清空")
	if k.view().Keypad.Count != 0 {
		t.Error("清空 left characters")
	}
	for _, r := range "23456789" { // 8: a reference printed while 待确认
		k.tap(string(r))
	}
	k.tap("A") // no ninth character
	if got := k.view().Keypad.Count; got != 8 {
		t.Errorf("%d characters typed; at most 8", got)
	}
	k.tap("下一步")
	k.expect(flow.ScreenMyPhone)
	k.tap("返回")
	k.expect(flow.ScreenMyCode)
}

func TestMyBookingLookupAndCancel(t *testing.T) {
	k := newKit(t)
	k.toMyBooking("K7M2QX", "13812345678")
	v := k.expect(flow.ScreenMyShow)
	k.says("这是您的预约", "K7M2QX", "已确认", "法律咨询", "林志明", "明天 11月28日 星期五 下午2:30", "138****5678")
	k.saysNot("13812345678", "138 1234 5678")
	if _, ok := v.Find("开始视频咨询"); ok {
		t.Error("开始视频咨询 offered a day early")
	}
	k.tap("取消预约")
	k.expect(flow.ScreenMyCancel)
	k.says("确定要取消这个预约吗？")
	k.tap("不取消")
	k.expect(flow.ScreenMyShow)
	if len(k.mine.Calls) != 1 {
		t.Fatalf("不取消 reached the fleet: %v", k.mine.Calls)
	}
	k.tap("取消预约")
	v = k.tap("确定取消")
	k.expect(flow.ScreenMyDone)
	if v.Title != "预约已取消" || v.Code == nil || v.Code.Code != "K7M2QX" {
		t.Errorf("done %q %+v", v.Title, v.Code)
	}
	if got := k.mine.Calls[len(k.mine.Calls)-1]; got != "cancel K7M2QX" {
		t.Errorf("last call %q", got)
	}
	if len(k.printer.Bookings) != 1 || k.printer.Bookings[0].Status != flow.BookingCancelled || k.printer.Bookings[0].Phone != "138****5678" {
		t.Errorf("slip %+v", k.printer.Bookings)
	}
	k.tap("完成")
	k.expect(flow.ScreenHome)
	// A cancelled booking shows as such, with nothing to change.
	v = k.toMyBooking("K7M2QX", "13812345678")
	k.says("这个预约已经取消了", "已取消")
	if _, ok := v.Find("改约"); ok {
		t.Error("改约 offered for a cancelled booking")
	}
}

func TestMyBookingWrongCodeOrPhoneSaysOneThing(t *testing.T) {
	k := newKit(t)
	k.mine.Misses = 3
	k.toMyBooking("K7M2QA", "13812345678")
	v := k.expect(flow.ScreenMyCode)
	k.says("没有找到这个预约。请核对预约码和手机号码。")
	if v.Keypad.Display != "K 7 M 2 Q A" {
		t.Errorf("the code typed is not kept to check: %q", v.Keypad.Display)
	}
	k.tap("删除")
	k.tap("X")
	k.tap("下一步")
	if got := k.view().Keypad.Display; got != "138 1234 5678" {
		t.Errorf("the phone typed is not kept: %q", got)
	}
	k.tap("清空")
	k.typePhone("13912345678") // the wrong phone: the same words
	k.tap("查找预约")
	k.expect(flow.ScreenMyCode)
	k.says("没有找到这个预约。请核对预约码和手机号码。")
	k.tap("下一步")
	k.tap("查找预约")
	k.tap("下一步")
	k.tap("查找预约")
	k.says("试的次数太多了，请稍后再试。")
	k.saysNot("13912345678")
}

func TestMyBookingOfflineSaysSo(t *testing.T) {
	k := newKit(t)
	k.mine.Err = errors.New("app: changing a booking needs the fleet: 现在连不上县里的系统，请稍后再试，或拨打12348")
	k.toMyBooking("K7M2QX", "13812345678")
	k.expect(flow.ScreenMyPhone)
	k.says("现在连不上县里的系统")
	k.saysNot("app:")
}

func TestMyBookingReschedule(t *testing.T) {
	k := newKit(t)
	k.toMyBooking("K7M2QX", "13812345678")
	v := k.tap("改约")
	k.expect(flow.ScreenMyDay)
	k.says("改到哪一天？", "明天 11月28日")
	if b, _ := v.Find("明天 11月28日"); b.Sub != "星期五　可约3个" {
		t.Errorf("tomorrow %+v: its own slot is not free to move to", b)
	}
	v = k.tap("明天 11月28日")
	k.expect(flow.ScreenMySlot)
	if _, ok := v.Find("下午2:30"); ok {
		t.Error("the booking's own time is offered")
	}
	k.mine.Taken = []flow.Slot{{Start: time.Date(2025, 11, 28, 10, 0, 0, 0, cst), End: time.Date(2025, 11, 28, 10, 30, 0, 0, cst)}}
	k.tap("上午9:30")
	k.expect(flow.ScreenMyMove)
	k.says("原来：明天 11月28日 星期五 下午2:30", "改到：明天 11月28日 星期五 上午9:30")
	k.tap("确认改约")
	k.expect(flow.ScreenMySlot)
	k.says("这个时间刚被别人约走了")
	k.tap("上午10:00")
	v = k.tap("确认改约")
	k.expect(flow.ScreenMyDone)
	if v.Title != "改约成功" {
		t.Errorf("title %q", v.Title)
	}
	k.says("K7M2QX", "上午10:00", "138****5678")
	if got := k.mine.Calls[len(k.mine.Calls)-1]; got != "move K7M2QX 2025-11-28T10:00" {
		t.Errorf("last call %q", got)
	}
	if len(k.printer.Bookings) != 1 || k.printer.Bookings[0].Status != flow.BookingConfirmed ||
		k.printer.Bookings[0].Slot.Start.Hour() != 10 || k.printer.Bookings[0].MeetingURL == "" {
		t.Errorf("slip %+v", k.printer.Bookings)
	}
}

// The video call: offered on home and on the lookup result from 10 minutes
// before the start; runs the client; 视频通话中… until it exits; then home,
// with 去评价 linked to the booking.
func TestVideoCallFromHomeAndBack(t *testing.T) {
	notify := make(chan struct{}, 16)
	k := newKit(t, func(c *flow.Config) {
		c.Sync = false
		c.Notify = func() { notify <- struct{}{} }
	})
	k.video.Hold = true
	slot := flow.Slot{Start: start.Add(15 * time.Minute), End: start.Add(45 * time.Minute)} // 8:30-9:00
	k.video.List = []flow.Consultation{{Code: "K7M2QX", Service: "法律咨询", AdviserName: "林志明", Slot: slot, MeetingURL: "https://meet.example.cn/x"}}
	if _, ok := k.view().Find("开始视频咨询"); ok {
		t.Fatal("开始视频咨询 offered 15 minutes early")
	}
	if w := k.app.NextWake(); !w.Equal(slot.Start.Add(-10 * time.Minute)) {
		t.Errorf("home wakes at %v; want when the call opens, %v", w, slot.Start.Add(-10*time.Minute))
	}
	k.app.Tick(k.clock.Advance(5 * time.Minute))
	k.says("到时间了：林志明 上午8:30的视频咨询", "开始视频咨询")
	for _, tile := range []string{"取号", "预约视频咨询", "法治宣传", "服务评价"} {
		if _, ok := k.view().Find(tile); !ok {
			t.Errorf("home lost its %s tile", tile)
		}
	}
	v := k.tap("开始视频咨询")
	if v.Screen != flow.ScreenVideoCall || v.Title != "视频通话中…" || v.Nav {
		t.Fatalf("during the call: %s %q nav %v", v.Screen, v.Title, v.Nav)
	}
	// The villager talks to the video client: the kiosk never asks 还在使用吗.
	k.app.Tick(k.clock.Advance(3 * time.Minute))
	if v := k.view(); v.Idle != nil || v.Screen != flow.ScreenVideoCall {
		t.Fatalf("during the call after 3 minutes: %s idle %v", v.Screen, v.Idle)
	}
	k.video.Release()
	select {
	case <-notify:
	case <-time.After(5 * time.Second):
		t.Fatal("the client's exit did not wake the kiosk")
	}
	k.app.Drain()
	k.expect(flow.ScreenHome)
	k.says("视频咨询结束了。请说说您满不满意。", "去评价", "重新开始视频")
	if got := k.video.Calls; len(got) != 1 || got[0].MeetingURL != "https://meet.example.cn/x" {
		t.Errorf("calls %+v", got)
	}
	k.tap("去评价")
	k.expect(flow.ScreenRatingScore)
	k.tap("满意")
	k.tap("提交评价")
	for range 50 {
		if k.app.Drain(); k.view().Screen == flow.ScreenRatingThanks {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(k.ratings.Got) != 1 || k.ratings.Got[0].BookingCode != "K7M2QX" {
		t.Errorf("rating %+v: want linked to K7M2QX", k.ratings.Got)
	}
}

func TestVideoCallEndButtonStopsTheClient(t *testing.T) {
	notify := make(chan struct{}, 16)
	k := newKit(t, func(c *flow.Config) {
		c.Sync = false
		c.Notify = func() { notify <- struct{}{} }
	})
	k.video.Hold = true
	k.video.List = []flow.Consultation{{Code: "K7M2QX", AdviserName: "林志明",
		Slot: flow.Slot{Start: start, End: start.Add(30 * time.Minute)}, MeetingURL: "https://meet.example.cn/x"}}
	k.tap("开始视频咨询")
	k.tap("结束视频")
	<-notify
	k.app.Drain()
	k.expect(flow.ScreenHome)
	if !k.video.Ended {
		t.Error("结束视频 did not stop the client")
	}
	// Still within the slot: the call can start again.
	k.says("去评价", "重新开始视频")
	k.clock.Advance(30 * time.Minute) // the slot is over
	k.app.Tick(k.clock.Now())
	k.saysNot("重新开始视频", "开始视频咨询")
}

func TestVideoClientMissingIsSaidPlainly(t *testing.T) {
	k := newKit(t)
	k.video.Err = errors.New("app: video: exec: \"chromium\": executable file not found in $PATH: 这台机器没有装视频软件")
	k.video.List = []flow.Consultation{{Code: "K7M2QX", AdviserName: "林志明",
		Slot: flow.Slot{Start: start, End: start.Add(30 * time.Minute)}, MeetingURL: "https://meet.example.cn/x"}}
	v := k.tap("开始视频咨询")
	k.expect(flow.ScreenVideoCall)
	if v.Title != "视频没有打开" || v.Notice == nil || !strings.Contains(v.Notice.Text, "这台机器没有装视频软件") {
		t.Fatalf("%q %+v", v.Title, v.Notice)
	}
	k.saysNot("chromium", "PATH")
	k.tap("完成")
	k.expect(flow.ScreenHome)
}

func TestLookupOffersTheVideoCallWhenItIsTime(t *testing.T) {
	k := newKit(t)
	k.mine.Booking.Slot = flow.Slot{Start: start.Add(5 * time.Minute), End: start.Add(35 * time.Minute)}
	v := k.toMyBooking("K7M2QX", "13812345678")
	k.expect(flow.ScreenMyShow)
	if got := labels(v); !contains(got, "开始视频咨询") || !contains(got, "改约") || !contains(got, "取消预约") {
		t.Fatalf("actions %v", got)
	}
	k.tap("开始视频咨询")
	if len(k.video.Calls) != 1 || k.video.Calls[0].Code != "K7M2QX" {
		t.Errorf("calls %+v", k.video.Calls)
	}
	k.expect(flow.ScreenHome) // the fake client exits at once
}

// A 待确认 request answered later: never shown mid-flow; on the home screen
// with 知道了, for NoticeHold.
func TestLateOutcomeWaitsForHome(t *testing.T) {
	k := newKit(t)
	out := flow.Booking{Code: "K7M2QX", Status: flow.BookingConfirmed, AdviserName: "林志明", Phone: "13812345678",
		Slot: flow.Slot{Start: time.Date(2025, 11, 28, 9, 0, 0, 0, cst)}}
	k.tap("取号")
	k.updates.Push(out)
	k.app.Tick(k.clock.Now())
	k.expect(flow.ScreenTicketCategory)
	k.saysNot("您的预约已确认")
	k.tap("首页")
	k.says("您的预约已确认：11月28日 上午9:00 林志明，预约码 K7M2QX，手机 138****5678", "知道了")
	k.saysNot("13812345678")
	k.tap("知道了")
	k.saysNot("您的预约已确认")

	// Not tapped: it goes by itself after NoticeHold.
	taken := out
	taken.Status = flow.BookingTaken
	k.updates.Push(taken)
	k.app.Tick(k.clock.Now())
	k.says("您的预约没有约上", "工作人员会打电话给138****5678")
	if w := k.app.NextWake(); !w.Equal(k.clock.Now().Add(flow.DefaultNoticeHold)) {
		t.Errorf("home wakes at %v; want when the notice goes", w)
	}
	k.app.Tick(k.clock.Advance(flow.DefaultNoticeHold))
	k.saysNot("您的预约没有约上")
	if w := k.app.NextWake(); !w.IsZero() {
		t.Errorf("an idle home wakes at %v", w)
	}
}
