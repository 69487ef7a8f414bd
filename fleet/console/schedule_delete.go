package console

import (
	"encoding/json"
	"errors"
	"net/http"

	"lawpoint/fleet"
)

func init() {
	pageNames = append(pageNames, "schedule_delete")
}

type scheduleDeleteData struct {
	Row     scheduleRow
	Devices int // devices the schedule targets now
}

// scheduleToDelete loads the schedule of the path for a county
// administrator; it answers 404 or 403 (audited) itself.
func (c *Console) scheduleToDelete(w http.ResponseWriter, r *http.Request, rc *reqCtx) (scheduleDeleteData, bool) {
	id := trimmed(r, "id")
	s, ok, err := c.cfg.Library.Schedule(r.Context(), id)
	if err != nil {
		c.internal(w, r, rc, err)
		return scheduleDeleteData{}, false
	}
	if !ok {
		c.errorPage(w, r, rc, http.StatusNotFound, "排期不存在", "没有编号为“"+id+"”的排期（可能已被删除）。")
		return scheduleDeleteData{}, false
	}
	if !rc.acct.Admin() {
		// A draft can only publish a schedule, not remove one: a township
		// operator asks the county to delete it.
		c.deny(w, r, rc, s.ID, scheduleRegion(s), "只有县级管理员可以删除排期；如需停播，请联系县级管理员。")
		return scheduleDeleteData{}, false
	}
	devs, err := c.cfg.Registry.Devices(r.Context(), fleet.Filter{})
	if err != nil {
		c.internal(w, r, rc, err)
		return scheduleDeleteData{}, false
	}
	d := scheduleDeleteData{Row: scheduleRow{Schedule: s, When: whenText(s), Targets: targetText(s.Target)}}
	for _, dv := range devs {
		if s.Target.Matches(fleet.ContentDevice(dv)) {
			d.Devices++
		}
	}
	return d, true
}

// deleteSchedulePage is the confirmation step of deleting a schedule.
func (c *Console) deleteSchedulePage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	d, ok := c.scheduleToDelete(w, r, rc)
	if !ok {
		return
	}
	c.page(w, r, rc, http.StatusOK, "schedule_delete", "确认删除排期", "schedules", d)
}

// deleteSchedule removes a schedule through the Library (county
// administrators; audited with the schedule as it was). Its devices go
// back to their other schedules or their fallback at their next update.
func (c *Console) deleteSchedule(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	d, ok := c.scheduleToDelete(w, r, rc)
	if !ok {
		return
	}
	s := d.Row.Schedule
	err := c.cfg.Library.DeleteSchedule(r.Context(), rc.acct.Username, s.ID)
	if errors.Is(err, fleet.ErrNotFound) {
		c.errorPage(w, r, rc, http.StatusNotFound, "排期不存在", "排期“"+s.ID+"”已被删除。")
		return
	}
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	before, _ := json.Marshal(s)
	c.record(r, rc, fleet.AuditEntry{Action: fleet.AuditSchedule, Target: s.ID, Region: scheduleRegion(s), Outcome: fleet.OutcomeOK,
		Summary: "删除排期 " + s.ID + "（" + s.Name + "）", Before: string(before)})
	http.Redirect(w, r, "/schedules?done=deleted", http.StatusSeeOther)
}
