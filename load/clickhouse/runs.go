package clickhouse

import (
	"context"
	"fmt"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Run is one row of the run ledger.
type Run struct {
	ID                              string
	Job, Source, Block              string
	From, To                        time.Time // the window read, zero when none
	Started, Finished               time.Time
	Status                          string // running, ok, failed
	Deployments, Changes, Incidents uint64 // rows staged
	Requests                        uint64 // API requests made
	Error                           string
}

// RecordRun writes the current state of a run; a later call with the same
// ID replaces it.
func (s *Store) RecordRun(ctx context.Context, r Run) error {
	err := s.insertRow(ctx, `INSERT INTO runs (run_id, job, source, block, window_from, window_to, started_at, finished_at, status,
		rows_deployments, rows_changes, rows_incidents, api_requests, error, version)`,
		r.ID, r.Job, r.Source, r.Block, dateTime(r.From), dateTime(r.To), dateTime(r.Started), dateTime(r.Finished), r.Status,
		r.Deployments, r.Changes, r.Incidents, r.Requests, r.Error, s.NextVersion())
	if err != nil {
		return fmt.Errorf("record run %s: %w", r.ID, err)
	}
	return nil
}

// RecentRuns returns the newest state of the last limit runs, newest first.
func (s *Store) RecentRuns(ctx context.Context, limit int) ([]Run, error) {
	var out []Run
	err := s.each(ctx, "recent_runs", func(rows driver.Rows) error {
		var r Run
		if err := rows.Scan(&r.ID, &r.Job, &r.Source, &r.Block, &r.From, &r.To, &r.Started, &r.Finished, &r.Status,
			&r.Deployments, &r.Changes, &r.Incidents, &r.Requests, &r.Error); err != nil {
			return err
		}
		r.From, r.To, r.Finished = fromEpoch(r.From), fromEpoch(r.To), fromEpoch(r.Finished)
		out = append(out, r)
		return nil
	}, ch.Named("limit", limit))
	return out, err
}

// StateEntry is one pipeline_state value.
type StateEntry struct {
	Key, Value string
	Updated    time.Time
}

// StatePrefix returns the pipeline_state values whose key starts with prefix.
func (s *Store) StatePrefix(ctx context.Context, prefix string) ([]StateEntry, error) {
	var out []StateEntry
	err := s.each(ctx, "state_prefix", func(rows driver.Rows) error {
		var e StateEntry
		if err := rows.Scan(&e.Key, &e.Value, &e.Updated); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	}, ch.Named("prefix", prefix))
	return out, err
}

// fromEpoch turns ClickHouse's zero DateTime back into Go's zero time.
func fromEpoch(t time.Time) time.Time {
	if t.Unix() == 0 {
		return time.Time{}
	}
	return t
}
