package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// A session number is never handed out twice, also across a restart.
func TestSessionNeverRepeats(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s := open(t, path)
	var got []uint64
	for range 3 {
		v, err := s.NextSession(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	s.Close()
	s = open(t, path)
	v, err := s.NextSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, v)
	if !slices.Equal(got, []uint64{1, 2, 3, 4}) {
		t.Fatalf("sessions %v; want 1 2 3 4", got)
	}
	// The fleet's session_floor lifts a lost counter; a lower floor is ignored.
	if err := s.RaiseSession(ctx, 41); err != nil {
		t.Fatal(err)
	}
	if err := s.RaiseSession(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.NextSession(ctx); v != 42 {
		t.Fatalf("after session_floor 41 the next session is %d; want 42", v)
	}
}

// Events recorded before a restart are still there after it, numbered on
// from the persisted counter, and leave only when acknowledged.
func TestOutboxSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s := open(t, path)
	enc := func(seq uint64) ([]byte, error) { return fmt.Appendf(nil, `{"seq":%d}`, seq), nil }
	for range 5 {
		if _, err := s.AddEvent(ctx, enc); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.DeleteEvents(ctx, []uint64{1, 2}); err != nil || n != 2 {
		t.Fatalf("DeleteEvents = %d, %v; want 2", n, err)
	}
	s.Close()
	s = open(t, path)
	seq, err := s.AddEvent(ctx, enc)
	if err != nil || seq != 6 {
		t.Fatalf("next seq after restart = %d, %v; want 6", seq, err)
	}
	evs, err := s.Pending(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, e := range evs {
		seqs = append(seqs, e.Seq)
		if string(e.Body) != fmt.Sprintf(`{"seq":%d}`, e.Seq) {
			t.Errorf("event %d body %s changed", e.Seq, e.Body)
		}
	}
	if !slices.Equal(seqs, []uint64{3, 4, 5, 6}) {
		t.Fatalf("outbox holds %v; want 3..6", seqs)
	}
	// A failed encoding leaves neither a number nor a row behind.
	if _, err := s.AddEvent(ctx, func(uint64) ([]byte, error) { return nil, fmt.Errorf("boom") }); err == nil {
		t.Fatal("AddEvent with a failing encoder succeeded")
	}
	if seq, _ := s.AddEvent(ctx, enc); seq != 7 {
		t.Fatalf("seq after a failed add = %d; want 7", seq)
	}
}

// A conflict ack moves the counter past the fleet's next_seq and renumbers
// the conflicting events, keeping the others.
func TestRenumberOnConflict(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "state.db"))
	enc := func(seq uint64) ([]byte, error) { return fmt.Appendf(nil, "%d", seq), nil }
	for range 3 {
		s.AddEvent(ctx, enc)
	}
	moved, err := s.Renumber(ctx, []uint64{1, 2}, 100, func(_ []byte, seq uint64) ([]byte, error) { return enc(seq) })
	if err != nil {
		t.Fatal(err)
	}
	if moved[1] != 100 || moved[2] != 101 {
		t.Fatalf("moved %v; want 1→100, 2→101", moved)
	}
	if seq, _ := s.AddEvent(ctx, enc); seq != 102 {
		t.Fatalf("next seq = %d; want 102", seq)
	}
	evs, _ := s.Pending(ctx, 0, 10)
	var got []string
	for _, e := range evs {
		got = append(got, fmt.Sprintf("%d=%s", e.Seq, e.Body))
	}
	if want := []string{"3=3", "100=100", "101=101", "102=102"}; !slices.Equal(got, want) {
		t.Fatalf("outbox %v; want %v", got, want)
	}
}

// A command ID is begun once; a repeat sees the stored state and result.
func TestCommandOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s := open(t, path)
	now := time.Date(2026, 5, 4, 9, 30, 0, 0, time.UTC)
	if _, isNew, err := s.BeginCommand(ctx, "c1", "ping", now); err != nil || !isNew {
		t.Fatalf("first BeginCommand: new=%v err=%v", isNew, err)
	}
	if c, isNew, _ := s.BeginCommand(ctx, "c1", "ping", now); isNew || c.State != CommandRunning {
		t.Fatalf("repeat BeginCommand: new=%v state=%s; want known, running", isNew, c.State)
	}
	if err := s.FinishCommand(ctx, "c1", []byte(`{"status":"ok"}`)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, path)
	c, isNew, _ := s.BeginCommand(ctx, "c1", "ping", now)
	if isNew || c.State != CommandDone || string(c.Result) != `{"status":"ok"}` {
		t.Fatalf("after restart: new=%v %+v; want the stored result", isNew, c)
	}
	if u, _ := s.Unsent(ctx); len(u) != 1 {
		t.Fatalf("unsent results %d; want 1", len(u))
	}
	s.MarkResultSent(ctx, "c1", true)
	if u, _ := s.Unsent(ctx); len(u) != 0 {
		t.Fatalf("unsent results after sending %d; want 0", len(u))
	}
	if n, _ := s.PruneCommands(ctx, now.Add(time.Hour)); n != 1 {
		t.Fatalf("pruned %d; want 1", n)
	}
}

func TestKV(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "state.db"))
	if v, err := s.Uint(ctx, "x"); v != 0 || err != nil {
		t.Fatalf("missing Uint = %d, %v", v, err)
	}
	s.SetUint(ctx, "x", 11)
	if v, _ := s.Uint(ctx, "x"); v != 11 {
		t.Fatalf("Uint = %d; want 11", v)
	}
}

// A keyed event replayed by its caller (after a crash between the caller's
// commit and its marking the event handed over) is stored once, also
// across a restart, and its first sequence number is returned again.
func TestAddEventOnceStoresAKeyOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s := open(t, path)
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	enc := func(seq uint64) ([]byte, error) { return fmt.Appendf(nil, `{"seq":%d}`, seq), nil }
	seq1, added, err := s.AddEventOnce(ctx, "t-1:issued", now, enc)
	if err != nil || !added || seq1 != 1 {
		t.Fatalf("first add = %d, %v, %v", seq1, added, err)
	}
	s.Close()
	s = open(t, path)
	seq2, added, err := s.AddEventOnce(ctx, "t-1:issued", now.Add(time.Minute), enc)
	if err != nil || added || seq2 != seq1 {
		t.Fatalf("replay = %d, added %v, %v; want %d and nothing added", seq2, added, err, seq1)
	}
	if seq3, added, _ := s.AddEventOnce(ctx, "t-1:called:1", now, enc); !added || seq3 != 2 {
		t.Fatalf("another key = %d, added %v", seq3, added)
	}
	evs, _ := s.Pending(ctx, 0, 10)
	if len(evs) != 2 {
		t.Fatalf("outbox holds %d events, want 2", len(evs))
	}
	if _, _, err := s.AddEventOnce(ctx, "", now, enc); err == nil {
		t.Fatal("an empty key was accepted")
	}
}
