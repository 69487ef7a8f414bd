package fleet

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"lawpoint/content"
	"lawpoint/device/wire"
)

// Manifest templates: one recompute issues every device a manifest made at
// the same instant, and devices that resolve alike get the same manifest
// but for their device ID and serial. Devices resolve alike when they have
// the same kind (fallback), the same region (notices) and the same
// targeting schedules (Compiled.Targeted) — that is all Compiled.Resolve
// and BuildManifest read of a device. So the first device of such a group
// is built in full (plan, canonical encoding, signature, wire encoding),
// and the others splice their ID and serial into its canonical bytes and
// are only signed and wrapped: the plan and the JSON encoding, most of a
// manifest's cost, are done once per group instead of once per device.
//
// The result is byte for byte what the full path makes. That rests on the
// canonical encoding (content.Manifest.Encode: compact JSON, fields in
// declaration order, so the device ID and serial open the manifest and the
// plan repeats the device ID first), on content.Sign's envelope and on
// wire.Encode; so every template checks itself once, on its first device:
// the spliced manifest, envelope, signature and desired-state payload must
// equal the full path's bytes, or the group is built in full.
// TestManifestTemplatesMatchFullBuild compares both paths device by device.

// manifestSigningDomain is what content.Sign signs before the canonical
// manifest (content's signingDomain). The self-check compares the
// signature made with it to content.Sign's own.
const manifestSigningDomain = "lawpoint-manifest-v1\x00"

// maxTemplateBytes bounds the templates one recompute keeps: a county
// where nearly every device resolves differently builds the rest in full
// rather than holding a manifest per device.
const maxTemplateBytes = 64 << 20

// planDeviceKey is how the plan opens in the canonical manifest.
const planDeviceKey = `,"plan":{"device_id":"`

// manifestPlaceholder stands in for the signed manifest when the desired
// state is encoded around it.
const manifestPlaceholder = `"manifest":{}`

// templates are one recompute's manifest templates, by group.
type templates struct {
	c     *content.Compiled
	mu    sync.Mutex
	group map[string]*template
	size  int // bytes held by the templates
}

func newTemplates(c *content.Compiled) *templates {
	return &templates{c: c, group: map[string]*template{}}
}

// template is one group's canonical manifest around the device ID and
// serial: head(id, serial) + mid + id + tail.
type template struct {
	once    sync.Once
	ok      bool // made and passed its self-check
	mid     []byte
	tail    []byte
	expires time.Time
	envHead []byte // the signed envelope up to the payload's base64
}

// groupKey names the devices that resolve alike; each part is length
// prefixed, so no two different groups share a key.
func groupKey(c *content.Compiled, dev content.Device) string {
	b := make([]byte, 0, 128)
	add := func(s string) {
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	add(dev.Kind)
	add(dev.Region)
	for _, id := range c.Targeted(dev) {
		add(id)
	}
	return string(b)
}

// get returns dev's group template, or nil when the templates are full.
func (ts *templates) get(dev content.Device) *template {
	k := groupKey(ts.c, dev)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	tp := ts.group[k]
	if tp == nil {
		if ts.size >= maxTemplateBytes {
			return nil
		}
		tp = &template{}
		ts.group[k] = tp
	}
	return tp
}

func (ts *templates) hold(tp *template) {
	ts.mu.Lock()
	ts.size += len(tp.mid) + len(tp.tail) + len(tp.envHead)
	ts.mu.Unlock()
}

// appendManifestHead appends how a canonical manifest opens, up to and
// with the serial.
func appendManifestHead(b []byte, id string, serial uint64) []byte {
	b = append(b, `{"schema":`...)
	b = strconv.AppendInt(b, content.ManifestSchema, 10)
	b = append(b, `,"device_id":"`...)
	b = append(b, id...)
	b = append(b, `","serial":`...)
	return strconv.AppendUint(b, serial, 10)
}

// init makes tp from the full build of its first device (id, serial: its
// canonical manifest m, signed envelope and desired-state payload) and
// checks that splicing gives back exactly those bytes.
func (tp *template) init(key ed25519.PrivateKey, m *content.Manifest, signed []byte, des wire.Desired, payload []byte) bool {
	id, serial := m.DeviceID, m.Serial
	if wire.ValidateDeviceID(id) != nil {
		return false
	}
	enc, err := m.Encode()
	if err != nil {
		return false
	}
	head := appendManifestHead(nil, id, serial)
	marker := []byte(planDeviceKey + id + `",`)
	if !bytes.HasPrefix(enc, head) || bytes.Count(enc, marker) != 1 {
		return false
	}
	i := bytes.Index(enc, marker) + len(planDeviceKey)
	tp.mid = bytes.Clone(enc[len(head):i])
	tp.tail = bytes.Clone(enc[i+len(id):])
	tp.expires = m.ExpiresAt
	keyID, err := json.Marshal(content.KeyID(key.Public().(ed25519.PublicKey)))
	if err != nil {
		return false
	}
	tp.envHead = append(append([]byte(`{"key_id":`), keyID...), `,"payload":"`...)
	got, ok := tp.desired(key, id, serial, des)
	return ok && bytes.Equal(got, payload) && bytes.Contains(got, signed)
}

// manifest appends the canonical manifest of (id, serial) to b.
func (tp *template) manifest(b []byte, id string, serial uint64) []byte {
	b = appendManifestHead(b, id, serial)
	b = append(b, tp.mid...)
	b = append(b, id...)
	return append(b, tp.tail...)
}

// envelope is json.Marshal of content's envelope{KeyID, Payload, Signature}.
func (tp *template) envelope(enc, sig []byte) []byte {
	b64 := base64.StdEncoding
	out := make([]byte, 0, len(tp.envHead)+b64.EncodedLen(len(enc))+len(`","signature":"`)+b64.EncodedLen(len(sig))+2)
	out = append(out, tp.envHead...)
	out = b64.AppendEncode(out, enc)
	out = append(out, `","signature":"`...)
	out = b64.AppendEncode(out, sig)
	return append(out, `"}`...)
}

// desired returns the desired-state payload of (id, serial) with des's
// other fields, as wire.Encode would make it with the signed manifest; ok
// is false when only the full path can tell (too large, or invalid).
func (tp *template) desired(key ed25519.PrivateKey, id string, serial uint64, des wire.Desired) ([]byte, bool) {
	msg := make([]byte, 0, len(manifestSigningDomain)+len(tp.mid)+len(tp.tail)+2*len(id)+64)
	msg = append(msg, manifestSigningDomain...)
	msg = tp.manifest(msg, id, serial)
	enc := msg[len(manifestSigningDomain):]
	if len(enc) > content.MaxManifestSize*3/4-256 { // content.Sign refuses it
		return nil, false
	}
	signed := tp.envelope(enc, ed25519.Sign(key, msg))
	des.Manifest = json.RawMessage(`{}`)
	small, err := wire.Encode(des)
	if err != nil || bytes.Count(small, []byte(manifestPlaceholder)) != 1 {
		return nil, false
	}
	i := bytes.Index(small, []byte(manifestPlaceholder)) + len(manifestPlaceholder) - len(`{}`)
	out := make([]byte, 0, len(small)+len(signed))
	out = append(append(append(out, small[:i]...), signed...), small[i+len(`{}`):]...)
	if spec, _ := wire.SpecOf(wire.KindDesired); len(out) > spec.MaxBytes {
		return nil, false
	}
	return out, true
}
