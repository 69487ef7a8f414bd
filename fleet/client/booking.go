package client

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"lawpoint/fleet"
	"lawpoint/fleet/api"
)

// BookingUsage is the help of the booking commands.
const BookingUsage = `
  adviser list
  adviser add --id ID --name 姓名 [--kind adviser|lawyer] [--serve 县/镇]... [--own 县/镇/村]...
              [--service consultation]... [--slot 30] [--buffer 10] [--notice 60] [--horizon 14] [--inactive]
  adviser hours ID [--mon 09:00-12:00,14:00-17:00] [--tue …] … [--sun …]   (an empty value clears the day)
  adviser leave ID --from 2026-05-04[T08:00] [--to 2026-05-06[T12:00]] [--note 开庭] [--extra]
                                            whole days when no time is given; --extra adds working hours
  adviser calendar ID                       new secret iCalendar address (the old one stops working)
  booking list [--day YYYY-MM-DD] [--contact-point C] [--region R] [--adviser ID] [--phone]
  booking requests [--all] [--phone]        requests from kiosk outboxes that could not be confirmed
  booking cancel CODE
  figures --from YYYY-MM-DD [--to YYYY-MM-DD] [--region R]
`

// bookingCommand runs the booking commands; ok is false for a command
// it does not know.
func (x *CLI) bookingCommand(ctx context.Context, cmd string, rest []string) (ok bool, err error) {
	if rest[0] == "figures" {
		return true, x.figures(ctx, rest[1:])
	}
	if len(rest) < 2 {
		return false, nil
	}
	args := rest[2:]
	switch cmd {
	case "adviser list":
		return true, x.adviserList(ctx)
	case "adviser add":
		return true, x.adviserAdd(ctx, args)
	case "adviser hours":
		return true, x.adviserHours(ctx, args)
	case "adviser leave":
		return true, x.adviserLeave(ctx, args)
	case "adviser calendar":
		return true, x.adviserCalendar(ctx, args)
	case "booking list":
		return true, x.bookingList(ctx, args)
	case "booking requests":
		return true, x.bookingRequests(ctx, args)
	case "booking cancel":
		return true, x.bookingCancel(ctx, args)
	}
	return false, nil
}

func (x *CLI) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(x.Err)
	return fs
}

// oneID parses flags after a leading ID argument.
func oneID(fs *flag.FlagSet, args []string, what string) (string, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return "", fmt.Errorf("give the %s first, e.g. lawpointctl %s ID …", what, fs.Name())
	}
	return args[0], fs.Parse(args[1:])
}

func (x *CLI) adviserList(ctx context.Context) error {
	var out struct{ Advisers []fleet.Adviser }
	if err := x.c.Do(ctx, "GET", "/api/advisers", nil, &out); err != nil {
		return err
	}
	x.print(out.Advisers, func(w io.Writer) {
		fmt.Fprintln(w, "ID\t姓名\t类型\t服务\t时长\t间隔\t本村\t工作时间")
		for _, a := range out.Advisers {
			var hours []string
			for _, d := range fleet.Weekdays {
				if h := a.Hours[d]; len(h) > 0 {
					hours = append(hours, d+" "+strings.Join(h, ","))
				}
			}
			state := ""
			if !a.Active {
				state = "（停用）"
			}
			fmt.Fprintf(w, "%s\t%s%s\t%s\t%s\t%d分钟\t%d分钟\t%s\t%s\n", a.ID, a.Name, state, fleet.AdviserKindName(a.Kind),
				strings.Join(a.Services, ","), a.SlotMinutes, a.BufferMinutes, strings.Join(a.Own, ","), strings.Join(hours, "; "))
		}
	})
	return nil
}

func (x *CLI) adviserAdd(ctx context.Context, args []string) error {
	fs := x.flags("adviser add")
	var a fleet.Adviser
	var serve, own, svc multi
	fs.StringVar(&a.ID, "id", "", "adviser ID, e.g. lin-zhiming")
	fs.StringVar(&a.Name, "name", "", "name, e.g. 林志明")
	fs.StringVar(&a.Kind, "kind", fleet.AdviserVillage, "adviser (法律顾问) or lawyer (律师)")
	fs.Var(&serve, "serve", "region whose kiosks list the adviser (repeat)")
	fs.Var(&own, "own", "village whose own adviser this is (repeat)")
	fs.Var(&svc, "service", "service code (repeat; default consultation)")
	fs.IntVar(&a.SlotMinutes, "slot", 30, "minutes per consultation")
	fs.IntVar(&a.BufferMinutes, "buffer", 10, "minutes between consultations")
	fs.IntVar(&a.MinNoticeMinutes, "notice", 60, "minimum notice in minutes")
	fs.IntVar(&a.HorizonDays, "horizon", 14, "days ahead that can be booked")
	inactive := fs.Bool("inactive", false, "store without taking bookings")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a.Serves, a.Own, a.Services, a.Active = serve, own, svc, !*inactive
	// Keep the hours of an existing record.
	var old fleet.Adviser
	if err := x.c.Do(ctx, "GET", "/api/advisers/"+url.PathEscape(a.ID), nil, &old); err == nil {
		a.Hours = old.Hours
	}
	var stored fleet.Adviser
	if err := x.c.Do(ctx, "PUT", "/api/advisers/"+url.PathEscape(a.ID), a, &stored); err != nil {
		return err
	}
	x.print(stored, func(w io.Writer) {
		fmt.Fprintf(w, "已保存%s %s（%s）；用 lawpointctl adviser hours %s --mon 09:00-12:00 设置工作时间\n",
			fleet.AdviserKindName(stored.Kind), stored.Name, stored.ID, stored.ID)
	})
	return nil
}

func (x *CLI) adviserHours(ctx context.Context, args []string) error {
	fs := x.flags("adviser hours")
	days := map[string]*string{}
	for _, d := range fleet.Weekdays {
		days[d] = fs.String(d, "\x00", "intervals HH:MM-HH:MM,… (empty clears the day)")
	}
	id, err := oneID(fs, args, "adviser ID")
	if err != nil {
		return err
	}
	var a fleet.Adviser
	if err := x.c.Do(ctx, "GET", "/api/advisers/"+url.PathEscape(id), nil, &a); err != nil {
		return err
	}
	if a.Hours == nil {
		a.Hours = map[string][]string{}
	}
	for d, v := range days {
		switch {
		case *v == "\x00":
		case strings.TrimSpace(*v) == "":
			delete(a.Hours, d)
		default:
			a.Hours[d] = strings.Split(*v, ",")
		}
	}
	var stored fleet.Adviser
	if err := x.c.Do(ctx, "PUT", "/api/advisers/"+url.PathEscape(id), a, &stored); err != nil {
		return err
	}
	x.print(stored, func(w io.Writer) {
		fmt.Fprintf(w, "已保存 %s 的工作时间：\n", stored.Name)
		for _, d := range fleet.Weekdays {
			if h := stored.Hours[d]; len(h) > 0 {
				fmt.Fprintf(w, "  %s\t%s\n", d, strings.Join(h, ", "))
			}
		}
	})
	return nil
}

// parseLocal reads "2026-05-04" (midnight) or "2026-05-04T08:00" in
// Asia/Shanghai.
func parseLocal(v string) (time.Time, bool, error) {
	loc, err := time.LoadLocation(fleet.DefaultTimeZone)
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	if t, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
		return t, true, nil
	}
	t, err := time.ParseInLocation("2006-01-02T15:04", v, loc)
	if err != nil {
		return t, false, fmt.Errorf("%q is not YYYY-MM-DD or YYYY-MM-DDTHH:MM (Shanghai time)", v)
	}
	return t, false, nil
}

func (x *CLI) adviserLeave(ctx context.Context, args []string) error {
	fs := x.flags("adviser leave")
	from := fs.String("from", "", "first day (YYYY-MM-DD) or start (YYYY-MM-DDTHH:MM)")
	to := fs.String("to", "", "last day (inclusive) or end time; default: the same day")
	note := fs.String("note", "", "note, e.g. 开庭")
	extra := fs.Bool("extra", false, "extra working hours instead of leave")
	id, err := oneID(fs, args, "adviser ID")
	if err != nil {
		return err
	}
	f, fday, err := parseLocal(*from)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	t, tday := f, fday
	if *to != "" {
		if t, tday, err = parseLocal(*to); err != nil {
			return fmt.Errorf("--to: %w", err)
		}
	}
	if tday {
		t = t.AddDate(0, 0, 1) // a last day counts whole
	}
	kind := fleet.ExceptionOff
	if *extra {
		kind = fleet.ExceptionExtra
	}
	var e fleet.Exception
	if err := x.c.Do(ctx, "POST", "/api/advisers/"+url.PathEscape(id)+"/exceptions", api.ExceptionRequest{Kind: kind, From: f, To: t, Note: *note}, &e); err != nil {
		return err
	}
	x.print(e, func(w io.Writer) {
		fmt.Fprintf(w, "已登记%s（编号 %d）：%s 至 %s\n", fleet.ExceptionKindName(kind), e.ID, e.From.In(f.Location()).Format("2006-01-02 15:04"), e.To.In(f.Location()).Format("2006-01-02 15:04"))
	})
	return nil
}

func (x *CLI) adviserCalendar(ctx context.Context, args []string) error {
	id, err := oneID(x.flags("adviser calendar"), args, "adviser ID")
	if err != nil {
		return err
	}
	var ct api.CalendarToken
	if err := x.c.Do(ctx, "POST", "/api/advisers/"+url.PathEscape(id)+"/calendar", nil, &ct); err != nil {
		return err
	}
	x.print(ct, func(w io.Writer) {
		fmt.Fprintf(w, "日历订阅地址（只显示一次，请妥善保管；旧地址已失效）：\n%s\n", ct.URL)
	})
	return nil
}

func (x *CLI) bookingList(ctx context.Context, args []string) error {
	fs := x.flags("booking list")
	day := fs.String("day", "", "local date (default today)")
	cp := fs.String("contact-point", "", "contact point")
	region := fs.String("region", "", "region prefix")
	adviser := fs.String("adviser", "", "adviser ID")
	phone := fs.Bool("phone", false, "show full phone numbers (roles that may)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range map[string]string{"day": *day, "contact_point": *cp, "region": *region, "adviser": *adviser} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if *phone {
		q.Set("phone", "1")
	}
	var out struct{ Bookings []api.BookingView }
	if err := x.c.Do(ctx, "GET", "/api/bookings?"+q.Encode(), nil, &out); err != nil {
		return err
	}
	x.print(out.Bookings, func(w io.Writer) {
		fmt.Fprintln(w, "时间\t预约码\t状态\t服务\t律师/顾问\t联系点\t电话\t会议链接")
		for _, b := range out.Bookings {
			st := "已确认"
			if b.Status != "confirmed" {
				st = "已取消"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", b.SlotStart.In(shanghai()).Format("01-02 15:04"), b.Code, st, b.ServiceName,
				b.AdviserID, b.ContactPoint, b.Phone, b.MeetingURL)
		}
		if len(out.Bookings) == 0 {
			fmt.Fprintln(w, "（没有预约）")
		}
	})
	return nil
}

func shanghai() *time.Location {
	loc, err := time.LoadLocation(fleet.DefaultTimeZone)
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

func (x *CLI) bookingRequests(ctx context.Context, args []string) error {
	fs := x.flags("booking requests")
	all := fs.Bool("all", false, "confirmed ones too")
	phone := fs.Bool("phone", false, "show full phone numbers (roles that may)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	q := url.Values{}
	if *all {
		q.Set("status", "all")
	}
	if *phone {
		q.Set("phone", "1")
	}
	var out struct{ Requests []api.RequestView }
	if err := x.c.Do(ctx, "GET", "/api/bookings/requests?"+q.Encode(), nil, &out); err != nil {
		return err
	}
	x.print(out.Requests, func(w io.Writer) {
		fmt.Fprintln(w, "收到\t设备\t申请时段\t律师/顾问\t姓名\t电话\t状态\t原因")
		for _, r := range out.Requests {
			st := "待确认"
			if r.Status == fleet.RequestConfirmed {
				st = "已确认"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Received.In(shanghai()).Format("01-02 15:04"), r.DeviceID,
				r.SlotStart.In(shanghai()).Format("01-02 15:04"), r.AdviserID, r.Name, r.Phone, st, r.ReasonText)
		}
		if len(out.Requests) == 0 {
			fmt.Fprintln(w, "（没有待确认的预约申请）")
		}
	})
	return nil
}

func (x *CLI) bookingCancel(ctx context.Context, args []string) error {
	code, err := oneID(x.flags("booking cancel"), args, "booking code")
	if err != nil {
		return err
	}
	var b api.BookingView
	if err := x.c.Do(ctx, "POST", "/api/bookings/"+url.PathEscape(code)+"/cancel", nil, &b); err != nil {
		return err
	}
	x.print(b, func(w io.Writer) {
		fmt.Fprintf(w, "已取消预约 %s（请电话告知群众 %s）\n", b.Code, b.Phone)
	})
	return nil
}

func (x *CLI) figures(ctx context.Context, args []string) error {
	fs := x.flags("figures")
	from := fs.String("from", "", "first day YYYY-MM-DD (default today)")
	to := fs.String("to", "", "last day (default: from)")
	region := fs.String("region", "", "region prefix")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" {
		*from = time.Now().In(shanghai()).Format(time.DateOnly)
	}
	q := url.Values{"from": {*from}, "to": {*to}}
	if *region != "" {
		q.Set("region", *region)
	}
	var out struct {
		Days []fleet.DayFigures `json:"days"`
	}
	if err := x.c.Do(ctx, "GET", "/api/figures?"+q.Encode(), nil, &out); err != nil {
		return err
	}
	x.print(out, func(w io.Writer) {
		fmt.Fprintln(w, "日期\t联系点\t取号\t已办\t过号\t等候≤6分钟\t等候>30分钟\t办理中位区间\t预约\t评价数\t满意度均分")
		for _, f := range out.Days {
			short, long := f.WaitBands[0]+f.WaitBands[1], 0
			for _, n := range f.WaitBands[10:] {
				long += n
			}
			rated := 0
			for _, n := range f.Ratings {
				rated += n
			}
			fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%d\t%d\t%.2f\n", f.Day, f.ContactPoint, f.TicketsIssued, f.Served, f.NoShows,
				short, long, medianBand(f.ServiceBands), f.Bookings, rated, f.RatingAverage)
		}
		if len(out.Days) == 0 {
			fmt.Fprintln(w, "（这段时间没有数据）")
		}
	})
	return nil
}

// medianBand names the band holding the median, e.g. "6-9分钟".
func medianBand(bands []int) string {
	total := 0
	for _, n := range bands {
		total += n
	}
	if total == 0 {
		return "-"
	}
	seen := 0
	for i, n := range bands {
		seen += n
		if seen*2 >= total {
			if i == len(bands)-1 {
				return fmt.Sprintf("%d分钟以上", i*fleet.BandMinutes)
			}
			return fmt.Sprintf("%d-%d分钟", i*fleet.BandMinutes, (i+1)*fleet.BandMinutes)
		}
	}
	return "-"
}
