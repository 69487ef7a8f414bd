package sim

import (
	"crypto/ed25519"
	"encoding/json"
	"testing"
	"time"

	"lawpoint/content"
	"lawpoint/content/demo"
	"lawpoint/device/wire"
)

// demoDesired is the desired-state payload the fleet sends a demo LED board
// (the 14-day plan of the demo county plus the simulator's schedule).
func demoDesired(tb testing.TB, serial uint64) ([]byte, ed25519.PublicKey, ed25519.PrivateKey) {
	tb.Helper()
	pub, key, err := content.GenerateKey(nil)
	if err != nil {
		tb.Fatal(err)
	}
	set := demo.Set()
	set.Schedules = append(set.Schedules, schedule(7))
	c, err := content.Compile(set)
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	m, err := c.BuildManifest(content.Device{ID: "sim-00001", Kind: "led", Region: demo.Regions[0]}, serial, now)
	if err != nil {
		tb.Fatal(err)
	}
	signed, err := content.Sign(m, key)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := wire.Encode(wire.Desired{Version: 1, IssuedAt: now, Settings: wire.Settings{Brightness: 80, Volume: 60, TimeZone: "Asia/Shanghai", TelemetryInterval: 60}, Manifest: signed})
	if err != nil {
		tb.Fatal(err)
	}
	return b, pub, key
}

// TestVerifyModesAgree: the signature check accepts what content.Sign
// made (so signingDomain matches content's) and refuses what content.Verify
// refuses for a forger: another key, altered bytes, another device, an
// old serial.
func TestVerifyModesAgree(t *testing.T) {
	b, pub, _ := demoDesired(t, 5)
	des, err := wire.DecodeDesired(b)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("desired state for a demo board: %d bytes (manifest %d)", len(b), len(des.Manifest))
	otherPub, _, _ := content.GenerateKey(nil)
	var env map[string]any
	json.Unmarshal(des.Manifest, &env)
	p := []byte(env["payload"].(string))
	p[10] ^= 1
	env["payload"] = string(p)
	altered, _ := json.Marshal(env)
	now := time.Now()
	for _, mode := range []VerifyMode{VerifySignature, VerifyFull} {
		v, err := newVerifier(mode, pub)
		if err != nil {
			t.Fatal(err)
		}
		if serial, err := v.check(des.Manifest, "sim-00001", 4, now); err != nil || serial != 5 {
			t.Fatalf("%s: good manifest: serial %d, %v", mode, serial, err)
		}
		for name, tc := range map[string]struct {
			data    []byte
			pub     ed25519.PublicKey
			dev     string
			applied uint64
		}{
			"other key":     {des.Manifest, otherPub, "sim-00001", 0},
			"altered bytes": {altered, pub, "sim-00001", 0},
			"other device":  {des.Manifest, pub, "sim-00002", 0},
			"old serial":    {des.Manifest, pub, "sim-00001", 5},
		} {
			v, _ := newVerifier(mode, tc.pub)
			if _, err := v.check(tc.data, tc.dev, tc.applied, now); err == nil {
				t.Errorf("%s: %s accepted", mode, name)
			}
		}
		if _, err := v.check(des.Manifest, "sim-00001", 0, now.Add(15*24*time.Hour)); err == nil {
			t.Errorf("%s: expired manifest accepted", mode)
		}
	}
}

// BenchmarkDesired: what a simulated device spends on one desired state,
// by verify mode (strict decode of the desired state included).
func BenchmarkDesired(b *testing.B) {
	payload, pub, _ := demoDesired(b, 5)
	for _, mode := range []VerifyMode{VerifySignature, VerifyFull} {
		b.Run(string(mode), func(b *testing.B) {
			v, _ := newVerifier(mode, pub)
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				des, err := wire.DecodeDesired(payload)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := v.check(des.Manifest, "sim-00001", 0, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("decode-only", func(b *testing.B) {
		for b.Loop() {
			if _, err := wire.DecodeDesired(payload); err != nil {
				b.Fatal(err)
			}
		}
	})
}
