package content

import (
	"fmt"
	"sort"
	"time"
)

// PlanHorizon is how far ahead a plan reaches: two weeks, so a village
// board cut off from the fleet keeps the right programme that long.
const PlanHorizon = 14 * 24 * time.Hour

// MaxPlanHorizon bounds the horizon a caller may ask for.
const MaxPlanHorizon = 62 * 24 * time.Hour

// Plan is what one device plays over a span of time: contiguous segments
// [Start, End) covering [From, To), each with its answer, adjacent equal
// answers merged; and what to play when the clock cannot be trusted.
type Plan struct {
	DeviceID string    `json:"device_id"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Segments []Segment `json:"segments"`
	// Untrusted is the answer for a clock that cannot be trusted, and for
	// any instant outside [From, To).
	Untrusted Answer `json:"untrusted"`
}

// Segment is one stretch of a plan with a constant answer. Answer.Until
// equals End.
type Segment struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Answer Answer    `json:"answer"`
}

// Plan resolves dev from `from` (cut to the whole second) for horizon
// (PlanHorizon when zero or less, at most MaxPlanHorizon), following each
// answer's Until.
func (c *Compiled) Plan(dev Device, from time.Time, horizon time.Duration) *Plan {
	if horizon <= 0 {
		horizon = PlanHorizon
	}
	horizon = min(horizon, MaxPlanHorizon)
	from = from.UTC().Truncate(time.Second)
	to := from.Add(horizon)
	p := &Plan{DeviceID: dev.ID, From: from, To: to, Untrusted: c.Resolve(dev, from, Options{})}
	for t := from; t.Before(to); {
		a := c.Resolve(dev, t, Trusted)
		end := a.Until
		if end.IsZero() || end.After(to) {
			end = to
		}
		if !end.After(t) { // cannot happen; never loop on it
			end = t.Add(time.Second)
		}
		end = end.UTC()
		if n := len(p.Segments); n > 0 && p.Segments[n-1].Answer.Same(a) {
			p.Segments[n-1].End = end
			p.Segments[n-1].Answer.Until = end
		} else {
			a.Until = end
			p.Segments = append(p.Segments, Segment{Start: t, End: end, Answer: a})
		}
		t = end
	}
	return p
}

// MakePlan compiles set and plans dev; see Compiled.Plan.
func MakePlan(dev Device, from time.Time, horizon time.Duration, set *Set) (*Plan, error) {
	c, err := Compile(set)
	if err != nil {
		return nil, err
	}
	return c.Plan(dev, from, horizon), nil
}

// At returns what plays at t. With a trusted clock and t inside the plan it
// is the segment's answer; otherwise it is the Untrusted answer, and ok is
// false when the clock was trusted but t lies outside the plan (the device
// needs a new plan).
func (p *Plan) At(t time.Time, clockTrusted bool) (a Answer, ok bool) {
	if !clockTrusted {
		return p.Untrusted, true
	}
	i := sort.Search(len(p.Segments), func(i int) bool { return t.Before(p.Segments[i].End) })
	if i == len(p.Segments) || t.Before(p.Segments[i].Start) {
		return p.Untrusted, false
	}
	return p.Segments[i].Answer, true
}

// check reports whether p is well formed: segments contiguous, in order,
// non-empty, covering [From, To).
func (p *Plan) check() error {
	if !p.From.Before(p.To) {
		return fmt.Errorf("plan runs from %s to %s, not forward", p.From, p.To)
	}
	if len(p.Segments) == 0 {
		return fmt.Errorf("plan has no segments")
	}
	at := p.From
	for i, s := range p.Segments {
		if !s.Start.Equal(at) || !s.Start.Before(s.End) {
			return fmt.Errorf("plan segment %d [%s, %s) does not start where the last ended (%s) or is empty", i, s.Start, s.End, at)
		}
		at = s.End
	}
	if !at.Equal(p.To) {
		return fmt.Errorf("plan segments end at %s, not at %s", at, p.To)
	}
	return nil
}
