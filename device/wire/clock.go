package wire

import "time"

// Clock rules (docs/PROTOCOL.md, "Clock").
const (
	// MaxClockRTT is the longest round trip a time reply may take to be
	// trusted; the error of the estimate is at most half of it.
	MaxClockRTT = 5 * time.Second
	// ClockRefresh is how often a device asks again while connected; a Pi's
	// oscillator drifts well under a second in that time.
	ClockRefresh = 6 * time.Hour
	// MaxClockStep is the offset above which a device logs that it
	// corrected a wrong clock (e.g. fake-hwclock after a power cut).
	MaxClockStep = 2 * time.Second
)

// TimeRequest is a message on lp/v1/dev/{id}/time_req (QoS 0).
type TimeRequest struct {
	Schema int `json:"schema"`
	// ID matches the reply to the request; a new random ID per request.
	ID string `json:"id"`
	// UptimeMS is the device's monotonic clock when it sent the request.
	UptimeMS uint64 `json:"uptime_ms"`
}

// TopicKind is the topic kind (time_req).
func (TimeRequest) TopicKind() Kind { return KindTimeRequest }

func (r TimeRequest) withSchema() Payload {
	if r.Schema == 0 {
		r.Schema = Schema
	}
	return r
}

// Validate checks the fields against the contract.
func (r TimeRequest) Validate() error {
	c := check{kind: KindTimeRequest}
	c.schema(r.Schema)
	c.token("id", r.ID, 64, true)
	return c.err
}

// DecodeTimeRequest decodes and validates a time request.
func DecodeTimeRequest(b []byte) (TimeRequest, error) {
	var r TimeRequest
	if err := decodeStrict(KindTimeRequest, b, &r); err != nil {
		return TimeRequest{}, err
	}
	if err := r.Validate(); err != nil {
		return TimeRequest{}, err
	}
	return r, nil
}

// TimeReply is a message on lp/v1/dev/{id}/time (QoS 0), written only by
// the fleet in answer to a TimeRequest.
type TimeReply struct {
	Schema int `json:"schema"`
	// ID and UptimeMS echo the request.
	ID       string `json:"id"`
	UptimeMS uint64 `json:"uptime_ms"`
	// FleetTime is the fleet's clock (UTC, NTP-disciplined) when it replied.
	FleetTime time.Time `json:"fleet_time"`
}

// TopicKind is the topic kind (time).
func (TimeReply) TopicKind() Kind { return KindTime }

func (r TimeReply) withSchema() Payload {
	if r.Schema == 0 {
		r.Schema = Schema
	}
	return r
}

// Validate checks the fields against the contract.
func (r TimeReply) Validate() error {
	c := check{kind: KindTime}
	c.schema(r.Schema)
	c.token("id", r.ID, 64, true)
	c.timeSet("fleet_time", r.FleetTime)
	return c.err
}

// DecodeTime decodes and validates a time reply.
func DecodeTime(b []byte) (TimeReply, error) {
	var r TimeReply
	if err := decodeStrict(KindTime, b, &r); err != nil {
		return TimeReply{}, err
	}
	if err := r.Validate(); err != nil {
		return TimeReply{}, err
	}
	return r, nil
}

// Estimate turns a reply into the fleet time at the device's monotonic
// instant nowUptimeMS. The device calls it only for a reply whose ID is its
// outstanding request and whose UptimeMS equals its own record of when it
// sent it. It gives the fleet time with its error bound (half the round
// trip); ok is false when the reply is too slow (round trip above MaxClockRTT) or from
// the future of the device's monotonic clock; the device then keeps its
// clock untrusted and asks again.
func (r TimeReply) Estimate(nowUptimeMS uint64) (fleetNow time.Time, bound time.Duration, ok bool) {
	if nowUptimeMS < r.UptimeMS {
		return time.Time{}, 0, false
	}
	rtt := time.Duration(nowUptimeMS-r.UptimeMS) * time.Millisecond
	if rtt > MaxClockRTT {
		return time.Time{}, 0, false
	}
	return r.FleetTime.Add(rtt / 2), rtt / 2, true
}
