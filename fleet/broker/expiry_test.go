package broker

import (
	"context"
	"testing"
	"time"

	"lawpoint/fleet"
)

type noAuth struct{}

func (noAuth) Authenticate(context.Context, string, string) (fleet.Principal, error) {
	return fleet.Principal{}, fleet.ErrBadCredentials
}

// Retained messages (a device's desired state) and an offline session's
// queue are kept 9 days, not mochi's 24 hours; an explicit setting wins.
func TestMessageExpiry(t *testing.T) {
	b, err := New(noAuth{}, Config{TCP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.srv.Options.Capabilities.MaximumMessageExpiryInterval; got != 9*24*3600 {
		t.Fatalf("message expiry %d s, want 9 days", got)
	}
	b, err = New(noAuth{}, Config{TCP: "127.0.0.1:0", MessageExpiry: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.srv.Options.Capabilities.MaximumMessageExpiryInterval; got != 30*24*3600 {
		t.Fatalf("message expiry %d s, want 30 days", got)
	}
}
