package broker

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
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
//
// The check runs in OnConnect, not OnConnectAuthenticate: mochi's
// OnConnectAuthenticate can only say yes or no, and no becomes CONNACK
// "bad username or password" (MQTT 3.1.1: 5, not authorized), which is the
// wrong answer when the fleet merely could not check (a store error, a
// timeout, the fleet shutting down). OnConnect may send its own CONNACK and
// halt the connection, so a connection the fleet cannot check now is
// refused with "server unavailable" (3.1.1: 3), which devices treat as
// temporary. A refusal that is the client's fault is left to
// OnConnectAuthenticate, so mochi answers it as before.
type authHook struct {
	mqtt.HookBase
	ctx     context.Context
	auth    Authenticator
	warn    *ratelog.Limiter
	srv     *mqtt.Server
	closing *atomic.Bool // the broker is shutting down: accept nobody

	// passed holds the clients OnConnect accepted, until
	// OnConnectAuthenticate (called right after it) takes them out.
	passed sync.Map // *mqtt.Client → struct{}
}

func (h *authHook) ID() string { return "lawpoint-auth" }

func (h *authHook) Provides(b byte) bool {
	switch b {
	case mqtt.OnConnect, mqtt.OnConnectAuthenticate, mqtt.OnSessionEstablished, mqtt.OnACLCheck, mqtt.OnPublish:
		return true
	}
	return false
}

// isFleet tells the fleet's accounts from devices by username: wire makes
// fleet usernames invalid as device IDs and device usernames are always
// device IDs, and OnConnect refuses anything else.
func isFleet(username []byte) bool {
	return wire.ValidateDeviceID(string(username)) != nil
}

// Why a connection is refused for now (not for good): the ratelog key and
// what the log says. Each is logged once a minute, however many clients.
const (
	unavailShutdown = "shutting-down"
	unavailTimeout  = "store-timeout"
	unavailStore    = "store-error"
)

// OnConnect checks the connection (see authHook). It returns nil for a
// client that passed and for one refused for good (OnConnectAuthenticate
// then refuses it); for a client the fleet cannot check now it answers
// CONNACK "server unavailable" itself and returns that code, which makes
// mochi drop the connection.
func (h *authHook) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	ok, unavailable, err := h.check(cl, pk)
	if unavailable == "" {
		if ok {
			h.passed.Store(cl, struct{}{})
		}
		return nil
	}
	msg := map[string]string{
		unavailShutdown: "mqtt connection refused for now: the fleet is shutting down; devices retry with backoff",
		unavailTimeout:  "mqtt connection refused for now: the store did not answer in time; devices retry with backoff",
		unavailStore:    "mqtt connection refused for now: the store failed; check the database (disk full? permissions?); devices retry with backoff",
	}[unavailable]
	args := []any{"username", string(pk.Connect.Username), "remote", cl.Net.Remote}
	if err != nil {
		args = append(args, "error", err)
	}
	h.warn.Warn("unavailable:"+unavailable, msg, args...)
	_ = h.srv.SendConnack(cl, packets.ErrServerUnavailable, false, nil) // 3.1.1: 3
	return packets.ErrServerUnavailable
}

// OnConnectAuthenticate accepts exactly the clients OnConnect passed.
func (h *authHook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	_, ok := h.passed.LoadAndDelete(cl)
	return ok
}

// OnSessionEstablished drops a client that got through while the broker
// began to close: mochi disconnects the clients it knows once, and one that
// registers after that sweep would hold Close up until it leaves.
func (h *authHook) OnSessionEstablished(cl *mqtt.Client, pk packets.Packet) {
	if h.closing.Load() {
		cl.Stop(packets.ErrServerShuttingDown)
	}
}

// check applies the rules. unavailable is non-empty when the fleet could
// not decide now (a reason constant, with err); otherwise ok says whether
// the client may connect (refusals are logged here).
func (h *authHook) check(cl *mqtt.Client, pk packets.Packet) (ok bool, unavailable string, err error) {
	if h.closing.Load() {
		return false, unavailShutdown, nil
	}
	user := string(pk.Connect.Username)
	remote := cl.Net.Remote
	refuse := func(reason string, args ...any) (bool, string, error) {
		h.warn.Warn("refuse:"+user, "mqtt connection refused: "+reason,
			append([]any{"username", user, "client_id", cl.ID, "remote", remote}, args...)...)
		return false, "", nil
	}
	if !pk.Connect.UsernameFlag || user == "" {
		return refuse("no username; devices log in with their device ID and password")
	}
	ctx, cancel := context.WithTimeout(h.ctx, AuthTimeout)
	defer cancel()
	p, err := h.auth.Authenticate(ctx, user, string(pk.Connect.Password))
	switch {
	case errors.Is(err, fleet.ErrBadCredentials):
		return refuse("wrong username or password, or the device is revoked or not enrolled")
	case err != nil && (h.closing.Load() || h.ctx.Err() != nil):
		return false, unavailShutdown, err
	case errors.Is(err, context.DeadlineExceeded):
		return false, unavailTimeout, err
	case err != nil:
		return false, unavailStore, err
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
	if h.closing.Load() {
		return false, unavailShutdown, nil
	}
	return true, "", nil
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
