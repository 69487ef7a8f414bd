package console

// The reports page (报表): per township and village, for a chosen period,
// tickets, bookings, waiting and service times, no-shows, satisfaction,
// device uptime and plays of each content item, with server-drawn SVG
// charts and a CSV export of the same table. See docs/CONSOLE.md, "Reports".

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet"
)

func init() {
	pageNames = append(pageNames, "reports")
}

// reportDefaultDays is the default period: the last 30 days, today included.
const reportDefaultDays = 30

// reportRow is one township or village (or the total) of the report.
type reportRow struct {
	Path  string // region path; "" for the total
	Name  string
	Level string // 合计, 乡镇, 村
	Depth int

	Tickets, Served, NoShows int
	Bookings, Cancelled      int
	waitSum, waitN           int64 // seconds, tickets with a known wait
	svcSum, svcN             int64
	Ratings                  [5]int
	// Uptime is the devices' uptime in the period (fleet.Uptime): devices
	// registered for part of it, their mean, those at fleet.GoodUptime.
	Uptime fleet.UptimeGroup
}

// AvgWait and AvgService are in minutes, one decimal; "—" when unknown.
func (r *reportRow) AvgWait() string    { return avgMinutes(r.waitSum, r.waitN) }
func (r *reportRow) AvgService() string { return avgMinutes(r.svcSum, r.svcN) }

func avgMinutes(sum, n int64) string {
	if n == 0 {
		return "—"
	}
	return strconv.FormatFloat(float64(sum)/float64(n)/60, 'f', 1, 64)
}

// RatingCount is the number of ratings; RatingAvg their mean, two decimals.
func (r *reportRow) RatingCount() int {
	n := 0
	for _, c := range r.Ratings {
		n += c
	}
	return n
}

func (r *reportRow) RatingAvg() string {
	n, sum := 0, 0
	for i, c := range r.Ratings {
		n += c
		sum += c * (i + 1)
	}
	if n == 0 {
		return "—"
	}
	return strconv.FormatFloat(math.Round(float64(sum)/float64(n)*100)/100, 'f', 2, 64)
}

// uptimePercent is the devices' mean uptime in per cent, one decimal, cut
// (not rounded) so 99.96 % never shows as 100.0 %; "" when the row has no
// device.
func (r *reportRow) uptimePercent() string {
	m, ok := r.Uptime.Mean()
	if !ok {
		return ""
	}
	return strconv.FormatFloat(math.Floor(m*1000+1e-9)/10, 'f', 1, 64)
}

// UptimeMean is the mean uptime as shown: "97.5%", or "—" without devices.
func (r *reportRow) UptimeMean() string {
	if p := r.uptimePercent(); p != "" {
		return p + "%"
	}
	return "—"
}

// UptimeGood is "devices at ≥95 % / devices", or "—" without devices.
func (r *reportRow) UptimeGood() string {
	if r.Uptime.Devices == 0 {
		return "—"
	}
	return strconv.Itoa(r.Uptime.Good) + "/" + strconv.Itoa(r.Uptime.Devices)
}

// playRow is one content item's proof of play in the period and region.
type playRow struct {
	ItemID  string
	Title   string // the item's kind and one-line summary ("" if it is gone)
	Plays   int
	Seconds int
	Devices int
	devs    map[string]bool
}

// Hours is the play time in hours, one decimal.
func (p playRow) Hours() string { return strconv.FormatFloat(float64(p.Seconds)/3600, 'f', 1, 64) }

type regionOption struct{ Path, Label string }

type reportsData struct {
	From, To, Region string
	Scope            string
	Regions          []regionOption
	Errors           map[string]string
	Rows             []*reportRow
	Total            *reportRow
	All              []*reportRow // Total, then Rows
	Plays            []playRow
	DayChart         template.HTML
	UptimeChart      template.HTML
	SatChart         template.HTML
	WaitChart        template.HTML
	CSVQuery         string
	Days             int
	WaitUnknown      int
}

// reportQuery reads and checks from, to and region. It answers the request
// itself (403 or a form with errors) and returns ok=false when it did.
func (c *Console) reportQuery(w http.ResponseWriter, r *http.Request, rc *reqCtx) (d reportsData, ok bool) {
	today := c.now().In(shanghai)
	d = reportsData{From: trimmed(r, "from"), To: trimmed(r, "to"), Region: strings.TrimSuffix(trimmed(r, "region"), "/"),
		Scope: rc.acct.Scope(), Errors: map[string]string{}}
	if d.To == "" {
		d.To = today.Format(time.DateOnly)
	}
	if d.From == "" {
		if to, err := time.Parse(time.DateOnly, d.To); err == nil {
			d.From = to.AddDate(0, 0, -(reportDefaultDays - 1)).Format(time.DateOnly)
		}
	}
	if d.Region != "" && !rc.acct.CanSee(d.Region) {
		c.deny(w, r, rc, "报表", d.Region, "您只能查看本乡镇（"+rc.acct.Township+"）的报表。")
		return d, false
	}
	from, err1 := time.Parse(time.DateOnly, d.From)
	to, err2 := time.Parse(time.DateOnly, d.To)
	switch {
	case err1 != nil:
		d.Errors["from"] = "开始日期须为“2026-05-04”形式"
	case err2 != nil:
		d.Errors["to"] = "结束日期须为“2026-05-04”形式"
	case to.Before(from):
		d.Errors["to"] = "结束日期早于开始日期"
	case to.Sub(from) > 400*24*time.Hour:
		d.Errors["to"] = "一次最多查询400天"
	default:
		d.Days = int(to.Sub(from).Hours()/24) + 1
	}
	return d, true
}

// base is the region the report covers: the chosen one or the scope.
func (d *reportsData) base() string {
	if d.Region != "" {
		return d.Region
	}
	return d.Scope
}

// bookings is the booking service the console shares with the API.
func (c *Console) bookings() (*fleet.Bookings, error) {
	if c.cfg.Bookings == nil {
		return nil, errors.New("console: the fleet store keeps no queue or booking data")
	}
	return c.cfg.Bookings, nil
}

// rowsKey splits a region into its township and village paths (the first
// two and three levels); a county-level region is its own township. The
// uptime is grouped by the same rule (fleet.ReportLevels).
func rowsKey(region string) (township, village string) { return fleet.ReportLevels(region) }

// build computes the report for d (whose From/To are valid).
func (c *Console) buildReport(ctx context.Context, d *reportsData, withPlays bool) error {
	b, err := c.bookings()
	if err != nil {
		return err
	}
	base := d.base()
	figs, err := b.Figures(ctx, fleet.FiguresQuery{From: d.From, To: d.To, Region: base})
	if err != nil {
		var fe *fleet.FieldError
		if errors.As(err, &fe) {
			d.Errors[fe.Field] = fe.Err.Zh
			return nil
		}
		return err
	}
	rows := map[string]*reportRow{}
	total := &reportRow{Name: "合计", Level: "合计"}
	rowFor := func(path string, depth int) *reportRow {
		r := rows[path]
		if r == nil {
			name := path
			if i := strings.LastIndexByte(path, '/'); i >= 0 {
				name = path[i+1:]
			}
			level := "乡镇"
			if depth == 2 {
				level = "村"
			}
			r = &reportRow{Path: path, Name: name, Level: level, Depth: depth}
			rows[path] = r
		}
		return r
	}
	targets := func(region string) []*reportRow {
		t, v := rowsKey(region)
		out := []*reportRow{total, rowFor(t, 1)}
		if v != "" {
			out = append(out, rowFor(v, 2))
		}
		return out
	}
	perDay := map[string]int{}
	var wait [fleet.Bands]int
	for _, f := range figs {
		perDay[f.Day] += f.TicketsIssued
		for i, n := range f.WaitBands {
			if i < len(wait) {
				wait[i] += n
			}
		}
		d.WaitUnknown += f.WaitUnknown
		for _, r := range targets(f.Region) {
			r.Tickets += f.TicketsIssued
			r.Served += f.Served
			r.NoShows += f.NoShows
			r.Bookings += f.Bookings
			r.Cancelled += f.BookingsCancelled
			for i, n := range f.Ratings {
				if i < 5 {
					r.Ratings[i] += n
				}
			}
		}
	}
	// Exact averages from the projected tickets (the figures only keep
	// 3-minute bands). Figures has just caught the projection up.
	err = b.Store().ScanTickets(ctx, d.From, d.To, func(t fleet.TicketRow) error {
		if !fleet.RegionWithin(t.Region, base) {
			return nil
		}
		for _, r := range targets(t.Region) {
			if !t.IssuedAt.IsZero() && !t.CalledAt.IsZero() {
				r.waitSum += int64(max(t.CalledAt.Sub(t.IssuedAt), 0) / time.Second)
				r.waitN++
			}
			if t.Served && t.ServiceS >= 0 {
				r.svcSum += int64(t.ServiceS)
				r.svcN++
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reports: tickets: %w", err)
	}
	// Device uptime from the presence history, up to now.
	from, _ := time.ParseInLocation(time.DateOnly, d.From, shanghai)
	to, _ := time.ParseInLocation(time.DateOnly, d.To, shanghai)
	end := to.AddDate(0, 0, 1)
	if now := c.now(); now.Before(end) {
		end = now
	}
	up, err := fleet.Uptime(ctx, c.store, from, end, base)
	if err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	total.Uptime = up.Total
	for path, g := range up.Regions {
		depth := 1
		if _, v := rowsKey(path); v == path {
			depth = 2
		}
		rowFor(path, depth).Uptime = *g
	}
	d.Total = total
	d.Rows = orderRows(rows)
	d.All = append([]*reportRow{total}, d.Rows...)
	if withPlays {
		if d.Plays, err = c.plays(ctx, d.From, d.To, base); err != nil {
			return err
		}
	}
	days := make([]dayCount, d.Days)
	updays := make([]dayCount, d.Days)
	for i := range days {
		day := from.AddDate(0, 0, i).Format(time.DateOnly)
		days[i] = dayCount{Day: day, N: float64(perDay[day])}
		updays[i] = dayCount{Day: day, None: true}
		if i < len(up.Days) {
			if m, ok := up.Days[i].Mean(); ok {
				updays[i] = dayCount{Day: day, N: math.Floor(m*1000+1e-9) / 10}
			}
		}
	}
	d.DayChart = dayChart(days)
	d.UptimeChart = uptimeChart(updays)
	d.SatChart = satChart(append([]*reportRow{total}, d.Rows...))
	d.WaitChart = waitChart(wait[:])
	return nil
}

// orderRows lists each township followed by its villages, by path.
func orderRows(m map[string]*reportRow) []*reportRow {
	out := make([]*reportRow, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *reportRow) int {
		ta, _ := rowsKey(a.Path)
		tb, _ := rowsKey(b.Path)
		if ta != tb {
			return strings.Compare(ta, tb)
		}
		if a.Depth != b.Depth {
			return a.Depth - b.Depth
		}
		return strings.Compare(a.Path, b.Path)
	})
	return out
}

// maxPlayEvents bounds the events read per device for the play table.
const maxPlayEvents = 200_000

// plays sums proof-of-play events (wire.EventPlay, aggregated per item and
// hour by the device) whose hour starts within the period, for the devices
// now registered in region. Cost: every stored event of those devices is
// read (see docs/CONSOLE.md, open points).
func (c *Console) plays(ctx context.Context, fromDay, toDay, region string) ([]playRow, error) {
	devs, err := c.cfg.Registry.Devices(ctx, fleet.Filter{Region: region, IncludeRevoked: true})
	if err != nil {
		return nil, err
	}
	from, _ := time.ParseInLocation(time.DateOnly, fromDay, shanghai)
	to, _ := time.ParseInLocation(time.DateOnly, toDay, shanghai)
	to = to.AddDate(0, 0, 1)
	m := map[string]*playRow{}
	for _, dev := range devs {
		var after int64
		for read := 0; read < maxPlayEvents; {
			es, err := c.store.Events(ctx, dev.ID, after, 1000)
			if err != nil {
				return nil, err
			}
			for _, e := range es {
				after = e.Seq
				if e.Type != string(wire.EventPlay) {
					continue
				}
				var we wire.Event
				var pd wire.PlayData
				if json.Unmarshal(e.Payload, &we) != nil || json.Unmarshal(we.Data, &pd) != nil || pd.ItemID == "" {
					continue
				}
				if pd.From.Before(from) || !pd.From.Before(to) {
					continue
				}
				p := m[pd.ItemID]
				if p == nil {
					p = &playRow{ItemID: pd.ItemID, devs: map[string]bool{}}
					m[pd.ItemID] = p
				}
				p.Plays += pd.Plays
				p.Seconds += pd.Seconds
				p.devs[dev.ID] = true
			}
			read += len(es)
			if len(es) < 1000 {
				break
			}
		}
	}
	titles := map[string]string{}
	if comp, err := c.compiled(ctx); err == nil {
		now := c.now()
		for _, it := range comp.Set().Items {
			row := itemRowOf(it, now)
			titles[it.ID] = row.KindName + "：" + row.Summary
		}
	}
	out := make([]playRow, 0, len(m))
	for _, p := range m {
		p.Devices = len(p.devs)
		p.Title = titles[p.ItemID]
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b playRow) int {
		if a.Plays != b.Plays {
			return b.Plays - a.Plays
		}
		return strings.Compare(a.ItemID, b.ItemID)
	})
	return out, nil
}

// regionOptions lists the townships and villages of the devices in scope.
func (c *Console) regionOptions(ctx context.Context, scope string) ([]regionOption, error) {
	devs, err := c.cfg.Registry.Devices(ctx, fleet.Filter{Region: scope, IncludeRevoked: true})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []regionOption
	addOpt := func(p string, depth int) {
		if p == "" || seen[p] || (scope != "" && !fleet.RegionWithin(p, scope)) {
			return
		}
		seen[p] = true
		out = append(out, regionOption{Path: p, Label: strings.Repeat("　", depth) + p})
	}
	for _, d := range devs {
		parts := strings.Split(d.Region, "/")
		for n := 1; n <= min(3, len(parts)); n++ {
			addOpt(strings.Join(parts[:n], "/"), n-1)
		}
	}
	slices.SortFunc(out, func(a, b regionOption) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

func (c *Console) reportsPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	d, ok := c.reportQuery(w, r, rc)
	if !ok {
		return
	}
	var err error
	if d.Regions, err = c.regionOptions(r.Context(), d.Scope); err != nil {
		c.internal(w, r, rc, err)
		return
	}
	status := http.StatusOK
	if len(d.Errors) == 0 {
		if err := c.buildReport(r.Context(), &d, true); err != nil {
			c.internal(w, r, rc, err)
			return
		}
	}
	if len(d.Errors) > 0 {
		status = http.StatusBadRequest
		d.Rows, d.Total, d.All = nil, nil, nil
	}
	q := url.Values{"from": {d.From}, "to": {d.To}}
	if d.Region != "" {
		q.Set("region", d.Region)
	}
	d.CSVQuery = q.Encode()
	c.page(w, r, rc, status, "reports", "报表", "reports", d)
}

// csvHeader is the CSV's Chinese header row.
var csvHeader = []string{"级别", "区域", "取号数", "已办结", "过号", "预约数", "取消预约", "平均等候（分钟）", "平均办理（分钟）",
	"评价数", "1分", "2分", "3分", "4分", "5分", "满意度均分", "设备数", "平均在线率（%）", "在线率≥95%的设备"}

func (r *reportRow) csvRecord() []string {
	path := r.Path
	if path == "" {
		path = "合计"
	}
	rec := []string{r.Level, path, strconv.Itoa(r.Tickets), strconv.Itoa(r.Served), strconv.Itoa(r.NoShows),
		strconv.Itoa(r.Bookings), strconv.Itoa(r.Cancelled), r.AvgWait(), r.AvgService(), strconv.Itoa(r.RatingCount())}
	for _, n := range r.Ratings {
		rec = append(rec, strconv.Itoa(n))
	}
	up := r.uptimePercent()
	if up == "" {
		up = "—"
	}
	rec = append(rec, r.RatingAvg(), strconv.Itoa(r.Uptime.Devices), up, strconv.Itoa(r.Uptime.Good))
	for i, s := range rec {
		rec[i] = csvSafe(s)
	}
	return rec
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (c *Console) reportsCSV(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	d, ok := c.reportQuery(w, r, rc)
	if !ok {
		return
	}
	if len(d.Errors) == 0 {
		if err := c.buildReport(r.Context(), &d, false); err != nil {
			c.internal(w, r, rc, err)
			return
		}
	}
	if len(d.Errors) > 0 {
		msgs := make([]string, 0, len(d.Errors))
		for _, k := range []string{"from", "to", "region"} {
			if m := d.Errors[k]; m != "" {
				msgs = append(msgs, m)
			}
		}
		c.errorPage(w, r, rc, http.StatusBadRequest, "无法导出", strings.Join(msgs, "；"))
		return
	}
	plays := r.URL.Query().Get("table") == "plays"
	if plays {
		var err error
		if d.Plays, err = c.plays(r.Context(), d.From, d.To, d.base()); err != nil {
			c.internal(w, r, rc, err)
			return
		}
	}
	var buf bytes.Buffer
	buf.WriteString("\ufeff") // UTF-8 BOM: Excel then reads the Chinese correctly
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true
	name := "report"
	if plays {
		// The second table of the page: plays of each content item.
		name = "plays"
		_ = cw.Write([]string{"内容编号", "内容", "播放次数", "播放时长（小时）", "设备数"})
		for _, p := range d.Plays {
			_ = cw.Write([]string{csvSafe(p.ItemID), csvSafe(p.Title), strconv.Itoa(p.Plays), p.Hours(), strconv.Itoa(p.Devices)})
		}
	} else {
		_ = cw.Write(csvHeader)
		for _, row := range d.All {
			_ = cw.Write(row.csvRecord())
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		c.internal(w, r, rc, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="lawpoint-%s-%s-%s.csv"`, name, d.From, d.To))
	_, _ = w.Write(buf.Bytes())
}

// ---- SVG charts (no script; text in Chinese; colours as attributes, so
// the strict CSP allows them) ----

// dayCount is one bar of a per-day chart.
type dayCount struct {
	Day  string
	N    float64
	None bool // nothing to show that day: no bar
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// niceMax rounds a maximum up to 2, 4 or 10 × 10^k (at least 2), so the
// half-way tick is a whole number too.
func niceMax(v int) int {
	p := 1
	for {
		for _, m := range []int{2, 4, 10} {
			if m*p >= v {
				return m * p
			}
		}
		p *= 10
	}
}

const (
	chartW, chartH          = 760, 240
	padL, padR, padT, padB  = 48, 12, 28, 44
	barColor, barColorOther = "#1f5fae", "#a05a00"
)

// axis draws the y axis with 0, half and max, and the frame.
func axis(b *strings.Builder, top int, unit string) {
	plotH := chartH - padT - padB
	for _, f := range []int{0, 1, 2} {
		v := top * f / 2
		y := chartH - padB - plotH*f/2
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#d5dbe1"/>`, padL, y, chartW-padR, y)
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end" font-size="12" fill="#5b6673">%d</text>`, padL-6, y+4, v)
	}
	fmt.Fprintf(b, `<text x="4" y="16" font-size="12" fill="#5b6673">%s</text>`, esc(unit))
}

// daySpec says what a per-day bar chart shows.
type daySpec struct {
	id, title, unit, class string
	top                    int    // the axis maximum; 0: rounded up from the bars
	decimals               int    // of the values (data-n and tooltip)
	mark                   int    // a dashed reference line at this value (0: none)
	markLabel              string // its label
	tip                    string // a bar's tooltip after "day：", with %s for the value
}

// dayChart is a bar chart of tickets per day: one bar (class day-bar) per
// day of the period, even when zero.
func dayChart(days []dayCount) template.HTML {
	return dayBars(daySpec{id: "chart-days", title: "每日取号数", unit: "取号（张）", class: "day-bar", tip: "%s 张"}, days)
}

// uptimeChart is the devices' mean uptime per day in per cent (class
// uptime-bar), 0–100; no bar for a day without devices or still to come.
func uptimeChart(days []dayCount) template.HTML {
	return dayBars(daySpec{id: "chart-uptime", title: "每日设备平均在线率", unit: "在线率（%）", class: "uptime-bar", top: 100, decimals: 1, mark: 95, markLabel: "95%", tip: "平均在线率 %s%%"}, days)
}

// dayBars draws one bar per day of the period, labelled every few days.
func dayBars(s daySpec, days []dayCount) template.HTML {
	top := s.top
	if top == 0 {
		for _, d := range days {
			top = max(top, int(math.Ceil(d.N)))
		}
		top = niceMax(top)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" id="%s" role="img" aria-labelledby="%s-title" viewBox="0 0 %d %d" width="100%%" height="%d" xmlns="http://www.w3.org/2000/svg">`, s.id, s.id, chartW, chartH, chartH)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title>`, s.id, esc(s.title))
	axis(&b, top, s.unit)
	plotW, plotH := float64(chartW-padL-padR), float64(chartH-padT-padB)
	slot := plotW / float64(max(len(days), 1))
	bw := math.Max(slot*0.75, 1)
	labelEvery := max(1, int(math.Ceil(float64(len(days))/10)))
	for i, d := range days {
		x := float64(padL) + slot*float64(i) + (slot-bw)/2
		if !d.None {
			h := plotH * min(d.N/float64(top), 1)
			n := strconv.FormatFloat(d.N, 'f', s.decimals, 64)
			fmt.Fprintf(&b, `<rect class="%s" data-day="%s" data-n="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s：%s</title></rect>`,
				s.class, d.Day, n, x, float64(chartH-padB)-h, bw, h, barColor, esc(d.Day), esc(fmt.Sprintf(s.tip, n)))
		}
		if i%labelEvery == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" font-size="11" fill="#5b6673">%s</text>`, x+bw/2, chartH-padB+16, esc(d.Day[5:]))
		}
	}
	if s.mark > 0 { // over the bars
		y := float64(chartH-padB) - plotH*float64(s.mark)/float64(top)
		fmt.Fprintf(&b, `<line class="mark" x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-dasharray="6 4"/>`, padL, y, chartW-padR, y, barColorOther)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" font-size="11" fill="%s">%s</text>`, chartW-padR, y-4, barColorOther, esc(s.markLabel))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="12" fill="#5b6673">日期（月-日）</text>`, padL+int(plotW)/2, chartH-6)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// satColors run from very dissatisfied (1) to very satisfied (5).
var satColors = [5]string{"#b3261e", "#e07b39", "#c9b037", "#7fb069", "#1d7a3c"}
var satNames = [5]string{"1分 很不满意", "2分 不满意", "3分 一般", "4分 满意", "5分 很满意"}

// satChart is one horizontal bar per row, stacked by score, as shares of
// that row's ratings, with the count in each segment's tooltip.
func satChart(rows []*reportRow) template.HTML {
	var rated []*reportRow
	for _, r := range rows {
		if r.RatingCount() > 0 {
			rated = append(rated, r)
		}
	}
	const rowH, labelW, legendH = 26, 160, 30
	h := legendH + rowH*max(len(rated), 1) + 10
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" id="chart-satisfaction" role="img" aria-labelledby="chart-sat-title" viewBox="0 0 %d %d" width="100%%" height="%d" xmlns="http://www.w3.org/2000/svg">`, chartW, h, h)
	b.WriteString(`<title id="chart-sat-title">满意度评价分布</title>`)
	for i, n := range satNames {
		x := labelW + i*118
		fmt.Fprintf(&b, `<rect x="%d" y="6" width="14" height="14" fill="%s"/><text x="%d" y="18" font-size="12" fill="#1d2630">%s</text>`, x, satColors[i], x+18, esc(n))
	}
	if len(rated) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" fill="#5b6673">本期没有满意度评价</text>`, labelW, legendH+18)
	}
	plotW := float64(chartW - labelW - 60)
	for i, r := range rated {
		y := legendH + i*rowH
		name := r.Name
		if r.Depth == 2 {
			name = "　" + name
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="12" fill="#1d2630">%s</text>`, labelW-8, y+16, esc(name))
		n := r.RatingCount()
		x := float64(labelW)
		for s, c := range r.Ratings {
			if c == 0 {
				continue
			}
			wd := plotW * float64(c) / float64(n)
			fmt.Fprintf(&b, `<rect class="sat-seg" data-score="%d" x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s %s：%d 条（%d%%）</title></rect>`,
				s+1, x, y+2, wd, rowH-6, satColors[s], esc(r.Name), esc(satNames[s]), c, c*100/n)
			x += wd
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#1d2630">均分 %s</text>`, labelW+int(plotW)+6, y+16, esc(r.RatingAvg()))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// waitChart is a histogram of waiting times in 3-minute bands.
func waitChart(bands []int) template.HTML {
	top := 0
	for _, n := range bands {
		top = max(top, n)
	}
	top = niceMax(top)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" id="chart-wait" role="img" aria-labelledby="chart-wait-title" viewBox="0 0 %d %d" width="100%%" height="%d" xmlns="http://www.w3.org/2000/svg">`, chartW, chartH, chartH)
	b.WriteString(`<title id="chart-wait-title">等候时间分布（每3分钟一档）</title>`)
	axis(&b, top, "人数")
	plotW, plotH := float64(chartW-padL-padR), float64(chartH-padT-padB)
	slot := plotW / float64(len(bands))
	for i, n := range bands {
		h := plotH * float64(n) / float64(top)
		x := float64(padL) + slot*float64(i)
		label := fmt.Sprintf("%d–%d", i*fleet.BandMinutes, (i+1)*fleet.BandMinutes)
		color := barColor
		if i == len(bands)-1 {
			label, color = fmt.Sprintf("%d+", i*fleet.BandMinutes), barColorOther
		}
		fmt.Fprintf(&b, `<rect class="wait-bar" data-band="%d" data-n="%d" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>等候 %s 分钟：%d 人</title></rect>`,
			i, n, x+1, float64(chartH-padB)-h, slot-2, h, color, label, n)
		if i%2 == 0 || i == len(bands)-1 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" font-size="11" fill="#5b6673">%s</text>`, x+slot/2, chartH-padB+16, label)
		}
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="12" fill="#5b6673">等候时间（分钟，取号到首次叫号）</text>`, padL+int(plotW)/2, chartH-6)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
