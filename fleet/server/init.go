package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"lawpoint/content"
	"lawpoint/device/wire"
	"lawpoint/fleet"
	"lawpoint/fleet/sqlitestore"
)

// Files in the data folder.
const (
	StoreFile         = "fleet.db"
	CACertFile        = "ca.crt" // give to devices: they verify the broker with it
	CAKeyFile         = "ca.key" // 0600; signs server certificates
	ServerCertFile    = "mqtt.crt"
	ServerKeyFile     = "mqtt.key"            // 0600
	SigningKeyFile    = "content-signing.key" // 0600; the county's Ed25519 key
	SigningPubFile    = "content-signing.pub" // give to devices
	FleetPasswordFile = "mqtt-fleet.password" // 0600; the fleet's MQTT account, for an external broker
)

// InitConfig says what to create.
type InitConfig struct {
	Data  string   // the data folder; created if missing, must not hold a store yet
	Hosts []string // extra DNS names or IPs for the MQTT server certificate
	Admin string   // the first admin's username (default "admin")
	// AdminPassword, if set, is the first admin's password as the
	// operator chose it (checked by the password rules; not shown, not to
	// be changed at the first sign-in). Empty: a one-time password is
	// made and returned.
	AdminPassword string
}

// InitResult is what Init prints once.
type InitResult struct {
	Admin         string
	AdminPassword string // shown once; only a slow hash is stored
	SigningKeyID  string
	PublicKey     string // the county public key in content's text form
}

// Init creates a new data folder. It refuses a folder that already holds a
// store, so a county's keys are never overwritten.
func Init(ctx context.Context, cfg InitConfig) (InitResult, error) {
	if cfg.Data == "" {
		return InitResult{}, errors.New("init: give the data folder with --data")
	}
	if cfg.Admin == "" {
		cfg.Admin = "admin"
	}
	if cfg.AdminPassword != "" {
		// Checked before anything is written: a refused password leaves
		// no half-made data folder behind.
		if ps := fleet.NewPasswordProblems(strings.TrimSpace(cfg.Admin), cfg.AdminPassword, cfg.AdminPassword); len(ps) > 0 {
			return InitResult{}, fmt.Errorf("init: the admin password: %w", ps)
		}
	}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return InitResult{}, fmt.Errorf("init: create data folder: %w", err)
	}
	for _, f := range []string{StoreFile, SigningKeyFile, CAKeyFile} {
		if _, err := os.Stat(filepath.Join(cfg.Data, f)); err == nil {
			return InitResult{}, fmt.Errorf("init: %s already holds a lawpoint fleet (%s exists); use another folder or remove it on purpose", cfg.Data, f)
		}
	}
	pub, priv, err := content.GenerateKey(nil)
	if err != nil {
		return InitResult{}, fmt.Errorf("init: signing key: %w", err)
	}
	if err := writeFile(cfg.Data, SigningKeyFile, []byte(content.EncodePrivateKey(priv)+"\n"), 0o600); err != nil {
		return InitResult{}, err
	}
	if err := writeFile(cfg.Data, SigningPubFile, []byte(content.EncodePublicKey(pub)+"\n"), 0o644); err != nil {
		return InitResult{}, err
	}
	if err := makeCerts(cfg.Data, cfg.Hosts); err != nil {
		return InitResult{}, err
	}

	st, err := sqlitestore.Open(ctx, filepath.Join(cfg.Data, StoreFile))
	if err != nil {
		return InitResult{}, fmt.Errorf("init: %w", err)
	}
	defer st.Close()
	reg := fleet.NewRegistry(st)
	var pw string
	if cfg.AdminPassword != "" {
		err = reg.CreateStaffWithPassword(ctx, cfg.Admin, fleet.StaffAdmin, cfg.AdminPassword)
	} else {
		pw, err = reg.CreateStaff(ctx, cfg.Admin, fleet.StaffAdmin)
	}
	if err != nil {
		return InitResult{}, fmt.Errorf("init: %w", err)
	}
	fleetPW, err := reg.CreateFleetAccount(ctx, wire.DefaultFleetUser)
	if err != nil {
		return InitResult{}, fmt.Errorf("init: %w", err)
	}
	if err := writeFile(cfg.Data, FleetPasswordFile, []byte(fleetPW+"\n"), 0o600); err != nil {
		return InitResult{}, err
	}
	return InitResult{Admin: cfg.Admin, AdminPassword: pw, SigningKeyID: content.KeyID(pub), PublicKey: content.EncodePublicKey(pub)}, nil
}

// writeFile writes a new file atomically (temporary file, fsync, rename).
func writeFile(dir, name string, data []byte, perm fs.FileMode) error {
	f, err := os.CreateTemp(dir, "."+name+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(perm); err == nil {
		_, err = f.Write(data)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(f.Name(), filepath.Join(dir, name))
		}
		if err == nil {
			return nil
		}
	} else {
		f.Close()
	}
	return fmt.Errorf("write %s: %w (is the disk full or the folder read-only?)", name, err)
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}

// makeCerts creates a CA (10 years) and an MQTT server certificate signed by
// it (2 years) for localhost, this host's name and the extra hosts.
func makeCerts(dir string, hosts []string) error {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("init: CA key: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "lawpoint fleet CA", Organization: []string{"lawpoint"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("init: CA certificate: %w", err)
	}
	ca, _ := x509.ParseCertificate(caDER)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("init: server key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "lawpoint fleet MQTT", Organization: []string{"lawpoint"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(2, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if h, err := os.Hostname(); err == nil && h != "" && h != "localhost" {
		tmpl.DNSNames = append(tmpl.DNSNames, h)
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("init: server certificate: %w", err)
	}
	caKeyDER, err := x509.MarshalPKCS8PrivateKey(caKey)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
		perm fs.FileMode
	}{
		{CAKeyFile, pemBlock("PRIVATE KEY", caKeyDER), 0o600},
		{CACertFile, pemBlock("CERTIFICATE", caDER), 0o644},
		{ServerKeyFile, pemBlock("PRIVATE KEY", keyDER), 0o600},
		{ServerCertFile, append(pemBlock("CERTIFICATE", der), pemBlock("CERTIFICATE", caDER)...), 0o644},
	} {
		if err := writeFile(dir, f.name, f.data, f.perm); err != nil {
			return err
		}
	}
	return nil
}
