package sqlitestore

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"lawpoint/fleet"
)

func TestScheduleDrafts(t *testing.T) {
	ctx := t.Context()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().Truncate(time.Microsecond)
	id, err := st.AddDraft(ctx, fleet.ScheduleDraft{ScheduleID: "s1", Body: []byte(`{"id":"s1"}`), Author: "bangtou", Township: "仙游县/榜头镇", Created: now})
	if err != nil {
		t.Fatal(err)
	}
	d, err := st.Draft(ctx, id)
	if err != nil || d.ScheduleID != "s1" || string(d.Body) != `{"id":"s1"}` || d.State != fleet.DraftPending || !d.Created.Equal(now) || !d.Decided.IsZero() {
		t.Fatalf("draft: %+v %v", d, err)
	}
	if ds, _ := st.Drafts(ctx, fleet.DraftPending); len(ds) != 1 {
		t.Fatalf("pending: %+v", ds)
	}
	if err := st.DecideDraft(ctx, id, fleet.DraftApproved, "admin", "", now); err != nil {
		t.Fatal(err)
	}
	if err := st.DecideDraft(ctx, id, fleet.DraftRejected, "admin", "", now); !errors.Is(err, fleet.ErrConflict) {
		t.Fatalf("decided twice: %v", err)
	}
	if err := st.DecideDraft(ctx, 99, fleet.DraftRejected, "admin", "", now); !errors.Is(err, fleet.ErrNotFound) {
		t.Fatalf("unknown: %v", err)
	}
	if ds, _ := st.Drafts(ctx, fleet.DraftPending); len(ds) != 0 {
		t.Fatalf("pending after approval: %+v", ds)
	}
	if ds, _ := st.Drafts(ctx, ""); len(ds) != 1 || ds[0].Decider != "admin" || ds[0].State != fleet.DraftApproved {
		t.Fatalf("all: %+v", ds)
	}
}
