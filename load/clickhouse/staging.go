package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"doraflow"
)

// StageDeployments writes deployments to staging in one batch.
func (s *Store) StageDeployments(ctx context.Context, ds []doraflow.Deployment) error {
	return s.stage(ctx, "stg_deployments", "id, block, source, method, service, team, environment, repository, sha, deployed_at, status, url, title, author, version", len(ds), func(b driver.Batch, i int, v uint64) error {
		d := ds[i]
		return b.Append(d.ID, d.Block, string(d.Source), string(d.Method), d.Service, d.Team, d.Environment, d.Repository, d.SHA, d.DeployedAt.UTC(), string(d.Status), d.URL, d.Title, d.Author, v)
	})
}

// StageChanges writes changes to staging in one batch.
func (s *Store) StageChanges(ctx context.Context, cs []doraflow.Change) error {
	return s.stage(ctx, "stg_changes", "id, repository, kind, number, sha, started_at, title, labels, url, author, version", len(cs), func(b driver.Batch, i int, v uint64) error {
		c := cs[i]
		labels := c.Labels
		if labels == nil {
			labels = []string{}
		}
		return b.Append(c.ID, c.Repository, string(c.Kind), int64(c.Number), c.SHA, c.StartedAt.UTC(), c.Title, labels, c.URL, c.Author, v)
	})
}

// StageShips writes, per deployment, the whole set of changes it ships
// and, where commits names them, the commits that made each change.
func (s *Store) StageShips(ctx context.Context, ships map[string][]string, commits map[string]map[string][]string) error {
	ids := make([]string, 0, len(ships))
	for id := range ships {
		ids = append(ids, id)
	}
	return s.stage(ctx, "stg_ships", "deployment_id, change_ids, change_commits, version", len(ids), func(b driver.Batch, i int, v uint64) error {
		changes := ships[ids[i]]
		if changes == nil {
			changes = []string{}
		}
		made := make([][]string, len(changes))
		for j, c := range changes {
			made[j] = commits[ids[i]][c]
			if made[j] == nil {
				made[j] = []string{}
			}
		}
		return b.Append(ids[i], changes, made, v)
	})
}

// StageIncidents writes incidents to staging in one batch.
func (s *Store) StageIncidents(ctx context.Context, is []doraflow.Incident) error {
	return s.stage(ctx, "stg_incidents", "id, block, source, service, team, created_at, resolved_at, deployment_id, title, url, assignee, urgency, priority, version", len(is), func(b driver.Batch, i int, v uint64) error {
		in := is[i]
		var resolved *time.Time
		if in.Resolved() {
			r := in.ResolvedAt.UTC()
			resolved = &r
		}
		return b.Append(in.ID, in.Block, string(in.Source), in.Service, in.Team, in.CreatedAt.UTC(), resolved, in.DeploymentID, in.Title, in.URL, in.Assignee, in.Urgency, in.Priority, v)
	})
}

// stage inserts n rows into a staging table, all with one fresh version.
func (s *Store) stage(ctx context.Context, table, columns string, n int, appendRow func(b driver.Batch, i int, version uint64) error) error {
	if n == 0 {
		return nil
	}
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+columns+")")
	if err != nil {
		return fmt.Errorf("stage %s: %w", table, err)
	}
	v := s.NextVersion()
	for i := 0; i < n; i++ {
		if err := appendRow(b, i, v); err != nil {
			_ = b.Abort()
			return fmt.Errorf("stage %s row %d: %w", table, i, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("stage %s (%d rows): %w", table, n, err)
	}
	return nil
}

// Staged reports whether an object with id was ever staged in table
// (stg_deployments or stg_incidents).
func (s *Store) Staged(ctx context.Context, table, id string) (bool, error) {
	if table != "stg_deployments" && table != "stg_incidents" {
		return false, fmt.Errorf("staged: unknown table %q", table)
	}
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM "+table+" WHERE id = ?", id).Scan(&n); err != nil {
		return false, fmt.Errorf("look up %s %s: %w", table, id, err)
	}
	return n > 0, nil
}

// PurgeStaging empties every staging table. The facts keep everything
// already promoted; a resync may purge staging before reading anew.
func (s *Store) PurgeStaging(ctx context.Context) error {
	for _, t := range StagingTables {
		if err := s.conn.Exec(ctx, "TRUNCATE TABLE IF EXISTS "+t.Staging); err != nil {
			return fmt.Errorf("purge %s: %w", t.Staging, err)
		}
	}
	return nil
}
