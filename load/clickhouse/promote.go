package clickhouse

import (
	"context"
	"fmt"
	"sort"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"doraflow/sql"
)

// StagingTable names a staging table, the columns a staging row is
// written with and the fact table it promotes into.
type StagingTable struct {
	Staging, Facts, Query string
	// Columns lists the columns every writer of staging rows names, in
	// the order of the values a row has (see staging.go): the staging
	// INSERTs and the TabSeparated reference of staging_tsv.go alike.
	Columns string
}

// The staging tables, one variable each for the writers in staging.go.
var (
	stgChanges = StagingTable{Staging: "stg_changes", Facts: "changes", Query: "promote_changes",
		Columns: "id, repository, kind, number, sha, started_at, title, labels, url, author, opened_at, first_review_at, merged_at, version"}
	stgShips = StagingTable{Staging: "stg_ships", Facts: "ships", Query: "promote_ships",
		Columns: "deployment_id, change_ids, change_commits, version"}
	stgDeployments = StagingTable{Staging: "stg_deployments", Facts: "deployments", Query: "promote_deployments",
		Columns: "id, block, source, method, service, team, environment, repository, sha, deployed_at, status, url, title, author, retracted, version"}
	stgIncidents = StagingTable{Staging: "stg_incidents", Facts: "incidents", Query: "promote_incidents",
		Columns: "id, block, source, service, team, created_at, resolved_at, deployment_id, title, url, assignee, urgency, priority, merged_into, retracted, source_service, source_service_name, version"}
)

// StagingTables lists the staging tables in promotion order. Changes and
// ships go before deployments so that a deployment never becomes visible
// before what it ships.
var StagingTables = []StagingTable{stgChanges, stgShips, stgDeployments, stgIncidents}

// Range is a half-open range (Lo, Hi] of staging versions.
type Range struct{ Lo, Hi uint64 }

// Empty reports whether the range holds no version.
func (r Range) Empty() bool { return r.Hi <= r.Lo }

// StagingHigh returns the highest staging version of each staging table
// (0 for an empty one).
func (s *Store) StagingHigh(ctx context.Context) (map[string]uint64, error) {
	out := map[string]uint64{}
	for _, t := range StagingTables {
		var v uint64
		if err := s.conn.QueryRow(ctx, "SELECT max(version) FROM "+t.Staging).Scan(&v); err != nil {
			return nil, fmt.Errorf("read %s high mark: %w", t.Staging, err)
		}
		out[t.Staging] = v
	}
	return out, nil
}

// PromoteFacts copies what is new or changed in each staging table's range
// into its fact table, stamping the new fact rows with version. blocks is
// the config's block order (deployment blocks then incident blocks), which
// decides which block keeps an object matched by several. It returns the
// number of fact rows written per fact table. With lease set it checks the
// lease before each table's insert, so a holder that lost it stops between
// tables; nil checks nothing (tests).
func (s *Store) PromoteFacts(ctx context.Context, lease *Lease, ranges map[string]Range, blocks []string, version uint64) (map[string]uint64, error) {
	if blocks == nil {
		blocks = []string{}
	}
	written := map[string]uint64{}
	for _, t := range StagingTables {
		r := ranges[t.Staging]
		if r.Empty() {
			continue
		}
		q, err := sql.Query(t.Query)
		if err != nil {
			return written, err
		}
		before, err := s.count(ctx, t.Facts)
		if err != nil {
			return written, err
		}
		if lease != nil {
			if err := lease.Check(ctx); err != nil {
				return written, err
			}
		}
		err = s.conn.Exec(ctx, q,
			ch.Named("lo", r.Lo), ch.Named("hi", r.Hi), ch.Named("version", version), ch.Named("blocks", blocks))
		if err != nil {
			return written, fmt.Errorf("promote %s into %s: %w", t.Staging, t.Facts, err)
		}
		after, err := s.count(ctx, t.Facts)
		if err != nil {
			return written, err
		}
		written[t.Facts] = after - before
	}
	return written, nil
}

// RowCount returns the number of stored rows of a doraflow table, every
// version included. Promote runs under the promote lease, so the
// difference of two counts is what it wrote.
func (s *Store) RowCount(ctx context.Context, table string) (uint64, error) {
	if !knownTable[table] {
		return 0, fmt.Errorf("row count: unknown table %q", table)
	}
	return s.count(ctx, table)
}

var knownTable = map[string]bool{
	"stg_deployments": true, "stg_changes": true, "stg_ships": true, "stg_incidents": true,
	"deployments": true, "changes": true, "ships": true, "incidents": true,
	"dora_events": true, "dora_daily": true, "dora_stages_daily": true, "pipeline_state": true,
	"dora_incidents": true, // a view: one row per incident of its own
}

func (s *Store) count(ctx context.Context, table string) (uint64, error) {
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM "+table).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", table, err)
	}
	return n, nil
}

// AffectedServices returns every service whose metric events may change
// when the staging rows in ranges are promoted: the services the staged
// rows name, the services their current facts and events name (an object
// that moved leaves events behind to retract), and the services of the
// deployments that incidents point to or that ship staged changes.
func (s *Store) AffectedServices(ctx context.Context, ranges map[string]Range) ([]string, error) {
	set := map[string]bool{}
	for _, t := range StagingTables {
		r := ranges[t.Staging]
		if r.Empty() {
			continue
		}
		err := s.each(ctx, "affected_"+t.Facts, func(rows driver.Rows) error {
			var svc string
			err := rows.Scan(&svc)
			set[svc] = true
			return err
		}, ch.Named("lo", r.Lo), ch.Named("hi", r.Hi))
		if err != nil {
			return nil, fmt.Errorf("find affected services: %w", err)
		}
	}
	out := make([]string, 0, len(set))
	for svc := range set {
		out = append(out, svc)
	}
	sort.Strings(out)
	return out, nil
}

// AllServices returns every service that has facts or events, for a full
// recomputation of the events.
func (s *Store) AllServices(ctx context.Context) ([]string, error) {
	var out []string
	err := s.each(ctx, "all_services", func(rows driver.Rows) error {
		var svc string
		err := rows.Scan(&svc)
		out = append(out, svc)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	return out, nil
}

// AllTeams returns every team that has facts or events, so that a
// reader can tell a mistyped team from one without data in its window.
func (s *Store) AllTeams(ctx context.Context) ([]string, error) {
	var out []string
	err := s.each(ctx, "all_teams", func(rows driver.Rows) error {
		var team string
		err := rows.Scan(&team)
		out = append(out, team)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	return out, nil
}

// ServiceSizes returns how many deployment and incident fact rows each of
// the services has (versions included), to size promote's batches.
func (s *Store) ServiceSizes(ctx context.Context, services []string) (map[string]uint64, error) {
	out := map[string]uint64{}
	err := s.each(ctx, "service_sizes", func(r driver.Rows) error {
		var svc string
		var n uint64
		if err := r.Scan(&svc, &n); err != nil {
			return err
		}
		out[svc] = n
		return nil
	}, ch.Named("services", nonNil(services)))
	return out, err
}
