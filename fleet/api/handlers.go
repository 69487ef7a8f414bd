package api

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"lawpoint/content"
	"lawpoint/device/wire"
	"lawpoint/fleet"
)

// LoginRequest is the body of POST /api/login.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	// TTLHours is how long the token lasts (default 12, at most 2160).
	TTLHours int `json:"ttl_hours,omitempty"`
}

// LoginResponse is the answer of POST /api/login.
type LoginResponse struct {
	Token    string    `json:"token"`
	Expires  time.Time `json:"expires"`
	Username string    `json:"username"`
	Role     string    `json:"role"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req LoginRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	// Sign-ins are audited as the console's: refused by the limit
	// (denied), wrong name or password (failed), signed in (ok).
	user := clipName(strings.TrimSpace(req.Username))
	if !s.loginLimit.allow("ip:"+clientIP(r)) || !s.loginLimit.allow("user:"+req.Username) {
		s.record(r, fleet.AuditEntry{Actor: user, Action: fleet.AuditLogin, Target: user, Outcome: fleet.OutcomeDenied,
			Summary: viaAPI + "登录尝试过于频繁，已暂时拒绝"})
		s.fail(w, r, fleet.ErrTooMany)
		return
	}
	tok, exp, err := s.cfg.Registry.Login(r.Context(), req.Username, req.Password, time.Duration(req.TTLHours)*time.Hour)
	if errors.Is(err, fleet.ErrAccountDisabled) || errors.Is(err, fleet.ErrPasswordChangeRequired) {
		s.refuseLogin(w, r, user, err) // login_state.go
		return
	}
	if errors.Is(err, fleet.ErrBadCredentials) {
		e := fleet.AuditEntry{Actor: user, Action: fleet.AuditLogin, Target: user, Outcome: fleet.OutcomeFailed,
			Summary: viaAPI + "登录失败：用户名或密码错误"}
		if st, err := s.store.Staff(r.Context(), strings.TrimSpace(req.Username)); err == nil {
			e.Role = st.Role
		}
		s.record(r, e)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := s.cfg.Registry.SessionStaff(r.Context(), tok)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	township := ""
	if as, ok := s.store.(accountStore); ok {
		if a, err := as.Account(r.Context(), st.Username); err == nil {
			township = a.Township
		}
	}
	s.record(r, fleet.AuditEntry{Actor: st.Username, Role: st.Role, Action: fleet.AuditLogin, Target: st.Username, Region: township,
		Outcome: fleet.OutcomeOK, Summary: viaAPI + "登录成功"})
	s.log.Info("staff signed in", "username", st.Username)
	writeJSON(w, http.StatusOK, LoginResponse{Token: tok, Expires: exp, Username: st.Username, Role: string(st.Role)})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	tok, _ := cutBearer(r)
	if err := s.cfg.Registry.Logout(r.Context(), tok); err != nil {
		s.fail(w, r, err)
		return
	}
	s.record(r, fleet.AuditEntry{Action: fleet.AuditLogout, Target: staffOf(r).Username, Summary: viaAPI + "退出登录"})
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func cutBearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && h[:7] == "Bearer " {
		return h[7:], true
	}
	return "", false
}

// DeviceView is a device as the API shows it.
type DeviceView struct {
	ID           string         `json:"id"`
	Kind         string         `json:"kind"`
	Model        string         `json:"model,omitempty"`
	Region       string         `json:"region"`
	Tags         []string       `json:"tags,omitempty"`
	ContactPoint string         `json:"contact_point,omitempty"`
	Board        *fleet.Board   `json:"board,omitempty"`
	Created      time.Time      `json:"created"`
	Revoked      *time.Time     `json:"revoked,omitempty"`
	Online       bool           `json:"online"`
	LastSeen     *time.Time     `json:"last_seen,omitempty"`
	Rollout      *fleet.Rollout `json:"rollout,omitempty"`
}

func view(d fleet.Device) DeviceView {
	v := DeviceView{ID: d.ID, Kind: string(d.Kind), Model: d.Model, Region: d.Region, Tags: d.Tags, ContactPoint: d.ContactPoint, Created: d.Created}
	if !d.Board.IsZero() {
		b := d.Board
		v.Board = &b
	}
	if d.IsRevoked() {
		t := d.Revoked
		v.Revoked = &t
	}
	return v
}

func (s *Server) listDevices(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	region, ok := s.regionScope(w, r, q.Get("region"))
	if !ok {
		return
	}
	devs, err := s.cfg.Registry.Devices(r.Context(), fleet.Filter{Region: region, Kind: fleet.Kind(q.Get("kind")),
		Tag: q.Get("tag"), After: q.Get("after"), Limit: limit, IncludeRevoked: q.Get("revoked") == "1"})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pres, err := s.presenceMap(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]DeviceView, 0, len(devs))
	for _, d := range devs {
		v := view(d)
		if p, ok := pres[d.ID]; ok {
			v.Online = p.Online
			if !p.LastSeen.IsZero() {
				t := p.LastSeen
				v.LastSeen = &t
			}
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"devices": out})
}

func (s *Server) presenceMap(r *http.Request) (map[string]fleet.Presence, error) {
	ps, err := s.store.Presences(r.Context())
	if err != nil {
		return nil, err
	}
	m := make(map[string]fleet.Presence, len(ps))
	for _, p := range ps {
		m[p.DeviceID] = p
	}
	return m, nil
}

// CreateDeviceRequest is the body of POST /api/devices.
type CreateDeviceRequest struct {
	ID           string   `json:"id"`
	Kind         string   `json:"kind"`
	Model        string   `json:"model,omitempty"`
	Region       string   `json:"region"`
	Tags         []string `json:"tags,omitempty"`
	ContactPoint string   `json:"contact_point,omitempty"`
	// Board is an LED board's controller, size and colours (what the
	// console previews messages for).
	Board *fleet.Board `json:"board,omitempty"`
	// TokenTTLHours is how long the enrolment token lasts (default 168).
	TokenTTLHours int `json:"token_ttl_hours,omitempty"`
}

// EnrolmentToken is a one-time token, shown once.
type EnrolmentToken struct {
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
}

// CreateDeviceResponse is the answer of POST /api/devices.
type CreateDeviceResponse struct {
	Device    DeviceView     `json:"device"`
	Enrolment EnrolmentToken `json:"enrolment"`
}

func (s *Server) createDevice(w http.ResponseWriter, r *http.Request) {
	var req CreateDeviceRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	ttl := time.Duration(req.TokenTTLHours) * time.Hour
	if ttl > fleet.MaxTokenTTL || req.TokenTTLHours < 0 {
		s.fail(w, r, &fleet.FieldError{Field: "token_ttl_hours", Err: &fleet.Error{Code: "invalid", Msg: "invalid input: token_ttl_hours must be 1 to 2160", Zh: "注册码有效期须在1到2160小时之间"}})
		return
	}
	dev := fleet.Device{ID: req.ID, Kind: fleet.Kind(req.Kind), Model: req.Model,
		Region: req.Region, Tags: req.Tags, ContactPoint: req.ContactPoint}
	if req.Board != nil {
		dev.Board = *req.Board
	}
	d, err := s.cfg.Registry.CreateDevice(r.Context(), dev)
	if err != nil {
		s.fail(w, r, withField(err, r, req))
		return
	}
	tok, exp, err := s.cfg.Registry.CreateToken(r.Context(), d.ID, ttl)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.record(r, fleet.AuditEntry{Action: fleet.AuditDevice, Target: d.ID, Region: d.Region,
		Summary: fmt.Sprintf("%s登记设备 %s（%s），并生成注册码（有效至 %s）", viaAPI, d.ID, d.Kind.Label(), beijing(exp)),
		After:   auditJSON(view(d))})
	s.log.Info("device created", "device", d.ID, "by", staffOf(r).Username)
	if s.cfg.Distributor != nil {
		s.cfg.Distributor.Trigger()
	}
	writeJSON(w, http.StatusCreated, CreateDeviceResponse{Device: view(d), Enrolment: EnrolmentToken{Token: tok, Expires: exp}})
}

// withField names the field of a registry validation error.
func withField(err error, _ *http.Request, req CreateDeviceRequest) error {
	var (
		e  *fleet.Error
		fe *fleet.FieldError
	)
	if errors.As(err, &fe) || !errors.As(err, &e) || e.Code != "invalid" {
		return err
	}
	field := ""
	switch {
	case fleet.ValidateDeviceID(req.ID) != nil:
		field = "id"
	case !fleet.Kind(req.Kind).Valid():
		field = "kind"
	default:
		if _, rerr := fleet.NormalizeRegion(req.Region); rerr != nil {
			field = "region"
		} else if _, terr := fleet.NormalizeTags(req.Tags); terr != nil {
			field = "tags"
		} else {
			field = "model"
		}
	}
	return &fleet.FieldError{Field: field, Err: e}
}

// DeviceDetail is the answer of GET /api/devices/{id}.
type DeviceDetail struct {
	DeviceView
	Session   uint64          `json:"session,omitempty"`
	Settings  wire.Settings   `json:"settings"`
	Reported  *wire.Reported  `json:"reported,omitempty"`
	Commands  []CommandView   `json:"commands"`
	Telemetry json.RawMessage `json:"telemetry,omitempty"`
}

func (s *Server) showDevice(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	d, ok := s.deviceFor(w, r, false)
	if !ok {
		return
	}
	out := DeviceDetail{DeviceView: view(d), Settings: fleet.DefaultSettings}
	if p, err := s.store.Presence(r.Context(), id); err == nil {
		out.Online, out.Session = p.Online, p.Session
		if !p.LastSeen.IsZero() {
			out.LastSeen = &p.LastSeen
		}
	}
	st, err := s.store.State(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ro := fleet.RolloutOf(st)
	out.Rollout, out.Reported = &ro, st.Reported
	if st.Settings != nil {
		out.Settings = *st.Settings
	}
	cs, err := s.store.Commands(r.Context(), id, 20)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out.Commands = commandViews(cs)
	if ts, err := s.store.Telemetry(r.Context(), id, 1); err == nil && len(ts) > 0 {
		out.Telemetry = ts[0].Sample
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) newToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		TokenTTLHours int `json:"token_ttl_hours,omitempty"`
	}
	if r.ContentLength != 0 {
		if !s.readJSON(w, r, &req) {
			return
		}
	}
	d, err := s.cfg.Registry.Device(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tok, exp, err := s.cfg.Registry.CreateToken(r.Context(), d.ID, time.Duration(req.TokenTTLHours)*time.Hour)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.record(r, fleet.AuditEntry{Action: fleet.AuditDevice, Target: d.ID, Region: d.Region,
		Summary: fmt.Sprintf("%s为设备 %s 生成新的注册码（有效至 %s）", viaAPI, d.ID, beijing(exp))})
	writeJSON(w, http.StatusCreated, EnrolmentToken{Token: tok, Expires: exp})
}

func (s *Server) revokeDevice(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	d, err := s.cfg.Registry.Device(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.cfg.Registry.Revoke(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.record(r, fleet.AuditEntry{Action: fleet.AuditDevice, Target: d.ID, Region: d.Region,
		Summary: fmt.Sprintf("%s停用设备 %s（%s）：其密码和未用的注册码作废", viaAPI, d.ID, d.Kind.Label()),
		Before:  fmt.Sprintf("revoked=%t", d.IsRevoked()), After: "revoked=true"})
	s.log.Info("device revoked", "device", id, "by", staffOf(r).Username)
	writeJSON(w, http.StatusOK, map[string]string{"status": "revoked"})
}

func (s *Server) putSettings(w http.ResponseWriter, r *http.Request) {
	d, ok := s.deviceFor(w, r, true)
	if !ok {
		return
	}
	var set wire.Settings
	if !s.readJSON(w, r, &set) {
		return
	}
	before := fleet.DefaultSettings
	if st, err := s.store.State(r.Context(), d.ID); err == nil && st.Settings != nil {
		before = *st.Settings
	}
	if err := s.cfg.Distributor.SetSettings(r.Context(), d.ID, &set); err != nil {
		s.fail(w, r, err)
		return
	}
	s.record(r, fleet.AuditEntry{Action: fleet.AuditDevice, Target: d.ID, Region: d.Region,
		Summary: fmt.Sprintf("%s修改设备 %s 的设置（亮度 %d%%，音量 %d%%）", viaAPI, d.ID, set.Brightness, set.Volume),
		Before:  auditJSON(before), After: auditJSON(set)})
	writeJSON(w, http.StatusOK, set)
}

// putBoard registers, changes or (with {}) clears an LED board's
// controller, size and colours: what the console previews messages for.
func (s *Server) putBoard(w http.ResponseWriter, r *http.Request) {
	old, ok := s.deviceFor(w, r, true)
	if !ok {
		return
	}
	var b fleet.Board
	if !s.readJSON(w, r, &b) {
		return
	}
	d, err := s.cfg.Registry.SetBoard(r.Context(), r.PathValue("id"), b)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	summary := viaAPI + "登记LED屏参数：" + d.Board.String()
	if d.Board.IsZero() {
		summary = viaAPI + "清除LED屏参数登记"
	}
	s.record(r, fleet.AuditEntry{Action: fleet.AuditDevice, Target: d.ID, Region: d.Region, Summary: summary,
		Before: old.Board.String(), After: d.Board.String()})
	s.log.Info("device board set", "device", d.ID, "board", d.Board.String(), "by", staffOf(r).Username)
	writeJSON(w, http.StatusOK, view(d))
}

// EnrolRequest is the body of POST /api/enrol.
type EnrolRequest struct {
	Token string `json:"token"`
}

// EnrolResponse is what a device receives once for its token.
type EnrolResponse struct {
	DeviceID  string `json:"device_id"`
	Kind      string `json:"kind"`
	Region    string `json:"region"`
	Username  string `json:"username"`
	Password  string `json:"password"`
	MQTTURL   string `json:"mqtt_url,omitempty"`
	PublicKey string `json:"public_key"`
}

func (s *Server) enrol(w http.ResponseWriter, r *http.Request) {
	if !s.enrolLimit.allow("enrol:" + clientIP(r)) {
		s.fail(w, r, fleet.ErrTooMany)
		return
	}
	var req EnrolRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	e, err := s.cfg.Registry.Enrol(r.Context(), req.Token)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("device enrolled", "device", e.Device.ID)
	if s.cfg.Distributor != nil {
		s.cfg.Distributor.Trigger()
	}
	writeJSON(w, http.StatusOK, EnrolResponse{DeviceID: e.Device.ID, Kind: string(e.Device.Kind), Region: e.Device.Region,
		Username: e.Username, Password: e.Password, MQTTURL: s.cfg.MQTTURL, PublicKey: s.cfg.PublicKey})
}

// CommandView is a command as the API shows it.
type CommandView struct {
	ID         string            `json:"id"`
	DeviceID   string            `json:"device_id"`
	Kind       string            `json:"kind"`
	Args       json.RawMessage   `json:"args,omitempty"`
	Issued     time.Time         `json:"issued_at"`
	Deadline   time.Time         `json:"deadline"`
	State      string            `json:"state"`
	Sends      int               `json:"sends"`
	Result     *wire.Result      `json:"result,omitempty"`
	ResultAt   *time.Time        `json:"result_at,omitempty"`
	Late       bool              `json:"late,omitempty"`
	Screenshot string            `json:"screenshot,omitempty"` // download path of the picture
	CreatedBy  string            `json:"created_by,omitempty"`
	Extra      map[string]string `json:"extra,omitempty"`
}

func commandView(c fleet.Command) CommandView {
	v := CommandView{ID: c.ID, DeviceID: c.DeviceID, Kind: string(c.Kind), Args: c.Args, Issued: c.Issued, Deadline: c.Deadline,
		State: string(c.State), Sends: c.Sends, Result: c.Result, Late: c.Late, CreatedBy: c.CreatedBy}
	if !c.ResultAt.IsZero() {
		t := c.ResultAt
		v.ResultAt = &t
	}
	if c.Screenshot != "" {
		v.Screenshot = fleet.ScreenshotPath(c.DeviceID, c.ID)
	}
	return v
}

func commandViews(cs []fleet.Command) []CommandView {
	out := make([]CommandView, 0, len(cs))
	for _, c := range cs {
		out = append(out, commandView(c))
	}
	return out
}

// CommandRequest is the body of POST /api/devices/{id}/commands.
type CommandRequest struct {
	Kind string          `json:"kind"`
	Args json.RawMessage `json:"args,omitempty"`
	// DeadlineSeconds is how long the command may wait for the device
	// (default 3600, at most 30 days).
	DeadlineSeconds int `json:"deadline_s,omitempty"`
}

func (s *Server) createCommand(w http.ResponseWriter, r *http.Request) {
	d, ok := s.deviceFor(w, r, true)
	if !ok {
		return
	}
	var req CommandRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	id := r.PathValue("id")
	c, err := s.cfg.Dispatcher.Create(r.Context(), staffOf(r).Username, id, wire.CommandKind(req.Kind), req.Args,
		time.Duration(req.DeadlineSeconds)*time.Second)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.record(r, fleet.AuditEntry{Action: fleet.AuditCommand, Target: d.ID, Region: d.Region,
		Summary: viaAPI + "发送指令：" + commandName(c.Kind), After: strings.TrimSpace(string(c.Kind) + " " + string(c.Args) + " id=" + c.ID)})
	s.log.Info("command created", "device", id, "command", c.ID, "kind", c.Kind, "by", staffOf(r).Username)
	writeJSON(w, http.StatusCreated, commandView(c))
}

func (s *Server) listCommands(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, ok := s.deviceFor(w, r, false); !ok {
		return
	}
	cs, err := s.store.Commands(r.Context(), id, 100)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"commands": commandViews(cs)})
}

func (s *Server) showCommand(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.deviceFor(w, r, false); !ok {
		return
	}
	c, err := s.store.Command(r.Context(), r.PathValue("cmd"))
	if err == nil && c.DeviceID != r.PathValue("id") {
		err = fleet.ErrNotFound
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, commandView(c))
}

// MaxScreenshot bounds an uploaded screenshot.
const MaxScreenshot = 16 << 20

func (s *Server) uploadScreenshot(w http.ResponseWriter, r *http.Request) {
	user, err := s.device(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id, cmdID := r.PathValue("id"), r.PathValue("cmd")
	if user != id {
		s.fail(w, r, &fleet.Error{Code: "forbidden", Msg: "a device may upload only its own screenshots", Zh: "设备只能上传自己的截图"})
		return
	}
	c, err := s.store.Command(r.Context(), cmdID)
	if err != nil || c.DeviceID != id || c.Kind != wire.CmdScreenshot {
		s.fail(w, r, fmt.Errorf("screenshot command %s of %s: %w", cmdID, id, fleet.ErrNotFound))
		return
	}
	blobs := s.cfg.Library.Blobs()
	sum, _, err := blobs.Put(r.Body, MaxScreenshot, r.Header.Get("X-Content-SHA256"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := blobs.Open(sum)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	_, perr := png.DecodeConfig(f)
	f.Close()
	if perr != nil {
		s.fail(w, r, &fleet.FieldError{Field: "body", Err: &fleet.Error{Code: "invalid", Msg: "invalid input: a screenshot must be a PNG", Zh: "截图须为 PNG 图片"}})
		return
	}
	if err := s.store.AttachScreenshot(r.Context(), id, cmdID, sum); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"sha256": sum})
}

func (s *Server) showScreenshot(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.deviceFor(w, r, false); !ok {
		return
	}
	c, err := s.store.Command(r.Context(), r.PathValue("cmd"))
	if err != nil || c.DeviceID != r.PathValue("id") || c.Screenshot == "" {
		s.fail(w, r, fmt.Errorf("screenshot: %w", fleet.ErrNotFound))
		return
	}
	f, err := s.cfg.Library.Blobs().Open(c.Screenshot)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("ETag", `"`+c.Screenshot+`"`)
	http.ServeContent(w, r, "", time.Time{}, f)
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.deviceFor(w, r, false); !ok {
		return
	}
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	es, err := s.store.Events(r.Context(), r.PathValue("id"), after, 500)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	type ev struct {
		Seq      int64           `json:"seq"`
		Key      string          `json:"key"`
		Type     string          `json:"type"`
		Event    json.RawMessage `json:"event"`
		Received time.Time       `json:"received"`
	}
	out := make([]ev, 0, len(es))
	for _, e := range es {
		out = append(out, ev{e.Seq, e.Key, e.Type, e.Payload, e.Received})
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": out})
}

func (s *Server) listTelemetry(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.deviceFor(w, r, false); !ok {
		return
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	ts, err := s.store.Telemetry(r.Context(), r.PathValue("id"), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]json.RawMessage, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.Sample)
	}
	writeJSON(w, http.StatusOK, map[string]any{"samples": out})
}

// ContentView is the answer of GET /api/content.
type ContentView struct {
	Revision   int64               `json:"revision"`
	Items      []content.Item      `json:"items"`
	Programmes []content.Programme `json:"programmes"`
	Fallbacks  map[string]string   `json:"fallbacks,omitempty"`
}

func (s *Server) listContent(w http.ResponseWriter, r *http.Request) {
	set, rev, err := s.cfg.Library.Set(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ContentView{Revision: rev, Items: set.Items, Programmes: set.Programmes, Fallbacks: set.Fallbacks})
}

// ContentRequest is the body of POST /api/content: items, programmes and
// fallbacks to add or replace, applied in that order, each checked
// against the whole content set before it is stored.
type ContentRequest struct {
	Items      []content.Item      `json:"items,omitempty"`
	Programmes []content.Programme `json:"programmes,omitempty"`
	Fallbacks  map[string]string   `json:"fallbacks,omitempty"`
}

func (s *Server) addContent(w http.ResponseWriter, r *http.Request) {
	var req ContentRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	if len(req.Items)+len(req.Programmes)+len(req.Fallbacks) == 0 {
		s.fail(w, r, &fleet.FieldError{Field: "items", Err: &fleet.Error{Code: "invalid", Msg: "invalid input: give items, programmes or fallbacks", Zh: "请至少提交一条素材、节目或默认节目"}})
		return
	}
	// A township operator adds new items and programmes and changes only
	// those whose first version they wrote (the console's rule); the
	// county's fallbacks are the administrators'. All is checked before
	// anything is stored.
	if acct := staffOf(r); !acct.Admin() {
		if len(req.Fallbacks) > 0 {
			s.deny(w, r, acct.Scope(), "只有县级管理员可以设置默认节目。")
			return
		}
		for _, it := range req.Items {
			if !s.firstAuthorCheck(w, r, fleet.RecordItem, it.ID) {
				return
			}
		}
		for _, p := range req.Programmes {
			if !s.firstAuthorCheck(w, r, fleet.RecordProgramme, p.ID) {
				return
			}
		}
	}
	kinds := make([]string, 0, len(req.Fallbacks))
	for k := range req.Fallbacks {
		if !slices.Contains(content.DeviceKinds, k) {
			s.fail(w, r, &fleet.FieldError{Field: "fallbacks." + k, Err: &fleet.Error{Code: "invalid", Msg: "invalid input: fallbacks are per device kind: kiosk or led", Zh: "默认节目须按设备类型（kiosk 或 led）设置"}})
			return
		}
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	who := staffOf(r).Username
	set, _, err := s.cfg.Library.Set(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// One audit row for the request, with what it stored before any
	// failure: a request is stored record by record.
	ch := contentChange{set: set}
	var items []content.Item
	for i, it := range req.Items {
		stored, err := s.cfg.Library.PutItem(r.Context(), who, it)
		if err != nil {
			s.recordContent(r, ch, err)
			s.fail(w, r, prefixField(err, fmt.Sprintf("items[%d]", i)))
			return
		}
		ch.item(stored)
		items = append(items, stored)
	}
	for i, p := range req.Programmes {
		if err := s.cfg.Library.PutProgramme(r.Context(), who, p); err != nil {
			s.recordContent(r, ch, err)
			s.fail(w, r, prefixField(err, fmt.Sprintf("programmes[%d]", i)))
			return
		}
		ch.programme(p)
	}
	for _, k := range kinds {
		if err := s.cfg.Library.SetFallback(r.Context(), who, k, req.Fallbacks[k]); err != nil {
			s.recordContent(r, ch, err)
			s.fail(w, r, prefixField(err, "fallbacks."+k))
			return
		}
		ch.fallback(k, req.Fallbacks[k])
	}
	s.recordContent(r, ch, nil)
	s.log.Info("content changed", "items", len(req.Items), "programmes", len(req.Programmes), "by", who)
	writeJSON(w, http.StatusCreated, map[string]any{"items": items})
}

// contentChange is what one POST /api/content stored, for its audit row:
// the targets and summary parts in request order, and the records before
// and after.
type contentChange struct {
	set           *content.Set // before the request
	targets       []string
	parts         []string
	before, after contentAuditText
}

// contentAuditText is the before or after text of a content row.
type contentAuditText struct {
	Items      []content.Item      `json:"items,omitempty"`
	Programmes []content.Programme `json:"programmes,omitempty"`
	Fallbacks  map[string]string   `json:"fallbacks,omitempty"`
}

func (ch *contentChange) item(it content.Item) {
	ch.targets = append(ch.targets, it.ID)
	i := slices.IndexFunc(ch.set.Items, func(x content.Item) bool { return x.ID == it.ID })
	switch {
	case i >= 0 && ch.set.Items[i].Version == it.Version:
		ch.parts = append(ch.parts, fmt.Sprintf("素材 %s（第%d版，未变化）", it.ID, it.Version))
		return
	case i >= 0:
		ch.before.Items = append(ch.before.Items, ch.set.Items[i])
		ch.parts = append(ch.parts, fmt.Sprintf("修改素材 %s（第%d版）", it.ID, it.Version))
	default:
		ch.parts = append(ch.parts, fmt.Sprintf("新建素材 %s（第%d版）", it.ID, it.Version))
	}
	ch.after.Items = append(ch.after.Items, it)
}

func (ch *contentChange) programme(p content.Programme) {
	ch.targets = append(ch.targets, p.ID)
	i := slices.IndexFunc(ch.set.Programmes, func(x content.Programme) bool { return x.ID == p.ID })
	switch {
	case i >= 0 && auditJSON(ch.set.Programmes[i]) == auditJSON(p):
		ch.parts = append(ch.parts, fmt.Sprintf("节目 %s（未变化）", p.ID))
		return
	case i >= 0:
		ch.before.Programmes = append(ch.before.Programmes, ch.set.Programmes[i])
		ch.parts = append(ch.parts, fmt.Sprintf("修改节目 %s（%d 条）", p.ID, len(p.Entries)))
	default:
		ch.parts = append(ch.parts, fmt.Sprintf("新建节目 %s（%d 条）", p.ID, len(p.Entries)))
	}
	ch.after.Programmes = append(ch.after.Programmes, p)
}

func (ch *contentChange) fallback(kind, programme string) {
	ch.targets = append(ch.targets, "fallback "+kind)
	old := ch.set.Fallbacks[kind]
	if old != "" {
		if ch.before.Fallbacks == nil {
			ch.before.Fallbacks = map[string]string{}
		}
		ch.before.Fallbacks[kind] = old
	}
	if ch.after.Fallbacks == nil {
		ch.after.Fallbacks = map[string]string{}
	}
	ch.after.Fallbacks[kind] = programme
	switch {
	case old == programme:
		ch.parts = append(ch.parts, fmt.Sprintf("%s的默认节目（%s，未变化）", fleet.Kind(kind).Label(), cmp.Or(programme, "无")))
	case programme == "":
		ch.parts = append(ch.parts, fmt.Sprintf("清除%s的默认节目", fleet.Kind(kind).Label()))
	default:
		ch.parts = append(ch.parts, fmt.Sprintf("%s的默认节目设为 %s", fleet.Kind(kind).Label(), programme))
	}
}

// recordContent writes the audit row of a content request: ok when all of
// it is stored; failed, with what was stored before err, when a later
// record was refused (nothing stored: no row).
func (s *Server) recordContent(r *http.Request, ch contentChange, err error) {
	if len(ch.targets) == 0 {
		return
	}
	e := fleet.AuditEntry{Action: fleet.AuditContent, Target: strings.Join(ch.targets, ","), Region: staffOf(r).Scope(),
		Summary: viaAPI + "保存内容：" + strings.Join(ch.parts, "；")}
	if err != nil {
		e.Outcome = fleet.OutcomeFailed
		e.Summary = viaAPI + "保存内容，只保存了前一部分（" + strings.Join(ch.parts, "；") + "），其余未保存：" + fleet.StaffMessage(err)
	}
	if ch.before.Items != nil || ch.before.Programmes != nil || ch.before.Fallbacks != nil {
		e.Before = auditJSON(ch.before)
	}
	if ch.after.Items != nil || ch.after.Programmes != nil || ch.after.Fallbacks != nil {
		e.After = auditJSON(ch.after)
	}
	s.record(r, e)
}

// prefixField puts a request-level prefix on a FieldError's field.
func prefixField(err error, prefix string) error {
	var fe *fleet.FieldError
	if errors.As(err, &fe) {
		return &fleet.FieldError{Field: prefix + "." + fe.Field, Err: fe.Err}
	}
	return err
}

func (s *Server) uploadBlob(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > fleet.MaxUpload {
		s.fail(w, r, &fleet.Error{Code: "too_large", Msg: fmt.Sprintf("upload of %d bytes is over the %d-byte limit", r.ContentLength, fleet.MaxUpload), Zh: "上传的文件过大（上限64 MB）"})
		return
	}
	want := r.Header.Get("X-Content-SHA256")
	if want == "" {
		want = r.URL.Query().Get("sha256")
	}
	sum, size, err := s.cfg.Library.Blobs().Put(r.Body, fleet.MaxUpload, want)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.record(r, fleet.AuditEntry{Action: fleet.AuditContent, Target: sum, Region: staffOf(r).Scope(),
		Summary: fmt.Sprintf("%s上传文件（%d 字节，SHA-256 %s）", viaAPI, size, sum)})
	writeJSON(w, http.StatusCreated, map[string]any{"sha256": sum, "size": size})
}

func (s *Server) listSchedules(w http.ResponseWriter, r *http.Request) {
	set, rev, err := s.cfg.Library.Set(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"revision": rev, "schedules": schedulesVisible(staffOf(r), set.Schedules)})
}

// CheckResponse is the answer of schedule checks and additions. A township
// operator's addition is not stored but kept as a draft for a county
// administrator to approve (202 Accepted, DraftID set, Stored false).
type CheckResponse struct {
	Schedule  content.Schedule   `json:"schedule"`
	Stored    bool               `json:"stored"`
	DraftID   int64              `json:"draft_id,omitempty"`
	Problems  []ProblemBody      `json:"problems,omitempty"`
	Conflicts []content.Conflict `json:"conflicts"`
}

// readSchedule reads and validates the schedule in the body and checks the
// account may write it (checkScheduleWrite); ok is false when it has
// answered.
func (s *Server) readSchedule(w http.ResponseWriter, r *http.Request) (sc content.Schedule, ok bool) {
	if !s.readJSON(w, r, &sc) {
		return sc, false
	}
	if err := sc.Validate(); err != nil {
		s.fail(w, r, err)
		return sc, false
	}
	return sc, s.checkScheduleWrite(w, r, sc)
}

// checkResponse is the answer about sc with its check's conflicts (an
// empty list, never null, when there are none).
func checkResponse(sc content.Schedule, rep content.Report) CheckResponse {
	out := CheckResponse{Schedule: sc, Conflicts: rep.Conflicts}
	if out.Conflicts == nil {
		out.Conflicts = []content.Conflict{}
	}
	return out
}

func (s *Server) checkSchedule(w http.ResponseWriter, r *http.Request) {
	sc, ok := s.readSchedule(w, r)
	if !ok {
		return
	}
	rep, err := s.cfg.Library.CheckSchedule(r.Context(), sc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := checkResponse(sc, rep)
	for _, p := range rep.Problems {
		out.Problems = append(out.Problems, ProblemBody{Field: p.Field, Error: p.Problem + "; " + p.Fix, Message: p.Message})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) addSchedule(w http.ResponseWriter, r *http.Request) {
	sc, ok := s.readSchedule(w, r)
	if !ok {
		return
	}
	if staffOf(r).NeedsApproval() {
		s.draftSchedule(w, r, sc)
		return
	}
	old, exists, err := s.cfg.Library.Schedule(r.Context(), sc.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.cfg.Library.PutSchedule(r.Context(), staffOf(r).Username, sc); err != nil {
		s.fail(w, r, err)
		return
	}
	rep, err := s.cfg.Library.CheckSchedule(r.Context(), sc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := checkResponse(sc, rep)
	out.Stored = true
	e := fleet.AuditEntry{Action: fleet.AuditSchedule, Target: sc.ID, Region: scheduleRegion(sc), After: auditJSON(sc),
		Summary: fmt.Sprintf("%s保存并发布排期 %s%s", viaAPI, sc.ID, conflictNote(rep.Conflicts))}
	if exists {
		e.Before = auditJSON(old)
	}
	s.record(r, e)
	s.log.Info("schedule stored", "schedule", sc.ID, "conflicts", len(rep.Conflicts), "by", staffOf(r).Username)
	writeJSON(w, http.StatusCreated, out)
}

// draftSchedule keeps a township operator's schedule as a pending draft
// (the console's draft table, fleet.DraftStore) for a county administrator
// to approve on the console's /schedules/drafts; nothing is published.
// A schedule with problems is refused as an administrator's would be;
// conflicts are reported and left to the approving administrator.
func (s *Server) draftSchedule(w http.ResponseWriter, r *http.Request, sc content.Schedule) {
	ds, ok := s.store.(fleet.DraftStore)
	if !ok {
		s.fail(w, r, errors.New("api: the fleet store keeps no schedule drafts"))
		return
	}
	rep, err := s.cfg.Library.CheckSchedule(r.Context(), sc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := rep.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	old, exists, err := s.cfg.Library.Schedule(r.Context(), sc.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	acct := staffOf(r)
	body, _ := json.Marshal(sc)
	id, err := ds.AddDraft(r.Context(), fleet.ScheduleDraft{ScheduleID: sc.ID, Body: body, Author: acct.Username, Township: acct.Township,
		Created: time.Now()})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var before string
	if exists {
		before = auditJSON(old)
	}
	s.record(r, fleet.AuditEntry{Action: fleet.AuditSchedule, Target: sc.ID, Region: scheduleRegion(sc), Before: before, After: string(body),
		Summary: fmt.Sprintf("%s提交排期草稿 %s（草稿 #%d），待县级管理员审批%s", viaAPI, sc.ID, id, conflictNote(rep.Conflicts))})
	out := checkResponse(sc, rep)
	out.DraftID = id
	s.log.Info("schedule draft stored", "schedule", sc.ID, "draft", id, "conflicts", len(rep.Conflicts), "by", acct.Username)
	writeJSON(w, http.StatusAccepted, out)
}

// conflictNote says in a summary how many conflicts a schedule has.
func conflictNote(cs []content.Conflict) string {
	if len(cs) == 0 {
		return ""
	}
	return fmt.Sprintf("（有 %d 处冲突）", len(cs))
}

func (s *Server) deleteSchedule(w http.ResponseWriter, r *http.Request) {
	old, exists, err := s.cfg.Library.Schedule(r.Context(), r.PathValue("id"))
	if err == nil && !exists {
		err = fmt.Errorf("schedule %s: %w", r.PathValue("id"), fleet.ErrNotFound)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.cfg.Library.DeleteSchedule(r.Context(), staffOf(r).Username, old.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	name := ""
	if old.Name != "" {
		name = "（" + old.Name + "）"
	}
	s.record(r, fleet.AuditEntry{Action: fleet.AuditSchedule, Target: old.ID, Region: scheduleRegion(old),
		Summary: viaAPI + "删除排期 " + old.ID + name, Before: auditJSON(old)})
	writeJSON(w, http.StatusOK, map[string]string{"status": "deleted"})
}

func (s *Server) listNotices(w http.ResponseWriter, r *http.Request) {
	set, rev, err := s.cfg.Library.Set(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	acct := staffOf(r)
	ns := []content.Notice{}
	for _, n := range set.Notices {
		if acct.SeesAny(n.Regions) {
			ns = append(ns, n)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"revision": rev, "notices": ns})
}

// addNotice publishes or changes an emergency notice. The notice rules
// are the console's (fleet.Library.CheckNotice: text within the LED limit,
// regions normalized, without "." or ".." levels and holding a device,
// expiry in the future and at most fleet.MaxNoticeDays after the start);
// the regions they return are the ones the account must be allowed to act
// on, and the ones stored.
func (s *Server) addNotice(w http.ResponseWriter, r *http.Request) {
	var n content.Notice
	if !s.readJSON(w, r, &n) {
		return
	}
	n, err := s.cfg.Library.CheckNotice(r.Context(), n, time.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	old, exists, err := s.cfg.Library.Notice(r.Context(), n.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.mayChangeNotice(w, r, n, old, exists) {
		return
	}
	if err := s.cfg.Library.PutNotice(r.Context(), staffOf(r).Username, n); err != nil {
		s.fail(w, r, err)
		return
	}
	boards := map[string]bool{}
	for _, reg := range n.Regions {
		devs, err := s.cfg.Registry.Devices(r.Context(), fleet.Filter{Region: reg, Kind: fleet.KindLED})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, d := range devs {
			boards[d.ID] = true
		}
	}
	region := strings.Join(n.Regions, ",")
	e := fleet.AuditEntry{Action: fleet.AuditPublish, Target: n.ID, Region: region, After: auditJSON(n),
		Summary: fmt.Sprintf("%s发布紧急通知 %s 到 %s（%d 块LED屏），截止 %s", viaAPI, n.ID, region, len(boards), beijing(n.Expiry))}
	if exists {
		e.Before = auditJSON(old)
		e.Summary = fmt.Sprintf("%s修改并发布紧急通知 %s 到 %s（%d 块LED屏），截止 %s", viaAPI, n.ID, region, len(boards), beijing(n.Expiry))
	}
	s.record(r, e)
	s.log.Info("emergency notice stored", "notice", n.ID, "regions", n.Regions, "by", staffOf(r).Username)
	writeJSON(w, http.StatusCreated, n)
}

// mayChangeNotice refuses (403, audited) a notice that the account may not
// publish or change: every region of it, and of the stored notice with its
// ID, must be the account's to act on (fleet.Account.CanActAll).
func (s *Server) mayChangeNotice(w http.ResponseWriter, r *http.Request, n, old content.Notice, exists bool) bool {
	acct := staffOf(r)
	if acct.Admin() {
		return true
	}
	if !acct.CanActAll(n.Regions) {
		s.deny(w, r, strings.Join(n.Regions, ","), "只能向本乡镇（"+acct.Township+"）发布紧急通知。")
		return false
	}
	if exists && !acct.CanActAll(old.Regions) {
		s.deny(w, r, strings.Join(old.Regions, ","), "您无权修改这条紧急通知。")
		return false
	}
	return true
}

func (s *Server) withdrawNotice(w http.ResponseWriter, r *http.Request) {
	n, exists, err := s.cfg.Library.Notice(r.Context(), r.PathValue("id"))
	if err == nil && !exists {
		err = fmt.Errorf("notice %s: %w", r.PathValue("id"), fleet.ErrNotFound)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	region := strings.Join(n.Regions, ",")
	if acct := staffOf(r); !acct.Admin() {
		if !acct.SeesAny(n.Regions) {
			s.deny(w, r, region, "这条紧急通知不属于您所在的乡镇。")
			return
		}
		if !acct.CanActAll(n.Regions) {
			s.deny(w, r, region, "您无权撤回这条紧急通知。")
			return
		}
	}
	if err := s.cfg.Library.WithdrawNotice(r.Context(), staffOf(r).Username, n.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	summary := viaAPI + "撤回紧急通知 " + n.ID
	if n.Withdrawn {
		summary += "（此前已撤回，无变化）"
	}
	before := auditJSON(n)
	n.Withdrawn = true
	s.record(r, fleet.AuditEntry{Action: fleet.AuditNoticeWithdraw, Target: n.ID, Region: region, Summary: summary,
		Before: before, After: auditJSON(n)})
	writeJSON(w, http.StatusOK, map[string]string{"status": "withdrawn"})
}

// Status is the answer of GET /api/status.
type Status struct {
	Devices   int `json:"devices"`
	Online    int `json:"online"`
	Offline   int `json:"offline"`
	Converged int `json:"converged"`
	Pending   int `json:"pending"`
	Failed    int `json:"failed"`
	// FailedReasons counts failed devices by reason code.
	FailedReasons map[string]int `json:"failed_reasons,omitempty"`
	Revision      int64          `json:"content_revision"`
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	pres, err := s.presenceMap(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// An operator's counts are their township's devices only.
	var inScope map[string]bool
	if scope := staffOf(r).Scope(); scope != "" {
		devs, err := s.cfg.Registry.Devices(r.Context(), fleet.Filter{Region: scope, IncludeRevoked: true})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		inScope = make(map[string]bool, len(devs))
		for _, d := range devs {
			inScope[d.ID] = true
		}
	}
	var out Status
	after := ""
	for {
		sts, err := s.store.StateSummaries(r.Context(), after, 1000) // counts only: no payloads
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if len(sts) == 0 {
			break
		}
		for _, st := range sts {
			if inScope != nil && !inScope[st.DeviceID] {
				continue
			}
			out.Devices++
			if pres[st.DeviceID].Online {
				out.Online++
			} else {
				out.Offline++
			}
			ro := fleet.RolloutOf(st)
			switch ro.Status {
			case wire.Converged:
				out.Converged++
			case wire.Failed:
				out.Failed++
				if out.FailedReasons == nil {
					out.FailedReasons = map[string]int{}
				}
				code := "unknown"
				if ro.Reason != nil {
					code = ro.Reason.Code
				}
				out.FailedReasons[code]++
			default:
				out.Pending++
			}
		}
		after = sts[len(sts)-1].DeviceID
	}
	_, out.Revision, _ = s.cfg.Library.Set(r.Context())
	writeJSON(w, http.StatusOK, out)
}

// download serves one version of an item's bytes to a device (HTTP Basic
// with its MQTT credentials) or a signed-in staff member, with Range
// requests so a dropped village link resumes where it stopped.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	if _, _, basic := r.BasicAuth(); basic {
		if _, err := s.device(r); err != nil {
			s.fail(w, r, err)
			return
		}
	} else {
		tok, _ := cutBearer(r)
		if _, err := s.cfg.Registry.SessionStaff(r.Context(), tok); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	id := r.PathValue("id")
	version, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || version < 1 {
		s.fail(w, r, fmt.Errorf("item version %q: %w", r.PathValue("version"), fleet.ErrNotFound))
		return
	}
	rec, err := s.store.ContentRecord(r.Context(), fleet.RecordItem, id, version)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var it content.Item
	if rec.Body == nil || json.Unmarshal(rec.Body, &it) != nil {
		s.fail(w, r, fmt.Errorf("item %s version %d: %w", id, version, fleet.ErrNotFound))
		return
	}
	f, err := s.cfg.Library.Blobs().Open(it.SHA256)
	if err != nil {
		s.fail(w, r, fmt.Errorf("bytes of item %s version %d are missing from the blob store (restore the data folder): %w", id, version, err))
		return
	}
	defer f.Close()
	ctype := "application/octet-stream"
	switch {
	case it.Kind == content.KindText:
		ctype = "text/plain; charset=utf-8"
	case it.Kind == content.KindArticle:
		ctype = "application/json"
	case it.Image != nil && it.Image.Format == "png":
		ctype = "image/png"
	case it.Image != nil && it.Image.Format == "jpeg":
		ctype = "image/jpeg"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("ETag", `"`+it.SHA256+`"`)
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	w.Header().Set("X-Content-SHA256", it.SHA256)
	http.ServeContent(w, r, "", rec.Created, f)
}
