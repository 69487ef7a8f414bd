package api

import (
	"errors"
	"net/http"
	"strings"

	"lawpoint/fleet"
)

// refuseLogin answers a sign-in that the account's state refuses
// (fleet.Registry.Login): a disabled account exactly as a wrong name or
// password (401 用户名或密码错误; only the audit row says it is disabled);
// an account whose password was set by someone else (the first admin of
// init, a new account, a reset) with 403 and a Chinese message to change
// it in the console first, so lawpointctl users know what to do. Both are
// audited as refused sign-ins.
func (s *Server) refuseLogin(w http.ResponseWriter, r *http.Request, user string, err error) {
	e := fleet.AuditEntry{Actor: user, Action: fleet.AuditLogin, Target: user, Outcome: fleet.OutcomeDenied}
	if st, err := s.store.Staff(r.Context(), strings.TrimSpace(user)); err == nil {
		e.Role = st.Role
	}
	if errors.Is(err, fleet.ErrAccountDisabled) {
		e.Summary = viaAPI + "登录被拒绝：账号已停用"
		s.record(r, e)
		s.fail(w, r, fleet.ErrBadCredentials)
		return
	}
	e.Summary = viaAPI + "登录被拒绝：密码须先在管理控制台修改"
	s.record(r, e)
	pc := fleet.ErrPasswordChangeRequired
	writeJSON(w, http.StatusForbidden, ErrorBody{Code: pc.Code, Error: pc.Msg, Message: pc.Zh})
}
