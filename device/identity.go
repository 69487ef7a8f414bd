package device

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"lawpoint/content"
	"lawpoint/device/internal/fsutil"
	"lawpoint/device/wire"
)

// Files and folders of a device's data folder.
const (
	CredentialsFile = "credentials.json" // mode 0600
	StoreFile       = "state.db"         // SQLite, WAL (plus -wal and -shm)
	ContentDir      = "content"          // see lawpoint/device/cache
)

// Credentials are what a device receives at enrolment and keeps in
// credentials.json (mode 0600) in its data folder.
type Credentials struct {
	// DeviceID is the MQTT username and client ID (wire.ValidateDeviceID).
	DeviceID string `json:"device_id"`
	// Password authenticates the device to the broker and to the fleet's
	// HTTP API (basic authentication).
	Password string `json:"password"`
	// BrokerURL is mqtts://host:8883 (or mqtt://host:1883 on a loopback).
	BrokerURL string `json:"broker_url"`
	// FleetURL is the fleet's HTTP base URL for downloads and uploads.
	FleetURL string `json:"fleet_url"`
	// CountyKey is the county's content-signing public key,
	// "ed25519:<base64>" (content.EncodePublicKey).
	CountyKey string `json:"county_key"`
	// CAFile optionally names a PEM file of the fleet's CA for TLS; empty
	// means the system roots.
	CAFile string `json:"ca_file,omitempty"`
}

// String hides the password.
func (c Credentials) String() string {
	return fmt.Sprintf("device %s at %s (fleet %s)", c.DeviceID, c.BrokerURL, c.FleetURL)
}

// Validate checks every field and says what to fix.
func (c Credentials) Validate() error {
	if err := wire.ValidateDeviceID(c.DeviceID); err != nil {
		return fmt.Errorf("device: credentials: %w", err)
	}
	if c.Password == "" {
		return errors.New("device: credentials: password is empty; enrol the device again")
	}
	u, err := url.Parse(c.BrokerURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("device: credentials: broker_url %q is not a URL such as mqtts://fleet.example:8883", c.BrokerURL)
	}
	switch u.Scheme {
	case "mqtt", "tcp", "mqtts", "ssl", "tls":
	default:
		return fmt.Errorf("device: credentials: broker_url scheme %q is not mqtt or mqtts", u.Scheme)
	}
	f, err := url.Parse(c.FleetURL)
	if err != nil || f.Host == "" || (f.Scheme != "http" && f.Scheme != "https") {
		return fmt.Errorf("device: credentials: fleet_url %q is not an http(s) URL such as https://fleet.example:8443", c.FleetURL)
	}
	if _, err := c.PublicKey(); err != nil {
		return err
	}
	return nil
}

// PublicKey decodes CountyKey.
func (c Credentials) PublicKey() (ed25519.PublicKey, error) {
	k, err := content.DecodePublicKey(c.CountyKey)
	if err != nil {
		return nil, fmt.Errorf("device: credentials: county_key: %w", err)
	}
	return k, nil
}

// LoadCredentials reads and checks dir/credentials.json.
func LoadCredentials(dir string) (Credentials, error) {
	path := filepath.Join(dir, CredentialsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Credentials{}, fmt.Errorf("device: %s does not exist; enrol the device first: %w", path, err)
	}
	if err != nil {
		return Credentials{}, fmt.Errorf("device: reading %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return Credentials{}, fmt.Errorf("device: %s is readable by others (mode %v); run chmod 600 on it", path, fi.Mode().Perm())
	}
	var c Credentials
	if err := json.Unmarshal(b, &c); err != nil {
		return Credentials{}, fmt.Errorf("device: %s is not valid JSON (%v); restore it or enrol again", path, err)
	}
	return c, c.Validate()
}

// SaveCredentials writes c to dir/credentials.json with mode 0600,
// atomically, creating dir (mode 0700) if needed.
func SaveCredentials(dir string, c Credentials) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("device: creating data folder %s: %w", dir, err)
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("device: encoding credentials: %w", err)
	}
	if err := fsutil.WriteFile(filepath.Join(dir, CredentialsFile), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("device: saving credentials: %w", err)
	}
	return nil
}

// Enrolment is what a device needs to enrol: the fleet's address and a
// one-time token from staff.
type Enrolment struct {
	// FleetURL is the fleet's HTTP base URL.
	FleetURL string
	// Token is the one-time enrolment token.
	Token string
	// BrokerURL overrides the broker URL the fleet announces (needed when
	// the fleet announces none).
	BrokerURL string
	// CAFile is kept in the credentials for TLS to a fleet with its own CA.
	CAFile string
	// HTTP is the client to use (nil: http.DefaultClient).
	HTTP *http.Client
}

// enrolRequest and enrolResponse are the JSON of POST /api/enrol.
type enrolRequest struct {
	Token string `json:"token"`
}

type enrolResponse struct {
	DeviceID  string `json:"device_id"`
	Kind      string `json:"kind"`
	Region    string `json:"region"`
	Username  string `json:"username"`
	Password  string `json:"password"`
	MQTTURL   string `json:"mqtt_url,omitempty"`
	PublicKey string `json:"public_key"`
}

// Enrol exchanges a one-time token for the device's own credentials (POST
// /api/enrol) and saves them in dir. It refuses to overwrite credentials
// already there: a device enrolled once keeps its identity.
func Enrol(ctx context.Context, dir string, e Enrolment) (Credentials, error) {
	if _, err := os.Stat(filepath.Join(dir, CredentialsFile)); err == nil {
		return Credentials{}, fmt.Errorf("device: %s already holds credentials; move %s away to enrol this device again", dir, CredentialsFile)
	}
	if e.Token == "" {
		return Credentials{}, errors.New("device: the enrolment token is empty; ask county staff for one (lawpointctl device enroll)")
	}
	body, _ := json.Marshal(enrolRequest{Token: e.Token})
	u := strings.TrimSuffix(e.FleetURL, "/") + "/api/enrol"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return Credentials{}, fmt.Errorf("device: enrolling at %q: %w", e.FleetURL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	client := e.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return Credentials{}, fmt.Errorf("device: cannot reach the fleet at %s to enrol; check the address and the network: %w", e.FleetURL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		var fe struct {
			Error string `json:"error"`
		}
		json.Unmarshal(b, &fe)
		return Credentials{}, fmt.Errorf("device: the fleet refused the enrolment (%s): %s; ask staff for a new token", resp.Status, fe.Error)
	}
	var er enrolResponse
	if err := json.Unmarshal(b, &er); err != nil {
		return Credentials{}, fmt.Errorf("device: the fleet's enrolment answer is not JSON (%v); is %s the fleet?", err, e.FleetURL)
	}
	if er.Username != "" && er.Username != er.DeviceID {
		return Credentials{}, fmt.Errorf("device: the fleet gave username %q for device %q; the protocol needs them equal", er.Username, er.DeviceID)
	}
	c := Credentials{DeviceID: er.DeviceID, Password: er.Password, BrokerURL: er.MQTTURL, FleetURL: e.FleetURL,
		CountyKey: er.PublicKey, CAFile: e.CAFile}
	if e.BrokerURL != "" {
		c.BrokerURL = e.BrokerURL
	}
	if c.BrokerURL == "" {
		return Credentials{}, errors.New("device: the fleet announced no broker URL; enrol again with the broker URL given (e.g. mqtts://fleet:8883)")
	}
	if err := SaveCredentials(dir, c); err != nil {
		return Credentials{}, err
	}
	return c, nil
}
