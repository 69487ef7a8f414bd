package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"

	"lawpoint/content/demo"
	"lawpoint/fleet"
	"lawpoint/fleet/sqlitestore"
)

// DemoAuthor is the author recorded for the demo county's content.
const DemoAuthor = "demo"

// DemoBoard is the LED board every demo board is registered with: a
// BX-5E2 picture controller on a 128x32 dual-colour panel.
var DemoBoard = fleet.Board{Controller: "bx-5e2", Width: 128, Height: 32, Colors: "dual"}

// DemoResult says what Demo did.
type DemoResult struct {
	DevicesCreated []string // demo devices that were not registered yet
	ContentAdded   int      // items, programmes, schedules and fallbacks added
	// Tokens are new one-time enrolment tokens for the demo devices that
	// are not enrolled yet, by device ID.
	Tokens map[string]string
}

// Demo seeds the fleet in data with the demonstration county
// (lawpoint/content/demo): it registers the demo devices with their kinds,
// regions and tags, adds the demo content (items, programmes, schedules,
// fallbacks), and makes an enrolment token for every demo device that is
// not enrolled yet. It is idempotent: a device already registered is left
// as it is, and a content record is added only if its ID was never stored
// (so what staff changed or deleted since stays so). Run it while the fleet
// is stopped, or the running fleet publishes the change only at its next
// hourly recompute.
func Demo(ctx context.Context, data string) (DemoResult, error) {
	res := DemoResult{Tokens: map[string]string{}}
	if data == "" {
		return res, errors.New("demo: give the data folder with --data")
	}
	st, err := sqlitestore.Open(ctx, filepath.Join(data, StoreFile))
	if err != nil {
		return res, fmt.Errorf("demo: %w (did you run lawpoint-fleet init --data %s?)", err, data)
	}
	defer st.Close()
	if _, err := LoadSigningKey(data); err != nil {
		return res, fmt.Errorf("demo: %w", err)
	}
	reg := fleet.NewRegistry(st)
	for _, d := range demo.Devices() {
		_, err := reg.Device(ctx, d.ID)
		if errors.Is(err, fleet.ErrNotFound) {
			dev := fleet.Device{ID: d.ID, Kind: fleet.Kind(d.Kind), Region: d.Region, Tags: d.Tags,
				Model: "演示设备", ContactPoint: d.Region + " 法律服务联系点"}
			if dev.Kind == fleet.KindLED {
				// The board scripts/run.sh and the console test drive.
				dev.Board = DemoBoard
			}
			_, err = reg.CreateDevice(ctx, dev)
			if err != nil {
				return res, fmt.Errorf("demo: registering %s: %w", d.ID, err)
			}
			res.DevicesCreated = append(res.DevicesCreated, d.ID)
		} else if err != nil {
			return res, fmt.Errorf("demo: %w", err)
		}
	}

	blobs, err := fleet.NewBlobs(filepath.Join(data, BlobDir))
	if err != nil {
		return res, fmt.Errorf("demo: %w", err)
	}
	lib := fleet.NewLibrary(st, blobs)
	never := func(kind fleet.RecordKind, id string) (bool, error) {
		h, err := st.ContentHistory(ctx, kind, id)
		return len(h) == 0, err
	}
	set := demo.Set()
	// Items first, then what names them: every change is validated against
	// the whole set.
	for _, it := range set.Items {
		ok, err := never(fleet.RecordItem, it.ID)
		if err == nil && ok {
			_, err = lib.PutItem(ctx, DemoAuthor, it)
			res.ContentAdded++
		}
		if err != nil {
			return res, fmt.Errorf("demo: item %s: %w", it.ID, err)
		}
	}
	for _, p := range set.Programmes {
		ok, err := never(fleet.RecordProgramme, p.ID)
		if err == nil && ok {
			err = lib.PutProgramme(ctx, DemoAuthor, p)
			res.ContentAdded++
		}
		if err != nil {
			return res, fmt.Errorf("demo: programme %s: %w", p.ID, err)
		}
	}
	for _, s := range set.Schedules {
		ok, err := never(fleet.RecordSchedule, s.ID)
		if err == nil && ok {
			err = lib.PutSchedule(ctx, DemoAuthor, s)
			res.ContentAdded++
		}
		if err != nil {
			return res, fmt.Errorf("demo: schedule %s: %w", s.ID, err)
		}
	}
	for _, kind := range slices.Sorted(maps.Keys(set.Fallbacks)) {
		ok, err := never(fleet.RecordFallback, kind)
		if err == nil && ok {
			err = lib.SetFallback(ctx, DemoAuthor, kind, set.Fallbacks[kind])
			res.ContentAdded++
		}
		if err != nil {
			return res, fmt.Errorf("demo: fallback for %s: %w", kind, err)
		}
	}

	creds, err := st.Credentials(ctx)
	if err != nil {
		return res, fmt.Errorf("demo: %w", err)
	}
	enrolled := map[string]bool{}
	for _, c := range creds {
		enrolled[c.Username] = true
	}
	for _, d := range demo.Devices() {
		dev, err := reg.Device(ctx, d.ID)
		if err != nil {
			return res, fmt.Errorf("demo: %w", err)
		}
		if enrolled[d.ID] || dev.IsRevoked() {
			continue
		}
		tok, _, err := reg.CreateToken(ctx, d.ID, 0)
		if err != nil {
			return res, fmt.Errorf("demo: token for %s: %w", d.ID, err)
		}
		res.Tokens[d.ID] = tok
	}
	return res, nil
}

// WriteTokens writes tokens (device ID → one-time enrolment token) as JSON
// to path, atomically and readable only by its owner.
func WriteTokens(path string, tokens map[string]string) error {
	b, err := json.MarshalIndent(tokens, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Dir(path), filepath.Base(path), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}
