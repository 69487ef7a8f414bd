package wire

import (
	"encoding/json"
	"fmt"
	"slices"
)

// MaxAckRanges caps the ranges in one ack list.
const MaxAckRanges = 256

// SeqRange is an inclusive range of event sequence numbers, [First, Last],
// encoded as a two-element JSON array.
type SeqRange struct {
	First, Last uint64
}

// MarshalJSON encodes the range as [first,last].
func (r SeqRange) MarshalJSON() ([]byte, error) {
	return json.Marshal([2]uint64{r.First, r.Last})
}

// UnmarshalJSON decodes [first,last].
func (r *SeqRange) UnmarshalJSON(b []byte) error {
	var a [2]uint64
	if err := json.Unmarshal(b, &a); err != nil {
		return fmt.Errorf("a sequence range is [first,last] of two unsigned integers: %w", err)
	}
	r.First, r.Last = a[0], a[1]
	return nil
}

// SeqRanges is a sorted list of disjoint, non-adjacent ranges.
type SeqRanges []SeqRange

// RangesOf returns the normalized ranges covering seqs (any order, repeats
// allowed); 0 is skipped.
func RangesOf(seqs ...uint64) SeqRanges {
	s := slices.Clone(seqs)
	slices.Sort(s)
	var out SeqRanges
	for _, v := range s {
		if v == 0 {
			continue
		}
		if n := len(out); n > 0 && v <= out[n-1].Last+1 {
			out[n-1].Last = max(out[n-1].Last, v)
			continue
		}
		out = append(out, SeqRange{v, v})
	}
	return out
}

// Contains reports whether seq is in one of the ranges.
func (rs SeqRanges) Contains(seq uint64) bool {
	i, found := slices.BinarySearchFunc(rs, seq, func(r SeqRange, s uint64) int {
		switch {
		case r.Last < s:
			return -1
		case r.First > s:
			return 1
		}
		return 0
	})
	_ = i
	return found
}

func (c *check) ranges(field string, rs SeqRanges) {
	c.that(len(rs) <= MaxAckRanges, field, "has %d ranges, over the limit of %d; ack in several messages", len(rs), MaxAckRanges)
	for i, r := range rs {
		f := fmt.Sprintf("%s[%d]", field, i)
		c.that(r.First >= 1 && r.First <= r.Last, f, "[%d,%d] is not a range [first,last] with 1 <= first <= last", r.First, r.Last)
		if i > 0 {
			c.that(r.First > rs[i-1].Last+1, f, "[%d,%d] is not after [%d,%d] with a gap; send sorted, merged ranges",
				r.First, r.Last, rs[i-1].First, rs[i-1].Last)
		}
	}
}

// Rejection is one event the fleet will never store.
type Rejection struct {
	Seq    uint64 `json:"seq"`
	Reason Reason `json:"reason"`
}

// Ack is a message on lp/v1/dev/{id}/ack, written only by the fleet after
// it has committed a batch to its store. The device deletes from its outbox
// every event in Stored or Rejected, renumbers those in Conflict, and
// resends anything else after the ack timeout.
type Ack struct {
	Schema int    `json:"schema"`
	Batch  string `json:"batch"`
	// Stored: durably stored now or before with the same fingerprint.
	Stored SeqRanges `json:"stored,omitempty"`
	// Rejected: invalid for good (unknown type, bad data); drop and log.
	Rejected []Rejection `json:"rejected,omitempty"`
	// Conflict: the seq was already used by a different event (the device
	// lost its counter). The device moves its counter to NextSeq and
	// re-queues these events under new numbers.
	Conflict SeqRanges `json:"conflict,omitempty"`
	NextSeq  uint64    `json:"next_seq,omitempty"`
	// Error is set when the whole batch could not be read; the device then
	// resends those events one per batch (see docs/PROTOCOL.md).
	Error *Reason `json:"error,omitempty"`
}

// TopicKind is the topic kind (ack).
func (Ack) TopicKind() Kind { return KindAck }

func (a Ack) withSchema() Payload {
	if a.Schema == 0 {
		a.Schema = Schema
	}
	return a
}

// Validate checks the fields against the contract.
func (a Ack) Validate() error {
	c := check{kind: KindAck}
	c.schema(a.Schema)
	c.token("batch", a.Batch, 64, true)
	c.ranges("stored", a.Stored)
	c.ranges("conflict", a.Conflict)
	c.that(len(a.Rejected) <= MaxEventsPerBatch, "rejected", "has %d entries, over the limit of %d", len(a.Rejected), MaxEventsPerBatch)
	for i, r := range a.Rejected {
		f := fmt.Sprintf("rejected[%d]", i)
		c.that(r.Seq >= 1, f+".seq", "is 0")
		c.that(!a.Stored.Contains(r.Seq) && !a.Conflict.Contains(r.Seq), f+".seq", "%d is also in stored or conflict", r.Seq)
		c.reason(f+".reason", &r.Reason, true)
	}
	for _, r := range a.Conflict {
		for _, s := range a.Stored {
			c.that(r.Last < s.First || s.Last < r.First, "conflict", "[%d,%d] overlaps stored [%d,%d]", r.First, r.Last, s.First, s.Last)
		}
	}
	if len(a.Conflict) > 0 {
		c.that(a.NextSeq > a.Conflict[len(a.Conflict)-1].Last, "next_seq",
			"is %d; with a conflict it must be above every conflicting seq", a.NextSeq)
	}
	c.that(len(a.Stored)+len(a.Rejected)+len(a.Conflict) > 0 || a.Error != nil, "stored",
		"an ack names at least one event or carries an error")
	c.reason("error", a.Error, false)
	return c.err
}

// Done reports whether the device may delete the event with seq from its
// outbox: stored or rejected.
func (a Ack) Done(seq uint64) bool {
	if a.Stored.Contains(seq) {
		return true
	}
	for _, r := range a.Rejected {
		if r.Seq == seq {
			return true
		}
	}
	return false
}

// DecodeAck decodes and validates an event ack.
func DecodeAck(b []byte) (Ack, error) {
	var a Ack
	if err := decodeStrict(KindAck, b, &a); err != nil {
		return Ack{}, err
	}
	if err := a.Validate(); err != nil {
		return Ack{}, err
	}
	return a, nil
}
