package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"doraflow/sql"
)

// MigrateResult tells what Migrate did.
type MigrateResult struct {
	Applied []string // names of the migrations applied now
	Current int      // schema version after the run
}

// schemaMigrations records which migrations were applied. On a cluster it
// is replicated like every other table, so any server can tell.
const schemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations
(
    version    UInt32,
    name       String,
    applied_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree()
ORDER BY version`

// Migrate applies the embedded migrations that are not recorded in
// schema_migrations yet, in order. It is safe to run again (a no-op) and
// safe when two processes run it at once: they take turns on the "migrate"
// lease, and every statement is idempotent (IF NOT EXISTS) besides.
//
// With Options.Cluster set, each statement runs ON CLUSTER with Replicated
// engines (see clusterDDL), which needs every server of the cluster up:
// the distributed DDL queue waits for all of them.
func (s *Store) Migrate(ctx context.Context) (MigrateResult, error) {
	var res MigrateResult
	migrations, err := sql.Migrations()
	if err != nil {
		return res, err
	}
	lockCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	lease, err := s.AcquireLease(lockCtx, "migrate", 5*time.Minute, 200*time.Millisecond)
	if err != nil {
		return res, fmt.Errorf("migrate: %w", err)
	}
	defer lease.Release(context.WithoutCancel(ctx))

	schema := schemaMigrations
	if s.cluster != "" {
		if schema, migrations, err = s.prepareCluster(ctx, migrations); err != nil {
			return res, fmt.Errorf("migrate: %w", err)
		}
	}
	if err := s.conn.Exec(ctx, schema); err != nil {
		return res, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	done, err := s.appliedMigrations(ctx)
	if err != nil {
		return res, err
	}
	for _, m := range migrations {
		if done[m.Version] {
			res.Current = m.Version
			continue
		}
		if err := lease.Check(ctx); err != nil {
			return res, fmt.Errorf("migrate %s: %w", m.Name, err)
		}
		for i, stmt := range m.Statements {
			if err := s.conn.Exec(ctx, stmt); err != nil && !columnAlreadyAdded(stmt, err) {
				return res, fmt.Errorf("migrate %s, statement %d: %w", m.Name, i+1, err)
			}
		}
		if err := s.insertRow(ctx, "INSERT INTO schema_migrations (version, name)", uint32(m.Version), m.Name); err != nil {
			return res, fmt.Errorf("migrate %s: record: %w", m.Name, err)
		}
		res.Applied = append(res.Applied, m.Name)
		res.Current = m.Version
	}
	return res, nil
}

// SchemaVersion returns the highest applied migration, 0 before any.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	done, err := s.appliedMigrations(ctx)
	if err != nil {
		return 0, err
	}
	top := 0
	for v := range done {
		top = max(top, v)
	}
	return top, nil
}

// ErrSchemaBehind means the database lacks migrations this doraflow
// needs: it was never migrated, or migrated by an older doraflow. The
// errors that wrap it say to run doraflow migrate.
var ErrSchemaBehind = errors.New("the database's schema is behind this doraflow")

// CheckSchema returns an error wrapping ErrSchemaBehind when the database
// lacks any of the embedded migrations, naming them, so that a command
// run before `doraflow migrate` (or after an upgrade, before it) says so
// rather than failing on a table or column it cannot find. A database
// migrated by a newer doraflow passes: migrations only add.
func (s *Store) CheckSchema(ctx context.Context) error {
	migrations, err := sql.Migrations()
	if err != nil {
		return err
	}
	done, err := s.appliedMigrations(ctx)
	if err != nil {
		return err
	}
	missing := missingMigrations(migrations, done)
	switch {
	case len(missing) == 0:
		return nil
	case len(done) == 0:
		return fmt.Errorf("%w: database %s has no doraflow tables yet: run `doraflow migrate` to create them", ErrSchemaBehind, s.database)
	}
	return fmt.Errorf("%w: database %s lacks %d migration(s) this doraflow needs (%s): run `doraflow migrate` (safe to run again)",
		ErrSchemaBehind, s.database, len(missing), strings.Join(missing, ", "))
}

// missingMigrations names the migrations of all that done does not list,
// in order.
func missingMigrations(all []sql.Migration, done map[int]bool) []string {
	var missing []string
	for _, m := range all {
		if !done[m.Version] {
			missing = append(missing, m.Name)
		}
	}
	return missing
}

func (s *Store) appliedMigrations(ctx context.Context) (map[int]bool, error) {
	rows, err := s.conn.Query(ctx, "SELECT DISTINCT version FROM schema_migrations")
	if err != nil {
		if isUnknownTable(err) {
			return map[int]bool{}, nil
		}
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	done := map[int]bool{}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		done[int(v)] = true
	}
	return done, rows.Err()
}

// addColumn matches an ALTER TABLE … ADD COLUMN statement.
var addColumn = regexp.MustCompile(`(?is)^\s*ALTER\s+TABLE\s.*\bADD\s+COLUMN\b`)

// columnAlreadyAdded reports whether err says that an ADD COLUMN statement
// was already applied: ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS,
// and a migrate that died between the ALTER and recording its migration
// runs the statement again.
func columnAlreadyAdded(stmt string, err error) bool {
	const (
		illegalColumn   = 44 // 18.16: "Cannot add column …: column with this name already exists"
		duplicateColumn = 15 // current releases: DUPLICATE_COLUMN
	)
	code := exceptionCode(err)
	return (code == illegalColumn || code == duplicateColumn) && addColumn.MatchString(maskSQL(stmt))
}
