package clickhouse

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"doraflow"
)

// DailyCells reads the day-grain rollup (dora_daily, kept by
// dora_daily_mv) for the calendar days [from, to), handing each cell to
// add as it streams in, then the stages of the same days
// (dora_stages_daily) as cells of their own. A cell's multisets are
// reused for the next cell: add must only read them (as
// metrics.Aggregator.Add does).
func (s *Store) DailyCells(ctx context.Context, from, to doraflow.Date, f doraflow.CellFilter, add func(doraflow.Cell)) error {
	if err := s.dailyCells(ctx, from, to, f, add); err != nil {
		return err
	}
	return s.dailyStageCells(ctx, from, to, f, add)
}

func (s *Store) dailyCells(ctx context.Context, from, to doraflow.Date, f doraflow.CellFilter, add func(doraflow.Cell)) error {
	var leadS, leadN, restS, restN string
	var values, counts []int64
	leads, restores := doraflow.Multiset{}, doraflow.Multiset{}
	return s.each(ctx, "daily_cells", func(r driver.Rows) error {
		var c doraflow.Cell
		var day time.Time
		if err := r.Scan(&day, &c.Service, &c.Team, &c.Environment, &c.Repository,
			&c.Deployments, &c.FailedDeployments, &c.ReworkDeployments, &leadS, &leadN,
			&c.Incidents, &restS, &restN); err != nil {
			return err
		}
		c.Day = doraflow.Date{Year: day.Year(), Month: day.Month(), Day: day.Day()}
		var err error
		if c.LeadTimes, values, counts, err = fill(leads, values, counts, leadS, leadN); err != nil {
			return fmt.Errorf("dora_daily lead times of %s on %s: %w", c.Service, day.Format(time.DateOnly), err)
		}
		if c.Restores, values, counts, err = fill(restores, values, counts, restS, restN); err != nil {
			return fmt.Errorf("dora_daily times to restore of %s on %s: %w", c.Service, day.Format(time.DateOnly), err)
		}
		add(c)
		return nil
	}, ch.Named("from", dateValue(from)), ch.Named("to", dateValue(to)), ch.Named("service", f.Service), ch.Named("team", f.Team))
}

// dailyStageCells reads dora_stages_daily (kept by dora_stages_daily_mv)
// as DailyCells reads dora_daily: one cell per row, with only its stages.
func (s *Store) dailyStageCells(ctx context.Context, from, to doraflow.Date, f doraflow.CellFilter, add func(doraflow.Cell)) error {
	kinds := doraflow.StageKinds()
	text := make([]string, 2*len(kinds)) // seconds, counts of each stage
	scratch := make([]doraflow.Multiset, len(kinds))
	for i := range scratch {
		scratch[i] = doraflow.Multiset{}
	}
	var values, counts []int64
	return s.each(ctx, "daily_stage_cells", func(r driver.Rows) error {
		var c doraflow.Cell
		var day time.Time
		dest := []any{&day, &c.Service, &c.Team, &c.Environment, &c.Repository}
		for i := range text {
			dest = append(dest, &text[i])
		}
		if err := r.Scan(dest...); err != nil {
			return err
		}
		c.Day = doraflow.Date{Year: day.Year(), Month: day.Month(), Day: day.Day()}
		for i, k := range kinds {
			var err error
			m := c.Stage(k)
			if *m, values, counts, err = fill(scratch[i], values, counts, text[2*i], text[2*i+1]); err != nil {
				return fmt.Errorf("dora_stages_daily %s of %s on %s: %w", k, c.Service, day.Format(time.DateOnly), err)
			}
		}
		add(c)
		return nil
	}, ch.Named("from", dateValue(from)), ch.Named("to", dateValue(to)), ch.Named("service", f.Service), ch.Named("team", f.Team))
}

// fill refills m from a multiset sent as text (see daily_cells.sql):
// values[i] -> counts[i], both comma-separated. It returns nil when there
// are none, and the two scratch slices for reuse.
func fill(m doraflow.Multiset, values, counts []int64, valueText, countText string) (doraflow.Multiset, []int64, []int64, error) {
	if valueText == "" && countText == "" {
		return nil, values, counts, nil
	}
	var err error
	if values, err = parseInts(values[:0], valueText); err != nil {
		return nil, values, counts, err
	}
	if counts, err = parseInts(counts[:0], countText); err != nil {
		return nil, values, counts, err
	}
	if len(values) != len(counts) {
		return nil, values, counts, fmt.Errorf("%d values but %d counts", len(values), len(counts))
	}
	clear(m)
	for i, v := range values {
		m[v] += counts[i]
	}
	return m, values, counts, nil
}

// parseInts appends the comma-separated decimal integers of s to dst.
// It is strconv.ParseInt without the allocations and generality: the
// rollup's numbers come from ClickHouse's toString(Int64).
func parseInts(dst []int64, s string) ([]int64, error) {
	if s == "" {
		return dst, nil
	}
	for start := 0; start <= len(s); {
		end := strings.IndexByte(s[start:], ',')
		if end < 0 {
			end = len(s)
		} else {
			end += start
		}
		n, err := strconv.ParseInt(s[start:end], 10, 64)
		if err != nil {
			return dst, err
		}
		dst = append(dst, n)
		start = end + 1
	}
	return dst, nil
}

// EventCells reads the metric events whose time lies in [from, to), one
// cell each, handing each to add: exact for any window, and slower than
// the rollup.
func (s *Store) EventCells(ctx context.Context, from, to time.Time, f doraflow.CellFilter, add func(doraflow.Cell)) error {
	q := eventQuery{from: from, to: to, team: f.Team}
	if f.Service != "" {
		q.services = []string{f.Service}
	}
	return s.events(ctx, q, func(e doraflow.Event, _ bool) {
		c := doraflow.Cell{
			Day:     doraflow.Date{Year: e.Day.Year(), Month: e.Day.Month(), Day: e.Day.Day()},
			Service: e.Service, Team: e.Team, Environment: e.Environment, Repository: e.Repository,
		}
		switch e.Kind {
		case doraflow.EventDeployment:
			c.Deployments, c.FailedDeployments, c.ReworkDeployments = 1, flagCount(e.Failed), flagCount(e.Rework)
		case doraflow.EventChange:
			c.LeadTimes = doraflow.Multiset{e.Value: 1}
		case doraflow.EventIncident:
			c.Incidents = 1
		case doraflow.EventRestore:
			c.Restores = doraflow.Multiset{e.Value: 1}
		default:
			if m := c.Stage(e.Kind); m != nil {
				*m = doraflow.Multiset{e.Value: 1}
			}
		}
		add(c)
	})
}

func flagCount(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// dateValue passes a calendar date as text for toDate: the driver would
// bind a time.Time as a DateTime, or a DateTime64 that old servers lack.
func dateValue(d doraflow.Date) string { return d.String() }

// dateTimeValue passes an instant as UTC text for toDateTime(…, 'UTC'),
// whole seconds (DateTime's precision) rounded down.
func dateTimeValue(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05")
}

// Cells streams the metric cells of the window [from, to) to add: from the
// day-grain rollup when the window starts and ends at midnight in loc,
// which stays small however many deployments there are, and otherwise (or
// with perEvent) from the metric events, at the precision of the second.
func (s *Store) Cells(ctx context.Context, from, to time.Time, loc *time.Location, f doraflow.CellFilter, perEvent bool, add func(doraflow.Cell)) error {
	fromDay, toDay := doraflow.DateOf(from, loc), doraflow.DateOf(to, loc)
	if !perEvent && fromDay.Start(loc).Equal(from) && toDay.Start(loc).Equal(to) {
		return s.DailyCells(ctx, fromDay, toDay, f, add)
	}
	return s.EventCells(ctx, from, to, f, add)
}
