package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"time"

	"lawpoint/device/wire"
	"lawpoint/kiosk/flow"
)

// serviceNames are the kiosk's words for the protocol's service codes.
var serviceNames = map[string]string{
	wire.ServiceConsultation: "法律咨询",
	wire.ServiceLegalAid:     "法律援助",
	wire.ServiceMediation:    "人民调解",
	wire.ServiceNotary:       "公证咨询",
	wire.ServiceAppraisal:    "司法鉴定",
	wire.ServiceResettlement: "安置帮教",
	wire.ServiceEducation:    "法治宣传",
}

// myBookings is flow.MyBookings on the fleet's lookup, cancel and
// reschedule routes, plus the kiosk's own requests: an 8-character
// reference (printed while a request was 待确认) is looked up here first.
// Every booking found, cancelled or moved is kept in kiosk.db, so its
// video call is offered on the home screen at its time.
type myBookings struct {
	a *App

	mu     sync.Mutex
	misses []time.Time // wrong references tried here (the fleet counts codes)
}

// Local wrong references allowed per minute, as the fleet allows codes.
const refMisses = 20

func (m *myBookings) miss() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	keep := m.misses[:0]
	for _, t := range m.misses {
		if now.Sub(t) < time.Minute {
			keep = append(keep, t)
		}
	}
	m.misses = append(keep, now)
	if len(m.misses) > refMisses {
		return flow.ErrTooManyTries
	}
	return flow.ErrBookingNotFound
}

func (m *myBookings) blocked() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, t := range m.misses {
		if time.Since(t) < time.Minute {
			n++
		}
	}
	return n >= refMisses
}

// Lookup implements flow.MyBookings.
func (m *myBookings) Lookup(ctx context.Context, code, phone string) (flow.BookingInfo, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if len(code) == flow.RefLen {
		if m.blocked() {
			return flow.BookingInfo{}, flow.ErrTooManyTries
		}
		r, err := m.a.store.requestByCode(ctx, code)
		if err != nil && !isNoRows(err) {
			return flow.BookingInfo{}, fmt.Errorf("app: reading the kiosk's requests: %w", err)
		}
		switch {
		case err != nil:
			return flow.BookingInfo{}, m.miss()
		case r.Status == reqPending && r.Phone == phone:
			return m.a.infoOf(r, flow.BookingPending), nil
		case r.Status == reqUnconfirmed && r.Phone == wire.MaskPhone(phone):
			return m.a.infoOf(r, flow.BookingTaken), nil
		case r.Status == reqConfirmed && r.Code != "":
			code = r.Code // confirmed meanwhile: the fleet checks the phone
		default:
			return flow.BookingInfo{}, m.miss()
		}
	}
	kb, err := m.a.bookings.Lookup(ctx, code, phone)
	return m.found(ctx, kb, err)
}

// Cancel implements flow.MyBookings.
func (m *myBookings) Cancel(ctx context.Context, code, phone string) (flow.BookingInfo, error) {
	kb, err := m.a.bookings.Cancel(ctx, code, phone)
	if err == nil {
		m.a.log.Info("booking cancelled at the kiosk", "code", kb.Code)
	}
	return m.found(ctx, kb, err)
}

// Reschedule implements flow.MyBookings.
func (m *myBookings) Reschedule(ctx context.Context, code, phone string, to flow.Slot) (flow.BookingInfo, error) {
	kb, err := m.a.bookings.Reschedule(ctx, code, phone, to.Start)
	if err == nil {
		m.a.log.Info("booking moved at the kiosk", "code", kb.Code, "slot", kb.SlotStart)
	}
	return m.found(ctx, kb, err)
}

// found keeps a booking the fleet answered with and turns refusals into
// the screens' errors.
func (m *myBookings) found(ctx context.Context, kb wire.KioskBooking, err error) (flow.BookingInfo, error) {
	if err != nil {
		return flow.BookingInfo{}, m.a.flowError(err)
	}
	if err := m.a.store.keepBooking(ctx, kb, m.a.now()); err != nil {
		m.a.log.Warn("a booking looked up was not kept on the kiosk; its call is offered only from the lookup", "code", kb.Code, "err", err)
	}
	m.a.videos.refresh(ctx)
	st := flow.BookingConfirmed
	if kb.Status == wire.BookingCancelled {
		st = flow.BookingCancelled
	}
	name := kb.AdviserName
	return flow.BookingInfo{Code: kb.Code, Status: st, Service: serviceName(kb.Service), AdviserID: kb.AdviserID, AdviserName: name,
		Slot:  flow.Slot{Start: kb.SlotStart.In(m.a.loc), End: kb.SlotEnd.In(m.a.loc)},
		Phone: kb.Phone, MeetingURL: kb.MeetingURL}, nil
}

func serviceName(code string) string {
	if n, ok := serviceNames[code]; ok {
		return n
	}
	return "其他咨询"
}

// infoOf is a request kept here as the screens show it.
func (a *App) infoOf(r request, st flow.BookingStatus) flow.BookingInfo {
	return flow.BookingInfo{Code: r.Ref, Status: st, Service: r.ServiceName, AdviserID: r.AdviserID, AdviserName: r.AdviserName,
		Slot: flow.Slot{Start: r.Start.In(a.loc), End: r.End.In(a.loc)}, Phone: wire.MaskPhone(r.Phone)}
}

// flowError maps the fleet's refusals to the screens' errors; the fleet's
// English stays in the chain for the log.
func (a *App) flowError(err error) error {
	var ae *apiError
	var taken *slotTakenError
	switch {
	case errors.As(err, &taken):
		fe := &flow.SlotTakenError{}
		for _, s := range taken.NextSlots {
			fe.Next = append(fe.Next, flow.Slot{Start: s.Start.In(a.loc), End: s.End.In(a.loc)})
		}
		return fe
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
		return fmt.Errorf("%w (%v)", flow.ErrBookingNotFound, err)
	case errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests:
		return fmt.Errorf("%w (%v)", flow.ErrTooManyTries, err)
	case errors.As(err, &ae) && ae.Code == "too_late":
		return fmt.Errorf("%w (%v)", flow.ErrTooLate, err)
	case errors.As(err, &ae) && ae.Code == "booking_cancelled":
		return fmt.Errorf("%w (%v)", flow.ErrBookingGone, err)
	}
	return err
}

// keepBooking records a booking the fleet answered with (looked up,
// cancelled or moved): a request made here is updated by its code, any
// other is added (phone masked) so that its call is offered here.
func (s *store) keepBooking(ctx context.Context, kb wire.KioskBooking, now time.Time) error {
	st := reqConfirmed
	if kb.Status == wire.BookingCancelled {
		st = reqCancelled
	}
	res, err := s.db.ExecContext(ctx, `UPDATE bookings SET status = ?, slot_start_ms = ?, slot_end_ms = ?, meeting_url = ?
		WHERE code = ? AND status IN (?, ?)`, st, kb.SlotStart.UnixMilli(), kb.SlotEnd.UnixMilli(), kb.MeetingURL, kb.Code, reqConfirmed, reqCancelled)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	return s.addRequest(ctx, request{ID: "lookup:" + kb.Code, Ref: kb.Code, Service: kb.Service, ServiceName: serviceName(kb.Service),
		AdviserID: kb.AdviserID, AdviserName: kb.AdviserName, Start: kb.SlotStart, End: kb.SlotEnd, Phone: wire.MaskPhone(kb.Phone),
		Status: st, Code: kb.Code, MeetingURL: kb.MeetingURL, Created: now})
}

// reqCancelled: cancelled at this kiosk (or found cancelled).
const reqCancelled = "cancelled"

// consultations are the confirmed bookings with a meeting link that end
// after t.
func (s *store) consultations(ctx context.Context, after time.Time) ([]request, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+requestCols+` FROM bookings
		WHERE status = ? AND code != '' AND meeting_url != '' AND slot_end_ms > ? ORDER BY slot_start_ms`, reqConfirmed, after.UnixMilli())
	if err != nil {
		return nil, err
	}
	return scanRequests(rows)
}

// videoService is flow.Video: the consultations kept in kiosk.db (held in
// memory, as the screens ask often) and the external video client.
type videoService struct {
	a    *App
	argv []string

	mu   sync.Mutex
	list []flow.Consultation
}

func newVideoService(a *App) *videoService {
	argv := a.cfg.VideoCommand
	if len(argv) == 0 {
		argv = DefaultVideoCommand
	}
	return &videoService{a: a, argv: argv}
}

// refresh reads the consultations again and tells the screens.
func (v *videoService) refresh(ctx context.Context) {
	rs, err := v.a.store.consultations(ctx, v.a.now().Add(-time.Hour))
	if err != nil {
		v.a.log.Warn("the kiosk's consultations could not be read; 开始视频咨询 may be missing", "err", err)
		return
	}
	list := make([]flow.Consultation, 0, len(rs))
	for _, r := range rs {
		list = append(list, flow.Consultation{Code: r.Code, Service: r.ServiceName, AdviserName: r.AdviserName,
			Slot: flow.Slot{Start: r.Start.In(v.a.loc), End: r.End.In(v.a.loc)}, MeetingURL: r.MeetingURL})
	}
	v.mu.Lock()
	v.list = list
	v.mu.Unlock()
	v.a.updates.signal()
}

// Consultations implements flow.Video.
func (v *videoService) Consultations() []flow.Consultation {
	now := v.a.now()
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]flow.Consultation, 0, len(v.list))
	for _, c := range v.list {
		if c.Slot.End.After(now) {
			out = append(out, c)
		}
	}
	return out
}

// videoError is a call that could not start, in the villager's words.
type videoError struct {
	msg string
	err error
}

func (e *videoError) Error() string       { return "app: video call: " + e.err.Error() }
func (e *videoError) Unwrap() error       { return e.err }
func (e *videoError) UserMessage() string { return e.msg }

// Command is the video client's command line for a meeting link.
func (v *videoService) Command(meeting string) []string {
	out := make([]string, 0, len(v.argv)+1)
	found := false
	for _, a := range v.argv {
		if strings.Contains(a, "{url}") {
			found = true
		}
		a = strings.ReplaceAll(a, "{url}", meeting)
		out = append(out, strings.ReplaceAll(a, "{dir}", v.a.opts.Dir))
	}
	if !found {
		out = append(out, meeting)
	}
	return out
}

// Call implements flow.Video: it runs the video client (no shell) with the
// meeting link and waits for it to exit; ctx ending stops it (SIGTERM to
// its process group, then SIGKILL after 5 s). How the client exits is
// logged, not an error: the villager is home again either way.
func (v *videoService) Call(ctx context.Context, c flow.Consultation) error {
	u, err := url.Parse(c.MeetingURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return &videoError{msg: "这个预约的视频地址不对，请找工作人员", err: fmt.Errorf("meeting link of %s is not an http(s) URL", c.Code)}
	}
	argv := v.Command(u.String())
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return &videoError{msg: "这台机器没有装视频软件，请找工作人员，或用手机扫预约单上的二维码",
			err: fmt.Errorf("%w (install it, e.g. apt-get install chromium, or set video_command in %s)", err, ConfigFile)}
	}
	cmd := exec.CommandContext(ctx, path, argv[1:]...)
	ownGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return &videoError{msg: "视频软件打不开，请找工作人员", err: err}
	}
	v.a.log.Info("video call started", "code", c.Code, "client", argv[0])
	err = cmd.Wait()
	took := time.Since(began).Round(time.Second)
	switch {
	case ctx.Err() != nil:
		v.a.log.Info("video call ended from the kiosk (结束视频)", "code", c.Code, "after", took)
	case err != nil:
		v.a.log.Warn("the video client exited with an error", "code", c.Code, "after", took, "err", err)
	default:
		v.a.log.Info("video call ended", "code", c.Code, "after", took)
	}
	return nil
}

// updates is flow.Updates: late outcomes for the home screen, at most
// maxOutcomes kept until the screens take them.
type updates struct {
	mu       sync.Mutex
	outcomes []flow.Booking
	changes  chan struct{}
}

const maxOutcomes = 20

func newUpdates() *updates { return &updates{changes: make(chan struct{}, 1)} }

func (u *updates) signal() {
	select {
	case u.changes <- struct{}{}:
	default:
	}
}

func (u *updates) push(b flow.Booking) {
	b.Phone = wire.MaskPhone(b.Phone)
	u.mu.Lock()
	u.outcomes = append(u.outcomes, b)
	if len(u.outcomes) > maxOutcomes {
		u.outcomes = u.outcomes[len(u.outcomes)-maxOutcomes:]
	}
	u.mu.Unlock()
	u.signal()
}

// Changes implements flow.Updates.
func (u *updates) Changes() <-chan struct{} { return u.changes }

// TakeOutcomes implements flow.Updates.
func (u *updates) TakeOutcomes() []flow.Booking {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := u.outcomes
	u.outcomes = nil
	return out
}

// FlowConfig adds kiosk.json's screen settings (outcome_notice,
// video_early) to c, for flow.New.
func (a *App) FlowConfig(c flow.Config) flow.Config {
	if a.cfg.OutcomeNotice > 0 {
		c.NoticeHold = time.Duration(a.cfg.OutcomeNotice)
	}
	if a.cfg.VideoEarly > 0 {
		c.VideoEarly = time.Duration(a.cfg.VideoEarly)
	}
	return c
}
