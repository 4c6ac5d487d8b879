package clickhouse

import (
	"context"
	"fmt"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"doraflow"
	"doraflow/sql"
)

// ServiceFacts loads the current facts of the given services: their
// deployments, what those ship, the changes shipped, and the incidents of
// the services or naming one of their deployments.
func (s *Store) ServiceFacts(ctx context.Context, services []string) (doraflow.FactSet, error) {
	return s.facts(ctx, factQuery{services: services})
}

// FactsByID loads the current facts named by id: deployments with what
// they ship, changes and incidents. Unknown ids are left out.
func (s *Store) FactsByID(ctx context.Context, deployments, changes, incidents []string) (doraflow.FactSet, error) {
	return s.facts(ctx, factQuery{deployments: deployments, changes: changes, incidents: incidents})
}

// factQuery selects facts by service (all four kinds) or by id.
type factQuery struct {
	services                        []string
	deployments, changes, incidents []string
}

func (s *Store) facts(ctx context.Context, q factQuery) (doraflow.FactSet, error) {
	f := doraflow.FactSet{Ships: map[string][]string{}, Commits: map[string]map[string][]string{}}
	// read runs one query of the four; one with no ids and no services
	// to look for is skipped rather than sent to scan its table for no rows.
	read := func(query string, ids []string, scan func(driver.Rows) error) error {
		if len(ids) == 0 && len(q.services) == 0 {
			return nil
		}
		return s.each(ctx, query, scan, ch.Named("services", nonNil(q.services)), ch.Named("ids", nonNil(ids)))
	}
	err := read("deployments_current", q.deployments, func(r driver.Rows) error {
		var d doraflow.Deployment
		var source, method, status string
		if err := r.Scan(&d.ID, &d.Block, &source, &method, &d.Service, &d.Team, &d.Environment, &d.Repository, &d.SHA, &d.DeployedAt, &status, &d.URL, &d.Title, &d.Author); err != nil {
			return err
		}
		d.Source, d.Method, d.Status = doraflow.Source(source), doraflow.Method(method), doraflow.Status(status)
		f.Deployments = append(f.Deployments, d)
		return nil
	})
	if err != nil {
		return f, err
	}
	err = read("ships_current", q.deployments, func(r driver.Rows) error {
		var id string
		var changes []string
		var made [][]string
		if err := r.Scan(&id, &changes, &made); err != nil {
			return err
		}
		f.Ships[id] = changes
		// Ship sets staged before commits were recorded have none.
		for i, commits := range made {
			if len(commits) == 0 || i >= len(changes) {
				continue
			}
			if f.Commits[id] == nil {
				f.Commits[id] = map[string][]string{}
			}
			f.Commits[id][changes[i]] = commits
		}
		return nil
	})
	if err != nil {
		return f, err
	}
	err = read("changes_current", q.changes, func(r driver.Rows) error {
		var c doraflow.Change
		var kind string
		var number int64
		var opened, review, merged *time.Time
		if err := r.Scan(&c.ID, &c.Repository, &kind, &number, &c.SHA, &c.StartedAt, &c.Title, &c.Labels, &c.URL, &c.Author, &opened, &review, &merged); err != nil {
			return err
		}
		c.OpenedAt, c.FirstReviewAt, c.MergedAt = timeOf(opened), timeOf(review), timeOf(merged)
		c.Kind, c.Number = doraflow.ChangeKind(kind), int(number)
		f.Changes = append(f.Changes, c)
		return nil
	})
	if err != nil {
		return f, err
	}
	err = read("incidents_current", q.incidents, func(r driver.Rows) error {
		var in doraflow.Incident
		var source string
		var resolved *time.Time
		if err := r.Scan(&in.ID, &in.Block, &source, &in.Service, &in.Team, &in.CreatedAt, &resolved, &in.DeploymentID, &in.Title, &in.URL, &in.Assignee, &in.Urgency, &in.Priority, &in.MergedInto, &in.SourceService, &in.SourceServiceName); err != nil {
			return err
		}
		in.Source, in.ResolvedAt = doraflow.Source(source), timeOf(resolved)
		f.Incidents = append(f.Incidents, in)
		return nil
	})
	return f, err
}

// nonNil passes an empty list as [] rather than NULL.
func nonNil(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}

// ServiceEvents loads the current state of the metric events of the given
// services, keyed by event identity; the bool tells whether it counts.
func (s *Store) ServiceEvents(ctx context.Context, services []string) (map[doraflow.EventKey]doraflow.Event, map[doraflow.EventKey]bool, error) {
	events := map[doraflow.EventKey]doraflow.Event{}
	active := map[doraflow.EventKey]bool{}
	err := s.events(ctx, eventQuery{services: services, all: true}, func(e doraflow.Event, on bool) {
		events[e.Key()] = e
		active[e.Key()] = on
	})
	return events, active, err
}

// InsertEvents writes event updates in one insert; dora_daily_mv turns
// each into a retraction of the previous state and an addition of the new.
func (s *Store) InsertEvents(ctx context.Context, updates []doraflow.EventUpdate) error {
	if len(updates) == 0 {
		return nil
	}
	b, err := s.conn.PrepareBatch(ctx, `INSERT INTO dora_events (service, kind, entity_id, environment, team, repository, at, day, value, failed, rework, deployment_id, reason, active,
		prev_active, prev_team, prev_repository, prev_day, prev_value, prev_failed, prev_rework, version)`)
	if err != nil {
		return fmt.Errorf("insert events: %w", err)
	}
	v := s.NextVersion()
	for _, u := range updates {
		n, p := u.New, u.Prev
		err := b.Append(u.Key.Service, string(u.Key.Kind), u.Key.EntityID, u.Key.Environment,
			n.Team, n.Repository, dateTime(n.At), date(n.Day), n.Value, flag(n.Failed), flag(n.Rework), n.DeploymentID, n.Reason, flag(u.NewActive),
			flag(u.PrevActive), p.Team, p.Repository, date(p.Day), p.Value, flag(p.Failed), flag(p.Rework), v)
		if err != nil {
			_ = b.Abort()
			return fmt.Errorf("insert events: %w", err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert events (%d rows): %w", len(updates), err)
	}
	return nil
}

// each runs the named query and calls fn for every row.
func (s *Store) each(ctx context.Context, name string, fn func(driver.Rows) error, args ...any) error {
	q, err := sql.Query(name)
	if err != nil {
		return err
	}
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("query %s: %w", name, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return fmt.Errorf("query %s: %w", name, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query %s: %w", name, err)
	}
	return nil
}

func flag(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// dateTime maps the zero time, which ClickHouse's DateTime cannot hold, to
// the epoch.
func dateTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return t.UTC()
}

// date maps the zero time to the epoch day, ClickHouse's zero Date.
func date(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// OpenIncidents returns the ids of the incidents of source that are open
// in the facts, for a sync to read again.
func (s *Store) OpenIncidents(ctx context.Context, source doraflow.Source) ([]string, error) {
	var ids []string
	err := s.each(ctx, "open_incidents", func(r driver.Rows) error {
		var id string
		if err := r.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
		return nil
	}, ch.Named("source", string(source)))
	return ids, err
}

// timeOf reads a Nullable(DateTime) column back: the zero time for NULL.
func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
