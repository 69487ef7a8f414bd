package console

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"lawpoint/content"
	"lawpoint/fleet"
)

type weekCell struct {
	Text     string
	Class    string // "", "play" or "conflict"
	Schedule []string
}

type weekRow struct {
	Hour  int
	Cells [7]weekCell
}

type weekData struct {
	Device  fleet.Device
	Devices []option
	Region  string
	Days    [7]string
	Rows    []weekRow
	Monday  string
	None    bool
	// MonthHref is the month view of the month most of the week is in.
	MonthHref string
}

// calendarRegion reads the region of a schedule calendar (?region=, the
// account's scope when empty) and refuses (403, audited) one outside the
// account's township; page names the calendar in the audit row. ok is
// false when it has answered.
func (c *Console) calendarRegion(w http.ResponseWriter, r *http.Request, rc *reqCtx, page string) (region string, ok bool) {
	region = strings.TrimSuffix(trimmed(r, "region"), "/")
	if region == "" {
		region = rc.acct.Scope()
	}
	if !rc.acct.CanSee(region) {
		c.deny(w, r, rc, page, region, "只能查看本乡镇的排期。")
		return region, false
	}
	return region, true
}

// weekPage shows which schedule plays when, Monday to Sunday by hour, for
// one device (?device=) or a representative device of a region
// (?region=): the first of the region's devices, resolved with the content
// compiler's plan (content.Compiled.Plan), as the Distributor does.
func (c *Console) weekPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	ctx := r.Context()
	region, ok := c.calendarRegion(w, r, rc, "week")
	if !ok {
		return
	}
	want := trimmed(r, "device")
	if want != "" {
		// A device outside the region asked for: its own region, if the
		// account may see it (403, audited, if not).
		dv, err := c.cfg.Registry.Device(ctx, want)
		switch {
		case errors.Is(err, fleet.ErrNotFound) || fleet.ValidateDeviceID(want) != nil:
			c.errorPage(w, r, rc, http.StatusNotFound, "设备不存在", "没有编号为“"+want+"”的设备。")
			return
		case err != nil:
			c.internal(w, r, rc, err)
			return
		case !rc.acct.CanSee(dv.Region):
			c.deny(w, r, rc, want, dv.Region, "该设备不属于您所在的乡镇，不能查看它的排期。")
			return
		case !fleet.RegionWithin(dv.Region, region):
			region = dv.Region
		}
	}
	devs, err := c.cfg.Registry.Devices(ctx, fleet.Filter{Region: region})
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	d := weekData{Region: region}
	now := c.now().In(shanghai)
	if day, err := time.ParseInLocation("2006-01-02", trimmed(r, "week"), shanghai); err == nil {
		now = day
	}
	monday := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, shanghai)
	monday = monday.AddDate(0, 0, -((int(monday.Weekday()) + 6) % 7))
	d.Monday = monday.Format("2006-01-02")
	d.MonthHref = monthHref(region, "", monday.AddDate(0, 0, 3))
	for _, dv := range devs {
		d.Devices = append(d.Devices, option{dv.ID, dv.ID + "（" + dv.Region + "）"})
	}
	i := slices.IndexFunc(devs, func(dv fleet.Device) bool { return dv.ID == want })
	if len(devs) == 0 {
		d.None = true
		c.page(w, r, rc, http.StatusOK, "week", "排期周视图", "schedules", d)
		return
	}
	comp, err := c.compiled(ctx)
	if err != nil {
		c.internal(w, r, rc, err)
		return
	}
	if i < 0 {
		// No device asked for: the one most schedules target (the first
		// in ID order among equals), so the view shows the region's
		// schedules rather than a kiosk playing only its fallback.
		best := -1
		for k, dv := range devs {
			if n := len(comp.Targeted(fleet.ContentDevice(dv))); n > best {
				i, best = k, n
			}
		}
	}
	d.Device = devs[i]
	plan := comp.Plan(fleet.ContentDevice(d.Device), monday, 7*24*time.Hour)
	for k := range 7 {
		day := monday.AddDate(0, 0, k)
		d.Days[k] = weekdayNames[day.Weekday()] + " " + day.Format("01-02")
	}
	for h := range 24 {
		row := weekRow{Hour: h}
		for k := range 7 {
			from := monday.AddDate(0, 0, k).Add(time.Duration(h) * time.Hour)
			to := from.Add(time.Hour)
			var names []string
			cell := weekCell{}
			for _, sg := range plan.Segments {
				if !sg.Start.Before(to) || !sg.End.After(from) {
					continue
				}
				switch sg.Answer.Source {
				case content.SourceNotice:
					names = append(names, "紧急通知")
				default:
					for _, p := range sg.Answer.Programmes {
						n := p.ScheduleID
						if n == "" {
							n = "默认节目"
						} else {
							cell.Schedule = append(cell.Schedule, n)
						}
						names = append(names, n)
					}
					if len(sg.Answer.Programmes) > 1 {
						cell.Class = "conflict"
					}
				}
			}
			slices.Sort(names)
			names = slices.Compact(names)
			cell.Text = strings.Join(names, "、")
			if cell.Class == "" && len(cell.Schedule) > 0 {
				cell.Class = "play"
			}
			row.Cells[k] = cell
		}
		d.Rows = append(d.Rows, row)
	}
	c.page(w, r, rc, http.StatusOK, "week", "排期周视图", "schedules", d)
}
