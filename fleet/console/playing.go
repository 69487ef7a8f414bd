package console

import (
	"context"
	"strings"
	"sync"
	"time"

	"lawpoint/content"
	"lawpoint/device/wire"
	"lawpoint/fleet"
)

// nowShowing is what a device plays at this moment by the county's current
// content: the resolver's answer (content.Compiled, the code the devices
// run on their manifests), for the device's clock trust as it last
// reported it. It is what the device shows once it has applied the
// current version (Stale says when it has not).
type nowShowing struct {
	Class string // notice, schedule, fallback or none (CSS and tests)
	Text  string // for staff, in Chinese
	Until time.Time
	Stale bool // the device has not applied the current content version
}

// UntilText is when the answer next changes, in Beijing time.
func (n nowShowing) UntilText() string {
	if n.Until.IsZero() {
		return ""
	}
	return n.Until.In(shanghai).Format("01-02 15:04")
}

// compiledCache keeps the compiled content of one library revision, so a
// page showing hundreds of devices compiles once, and only after a change.
type compiledCache struct {
	mu   sync.Mutex
	rev  int64
	set  *content.Set
	comp *content.Compiled
}

// compiled returns the current content compiled.
func (c *Console) compiled(ctx context.Context) (*content.Compiled, error) {
	set, rev, err := c.cfg.Library.Set(ctx)
	if err != nil {
		return nil, err
	}
	cc := &c.compiledCache
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.comp != nil && cc.rev == rev {
		return cc.comp, nil
	}
	comp, err := content.Compile(set)
	if err != nil {
		return nil, err
	}
	cc.rev, cc.set, cc.comp = rev, set, comp
	return comp, nil
}

// fillShowing sets Showing on every row, at the console's now.
func (c *Console) fillShowing(ctx context.Context, rows []deviceRow) error {
	if len(rows) == 0 || c.cfg.Library == nil {
		return nil
	}
	comp, err := c.compiled(ctx)
	if err != nil {
		return err
	}
	set := comp.Set()
	names := map[string]string{}
	for _, s := range set.Schedules {
		names["s:"+s.ID] = s.Name
	}
	for _, p := range set.Programmes {
		names["p:"+p.ID] = p.Name
	}
	now := c.now()
	var snaps [2]*content.Snapshot // untrusted, trusted clock
	for i := range rows {
		trusted := rows[i].Sample == nil || rows[i].Sample.ClockTrusted
		k := 0
		if trusted {
			k = 1
		}
		if snaps[k] == nil {
			snaps[k] = comp.Snapshot(now, content.Options{ClockTrusted: trusted})
		}
		a := snaps[k].Resolve(fleet.ContentDevice(rows[i].Device))
		rows[i].Showing = describeAnswer(a, names)
		rows[i].Showing.Stale = rows[i].Rollout.Status != wire.Converged
	}
	return nil
}

// describeAnswer says in Chinese what an answer plays; names holds
// schedule ("s:ID") and programme ("p:ID") names.
func describeAnswer(a content.Answer, names map[string]string) nowShowing {
	n := nowShowing{Class: string(a.Source), Until: a.Until}
	name := func(kind, id string) string {
		if s := names[kind+id]; s != "" {
			return s
		}
		return id
	}
	switch a.Source {
	case content.SourceNotice:
		var ts []string
		for _, x := range a.Notices {
			ts = append(ts, "“"+clip(x.Text, 24)+"”")
		}
		n.Text = "紧急通知 " + strings.Join(ts, "、")
	case content.SourceSchedule:
		var ps []string
		for _, p := range a.Programmes {
			ps = append(ps, "排期“"+name("s:", p.ScheduleID)+"”：节目“"+name("p:", p.ProgrammeID)+"”")
		}
		n.Text = strings.Join(ps, "；")
		if len(ps) > 1 {
			n.Text = "轮流播放 " + n.Text
		}
	case content.SourceFallback:
		if len(a.Programmes) > 0 {
			n.Text = "默认节目“" + name("p:", a.Programmes[0].ProgrammeID) + "”"
		} else {
			n.Text = "默认节目"
		}
	default:
		n.Class = string(content.SourceNone)
		n.Text = "没有可播放的内容（待机画面）"
	}
	if !a.ClockTrusted && a.ReasonZH != "" {
		n.Text += "（" + a.ReasonZH + "）"
	}
	return n
}

// clip shortens s to at most n characters, marking the cut.
func clip(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n]) + "…"
}
