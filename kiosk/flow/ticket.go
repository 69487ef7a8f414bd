package flow

import (
	"context"
	"fmt"
	"time"
)

// ticketFlow: choose a category → the ticket, shown large, and printed.
type ticketFlow struct {
	cats    []Category
	page    page
	issuing bool
	issued  *Ticket
	failed  string // issuing failed: what to tell the villager
	printed string // printing failed: the printer's message
	last    string // the category last asked for (retry)
}

func newTicketFlow(a *App) *ticketFlow {
	t := &ticketFlow{page: page{perPage: 6}}
	if a.svc.Queue != nil {
		t.cats = a.svc.Queue.Categories()
	}
	return t
}

func (t *ticketFlow) view(a *App) View {
	v := View{Screen: ScreenTicketCategory, Title: "取号"}
	switch {
	case t.issued != nil:
		tk := t.issued
		v.Screen = ScreenTicketIssued
		v.Title = "取号成功"
		v.Prompt = "请记住您的号码，听到叫号再去窗口"
		card := &TicketCard{Number: tk.Number, Category: tk.CategoryName}
		if tk.Ahead == 0 {
			card.Ahead = "前面没有人"
		} else {
			card.Ahead = fmt.Sprintf("前面还有 %d 人", tk.Ahead)
		}
		if tk.EstWait > 0 {
			card.Wait = "大约等 " + waitLabel(tk.EstWait)
		} else if tk.Ahead == 0 {
			card.Wait = "马上就到您"
		}
		if tk.ClockTrusted && !tk.IssuedAt.IsZero() {
			card.Time = fmt.Sprintf("取号时间 %d月%d日 %02d:%02d", tk.IssuedAt.Month(), tk.IssuedAt.Day(), tk.IssuedAt.Hour(), tk.IssuedAt.Minute())
		}
		v.Ticket = card
		if t.printed != "" {
			v.Notice = &Notice{Kind: NoticeWarn, Text: t.printed + "，没有打出号票。请记住屏幕上的号码，工作人员会按号码叫您。"}
		}
		v.Actions = []Button{{ID: TargetDone, Label: "完成", Tone: TonePrimary}}
	case t.issuing:
		v.Busy = "正在取号，请稍候"
	case len(t.cats) == 0:
		v.Prompt = "现在不能取号"
		v.Notice = &Notice{Kind: NoticeError, Text: "暂时没有可以取号的业务，请找工作人员，或拨打12348。"}
	default:
		v.Prompt = "您要办什么事？请点一下"
		all := make([]Button, len(t.cats))
		for i, c := range t.cats {
			all[i] = Button{Label: c.Name}
		}
		v.Choices, v.Pager = choices(t.page, all)
		v.Columns = 2
		if t.failed != "" {
			v.Notice = &Notice{Kind: NoticeError, Text: t.failed}
		}
	}
	return v
}

func (t *ticketFlow) tap(a *App, id string) {
	if t.issued != nil || t.issuing {
		return
	}
	if t.page.turn(id, len(t.cats)) {
		return
	}
	i, ok := choiceIndex(id)
	if !ok || i >= len(t.cats) {
		return
	}
	t.issue(a, t.cats[i].ID)
}

func (t *ticketFlow) issue(a *App, categoryID string) {
	t.issuing, t.failed, t.last = true, "", categoryID
	q, p := a.svc.Queue, a.svc.Printer
	a.call(t, func(ctx context.Context) func() {
		tk, err := q.Issue(ctx, categoryID)
		if err != nil {
			return func() {
				t.issuing = false
				t.failed = "没有取到号：" + UserMessage(err, "机器出了点问题") + "。请再点一次，或找工作人员。"
			}
		}
		return func() {
			t.issuing, t.issued = false, &tk
			if p != nil {
				t.print(a, tk, p)
			}
		}
	})
}

func (t *ticketFlow) print(a *App, tk Ticket, p Printer) {
	a.call(t, func(ctx context.Context) func() {
		err := p.PrintTicket(ctx, tk)
		if err == nil {
			return nil
		}
		return func() { t.printed = UserMessage(err, "打印机出了故障") }
	})
}

func (t *ticketFlow) back(a *App) bool {
	if t.issued != nil {
		return false // the ticket is taken: 返回 goes home, not to another ticket
	}
	return false
}

func (t *ticketFlow) tick(*App, time.Time) {}
func (t *ticketFlow) wake(*App) time.Time  { return time.Time{} }
func (t *ticketFlow) leave()               {}

// waitLabel says a wait in whole minutes, 约 1 小时 20 分钟 above an hour.
func waitLabel(d time.Duration) string {
	m := int((d + time.Minute - 1) / time.Minute)
	if m < 60 {
		return fmt.Sprintf("%d 分钟", max(m, 1))
	}
	if m%60 == 0 {
		return fmt.Sprintf("%d 小时", m/60)
	}
	return fmt.Sprintf("%d 小时 %d 分钟", m/60, m%60)
}
