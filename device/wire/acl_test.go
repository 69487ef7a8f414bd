package wire

import (
	"bufio"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

const (
	devA  = "kiosk-0001"
	devB  = "led-0002"
	fleet = DefaultFleetUser
)

func TestAllowPolicy(t *testing.T) {
	type c struct {
		user    string
		isFleet bool
		topic   string
		write   bool
		want    bool
	}
	cases := []c{
		// A device writes its own presence, reported, result, events, telemetry, time_req.
		{devA, false, Topic(devA, KindPresence), true, true},
		{devA, false, Topic(devA, KindReported), true, true},
		{devA, false, Topic(devA, KindResult), true, true},
		{devA, false, Topic(devA, KindEvents), true, true},
		{devA, false, Topic(devA, KindTelemetry), true, true},
		{devA, false, Topic(devA, KindTimeRequest), true, true},
		// ... and never what the fleet writes, even in its own subtree.
		{devA, false, Topic(devA, KindDesired), true, false},
		{devA, false, Topic(devA, KindCommand), true, false},
		{devA, false, Topic(devA, KindAck), true, false},
		{devA, false, Topic(devA, KindTime), true, false},
		// It reads desired, cmd, ack, time and its own presence.
		{devA, false, Topic(devA, KindDesired), false, true},
		{devA, false, Topic(devA, KindCommand), false, true},
		{devA, false, Topic(devA, KindAck), false, true},
		{devA, false, Topic(devA, KindTime), false, true},
		{devA, false, Topic(devA, KindPresence), false, true},
		{devA, false, Topic(devA, KindEvents), false, false},
		// Nothing of another device.
		{devA, false, Topic(devB, KindDesired), false, false},
		{devA, false, Topic(devB, KindEvents), true, false},
		{devA, false, Topic(devB, KindPresence), true, false},
		// No wildcards, no shared or system topics for a device.
		{devA, false, "lp/v1/dev/+/desired", false, false},
		{devA, false, "#", false, false},
		{devA, false, "lp/v1/dev/" + devA + "/#", false, false},
		{devA, false, "lp/v1/dev/" + devA + "/+", false, false},
		{devA, false, "$share/fleet/lp/v1/dev/+/events", false, false},
		{devA, false, "$share/g/" + Topic(devA, KindDesired), false, false},
		{devA, false, "$SYS/#", false, false},
		{devA, false, Topic(devA, KindDesired) + "/x", false, false},
		// Usernames that are not device IDs get nothing.
		{"", false, Topic("", KindPresence), true, false},
		{"a+b", false, "lp/v1/dev/a+b/presence", true, false},
		{"#", false, "lp/v1/dev/#/presence", true, false},
		{fleet, false, Topic(devA, KindDesired), true, false},
		// The fleet: everything under the prefix, shared subscriptions, nothing else.
		{fleet, true, Topic(devA, KindDesired), true, true},
		{fleet, true, Topic(devA, KindCommand), true, true},
		{fleet, true, Topic(devA, KindAck), true, true},
		{fleet, true, Topic(devA, KindPresence), true, true}, // clearing a retired device
		{fleet, true, SharedFilter(KindEvents), false, true},
		{fleet, true, "$share/fleet/lp/v1/#", false, true},
		{fleet, true, Filter(KindPresence), false, true},
		{fleet, true, "lp/v1/#", false, true},
		{fleet, true, "#", false, false},
		{fleet, true, "lp/#", false, false},
		{fleet, true, "+/v1/dev/+/events", false, false},
		{fleet, true, "$SYS/#", false, false},
		{fleet, true, "$share//lp/v1/#", false, false},
		{fleet, true, "$share/fleet", false, false},
		{fleet, true, "lp/v2/dev/x/desired", true, false},
		{fleet, true, "lp/v1/dev/+/desired", true, false}, // wildcard in a topic name
		{fleet, true, "lp/v1/dev/a/#/b", false, false},    // invalid filter
	}
	for _, c := range cases {
		if got := Allow(c.user, c.isFleet, c.topic, c.write); got != c.want {
			t.Errorf("Allow(%q, fleet=%v, %q, write=%v) = %v; want %v", c.user, c.isFleet, c.topic, c.write, got, c.want)
		}
	}
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		filter, topic string
		want          bool
	}{
		{"a/+/c", "a/b/c", true}, {"a/+/c", "a/c", false}, {"a/#", "a", true}, {"a/#", "a/b/c", true},
		{"#", "$SYS/x", false}, {"+/x", "$SYS/x", false}, {"$SYS/#", "$SYS/x", true}, {"a/+", "a/", true},
		{"a/b", "a/b/", false}, {"a/#/b", "a/x/b", false}, {"a", "a/+", false},
	} {
		if got := Match(c.filter, c.topic); got != c.want {
			t.Errorf("Match(%q, %q) = %v; want %v", c.filter, c.topic, got, c.want)
		}
	}
}

func TestMosquittoACLGolden(t *testing.T) {
	got, err := MosquittoACL([]string{devB, devA, "kiosk-0003"}, fleet)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "mosquitto.acl")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("MosquittoACL changed; review and run with -update:\n%s", got)
	}
}

func TestMosquittoACLRefuses(t *testing.T) {
	for _, c := range []struct {
		ids   []string
		fleet string
	}{
		{[]string{devA}, "fleet"},          // a fleet user that could be a device ID
		{[]string{devA}, "lawpoint fleet"}, // a space
		{[]string{devA, "A+B"}, fleet},     // a bad device ID
		{[]string{devA, devA}, fleet},      // listed twice
		{[]string{devA}, ""},               // no fleet user
	} {
		if _, err := MosquittoACL(c.ids, c.fleet); err == nil {
			t.Errorf("MosquittoACL(%q, %q) = nil error; want a refusal", c.ids, c.fleet)
		}
	}
}

// The users, topics and filters the agreement tests walk through.
var (
	// Users Mosquitto can authenticate (the password file is exported from
	// the same validated device IDs), plus anonymous and a username with a
	// wildcard, which both sides refuse. A username such as "%u" is not a
	// device ID and never reaches a password file, so it is not compared.
	aclUsers  = []string{devA, devB, "ghost-0009", fleet, "", "a+b"}
	aclTopics = func() []string {
		var out []string
		for _, id := range []string{devA, devB, "ghost-0009", fleet, "%u", "+"} {
			for _, k := range Kinds() {
				out = append(out, DevicePrefix+id+"/"+string(k))
			}
		}
		return append(out, "lp/v1/dev/"+devA, "lp/v1/dev/"+devA+"/desired/x", "lp/v1/dev/"+devA+"/",
			"lp/v1/fleet/x", "lp/v1", "lp/v2/dev/"+devA+"/desired", "$SYS/broker/uptime", "other", "lp")
	}()
	aclFilters = []string{"#", "+/#", "lp/#", "lp/v1/#", "lp/+/dev/+/desired", "lp/v1/dev/+/desired",
		"lp/v1/dev/" + devA + "/#", "lp/v1/dev/" + devA + "/+", "lp/v1/dev/+/events", "$SYS/#",
		"$share/fleet/lp/v1/dev/+/events", "$share/fleet/#", "$share/fleet/lp/v1/#", "$share//lp/v1/#"}
)

func loadMosquitto(t testing.TB) *mosquittoACL {
	text, err := MosquittoACL([]string{devA, devB, "ghost-0009"}, fleet)
	if err != nil {
		t.Fatal(err)
	}
	return parseMosquittoACL(t, text)
}

// For every concrete topic, publishing and receiving are allowed by Allow
// exactly when the rendered Mosquitto file allows them.
func TestAllowAgreesWithMosquittoOnTopics(t *testing.T) {
	m := loadMosquitto(t)
	for _, u := range aclUsers {
		for _, topic := range aclTopics {
			for _, write := range []bool{false, true} {
				if !write && !validTopicName(topic) {
					continue // a filter, not a topic: see the filter test
				}
				got := Allow(u, u == fleet, topic, write)
				want := m.check(u, topic, write)
				if got != want {
					t.Errorf("user %q topic %q write=%v: Allow = %v, Mosquitto = %v", u, topic, write, got, want)
				}
			}
		}
	}
}

// For subscriptions, Mosquitto's acl_file grants every SUBSCRIBE and checks
// each delivered message; the embedded broker refuses the subscription. So
// a filter Allow grants must only ever deliver topics Mosquitto lets the
// user read, and every topic Mosquitto delivers through any filter is one
// Allow grants on its own.
func TestAllowAgreesWithMosquittoOnFilters(t *testing.T) {
	m := loadMosquitto(t)
	for _, u := range aclUsers {
		for _, f := range append(slices.Clone(aclFilters), aclTopics...) {
			plain := f
			if rest, ok := strings.CutPrefix(f, "$share/"); ok {
				_, plain, _ = strings.Cut(rest, "/")
			}
			granted := Allow(u, u == fleet, f, false)
			for _, topic := range aclTopics {
				if !validTopicName(topic) || !mosqMatches(plain, topic) {
					continue
				}
				delivered := m.check(u, topic, false)
				if granted && !delivered {
					t.Errorf("user %q: Allow grants %q but Mosquitto would not deliver %q", u, f, topic)
				}
				if delivered && !Allow(u, u == fleet, topic, false) {
					t.Errorf("user %q: Mosquitto delivers %q (via %q) but Allow refuses it", u, topic, f)
				}
			}
		}
	}
}

func TestAllowAgreesWithMosquittoProperty(t *testing.T) {
	m := loadMosquitto(t)
	levels := []string{"lp", "v1", "v2", "dev", devA, devB, fleet, "$SYS", "x", "", "%u"}
	for _, k := range Kinds() {
		levels = append(levels, string(k))
	}
	rapid.Check(t, func(t *rapid.T) {
		user := rapid.SampledFrom(aclUsers).Draw(t, "user")
		parts := rapid.SliceOfN(rapid.SampledFrom(levels), 1, 6).Draw(t, "levels")
		if rapid.Bool().Draw(t, "well formed") {
			parts = append([]string{"lp", "v1", "dev"}, parts...)
		}
		topic := strings.Join(parts, "/")
		write := rapid.Bool().Draw(t, "write")
		if got, want := Allow(user, user == fleet, topic, write), m.check(user, topic, write); got != want {
			t.Fatalf("user %q topic %q write=%v: Allow = %v, Mosquitto = %v", user, topic, write, got, want)
		}
	})
}

// mosquittoACL evaluates a Mosquitto acl_file as Mosquitto 2.0 does
// (mosquitto.conf(5), "acl_file"; src/security_default.c): topic lines
// before any user line apply to anonymous clients, those after "user X" to
// X; pattern lines apply to every client with %u and %c substituted; deny
// lines are checked first; a client whose username or client ID contains
// '+' or '#' is refused every pattern; a "$" topic only matches rules that
// start with "$"; nothing is allowed that no line grants. SUBSCRIBE is
// always granted and "read" is checked for every message delivered.
type mosquittoACL struct {
	anon     []mosqEntry
	users    map[string][]mosqEntry
	patterns []mosqEntry
}

type mosqEntry struct {
	topic  string
	access int // 0 deny, 1 read, 2 write, 3 readwrite
}

func parseMosquittoACL(t testing.TB, text string) *mosquittoACL {
	m := &mosquittoACL{users: map[string][]mosqEntry{}}
	user, haveUser := "", false
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		kw, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch kw {
		case "user":
			user, haveUser = rest, true
			if _, ok := m.users[user]; !ok {
				m.users[user] = nil
			}
		case "topic", "pattern":
			access := 3
			if a, topic, ok := strings.Cut(rest, " "); ok {
				switch a {
				case "read":
					access, rest = 1, strings.TrimSpace(topic)
				case "write":
					access, rest = 2, strings.TrimSpace(topic)
				case "readwrite":
					access, rest = 3, strings.TrimSpace(topic)
				case "deny":
					access, rest = 0, strings.TrimSpace(topic)
				}
			}
			e := mosqEntry{rest, access}
			switch {
			case kw == "pattern":
				m.patterns = append(m.patterns, e)
			case haveUser:
				m.users[user] = append(m.users[user], e)
			default:
				m.anon = append(m.anon, e)
			}
		default:
			t.Fatalf("acl line %d: unknown keyword %q", n, kw)
		}
	}
	return m
}

// check answers a publish (write) or a delivery (read) of a concrete topic
// for a client whose client ID equals its username ("" is anonymous).
// A topic name with a wildcard never reaches the ACL: the broker refuses
// such a PUBLISH at the protocol level (and never delivers such a name).
func (m *mosquittoACL) check(username, topic string, write bool) bool {
	if strings.ContainsAny(topic, "+#") || topic == "" {
		return false
	}
	access := 1
	if write {
		access = 2
	}
	list, ok := m.users[username]
	if username == "" {
		list, ok = m.anon, true
	}
	if !ok && len(m.patterns) == 0 {
		return false
	}
	if v, decided := mosqWalk(list, topic, access, nil); decided {
		return v
	}
	if strings.ContainsAny(username, "+#") {
		return false
	}
	expand := func(p string) (string, bool) {
		if username == "" && (strings.Contains(p, "%u") || strings.Contains(p, "%c")) {
			return "", false
		}
		return strings.ReplaceAll(strings.ReplaceAll(p, "%u", username), "%c", username), true
	}
	v, _ := mosqWalk(m.patterns, topic, access, expand)
	return v
}

func mosqWalk(list []mosqEntry, topic string, access int, expand func(string) (string, bool)) (allowed, decided bool) {
	ordered := slices.Clone(list)
	slices.SortStableFunc(ordered, func(a, b mosqEntry) int { // deny lines first
		return min(a.access, 1) - min(b.access, 1)
	})
	for _, e := range ordered {
		rule := e.topic
		if expand != nil {
			var ok bool
			if rule, ok = expand(rule); !ok {
				continue
			}
		}
		if strings.HasPrefix(topic, "$") && !strings.HasPrefix(rule, "$") {
			continue
		}
		if !mosqMatches(rule, topic) {
			continue
		}
		if e.access == 0 {
			return false, true
		}
		if e.access&access != 0 {
			return true, true
		}
	}
	return false, false
}

// mosqMatches is mosquitto_topic_matches_sub: MQTT matching, where '#'
// also matches the parent level and '$' topics need a '$' filter.
func mosqMatches(sub, topic string) bool {
	if sub == "" || topic == "" || (sub[0] == '$') != (topic[0] == '$') {
		return false
	}
	s, tp := strings.Split(sub, "/"), strings.Split(topic, "/")
	for i := range s {
		switch {
		case s[i] == "#":
			return i == len(s)-1
		case i >= len(tp):
			return false
		case s[i] == "+":
		case s[i] != tp[i]:
			return false
		}
	}
	return len(s) == len(tp)
}

func TestCheckPublish(t *testing.T) {
	if err := CheckPublish(devA, false, Topic(devA, KindPresence), 1, true); err != nil {
		t.Errorf("online presence: %v", err)
	}
	if err := CheckPublish(devA, false, Topic(devA, KindEvents), 1, true); !errors.Is(err, ErrInvalid) {
		t.Errorf("retained events: err = %v; want ErrInvalid", err)
	}
	if err := CheckPublish(devA, false, Topic(devA, KindTelemetry), 1, false); !errors.Is(err, ErrInvalid) {
		t.Errorf("telemetry at QoS 1: err = %v; want ErrInvalid", err)
	}
	if err := CheckPublish(devA, false, Topic(devA, KindDesired), 1, true); !errors.Is(err, ErrTopic) {
		t.Errorf("device writing desired: err = %v; want ErrTopic", err)
	}
	if err := CheckPublish(fleet, true, Topic(devA, KindPresence), 0, true); err != nil {
		t.Errorf("fleet clearing a retained topic: %v", err)
	}
}
