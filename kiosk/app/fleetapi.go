package app

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"lawpoint/device"
	"lawpoint/device/wire"
)

// fleetAPI calls the fleet's kiosk routes (/api/kiosk/…) with the
// device's credentials (HTTP Basic: device ID and MQTT password).
type fleetAPI struct {
	base     string
	id, pass string
	http     *http.Client
}

func newFleetAPI(c device.Credentials) (*fleetAPI, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("app: reading the fleet's CA file %s: %w", c.CAFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("app: %s holds no PEM certificate; give the fleet's CA", c.CAFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &fleetAPI{base: strings.TrimSuffix(c.FleetURL, "/"), id: c.DeviceID, pass: c.Password,
		http: &http.Client{Transport: tr}}, nil
}

// errUnreachable wraps every failure that means "the fleet did not
// answer": no network, refused, timed out, a 5xx from a proxy or a fleet
// in trouble. Such a request is kept and asked again.
var errUnreachable = errors.New("fleet unreachable")

// apiError is a refusal from the fleet (4xx) with its Chinese message.
type apiError struct {
	Status  int
	Code    string
	Message string // Chinese, from the fleet
	Err     string // English, from the fleet
	Body    []byte
}

func (e *apiError) Error() string {
	return fmt.Sprintf("the fleet refused the request (%d %s): %s", e.Status, e.Code, e.Err)
}

// UserMessage is what the villager reads.
func (e *apiError) UserMessage() string {
	switch {
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		return "这台机器还没有登记好，请找工作人员"
	case e.Status == http.StatusTooManyRequests:
		return "试的次数太多了，请过一分钟再试"
	case e.Message != "":
		return e.Message
	}
	return "系统暂时不能办理"
}

// do sends a JSON request and decodes a 2xx answer into out.
func (f *fleetAPI) do(ctx context.Context, method, path string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, f.base+path, body)
	if err != nil {
		return 0, fmt.Errorf("app: fleet request %s %s: %w", method, path, err)
	}
	req.SetBasicAuth(f.id, f.pass)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("app: %s %s: %w: %w", method, path, errUnreachable, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("app: %s %s: reading the answer: %w: %w", method, path, errUnreachable, err)
	}
	if resp.StatusCode >= 500 {
		return resp.StatusCode, fmt.Errorf("app: %s %s: %s: %w", method, path, resp.Status, errUnreachable)
	}
	if resp.StatusCode >= 300 {
		var eb struct {
			Error, Message, Code string
		}
		json.Unmarshal(b, &eb)
		return resp.StatusCode, &apiError{Status: resp.StatusCode, Code: eb.Code, Message: eb.Message, Err: eb.Error, Body: b}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("app: %s %s: the answer is not what a fleet sends (is %s the fleet?): %w", method, path, f.base, err)
		}
	}
	return resp.StatusCode, nil
}

func (f *fleetAPI) categories(ctx context.Context) (wire.KioskCategories, error) {
	var out wire.KioskCategories
	_, err := f.do(ctx, http.MethodGet, "/api/kiosk/categories", nil, &out)
	return out, err
}

func (f *fleetAPI) advisers(ctx context.Context, service string) ([]wire.KioskAdviser, error) {
	var out wire.KioskAdvisers
	_, err := f.do(ctx, http.MethodGet, "/api/kiosk/advisers?service="+url.QueryEscape(service), nil, &out)
	return out.Advisers, err
}

func (f *fleetAPI) slots(ctx context.Context, adviser, day string) ([]wire.KioskSlot, error) {
	var out wire.KioskSlots
	_, err := f.do(ctx, http.MethodGet, "/api/kiosk/slots?adviser="+url.QueryEscape(adviser)+"&day="+url.QueryEscape(day), nil, &out)
	return out.Slots, err
}

// book posts a booking; a taken slot is a *wire.SlotTaken in the error
// chain (slotTakenError).
func (f *fleetAPI) book(ctx context.Context, req wire.BookRequest) (wire.KioskBooking, error) {
	var out wire.KioskBooking
	_, err := f.do(ctx, http.MethodPost, "/api/kiosk/bookings", req, &out)
	return out, takenOf(err)
}

func (f *fleetAPI) lookup(ctx context.Context, code, phone string) (wire.KioskBooking, error) {
	var out wire.KioskBooking
	_, err := f.do(ctx, http.MethodPost, "/api/kiosk/bookings/lookup", wire.BookingLookup{Code: code, Phone: phone}, &out)
	return out, err
}

func (f *fleetAPI) cancel(ctx context.Context, code, phone string) (wire.KioskBooking, error) {
	var out wire.KioskBooking
	_, err := f.do(ctx, http.MethodPost, "/api/kiosk/bookings/"+url.PathEscape(code)+"/cancel", wire.BookingLookup{Code: code, Phone: phone}, &out)
	return out, err
}

func (f *fleetAPI) reschedule(ctx context.Context, code, phone string, start time.Time) (wire.KioskBooking, error) {
	var out wire.KioskBooking
	_, err := f.do(ctx, http.MethodPost, "/api/kiosk/bookings/"+url.PathEscape(code)+"/reschedule",
		wire.RescheduleRequest{Phone: phone, SlotStart: start.UTC()}, &out)
	return out, takenOf(err)
}

// slotTakenError is a 409 slot_taken with the next free slots.
type slotTakenError struct{ wire.SlotTaken }

func (e *slotTakenError) Error() string       { return "the slot was taken: " + e.SlotTaken.Error }
func (e *slotTakenError) UserMessage() string { return "这个时间已被约走" }

func takenOf(err error) error {
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusConflict && ae.Code == "slot_taken" {
		var st wire.SlotTaken
		if json.Unmarshal(ae.Body, &st) == nil {
			return &slotTakenError{st}
		}
	}
	return err
}
