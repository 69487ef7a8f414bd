package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet"
)

// deviceRow is one device as the overview and device page show it.
type deviceRow struct {
	fleet.Device
	Online   bool
	LastSeen time.Time
	Rollout  fleet.Rollout
	Faults   []string
	Sample   *wire.Sample
	Working  bool // online without faults
	KindName string
	Showing  nowShowing // what it plays now (fillShowing)
}

// Status is the rollout status in Chinese.
func (d deviceRow) Status() string {
	switch d.Rollout.Status {
	case wire.Converged:
		return "已同步"
	case wire.Failed:
		return "更新失败"
	}
	return "待同步"
}

// StatusClass is the CSS class of the rollout status.
func (d deviceRow) StatusClass() string { return string(d.Rollout.Status) }

// faultsOf lists what is wrong with a device in Chinese: a failed
// rollout, and the newest telemetry's LED link, printer and disk.
func faultsOf(ro fleet.Rollout, s *wire.Sample) []string {
	var out []string
	if ro.Status == wire.Failed {
		msg := "内容更新失败"
		if ro.Reason != nil {
			msg += "：" + ro.Reason.Code
			if ro.Reason.Message != "" {
				msg += "（" + ro.Reason.Message + "）"
			}
		}
		out = append(out, msg)
	}
	if s == nil {
		return out
	}
	if s.LED != nil {
		switch s.LED.Status {
		case wire.LinkDown:
			out = append(out, "LED屏无应答")
		case wire.LinkDegraded:
			out = append(out, "LED屏通信不稳定")
		}
	}
	if s.Printer != nil {
		switch s.Printer.Status {
		case wire.PrinterPaperOut:
			out = append(out, "打印机缺纸")
		case wire.PrinterPaperLow:
			out = append(out, "打印纸将用完")
		case wire.PrinterCoverOpen:
			out = append(out, "打印机盖未关好")
		case wire.PrinterOffline:
			out = append(out, "打印机离线")
		case wire.PrinterError:
			out = append(out, "打印机故障")
		}
	}
	if s.DiskTotalBytes > 0 && s.DiskFreeBytes*10 < s.DiskTotalBytes {
		out = append(out, fmt.Sprintf("磁盘空间不足（剩余 %d%%）", s.DiskFreeBytes*100/s.DiskTotalBytes))
	}
	return out
}

// loadDevices returns the active devices in region with presence, rollout,
// newest telemetry and faults.
func (c *Console) loadDevices(ctx context.Context, region string) ([]deviceRow, error) {
	devs, err := c.cfg.Registry.Devices(ctx, fleet.Filter{Region: region})
	if err != nil {
		return nil, err
	}
	pres, err := c.store.Presences(ctx)
	if err != nil {
		return nil, err
	}
	pm := make(map[string]fleet.Presence, len(pres))
	for _, p := range pres {
		pm[p.DeviceID] = p
	}
	sm := map[string]fleet.DeviceState{}
	for after := ""; ; {
		sts, err := c.store.StateSummaries(ctx, after, 1000) // no payloads: the list shows versions and status
		if err != nil {
			return nil, err
		}
		for _, s := range sts {
			sm[s.DeviceID] = s
		}
		if len(sts) < 1000 {
			break
		}
		after = sts[len(sts)-1].DeviceID
	}
	rows := make([]deviceRow, 0, len(devs))
	for _, d := range devs {
		rows = append(rows, c.deviceRowOf(ctx, d, pm[d.ID], sm[d.ID]))
	}
	return rows, nil
}

// deviceRowOf is a device's row from its presence and state (zero when it
// has none), with its newest telemetry and its faults.
func (c *Console) deviceRowOf(ctx context.Context, d fleet.Device, p fleet.Presence, st fleet.DeviceState) deviceRow {
	row := deviceRow{Device: d, KindName: d.Kind.Label(), Online: p.Online, LastSeen: p.LastSeen, Rollout: fleet.RolloutOf(st)}
	if ts, err := c.store.Telemetry(ctx, d.ID, 1); err == nil && len(ts) > 0 {
		var s wire.Sample
		if json.Unmarshal(ts[0].Sample, &s) == nil {
			row.Sample = &s
		}
	}
	row.Faults = faultsOf(row.Rollout, row.Sample)
	row.Working = row.Online && len(row.Faults) == 0
	return row
}

// node is one level of the region tree with its counts.
type node struct {
	Path, Name string
	Depth      int // 0 county, 1 township, 2 village
	Devices    int
	Online     int
	Converged  int
	Pending    int
	Failed     int
	Points     int // contact points
	KioskOK    int // contact points with a working kiosk
	BoardOK    int // contact points with a working LED board
	BothOK     int // contact points with both
	points     map[string]*point
}

type point struct{ kiosk, board bool }

// LevelName names the node's level.
func (n *node) LevelName() string {
	return [...]string{"县", "乡镇", "村（社区）"}[min(n.Depth, 2)]
}

// tree groups devices by the first three levels of their region
// (county › township › village), in region order.
func tree(rows []deviceRow) []*node {
	byPath := map[string]*node{}
	var order []string
	for _, r := range rows {
		parts := strings.Split(r.Region, "/")
		for depth := 0; depth < min(len(parts), 3); depth++ {
			path := strings.Join(parts[:depth+1], "/")
			n := byPath[path]
			if n == nil {
				n = &node{Path: path, Name: parts[depth], Depth: depth, points: map[string]*point{}}
				byPath[path] = n
				order = append(order, path)
			}
			n.Devices++
			if r.Online {
				n.Online++
			}
			switch r.Rollout.Status {
			case wire.Converged:
				n.Converged++
			case wire.Failed:
				n.Failed++
			default:
				n.Pending++
			}
			key := r.ContactPoint
			if key == "" {
				key = strings.Join(parts[:min(len(parts), 3)], "/")
			}
			p := n.points[key]
			if p == nil {
				p = &point{}
				n.points[key] = p
			}
			if r.Working && r.Kind == fleet.KindKiosk {
				p.kiosk = true
			}
			if r.Working && r.Kind == fleet.KindLED {
				p.board = true
			}
		}
	}
	slices.Sort(order)
	out := make([]*node, 0, len(order))
	for _, path := range order {
		n := byPath[path]
		n.Points = len(n.points)
		for _, p := range n.points {
			if p.kiosk {
				n.KioskOK++
			}
			if p.board {
				n.BoardOK++
			}
			if p.kiosk && p.board {
				n.BothOK++
			}
		}
		out = append(out, n)
	}
	return out
}

type overviewData struct {
	Region  string // the selected region ("" = the whole scope)
	Scope   string
	Tree    []*node
	Devices []deviceRow
	Shown   int
}

// maxListed bounds the device table of the overview (the tree always
// counts every device).
const maxListed = 500

func (c *Console) overview(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	region := strings.TrimSuffix(trimmed(r, "region"), "/")
	scope := rc.acct.Scope()
	if region != "" && !rc.acct.CanSee(region) {
		c.deny(w, r, rc, region, region, "您只能查看本乡镇（"+rc.acct.Township+"）的设备。")
		return
	}
	base := region
	if base == "" {
		base = scope
	}
	rows, err := c.loadDevices(r.Context(), scope)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	d := overviewData{Region: region, Scope: scope, Tree: tree(rows)}
	for _, row := range rows {
		if fleet.RegionWithin(row.Region, base) {
			d.Shown++
			if len(d.Devices) < maxListed {
				d.Devices = append(d.Devices, row)
			}
		}
	}
	if err := c.fillShowing(r.Context(), d.Devices); err != nil {
		c.internal(w, r, rc, err)
		return
	}
	c.page(w, r, rc, http.StatusOK, "overview", "设备总览", "overview", d)
}

type deviceData struct {
	Row      deviceRow
	CanAct   bool
	Board    string   // the registered LED board as staff read it; "" if none
	Models   []option // controllers for the board form
	BoardFor map[string]string
	Commands []commandView
	Errors   map[string]string
	Form     map[string]string
	Polling  bool
}

type commandView struct {
	ID, Kind, KindName, State, StateName, Result string
	Issued                                       time.Time
	By                                           string
	Screenshot                                   string // console URL of the picture
	Open                                         bool
}

var commandNames = map[wire.CommandKind]string{
	wire.CmdPing: "连通测试", wire.CmdReboot: "重启设备", wire.CmdIdentify: "闪烁识别",
	wire.CmdSetBrightness: "调节亮度", wire.CmdScreenshot: "截屏", "restart": "重启程序", "resync": "重新同步",
}

var stateNames = map[fleet.CommandState]string{
	fleet.CommandPending: "等待设备上线", fleet.CommandSent: "已发送，等待结果", fleet.CommandDone: "已完成", fleet.CommandExpired: "已过期",
}

func viewCommand(cmd fleet.Command) commandView {
	v := commandView{ID: cmd.ID, Kind: string(cmd.Kind), KindName: commandNames[cmd.Kind], State: string(cmd.State),
		StateName: stateNames[cmd.State], Issued: cmd.Issued, By: cmd.CreatedBy,
		Open: cmd.State == fleet.CommandPending || cmd.State == fleet.CommandSent}
	if v.KindName == "" {
		v.KindName = string(cmd.Kind)
	}
	if cmd.Result != nil {
		v.Result = string(cmd.Result.Status)
		switch cmd.Result.Status {
		case wire.ResultOK:
			v.Result = "成功"
		default:
			v.Result = map[wire.ResultStatus]string{wire.ResultFailed: "失败", wire.ResultExpired: "已过期",
				wire.ResultUnsupported: "设备不支持"}[cmd.Result.Status]
			if v.Result == "" {
				v.Result = string(cmd.Result.Status)
			}
			if cmd.Result.Message != "" {
				v.Result += "（" + cmd.Result.Message + "）"
			}
		}
		if cmd.Late {
			v.Result += "（过期后才收到）"
		}
	}
	if cmd.Screenshot != "" {
		v.Screenshot = "/devices/" + cmd.DeviceID + "/screenshots/" + cmd.ID
	}
	return v
}

// deviceFor loads a device and checks the account may see it; it answers
// 404 or 403 itself and returns ok=false then.
func (c *Console) deviceFor(w http.ResponseWriter, r *http.Request, rc *reqCtx) (deviceRow, bool) {
	id := r.PathValue("id")
	if fleet.ValidateDeviceID(id) != nil {
		c.errorPage(w, r, rc, http.StatusNotFound, "设备不存在", "没有编号为该值的设备，请核对设备编号。")
		return deviceRow{}, false
	}
	d, err := c.cfg.Registry.Device(r.Context(), id)
	if errors.Is(err, fleet.ErrNotFound) {
		c.errorPage(w, r, rc, http.StatusNotFound, "设备不存在", "没有编号为“"+id+"”的设备，请核对设备编号。")
		return deviceRow{}, false
	}
	if err != nil {
		c.internal(w, r, rc, err)
		return deviceRow{}, false
	}
	if !rc.acct.CanSee(d.Region) {
		c.deny(w, r, rc, d.ID, d.Region, "该设备不属于您所在的乡镇（"+rc.acct.Township+"），您无权查看或操作。")
		return deviceRow{}, false
	}
	rows, err := c.loadOne(r.Context(), d)
	if err != nil {
		c.internal(w, r, rc, err)
		return deviceRow{}, false
	}
	return rows, true
}

// deviceToChange is deviceFor for a change: it also refuses (403,
// audited, with refusal as the reason) an account that may not act on the
// device.
func (c *Console) deviceToChange(w http.ResponseWriter, r *http.Request, rc *reqCtx, refusal string) (deviceRow, bool) {
	row, ok := c.deviceFor(w, r, rc)
	if ok && !rc.acct.CanAct(row.Region) {
		c.deny(w, r, rc, row.ID, row.Region, refusal)
		return deviceRow{}, false
	}
	return row, ok
}

func (c *Console) loadOne(ctx context.Context, d fleet.Device) (deviceRow, error) {
	p, err := c.store.Presence(ctx, d.ID)
	if errors.Is(err, fleet.ErrNotFound) {
		p, err = fleet.Presence{}, nil
	}
	if err != nil {
		return deviceRow{}, err
	}
	st, err := c.store.State(ctx, d.ID)
	if err != nil {
		return deviceRow{}, err
	}
	return c.deviceRowOf(ctx, d, p, st), nil
}

func (c *Console) devicePage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	row, ok := c.deviceFor(w, r, rc)
	if !ok {
		return
	}
	c.showDevice(w, r, rc, row, http.StatusOK, nil, nil)
}

func (c *Console) showDevice(w http.ResponseWriter, r *http.Request, rc *reqCtx, row deviceRow, status int, errs, form map[string]string) {
	cmds, err := c.store.Commands(r.Context(), row.ID, 10)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	rows := []deviceRow{row}
	if err := c.fillShowing(r.Context(), rows); err != nil {
		c.internal(w, r, rc, err)
		return
	}
	d := deviceData{Row: rows[0], CanAct: rc.acct.CanAct(row.Region), Errors: errs, Form: form}
	for _, cmd := range cmds {
		v := viewCommand(cmd)
		d.Commands = append(d.Commands, v)
		d.Polling = d.Polling || v.Open
	}
	if d.Form == nil {
		d.Form = map[string]string{"percent": "80", "seconds": "10"}
	}
	if row.Kind == fleet.KindLED {
		d.Board, d.Models, d.BoardFor = boardForm(row.Device, form)
	}
	c.page(w, r, rc, status, "device", row.ID+" 设备详情", "overview", d)
}

// command issues a device command through the Dispatcher.
func (c *Console) command(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	row, ok := c.deviceToChange(w, r, rc, "只读账号不能向设备发送指令。")
	if !ok {
		return
	}
	kind := wire.CommandKind(r.PostFormValue("kind"))
	form := map[string]string{"percent": trimmed(r, "percent"), "seconds": trimmed(r, "seconds")}
	if form["percent"] == "" {
		form["percent"] = "80"
	}
	if form["seconds"] == "" {
		form["seconds"] = "10"
	}
	var args json.RawMessage
	fail := func(field, msg string) {
		c.showDevice(w, r, rc, row, http.StatusBadRequest, map[string]string{field: msg}, form)
	}
	switch kind {
	case wire.CmdPing, wire.CmdReboot, wire.CmdScreenshot:
	case wire.CmdSetBrightness:
		p, err := strconv.Atoi(form["percent"])
		if err != nil || p < 0 || p > 100 {
			fail("percent", "亮度须为0到100之间的整数")
			return
		}
		args, _ = json.Marshal(map[string]int{"percent": p})
	case wire.CmdIdentify:
		s, err := strconv.Atoi(form["seconds"])
		if err != nil || s < 1 || s > 300 {
			fail("seconds", "闪烁时长须为1到300秒")
			return
		}
		args, _ = json.Marshal(map[string]int{"seconds": s})
	default:
		fail("kind", "请选择一个指令")
		return
	}
	cmd, err := c.cfg.Dispatcher.Create(r.Context(), rc.acct.Username, row.ID, kind, args, 0)
	var fe *fleet.FieldError
	if errors.As(err, &fe) {
		field := fe.Field
		if field == "args" {
			field = map[wire.CommandKind]string{wire.CmdSetBrightness: "percent", wire.CmdIdentify: "seconds"}[kind]
		}
		c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditCommand, Target: row.ID, Region: row.Region, Outcome: fleet.OutcomeFailed,
			Summary: "指令未发送：" + fe.Err.Zh, After: string(kind) + " " + string(args)})
		fail(field, fe.Err.Zh)
		return
	}
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditCommand, Target: row.ID, Region: row.Region,
		Summary: "发送指令：" + commandNames[kind], After: strings.TrimSpace(string(kind) + " " + string(args) + " id=" + cmd.ID)})
	http.Redirect(w, r, "/devices/"+row.ID+"?done=sent", http.StatusSeeOther)
}

// commandsJSON is what the device page polls while a command is open.
func (c *Console) commandsJSON(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	row, ok := c.deviceFor(w, r, rc)
	if !ok {
		return
	}
	cmds, err := c.store.Commands(r.Context(), row.ID, 10)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	out := struct {
		Online   bool          `json:"online"`
		Commands []commandJSON `json:"commands"`
	}{Online: row.Online, Commands: []commandJSON{}}
	for _, cmd := range cmds {
		v := viewCommand(cmd)
		out.Commands = append(out.Commands, commandJSON{ID: v.ID, State: v.State, StateName: v.StateName, Result: v.Result, Screenshot: v.Screenshot, Open: v.Open})
	}
	writeJSON(w, http.StatusOK, out)
}

type commandJSON struct {
	ID         string `json:"id"`
	State      string `json:"state"`
	StateName  string `json:"state_name"`
	Result     string `json:"result"`
	Screenshot string `json:"screenshot,omitempty"`
	Open       bool   `json:"open"`
}

// screenshot serves a device's uploaded screenshot.
func (c *Console) screenshot(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	row, ok := c.deviceFor(w, r, rc)
	if !ok {
		return
	}
	cmd, err := c.store.Command(r.Context(), r.PathValue("cmd"))
	if err != nil || cmd.DeviceID != row.ID || cmd.Screenshot == "" || !fleet.ValidSHA256(cmd.Screenshot) {
		c.errorPage(w, r, rc, http.StatusNotFound, "没有截图", "该指令还没有收到截图。")
		return
	}
	f, err := c.cfg.Library.Blobs().Open(cmd.Screenshot)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=86400")
	_, _ = io.Copy(w, f)
}
