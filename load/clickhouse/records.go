package clickhouse

import (
	"context"
	"fmt"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"doraflow"
)

// RecordedDeployment returns the newest version of deployment id, staged
// or promoted, retracted or not; found is false when no source ever
// reported it. Updates of custom records start from it.
func (s *Store) RecordedDeployment(ctx context.Context, id string) (d doraflow.Deployment, found bool, err error) {
	err = s.each(ctx, "record_deployment", func(r driver.Rows) error {
		var source, method, status string
		var retracted uint8
		if err := r.Scan(&d.ID, &d.Block, &source, &method, &d.Service, &d.Team, &d.Environment, &d.Repository, &d.SHA, &d.DeployedAt, &status, &d.URL, &d.Title, &d.Author, &retracted); err != nil {
			return err
		}
		d.Source, d.Method, d.Status, d.Retracted = doraflow.Source(source), doraflow.Method(method), doraflow.Status(status), retracted == 1
		found = true
		return nil
	}, ch.Named("id", id))
	if err != nil {
		return d, false, fmt.Errorf("look up deployment %s: %w", id, err)
	}
	return d, found, nil
}

// RecordedIncident returns the newest version of incident id, as
// RecordedDeployment does.
func (s *Store) RecordedIncident(ctx context.Context, id string) (in doraflow.Incident, found bool, err error) {
	err = s.each(ctx, "record_incident", func(r driver.Rows) error {
		var source string
		var resolved *time.Time
		var retracted uint8
		if err := r.Scan(&in.ID, &in.Block, &source, &in.Service, &in.Team, &in.CreatedAt, &resolved, &in.DeploymentID, &in.Title, &in.URL, &in.Assignee, &in.Urgency, &in.Priority, &retracted); err != nil {
			return err
		}
		in.Source, in.Retracted = doraflow.Source(source), retracted == 1
		if resolved != nil {
			in.ResolvedAt = resolved.UTC()
		}
		found = true
		return nil
	}, ch.Named("id", id))
	if err != nil {
		return in, false, fmt.Errorf("look up incident %s: %w", id, err)
	}
	return in, found, nil
}

// Environments returns every environment of a deployment in the facts
// that is not retracted, sorted.
func (s *Store) Environments(ctx context.Context) ([]string, error) {
	var envs []string
	err := s.each(ctx, "environments", func(r driver.Rows) error {
		var e string
		if err := r.Scan(&e); err != nil {
			return err
		}
		envs = append(envs, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list environments: %w", err)
	}
	return envs, nil
}
