package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"lawpoint/content"
	"lawpoint/content/demo"
	"lawpoint/fleet"
	"lawpoint/fleet/api"
	"lawpoint/fleet/client"
	"lawpoint/fleet/sqlitestore"
)

// State is what the simulator keeps between its runs (the state file):
// the simulated devices with their credentials and session counters, the
// staff token and the county public key.
type State struct {
	FleetURL  string   `json:"fleet_url,omitempty"`
	Token     string   `json:"token,omitempty"`
	PublicKey string   `json:"public_key"`
	Devices   []Record `json:"devices"`
}

// LoadState reads a state file.
func LoadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the simulator's state %s: %w (run the setup phase first)", path, err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("read the simulator's state %s: %w", path, err)
	}
	return &st, nil
}

// Save writes the state file atomically (0600: it holds passwords).
func (st *State) Save(path string) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// DeviceID is the ID of simulated device i (from 0).
func DeviceID(prefix string, i int) string { return fmt.Sprintf("%s-%05d", prefix, i+1) }

// plan returns the record of simulated device i: one kiosk for every three
// LED boards, spread round-robin over the demo villages.
func plan(prefix string, i int) Record {
	kind := "led"
	if i%4 == 3 {
		kind = "kiosk"
	}
	return Record{ID: DeviceID(prefix, i), Kind: kind, Region: demo.Regions[i%len(demo.Regions)]}
}

// Setup registers the devices the state lacks (up to cfg.N) and loads the
// demo content when the fleet has none. With cfg.Data it works on the
// fleet's store directly (the fleet must be stopped): the same Registry
// and Library calls the API makes, without HTTP and its enrolment rate
// limit, and it creates a staff account "sim-…" and a session for the
// later phases. With cfg.FleetURL it goes through the API (create +
// enrol, as an installer would), spreading enrolments over cfg.Sources
// because /api/enrol allows 20 per minute per address.
func Setup(ctx context.Context, cfg Config) (*State, error) {
	cfg.defaults()
	if cfg.N <= 0 {
		return nil, errors.New("setup: give the number of devices with -n")
	}
	st, err := LoadState(cfg.StateFile)
	if errors.Is(err, os.ErrNotExist) || (err != nil && strings.Contains(err.Error(), "no such file")) {
		st, err = &State{}, nil
	}
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, r := range st.Devices {
		have[r.ID] = true
	}
	var todo []Record
	for i := range cfg.N {
		if r := plan(cfg.Prefix, i); !have[r.ID] {
			todo = append(todo, r)
		}
	}
	start := time.Now()
	if cfg.Data != "" {
		err = setupStore(ctx, cfg, st, todo)
	} else {
		err = setupAPI(ctx, cfg, st, todo)
	}
	if err != nil {
		return nil, err
	}
	if cfg.FleetURL != "" {
		st.FleetURL = cfg.FleetURL
	}
	if err := st.Save(cfg.StateFile); err != nil {
		return nil, fmt.Errorf("save the simulator's state: %w", err)
	}
	cfg.printf("setup: %d devices registered in %.1f s (%d in the state file %s)\n", len(todo), time.Since(start).Seconds(), len(st.Devices), cfg.StateFile)
	return st, nil
}

func setupStore(ctx context.Context, cfg Config, st *State, todo []Record) error {
	s, err := sqlitestore.Open(ctx, filepath.Join(cfg.Data, "fleet.db"))
	if err != nil {
		return fmt.Errorf("open the fleet's store (stop the fleet first): %w", err)
	}
	defer s.Close()
	pub, err := os.ReadFile(filepath.Join(cfg.Data, "content-signing.pub"))
	if err != nil {
		return fmt.Errorf("read the county public key: %w", err)
	}
	st.PublicKey = strings.TrimSpace(string(pub))
	reg := fleet.NewRegistry(s)
	blobs, err := fleet.NewBlobs(filepath.Join(cfg.Data, "blobs"))
	if err != nil {
		return err
	}
	lib := fleet.NewLibrary(s, blobs)
	if err := loadDemo(ctx, lib); err != nil {
		return err
	}
	if st.Token == "" || cfg.Token != "" {
		st.Token = cfg.Token
	}
	if st.Token == "" {
		name := fmt.Sprintf("sim-%d", time.Now().Unix())
		pw, err := reg.CreateStaff(ctx, name, fleet.StaffAdmin)
		if err != nil {
			return err
		}
		if st.Token, _, err = reg.Login(ctx, name, pw, fleet.MaxSessionTTL); err != nil {
			return err
		}
	}
	for i, r := range todo {
		if _, err := reg.CreateDevice(ctx, fleet.Device{ID: r.ID, Kind: fleet.Kind(r.Kind), Region: r.Region, Model: "lawpoint-sim"}); err != nil && !errors.Is(err, fleet.ErrExists) {
			return fmt.Errorf("create %s: %w", r.ID, err)
		}
		tok, _, err := reg.CreateToken(ctx, r.ID, 0)
		if err != nil {
			return fmt.Errorf("enrolment token for %s: %w", r.ID, err)
		}
		e, err := reg.Enrol(ctx, tok)
		if err != nil {
			return fmt.Errorf("enrol %s: %w", r.ID, err)
		}
		r.Password = e.Password
		st.Devices = append(st.Devices, r)
		if (i+1)%1000 == 0 {
			cfg.printf("setup: %d of %d devices\n", i+1, len(todo))
		}
	}
	return nil
}

// loadDemo stores the demo county's content when the library has no
// schedule yet.
func loadDemo(ctx context.Context, lib *fleet.Library) error {
	set, _, err := lib.Set(ctx)
	if err != nil {
		return err
	}
	if len(set.Schedules) > 0 {
		return nil
	}
	d := demo.Set()
	for _, it := range d.Items {
		if _, err := lib.PutItem(ctx, "sim", it); err != nil {
			return fmt.Errorf("demo item %s: %w", it.ID, err)
		}
	}
	for _, p := range d.Programmes {
		if err := lib.PutProgramme(ctx, "sim", p); err != nil {
			return fmt.Errorf("demo programme %s: %w", p.ID, err)
		}
	}
	for k, p := range d.Fallbacks {
		if err := lib.SetFallback(ctx, "sim", k, p); err != nil {
			return err
		}
	}
	for _, sc := range d.Schedules {
		if err := lib.PutSchedule(ctx, "sim", sc); err != nil {
			return fmt.Errorf("demo schedule %s: %w", sc.ID, err)
		}
	}
	return nil
}

func setupAPI(ctx context.Context, cfg Config, st *State, todo []Record) error {
	if cfg.FleetURL == "" || cfg.Token == "" {
		return errors.New("setup: give --data DIR (fleet stopped) or --fleet URL with --token T")
	}
	st.Token = cfg.Token
	c := &client.Client{URL: cfg.FleetURL, Token: cfg.Token}
	cur, err := c.Schedules(ctx)
	if err != nil {
		return err
	}
	if len(cur) == 0 {
		d := demo.Set()
		if _, err := c.AddContent(ctx, api.ContentRequest{Items: d.Items, Programmes: d.Programmes, Fallbacks: d.Fallbacks}); err != nil {
			return fmt.Errorf("demo content: %w", err)
		}
		for _, sc := range d.Schedules {
			if _, err := c.AddSchedule(ctx, sc); err != nil {
				return fmt.Errorf("demo schedule %s: %w", sc.ID, err)
			}
		}
	}
	// /api/enrol allows 20 enrolments per minute per address: each
	// source address enrols at most 20 devices.
	const perAddr = 20
	var enrollers []*client.Client
	for i, r := range todo {
		var cr api.CreateDeviceResponse
		err := c.Do(ctx, "POST", "/api/devices", api.CreateDeviceRequest{ID: r.ID, Kind: r.Kind, Region: r.Region, Model: "lawpoint-sim"}, &cr)
		if err != nil {
			return fmt.Errorf("create %s: %w", r.ID, err)
		}
		k := i / perAddr
		for len(enrollers) <= k {
			enrollers = append(enrollers, &client.Client{URL: cfg.FleetURL, HTTP: httpFrom(enrolSource(len(enrollers)))})
		}
		var er api.EnrolResponse
		if err := enrollers[k].Do(ctx, "POST", "/api/enrol", api.EnrolRequest{Token: cr.Enrolment.Token}, &er); err != nil {
			return fmt.Errorf("enrol %s: %w", r.ID, err)
		}
		st.PublicKey = er.PublicKey
		r.Password = er.Password
		st.Devices = append(st.Devices, r)
	}
	if st.PublicKey == "" {
		return errors.New("setup: no device enrolled, so the county public key is unknown; give -n above the devices already set up")
	}
	return nil
}

// enrolSource is the k-th loopback address enrolments leave from:
// 127.0.1.1, 127.0.1.2, … (the whole 127/8 is the loopback on Linux).
func enrolSource(k int) string { return fmt.Sprintf("127.0.%d.%d", 1+k/250, 1+k%250) }

// httpFrom is an HTTP client whose connections leave from local address ip
// (empty: any).
func httpFrom(ip string) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if ip != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(ip)}
	}
	return &http.Client{Timeout: time.Minute, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}

// schedule is the schedule the simulator changes: every simulated device
// (the whole demo county, both kinds) plays the day programme in a window
// whose start moves by a minute with every change, so each change gives
// every device a new manifest.
func schedule(minute int) content.Schedule {
	return content.Schedule{ID: "sim-change", Name: "模拟器：全县变更", ProgrammeID: "street-day", Priority: 20,
		Target:   content.Target{Regions: []string{demo.County}},
		Weekdays: content.EveryDay, Windows: []content.Window{{Start: content.Clock(12, minute%60, 0), End: content.Clock(13, 0, 0)}}}
}
