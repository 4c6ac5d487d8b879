package github

import (
	"context"
	"errors"
	"strconv"
	"time"

	"doraflow"
)

// Extract reads one block for the pipeline (doraflow.Extractor): Read over
// the extraction's window, with the pipeline's facts answering History.
//
// In a sync, every repository reads from its own mark (less the
// lookback) when it has one, and each repository read in full moves its
// mark to the window's end: one repository that fails does not hold the
// others back, and a repository added to a glob starts at the window's
// start. The marks are unix seconds by repository (owner/name).
func (s *Source) Extract(ctx context.Context, x doraflow.Extraction) (doraflow.ExtractStats, error) {
	if !x.Sync {
		st, err := s.Read(ctx, x.Block, x.Since, x.Until, x.Known, x.Sink)
		return doraflow.ExtractStats{Requests: st.Requests}, err
	}
	var total doraflow.ExtractStats
	repos, err := s.Repositories(ctx, x.Block.Repositories)
	if err != nil {
		return total, err
	}
	marks, err := x.Known.Marks(ctx)
	if err != nil {
		return total, err
	}
	// Repositories that share a starting point are read together, so that
	// Read reads them in parallel.
	groups := map[time.Time][]string{}
	for _, r := range repos {
		start := x.Since
		if unix, err := strconv.ParseInt(marks[r], 10, 64); err == nil {
			if t := time.Unix(unix, 0).UTC().Add(-x.Lookback); t.After(start) {
				start = t
			}
		}
		groups[start] = append(groups[start], r)
	}
	var errs []error
	for start, group := range groups {
		if !start.Before(x.Until) {
			continue
		}
		one := x.Block
		one.Repositories = group
		st, err := s.Read(ctx, one, start, x.Until, x.Known, x.Sink)
		total.Requests += st.Requests
		if err != nil && !errors.Is(err, ErrRepositories) {
			return total, err
		}
		if err != nil {
			errs = append(errs, err)
		}
		failed := map[string]bool{}
		for _, f := range st.Failed {
			failed[f.Repo] = true
		}
		moved := map[string]string{}
		for _, r := range group {
			if !failed[r] {
				moved[r] = strconv.FormatInt(x.Until.Unix(), 10)
			}
		}
		if err := x.Known.SetMarks(ctx, moved); err != nil {
			return total, err
		}
	}
	return total, errors.Join(errs...)
}
