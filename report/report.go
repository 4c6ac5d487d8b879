// Package report renders the DORA metrics of a window as one
// self-contained HTML file: the four metrics and rework rate with their
// performance levels, weekly trend charts, a table per service (or team,
// repository or environment), the failed deployments and incidents behind
// the numbers with their links, and the definitions. The CSS and the SVG
// charts are inline and the page runs no script, so the file can be
// mailed, archived or opened offline and shows the same everywhere.
//
// [Collect] computes a report's numbers exactly as `doraflow metrics`
// does, from the cells the pipeline reads ([Source]); [Write] renders
// them. The package knows nothing of the store: it takes domain types
// (package doraflow) and the metrics package's rows.
package report

import (
	"context"
	"fmt"
	"time"

	"doraflow"
	"doraflow/metrics"
)

// Query says what a report covers.
type Query struct {
	// From and To bound the window [From, To).
	From, To time.Time
	// Location is the config time zone that days and weeks are calendar
	// periods of; nil means UTC.
	Location *time.Location
	// GroupBy is what the table has a row per: metrics.GroupService,
	// GroupTeam, GroupRepository or GroupEnvironment; metrics.GroupNone
	// has one row, the whole window.
	GroupBy string
	// Service, Team and Environment, when not "", keep only what happened
	// there.
	Service, Team, Environment string
}

// Data is everything a report shows. [Collect] computes it from a
// [Source]; tests build it by hand.
type Data struct {
	Query
	// Summary holds the metrics of the whole window.
	Summary metrics.Row
	// Weeks holds the metrics per week (from Monday), for the trend
	// charts; weeks with nothing in them are left out.
	Weeks []metrics.Row
	// Rows holds the table: one row per Query.GroupBy key.
	Rows []metrics.Row
	// Failures and Incidents are what `doraflow explain failures` and
	// `doraflow explain incidents` list for the same window and filters:
	// the failed deployments and the incidents behind Summary, oldest
	// first. Collect leaves them empty (they are read through
	// pipeline.Explain, which this package does not know); nil lists
	// nothing, and the page then has no such sections.
	Failures, Incidents []Entry
	// Version and Generated go in the footer; zero values leave them out.
	Version   string
	Generated time.Time
}

// Source reads the metric building blocks of a window, as
// *pipeline.Pipeline does (its Cells method): from the day-grain rollup
// for whole days, per event otherwise, the choice pipeline.Metrics makes
// too. Collect passes perEvent false.
type Source interface {
	Cells(ctx context.Context, from, to time.Time, loc *time.Location, f doraflow.CellFilter, perEvent bool, add func(doraflow.Cell)) error
}

// Collect computes the report of q from src, reading the window's cells
// once for the summary, the weeks and the table, as pipeline.Metrics does
// (Source.Cells chooses the rollup or the events, the aggregators the
// cells of the service, team and environment asked for).
func Collect(ctx context.Context, src Source, q Query) (Data, error) {
	if q.Location == nil {
		q.Location = time.UTC
	}
	if q.GroupBy == "" {
		q.GroupBy = metrics.GroupService
	}
	base := metrics.Query{From: q.From, To: q.To, Location: q.Location, Service: q.Service, Team: q.Team, Environment: q.Environment}
	var aggs [3]*metrics.Aggregator
	for i, shape := range [][2]string{
		{metrics.GroupNone, metrics.PeriodNone},
		{metrics.GroupNone, metrics.PeriodWeek},
		{q.GroupBy, metrics.PeriodNone},
	} {
		mq := base
		mq.GroupBy, mq.Period = shape[0], shape[1]
		a, err := metrics.NewAggregator(mq)
		if err != nil {
			return Data{}, fmt.Errorf("report: %w", err)
		}
		aggs[i] = a
	}
	add := func(c doraflow.Cell) {
		for _, a := range aggs {
			a.Add(c)
		}
	}
	err := src.Cells(ctx, q.From, q.To, q.Location, doraflow.CellFilter{Service: q.Service, Team: q.Team}, false, add)
	if err != nil {
		return Data{}, fmt.Errorf("report: %w", err)
	}
	return Data{
		Query:   q,
		Summary: aggs[0].Report().Rows[0],
		Weeks:   aggs[1].Report().Rows,
		Rows:    aggs[2].Report().Rows,
	}, nil
}

// empty reports whether nothing at all happened in the window.
func (d *Data) empty() bool {
	s := &d.Summary
	return s.Deployments == 0 && s.Changes == 0 && s.Incidents == 0 && s.RestoredIncidents == 0
}
