package pagerduty

import (
	"context"
	"fmt"
	"time"

	"doraflow"
)

// filterMerged names, in a preview's funnel, the incidents left out because
// they were merged into another.
const filterMerged = "merged into another incident"

// Preview reads one block like Read, for incidents created in [since,
// until), but delivers nothing anywhere: it returns the matching
// incidents, in created order. urgency and teams are not sent to
// PagerDuty as query parameters, so that the same checks Read applies
// count, into funnel, what each filter removes.
func (s *Source) Preview(ctx context.Context, block doraflow.Block, since, until time.Time, funnel doraflow.Funnel) ([]doraflow.Match, error) {
	if funnel == nil {
		return nil, fmt.Errorf("pagerduty: block %s: preview without a funnel", block.Name)
	}
	if err := checkBlock(block); err != nil {
		return nil, err
	}
	// services stay in the query (see read), as repositories do for
	// GitHub blocks: they scope what is listed, and a funnel line for them
	// would always say 0 removed. Were PagerDuty to send an incident of
	// another service, its removal would still show.
	declared := newFilter(block.Filters)
	declared.services = nil
	for _, c := range declared.checks() {
		funnel.Filter(c.name)
	}
	// Read delivers merged incidents (so that a merge seen late can be
	// recorded), but they are no incidents of their own (docs/metrics.md): the
	// preview shows them removed, after the block's filters.
	funnel.Filter(filterMerged)
	var matches []doraflow.Match
	_, err := s.read(ctx, block, since, until, funnel, func(_ context.Context, batch []Incident) error {
		for _, in := range batch {
			if in.MergedInto != "" {
				funnel.Removed(filterMerged)
				continue
			}
			matches = append(matches, doraflow.Match{ID: in.ID, At: in.CreatedAt, URL: in.URL})
		}
		return nil
	})
	return matches, err
}
