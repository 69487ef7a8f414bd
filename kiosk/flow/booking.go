package flow

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// bookingStep is where the booking flow is.
type bookingStep int

const (
	stepService bookingStep = iota
	stepAdviser
	stepDay
	stepSlot
	stepPhone
	stepConfirm
	stepResult
)

// bookingFlow: service → adviser (the village's own first) → day → free
// slot → phone on the keypad → confirm → code, 待确认, or the next free
// slots when someone else was faster.
type bookingFlow struct {
	step     bookingStep
	services []string
	advisers []Adviser
	days     []day
	slots    []Slot
	page     page

	service string
	adviser Adviser
	day     time.Time
	slot    Slot
	phone   string
	bad     string // why the phone number was refused

	booking bool // the request is on its way
	result  *Booking
	failed  string // the request failed (not taken: an error)
	printed string // the slip did not print
}

type day struct {
	date  time.Time
	slots int
}

func newBookingFlow(a *App) *bookingFlow {
	return &bookingFlow{services: a.cfg.BookingServices, page: page{perPage: 6}}
}

func (b *bookingFlow) go_(step bookingStep, perPage int) {
	b.step = step
	b.page = page{perPage: perPage}
}

func (b *bookingFlow) view(a *App) View {
	v := View{Title: "预约视频咨询", Columns: 2}
	if b.booking {
		v.Screen = ScreenBookingConfirm
		v.Busy = "正在预约，请稍候"
		return v
	}
	switch b.step {
	case stepService:
		v.Screen = ScreenBookingService
		v.Prompt = "第1步：您要咨询哪方面的事？"
		all := make([]Button, len(b.services))
		for i, s := range b.services {
			all[i] = Button{Label: s}
		}
		v.Choices, v.Pager = choices(b.page, all)
		if a.svc.MyBookings != nil {
			v.Actions = []Button{{ID: TargetMyBooking, Label: "查看、取消或改约", Tone: ToneChoice}}
		}
	case stepAdviser:
		v.Screen = ScreenBookingAdviser
		v.Prompt = "第2步：请选律师或法律顾问"
		all := make([]Button, len(b.advisers))
		for i, ad := range b.advisers {
			all[i] = Button{Label: ad.Name + " " + ad.Title}
			if ad.Own {
				all[i].Sub = "本村法律顾问"
			}
		}
		v.Choices, v.Pager = choices(b.page, all)
		if len(all) == 0 {
			v.Notice = &Notice{Kind: NoticeWarn, Text: "现在没有可以预约的律师。请拨打12348，或找工作人员。"}
		}
	case stepDay:
		v.Screen = ScreenBookingDay
		v.Prompt = "第3步：哪一天？"
		v.Choices, v.Pager = choices(b.page, dayButtons(b.days, a.cfg.Now()))
	case stepSlot:
		v.Screen = ScreenBookingSlot
		name, wd := DayLabel(b.day, a.cfg.Now())
		v.Prompt = "第4步：" + name + " " + wd + "，几点？"
		v.Choices, v.Pager = choices(b.page, slotButtons(b.slots))
		v.Columns = 3
		if len(b.slots) == 0 {
			v.Notice = &Notice{Kind: NoticeWarn, Text: "这一天已经约满了，请换一天。"}
			v.Actions = []Button{{ID: TargetOtherDay, Label: "换一天", Tone: TonePrimary}}
		}
	case stepPhone:
		v.Screen = ScreenBookingPhone
		v.Prompt = "第5步：请输入您的手机号码"
		phoneField.show(&v, b.phone, b.bad, "下一步")
	case stepConfirm:
		v.Screen = ScreenBookingConfirm
		v.Prompt = "第6步：请看一下对不对"
		v.Fields = b.fields(a)
		v.Actions = []Button{{ID: TargetConfirm, Label: "确认预约", Tone: TonePrimary}}
		if b.failed != "" {
			v.Notice = &Notice{Kind: NoticeError, Text: b.failed}
			v.Actions[0] = Button{ID: TargetRetry, Label: "再试一次", Tone: TonePrimary}
		}
	case stepResult:
		v.Screen = ScreenBookingResult
		r := b.result
		switch r.Status {
		case BookingConfirmed:
			v.Title = "预约成功"
			v.Prompt = "到时间请来这里，和律师视频"
			v.Code = &BigCode{Label: "预约号", Code: r.Code}
			v.Fields = b.fields(a)
		case BookingPending:
			v.Title = "已记下，待确认"
			v.Prompt = "网络暂时不通，联网后自动确认"
			v.Code = &BigCode{Label: "预约号（待确认）", Code: r.Code}
			v.Fields = b.fields(a)
		case BookingTaken:
			v.Title = "这个时间已被约走"
			v.Prompt = "请选一个别的时间"
			v.Choices, v.Pager = choices(b.page, slotButtons(r.NextSlots))
			v.Columns = 3
			if len(r.NextSlots) == 0 {
				v.Notice = &Notice{Kind: NoticeWarn, Text: "这一天没有空的时间了，请换一天。"}
			}
			v.Actions = []Button{{ID: TargetOtherDay, Label: "换一天", Tone: TonePrimary}}
			return v
		}
		if b.printed != "" {
			v.Notice = &Notice{Kind: NoticeWarn, Text: b.printed + "，没有打出预约单。请记下屏幕上的预约号。"}
		}
		v.Actions = []Button{{ID: TargetDone, Label: "完成", Tone: TonePrimary}}
	}
	return v
}

func (b *bookingFlow) fields(a *App) []Field {
	name, wd := DayLabel(b.slot.Start, a.cfg.Now())
	adv := b.adviser.Name + " " + b.adviser.Title
	if b.adviser.Own {
		adv += "（本村）"
	}
	return []Field{
		{Label: "咨询：", Value: b.service},
		{Label: "律师：", Value: adv},
		{Label: "时间：", Value: name + " " + wd + " " + ClockLabel(b.slot.Start)},
		{Label: "手机：", Value: MaskPhone(b.phone)},
	}
}

// dayButtons offers the days with how many times are free on each; a full
// day cannot be chosen.
func dayButtons(days []day, today time.Time) []Button {
	out := make([]Button, len(days))
	for i, d := range days {
		name, wd := DayLabel(d.date, today)
		out[i] = Button{Label: name, Sub: wd + "　可约" + fmt.Sprint(d.slots) + "个"}
		if d.slots == 0 {
			out[i].Sub, out[i].Disabled = wd+"　已约满", true
		}
	}
	return out
}

func slotButtons(slots []Slot) []Button {
	out := make([]Button, len(slots))
	for i, s := range slots {
		out[i] = Button{Label: ClockLabel(s.Start)}
	}
	return out
}

func keypad(phone string) *Keypad {
	k := &Keypad{Display: groupPhone(phone), Count: len(phone), Columns: 3,
		Hint: "已输入" + fmt.Sprint(len(phone)) + "位，共11位"}
	for _, d := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9} {
		k.Keys = append(k.Keys, Button{ID: KeyTarget(d), Label: fmt.Sprint(d), Tone: ToneKey})
	}
	k.Keys = append(k.Keys,
		Button{ID: TargetKeyDelete, Label: "删除", Tone: ToneNav, Disabled: phone == ""},
		Button{ID: KeyTarget(0), Label: "0", Tone: ToneKey},
		Button{ID: TargetKeyClear, Label: "清空", Tone: ToneNav, Disabled: phone == ""},
	)
	return k
}

// groupPhone writes digits as 138 1234 5678 so they are easy to check.
func groupPhone(p string) string {
	var s strings.Builder
	for i, r := range p {
		if i == 3 || i == 7 {
			s.WriteByte(' ')
		}
		s.WriteRune(r)
	}
	return s.String()
}

func (b *bookingFlow) tap(a *App, id string) {
	if b.booking {
		return
	}
	n := 0
	switch b.step {
	case stepService:
		n = len(b.services)
	case stepAdviser:
		n = len(b.advisers)
	case stepDay:
		n = len(b.days)
	case stepSlot:
		n = len(b.slots)
	case stepResult:
		if b.result != nil {
			n = len(b.result.NextSlots)
		}
	}
	if n > 0 && b.page.turn(id, n) {
		return
	}
	i, isChoice := choiceIndex(id)
	if isChoice && i >= n {
		return
	}
	switch b.step {
	case stepService:
		if id == TargetMyBooking {
			a.switchTo(newMyBooking())
			return
		}
		if isChoice {
			b.service = b.services[i]
			b.advisers = ownFirst(a.svc.Bookings.Advisers(b.service))
			b.go_(stepAdviser, 6)
		}
	case stepAdviser:
		if isChoice {
			b.adviser = b.advisers[i]
			b.loadDays(a)
			b.go_(stepDay, 6)
		}
	case stepDay:
		if isChoice && b.days[i].slots > 0 {
			b.day = b.days[i].date
			b.slots = a.svc.Bookings.Slots(b.adviser.ID, b.day)
			b.go_(stepSlot, 9)
		}
	case stepSlot:
		switch {
		case isChoice:
			b.slot = b.slots[i]
			b.bad = ""
			b.go_(stepPhone, 1)
		case id == TargetOtherDay:
			b.loadDays(a)
			b.go_(stepDay, 6)
		}
	case stepPhone:
		if phoneField.tap(id, &b.phone, &b.bad) {
			b.go_(stepConfirm, 1)
		}
	case stepConfirm:
		if id == TargetConfirm || id == TargetRetry {
			b.book(a)
		}
	case stepResult:
		switch {
		case isChoice && b.result.Status == BookingTaken:
			b.slot = b.result.NextSlots[i]
			b.result, b.failed = nil, ""
			b.go_(stepConfirm, 1)
		case id == TargetOtherDay:
			b.result = nil
			b.loadDays(a)
			b.go_(stepDay, 6)
		}
	}
}

func (b *bookingFlow) loadDays(a *App) {
	b.days = bookingDays(a, b.days[:0], func(d time.Time) []Slot { return a.svc.Bookings.Slots(b.adviser.ID, d) })
}

// bookingDays appends to days the days from today that can be booked, each
// with how many of the times free finds on it.
func bookingDays(a *App, days []day, free func(time.Time) []Slot) []day {
	today := dateOf(a.cfg.Now())
	for i := 0; i < a.cfg.BookingDays; i++ {
		d := today.AddDate(0, 0, i)
		days = append(days, day{date: d, slots: len(free(d))})
	}
	return days
}

func (b *bookingFlow) book(a *App) {
	b.booking, b.failed = true, ""
	req := BookingRequest{Service: b.service, AdviserID: b.adviser.ID, Slot: b.slot, Phone: b.phone}
	svc, p := a.svc.Bookings, a.svc.Printer
	a.call(b, func(ctx context.Context) func() {
		res, err := svc.Book(ctx, req)
		return func() {
			b.booking = false
			if err != nil {
				b.failed = "预约没有成功：" + UserMessage(err, "网络或系统出了问题") + "。请再试一次，或找工作人员。"
				return
			}
			res.Service, res.AdviserName, res.Slot, res.Phone = b.service, b.adviser.Name, b.slot, b.phone
			if res.Status == "" {
				res.Status = BookingConfirmed
			}
			b.result = &res
			b.go_(stepResult, 9)
			if res.Status != BookingTaken && p != nil {
				a.call(b, func(ctx context.Context) func() {
					if err := p.PrintBooking(ctx, res); err != nil {
						return func() { b.printed = UserMessage(err, "打印机出了故障") }
					}
					return nil
				})
			}
		}
	})
}

func (b *bookingFlow) back(a *App) bool {
	if b.booking {
		return true
	}
	switch b.step {
	case stepService:
		return false
	case stepAdviser:
		b.go_(stepService, 6)
	case stepDay:
		b.go_(stepAdviser, 6)
	case stepSlot:
		b.go_(stepDay, 6)
	case stepPhone:
		b.bad = ""
		b.go_(stepSlot, 9)
	case stepConfirm:
		b.failed = ""
		b.go_(stepPhone, 1)
	case stepResult:
		if b.result.Status == BookingTaken {
			b.result = nil
			b.slots = a.svc.Bookings.Slots(b.adviser.ID, b.day)
			b.go_(stepSlot, 9)
			return true
		}
		return false // booked: 返回 goes home rather than book again
	}
	return true
}

func (b *bookingFlow) tick(*App, time.Time) {}
func (b *bookingFlow) wake(*App) time.Time  { return time.Time{} }
func (b *bookingFlow) leave()               {}

// ownFirst puts the village's own advisers first, keeping the order given.
func ownFirst(ads []Adviser) []Adviser {
	out := append([]Adviser(nil), ads...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Own && !out[j].Own })
	return out
}
