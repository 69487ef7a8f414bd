package fleet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"lawpoint/device/wire"
)

// DefaultTokenTTL is how long an enrolment token stays valid when staff do
// not say otherwise: long enough to carry a board out to a village.
const DefaultTokenTTL = 7 * 24 * time.Hour

// MaxTokenTTL bounds how long a token may stay valid.
const MaxTokenTTL = 90 * 24 * time.Hour

// Registry holds the devices and their MQTT accounts, and the rules staff
// and devices meet: enrolment tokens work once, revoked devices cannot log
// in, passwords are compared in constant time.
type Registry struct {
	store Store
	now   func() time.Time
}

// NewRegistry returns a registry on s.
func NewRegistry(s Store) *Registry {
	return &Registry{store: s, now: time.Now}
}

// SetClock replaces the registry's clock (tests, simulations).
func (r *Registry) SetClock(now func() time.Time) { r.now = now }

// Store returns the registry's store.
func (r *Registry) Store() Store { return r.store }

// CreateDevice checks and stores a new device record and returns it as
// stored (normalized region and tags, creation time). The device cannot
// connect until it enrols with a token from CreateToken.
func (r *Registry) CreateDevice(ctx context.Context, d Device) (Device, error) {
	if err := d.normalize(); err != nil {
		return Device{}, err
	}
	d.Created = r.now()
	d.Revoked = time.Time{}
	if err := r.store.CreateDevice(ctx, d); err != nil {
		return Device{}, err
	}
	return d, nil
}

// SetBoard registers (or, with a zero board, clears) the controller, size
// and colours of an LED board and returns the device as stored.
func (r *Registry) SetBoard(ctx context.Context, id string, b Board) (Device, error) {
	d, err := r.store.Device(ctx, id)
	if err != nil {
		return Device{}, err
	}
	d.Board = b
	if err := d.normalizeBoard(); err != nil {
		return Device{}, err
	}
	if err := r.store.SetDeviceBoard(ctx, id, d.Board); err != nil {
		return Device{}, err
	}
	return d, nil
}

// Device returns one device.
func (r *Registry) Device(ctx context.Context, id string) (Device, error) {
	return r.store.Device(ctx, id)
}

// Devices lists devices matching f. The region is a prefix matched at '/'
// boundaries: 仙游县/榜头镇 selects the township and every village in it.
func (r *Registry) Devices(ctx context.Context, f Filter) ([]Device, error) {
	if f.Region = strings.TrimSuffix(strings.TrimSpace(f.Region), "/"); f.Region != "" {
		region, err := NormalizeRegion(f.Region)
		if err != nil {
			return nil, err
		}
		f.Region = region
	}
	if f.Kind != "" && !f.Kind.Valid() {
		return nil, invalid(fmt.Sprintf("kind %q is unknown: use kiosk or led", f.Kind), "设备类型须为 kiosk 或 led")
	}
	return r.store.Devices(ctx, f)
}

// CreateToken creates a one-time enrolment token for an existing, active
// device and returns its text (shown once; only its hash is stored) and
// when it expires. ttl <= 0 means DefaultTokenTTL.
func (r *Registry) CreateToken(ctx context.Context, deviceID string, ttl time.Duration) (token string, expires time.Time, err error) {
	if ttl <= 0 {
		ttl = DefaultTokenTTL
	}
	if ttl > MaxTokenTTL {
		return "", time.Time{}, invalid(fmt.Sprintf("token lifetime %v is longer than %v", ttl, MaxTokenTTL),
			"注册码有效期不能超过90天")
	}
	now := r.now()
	token = NewSecret()
	t := Token{Hash: TokenHash(token), DeviceID: deviceID, Created: now, Expires: now.Add(ttl)}
	if err := r.store.CreateToken(ctx, t); err != nil {
		return "", time.Time{}, fmt.Errorf("create enrolment token: %w", err)
	}
	return token, t.Expires, nil
}

// Enrolment is what a device receives once, in exchange for its token.
type Enrolment struct {
	Device   Device
	Username string // the device ID
	Password string // random, 256 bits; the fleet keeps only its hash
}

// Enrol exchanges a token for the device's MQTT credentials. A token works
// once: a second use fails with ErrTokenUsed. An earlier password of the
// same device stops working (re-enrolment after the device lost its data).
func (r *Registry) Enrol(ctx context.Context, token string) (Enrolment, error) {
	password := NewSecret()
	now := r.now()
	cred := Credential{Hash: HashPassword(password), Role: RoleDevice, Created: now}
	d, err := r.store.RedeemToken(ctx, TokenHash(token), cred, now)
	if err != nil {
		return Enrolment{}, fmt.Errorf("enrol: %w", err)
	}
	return Enrolment{Device: d, Username: d.ID, Password: password}, nil
}

// Revoke stops a device for good: its credential and unused tokens are
// deleted, so it cannot connect or enrol again. Disconnect it from the
// broker as well (Broker.Disconnect) so an open session ends now.
func (r *Registry) Revoke(ctx context.Context, id string) error {
	if err := r.store.RevokeDevice(ctx, id, r.now()); err != nil {
		return fmt.Errorf("revoke: %w", err)
	}
	return nil
}

// Principal is an authenticated MQTT account.
type Principal struct {
	Username string
	Role     Role
}

// Authenticate checks an MQTT username and password. Unknown accounts and
// wrong passwords fail alike (ErrBadCredentials) and take about as long, so
// neither timing nor the error tells which device IDs exist. Revoked devices
// have no account left.
func (r *Registry) Authenticate(ctx context.Context, username, password string) (Principal, error) {
	c, err := r.store.Credential(ctx, username)
	if errors.Is(err, ErrNotFound) {
		VerifyPassword(dummyHash, password)
		return Principal{}, ErrBadCredentials
	}
	if err != nil {
		return Principal{}, fmt.Errorf("authenticate %q: %w", username, err)
	}
	if !VerifyPassword(c.Hash, password) {
		return Principal{}, ErrBadCredentials
	}
	return Principal{Username: c.Username, Role: c.Role}, nil
}

// CreateFleetAccount creates (or resets) the MQTT account fleet replicas
// use against an external broker, and returns its password, shown once. The
// name follows wire.ValidateFleetUser (e.g. wire.DefaultFleetUser), so it
// can never be a device ID.
func (r *Registry) CreateFleetAccount(ctx context.Context, name string) (password string, err error) {
	if err := wire.ValidateFleetUser(name); err != nil {
		return "", fmt.Errorf("create fleet account: %w", err)
	}
	password = NewSecret()
	c := Credential{Username: name, Hash: HashPassword(password), Role: RoleFleet, Created: r.now()}
	if err := r.store.PutCredential(ctx, c); err != nil {
		return "", fmt.Errorf("create fleet account: %w", err)
	}
	return password, nil
}
