package pipeline

import (
	"context"
	"fmt"
	"time"

	"doraflow"
	"doraflow/metrics"
)

// MetricsOptions choose where the metrics are read from.
type MetricsOptions struct {
	// FromEvents reads the per-event table even for a window of whole days,
	// which the day-grain rollup would answer faster. Tests and benchmarks
	// use it to check that both agree.
	FromEvents bool
}

// Metrics computes the metrics of docs/metrics.md for q. A window that starts
// and ends at midnight in the config time zone is answered from the
// day-grain rollup that dora_daily_mv keeps; any other window from the
// metric events, at event precision.
func (p *Pipeline) Metrics(ctx context.Context, q metrics.Query, opts MetricsOptions) (metrics.Report, error) {
	if q.Location == nil {
		q.Location = p.cfg.Location
	}
	agg, err := metrics.NewAggregator(q)
	if err != nil {
		return metrics.Report{}, err
	}
	err = p.Cells(ctx, q.From, q.To, q.Location, doraflow.CellFilter{Service: q.Service, Team: q.Team}, opts.FromEvents, agg.Add)
	if err != nil {
		return metrics.Report{}, fmt.Errorf("metrics: %w", err)
	}
	return agg.Report(), nil
}

// Cells streams the metric cells of the window [from, to) that f keeps to
// add, as Metrics reads them: from the day-grain rollup when the window
// starts and ends at midnight in loc (the config time zone when nil),
// otherwise, or with perEvent, from the metric events. A cell's multisets
// may be reused for the next one: add must only read them. The report
// package reads its numbers through it.
func (p *Pipeline) Cells(ctx context.Context, from, to time.Time, loc *time.Location, f doraflow.CellFilter, perEvent bool, add func(doraflow.Cell)) error {
	if loc == nil {
		loc = p.cfg.Location
	}
	return p.store.Cells(ctx, from, to, loc, f, perEvent, add)
}
