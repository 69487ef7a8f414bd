package device

import (
	"context"
	"testing"
	"time"

	"lawpoint/device/wire"
)

// Only the reply to the outstanding request is taken; a forged or late one
// leaves the clock untrusted.
func TestClockTakesOnlyItsReply(t *testing.T) {
	c := NewClock(nil, func(context.Context) bool { return false })
	c.CheckNTP(context.Background())
	req := c.Request()
	fleet := time.Now().Add(-48 * time.Hour) // fake-hwclock is two days ahead
	if c.Reply(wire.TimeReply{Schema: 1, ID: "someone-else", UptimeMS: req.UptimeMS, FleetTime: fleet}) {
		t.Fatal("took a reply for another request")
	}
	if c.Reply(wire.TimeReply{Schema: 1, ID: req.ID, UptimeMS: req.UptimeMS + 1, FleetTime: fleet}) {
		t.Fatal("took a reply that does not echo the request's uptime")
	}
	if c.Trusted() {
		t.Fatal("trusted without a valid reply")
	}
	if !c.Reply(wire.TimeReply{Schema: 1, ID: req.ID, UptimeMS: req.UptimeMS, FleetTime: fleet}) || !c.Trusted() {
		t.Fatal("the matching reply was not taken")
	}
	if d := time.Since(c.Now()); d < 47*time.Hour || d > 49*time.Hour {
		t.Fatalf("Now is %v behind the system clock; want the fleet's 48h", d)
	}
	if c.Reply(wire.TimeReply{Schema: 1, ID: req.ID, UptimeMS: req.UptimeMS, FleetTime: fleet}) {
		t.Fatal("took the same reply twice")
	}
}

// NTP synchronisation alone makes the clock trusted, and Now is the system
// clock then.
func TestClockTrustsNTP(t *testing.T) {
	c := NewClock(nil, func(context.Context) bool { return true })
	if c.Trusted() {
		t.Fatal("trusted before asking")
	}
	c.CheckNTP(context.Background())
	if !c.Trusted() {
		t.Fatal("not trusted with NTP synchronised")
	}
}
