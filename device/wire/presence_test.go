package wire

import (
	"testing"

	"pgregory.net/rapid"
)

func on(s uint64) Presence  { return Presence{Schema: 1, Status: Online, Session: s} }
func off(s uint64) Presence { return Will(s) }

func TestPresenceApply(t *testing.T) {
	cases := []struct {
		name    string
		from    PresenceState
		msg     Presence
		want    PresenceState
		verdict Verdict
	}{
		{"first online", PresenceState{}, on(1), PresenceState{1, true}, Applied},
		{"first will", PresenceState{}, off(3), PresenceState{3, false}, Applied},
		{"reconnect", PresenceState{4, false}, on(5), PresenceState{5, true}, Applied},
		{"own will", PresenceState{5, true}, off(5), PresenceState{5, false}, Applied},
		{"late will after reconnect", PresenceState{6, true}, off(5), PresenceState{6, true}, Stale},
		{"online after its own will", PresenceState{5, false}, on(5), PresenceState{5, false}, Stale},
		{"repeat online", PresenceState{5, true}, on(5), PresenceState{5, true}, Duplicate},
		{"repeat will", PresenceState{5, false}, off(5), PresenceState{5, false}, Duplicate},
		{"counter went back", PresenceState{9, true}, on(2), PresenceState{9, true}, Behind},
		{"newer will while online", PresenceState{5, true}, off(7), PresenceState{7, false}, Applied},
	}
	for _, c := range cases {
		got, v := c.from.Apply(c.msg)
		if got != c.want || v != c.verdict {
			t.Errorf("%s: Apply = %+v, %v; want %+v, %v", c.name, got, v, c.want, c.verdict)
		}
	}
}

// Whatever order the fleet replicas see a device's presence messages in, the
// state ends at the newest session: offline if that session's will (or
// shutdown) arrived, else online. A late will never wins.
func TestPresenceOrderDoesNotMatter(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sessions := rapid.IntRange(1, 6).Draw(t, "sessions")
		var msgs []Presence
		var newest uint64
		newestEnded := false
		for s := 1; s <= sessions; s++ {
			if rapid.Bool().Draw(t, "online seen") {
				msgs = append(msgs, on(uint64(s)))
				newest = uint64(s)
				newestEnded = false
			}
			if rapid.Bool().Draw(t, "ended") {
				msgs = append(msgs, off(uint64(s)))
				newest = uint64(s)
				newestEnded = true
			}
		}
		perm := rapid.Permutation(msgs).Draw(t, "order")
		var st PresenceState
		for _, m := range perm {
			st, _ = st.Apply(m)
		}
		want := PresenceState{Session: newest, Online: newest > 0 && !newestEnded}
		if st != want {
			t.Fatalf("after %v: state %+v, want %+v", perm, st, want)
		}
	})
}
