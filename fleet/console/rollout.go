package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"lawpoint/content"
	"lawpoint/device/wire"
	"lawpoint/fleet"
)

// rolloutDevice is one targeted device's delivery state for a change.
type rolloutDevice struct {
	ID         string    `json:"id"`
	Region     string    `json:"region"`
	Kind       string    `json:"kind"`
	KindName   string    `json:"kind_name"`
	Status     string    `json:"status"` // converged, pending or failed
	StatusName string    `json:"status_name"`
	Reason     string    `json:"reason,omitempty"`
	Online     bool      `json:"online"`
	LastSeen   time.Time `json:"last_seen,omitzero"`
	Desired    uint64    `json:"desired_version"`
	Applied    uint64    `json:"reported_version"`
}

// rolloutSummary is the progress of one change (a notice published or
// withdrawn, a schedule saved) over the devices it targets.
type rolloutSummary struct {
	Total     int             `json:"total"`
	Converged int             `json:"converged"`
	Pending   int             `json:"pending"`
	Failed    int             `json:"failed"`
	Percent   int             `json:"percent"` // converged of total, 0..100
	Done      bool            `json:"done"`    // nothing pending any more
	Devices   []rolloutDevice `json:"devices"`
}

// reachFunc reports whether a device's desired state already carries the
// change (so the Distributor's reported status is about it).
type reachFunc func(st fleet.DeviceState) bool

// issuedSince is the reach test of a change stored at t: a desired state
// issued at or after it (the Distributor issues a new version to every
// device whose content the change alters).
func issuedSince(t time.Time) reachFunc {
	return func(st fleet.DeviceState) bool {
		return st.Version > 0 && !st.Issued.Before(t.Truncate(time.Second))
	}
}

// manifestNotices returns the IDs of the notices the device's desired
// manifest carries; ok is false when the payload cannot be read.
func manifestNotices(payload []byte) (ids map[string]bool, ok bool) {
	var des wire.Desired
	if len(payload) == 0 || json.Unmarshal(payload, &des) != nil {
		return nil, false
	}
	ids = map[string]bool{}
	if len(des.Manifest) == 0 || string(des.Manifest) == "null" {
		return ids, true
	}
	var env struct {
		Payload []byte `json:"payload"`
	}
	if json.Unmarshal(des.Manifest, &env) != nil {
		return nil, false
	}
	var m struct {
		Notices []content.Notice `json:"notices"`
	}
	if json.Unmarshal(env.Payload, &m) != nil {
		return nil, false
	}
	for _, n := range m.Notices {
		if !n.Withdrawn {
			ids[n.ID] = true
		}
	}
	return ids, true
}

// noticeReach is the reach test of a notice: its desired manifest carries
// the notice (published) or no longer carries it (withdrawn or expired).
// A payload that cannot be read falls back to the issue time.
func noticeReach(id string, carried bool, changed time.Time) reachFunc {
	since := issuedSince(changed)
	return func(st fleet.DeviceState) bool {
		ids, ok := manifestNotices(st.Payload)
		if !ok {
			return since(st)
		}
		return st.Version > 0 && ids[id] == carried
	}
}

// rolloutOf is the delivery state of a change over devs: a device whose
// desired state does not carry the change yet is pending ("待下发");
// otherwise it is the Distributor's reported state (fleet.RolloutOf), as
// the overview shows it.
func (c *Console) rolloutOf(ctx context.Context, devs []fleet.Device, reached reachFunc) (rolloutSummary, error) {
	pres, err := c.store.Presences(ctx)
	if err != nil {
		return rolloutSummary{}, err
	}
	pm := make(map[string]fleet.Presence, len(pres))
	for _, p := range pres {
		pm[p.DeviceID] = p
	}
	s := rolloutSummary{Devices: []rolloutDevice{}}
	for _, d := range devs {
		st, err := c.store.State(ctx, d.ID)
		if err != nil {
			return rolloutSummary{}, err
		}
		ro := fleet.RolloutOf(st)
		row := rolloutDevice{ID: d.ID, Region: d.Region, Kind: string(d.Kind), KindName: d.Kind.Label(),
			Desired: ro.Desired, Applied: ro.Applied}
		if p, ok := pm[d.ID]; ok {
			row.Online, row.LastSeen = p.Online, p.LastSeen
		}
		switch {
		case !reached(st):
			row.Status, row.StatusName, row.Reason = string(wire.Pending), "待下发", "服务器尚未向该设备下发这次变更（正在计算，稍候自动下发）"
		case ro.Status == wire.Converged:
			row.Status, row.StatusName = string(wire.Converged), "已生效"
		case ro.Status == wire.Failed:
			row.Status, row.StatusName = string(wire.Failed), "失败"
			row.Reason = "设备报告失败"
			if ro.Reason != nil {
				row.Reason += "：" + ro.Reason.Code
				if ro.Reason.Message != "" {
					row.Reason += "（" + ro.Reason.Message + "）"
				}
			}
		default:
			row.Status, row.StatusName = string(wire.Pending), "待同步"
			row.Reason = pendingReason(ro, row.Online)
		}
		switch row.Status {
		case string(wire.Converged):
			s.Converged++
		case string(wire.Failed):
			s.Failed++
		default:
			s.Pending++
		}
		s.Devices = append(s.Devices, row)
	}
	s.Total = len(s.Devices)
	if s.Total > 0 {
		s.Percent = s.Converged * 100 / s.Total
	}
	s.Done = s.Pending == 0
	// Failed first, then pending, then converged: what needs attention on top.
	rank := map[string]int{string(wire.Failed): 0, string(wire.Pending): 1, string(wire.Converged): 2}
	slices.SortStableFunc(s.Devices, func(a, b rolloutDevice) int { return rank[a.Status] - rank[b.Status] })
	return s, nil
}

// pendingReason says in Chinese why a device has not converged yet.
func pendingReason(ro fleet.Rollout, online bool) string {
	var why string
	if ro.Reason != nil {
		switch ro.Reason.Code {
		case "no_report":
			why = "设备尚未上报状态"
		case "not_received":
			why = "设备尚未确认收到新内容"
		case "no_desired":
			why = "尚未下发内容"
		default:
			why = "设备正在更新：" + ro.Reason.Code
		}
	} else {
		why = "设备正在下载或应用新内容"
	}
	if !online {
		why += "（设备离线，上线后自动同步）"
	}
	return why
}

// rolloutTarget finds what a rollout page is about: ?notice=ID or
// ?schedule=ID. It answers the devices the change targets (those the
// account may see), the reach test, a title and the page it came from.
func (c *Console) rolloutTarget(ctx context.Context, r *http.Request, acct fleet.Account) (devs []fleet.Device, reached reachFunc, title, back string, err error) {
	set, _, err := c.cfg.Library.Set(ctx)
	if err != nil {
		return nil, nil, "", "", err
	}
	all, err := c.cfg.Registry.Devices(ctx, fleet.Filter{})
	if err != nil {
		return nil, nil, "", "", err
	}
	if id := r.FormValue("notice"); id != "" {
		i := slices.IndexFunc(set.Notices, func(n content.Notice) bool { return n.ID == id })
		if i < 0 {
			return nil, nil, "", "", fleet.ErrNotFound
		}
		n := set.Notices[i]
		if !seesNotice(acct, n) {
			return nil, nil, "", "", &outsideScope{"notice " + n.ID, strings.Join(n.Regions, ",")}
		}
		devs, reached, err = c.noticeRollout(ctx, n, all, acct)
		return devs, reached, "紧急通知 " + n.ID, "/notices/" + n.ID, err
	}
	if id := r.FormValue("schedule"); id != "" {
		i := slices.IndexFunc(set.Schedules, func(s content.Schedule) bool { return s.ID == id })
		if i < 0 {
			return nil, nil, "", "", fleet.ErrNotFound
		}
		sc := set.Schedules[i]
		if !visibleTo(acct, sc.Target) {
			return nil, nil, "", "", &outsideScope{sc.ID, scheduleRegion(sc)}
		}
		hist, err := c.store.ContentHistory(ctx, fleet.RecordSchedule, id)
		if err != nil || len(hist) == 0 {
			return nil, nil, "", "", fleet.ErrNotFound
		}
		for _, d := range all {
			if sc.Target.Matches(fleet.ContentDevice(d)) && acct.CanSee(d.Region) {
				devs = append(devs, d)
			}
		}
		return devs, issuedSince(hist[len(hist)-1].Created), "排期 " + sc.ID, "/schedules", nil
	}
	return nil, nil, "", "", fleet.ErrNotFound
}

// noticeRollout lists the devices in a notice's regions that acct may see,
// with the notice's reach test (carried while active, not carried once
// withdrawn or expired).
func (c *Console) noticeRollout(ctx context.Context, n content.Notice, all []fleet.Device, acct fleet.Account) ([]fleet.Device, reachFunc, error) {
	var devs []fleet.Device
	for _, d := range all {
		if noticeCoversRegion(n, d.Region) && acct.CanSee(d.Region) {
			devs = append(devs, d)
		}
	}
	hist, err := c.store.ContentHistory(ctx, fleet.RecordNotice, n.ID)
	if err != nil {
		return nil, nil, err
	}
	changed := n.Start
	if len(hist) > 0 {
		changed = hist[len(hist)-1].Created
	}
	carried := !n.Withdrawn && c.now().Before(n.Expiry)
	return devs, noticeReach(n.ID, carried, changed), nil
}

func noticeCoversRegion(n content.Notice, region string) bool {
	return slices.ContainsFunc(n.Regions, func(r string) bool { return content.InRegion(region, r) })
}

type rolloutData struct {
	Title, Back, JSON string
	Rollout           rolloutSummary
}

// rolloutPage shows a change's progress: a bar, the counts, and every
// targeted device with its state; the page polls rolloutJSON.
func (c *Console) rolloutPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if s, title, back, ok := c.rolloutFor(w, r, rc); ok {
		c.page(w, r, rc, http.StatusOK, "rollout", "发布进度", "notices",
			rolloutData{Title: title, Back: back, JSON: "/rollout.json?" + r.URL.RawQuery, Rollout: s})
	}
}

// rolloutJSON answers a change's progress (polled by the pages).
func (c *Console) rolloutJSON(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if s, _, _, ok := c.rolloutFor(w, r, rc); ok {
		writeJSON(w, http.StatusOK, s)
	}
}

// rolloutFor is the progress of the change the request names
// (rolloutTarget), with its title and the page it came from; ok is false
// when it has answered (404, 403 audited, or 500).
func (c *Console) rolloutFor(w http.ResponseWriter, r *http.Request, rc *reqCtx) (s rolloutSummary, title, back string, ok bool) {
	devs, reached, title, back, err := c.rolloutTarget(r.Context(), r, rc.acct)
	if err != nil {
		c.rolloutError(w, r, rc, err)
		return s, "", "", false
	}
	if s, err = c.rolloutOf(r.Context(), devs, reached); err != nil {
		c.internal(w, r, rc, err)
		return s, "", "", false
	}
	return s, title, back, true
}

// outsideScope is a notice or schedule outside an operator's township.
type outsideScope struct{ target, region string }

func (e *outsideScope) Error() string { return e.target + " is outside the account's township" }

func (c *Console) rolloutError(w http.ResponseWriter, r *http.Request, rc *reqCtx, err error) {
	var out *outsideScope
	if errors.As(err, &out) {
		c.deny(w, r, rc, out.target, out.region, "该通知或排期不在您所属乡镇，不能查看它的发布进度。")
		return
	}
	if errors.Is(err, fleet.ErrNotFound) {
		c.errorPage(w, r, rc, http.StatusNotFound, "找不到", "没有这条通知或排期。")
		return
	}
	c.internal(w, r, rc, err)
}
