package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"lawpoint/device/wire"
	"lawpoint/fleet"
	"lawpoint/fleet/sqlitestore"
)

// Files export-mosquitto writes.
const (
	MosquittoPasswordFile = "mosquitto.passwd"
	MosquittoACLFile      = "mosquitto.acl"
)

// ExportResult says what ExportMosquitto wrote.
type ExportResult struct {
	PasswordFile string
	ACLFile      string
	Devices      int // device accounts written
	Fleet        int // fleet accounts written
}

// ExportMosquitto writes Mosquitto's password file (every fleet account
// and every enrolled, unrevoked device, with the "$6$" hashes the store
// keeps: no password is needed) and ACL file (wire.MosquittoACL) into out.
// Each file is written atomically (temporary file, fsync, rename), 0600.
func ExportMosquitto(ctx context.Context, data, out string) (ExportResult, error) {
	if data == "" || out == "" {
		return ExportResult{}, errors.New("export-mosquitto: give --data DIR and --out DIR")
	}
	st, err := sqlitestore.Open(ctx, filepath.Join(data, StoreFile))
	if err != nil {
		return ExportResult{}, fmt.Errorf("export-mosquitto: %w (did you run lawpoint-fleet init --data %s?)", err, data)
	}
	defer st.Close()
	creds, err := st.Credentials(ctx)
	if err != nil {
		return ExportResult{}, fmt.Errorf("export-mosquitto: %w", err)
	}
	var (
		pw       strings.Builder
		devices  []string
		fleetUse string
		res      ExportResult
	)
	for _, c := range creds {
		if strings.ContainsAny(c.Username, ":\n") || strings.ContainsAny(c.Hash, ":\n") {
			return ExportResult{}, fmt.Errorf("export-mosquitto: account %q cannot be written to a password file", c.Username)
		}
		fmt.Fprintf(&pw, "%s:%s\n", c.Username, c.Hash)
		switch c.Role {
		case fleet.RoleDevice:
			devices = append(devices, c.Username)
			res.Devices++
		case fleet.RoleFleet:
			res.Fleet++
			if fleetUse == "" || c.Username == wire.DefaultFleetUser {
				fleetUse = c.Username
			}
		}
	}
	if fleetUse == "" {
		return ExportResult{}, errors.New("export-mosquitto: the store has no fleet account; run lawpoint-fleet init to create one")
	}
	acl, err := wire.MosquittoACL(devices, fleetUse)
	if err != nil {
		return ExportResult{}, fmt.Errorf("export-mosquitto: %w", err)
	}
	if err := os.MkdirAll(out, 0o700); err != nil {
		return ExportResult{}, fmt.Errorf("export-mosquitto: %w", err)
	}
	if err := writeFile(out, MosquittoPasswordFile, []byte(pw.String()), 0o600); err != nil {
		return ExportResult{}, fmt.Errorf("export-mosquitto: %w", err)
	}
	if err := writeFile(out, MosquittoACLFile, []byte(acl), 0o600); err != nil {
		return ExportResult{}, fmt.Errorf("export-mosquitto: %w", err)
	}
	res.PasswordFile = filepath.Join(out, MosquittoPasswordFile)
	res.ACLFile = filepath.Join(out, MosquittoACLFile)
	return res, nil
}
