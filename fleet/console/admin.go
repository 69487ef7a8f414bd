package console

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"lawpoint/fleet"
)

var actionNames = []option{
	{fleet.AuditLogin, "登录"}, {fleet.AuditLogout, "退出"}, {fleet.AuditDenied, "越权访问（已拒绝）"},
	{fleet.AuditCSRF, "缺少校验码（已拒绝）"}, {fleet.AuditCommand, "设备指令"}, {fleet.AuditContent, "内容修改"},
	{fleet.AuditSchedule, "排期"}, {fleet.AuditApprove, "审批"}, {fleet.AuditPublish, "发布"},
	{fleet.AuditNoticeWithdraw, "撤回通知"}, {fleet.AuditAccount, "账号"}, {fleet.AuditDevice, "设备登记"}, {fleet.AuditShowPersonal, "查看个人信息"},
}

var outcomeNames = []option{{fleet.OutcomeOK, "成功"}, {fleet.OutcomeFailed, "失败"}, {fleet.OutcomeDenied, "拒绝"}}

func labelOf(opts []option, v string) string {
	for _, o := range opts {
		if o.Value == v {
			return o.Label
		}
	}
	return v
}

type auditRow struct {
	fleet.AuditEntry
	ActionName, OutcomeName string
}

type auditData struct {
	Filter   map[string]string
	Errors   map[string]string
	Rows     []auditRow
	Actions  []option
	Outcomes []option
	More     string // URL of the next (older) page
}

// auditPage lists the audit log with filters (county administrators).
func (c *Console) auditPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if !rc.acct.Admin() {
		c.deny(w, r, rc, "/audit", "", "只有县级管理员可以查看操作日志。")
		return
	}
	q := r.URL.Query()
	fm := map[string]string{"actor": trimmed(r, "actor"), "action": trimmed(r, "action"), "outcome": trimmed(r, "outcome"),
		"target": trimmed(r, "target"), "from": trimmed(r, "from"), "to": trimmed(r, "to")}
	errs := map[string]string{}
	f := fleet.AuditFilter{Actor: fm["actor"], Action: fm["action"], Outcome: fm["outcome"], Target: fm["target"], Limit: 100}
	day := func(field string) time.Time {
		if fm[field] == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation("2006-01-02", fm[field], shanghai)
		if err != nil {
			errs[field] = "日期格式应为 2026-05-04"
		}
		return t
	}
	f.From = day("from")
	if to := day("to"); !to.IsZero() {
		f.To = to.AddDate(0, 0, 1)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		errs["to"] = "结束日期不能早于开始日期"
	}
	if b := q.Get("before"); b != "" {
		f.Before, _ = strconv.ParseInt(b, 10, 64)
	}
	d := auditData{Filter: fm, Errors: errs, Actions: actionNames, Outcomes: outcomeNames}
	status := http.StatusOK
	if len(errs) == 0 {
		rows, err := c.audit.List(r.Context(), f)
		if err != nil {
			c.internal(w, r, rc, err)
			return
		}
		for _, e := range rows {
			d.Rows = append(d.Rows, auditRow{AuditEntry: e, ActionName: labelOf(actionNames, e.Action), OutcomeName: labelOf(outcomeNames, e.Outcome)})
		}
		if len(rows) == f.Limit {
			nq := url.Values{}
			for k, v := range fm {
				if v != "" {
					nq.Set(k, v)
				}
			}
			nq.Set("before", strconv.FormatInt(rows[len(rows)-1].ID, 10))
			d.More = "/audit?" + nq.Encode()
		}
	} else {
		status = http.StatusBadRequest
	}
	c.page(w, r, rc, status, "audit", "操作日志", "audit", d)
}

// accountRow is one account on the accounts page with its state.
type accountRow struct {
	fleet.Account
	State fleet.AccountState
	Self  bool // the signed-in administrator's own account
}

// accountConfirm is the confirmation step of a reset or a disabling.
type accountConfirm struct {
	Action  string // "reset" or "disable"
	Account accountRow
}

type accountsData struct {
	Accounts []accountRow
	Form     map[string]string
	Errors   map[string]string
	Roles    []option
	Created  *fleet.Account
	Password string // shown once: a new account's or a reset one's
	Reset    string // the account whose password was reset (Password is its new one)
	Confirm  *accountConfirm
	Problem  string // why an action on an account was not done
	Done     string // what an action did
}

func roleOptions() []option {
	var out []option
	for _, r := range fleet.StaffRoles {
		out = append(out, option{string(r), r.Label()})
	}
	return out
}

// accountsPage lists the accounts with the form for a new one; with
// ?confirm=reset|disable&user=NAME it first asks to confirm that action.
func (c *Console) accountsPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if !rc.acct.Admin() {
		c.deny(w, r, rc, "/accounts", "", "只有县级管理员可以管理账号。")
		return
	}
	d := accountsData{Form: map[string]string{"role": string(fleet.StaffOperator)}, Errors: map[string]string{}}
	if action := r.URL.Query().Get("confirm"); action != "" {
		user := r.URL.Query().Get("user")
		if action != "reset" && action != "disable" {
			c.errorPage(w, r, rc, http.StatusNotFound, "页面不存在", "没有这个操作，请从账号管理页进入。")
			return
		}
		if user == rc.acct.Username {
			c.deny(w, r, rc, "/accounts", "", selfActionZh[action])
			return
		}
		a, st, err := c.accounts.Store().AccountWithState(r.Context(), user)
		if errors.Is(err, fleet.ErrNotFound) {
			c.errorPage(w, r, rc, http.StatusNotFound, "账号不存在", "没有这个账号，请从账号管理页进入。")
			return
		}
		if err != nil {
			c.internal(w, r, rc, err)
			return
		}
		d.Confirm = &accountConfirm{Action: action, Account: accountRow{Account: a, State: st}}
	}
	c.showAccounts(w, r, rc, http.StatusOK, d)
}

// selfActionZh says why an administrator may not act on their own account.
var selfActionZh = map[string]string{
	"reset":   "不能在这里重置自己的密码，请在“修改密码”页修改。",
	"disable": "不能停用自己的账号，以免全县无人能管理账号；如确需停用，请另一位县级管理员操作。",
	"enable":  "不能启用自己的账号。",
}

func (c *Console) showAccounts(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, d accountsData) {
	as, err := c.accounts.Store().Accounts(r.Context())
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	states, err := c.accounts.Store().AccountStates(r.Context())
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	d.Accounts = d.Accounts[:0]
	for _, a := range as {
		d.Accounts = append(d.Accounts, accountRow{Account: a, State: states[a.Username], Self: a.Username == rc.acct.Username})
	}
	d.Roles = roleOptions()
	if d.Form == nil {
		d.Form = map[string]string{"role": string(fleet.StaffOperator)}
	}
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	c.page(w, r, rc, status, "accounts", "账号管理", "accounts", d)
}

func (c *Console) createAccount(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if !rc.acct.Admin() {
		c.deny(w, r, rc, "/accounts", "", "只有县级管理员可以创建账号。")
		return
	}
	form := map[string]string{"username": trimmed(r, "username"), "role": trimmed(r, "role"), "township": trimmed(r, "township")}
	d := accountsData{Form: form, Errors: map[string]string{}}
	pw, acct, err := c.accounts.Create(r.Context(), rc.acct, clientIP(r),
		fleet.Account{Username: form["username"], Role: fleet.StaffRole(form["role"]), Township: form["township"]})
	var fe *fleet.FieldError
	if errors.As(err, &fe) {
		d.Errors[fe.Field] = fe.Err.Zh
		c.showAccounts(w, r, rc, http.StatusBadRequest, d)
		return
	}
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	d.Created, d.Password = &acct, pw
	d.Form = map[string]string{"role": string(fleet.StaffOperator)}
	c.showAccounts(w, r, rc, http.StatusOK, d)
}

// accountAction runs an administrator's reset, disable or enable of the
// account named by the form's "user", answering refusals as the rules
// require: not an administrator or their own account 403 (audited), no
// such account 404, the last enabled administrator or an account already
// in that state 409 with the reason on the accounts page.
func (c *Console) accountAction(w http.ResponseWriter, r *http.Request, rc *reqCtx, action string, do func(user string) (accountsData, error)) {
	if !rc.acct.Admin() {
		c.deny(w, r, rc, r.URL.Path, "", "只有县级管理员可以管理账号。")
		return
	}
	user := r.PostFormValue("user")
	if user == rc.acct.Username {
		c.deny(w, r, rc, r.URL.Path, "", selfActionZh[action])
		return
	}
	d, err := do(user)
	var fe *fleet.Error
	switch {
	case err == nil:
		c.showAccounts(w, r, rc, http.StatusOK, d)
	case errors.Is(err, fleet.ErrNotFound):
		c.errorPage(w, r, rc, http.StatusNotFound, "账号不存在", "没有这个账号，请从账号管理页进入。")
	case errors.Is(err, fleet.ErrLastAdmin), errors.Is(err, fleet.ErrConflict):
		errors.As(err, &fe)
		c.showAccounts(w, r, rc, http.StatusConflict, accountsData{Problem: fe.Zh})
	case errors.As(err, &fe) && fe.Code == "forbidden":
		c.deny(w, r, rc, r.URL.Path, "", fe.Zh)
	default:
		c.internal(w, r, rc, err)
	}
}

// resetAccount gives another account a new one-time password, shown once.
func (c *Console) resetAccount(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	c.accountAction(w, r, rc, "reset", func(user string) (accountsData, error) {
		pw, err := c.accounts.ResetPassword(r.Context(), rc.acct, clientIP(r), user)
		return accountsData{Reset: user, Password: pw}, err
	})
}

func (c *Console) disableAccount(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	c.accountAction(w, r, rc, "disable", func(user string) (accountsData, error) {
		err := c.accounts.SetDisabled(r.Context(), rc.acct, clientIP(r), user, true)
		return accountsData{Done: "已停用账号 " + user + "。该账号已无法登录控制台和 API，原有的登录和 API 令牌已全部失效。"}, err
	})
}

func (c *Console) enableAccount(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	c.accountAction(w, r, rc, "enable", func(user string) (accountsData, error) {
		err := c.accounts.SetDisabled(r.Context(), rc.acct, clientIP(r), user, false)
		return accountsData{Done: "已重新启用账号 " + user + "，可以用原密码登录。"}, err
	})
}

// Ticket is what the public status page shows of a queue ticket: nothing
// personal.
type Ticket struct {
	Number   string // as printed, e.g. "A023"
	Category string // the category's Chinese name
	Status   string // in Chinese: 等候中, 已叫号，请到 1 号窗口, 已办结, 已过号
	Ahead    int    // people waiting before it in its category; -1 when not shown
	Point    string // the contact point's name
}

// TicketLookup finds a ticket by what the receipt's QR code carries: the
// kiosk's device ID, its queue day (YYYY-MM-DD) and the number; found=false
// when the fleet does not know it.
type TicketLookup func(r *http.Request, deviceID, day, number string) (t Ticket, found bool, err error)

var (
	ticketDeviceRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{2,63}$`)
	ticketDayRE    = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	ticketNumberRE = regexp.MustCompile(`^[A-Z][0-9]{3,7}$`)
)

type ticketData struct {
	Found  bool
	Ticket Ticket
}

// ticketPage is public: it shows one ticket and nothing else, and reloads
// itself every 30 s (a meta refresh; no script). /t/{ticket} is the older
// form (a ticket UUID the fleet never receives): always "not found".
func (c *Console) ticketPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Robots-Tag", "noindex")
	if !c.ticketLimit.allow(clientIP(r)) {
		w.Header().Set("Retry-After", "60")
		c.render(w, r, http.StatusTooManyRequests, "ticket", &view{Title: "号票查询", Data: ticketData{}, Flash: "查询过于频繁，请稍等一分钟后再试。"})
		return
	}
	dev, day, num := r.PathValue("device"), r.PathValue("day"), r.PathValue("number")
	var d ticketData
	if ticketDeviceRE.MatchString(dev) && ticketDayRE.MatchString(day) && ticketNumberRE.MatchString(num) && c.cfg.Tickets != nil {
		t, found, err := c.cfg.Tickets(r, dev, day, num)
		if err != nil {
			c.log.Warn("ticket lookup failed", "error", err)
		}
		d = ticketData{Found: found && err == nil, Ticket: t}
	}
	status := http.StatusOK
	if !d.Found {
		status = http.StatusNotFound
	}
	c.render(w, r, status, "ticket", &view{Title: "号票查询", Data: d})
}
