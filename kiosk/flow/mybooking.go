package flow

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CodeAlphabet is the booking-code alphabet: digits and capitals without
// 0/O and 1/I, which villagers confuse (the fleet's codes and the kiosk's
// pending references use only these).
const CodeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// Booking codes are 6 characters; a request kept offline (待确认) is
// printed with an 8-character reference.
const (
	CodeLen = 6
	RefLen  = 8
)

type myStep int

const (
	myCode myStep = iota
	myPhone
	myShow
	myCancel
	myDay
	mySlot
	myMove
	myDone
)

// TargetKeep is 不取消 on the cancel confirmation.
const TargetKeep = "mine.keep"

// myBooking is "我的预约": the code on a large keypad → the phone number →
// the booking (adviser, time, status) → 取消预约 (with a confirm step) or
// 改约 (another day and free time of the same adviser) → the result on
// screen and a slip; 开始视频咨询 when it is time.
type myBooking struct {
	step  myStep
	code  string
	phone string
	bad   string // why the code or phone was refused, or the lookup's answer

	busy   string // a call is on its way: what to say meanwhile
	found  *BookingInfo
	failed string // cancel or move failed

	days  []day
	slots []Slot
	taken bool // slots are the next free ones after a slot was taken
	page  page
	day   time.Time
	slot  Slot

	cancelled bool // myDone: cancelled (else moved)
	printed   string
}

func newMyBooking() *myBooking { return &myBooking{page: page{perPage: 6}} }

func (m *myBooking) go_(step myStep, perPage int) {
	m.step = step
	m.page = page{perPage: perPage}
}

func (m *myBooking) view(a *App) View {
	v := View{Title: "我的预约", Columns: 2}
	if m.busy != "" {
		v.Screen = map[myStep]Screen{myPhone: ScreenMyPhone, myCancel: ScreenMyCancel, myMove: ScreenMyMove}[m.step]
		v.Busy = m.busy
		return v
	}
	switch m.step {
	case myCode:
		v.Screen = ScreenMyCode
		v.Prompt = "第1步：请照预约单输入预约码"
		codeField.show(&v, m.code, m.bad, "下一步")
	case myPhone:
		v.Screen = ScreenMyPhone
		v.Prompt = "第2步：请输入预约时留的手机号码"
		phoneField.show(&v, m.phone, m.bad, "查找预约")
	case myShow:
		v.Screen = ScreenMyShow
		f := m.found
		v.Fields = m.fields(a, f.Slot, true)
		now := a.cfg.Now()
		switch f.Status {
		case BookingCancelled:
			v.Prompt = "这个预约已经取消了"
		case BookingPending:
			v.Prompt = "还在等待确认，联网后自动确认"
		case BookingTaken:
			v.Prompt = "没有约上：那个时间已被约走，工作人员会打电话给您"
		default:
			v.Prompt = "这是您的预约"
			if a.videoOpen(Consultation{Slot: f.Slot, MeetingURL: f.MeetingURL}, now) {
				v.Actions = append(v.Actions, Button{ID: TargetVideo, Label: "开始视频咨询", Tone: TonePrimary})
			}
			if f.Slot.Start.After(now) {
				v.Actions = append(v.Actions,
					Button{ID: TargetMove, Label: "改约", Tone: ToneChoice},
					Button{ID: TargetCancelBk, Label: "取消预约", Tone: ToneChoice})
			} else if len(v.Actions) == 0 {
				v.Prompt = "这个预约的时间已经过了"
			}
		}
		if m.failed != "" {
			v.Notice = &Notice{Kind: NoticeError, Text: m.failed}
		}
		if len(v.Actions) == 0 {
			v.Actions = []Button{{ID: TargetDone, Label: "完成", Tone: TonePrimary}}
		}
	case myCancel:
		v.Screen = ScreenMyCancel
		v.Title = "取消预约"
		v.Prompt = "确定要取消这个预约吗？"
		v.Fields = m.fields(a, m.found.Slot, false)
		v.Actions = []Button{
			{ID: TargetKeep, Label: "不取消", Tone: ToneChoice},
			{ID: TargetCancelYes, Label: "确定取消", Tone: TonePrimary},
		}
		if m.failed != "" {
			v.Notice = &Notice{Kind: NoticeError, Text: m.failed}
		}
	case myDay:
		v.Screen = ScreenMyDay
		v.Title = "改约"
		v.Prompt = "改到哪一天？"
		v.Choices, v.Pager = choices(m.page, dayButtons(m.days, a.cfg.Now()))
	case mySlot:
		v.Screen = ScreenMySlot
		v.Title = "改约"
		name, wd := DayLabel(m.day, a.cfg.Now())
		v.Prompt = "改到" + name + " " + wd + "，几点？"
		v.Choices, v.Pager = choices(m.page, slotButtons(m.slots))
		v.Columns = 3
		switch {
		case m.taken:
			v.Notice = &Notice{Kind: NoticeWarn, Text: "这个时间刚被别人约走了，请选一个别的时间。"}
		case len(m.slots) == 0:
			v.Notice = &Notice{Kind: NoticeWarn, Text: "这一天已经约满了，请换一天。"}
		}
		if m.taken || len(m.slots) == 0 {
			v.Actions = []Button{{ID: TargetOtherDay, Label: "换一天", Tone: TonePrimary}}
		}
	case myMove:
		v.Screen = ScreenMyMove
		v.Title = "改约"
		v.Prompt = "请看一下新的时间对不对"
		f := m.found
		v.Fields = []Field{
			{Label: "原来：", Value: m.when(a, f.Slot)},
			{Label: "改到：", Value: m.when(a, m.slot)},
			{Label: "律师：", Value: f.AdviserName},
		}
		v.Actions = []Button{{ID: TargetMoveOK, Label: "确认改约", Tone: TonePrimary}}
		if m.failed != "" {
			v.Notice = &Notice{Kind: NoticeError, Text: m.failed}
			v.Actions[0] = Button{ID: TargetRetry, Label: "再试一次", Tone: TonePrimary}
		}
	case myDone:
		v.Screen = ScreenMyDone
		f := m.found
		if m.cancelled {
			v.Title = "预约已取消"
			v.Prompt = "已经取消了。要咨询可以重新预约"
		} else {
			v.Title = "改约成功"
			v.Prompt = "到新的时间请来这里，和律师视频"
		}
		v.Code = &BigCode{Label: "预约码", Code: f.Code}
		v.Fields = []Field{
			{Label: "律师：", Value: f.AdviserName},
			{Label: "时间：", Value: m.when(a, f.Slot)},
			{Label: "手机：", Value: MaskPhone(f.Phone)},
		}
		if m.printed != "" {
			v.Notice = &Notice{Kind: NoticeWarn, Text: m.printed + "，没有打出凭条。请记下屏幕上的内容。"}
		}
		v.Actions = []Button{{ID: TargetDone, Label: "完成", Tone: TonePrimary}}
	}
	return v
}

func (m *myBooking) when(a *App, s Slot) string {
	name, wd := DayLabel(s.Start, a.cfg.Now())
	return name + " " + wd + " " + ClockLabel(s.Start)
}

func (m *myBooking) fields(a *App, s Slot, status bool) []Field {
	f := m.found
	out := []Field{{Label: "预约码：", Value: f.Code}}
	if status {
		out = append(out, Field{Label: "状态：", Value: statusName(f.Status)})
	}
	if f.Service != "" && status {
		out = append(out, Field{Label: "咨询：", Value: f.Service})
	}
	out = append(out,
		Field{Label: "律师：", Value: f.AdviserName},
		Field{Label: "时间：", Value: m.when(a, s)})
	if status {
		out = append(out, Field{Label: "手机：", Value: MaskPhone(f.Phone)})
	}
	return out
}

func statusName(s BookingStatus) string {
	switch s {
	case BookingCancelled:
		return "已取消"
	case BookingPending:
		return "待确认"
	case BookingTaken:
		return "没有约上"
	}
	return "已确认"
}

// codeKeypad is the booking-code keypad: 2-9 on the first row, the letters
// in alphabetical order on three more rows of eight (no 0, 1, I, O), then
// 删除 and 清空.
func codeKeypad(code string) *Keypad {
	var shown []string
	for _, r := range code {
		shown = append(shown, string(r))
	}
	for i := len(shown); i < CodeLen; i++ {
		shown = append(shown, "_")
	}
	k := &Keypad{Display: strings.Join(shown, " "), Count: len(code), Columns: 8,
		Hint: "已输入" + fmt.Sprint(len(code)) + "位，共6位"}
	for _, r := range CodeAlphabet {
		k.Keys = append(k.Keys, Button{ID: CharKeyTarget(r), Label: string(r), Tone: ToneKey})
	}
	k.Keys = append(k.Keys,
		Button{ID: TargetKeyDelete, Label: "删除", Tone: ToneNav, Disabled: code == ""},
		Button{ID: TargetKeyClear, Label: "清空", Tone: ToneNav, Disabled: code == ""},
	)
	return k
}

// ValidCode checks a booking code (6 characters) or a pending reference
// (8); the error is for the villager.
func ValidCode(c string) error {
	for _, r := range c {
		if !strings.ContainsRune(CodeAlphabet, r) {
			return errors.New("预约码里没有这个字：" + string(r))
		}
	}
	switch n := len(c); {
	case n == 0:
		return errors.New("请先输入预约单上的预约码")
	case n != CodeLen && n != RefLen:
		return fmt.Errorf("预约码是6位，现在是%d位，请照预约单检查", n)
	}
	return nil
}

func (m *myBooking) tap(a *App, id string) {
	if m.busy != "" {
		return
	}
	switch m.step {
	case myCode:
		if codeField.tap(id, &m.code, &m.bad) {
			m.go_(myPhone, 1)
		}
	case myPhone:
		if phoneField.tap(id, &m.phone, &m.bad) {
			m.lookup(a)
		}
	case myShow:
		switch id {
		case TargetVideo:
			f := m.found
			a.startVideo(Consultation{Code: f.Code, Service: f.Service, AdviserName: f.AdviserName, Slot: f.Slot, MeetingURL: f.MeetingURL})
		case TargetCancelBk:
			m.failed = ""
			m.go_(myCancel, 1)
		case TargetMove:
			m.failed = ""
			m.loadDays(a)
			m.go_(myDay, 6)
		}
	case myCancel:
		switch id {
		case TargetKeep:
			m.failed = ""
			m.go_(myShow, 1)
		case TargetCancelYes:
			m.cancel(a)
		}
	case myDay:
		if m.page.turn(id, len(m.days)) {
			return
		}
		if i, ok := choiceIndex(id); ok && i < len(m.days) && m.days[i].slots > 0 {
			m.day = m.days[i].date
			m.slots, m.taken = m.freeSlots(a, m.day), false
			m.go_(mySlot, 9)
		}
	case mySlot:
		if m.page.turn(id, len(m.slots)) {
			return
		}
		if id == TargetOtherDay {
			m.loadDays(a)
			m.go_(myDay, 6)
			return
		}
		if i, ok := choiceIndex(id); ok && i < len(m.slots) {
			m.slot = m.slots[i]
			m.failed = ""
			m.go_(myMove, 1)
		}
	case myMove:
		if id == TargetMoveOK || id == TargetRetry {
			m.move(a)
		}
	}
}

// freeSlots are the adviser's free slots on day, without the booking's own.
func (m *myBooking) freeSlots(a *App, d time.Time) []Slot {
	var out []Slot
	for _, s := range a.svc.Bookings.Slots(m.found.AdviserID, d) {
		if !s.Start.Equal(m.found.Slot.Start) {
			out = append(out, s)
		}
	}
	return out
}

func (m *myBooking) loadDays(a *App) {
	m.days = bookingDays(a, m.days[:0], func(d time.Time) []Slot { return m.freeSlots(a, d) })
}

// refusal is what a villager reads when the lookup, cancel or move was
// refused.
func refusal(err error) string {
	var taken *SlotTakenError
	switch {
	case errors.Is(err, ErrBookingNotFound):
		return "没有找到这个预约。请核对预约码和手机号码。"
	case errors.Is(err, ErrTooManyTries):
		return "试的次数太多了，请稍后再试。"
	case errors.Is(err, ErrTooLate):
		return "预约的时间已经到了或过了，不能再取消或改约。"
	case errors.Is(err, ErrBookingGone):
		return "这个预约已经取消了，不能改约。要咨询请重新预约。"
	case errors.As(err, &taken):
		return "这个时间已被约走。"
	}
	return UserMessage(err, "网络或系统出了问题") + "。请稍后再试，或拨打12348。"
}

func (m *myBooking) lookup(a *App) {
	m.busy = "正在查找，请稍候"
	code, phone, svc := m.code, m.phone, a.svc.MyBookings
	a.call(m, func(ctx context.Context) func() {
		info, err := svc.Lookup(ctx, code, phone)
		return func() {
			m.busy = ""
			if err != nil {
				m.bad = refusal(err)
				if errors.Is(err, ErrBookingNotFound) || errors.Is(err, ErrTooManyTries) {
					// Either may be wrong: back to the code, both kept to check.
					m.go_(myCode, 1)
				}
				return
			}
			m.found, m.failed = &info, ""
			m.go_(myShow, 1)
		}
	})
}

func (m *myBooking) cancel(a *App) {
	m.busy, m.failed = "正在取消，请稍候", ""
	code, phone, svc := m.found.Code, m.phone, a.svc.MyBookings
	a.call(m, func(ctx context.Context) func() {
		info, err := svc.Cancel(ctx, code, phone)
		return func() {
			m.busy = ""
			if err != nil {
				m.failed = "没有取消成功：" + refusal(err)
				return
			}
			m.found, m.cancelled = &info, true
			m.go_(myDone, 1)
			m.print(a, Booking{Code: info.Code, Status: BookingCancelled, Service: info.Service,
				AdviserName: info.AdviserName, Slot: info.Slot, Phone: MaskPhone(info.Phone)})
		}
	})
}

func (m *myBooking) move(a *App) {
	m.busy, m.failed = "正在改约，请稍候", ""
	code, phone, to, svc := m.found.Code, m.phone, m.slot, a.svc.MyBookings
	a.call(m, func(ctx context.Context) func() {
		info, err := svc.Reschedule(ctx, code, phone, to)
		return func() {
			m.busy = ""
			var taken *SlotTakenError
			switch {
			case errors.As(err, &taken):
				m.slots, m.taken = nil, true
				for _, s := range taken.Next {
					if !s.Start.Equal(m.found.Slot.Start) {
						m.slots = append(m.slots, s)
					}
				}
				m.go_(mySlot, 9)
				return
			case err != nil:
				m.failed = "没有改约成功：" + refusal(err)
				return
			}
			if info.Slot.Start.IsZero() {
				info.Slot = to
			}
			m.found, m.cancelled = &info, false
			m.go_(myDone, 1)
			m.print(a, Booking{Code: info.Code, Status: BookingConfirmed, Service: info.Service,
				AdviserName: info.AdviserName, Slot: info.Slot, Phone: MaskPhone(info.Phone), MeetingURL: info.MeetingURL})
		}
	})
}

func (m *myBooking) print(a *App, b Booking) {
	p := a.svc.Printer
	if p == nil {
		return
	}
	a.call(m, func(ctx context.Context) func() {
		if err := p.PrintBooking(ctx, b); err != nil {
			return func() { m.printed = UserMessage(err, "打印机出了故障") }
		}
		return nil
	})
}

func (m *myBooking) back(a *App) bool {
	if m.busy != "" {
		return true
	}
	switch m.step {
	case myCode, myShow, myDone:
		return false
	case myPhone:
		m.bad = ""
		m.go_(myCode, 1)
	case myCancel:
		m.failed = ""
		m.go_(myShow, 1)
	case myDay:
		m.go_(myShow, 1)
	case mySlot:
		m.loadDays(a)
		m.go_(myDay, 6)
	case myMove:
		m.failed = ""
		m.slots, m.taken = m.freeSlots(a, m.day), false
		m.go_(mySlot, 9)
	}
	return true
}

func (m *myBooking) tick(*App, time.Time) {}
func (m *myBooking) wake(*App) time.Time  { return time.Time{} }
func (m *myBooking) leave()               {}
