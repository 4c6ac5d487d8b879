package clickhouse

import (
	"context"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"doraflow"
)

// EventFilter selects metric events.
type EventFilter struct {
	Kinds                      []doraflow.EventKind
	From, To                   time.Time // the event's time in [From, To)
	Service, Team, Environment string    // "" = any
}

// Events returns the active metric events the filter selects, oldest
// first: the objects behind the numbers of the metrics.
func (s *Store) Events(ctx context.Context, f EventFilter) ([]doraflow.Event, error) {
	kinds := make([]string, len(f.Kinds))
	for i, k := range f.Kinds {
		kinds[i] = string(k)
	}
	var out []doraflow.Event
	err := s.each(ctx, "explain_events", func(r driver.Rows) error {
		e, _, err := scanEvent(r)
		out = append(out, e)
		return err
	}, ch.Named("kinds", nonNil(kinds)), ch.Named("from", dateTimeValue(f.From)), ch.Named("to", dateTimeValue(f.To)),
		ch.Named("service", f.Service), ch.Named("team", f.Team), ch.Named("environment", f.Environment))
	return out, err
}

// IncidentsAttributedTo returns the active incident events attributed to
// the given deployments.
func (s *Store) IncidentsAttributedTo(ctx context.Context, deployments []string) ([]doraflow.Event, error) {
	var out []doraflow.Event
	err := s.each(ctx, "incident_events_for", func(r driver.Rows) error {
		e, _, err := scanEvent(r)
		out = append(out, e)
		return err
	}, ch.Named("ids", nonNil(deployments)))
	return out, err
}
