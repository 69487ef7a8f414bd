package console

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"lawpoint/fleet"
)

func init() {
	pageNames = append(pageNames, "password")
}

// mustChangeZh tells an account whose password someone else set why it
// sees only the password page.
const mustChangeZh = "您的密码是初始密码或由管理员重置的密码。为了账号安全，请先设置一个只有您自己知道的新密码，然后才能使用其他功能。"

// accountRoutes registers the password page and the administrators'
// account actions (reset, disable, enable; admin.go).
func (c *Console) accountRoutes() {
	m := c.mux
	m.HandleFunc("GET "+passwordPath, c.signedIn(c.passwordPage))
	m.HandleFunc("POST "+passwordPath, c.signedIn(c.changePassword))
	m.HandleFunc("POST /accounts/reset", c.signedIn(c.resetAccount))
	m.HandleFunc("POST /accounts/disable", c.signedIn(c.disableAccount))
	m.HandleFunc("POST /accounts/enable", c.signedIn(c.enableAccount))
}

type passwordData struct {
	Username   string
	MustChange string // why the account sees only this page; "" when it may go elsewhere
	Rules      string
	Next       string // where to go on after a change ("" for the overview)
	Errors     map[string]string
	Error      string // a problem not tied to a field (too many attempts)
	Done       bool
}

func (c *Console) showPassword(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, d passwordData) {
	d.Username, d.Rules = rc.acct.Username, fleet.PasswordRulesZh
	if rc.mustChange {
		d.MustChange = mustChangeZh
	}
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	if n := safeNext(d.Next); n != "/" && !strings.HasPrefix(n, passwordPath) {
		d.Next = n
	} else {
		d.Next = ""
	}
	c.page(w, r, rc, status, "password", "修改密码", "password", d)
}

// passwordPage shows the form to change one's own password.
func (c *Console) passwordPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	c.showPassword(w, r, rc, http.StatusOK, passwordData{Next: r.URL.Query().Get("next")})
}

// changePassword changes the signed-in account's own password. Wrong
// current passwords count against the account as failed sign-ins do (and
// the same limit refuses more); on success every other session of the
// account and all its API tokens end, this one stays.
func (c *Console) changePassword(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	d := passwordData{Next: r.PostFormValue("next")}
	ip := clientIP(r)
	key := strings.ToLower(rc.acct.Username)
	if !c.addrLimit.allow(ip) || c.acctLimit.blocked(key) {
		c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditAccount, Target: rc.acct.Username, Region: rc.acct.Township,
			Outcome: fleet.OutcomeDenied, Summary: "修改密码尝试过于频繁，已暂时拒绝"})
		wait := max(c.addrLimit.retryAfter(ip), c.acctLimit.retryAfter(key))
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		d.Error = fmt.Sprintf("尝试次数过多，请 %d 分钟后再试。", int(wait.Minutes())+1)
		c.showPassword(w, r, rc, http.StatusTooManyRequests, d)
		return
	}
	err := c.accounts.ChangePassword(r.Context(), rc.acct, rc.token,
		r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("confirm"), ip)
	var fes fleet.FieldErrors
	if errors.As(err, &fes) {
		if errors.Is(err, fleet.ErrWrongPassword) {
			c.acctLimit.allow(key) // count the wrong guess, as at sign-in
		}
		d.Errors = map[string]string{}
		for _, fe := range fes {
			if _, ok := d.Errors[fe.Field]; !ok {
				d.Errors[fe.Field] = fe.Err.Zh
			}
		}
		c.showPassword(w, r, rc, http.StatusBadRequest, d)
		return
	}
	if errors.Is(err, fleet.ErrUnauthorized) {
		c.errorPage(w, r, nil, http.StatusUnauthorized, "请先登录", "未登录或登录已过期，请重新登录后再操作。")
		return
	}
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	rc.mustChange = false
	d.Done = true
	c.showPassword(w, r, rc, http.StatusOK, d)
}
