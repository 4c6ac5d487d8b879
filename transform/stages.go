package transform

import (
	"time"

	"doraflow"
)

// Stages are the stages of one change's lead time (docs/metrics.md,
// "Stages"), in seconds and never below 0; nil where the change has no
// such stage. The JSON names are those of `explain changes`, which
// writes null for a stage the change does not have.
type Stages struct {
	Coding *int64 `json:"coding_seconds"`
	Pickup *int64 `json:"pickup_seconds"`
	Review *int64 `json:"review_seconds"`
	Deploy *int64 `json:"deploy_seconds"`
}

// StagesOf returns the stages of change c first deployed at deployedAt.
// A merged pull request has coding (opened − started), pickup (first
// review by someone else − opened) and review (merged − that review) when
// the times they need are known, and deploy (deployed − merged); without
// a review by someone else, pickup and review are nil. A lone commit has
// only deploy, which is its lead time.
func StagesOf(c doraflow.Change, deployedAt time.Time) Stages {
	span := func(from, to time.Time) *int64 {
		if from.IsZero() || to.IsZero() {
			return nil
		}
		s := seconds(to.Sub(from))
		return &s
	}
	if c.Kind != doraflow.ChangePullRequest {
		return Stages{Deploy: span(c.StartedAt, deployedAt)}
	}
	st := Stages{Coding: span(c.StartedAt, c.OpenedAt), Deploy: span(c.MergedAt, deployedAt)}
	if !c.FirstReviewAt.IsZero() {
		st.Pickup, st.Review = span(c.OpenedAt, c.FirstReviewAt), span(c.FirstReviewAt, c.MergedAt)
	}
	return st
}

// byKind returns the stages keyed by their event kinds, leaving out the
// ones the change does not have.
func (s Stages) byKind() map[doraflow.EventKind]int64 {
	out := map[doraflow.EventKind]int64{}
	for k, v := range map[doraflow.EventKind]*int64{
		doraflow.EventCoding: s.Coding, doraflow.EventPickup: s.Pickup,
		doraflow.EventReview: s.Review, doraflow.EventDeploy: s.Deploy,
	} {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}

// stageEvents returns the stage events that go with a change event: one
// per stage the change has, at the same time and with the same keys.
func stageEvents(change doraflow.Event, c doraflow.Change) []doraflow.Event {
	var out []doraflow.Event
	for k, v := range StagesOf(c, change.At).byKind() {
		e := change
		e.Kind, e.Value = k, v
		out = append(out, e)
	}
	return out
}
