package console

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet"
)

func init() {
	pageNames = append(pageNames, "bookings", "booking_cancel", "requests")
}

// bookingRow is a booking as the page shows it: phone and name masked
// unless this one was revealed (by a role with fleet.PermPhone, audited).
type bookingRow struct {
	Code, Time, Adviser, Service string
	Status, StatusClass          string
	Phone, Name                  string
	Revealed                     bool
	CanReveal, CanCancel         bool
	Region, ContactPoint         string
	Start                        time.Time
}

type pointGroup struct {
	Name     string
	Region   string
	Bookings []bookingRow
}

type bookingsData struct {
	Day, Today  string
	Errors      map[string]string
	Points      []pointGroup
	Total       int
	CanPhone    bool
	Flash, Fail string
	Pending     int // unconfirmed requests the account may see
}

type bookingCancelData struct {
	Booking bookingRow
	Day     string
}

func statusOf(status string) (string, string) {
	if status == wire.BookingCancelled {
		return "已取消", "off"
	}
	return "已确认", "ok"
}

// adviserNames maps adviser IDs to their names.
func adviserNames(ctx context.Context, bk *fleet.Bookings) map[string]string {
	out := map[string]string{}
	if as, err := bk.Advisers(ctx); err == nil {
		for _, a := range as {
			out[a.ID] = a.Name
		}
	}
	return out
}

func (c *Console) bookingRowOf(b fleet.Booking, acct fleet.Account, names map[string]string, reveal string) bookingRow {
	row := bookingRow{Code: b.Code, Service: fleet.ServiceName(b.Service), Adviser: names[b.AdviserID], Region: b.Region,
		ContactPoint: b.ContactPoint, Start: b.SlotStart,
		Time:  b.SlotStart.In(shanghai).Format("15:04") + "–" + b.SlotEnd.In(shanghai).Format("15:04"),
		Phone: wire.MaskPhone(b.Phone), Name: wire.MaskName(b.Name),
		CanReveal: acct.Role.Can(fleet.PermPhone) && b.Phone != "",
		CanCancel: b.Status == wire.BookingConfirmed && b.SlotStart.After(c.now()) && acct.CanAct(b.Region)}
	if row.Adviser == "" {
		row.Adviser = b.AdviserID
	}
	row.Status, row.StatusClass = statusOf(b.Status)
	if reveal != "" && reveal == b.Code && row.CanReveal {
		row.Phone, row.Name, row.Revealed = b.Phone, b.Name, true
	}
	return row
}

// bookingDay reads ?day= (default today, Beijing time).
func (c *Console) bookingDay(v string, errs map[string]string) (string, time.Time) {
	today := c.now().In(shanghai).Format(time.DateOnly)
	if v == "" {
		v = today
	}
	d, err := time.ParseInLocation(time.DateOnly, v, shanghai)
	if err != nil {
		errs["day"] = "日期格式有误，请按“2026-11-27”填写"
		d, _ = time.ParseInLocation(time.DateOnly, today, shanghai)
	}
	return v, d
}

// bookingsPage lists a day's bookings (today by default) per contact
// point, with masked phone numbers.
func (c *Console) bookingsPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	d := bookingsData{Errors: map[string]string{}}
	d.Flash = doneFlash(r, map[string]string{
		"cancelled": "预约已取消。请电话告知群众。",
	})
	c.showBookings(w, r, rc, http.StatusOK, r.URL.Query().Get("day"), "", d)
}

func (c *Console) showBookings(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, day, reveal string, d bookingsData) {
	ctx := r.Context()
	bk, err := c.bookings()
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	var from time.Time
	d.Day, from = c.bookingDay(day, d.Errors)
	if len(d.Errors) > 0 {
		status = http.StatusBadRequest
	}
	d.Today = c.now().In(shanghai).Format(time.DateOnly)
	d.CanPhone = rc.acct.Role.Can(fleet.PermPhone)
	bs, err := bk.List(ctx, fleet.BookingFilter{From: from, To: from.AddDate(0, 0, 1), Region: rc.acct.Scope(), Limit: 5000})
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	names := adviserNames(ctx, bk)
	groups := map[string]*pointGroup{}
	var order []string
	for _, b := range bs {
		if !rc.acct.CanSee(b.Region) {
			continue
		}
		key := b.ContactPoint
		if key == "" {
			key = b.Region
		}
		g := groups[key]
		if g == nil {
			g = &pointGroup{Name: key, Region: b.Region}
			groups[key] = g
			order = append(order, key)
		}
		g.Bookings = append(g.Bookings, c.bookingRowOf(b, rc.acct, names, reveal))
		d.Total++
	}
	slices.Sort(order)
	for _, k := range order {
		g := groups[k]
		slices.SortFunc(g.Bookings, func(a, b bookingRow) int { return a.Start.Compare(b.Start) })
		d.Points = append(d.Points, *g)
	}
	if rs, err := c.visibleRequests(ctx, bk, rc.acct); err == nil {
		d.Pending = len(rs)
	}
	c.page(w, r, rc, status, "bookings", "预约", "bookings", d)
}

// findBooking loads the booking of the path for acct: 404 when unknown,
// 403 (audited) outside the operator's township.
func (c *Console) findBooking(w http.ResponseWriter, r *http.Request, rc *reqCtx) (*fleet.Bookings, fleet.Booking, bool) {
	bk, err := c.bookings()
	if err != nil {
		c.internal(w, r, rc, err)
		return nil, fleet.Booking{}, false
	}
	code := fleet.NormalizeCode(r.PathValue("code"))
	var b fleet.Booking
	err = bk.Store().BookingRead(r.Context(), func(tx fleet.BookingTx) error {
		var err error
		b, err = tx.BookingByCode(code)
		return err
	})
	if errors.Is(err, fleet.ErrNotFound) || errors.Is(err, fleet.ErrBookingNotFound) {
		c.errorPage(w, r, rc, http.StatusNotFound, "没有找到", "没有这个预约码的预约。")
		return nil, b, false
	}
	if err != nil {
		c.internal(w, r, rc, err)
		return nil, b, false
	}
	if !rc.acct.CanSee(b.Region) {
		c.deny(w, r, rc, "booking "+b.Code, b.Region, "该预约不在您所属乡镇。")
		return nil, b, false
	}
	return bk, b, true
}

// revealBooking shows one booking's full phone number and name, for roles
// with fleet.PermPhone; every showing is audited (the number never is).
func (c *Console) revealBooking(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if !rc.acct.Role.Can(fleet.PermPhone) {
		c.deny(w, r, rc, "booking "+r.PathValue("code"), "", "您的角色无权查看完整手机号码。")
		return
	}
	_, b, ok := c.findBooking(w, r, rc)
	if !ok {
		return
	}
	c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditShowPersonal, Target: "booking " + b.Code, Region: b.Region,
		Summary: "查看预约 " + b.Code + " 的完整手机号码和姓名"})
	day := trimmed(r, "day")
	if day == "" {
		day = b.SlotStart.In(shanghai).Format(time.DateOnly)
	}
	c.showBookings(w, r, rc, http.StatusOK, day, b.Code, bookingsData{})
}

// cancelBooking: action=confirm (or none) shows the confirmation step;
// action=cancel cancels the booking (fleet.Bookings.StaffCancel).
func (c *Console) cancelBooking(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	bk, b, ok := c.findBooking(w, r, rc)
	if !ok {
		return
	}
	if !rc.acct.CanAct(b.Region) {
		c.deny(w, r, rc, "booking "+b.Code, b.Region, "您无权取消该预约。")
		return
	}
	day := trimmed(r, "day")
	if day == "" {
		day = b.SlotStart.In(shanghai).Format(time.DateOnly)
	}
	back := "/bookings?day=" + url.QueryEscape(day)
	if b.Status == wire.BookingCancelled {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	names := adviserNames(r.Context(), bk)
	row := c.bookingRowOf(b, rc.acct, names, "")
	if r.PostFormValue("action") != "cancel" {
		c.page(w, r, rc, http.StatusOK, "booking_cancel", "确认取消预约", "bookings", bookingCancelData{Booking: row, Day: day})
		return
	}
	after, err := bk.StaffCancel(r.Context(), b.Code)
	if errors.Is(err, fleet.ErrTooLate) {
		c.record(r, rc, fleet.AuditEntry{Action: auditBookingCancel, Target: "booking " + b.Code, Region: b.Region, Outcome: fleet.OutcomeFailed,
			Summary: "取消预约 " + b.Code + " 失败：咨询已开始或已结束"})
		c.showBookings(w, r, rc, http.StatusConflict, day, "", bookingsData{Fail: "预约 " + b.Code + " 的咨询已开始或已结束，不能再取消。"})
		return
	}
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	c.record(r, rc, fleet.AuditEntry{Action: auditBookingCancel, Target: "booking " + b.Code, Region: b.Region,
		Summary: fmt.Sprintf("取消预约 %s（%s %s，%s，%s）", b.Code, b.SlotStart.In(shanghai).Format("2006-01-02"), row.Time, row.Adviser, row.ContactPoint),
		Before:  "status=" + b.Status, After: "status=" + after.Status})
	http.Redirect(w, r, back+"&done=cancelled", http.StatusSeeOther)
}

// requestRow is an unconfirmed booking request from a device outbox.
type requestRow struct {
	Key                    string // device + "/" + request ID
	DeviceID, ContactPoint string
	Region                 string
	Service, Adviser, Slot string
	Reason                 string
	Phone, Name            string
	Received               time.Time
	Revealed, CanReveal    bool
}

type requestsData struct {
	Requests []requestRow
	CanPhone bool
}

// requestReason is the Chinese reason a request could not be booked ("—"
// for none).
func requestReason(code string) string {
	return cmp.Or(fleet.RequestReasonText(code), "—")
}

type visibleRequest struct {
	fleet.BookingRequestRecord
	Device fleet.Device
}

// visibleRequests are the unconfirmed requests from devices acct may see.
func (c *Console) visibleRequests(ctx context.Context, bk *fleet.Bookings, acct fleet.Account) ([]visibleRequest, error) {
	rs, err := bk.Requests(ctx, fleet.RequestUnconfirmed, 1000)
	if err != nil {
		return nil, err
	}
	devs, err := c.cfg.Registry.Devices(ctx, fleet.Filter{})
	if err != nil {
		return nil, err
	}
	byID := map[string]fleet.Device{}
	for _, d := range devs {
		byID[d.ID] = d
	}
	var out []visibleRequest
	for _, q := range rs {
		dv, ok := byID[q.DeviceID]
		if !ok && acct.Scope() != "" {
			continue // a device no longer registered: county staff only
		}
		if ok && !acct.CanSee(dv.Region) {
			continue
		}
		out = append(out, visibleRequest{q, dv})
	}
	return out, nil
}

// requestsPage lists booking requests that arrived offline and could not
// be booked, with the reason and a masked phone number.
func (c *Console) requestsPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	c.showRequests(w, r, rc, "")
}

func (c *Console) showRequests(w http.ResponseWriter, r *http.Request, rc *reqCtx, reveal string) {
	ctx := r.Context()
	bk, err := c.bookings()
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	rs, err := c.visibleRequests(ctx, bk, rc.acct)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	names := adviserNames(ctx, bk)
	d := requestsData{CanPhone: rc.acct.Role.Can(fleet.PermPhone)}
	for _, q := range rs {
		row := requestRow{Key: q.DeviceID + "/" + q.RequestID, DeviceID: q.DeviceID, ContactPoint: q.Device.ContactPoint, Region: q.Device.Region,
			Service: fleet.ServiceName(q.Data.Service), Adviser: names[q.Data.AdviserID], Reason: requestReason(q.Reason),
			Phone: wire.MaskPhone(q.Data.Contact.Phone), Name: wire.MaskName(q.Data.Contact.Name), Received: q.Received,
			CanReveal: d.CanPhone && q.Data.Contact.Phone != ""}
		if row.Adviser == "" {
			row.Adviser = q.Data.AdviserID
		}
		if row.Adviser == "" {
			row.Adviser = "（未指定）"
		}
		if !q.Data.SlotStart.IsZero() {
			row.Slot = q.Data.SlotStart.In(shanghai).Format("2006-01-02 15:04")
		}
		if reveal != "" && reveal == row.Key && row.CanReveal {
			row.Phone, row.Name, row.Revealed = q.Data.Contact.Phone, q.Data.Contact.Name, true
		}
		d.Requests = append(d.Requests, row)
	}
	slices.SortFunc(d.Requests, func(a, b requestRow) int { return b.Received.Compare(a.Received) })
	c.page(w, r, rc, http.StatusOK, "requests", "待确认的预约请求", "bookings", d)
}

// revealRequest shows one request's full phone number (PermPhone, audited).
func (c *Console) revealRequest(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	key := trimmed(r, "request")
	if !rc.acct.Role.Can(fleet.PermPhone) {
		c.deny(w, r, rc, "request "+key, "", "您的角色无权查看完整手机号码。")
		return
	}
	bk, err := c.bookings()
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	rs, err := c.visibleRequests(r.Context(), bk, rc.acct)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	i := slices.IndexFunc(rs, func(q visibleRequest) bool { return q.DeviceID+"/"+q.RequestID == key })
	if i < 0 {
		c.errorPage(w, r, rc, http.StatusNotFound, "没有找到", "没有这条待确认的预约请求（可能已确认）。")
		return
	}
	c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditShowPersonal, Target: "request " + key, Region: rs[i].Device.Region,
		Summary: "查看待确认预约请求的完整手机号码和姓名"})
	c.showRequests(w, r, rc, key)
}
