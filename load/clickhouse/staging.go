package clickhouse

import (
	"context"
	"fmt"
	"time"

	"doraflow"
)

// StageDeployments writes deployments to staging in one batch.
func (s *Store) StageDeployments(ctx context.Context, ds []doraflow.Deployment) error {
	return s.stage(ctx, deploymentRows(ds))
}

// StageChanges writes changes to staging in one batch.
func (s *Store) StageChanges(ctx context.Context, cs []doraflow.Change) error {
	return s.stage(ctx, changeRows(cs))
}

// StageShips writes, per deployment, the whole set of changes it ships
// and, where commits names them, the commits that made each change.
func (s *Store) StageShips(ctx context.Context, ships map[string][]string, commits map[string]map[string][]string) error {
	return s.stage(ctx, shipRows(ships, commits))
}

// StageIncidents writes incidents to staging in one batch.
func (s *Store) StageIncidents(ctx context.Context, is []doraflow.Incident) error {
	return s.stage(ctx, incidentRows(is))
}

// stagingRows are the rows one staging table receives: n of them, row
// appending the values of row i to dst in the order of table.Columns,
// version last. Every writer of staging rows goes through them (the batch
// inserts here, the TabSeparated reference of staging_tsv.go), so no two
// writers can disagree on a column.
type stagingRows struct {
	table StagingTable
	n     int
	row   func(dst []any, i int, version uint64) []any
}

// factRows returns the staging rows of f, table by table, in promotion
// order.
func factRows(f doraflow.FactSet) []stagingRows {
	return []stagingRows{changeRows(f.Changes), shipRows(f.Ships, f.Commits), deploymentRows(f.Deployments), incidentRows(f.Incidents)}
}

func deploymentRows(ds []doraflow.Deployment) stagingRows {
	return stagingRows{stgDeployments, len(ds), func(dst []any, i int, v uint64) []any {
		d := &ds[i]
		return append(dst, d.ID, d.Block, string(d.Source), string(d.Method), d.Service, d.Team, d.Environment, d.Repository, d.SHA, d.DeployedAt.UTC(), string(d.Status), d.URL, d.Title, d.Author, flag(d.Retracted), v)
	}}
}

func changeRows(cs []doraflow.Change) stagingRows {
	return stagingRows{stgChanges, len(cs), func(dst []any, i int, v uint64) []any {
		c := &cs[i]
		labels := c.Labels
		if labels == nil {
			labels = []string{}
		}
		return append(dst, c.ID, c.Repository, string(c.Kind), int64(c.Number), c.SHA, c.StartedAt.UTC(), c.Title, labels, c.URL, c.Author,
			nullTime(c.OpenedAt), nullTime(c.FirstReviewAt), nullTime(c.MergedAt), v)
	}}
}

func shipRows(ships map[string][]string, commits map[string]map[string][]string) stagingRows {
	ids := make([]string, 0, len(ships))
	for id := range ships {
		ids = append(ids, id)
	}
	return stagingRows{stgShips, len(ids), func(dst []any, i int, v uint64) []any {
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
		return append(dst, ids[i], changes, made, v)
	}}
}

func incidentRows(is []doraflow.Incident) stagingRows {
	return stagingRows{stgIncidents, len(is), func(dst []any, i int, v uint64) []any {
		in := &is[i]
		return append(dst, in.ID, in.Block, string(in.Source), in.Service, in.Team, in.CreatedAt.UTC(), nullTime(in.ResolvedAt), in.DeploymentID, in.Title, in.URL, in.Assignee, in.Urgency, in.Priority, in.MergedInto, flag(in.Retracted), in.SourceService, in.SourceServiceName, v)
	}}
}

// stage inserts rows into their staging table in one batch, all with one
// fresh version.
func (s *Store) stage(ctx context.Context, rows stagingRows) error {
	if rows.n == 0 {
		return nil
	}
	table := rows.table.Staging
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+rows.table.Columns+")")
	if err != nil {
		return fmt.Errorf("stage %s: %w", table, err)
	}
	v := s.NextVersion()
	var values []any // reused: Append copies the values into its columns
	for i := 0; i < rows.n; i++ {
		values = rows.row(values[:0], i, v)
		if err := b.Append(values...); err != nil {
			_ = b.Abort()
			return fmt.Errorf("stage %s row %d: %w", table, i, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("stage %s (%d rows): %w", table, rows.n, err)
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

// nullTime passes a time to a Nullable(DateTime) column: NULL when zero
// (not known, or not there), else the instant in UTC.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
