package devicetest

import (
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"lawpoint/content"
)

// County signs manifests with its own Ed25519 key.
type County struct {
	Public  ed25519.PublicKey
	Private ed25519.PrivateKey
}

// NewCounty makes a county with a fresh key.
func NewCounty(t testing.TB) *County {
	t.Helper()
	pub, priv, err := content.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &County{Public: pub, Private: priv}
}

// Image is a made-up picture item of n bytes whose content depends on
// seed, with its bytes.
func Image(id string, version, n int, seed byte) (content.Item, []byte) {
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i*7) ^ seed
	}
	copy(data, "\x89PNG")
	return content.NewImage(id, version, "png", 64, 32, data), data
}

// Manifest builds and signs the manifest of LED board deviceID playing
// items in one fallback programme, issued at issued.
func (c *County) Manifest(t testing.TB, deviceID string, serial uint64, issued time.Time, items ...content.Item) (*content.Manifest, []byte) {
	t.Helper()
	prog := content.Programme{ID: "p-all"}
	for _, it := range items {
		prog.Entries = append(prog.Entries, content.Entry{ItemID: it.ID, Seconds: 10})
	}
	set := &content.Set{
		Items:      items,
		Programmes: []content.Programme{prog},
		Fallbacks:  map[string]string{content.DeviceLED: "p-all", content.DeviceKiosk: "p-all"},
	}
	compiled, err := content.Compile(set)
	if err != nil {
		t.Fatalf("compiling the test content: %v", err)
	}
	dev := content.Device{ID: deviceID, Kind: content.DeviceLED, Region: "仙游县/榜头镇/坝下村"}
	m, err := compiled.BuildManifest(dev, serial, issued)
	if err != nil {
		t.Fatalf("building manifest %d: %v", serial, err)
	}
	signed, err := content.Sign(m, c.Private)
	if err != nil {
		t.Fatalf("signing manifest %d: %v", serial, err)
	}
	if len(m.Items) != len(items) {
		t.Fatalf("manifest %d carries %d items; want %d", serial, len(m.Items), len(items))
	}
	return m, signed
}

// Tamper returns signed with one byte of its payload changed, keeping the
// JSON envelope readable, so Verify reports a tampered manifest.
func Tamper(t testing.TB, signed []byte) []byte {
	t.Helper()
	out := append([]byte(nil), signed...)
	// The payload is base64 after "payload":"; flip a character well inside.
	const key = `"payload":"`
	for i := 0; i+len(key) < len(out); i++ {
		if string(out[i:i+len(key)]) == key {
			j := i + len(key) + 40
			if out[j] == 'A' {
				out[j] = 'B'
			} else {
				out[j] = 'A'
			}
			return out
		}
	}
	t.Fatal(fmt.Errorf("no payload in signed manifest"))
	return nil
}
