package pipeline

import (
	"context"
	"fmt"

	"doraflow/load/clickhouse"
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
	err = p.store.Cells(ctx, q.From, q.To, q.Location, clickhouse.CellFilter{Service: q.Service, Team: q.Team}, opts.FromEvents, agg.Add)
	if err != nil {
		return metrics.Report{}, fmt.Errorf("metrics: %w", err)
	}
	return agg.Report(), nil
}
