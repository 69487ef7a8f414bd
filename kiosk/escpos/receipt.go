package escpos

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"lawpoint/device/wire"
)

// Hotline is the public legal-service hotline printed on every receipt.
const Hotline = "12348"

// Ticket is what a queue-ticket receipt shows. It holds no personal data.
type Ticket struct {
	Point   string // the contact point, e.g. "榜头镇后埔村法律服务联系点"
	Number  string // as called, e.g. "A003"
	Service string // e.g. "法律咨询"
	// Ahead is how many people wait before this ticket; negative when not
	// known (the line is left out).
	Ahead int
	// Wait is the estimated wait; zero leaves the line out.
	Wait time.Duration
	// Issued is when the ticket was taken, printed in Issued's location.
	// ClockTrusted false prints "时间未校准" instead: after a power cut a
	// Pi has no real-time clock until NTP or the fleet sets it.
	Issued       time.Time
	ClockTrusted bool
	// StatusURL is the ticket's status page, printed as a QR code; empty
	// leaves the code out.
	StatusURL string
}

// Booking is what a video-consultation booking slip shows. Adviser, Name and
// Phone are personal data: they are printed masked, never in full.
type Booking struct {
	Point        string
	Code         string // the booking code the villager quotes to cancel or reschedule
	Service      string
	Adviser      string // the lawyer's or village adviser's name (masked on paper)
	AdviserTitle string // e.g. "律师" or "法律顾问"; may be empty
	Start, End   time.Time
	Name         string // the villager's name, optional (masked on paper)
	Phone        string // the villager's mobile (masked on paper, e.g. 138****5678)
	// Confirmed prints 已确认; false prints 待确认 (requested offline, not
	// yet confirmed by the fleet).
	Confirmed bool
	URL       string // the booking's page, printed as a QR code; empty leaves it out
}

// layout holds the sizes one paper width uses.
type layout struct {
	big       int // ticket-number multiplier
	maxModule int // QR module size ceiling, dots
}

func layoutFor(p Paper) layout {
	if p.Columns >= 48 {
		return layout{big: 4, maxModule: 7}
	}
	return layout{big: 3, maxModule: 6}
}

// TicketReceipt lays out a queue-ticket receipt for paper: the contact
// point, the ticket number very large, the service, the people ahead, the
// time taken (or 时间未校准), a QR code to the status page and the 12348
// footer, then a cut.
func TicketReceipt(p Paper, t Ticket, opts ...Option) ([]byte, error) {
	if strings.TrimSpace(t.Number) == "" {
		return nil, fmt.Errorf("ticket receipt: %w: no ticket number; issue the ticket before printing it", ErrInvalid)
	}
	lo := layoutFor(p)
	e := NewEncoder(p, opts...)
	e.Init().Chinese().Align(Center)
	if t.Point != "" {
		e.Bold(true).Wrap(t.Point).Bold(false)
	}
	e.Line("排队取号凭条").Line(rule(p))
	e.Line("您的号码")
	big := lo.big
	for big > 1 && Width(t.Number)*big > p.Columns {
		big--
	}
	e.Size(big, big).Bold(true).Wrap(t.Number).Bold(false)
	if t.Service != "" {
		e.Size(2, 2).Wrap(t.Service)
	}
	e.Size(1, 2)
	switch {
	case t.Ahead == 0:
		e.Wrap("前面没有人在等候")
	case t.Ahead > 0:
		e.Wrap("前面还有 " + strconv.Itoa(t.Ahead) + " 人在等候")
	}
	if t.Wait > 0 {
		e.Wrap("预计等候约 " + strconv.Itoa(int(t.Wait.Round(time.Minute)/time.Minute)) + " 分钟")
	}
	e.Size(1, 1)
	if t.ClockTrusted && !t.Issued.IsZero() {
		e.Wrap("取号时间：" + t.Issued.Format("2006-01-02 15:04"))
	} else {
		e.Wrap("取号时间：时间未校准")
	}
	if t.StatusURL != "" {
		e.Feed(1)
		qr(e, t.StatusURL, lo)
		e.Wrap("扫码查看排队进度")
	}
	e.Line(rule(p)).Wrap("请留意屏幕叫号").Wrap("法律服务热线：" + Hotline)
	b, err := e.Cut().Bytes()
	if err != nil {
		return nil, fmt.Errorf("ticket receipt %s: %w", t.Number, err)
	}
	return b, nil
}

// BookingSlip lays out a booking slip for paper: the booking code large,
// the status (已确认 or 待确认), the service, the adviser (masked), the time
// slot, the villager's masked phone (and name, when given), a QR code to the
// booking and how to cancel, then a cut.
func BookingSlip(p Paper, b Booking, opts ...Option) ([]byte, error) {
	if strings.TrimSpace(b.Code) == "" {
		return nil, fmt.Errorf("booking slip: %w: no booking code; keep the request before printing it", ErrInvalid)
	}
	lo := layoutFor(p)
	e := NewEncoder(p, opts...)
	e.Init().Chinese().Align(Center)
	if b.Point != "" {
		e.Bold(true).Wrap(b.Point).Bold(false)
	}
	e.Line("视频咨询预约凭条").Line(rule(p))
	e.Line("预约码")
	size := 2
	if Width(b.Code)*size > p.Columns {
		size = 1
	}
	e.Size(size, size).Bold(true).Wrap(b.Code)
	e.Size(1, 2)
	if b.Confirmed {
		e.Wrap("状态：已确认")
	} else {
		e.Wrap("状态：待确认")
	}
	e.Bold(false).Size(1, 1).Align(Left)
	if b.Service != "" {
		e.Wrap("服务：" + b.Service)
	}
	if b.Adviser != "" {
		who := wire.MaskName(b.Adviser)
		if b.AdviserTitle != "" {
			who += " " + b.AdviserTitle
		}
		e.Wrap("咨询对象：" + who)
	}
	if !b.Start.IsZero() {
		e.Wrap("日期：" + b.Start.Format("2006年1月2日") + " " + weekday(b.Start))
		slot := b.Start.Format("15:04")
		if !b.End.IsZero() {
			slot += "-" + b.End.In(b.Start.Location()).Format("15:04")
		}
		e.Wrap("时间：" + slot)
	}
	if b.Name != "" {
		e.Wrap("预约人：" + wire.MaskName(b.Name))
	}
	if b.Phone != "" {
		e.Wrap("手机：" + MaskPhone(b.Phone))
	}
	if b.Confirmed {
		e.Wrap("请在预约时间来本联系点，\n在屏幕上点“开始视频咨询”。")
	} else {
		e.Wrap("预约尚待确认。\n网络恢复后由系统确认结果，\n请凭预约码在本机查询。")
	}
	e.Align(Center)
	if b.URL != "" {
		e.Feed(1)
		qr(e, b.URL, lo)
		e.Wrap("扫码查看预约详情")
	}
	e.Line(rule(p)).Wrap("取消或改约：\n请在本机输入预约码和手机号").Wrap("法律服务热线：" + Hotline)
	out, err := e.Cut().Bytes()
	if err != nil {
		return nil, fmt.Errorf("booking slip %s: %w", b.Code, err)
	}
	return out, nil
}

// MaskPhone masks a phone number for paper the way device/wire masks it in
// logs (138****5678), after dropping anything but digits and a leading +
// so that stray spaces or dashes cannot unmask a digit.
func MaskPhone(phone string) string {
	var d []byte
	for i := 0; i < len(phone); i++ {
		if c := phone[i]; c >= '0' && c <= '9' || c == '+' && len(d) == 0 {
			d = append(d, c)
		}
	}
	return wire.MaskPhone(string(d))
}

// qr prints data centred at the largest module size that fits the paper.
func qr(e *Encoder, data string, lo layout) {
	m := QRModule(len(data), LevelM, e.Paper().Dots, lo.maxModule)
	if m < 1 {
		m = 1 // too long for version 20: let QR explain
	}
	e.Align(Center).QR(data, m, LevelM).LF()
}

func rule(p Paper) string { return strings.Repeat("-", p.Columns) }

func weekday(t time.Time) string {
	return [...]string{"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"}[t.Weekday()]
}
