package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"lawpoint/fleet"
	"lawpoint/fleet/sqlitestore"
)

// ResetAdminResult is what ResetAdmin prints once.
type ResetAdminResult struct {
	Username string
	Password string // shown once; changed at the next console sign-in
	Enabled  bool   // the account was disabled and is enabled again
}

// ResetAdmin is `lawpoint-fleet reset-admin`, for the server operator who
// lost the last administrator password: the administrator account
// username ("admin" if empty) of the data folder gets a new one-time
// password that it must change at its next console sign-in; it is enabled
// if it was disabled; its console sessions and API tokens end. The audit
// row's actor is "lawpoint-fleet", its address this host's name. It works
// on a stopped fleet, and on a running one too: the store is SQLite in WAL
// mode and waits for the fleet's writes.
func ResetAdmin(ctx context.Context, data, username string) (ResetAdminResult, error) {
	if username == "" {
		username = "admin"
	}
	st, err := openExisting(ctx, "reset-admin", data)
	if err != nil {
		return ResetAdminResult{}, err
	}
	defer st.Close()
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	acc := fleet.NewAccounts(st, fleet.NewAudit(st, nil))
	pw, enabled, err := acc.ResetAdmin(ctx, username, host)
	if err != nil {
		return ResetAdminResult{}, fmt.Errorf("reset-admin: %w", err)
	}
	return ResetAdminResult{Username: username, Password: pw, Enabled: enabled}, nil
}

// RequirePasswordChange marks the password of account username in the
// data folder as set by someone else, to be changed at its next console
// sign-in (the API refuses it until then). `lawpoint-fleet init` does this
// for the first administrator; Init itself does not, so tests and tools
// that init a county sign in with the password it returns.
func RequirePasswordChange(ctx context.Context, data, username string) error {
	st, err := openExisting(ctx, "init", data)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := fleet.NewAccounts(st, fleet.NewAudit(st, nil)).RequireChange(ctx, username); err != nil {
		return fmt.Errorf("init: mark the password of %s to be changed: %w", username, err)
	}
	return nil
}

// openExisting opens the store of a data folder made by init, refusing a
// folder without one (Open would create an empty store).
func openExisting(ctx context.Context, cmd, data string) (*sqlitestore.Store, error) {
	if data == "" {
		return nil, fmt.Errorf("%s: give the data folder with --data", cmd)
	}
	path := filepath.Join(data, StoreFile)
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: %s holds no lawpoint fleet (no %s): give the data folder made by init", cmd, data, StoreFile)
		}
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	st, err := sqlitestore.Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	return st, nil
}
