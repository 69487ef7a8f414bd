// Package client is a Go client of the fleet's HTTP API (fleet/api), used by
// lawpointctl and usable by scripts and tests.
package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"lawpoint/content"
	"lawpoint/fleet"
	"lawpoint/fleet/api"
)

// Client talks to one fleet.
type Client struct {
	URL   string // e.g. http://127.0.0.1:8080
	Token string // bearer token from Login
	HTTP  *http.Client
}

// Error is an error answer of the API.
type Error struct {
	Status int
	Body   api.ErrorBody
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s (HTTP %d)", e.Body.Error, e.Status)
	if e.Body.Field != "" {
		s = e.Body.Field + ": " + s
	}
	return s
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 5 * time.Minute}
}

// Do sends a request with a JSON body (or raw bytes when body is a
// []byte) and decodes a JSON answer into out.
func (c *Client) Do(ctx context.Context, method, path string, body, out any, header ...string) error {
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/octet-stream"
	default:
		j, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.URL, "/")+path, rd)
	if err != nil {
		return fmt.Errorf("fleet URL %q: %w (set --url or LAWPOINT_URL)", c.URL, err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return fmt.Errorf("reach the fleet at %s: %w (is lawpoint-fleet serve running?)", c.URL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("read the fleet's answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		e := &Error{Status: resp.StatusCode}
		if json.Unmarshal(raw, &e.Body) != nil {
			e.Body.Error = strings.TrimSpace(string(raw))
		}
		return e
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("the fleet's answer to %s %s is not the expected JSON: %w", method, path, err)
		}
	}
	return nil
}

// Login signs in and keeps the token in c.
func (c *Client) Login(ctx context.Context, user, password string, ttl time.Duration) (api.LoginResponse, error) {
	var lr api.LoginResponse
	err := c.Do(ctx, "POST", "/api/login", api.LoginRequest{Username: user, Password: password, TTLHours: int(ttl / time.Hour)}, &lr)
	if err == nil {
		c.Token = lr.Token
	}
	return lr, err
}

// Devices lists devices; region, kind and tag filter when not empty.
func (c *Client) Devices(ctx context.Context, region, kind, tag string) ([]api.DeviceView, error) {
	q := url.Values{}
	for k, v := range map[string]string{"region": region, "kind": kind, "tag": tag} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var out struct {
		Devices []api.DeviceView `json:"devices"`
	}
	err := c.Do(ctx, "GET", "/api/devices?"+q.Encode(), nil, &out)
	return out.Devices, err
}

// Device shows one device.
func (c *Client) Device(ctx context.Context, id string) (api.DeviceDetail, error) {
	var out api.DeviceDetail
	err := c.Do(ctx, "GET", "/api/devices/"+url.PathEscape(id), nil, &out)
	return out, err
}

// CreateDevice registers a device and returns its enrolment token.
func (c *Client) CreateDevice(ctx context.Context, req api.CreateDeviceRequest) (api.CreateDeviceResponse, error) {
	var out api.CreateDeviceResponse
	err := c.Do(ctx, "POST", "/api/devices", req, &out)
	return out, err
}

// SetBoard registers (or, with a zero board, clears) an LED board's
// controller, size and colours.
func (c *Client) SetBoard(ctx context.Context, id string, b fleet.Board) (api.DeviceView, error) {
	var out api.DeviceView
	err := c.Do(ctx, "PUT", "/api/devices/"+url.PathEscape(id)+"/board", b, &out)
	return out, err
}

// Command sends a command to a device.
func (c *Client) Command(ctx context.Context, id string, req api.CommandRequest) (api.CommandView, error) {
	var out api.CommandView
	err := c.Do(ctx, "POST", "/api/devices/"+url.PathEscape(id)+"/commands", req, &out)
	return out, err
}

// Commands lists a device's commands, newest first.
func (c *Client) Commands(ctx context.Context, id string) ([]api.CommandView, error) {
	var out struct {
		Commands []api.CommandView `json:"commands"`
	}
	err := c.Do(ctx, "GET", "/api/devices/"+url.PathEscape(id)+"/commands", nil, &out)
	return out.Commands, err
}

// Content lists items, programmes and fallbacks.
func (c *Client) Content(ctx context.Context) (api.ContentView, error) {
	var out api.ContentView
	err := c.Do(ctx, "GET", "/api/content", nil, &out)
	return out, err
}

// AddContent adds or replaces items, programmes and fallbacks.
func (c *Client) AddContent(ctx context.Context, req api.ContentRequest) ([]content.Item, error) {
	var out struct {
		Items []content.Item `json:"items"`
	}
	err := c.Do(ctx, "POST", "/api/content", req, &out)
	return out.Items, err
}

// Upload stores a file's bytes (checked against their SHA-256 on the
// way) and returns the SHA-256 that names them.
func (c *Client) Upload(ctx context.Context, data []byte) (string, error) {
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	var out struct {
		SHA256 string `json:"sha256"`
	}
	if err := c.Do(ctx, "POST", "/api/content/blobs", data, &out, "X-Content-SHA256", want); err != nil {
		return "", err
	}
	return out.SHA256, nil
}

// Schedules lists schedules.
func (c *Client) Schedules(ctx context.Context) ([]content.Schedule, error) {
	var out struct {
		Schedules []content.Schedule `json:"schedules"`
	}
	err := c.Do(ctx, "GET", "/api/schedules", nil, &out)
	return out.Schedules, err
}

// AddSchedule stores a schedule and returns the conflicts it makes.
func (c *Client) AddSchedule(ctx context.Context, s content.Schedule) (api.CheckResponse, error) {
	var out api.CheckResponse
	err := c.Do(ctx, "POST", "/api/schedules", s, &out)
	return out, err
}

// CheckSchedule checks a schedule without storing it.
func (c *Client) CheckSchedule(ctx context.Context, s content.Schedule) (api.CheckResponse, error) {
	var out api.CheckResponse
	err := c.Do(ctx, "POST", "/api/schedules/check", s, &out)
	return out, err
}

// Status returns the fleet's counts.
func (c *Client) Status(ctx context.Context) (api.Status, error) {
	var out api.Status
	err := c.Do(ctx, "GET", "/api/status", nil, &out)
	return out, err
}
