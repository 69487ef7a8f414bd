package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet"
)

// bookingAPI serves advisers, availability, bookings, calendars, service
// categories and figures (docs/BOOKING.md).
type bookingAPI struct {
	s        *Server
	b        *fleet.Bookings
	codeFail *limiter // wrong booking code or phone, per device
	calFail  *limiter // unknown calendar tokens, per address
}

func (s *Server) bookingRoutes() {
	h := &bookingAPI{s: s, b: s.cfg.Bookings, codeFail: newLimiter(20, time.Minute), calFail: newLimiter(30, time.Minute)}
	if h.b == nil {
		return // a store without bookings: the routes answer no_route
	}
	s.handle("GET /api/advisers", accessStaff, h.listAdvisers)
	s.handle("GET /api/advisers/{id}", accessStaff, h.showAdviser)
	s.handle("PUT /api/advisers/{id}", accessWriter, h.putAdviser)
	s.handle("POST /api/advisers/{id}/exceptions", accessWriter, h.addException)
	s.handle("DELETE /api/advisers/{id}/exceptions/{eid}", accessWriter, h.deleteException)
	s.handle("POST /api/advisers/{id}/calendar", accessWriter, h.rotateCalendar)
	s.handle("GET /api/bookings", accessStaff, h.listBookings)
	s.handle("GET /api/bookings/requests", accessStaff, h.listRequests)
	s.handle("POST /api/bookings/{code}/cancel", accessWriter, h.staffCancel)
	s.handle("GET /api/booking/settings", accessStaff, h.getSettings)
	s.handle("PUT /api/booking/settings", accessAdmin, h.putSettings)
	s.handle("GET /api/categories", accessStaff, h.getCategories)
	s.handle("PUT /api/categories", accessAdmin, h.putCategories)
	s.handle("GET /api/figures", accessStaff, h.figures)

	s.handle("GET /api/kiosk/categories", accessDevice, h.kiosk(h.kioskCategories))
	s.handle("GET /api/kiosk/advisers", accessDevice, h.kiosk(h.kioskAdvisers))
	s.handle("GET /api/kiosk/slots", accessDevice, h.kiosk(h.kioskSlots))
	s.handle("POST /api/kiosk/bookings", accessDevice, h.kiosk(h.kioskBook))
	s.handle("POST /api/kiosk/bookings/lookup", accessDevice, h.kiosk(h.kioskLookup))
	s.handle("POST /api/kiosk/bookings/{code}/cancel", accessDevice, h.kiosk(h.kioskCancel))
	s.handle("POST /api/kiosk/bookings/{code}/reschedule", accessDevice, h.kiosk(h.kioskReschedule))

	s.handle("GET /calendar/{file}", accessCalendar, h.calendar)
}

// kiosk wraps h so it runs only for an authenticated device (HTTP Basic
// with its ID and MQTT password, as item downloads).
func (h *bookingAPI) kiosk(next func(w http.ResponseWriter, r *http.Request, device string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := h.s.device(r)
		if err != nil {
			if errors.Is(err, fleet.ErrUnauthorized) || errors.Is(err, fleet.ErrBadCredentials) {
				w.Header().Set("WWW-Authenticate", `Basic realm="lawpoint"`)
			}
			h.fail(w, r, err)
			return
		}
		next(w, r, id)
	}
}

// fail answers booking errors with their own statuses (and the next free
// slots for a taken slot) and leaves the rest to Server.fail.
func (h *bookingAPI) fail(w http.ResponseWriter, r *http.Request, err error) {
	var st *fleet.SlotTakenError
	if errors.As(err, &st) {
		out := wire.SlotTaken{Code: fleet.ErrSlotTaken.Code, Error: st.Error(), Message: fleet.ErrSlotTaken.Zh, Field: "slot_start",
			NextSlots: kioskSlots("", st.Next)}
		if len(st.Next) == 0 {
			out.Message += "（近期已无空闲时段，请改选其他律师或拨打12348）"
		}
		writeJSON(w, http.StatusConflict, out)
		return
	}
	var e *fleet.Error
	if errors.As(err, &e) {
		status := 0
		switch e.Code {
		case fleet.ErrSlotTaken.Code, fleet.ErrBookingCancelled.Code, fleet.ErrTooLate.Code, fleet.ErrDuplicateRequest.Code:
			status = http.StatusConflict
		case fleet.ErrBookingNotFound.Code:
			status = http.StatusNotFound
		}
		if status != 0 {
			var fe *fleet.FieldError
			field := ""
			if errors.As(err, &fe) {
				field = fe.Field
			}
			writeJSON(w, status, ErrorBody{Code: e.Code, Error: e.Msg, Message: e.Zh, Field: field})
			return
		}
	}
	h.s.fail(w, r, err)
}

func kioskSlots(adviser string, ss []fleet.Slot) []wire.KioskSlot {
	out := make([]wire.KioskSlot, 0, len(ss))
	for _, s := range ss {
		out = append(out, wire.KioskSlot{AdviserID: adviser, Start: s.Start.UTC(), End: s.End.UTC()})
	}
	return out
}

// --- staff: advisers ---

// AdviserDetail is the answer of GET /api/advisers/{id}.
type AdviserDetail struct {
	fleet.Adviser
	KindName   string            `json:"kind_name"`
	Exceptions []fleet.Exception `json:"exceptions"`
}

// adviserRegions are the regions an adviser serves (its own villages and
// the regions it serves); none means the whole county.
func adviserRegions(a fleet.Adviser) []string {
	return append(slices.Clone(a.Own), a.Serves...)
}

func (h *bookingAPI) listAdvisers(w http.ResponseWriter, r *http.Request) {
	all, err := h.b.Advisers(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	acct := staffOf(r)
	as := []fleet.Adviser{}
	for _, a := range all {
		if !acct.SeesAny(adviserRegions(a)) {
			continue // the console's advisers page lists them alike
		}
		if !acct.Role.Can(fleet.PermPhone) {
			a.Phone = wire.MaskPhone(a.Phone)
		}
		as = append(as, a)
	}
	writeJSON(w, http.StatusOK, map[string]any{"advisers": as})
}

// adviserFor loads the adviser of the path for the account: 404 when
// unknown; 403 (audited) when it serves nothing in an operator's township,
// or, with act, when the account may not change it (an operator: only an
// adviser whose every region lies in their township, as the console).
func (h *bookingAPI) adviserFor(w http.ResponseWriter, r *http.Request, act bool) (fleet.Adviser, []fleet.Exception, bool) {
	a, exc, err := h.b.Adviser(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return a, nil, false
	}
	acct, regs := staffOf(r), adviserRegions(a)
	if !acct.SeesAny(regs) {
		h.s.deny(w, r, strings.Join(regs, ","), "该顾问不在您所属乡镇的服务范围内。")
		return a, nil, false
	}
	if act && !acct.CanActAll(regs) {
		h.s.deny(w, r, strings.Join(regs, ","), "您无权修改该顾问的工作时间、请假、加班或日历地址。")
		return a, nil, false
	}
	return a, exc, true
}

func (h *bookingAPI) showAdviser(w http.ResponseWriter, r *http.Request) {
	a, exc, ok := h.adviserFor(w, r, false)
	if !ok {
		return
	}
	if exc == nil {
		exc = []fleet.Exception{}
	}
	if !staffOf(r).Role.Can(fleet.PermPhone) {
		a.Phone = wire.MaskPhone(a.Phone)
	}
	writeJSON(w, http.StatusOK, AdviserDetail{Adviser: a, KindName: fleet.AdviserKindName(a.Kind), Exceptions: exc})
}

func (h *bookingAPI) putAdviser(w http.ResponseWriter, r *http.Request) {
	var a fleet.Adviser
	if !h.s.readJSON(w, r, &a) {
		return
	}
	if a.ID == "" {
		a.ID = r.PathValue("id")
	}
	if a.ID != r.PathValue("id") {
		h.fail(w, r, &fleet.FieldError{Field: "id", Err: &fleet.Error{Code: "invalid", Msg: "invalid input: id differs from the URL", Zh: "编号与地址中的编号不一致"}})
		return
	}
	prev, _, err := h.b.Adviser(r.Context(), a.ID)
	exists := err == nil
	if err != nil && !errors.Is(err, fleet.ErrNotFound) {
		h.fail(w, r, err)
		return
	}
	if acct := staffOf(r); !acct.Admin() {
		old := prev
		switch {
		case !exists:
			// A new adviser: as in the console, an operator adds one
			// whose villages and regions all lie in their township; a
			// county-wide one (no regions) is the county's.
			regs := adviserRegions(a)
			if len(regs) == 0 || !acct.CanActAll(regs) {
				h.s.deny(w, r, strings.Join(regs, ","), "乡镇操作员只能添加服务范围在本乡镇（"+acct.Township+"）以内的顾问或律师。")
				return
			}
			old = fleet.Adviser{Own: a.Own, Serves: a.Serves}
		}
		oldRegs := adviserRegions(old)
		if !acct.SeesAny(oldRegs) {
			h.s.deny(w, r, strings.Join(oldRegs, ","), "该顾问不在您所属乡镇的服务范围内。")
			return
		}
		if !acct.CanActAll(oldRegs) {
			h.s.deny(w, r, strings.Join(oldRegs, ","), "您无权修改该顾问的工作时间、请假、加班或日历地址。")
			return
		}
		if !acct.CanActAll(adviserRegions(a)) {
			h.s.deny(w, r, strings.Join(adviserRegions(a), ","), "顾问的服务范围只能在本乡镇（"+acct.Township+"）以内。")
			return
		}
		// Without the phone permission the account read a masked number:
		// sending it back keeps the stored one (the console's rule too).
		a.Phone = fleet.KeepMaskedPhone(a.Phone, old.Phone)
	}
	a, err = h.b.PutAdviser(r.Context(), a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	e := fleet.AuditEntry{Action: fleet.AuditAdviser, Target: "adviser " + a.ID, Region: strings.Join(adviserRegions(a), ","),
		Summary: fmt.Sprintf("%s添加%s %s（%s）", viaAPI, fleet.AdviserKindName(a.Kind), a.Name, a.ID), After: adviserAudit(a)}
	if exists {
		e.Summary = fmt.Sprintf("%s修改%s %s（%s）的信息、工作时间和预约设置", viaAPI, fleet.AdviserKindName(a.Kind), a.Name, a.ID)
		e.Before = adviserAudit(prev)
	}
	h.s.record(r, e)
	h.s.log.Info("adviser stored", "adviser", a.ID, "by", staffOf(r).Username)
	writeJSON(w, http.StatusOK, a)
}

// ExceptionRequest is the body of POST /api/advisers/{id}/exceptions.
type ExceptionRequest struct {
	Kind string    `json:"kind"` // off (leave) or extra (extra hours)
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	Note string    `json:"note,omitempty"`
}

func (h *bookingAPI) addException(w http.ResponseWriter, r *http.Request) {
	a, _, ok := h.adviserFor(w, r, true)
	if !ok {
		return
	}
	var req ExceptionRequest
	if !h.s.readJSON(w, r, &req) {
		return
	}
	e, err := h.b.AddException(r.Context(), fleet.Exception{AdviserID: a.ID, Kind: req.Kind, From: req.From, To: req.To, Note: req.Note})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.s.record(r, fleet.AuditEntry{Action: fleet.AuditAdviser, Target: "adviser " + a.ID, Region: strings.Join(adviserRegions(a), ","),
		Summary: fmt.Sprintf("%s为 %s 添加%s：%s 至 %s", viaAPI, a.Name, fleet.ExceptionKindName(e.Kind), beijing(e.From), beijing(e.To)),
		After:   auditJSON(e)})
	writeJSON(w, http.StatusCreated, e)
}

func (h *bookingAPI) deleteException(w http.ResponseWriter, r *http.Request) {
	a, exc, ok := h.adviserFor(w, r, true)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("eid"), 10, 64)
	if err == nil {
		err = h.b.DeleteException(r.Context(), a.ID, id)
	} else {
		err = fleet.ErrNotFound
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	e := fleet.AuditEntry{Action: fleet.AuditAdviser, Target: "adviser " + a.ID, Region: strings.Join(adviserRegions(a), ","),
		Summary: fmt.Sprintf("%s删除 %s 的一条请假或加班（#%d）", viaAPI, a.Name, id)}
	if i := slices.IndexFunc(exc, func(x fleet.Exception) bool { return x.ID == id }); i >= 0 {
		e.Summary = fmt.Sprintf("%s删除 %s 的一条%s（%s 至 %s）", viaAPI, a.Name, fleet.ExceptionKindName(exc[i].Kind), beijing(exc[i].From), beijing(exc[i].To))
		e.Before = auditJSON(exc[i])
	}
	h.s.record(r, e)
	writeJSON(w, http.StatusOK, map[string]string{"status": "deleted"})
}

// CalendarToken is the answer of POST /api/advisers/{id}/calendar: the
// secret subscription address, shown once (rotating it again stops it).
type CalendarToken struct {
	Path string `json:"path"`
	URL  string `json:"url"`
}

func (h *bookingAPI) rotateCalendar(w http.ResponseWriter, r *http.Request) {
	a, _, ok := h.adviserFor(w, r, true)
	if !ok {
		return
	}
	tok, err := h.b.RotateCalendarToken(r.Context(), a.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.s.record(r, fleet.AuditEntry{Action: fleet.AuditAdviser, Target: "adviser " + a.ID, Region: strings.Join(adviserRegions(a), ","),
		Summary: fmt.Sprintf("%s为 %s 重新生成日历订阅地址（原地址失效）", viaAPI, a.Name)})
	path := "/calendar/" + tok + ".ics"
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	h.s.log.Info("adviser calendar address rotated", "adviser", r.PathValue("id"), "by", staffOf(r).Username)
	writeJSON(w, http.StatusCreated, CalendarToken{Path: path, URL: scheme + "://" + r.Host + path})
}

func (h *bookingAPI) calendar(w http.ResponseWriter, r *http.Request) {
	ip := clientIP(r)
	if h.calFail.blocked(ip) {
		h.fail(w, r, fleet.ErrTooMany)
		return
	}
	tok, _ := strings.CutSuffix(r.PathValue("file"), ".ics")
	a, bs, err := h.b.CalendarBookings(r.Context(), tok)
	if err != nil {
		if errors.Is(err, fleet.ErrNotFound) {
			h.calFail.allow(ip) // count the miss: tokens are not guessed
		}
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "private, no-cache")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(fleet.ICalendar(a, bs, "lawpoint", h.b.Now()))
}

// --- staff: bookings ---

// BookingView is a booking as staff see it. Phone and Name are masked
// unless the request asked for phone=1 and the role has PermPhone.
type BookingView struct {
	Code         string    `json:"code"`
	Status       string    `json:"status"`
	Service      string    `json:"service"`
	ServiceName  string    `json:"service_name"`
	AdviserID    string    `json:"adviser_id"`
	SlotStart    time.Time `json:"slot_start"`
	SlotEnd      time.Time `json:"slot_end"`
	Phone        string    `json:"phone"`
	Name         string    `json:"name,omitempty"`
	Masked       bool      `json:"masked"`
	DeviceID     string    `json:"device_id,omitempty"`
	ContactPoint string    `json:"contact_point,omitempty"`
	Region       string    `json:"region,omitempty"`
	Source       string    `json:"source"`
	MeetingURL   string    `json:"meeting_url"`
	Created      time.Time `json:"created"`
}

func bookingView(b fleet.Booking, full bool) BookingView {
	v := BookingView{Code: b.Code, Status: b.Status, Service: b.Service, ServiceName: fleet.ServiceName(b.Service), AdviserID: b.AdviserID,
		SlotStart: b.SlotStart.UTC(), SlotEnd: b.SlotEnd.UTC(), Phone: b.Phone, Name: b.Name, DeviceID: b.DeviceID,
		ContactPoint: b.ContactPoint, Region: b.Region, Source: b.Source, MeetingURL: b.MeetingURL, Created: b.Created.UTC()}
	if !full {
		v.Phone, v.Name, v.Masked = wire.MaskPhone(b.Phone), wire.MaskName(b.Name), true
	}
	return v
}

// showPhones reads the phone=1 flag and checks the role may use it
// (fleet.PermPhone); a role without it is refused (403, audited) and ok is
// false. Every showing is audited (show_personal), as on the console.
func (h *bookingAPI) showPhones(w http.ResponseWriter, r *http.Request) (full, ok bool) {
	if r.URL.Query().Get("phone") != "1" {
		return false, true
	}
	st := staffOf(r)
	if !st.Role.Can(fleet.PermPhone) {
		h.s.deny(w, r, st.Scope(), "您的角色无权查看完整手机号码，请去掉 phone=1 后重试。")
		return false, false
	}
	h.s.log.Info("phone numbers shown to staff", "by", st.Username, "path", r.URL.Path)
	h.s.record(r, fleet.AuditEntry{Action: fleet.AuditShowPersonal, Target: r.Method + " " + r.URL.Path, Region: st.Scope(),
		Summary: "通过接口查看完整手机号码和姓名（" + r.URL.Path + "）"})
	return true, true
}

func localDay(field, v string) (time.Time, error) {
	loc, err := time.LoadLocation(fleet.DefaultTimeZone)
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	d, err := time.ParseInLocation(time.DateOnly, v, loc)
	if err != nil {
		return d, &fleet.FieldError{Field: field, Err: &fleet.Error{Code: "invalid", Msg: "invalid input: " + field + ": give a date YYYY-MM-DD",
			Zh: "日期须为“2026-05-04”形式"}}
	}
	return d, nil
}

func (h *bookingAPI) listBookings(w http.ResponseWriter, r *http.Request) {
	full, ok := h.showPhones(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	region, ok := h.s.regionScope(w, r, q.Get("region"))
	if !ok {
		return
	}
	f := fleet.BookingFilter{AdviserID: q.Get("adviser"), ContactPoint: q.Get("contact_point"), Region: region,
		Status: q.Get("status"), Limit: 5000}
	var err error
	from, to := q.Get("from"), q.Get("to")
	if d := q.Get("day"); d != "" || (from == "" && to == "") {
		if d == "" {
			d = h.b.Now().In(fleet.Adviser{}.Location()).Format(time.DateOnly) // today
		}
		from, to = d, d
	}
	if f.From, err = localDay("from", from); err == nil {
		var end time.Time
		if end, err = localDay("to", to); err == nil {
			f.To = end.AddDate(0, 0, 1)
		}
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	bs, err := h.b.List(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	acct := staffOf(r)
	out := make([]BookingView, 0, len(bs))
	for _, b := range bs {
		if acct.CanSee(b.Region) {
			out = append(out, bookingView(b, full))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"bookings": out})
}

// RequestView is a booking request that came as a device event.
type RequestView struct {
	DeviceID   string    `json:"device_id"`
	RequestID  string    `json:"request_id"`
	Status     string    `json:"status"`
	Reason     string    `json:"reason,omitempty"`
	ReasonText string    `json:"reason_text,omitempty"` // Chinese, for staff
	Service    string    `json:"service"`
	AdviserID  string    `json:"adviser_id,omitempty"`
	SlotStart  time.Time `json:"slot_start"`
	Name       string    `json:"name"`
	Phone      string    `json:"phone"`
	Masked     bool      `json:"masked"`
	Received   time.Time `json:"received"`
}

func (h *bookingAPI) listRequests(w http.ResponseWriter, r *http.Request) {
	full, ok := h.showPhones(w, r)
	if !ok {
		return
	}
	status := r.URL.Query().Get("status")
	switch status {
	case "":
		status = fleet.RequestUnconfirmed
	case "all":
		status = ""
	}
	rs, err := h.b.Requests(r.Context(), status, 1000)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// An operator sees the requests from their township's devices (the
	// console's rule: a device no longer registered is the county's).
	acct := staffOf(r)
	var region map[string]string
	if acct.Scope() != "" {
		devs, err := h.s.cfg.Registry.Devices(r.Context(), fleet.Filter{})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		region = make(map[string]string, len(devs))
		for _, d := range devs {
			region[d.ID] = d.Region
		}
	}
	out := make([]RequestView, 0, len(rs))
	for _, q := range rs {
		if region != nil {
			if reg, ok := region[q.DeviceID]; !ok || !acct.CanSee(reg) {
				continue
			}
		}
		v := RequestView{DeviceID: q.DeviceID, RequestID: q.RequestID, Status: q.Status, Reason: q.Reason, ReasonText: fleet.RequestReasonText(q.Reason),
			Service: q.Data.Service, AdviserID: q.Data.AdviserID, SlotStart: q.Data.SlotStart.UTC(), Name: q.Data.Contact.Name,
			Phone: q.Data.Contact.Phone, Received: q.Received.UTC()}
		if !full {
			v.Name, v.Phone, v.Masked = wire.MaskName(v.Name), wire.MaskPhone(v.Phone), true
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": out})
}

func (h *bookingAPI) staffCancel(w http.ResponseWriter, r *http.Request) {
	var b fleet.Booking
	err := h.b.Store().BookingRead(r.Context(), func(tx fleet.BookingTx) error {
		var err error
		b, err = tx.BookingByCode(fleet.NormalizeCode(r.PathValue("code")))
		return err
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if acct := staffOf(r); !acct.Admin() {
		if !acct.CanSee(b.Region) {
			h.s.deny(w, r, b.Region, "该预约不在您所属乡镇。")
			return
		}
		if !acct.CanAct(b.Region) {
			h.s.deny(w, r, b.Region, "您无权取消该预约。")
			return
		}
	}
	after, err := h.b.StaffCancel(r.Context(), b.Code)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// The booking's code, time and adviser; never the villager's phone or name.
	h.s.record(r, fleet.AuditEntry{Action: fleet.AuditBookingCancel, Target: "booking " + after.Code, Region: after.Region,
		Summary: fmt.Sprintf("%s取消预约 %s（%s，顾问 %s，%s）", viaAPI, after.Code, beijing(after.SlotStart), after.AdviserID, fleet.ServiceName(after.Service)),
		Before:  "status=" + b.Status, After: "status=" + after.Status})
	h.s.log.Info("booking cancelled by staff", "code", after.Code, "by", staffOf(r).Username)
	writeJSON(w, http.StatusOK, bookingView(after, false))
}

// BookingSettings is the body and answer of /api/booking/settings.
type BookingSettings struct {
	MeetingURLTemplate string `json:"meeting_url_template"`
}

func (h *bookingAPI) getSettings(w http.ResponseWriter, r *http.Request) {
	tpl, err := h.b.MeetingTemplate(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, BookingSettings{MeetingURLTemplate: tpl})
}

func (h *bookingAPI) putSettings(w http.ResponseWriter, r *http.Request) {
	var req BookingSettings
	if !h.s.readJSON(w, r, &req) {
		return
	}
	before, err := h.b.MeetingTemplate(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.b.SetMeetingTemplate(r.Context(), req.MeetingURLTemplate); err != nil {
		h.fail(w, r, err)
		return
	}
	after, err := h.b.MeetingTemplate(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.s.record(r, fleet.AuditEntry{Action: fleet.AuditContent, Target: "booking settings",
		Summary: viaAPI + "修改视频咨询会议地址模板", Before: before, After: after})
	h.getSettings(w, r)
}

func (h *bookingAPI) getCategories(w http.ResponseWriter, r *http.Request) {
	cs, rev, err := h.b.Categories(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.KioskCategories{Categories: cs, Revision: rev})
}

func (h *bookingAPI) putCategories(w http.ResponseWriter, r *http.Request) {
	var req wire.KioskCategories
	if !h.s.readJSON(w, r, &req) {
		return
	}
	before, _, err := h.b.Categories(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rev, err := h.b.SetCategories(r.Context(), req.Categories)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	after, _, err := h.b.Categories(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.s.record(r, fleet.AuditEntry{Action: fleet.AuditContent, Target: "categories",
		Summary: fmt.Sprintf("%s修改一体机取号的服务类别（%d 类，第%d版）", viaAPI, len(after), rev),
		Before:  auditJSON(before), After: auditJSON(after)})
	h.s.log.Info("queue categories changed", "categories", len(req.Categories), "by", staffOf(r).Username)
	h.getCategories(w, r)
}

func (h *bookingAPI) figures(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	region, ok := h.s.regionScope(w, r, q.Get("region"))
	if !ok {
		return
	}
	fq := fleet.FiguresQuery{From: q.Get("from"), To: q.Get("to"), Region: region}
	if fq.To == "" {
		fq.To = fq.From
	}
	fs, err := h.b.Figures(r.Context(), fq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"band_minutes": fleet.BandMinutes, "days": fs})
}

// --- kiosks ---

func (h *bookingAPI) kioskCategories(w http.ResponseWriter, r *http.Request, _ string) {
	h.getCategories(w, r)
}

func (h *bookingAPI) kioskAdvisers(w http.ResponseWriter, r *http.Request, device string) {
	as, err := h.b.KioskAdvisers(r.Context(), device, r.URL.Query().Get("service"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if as == nil {
		as = []wire.KioskAdviser{}
	}
	writeJSON(w, http.StatusOK, wire.KioskAdvisers{Advisers: as})
}

func (h *bookingAPI) kioskSlots(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	adviser, day := q.Get("adviser"), q.Get("day")
	ss, err := h.b.Slots(r.Context(), adviser, day)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.KioskSlots{AdviserID: adviser, Day: day, Slots: kioskSlots(adviser, ss)})
}

func (h *bookingAPI) kioskView(r *http.Request, b fleet.Booking, replayed bool) wire.KioskBooking {
	name := b.AdviserID
	if a, _, err := h.b.Adviser(r.Context(), b.AdviserID); err == nil {
		name = a.Name
	}
	return wire.KioskBooking{Code: b.Code, Status: b.Status, Service: b.Service, AdviserID: b.AdviserID, AdviserName: name,
		SlotStart: b.SlotStart.UTC(), SlotEnd: b.SlotEnd.UTC(), Phone: wire.MaskPhone(b.Phone), MeetingURL: b.MeetingURL, Replayed: replayed}
}

func (h *bookingAPI) kioskBook(w http.ResponseWriter, r *http.Request, device string) {
	var req wire.BookRequest
	if !h.s.readJSON(w, r, &req) {
		return
	}
	b, replayed, err := h.b.Book(r.Context(), device, req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status := http.StatusCreated
	if replayed {
		status = http.StatusOK
	} else {
		h.s.log.Info("booking made", "code", b.Code, "device", device, "adviser", b.AdviserID, "slot", b.SlotStart)
	}
	writeJSON(w, status, h.kioskView(r, b, replayed))
}

// checkCode refuses a device that got too many codes or phones wrong in a
// minute (guessing codes), and counts a miss.
func (h *bookingAPI) checkCode(device string, err error) error {
	if errors.Is(err, fleet.ErrBookingNotFound) && !h.codeFail.allow(device) {
		return fleet.ErrTooMany
	}
	return err
}

// byCode serves a kiosk's request about one booking by its code and
// phone: it reads the body into req, refuses a device that guessed too many
// codes (checkCode), runs do and answers the booking as the kiosk shows
// it; ok is false when it answered an error.
func (h *bookingAPI) byCode(w http.ResponseWriter, r *http.Request, device string, req any, do func() (fleet.Booking, error)) (b fleet.Booking, ok bool) {
	if !h.s.readJSON(w, r, req) {
		return b, false
	}
	if h.codeFail.blocked(device) {
		h.fail(w, r, fleet.ErrTooMany)
		return b, false
	}
	b, err := do()
	if err != nil {
		h.fail(w, r, h.checkCode(device, err))
		return b, false
	}
	writeJSON(w, http.StatusOK, h.kioskView(r, b, false))
	return b, true
}

func (h *bookingAPI) kioskLookup(w http.ResponseWriter, r *http.Request, device string) {
	var req wire.BookingLookup
	h.byCode(w, r, device, &req, func() (fleet.Booking, error) { return h.b.Lookup(r.Context(), req.Code, req.Phone) })
}

func (h *bookingAPI) kioskCancel(w http.ResponseWriter, r *http.Request, device string) {
	var req wire.BookingLookup
	if b, ok := h.byCode(w, r, device, &req, func() (fleet.Booking, error) {
		return h.b.Cancel(r.Context(), r.PathValue("code"), req.Phone)
	}); ok {
		h.s.log.Info("booking cancelled at a kiosk", "code", b.Code, "device", device)
	}
}

func (h *bookingAPI) kioskReschedule(w http.ResponseWriter, r *http.Request, device string) {
	var req wire.RescheduleRequest
	if b, ok := h.byCode(w, r, device, &req, func() (fleet.Booking, error) {
		return h.b.Reschedule(r.Context(), r.PathValue("code"), req.Phone, req.SlotStart)
	}); ok {
		h.s.log.Info("booking rescheduled at a kiosk", "code", b.Code, "device", device, "slot", b.SlotStart)
	}
}

// Bookings returns the booking service the API serves (nil if the store
// has none), so the server can run its projection loop.
func (s *Server) Bookings() *fleet.Bookings { return s.cfg.Bookings }
