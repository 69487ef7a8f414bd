package console

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"

	"lawpoint/fleet"
)

// Cookie names. The console's session cookie is not the API's
// lawpoint_session: the API never accepts it.
const (
	sessionCookie = "lawpoint_console"
	loginCookie   = "lawpoint_login" // double-submit CSRF for the sign-in form
)

// reqCtx is the signed-in request: the account, its cookie token and the
// CSRF token its forms carry.
type reqCtx struct {
	acct  fleet.Account
	token string
	csrf  string
	// mustChange: the account's password was set by someone else; every
	// page but the password page and sign-out sends it there.
	mustChange bool
}

// passwordPath is the page where an account changes its own password.
const passwordPath = "/account/password"

// allowedBeforeChange reports whether an account that must change its
// password may open path: the password page and sign-out only.
func allowedBeforeChange(path string) bool {
	return path == passwordPath || path == "/logout"
}

// csrfFor derives the per-session CSRF token from the session token; only
// a holder of the (HttpOnly) cookie can know it.
func csrfFor(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("lawpoint console csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func (c *Console) secure(r *http.Request) bool { return r.TLS != nil || c.cfg.SecureCookies }

// signedIn runs h for a signed-in account; others are sent to the sign-in
// page. Every request other than GET and HEAD must carry the session's CSRF
// token (form field "csrf" or header X-CSRF-Token), or it is refused with
// 403 and audited. An account whose password was set by someone else is
// sent to the password page from every other page (JSON requests get 403
// with the reason) until it has changed it.
func (c *Console) signedIn(h func(http.ResponseWriter, *http.Request, *reqCtx)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ck, _ := r.Cookie(sessionCookie)
		var token string
		if ck != nil {
			token = ck.Value
		}
		acct, state, _, err := c.accounts.SessionWithState(r.Context(), token)
		if err != nil {
			if !errors.Is(err, fleet.ErrUnauthorized) {
				c.internal(w, r, nil, err)
				return
			}
			if ck != nil {
				c.clearCookie(w, r, sessionCookie, "/")
			}
			if r.Method != http.MethodGet && r.Method != http.MethodHead || isJSONRequest(r) {
				c.errorPage(w, r, nil, http.StatusUnauthorized, "请先登录", "未登录或登录已过期，请重新登录后再操作。")
				return
			}
			next := r.URL.RequestURI()
			http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		rc := &reqCtx{acct: acct, token: token, csrf: csrfFor(token), mustChange: state.MustChange}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			got := r.Header.Get("X-CSRF-Token")
			if got == "" {
				limit := int64(maxForm)
				if r.URL.Path == uploadPath {
					limit = maxUploadBody // the picture upload's multipart body
				}
				r.Body = http.MaxBytesReader(w, r.Body, limit)
				got = r.PostFormValue("csrf")
			}
			if !sameToken(got, rc.csrf) {
				c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditCSRF, Target: r.URL.Path, Outcome: fleet.OutcomeDenied,
					Summary: "表单缺少有效的安全校验码，已拒绝"})
				c.errorPage(w, r, rc, http.StatusForbidden, "请求已拒绝",
					"表单已失效或来源不明（缺少安全校验码）。请刷新页面后重新提交。")
				return
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		if rc.mustChange && !allowedBeforeChange(r.URL.Path) {
			if isJSONRequest(r) {
				c.errorPage(w, r, rc, http.StatusForbidden, "请先修改密码", mustChangeZh)
				return
			}
			to := passwordPath
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				to += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		h(w, r, rc)
	}
}

// maxForm bounds a form body.
const maxForm = 256 << 10

func (c *Console) clearCookie(w http.ResponseWriter, r *http.Request, name, path string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: path, MaxAge: -1, HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteLaxMode})
}

type loginData struct {
	Username string
	Next     string
	Error    string
	Field    string // the field the error belongs to
}

// safeNext keeps a redirect target on this site: a path starting with one
// '/', without backslashes or control characters (browsers drop tabs and
// newlines, so "/\t/evil.example" would become "//evil.example"), that
// parses as a path with no scheme or host.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsRune(next, '\\') {
		return "/"
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f || unicode.IsControl(r) || unicode.IsSpace(r) {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	return next
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		if _, _, err := c.accounts.Session(r.Context(), ck.Value); err == nil {
			http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
			return
		}
	}
	c.renderLogin(w, r, http.StatusOK, loginData{Next: safeNext(r.URL.Query().Get("next"))})
}

// renderLogin shows the sign-in form with a fresh double-submit token.
func (c *Console) renderLogin(w http.ResponseWriter, r *http.Request, status int, d loginData) {
	// Keep a token the browser already holds: a second load of the sign-in
	// page (another tab, or the browser's own request for /favicon.ico
	// redirected here) must not invalidate the form already on screen.
	tok := fleet.NewSecret()
	if ck, err := r.Cookie(loginCookie); err == nil && len(ck.Value) == len(tok) {
		tok = ck.Value
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: tok, Path: "/login", HttpOnly: true, Secure: c.secure(r),
		SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	w.Header().Set("Cache-Control", "no-store")
	c.render(w, r, status, "login", &view{Title: "登录", CSRF: tok, Data: d})
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		c.errorPage(w, r, nil, http.StatusBadRequest, "请求有误", "提交的内容有误，请刷新页面后重试。")
		return
	}
	ip := clientIP(r)
	ck, _ := r.Cookie(loginCookie)
	if ck == nil || !sameToken(r.PostFormValue("csrf"), ck.Value) {
		_ = c.audit.Record(r.Context(), fleet.AuditEntry{Action: fleet.AuditCSRF, Target: "/login", Outcome: fleet.OutcomeDenied,
			Summary: "登录表单缺少有效的安全校验码，已拒绝", Address: ip})
		c.errorPage(w, r, nil, http.StatusForbidden, "请求已拒绝", "登录表单已失效或来源不明（缺少安全校验码）。请刷新登录页后重新登录。")
		return
	}
	user := strings.TrimSpace(r.PostFormValue("username"))
	pw := r.PostFormValue("password")
	d := loginData{Username: user, Next: safeNext(r.PostFormValue("next"))}
	switch {
	case user == "":
		d.Error, d.Field = "请填写用户名", "username"
	case pw == "":
		d.Error, d.Field = "请填写密码", "password"
	case len(user) > 64 || len(pw) > 1024:
		d.Error, d.Field = "用户名或密码过长", "username"
	}
	if d.Error != "" {
		c.renderLogin(w, r, http.StatusBadRequest, d)
		return
	}
	acctKey := strings.ToLower(user)
	if !c.addrLimit.allow(ip) || c.acctLimit.blocked(acctKey) {
		_ = c.audit.Record(r.Context(), fleet.AuditEntry{Actor: user, Action: fleet.AuditLogin, Target: user, Outcome: fleet.OutcomeDenied,
			Summary: "登录尝试过于频繁，已暂时拒绝", Address: ip})
		wait := max(c.addrLimit.retryAfter(ip), c.acctLimit.retryAfter(acctKey))
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		d.Error = fmt.Sprintf("登录尝试次数过多，请 %d 分钟后再试。", int(wait.Minutes())+1)
		c.renderLogin(w, r, http.StatusTooManyRequests, d)
		return
	}
	token, acct, err := c.accounts.SignIn(r.Context(), user, pw)
	if errors.Is(err, fleet.ErrBadCredentials) || errors.Is(err, fleet.ErrAccountDisabled) {
		// A disabled account is answered exactly as a wrong password (and
		// counted alike); only the audit row says why.
		c.acctLimit.allow(acctKey) // count the failure
		e := fleet.AuditEntry{Actor: user, Role: acct.Role, Action: fleet.AuditLogin, Target: user, Region: acct.Township,
			Outcome: fleet.OutcomeFailed, Summary: "登录失败：用户名或密码错误", Address: ip}
		if errors.Is(err, fleet.ErrAccountDisabled) {
			e.Outcome, e.Summary = fleet.OutcomeDenied, "登录被拒绝：账号已停用"
		}
		_ = c.audit.Record(r.Context(), e)
		d.Error, d.Field = "用户名或密码错误", "password"
		c.renderLogin(w, r, http.StatusUnauthorized, d)
		return
	}
	if err != nil {
		c.internal(w, r, nil, err)
		return
	}
	if acct.Role == fleet.StaffOperator && acct.Township == "" {
		_ = c.accounts.SignOut(r.Context(), token)
		d.Error = "该乡镇操作员账号尚未指定所属乡镇，请联系县级管理员。"
		c.renderLogin(w, r, http.StatusForbidden, d)
		return
	}
	_ = c.audit.Record(r.Context(), fleet.AuditEntry{Actor: acct.Username, Role: acct.Role, Action: fleet.AuditLogin, Target: acct.Username,
		Region: acct.Township, Outcome: fleet.OutcomeOK, Summary: "登录成功", Address: ip})
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteLaxMode})
	c.clearCookie(w, r, loginCookie, "/login")
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if err := c.accounts.SignOut(r.Context(), rc.token); err != nil {
		c.internal(w, r, rc, err)
		return
	}
	c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditLogout, Target: rc.acct.Username, Summary: "退出登录"})
	c.clearCookie(w, r, sessionCookie, "/")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// limiter allows n events per key per window, each key's window starting
// at its first event.
type limiter struct {
	n      int
	window time.Duration
	now    func() time.Time
	mu     sync.Mutex
	keys   map[string]*window
}

type window struct {
	start time.Time
	n     int
}

func newLimiter(n int, w time.Duration, now func() time.Time) *limiter {
	return &limiter{n: n, window: w, now: now, keys: map[string]*window{}}
}

func (l *limiter) get(key string, create bool) *window {
	now := l.now()
	w := l.keys[key]
	if w != nil && now.Sub(w.start) >= l.window {
		delete(l.keys, key)
		w = nil
	}
	if w == nil && create {
		if len(l.keys) > 100_000 {
			for k, v := range l.keys {
				if now.Sub(v.start) >= l.window {
					delete(l.keys, k)
				}
			}
		}
		w = &window{start: now}
		l.keys[key] = w
	}
	return w
}

// allow counts an event and reports whether it is within the limit.
func (l *limiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.get(key, true)
	w.n++
	return w.n <= l.n
}

// blocked reports whether key has used up its events, without counting.
func (l *limiter) blocked(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.get(key, false)
	return w != nil && w.n >= l.n
}

// retryAfter is how long until key's window ends (0 if it has none).
func (l *limiter) retryAfter(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.get(key, false)
	if w == nil || w.n < l.n {
		return 0
	}
	return l.window - l.now().Sub(w.start)
}
