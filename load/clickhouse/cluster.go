package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"doraflow/sql"
)

// On a cluster (Options.Cluster) doraflow keeps the single-server design
// and adds two rules, explained in docs/scaling.md:
//
//   - A Store talks to one server only: the first address of Options.Addr
//     that answers when it opens. Replication is asynchronous, so a
//     process that read from one replica what it wrote through another
//     could miss its own writes; promote reads back what it wrote.
//   - Leases live on the first address of Options.Addr, the lease server,
//     as plain local tables. CREATE TABLE is atomic on one server, which is
//     what a lease needs; ON CLUSTER would run it through the distributed
//     DDL queue on every server, slowly and not atomically. A Store that
//     had to fall back to another address can read but takes no lease, so
//     it cannot sync, promote or migrate: two lease servers would mean two
//     writers at once.

// ErrNotLeaseServer is returned (wrapped) by TryLease and AcquireLease on a
// cluster Store that is not talking to the lease server.
var ErrNotLeaseServer = errors.New("not connected to the lease server")

// dialFirst connects to the first address of opts.Addr that answers and
// returns the connection and that address.
func dialFirst(ctx context.Context, opts Options, database, id string) (driver.Conn, string, error) {
	var errs dialErrors
	for _, addr := range opts.Addr {
		one := opts
		one.Addr = []string{addr}
		conn, err := dial(ctx, one, database, id)
		if err == nil {
			return conn, addr, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
	}
	if len(errs) == 0 {
		return nil, "", errors.New("no address (set clickhouse.addr)")
	}
	return nil, "", errs
}

// dialErrors are the errors of every address tried, on one line, and
// unwrap to each so that connectError still recognises them.
type dialErrors []error

func (e dialErrors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e dialErrors) Unwrap() []error { return e }

// checkCluster makes sure the server knows the cluster and that it has one
// shard: with several, each shard would hold only the rows written through
// it, while promote and the metric reads assume one server sees every fact.
func (s *Store) checkCluster(ctx context.Context) error {
	var shards, servers uint64
	err := s.conn.QueryRow(ctx, "SELECT uniqExact(shard_num), count() FROM system.clusters WHERE cluster = ?", s.cluster).Scan(&shards, &servers)
	if err != nil {
		return fmt.Errorf("look up cluster %s: %w", s.cluster, err)
	}
	switch {
	case servers == 0:
		return fmt.Errorf("cluster %q is not in the remote_servers of the ClickHouse server at %s (check clickhouse.cluster)", s.cluster, s.addr)
	case shards != 1:
		return fmt.Errorf("cluster %q has %d shards: doraflow supports one shard with any number of replicas (see docs/scaling.md)", s.cluster, shards)
	}
	return nil
}

// prepareCluster readies Migrate for the cluster: it checks the cluster,
// rewrites every statement (all of them before running any, so that one it
// cannot rewrite stops migrate before anything changed) and creates the
// database on every server. It returns the schema_migrations DDL and the
// migrations to run.
func (s *Store) prepareCluster(ctx context.Context, migrations []sql.Migration) (string, []sql.Migration, error) {
	if err := s.checkCluster(ctx); err != nil {
		return "", nil, err
	}
	var all []string
	for _, m := range migrations {
		all = append(all, m.Statements...)
	}
	ddl := newClusterDDL(s.database, s.cluster, append(all, schemaMigrations))
	out := make([]sql.Migration, len(migrations))
	for i, m := range migrations {
		out[i] = m
		out[i].Statements = make([]string, len(m.Statements))
		for j, stmt := range m.Statements {
			onCluster, err := ddl.rewrite(stmt)
			if err != nil {
				return "", nil, fmt.Errorf("%s, statement %d: %w", m.Name, j+1, err)
			}
			out[i].Statements[j] = onCluster
		}
	}
	schema, err := ddl.rewrite(schemaMigrations)
	if err != nil {
		return "", nil, err
	}
	// Open created the database on this server only.
	db, err := ddl.rewrite("CREATE DATABASE IF NOT EXISTS " + quoteIdent(s.database))
	if err != nil {
		return "", nil, err
	}
	if err := s.conn.Exec(ctx, db); err != nil {
		return "", nil, fmt.Errorf("create database %s on cluster %s: %w", s.database, s.cluster, err)
	}
	return schema, out, nil
}
