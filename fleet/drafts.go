package fleet

import (
	"context"
	"encoding/json"
	"time"
)

// Draft states.
const (
	DraftPending  = "pending"
	DraftApproved = "approved"
	DraftRejected = "rejected"
)

// ScheduleDraft is a township operator's new or changed schedule waiting
// for a county administrator (Account.NeedsApproval).
type ScheduleDraft struct {
	ID         int64
	ScheduleID string
	Body       json.RawMessage // the content.Schedule as JSON
	Author     string
	Township   string // the author's township
	Created    time.Time
	State      string // DraftPending, DraftApproved or DraftRejected
	Decider    string
	Decided    time.Time
	Note       string
}

// DraftStore keeps schedule drafts.
type DraftStore interface {
	// AddDraft stores a pending draft and returns its ID.
	AddDraft(ctx context.Context, d ScheduleDraft) (int64, error)
	// Draft returns one draft; ErrNotFound if none.
	Draft(ctx context.Context, id int64) (ScheduleDraft, error)
	// Drafts lists drafts in state ("" for all), newest first.
	Drafts(ctx context.Context, state string) ([]ScheduleDraft, error)
	// DecideDraft moves a pending draft to state; ErrConflict if it is
	// no longer pending, ErrNotFound if unknown.
	DecideDraft(ctx context.Context, id int64, state, decider, note string, at time.Time) error
}
