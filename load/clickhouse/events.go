package clickhouse

import (
	"context"
	"fmt"
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
	q := eventQuery{from: f.From, to: f.To, team: f.Team, environment: f.Environment}
	if f.Service != "" {
		q.services = []string{f.Service}
	}
	for _, k := range f.Kinds {
		q.kinds = append(q.kinds, string(k))
	}
	var out []doraflow.Event
	err := s.events(ctx, q, func(e doraflow.Event, _ bool) { out = append(out, e) })
	return out, err
}

// IncidentsAttributedTo returns the active incident events attributed to
// the given deployments, whenever they happened.
func (s *Store) IncidentsAttributedTo(ctx context.Context, deployments []string) ([]doraflow.Event, error) {
	if len(deployments) == 0 {
		return nil, nil
	}
	var out []doraflow.Event
	err := s.events(ctx, eventQuery{kinds: []string{string(doraflow.EventIncident)}, deployments: deployments},
		func(e doraflow.Event, _ bool) { out = append(out, e) })
	return out, err
}

// eventQuery holds the filters of events_current.sql; zero values select
// everything (a zero window is all time).
type eventQuery struct {
	services, kinds, deployments []string
	all                          bool // also events that no longer count
	from, to                     time.Time
	team, environment            string
}

// allTime bounds the events' DateTime range (1970 to 2105).
var allTime = [2]time.Time{time.Unix(0, 0).UTC(), time.Date(2105, 1, 1, 0, 0, 0, 0, time.UTC)}

// servicesPerEventQuery bounds one events_current query. Old servers
// return a GROUP BY result as one block, so reading every service at once
// would hold all events in memory; dora_events is ordered by service, so
// a query per batch of services reads only its part of the table.
const servicesPerEventQuery = 16

// events runs events_current.sql, calling fn for each event with whether
// it counts: for every service in batches when q names neither services
// nor deployments (naming deployments keeps the result small already).
func (s *Store) events(ctx context.Context, q eventQuery, fn func(doraflow.Event, bool)) error {
	if len(q.services) > 0 || len(q.deployments) > 0 {
		return s.eventBatch(ctx, q, fn)
	}
	services, err := s.eventServices(ctx)
	if err != nil {
		return err
	}
	for start := 0; start < len(services); start += servicesPerEventQuery {
		q.services = services[start:min(start+servicesPerEventQuery, len(services))]
		if err := s.eventBatch(ctx, q, fn); err != nil {
			return err
		}
	}
	return nil
}

// eventServices lists the services that have metric events.
func (s *Store) eventServices(ctx context.Context) ([]string, error) {
	rows, err := s.conn.Query(ctx, "SELECT DISTINCT service FROM dora_events ORDER BY service")
	if err != nil {
		return nil, fmt.Errorf("list services of dora_events: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var svc string
		if err := rows.Scan(&svc); err != nil {
			return nil, fmt.Errorf("list services of dora_events: %w", err)
		}
		out = append(out, svc)
	}
	return out, rows.Err()
}

func (s *Store) eventBatch(ctx context.Context, q eventQuery, fn func(doraflow.Event, bool)) error {
	from, to := q.from, q.to
	if from.IsZero() && to.IsZero() {
		from, to = allTime[0], allTime[1]
	}
	states := "active"
	if q.all {
		states = "all"
	}
	return s.each(ctx, "events_current", func(r driver.Rows) error {
		e, on, err := scanEvent(r)
		if err == nil {
			fn(e, on)
		}
		return err
	}, ch.Named("services", nonNil(q.services)), ch.Named("kinds", nonNil(q.kinds)), ch.Named("deployments", nonNil(q.deployments)),
		ch.Named("states", states), ch.Named("from", dateTimeValue(from)), ch.Named("to", dateTimeValue(to)),
		ch.Named("team", q.team), ch.Named("environment", q.environment))
}

func scanEvent(r driver.Rows) (doraflow.Event, bool, error) {
	var e doraflow.Event
	var kind string
	var failed, rework, active uint8
	err := r.Scan(&e.Service, &kind, &e.EntityID, &e.Environment, &e.Team, &e.Repository, &e.At, &e.Day, &e.Value, &failed, &rework, &e.DeploymentID, &e.Reason, &active)
	e.Kind, e.Failed, e.Rework = doraflow.EventKind(kind), failed == 1, rework == 1
	return e, active == 1, err
}
