package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"lawpoint/device/wire"
	"lawpoint/kiosk/escpos"
	"lawpoint/kiosk/flow"
	"lawpoint/kiosk/printer"
)

// printService is flow.Printer on a receipt printer (kiosk/printer). A fault
// comes back with the printer's Chinese message (printer.Error's
// UserMessage), is kept for telemetry (the agent's PrinterStatus hook) and
// is raised once per kind per hour as a fault event for the fleet; the next
// good receipt clears it.
type printService struct {
	a *App
	p printer.Printer

	mu     sync.Mutex
	part   wire.PartStatus
	raised map[string]time.Time // fault code → when its event was recorded
}

func newPrintService(a *App, p printer.Printer) *printService {
	return &printService{a: a, p: p, part: wire.PartStatus{Status: wire.PrinterOK}, raised: map[string]time.Time{}}
}

// PrintTicket implements flow.Printer.
func (s *printService) PrintTicket(ctx context.Context, t flow.Ticket) error {
	url := s.statusURL(ctx, t)
	ahead := t.Ahead
	b, err := escpos.TicketReceipt(s.a.cfg.paper(), escpos.Ticket{Point: s.a.pointName(), Number: t.Number, Service: t.CategoryName,
		Ahead: ahead, Wait: t.EstWait, Issued: t.IssuedAt.In(s.a.loc), ClockTrusted: t.ClockTrusted, StatusURL: url},
		escpos.WithReplacement('□'))
	if err != nil {
		return fmt.Errorf("app: laying out ticket %s: %w", t.Number, err)
	}
	return s.print(ctx, b, "ticket")
}

// statusURL is the link of the receipt's QR code: the fleet's public
// status page {ticket_url}{deviceID}/{day}/{number}, which the fleet can
// answer from the ticket events it receives (device ID from the topic, the
// queue day and number from the data). "" (no QR code) without a base URL,
// or before enrolment, when the kiosk does not know its device ID.
func (s *printService) statusURL(ctx context.Context, t flow.Ticket) string {
	base := s.a.cfg.ticketURL()
	ag := s.a.Agent()
	if base == "" || ag == nil || ag.ID() == "" {
		return ""
	}
	qt, err := s.a.queue.Lookup(ctx, t.ID)
	if err != nil || qt.Day == "" {
		s.a.log.Warn("receipt printed without its status QR code: the ticket's day cannot be read", "ticket", t.Number, "error", err)
		return ""
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return base + url.PathEscape(ag.ID()) + "/" + url.PathEscape(qt.Day) + "/" + url.PathEscape(qt.Number)
}

// PrintBooking implements flow.Printer: the booking slip, or with Status
// cancelled the cancellation slip.
func (s *printService) PrintBooking(ctx context.Context, b flow.Booking) error {
	if b.Status == flow.BookingCancelled {
		raw, err := s.cancelSlip(b)
		if err != nil {
			return fmt.Errorf("app: laying out the cancellation slip %s: %w", b.Code, err)
		}
		return s.print(ctx, raw, "cancellation slip")
	}
	bk := escpos.Booking{Point: s.a.pointName(), Code: b.Code, Service: b.Service, Adviser: b.AdviserName,
		Start: b.Slot.Start.In(s.a.loc), End: b.Slot.End.In(s.a.loc), Phone: b.Phone, Confirmed: b.Status == flow.BookingConfirmed}
	if r, err := s.a.store.requestByCode(ctx, b.Code); err == nil {
		bk.AdviserTitle = r.AdviserTitle
		if b.Status == flow.BookingConfirmed {
			bk.URL = r.MeetingURL
		}
	}
	if b.MeetingURL != "" && b.Status == flow.BookingConfirmed {
		bk.URL = b.MeetingURL
	}
	if bk.Phone == "" {
		bk.Phone = "***********"
	}
	raw, err := escpos.BookingSlip(s.a.cfg.paper(), bk, escpos.WithReplacement('□'))
	if err != nil {
		return fmt.Errorf("app: laying out booking slip %s: %w", b.Code, err)
	}
	return s.print(ctx, raw, "booking slip")
}

func (s *printService) print(ctx context.Context, b []byte, what string) error {
	err := s.p.Print(ctx, b)
	var st printer.Status
	if err == nil {
		if got, serr := s.p.Status(ctx); serr == nil {
			st = got
		}
	}
	part := printer.Part(st, err)
	s.note(ctx, part, err)
	if err != nil {
		return fmt.Errorf("app: printing the %s (the ticket or booking stands; the screen shows it): %w", what, err)
	}
	return nil
}

// Part is the printer's status for telemetry.
func (s *printService) Part() wire.PartStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.part
}

// note keeps the printer's status and raises or clears fault events.
func (s *printService) note(ctx context.Context, part wire.PartStatus, err error) {
	now := s.a.now()
	s.mu.Lock()
	prev := s.part
	s.part = part
	code := ""
	switch part.Status {
	case wire.PrinterOK, wire.PrinterPaperLow, "":
	default:
		code = "printer." + part.Status
	}
	var clear []string
	if code == "" {
		for c := range s.raised {
			clear = append(clear, c)
		}
		for _, c := range clear {
			delete(s.raised, c)
		}
	}
	raise := false
	if code != "" {
		if at, ok := s.raised[code]; !ok || now.Sub(at) >= time.Hour || now.Before(at) {
			s.raised[code] = now
			raise = true
		}
	}
	s.mu.Unlock()
	if raise {
		msg := printer.Message(err)
		var pe *printer.Error
		if errors.As(err, &pe) && pe.Kind != nil {
			msg += " (" + pe.Kind.Error() + ")"
		}
		key := fmt.Sprintf("fault:%s:%s", code, newUUID())
		if rerr := s.a.record(ctx, key, wire.EventFault, wire.FaultData{Code: code, Component: "printer",
			Severity: wire.SeverityError, Message: msg}); rerr != nil {
			s.a.log.Warn("printer fault not recorded for the fleet", "code", code, "err", rerr)
		}
		s.a.log.Warn("printer fault", "status", part.Status, "reason", part.Message)
	}
	for _, c := range clear {
		key := fmt.Sprintf("fault:%s:cleared:%s", c, newUUID())
		if rerr := s.a.record(ctx, key, wire.EventFault, wire.FaultData{Code: c, Component: "printer",
			Severity: wire.SeverityInfo, Cleared: true}); rerr != nil {
			s.a.log.Warn("printer recovery not recorded for the fleet", "code", c, "err", rerr)
		}
		s.a.log.Info("printer works again", "was", prev.Status)
	}
}

// cancelSlip says that a booking is cancelled: the contact point, the code,
// 状态：已取消, the service, the adviser (masked), the time it was for and
// the masked phone; no meeting link.
func (s *printService) cancelSlip(b flow.Booking) ([]byte, error) {
	p := s.a.cfg.paper()
	e := escpos.NewEncoder(p, escpos.WithReplacement('□'))
	e.Init().Chinese().Align(escpos.Center)
	e.Bold(true).Wrap(s.a.pointName()).Bold(false)
	e.Line("视频咨询取消凭条").Line(strings.Repeat("-", p.Columns))
	e.Line("预约码").Size(2, 2).Bold(true).Wrap(b.Code).Size(1, 2).Wrap("状态：已取消").Bold(false).Size(1, 1).Align(escpos.Left)
	if b.Service != "" {
		e.Wrap("服务：" + b.Service)
	}
	if b.AdviserName != "" {
		e.Wrap("咨询对象：" + wire.MaskName(b.AdviserName))
	}
	if st := b.Slot.Start.In(s.a.loc); !b.Slot.Start.IsZero() {
		e.Wrap("原定时间：" + st.Format("2006年1月2日 15:04"))
	}
	e.Wrap("手机：" + escpos.MaskPhone(b.Phone))
	e.Wrap("这个预约已经取消。\n要咨询，请在本机重新预约。")
	e.Align(escpos.Center).Line(strings.Repeat("-", p.Columns)).Wrap("法律服务热线：" + escpos.Hotline)
	return e.Cut().Bytes()
}
