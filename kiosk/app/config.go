package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"lawpoint/kiosk/escpos"
)

// ConfigFile is the kiosk's configuration file in its data folder.
const ConfigFile = "kiosk.json"

// Config is DATA/kiosk.json. Every field is optional: an empty file (or
// none) gives a kiosk that runs on its own, with the virtual printer.
type Config struct {
	// Point is the contact point's name on the home screen and receipts.
	Point string `json:"point,omitempty"`
	// Hotline is the legal-service hotline (12348).
	Hotline string `json:"hotline,omitempty"`
	// AdviserOnDuty is shown as 今天值班; empty: the village's own adviser
	// from the fleet's list, when the kiosk has one.
	AdviserOnDuty string `json:"adviser_on_duty,omitempty"`

	// Printer is the receipt printer's URI (kiosk/printer.Open); default
	// "virtual:" (nothing printed on paper). "none" disables printing.
	Printer string `json:"printer,omitempty"`
	// Paper is 58 or 80 (mm); default 58.
	Paper int `json:"paper,omitempty"`

	// Counter is the staff counter page (kiosk/queue.NewCounter).
	Counter CounterConfig `json:"counter,omitempty"`

	// FleetURL is the county fleet's HTTP address; empty runs the kiosk
	// on its own (tickets and ratings wait in the local outbox).
	FleetURL string `json:"fleet_url,omitempty"`
	// EnrolToken is the one-time token from staff (lawpointctl device
	// enroll); used once, when DATA holds no credentials yet.
	EnrolToken string `json:"enrol_token,omitempty"`
	// BrokerURL overrides the MQTT address the fleet announces at
	// enrolment; CAFile is the fleet's CA for TLS.
	BrokerURL string `json:"broker_url,omitempty"`
	CAFile    string `json:"ca_file,omitempty"`

	// TicketURL is the base of the ticket status page printed as a QR code
	// ({TicketURL}{deviceID}/{day}/{number}, a "/" added when missing);
	// default {FleetURL}/t/. No QR code before enrolment. Empty with no fleet:
	// no QR code.
	TicketURL string `json:"ticket_url,omitempty"`

	// TimeZone is where the kiosk's times are shown (Asia/Shanghai).
	TimeZone string `json:"time_zone,omitempty"`

	// Screen and idle settings; the command's flags override them.
	Size       string   `json:"size,omitempty"` // "800x480", "1280x800"
	Fullscreen bool     `json:"fullscreen,omitempty"`
	IdleWarn   Duration `json:"idle_warn,omitempty"`
	IdleReset  Duration `json:"idle_reset,omitempty"`

	// DefaultServiceTime is the wait per person before any service of the
	// day has finished (default 5 minutes).
	DefaultServiceTime Duration `json:"default_service_time,omitempty"`
	// RateAfterService opens the rating screen on an idle kiosk when staff
	// mark a ticket served (default true).
	RateAfterService *bool `json:"rate_after_service,omitempty"`
	// PrintOutcomes prints a slip when a booking made offline is confirmed
	// later (default true).
	PrintOutcomes *bool `json:"print_outcomes,omitempty"`
	// OutcomeNotice is how long such a late outcome stays on the home
	// screen (default 10 minutes; 知道了 removes it sooner).
	OutcomeNotice Duration `json:"outcome_notice,omitempty"`

	// VideoCommand runs the video client for 开始视频咨询: an argv template
	// (no shell); "{url}" is replaced by the meeting link (appended when no
	// argument holds it) and "{dir}" by the data folder. Default:
	// chromium --kiosk --no-first-run --use-fake-ui-for-media-stream
	// --user-data-dir={dir}/video-browser {url}.
	VideoCommand []string `json:"video_command,omitempty"`
	// VideoEarly is how long before a consultation 开始视频咨询 is offered
	// (default 10 minutes); it is offered until the slot ends.
	VideoEarly Duration `json:"video_early,omitempty"`

	// ChimeCommand plays the call chime before a ticket is read out: an
	// argv template; "{file}" is the chime's WAV file (appended when no
	// argument holds it). Default: aplay -q {file} when aplay is installed;
	// [] turns the chime off.
	ChimeCommand *[]string `json:"chime_command,omitempty"`
}

// DefaultVideoCommand is the video client when video_command is not set.
var DefaultVideoCommand = []string{"chromium", "--kiosk", "--no-first-run", "--use-fake-ui-for-media-stream",
	"--user-data-dir={dir}/video-browser", "{url}"}

// CounterConfig is the staff counter page.
type CounterConfig struct {
	// Addr is where the page listens on the contact point's network,
	// e.g. ":8080"; empty: no page.
	Addr string `json:"addr,omitempty"`
	// PIN is the staff PIN, 4 to 12 digits.
	PIN string `json:"pin,omitempty"`
}

// Duration is a time.Duration written as "45s" in JSON.
type Duration time.Duration

// UnmarshalJSON reads "45s" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration such as \"45s\" or \"2m\": %w", s, err)
		}
		*d = Duration(v)
		return nil
	}
	var n float64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("a duration is a string such as \"45s\" or a number of seconds")
	}
	*d = Duration(time.Duration(n * float64(time.Second)))
	return nil
}

// MarshalJSON writes "45s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// LoadConfig reads DIR/kiosk.json; a missing file is the empty Config.
// Unknown fields are refused, so a misspelt key is noticed.
func LoadConfig(dir string) (Config, error) {
	path := filepath.Join(dir, ConfigFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Config{}, nil
	}
	if err != nil {
		return Config{}, fmt.Errorf("app: reading %s: %w", path, err)
	}
	var c Config
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("app: %s is not a valid kiosk configuration (fix the JSON; fields are listed in docs/KIOSK.md): %w", path, err)
	}
	return c, c.Check()
}

// Check says what is wrong with c.
func (c Config) Check() error {
	var bad []string
	if c.Paper != 0 && c.Paper != 58 && c.Paper != 80 {
		bad = append(bad, fmt.Sprintf("paper is %d; use 58 or 80", c.Paper))
	}
	if c.FleetURL != "" && !strings.HasPrefix(c.FleetURL, "http://") && !strings.HasPrefix(c.FleetURL, "https://") {
		bad = append(bad, fmt.Sprintf("fleet_url %q must start with http:// or https://", c.FleetURL))
	}
	if c.Counter.Addr != "" && c.Counter.PIN == "" {
		bad = append(bad, "counter.addr is set without counter.pin; give staff a PIN of 4 to 12 digits")
	}
	if c.TimeZone != "" {
		if _, err := time.LoadLocation(c.TimeZone); err != nil {
			bad = append(bad, fmt.Sprintf("time_zone %q is unknown (install tzdata, or use Asia/Shanghai)", c.TimeZone))
		}
	}
	if c.VideoCommand != nil && (len(c.VideoCommand) == 0 || strings.TrimSpace(c.VideoCommand[0]) == "") {
		bad = append(bad, `video_command is empty; give the program and its arguments, e.g. ["chromium", "--kiosk", "{url}"]`)
	}
	if c.ChimeCommand != nil && len(*c.ChimeCommand) > 0 && strings.TrimSpace((*c.ChimeCommand)[0]) == "" {
		bad = append(bad, `chime_command starts with an empty program; e.g. ["aplay", "-q", "{file}"], or [] for no chime`)
	}
	if len(bad) > 0 {
		return fmt.Errorf("app: %s: %s", ConfigFile, strings.Join(bad, "; "))
	}
	return nil
}

func (c Config) paper() escpos.Paper {
	if c.Paper == 80 {
		return escpos.Paper80
	}
	return escpos.Paper58
}

func (c Config) printerURI() string {
	if c.Printer == "" {
		return "virtual:"
	}
	return c.Printer
}

func (c Config) ticketURL() string {
	if c.TicketURL != "" {
		return c.TicketURL
	}
	if c.FleetURL != "" {
		return strings.TrimSuffix(c.FleetURL, "/") + "/t/"
	}
	return ""
}

func (c Config) location() *time.Location {
	name := c.TimeZone
	if name == "" {
		name = "Asia/Shanghai"
	}
	if loc, err := time.LoadLocation(name); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600) // China Standard Time has no daylight saving
}

func on(b *bool) bool { return b == nil || *b }
