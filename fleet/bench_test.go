package fleet_test

import (
	"testing"

	"lawpoint/fleet"
)

// BenchmarkAuthenticate is one device login as the broker's hook does it:
// a store lookup and one salted SHA-512, the cost a reconnect storm pays
// per device.
func BenchmarkAuthenticate(b *testing.B) {
	r, _ := newRegistry(b)
	ctx := b.Context()
	if _, err := r.CreateDevice(ctx, fleet.Device{ID: "led-1", Kind: fleet.KindLED, Region: "仙游县"}); err != nil {
		b.Fatal(err)
	}
	tok, _, _ := r.CreateToken(ctx, "led-1", 0)
	e, err := r.Enrol(ctx, tok)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Authenticate(ctx, "led-1", e.Password); err != nil {
			b.Fatal(err)
		}
	}
}
