package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"lawpoint/content"
	"lawpoint/fleet"
)

// access is what a route asks of the caller before its handler runs. Every
// route is registered through Server.handle with one, so a route cannot be
// added without a decision (TestEveryRouteHasAnAccessDecision). Beyond the
// role, the handlers of staff routes check the region of what they show or
// change with the console's rules (fleet.Account.CanSee, CanAct, SeesAny,
// CanActAll) and refuse through Server.deny. docs/FLEET.md has the table.
type access string

const (
	// accessPublic: no credentials (health, login, enrolment with its
	// one-time token, the unknown-route answer).
	accessPublic access = "public"
	// accessDevice: a device's HTTP Basic credentials (ID, MQTT password).
	accessDevice access = "device"
	// accessDeviceOrStaff: a device's HTTP Basic credentials or any staff
	// bearer token (item downloads).
	accessDeviceOrStaff access = "device-or-staff"
	// accessCalendar: the secret token in the address (calendar feeds).
	accessCalendar access = "calendar-token"
	// accessStaff: any signed-in role (reads); an operator sees only what
	// concerns their township.
	accessStaff access = "staff"
	// accessWriter: county administrators and township operators, for
	// what lies in the operator's township; viewers are refused.
	accessWriter access = "writer"
	// accessAdmin: county administrators only.
	accessAdmin access = "admin"
)

// staffAccess reports whether a is one of the bearer-token staff levels.
func (a access) staffAccess() bool {
	return a == accessStaff || a == accessWriter || a == accessAdmin
}

// handle registers h for pattern with its access decision; staff levels
// are wrapped in Server.staff.
func (s *Server) handle(pattern string, a access, h http.HandlerFunc) {
	if _, dup := s.access[pattern]; dup {
		panic("api: route registered twice: " + pattern)
	}
	s.access[pattern] = a
	if a.staffAccess() {
		h = s.staff(a, h)
	}
	s.mux.HandleFunc(pattern, h)
}

// accountStore reads a staff account with its township (fleet.AccountStore
// has it; a store without accounts has no townships, so its operators see
// nothing).
type accountStore interface {
	Account(ctx context.Context, username string) (fleet.Account, error)
}

// staffKey is the context key of the signed-in staff account.
type staffKey struct{}

// staff wraps h so it runs only for a signed-in staff member whose role
// the route's access level allows. Every role may sign in; what each may
// do is the route's decision (and then the handler's, per region).
func (s *Server) staff(need access, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// Bearer tokens only: a cookie would let another site's page make
		// requests with the staff member's rights (the console has its own
		// session cookie and CSRF tokens; the API never reads it).
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		st, err := s.cfg.Registry.SessionStaff(r.Context(), strings.TrimSpace(tok))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		acct := fleet.Account{Username: st.Username, Role: st.Role, Created: st.Created}
		if as, ok := s.store.(accountStore); ok {
			a, err := as.Account(r.Context(), st.Username)
			if errors.Is(err, fleet.ErrNotFound) {
				s.fail(w, r, fleet.ErrUnauthorized)
				return
			}
			if err != nil {
				s.fail(w, r, err)
				return
			}
			acct.Township = a.Township
		}
		r = r.WithContext(context.WithValue(r.Context(), staffKey{}, acct))
		switch {
		case !acct.Role.Valid():
			s.deny(w, r, "", "您的账号没有有效的角色，请联系县级管理员。")
		case acct.Role == fleet.StaffOperator && acct.Township == "":
			s.deny(w, r, "", "该乡镇操作员账号尚未指定所属乡镇，请联系县级管理员。")
		case need == accessAdmin && !acct.Admin():
			s.deny(w, r, acct.Scope(), "只有县级管理员可以进行这项操作。")
		case need == accessWriter && acct.Role == fleet.StaffViewer:
			s.deny(w, r, "", "只读账号不能修改任何内容。")
		default:
			h(w, r)
		}
	}
}

// staffOf is the signed-in account of a staff route.
func staffOf(r *http.Request) fleet.Account {
	a, _ := r.Context().Value(staffKey{}).(fleet.Account)
	return a
}

// deny answers 403 with why (Chinese, for staff) as the message and writes
// the refusal to the audit log: the account, "METHOD path" and the region
// of what was refused. Every role refusal of the API goes through here.
func (s *Server) deny(w http.ResponseWriter, r *http.Request, region, why string) {
	acct := staffOf(r)
	s.record(r, fleet.AuditEntry{Action: fleet.AuditDenied, Target: r.Method + " " + r.URL.Path, Region: region,
		Outcome: fleet.OutcomeDenied, Summary: why})
	s.warn.Warn("api-denied:"+acct.Username, "API request refused for the account's role or township",
		"username", acct.Username, "role", acct.Role, "method", r.Method, "path", r.URL.Path)
	s.fail(w, r, &fleet.Error{Code: "forbidden",
		Msg: "forbidden: the account's role or township does not allow this (see docs/FLEET.md, API roles)", Zh: why})
}

// regionScope reads a region filter for the account: empty means the
// operator's township (everything for others); a region the account may
// not see is refused (403, audited) and ok is false.
func (s *Server) regionScope(w http.ResponseWriter, r *http.Request, region string) (string, bool) {
	acct := staffOf(r)
	region = strings.TrimSuffix(strings.TrimSpace(region), "/")
	if region == "" {
		return acct.Scope(), true
	}
	if !acct.CanSee(region) {
		s.deny(w, r, region, "您只能查看本乡镇（"+acct.Township+"）的数据。")
		return "", false
	}
	return region, true
}

// deviceFor loads the device of the path for the account: 404 when
// unknown; 403 (audited) outside an operator's township, or, with act,
// for an account that may not change it.
func (s *Server) deviceFor(w http.ResponseWriter, r *http.Request, act bool) (fleet.Device, bool) {
	d, err := s.cfg.Registry.Device(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return d, false
	}
	acct := staffOf(r)
	if !acct.CanSee(d.Region) {
		s.deny(w, r, d.Region, "该设备不属于您所在的乡镇（"+acct.Township+"），您无权查看或操作。")
		return d, false
	}
	if act && !acct.CanAct(d.Region) {
		s.deny(w, r, d.Region, "只读账号不能修改设备设置或向设备发送指令。")
		return d, false
	}
	return d, true
}

// scheduleRegion is the audit region of a schedule's target.
func scheduleRegion(sc content.Schedule) string { return strings.Join(sc.Target.Regions, ",") }

// mayWriteSchedule is the console's rule (fleet/console mayChange): an
// administrator writes any schedule; an operator only one whose target has
// regions (at least one), all within their township, and no device list.
func mayWriteSchedule(acct fleet.Account, t content.Target) bool {
	return acct.CanActAll(t.Regions) && (acct.Admin() || len(t.Devices) == 0)
}

// schedulesVisible are the schedules the account sees: administrators and
// viewers all; an operator those whose target touches their township (as
// the console's schedule list).
func schedulesVisible(acct fleet.Account, all []content.Schedule) []content.Schedule {
	out := make([]content.Schedule, 0, len(all))
	for _, sc := range all {
		if acct.SeesAny(sc.Target.Regions) {
			out = append(out, sc)
		}
	}
	return out
}

// checkScheduleWrite refuses (403, audited) a schedule the account may
// not write: viewers; an operator's schedule outside their township, or a
// change of a stored schedule that is not only theirs to change.
func (s *Server) checkScheduleWrite(w http.ResponseWriter, r *http.Request, sc content.Schedule) bool {
	acct := staffOf(r)
	if !mayWriteSchedule(acct, sc.Target) {
		s.deny(w, r, scheduleRegion(sc), "只能为本乡镇（"+acct.Township+"）内的区域编排排期：请至少选择一个本乡镇的区域，且不要指定设备列表。")
		return false
	}
	if acct.Admin() {
		return true
	}
	old, exists, err := s.cfg.Library.Schedule(r.Context(), sc.ID)
	if err != nil {
		s.fail(w, r, err)
		return false
	}
	if exists && !mayWriteSchedule(acct, old.Target) {
		s.deny(w, r, scheduleRegion(old), "您无权修改这个排期（它不只针对您所在的乡镇）。")
		return false
	}
	return true
}

// firstAuthorCheck refuses (403, audited) an operator's change of a
// library record (item or programme) whose first version someone else
// wrote; new records and administrators pass. The console's rule for
// items (fleet/console library.go).
func (s *Server) firstAuthorCheck(w http.ResponseWriter, r *http.Request, kind fleet.RecordKind, id string) bool {
	acct := staffOf(r)
	if acct.Admin() {
		return true
	}
	hist, err := s.store.ContentHistory(r.Context(), kind, strings.TrimSpace(id))
	if err != nil {
		s.fail(w, r, err)
		return false
	}
	if len(hist) > 0 && hist[0].Author != acct.Username {
		what := "素材"
		if kind == fleet.RecordProgramme {
			what = "节目"
		}
		s.deny(w, r, acct.Scope(), "编号为“"+id+"”的"+what+"由"+hist[0].Author+"创建，您不能修改；请换一个新编号。")
		return false
	}
	return true
}
