package broker

import (
	"context"
	"errors"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"lawpoint/device/wire"
	"lawpoint/fleet"
	"lawpoint/fleet/internal/ratelog"
)

// Authenticator checks MQTT credentials; *fleet.Registry is one.
type Authenticator interface {
	Authenticate(ctx context.Context, username, password string) (fleet.Principal, error)
}

// AuthTimeout bounds one credential check against the store.
const AuthTimeout = 5 * time.Second

// authHook authenticates every connection through the registry and checks
// every publish, subscribe and delivery with wire.Allow.
//
// Rules beyond wire.Allow, enforced at CONNECT:
//   - a device's client ID must be its username (its device ID), so no
//     device can take over another device's session;
//   - a fleet account's client ID must not be a device ID, for the same
//     reason;
//   - the will must pass wire.CheckPublish (mochi does not check wills), so
//     a device's will can only be its own retained QoS 1 presence.
//
// And on every PUBLISH, wire.CheckPublish: QoS and retain as the protocol
// says for the topic (OnPublish).
type authHook struct {
	mqtt.HookBase
	ctx  context.Context
	auth Authenticator
	warn *ratelog.Limiter
}

func (h *authHook) ID() string { return "lawpoint-auth" }

func (h *authHook) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck || b == mqtt.OnPublish
}

// isFleet tells the fleet's accounts from devices by username: wire makes
// fleet usernames invalid as device IDs and device usernames are always
// device IDs, and OnConnectAuthenticate refuses anything else.
func isFleet(username []byte) bool {
	return wire.ValidateDeviceID(string(username)) != nil
}

func (h *authHook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	user := string(pk.Connect.Username)
	remote := cl.Net.Remote
	refuse := func(reason string, args ...any) bool {
		h.warn.Warn("refuse:"+user, "mqtt connection refused: "+reason,
			append([]any{"username", user, "client_id", cl.ID, "remote", remote}, args...)...)
		return false
	}
	if !pk.Connect.UsernameFlag || user == "" {
		return refuse("no username; devices log in with their device ID and password")
	}
	ctx, cancel := context.WithTimeout(h.ctx, AuthTimeout)
	defer cancel()
	p, err := h.auth.Authenticate(ctx, user, string(pk.Connect.Password))
	if errors.Is(err, fleet.ErrBadCredentials) {
		return refuse("wrong username or password, or the device is revoked or not enrolled")
	}
	if err != nil {
		h.warn.Warn("auth-error", "mqtt authentication failed; check the store", "username", user, "error", err)
		return false
	}
	fleetUser := isFleet(pk.Connect.Username)
	switch {
	case p.Role == fleet.RoleFleet && !fleetUser, p.Role == fleet.RoleDevice && fleetUser:
		return refuse("account role does not match its name; fix the account in the store", "role", p.Role)
	case !fleetUser && cl.ID != user:
		return refuse("a device's client ID must be its device ID")
	case fleetUser && !isFleet([]byte(cl.ID)):
		return refuse("a fleet client ID must not be a device ID; use e.g. lawpoint_fleet-1")
	}
	if pk.Connect.WillFlag {
		if err := wire.CheckPublish(user, fleetUser, pk.Connect.WillTopic, pk.Connect.WillQos, pk.Connect.WillRetain); err != nil {
			return refuse("last will breaks the protocol; a device's will is its own retained QoS 1 presence",
				"will_topic", truncate(pk.Connect.WillTopic, 200), "error", err)
		}
	}
	return true
}

func (h *authHook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	if cl.Net.Inline {
		return true // the fleet's own in-process client
	}
	ok := wire.Allow(string(cl.Properties.Username), isFleet(cl.Properties.Username), topic, write)
	if !ok {
		verb := "subscribe to or receive"
		if write {
			verb = "publish to"
		}
		h.warn.Warn("acl:"+cl.ID, "mqtt access denied: a client may only use its own topics (docs/PROTOCOL.md)",
			"client_id", cl.ID, "action", verb, "topic", truncate(topic, 200))
	}
	return ok
}

// OnPublish drops (after acknowledging, so a QoS 1 sender does not resend
// forever) a device's publish whose QoS or retain flag differs from the
// protocol's (wire.CheckPublish), e.g. a presence that is not retained.
func (h *authHook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil
	}
	err := wire.CheckPublish(string(cl.Properties.Username), isFleet(cl.Properties.Username), pk.TopicName, pk.FixedHeader.Qos, pk.FixedHeader.Retain)
	if err != nil {
		h.warn.Warn("publish:"+cl.ID+":"+pk.TopicName, "mqtt publish dropped", "client_id", cl.ID, "error", err)
		return pk, packets.CodeSuccessIgnore
	}
	return pk, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
