//go:build cluster

package clustertest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/config"
	"doraflow/load/clickhouse"
	"doraflow/metrics"
	"doraflow/pipeline"
	"doraflow/sources"
)

const (
	// envAddrs names the variable with the replicas' host:port, comma
	// separated; the first one is the lease server.
	envAddrs = "DORAFLOW_TEST_CLUSTER"
	// envName names the variable with the cluster's name in remote_servers.
	envName = "DORAFLOW_TEST_CLUSTER_NAME"
)

// testCluster returns the replicas and the cluster name, failing with a
// hint when they are not set: this test never skips silently.
func testCluster(t *testing.T) ([]string, string) {
	t.Helper()
	addrs, name := os.Getenv(envAddrs), os.Getenv(envName)
	if addrs == "" || name == "" {
		t.Fatalf("%s and %s are not set: this test needs a ClickHouse cluster with ZooKeeper; run it with `make test-cluster`, which starts one", envAddrs, envName)
	}
	list := strings.Split(addrs, ",")
	if len(list) < 2 {
		t.Fatalf("%s=%s: want at least two replicas", envAddrs, addrs)
	}
	return list, name
}

// run is one pipeline on one store.
type run struct {
	store *clickhouse.Store
	p     *pipeline.Pipeline
}

func newRun(t *testing.T, opts clickhouse.Options) run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := clickhouse.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.DropDatabase(ctx, opts.Database); err != nil {
			t.Logf("drop %s: %v", opts.Database, err)
		}
		s.Close()
	})
	cfg := config.Default()
	cfg.Methods = sources.Registry()
	cfg.Services = []config.Service{
		{Name: "api", Team: "platform", Repositories: []string{"acme/api"}},
		{Name: "web", Team: "frontend", Repositories: []string{"acme/web"}},
		{Name: "db", Team: "platform", Repositories: []string{"acme/db"}},
	}
	return run{store: s, p: pipeline.New(cfg, s, zerolog.Nop())}
}

func (r run) stageAndPromote(t *testing.T, f doraflow.FactSet) {
	t.Helper()
	ctx := context.Background()
	must(t, r.store.StageChanges(ctx, f.Changes))
	must(t, r.store.StageShips(ctx, f.Ships, f.Commits))
	must(t, r.store.StageDeployments(ctx, f.Deployments))
	must(t, r.store.StageIncidents(ctx, f.Incidents))
	_, err := r.p.Promote(ctx, pipeline.PromoteOptions{})
	must(t, err)
}

// reports returns the metrics of every grouping and period, from the
// rollup and from the events.
func (r run) reports(t *testing.T) []metrics.Report {
	t.Helper()
	var out []metrics.Report
	for _, g := range []string{metrics.GroupService, metrics.GroupTeam, metrics.GroupRepository, metrics.GroupEnvironment, metrics.GroupNone} {
		for _, period := range []string{metrics.PeriodNone, metrics.PeriodDay, metrics.PeriodWeek, metrics.PeriodMonth} {
			q := metrics.Query{From: day(1), To: day(31), GroupBy: g, Period: period, Location: time.UTC}
			for _, fromEvents := range []bool{false, true} {
				rep, err := r.p.Metrics(context.Background(), q, pipeline.MetricsOptions{FromEvents: fromEvents})
				must(t, err)
				out = append(out, rep)
			}
		}
	}
	return out
}

// batches are promoted one after the other: a quarter with changes
// shipped twice, incidents open and resolved, a deployment that failed;
// then updates to it; then two promotes whose rollup deltas are identical
// blocks (one db deployment each, same day), which replicated tables
// would deduplicate into one unless doraflow turns that off.
func batches() []doraflow.FactSet {
	stg := dep("web-stg", "web", day(4))
	stg.Environment = "staging"
	failed := dep("api-bad", "api", day(6))
	failed.Status = doraflow.StatusFailure
	quarter := doraflow.FactSet{
		Deployments: []doraflow.Deployment{dep("api-1", "api", day(2)), dep("api-2", "api", day(9)), dep("web-1", "web", day(3)), stg, failed},
		Changes:     []doraflow.Change{pr("c1", day(1)), pr("c2", day(2), "hotfix"), pr("c3", day(1).Add(time.Hour))},
		Ships:       map[string][]string{"api-1": {"c1"}, "api-2": {"c1", "c2"}, "web-1": {"c3"}, "web-stg": {"c3"}},
		Incidents: []doraflow.Incident{
			incident("i1", "api", day(2).Add(time.Hour), day(2).Add(3*time.Hour)),
			incident("i2", "web", day(10), time.Time{}),
		},
	}
	resolved := incident("i2", "web", day(10), day(11))
	resolved.DeploymentID = "api-2"
	return []doraflow.FactSet{
		quarter,
		{Incidents: []doraflow.Incident{resolved}},
		{Deployments: []doraflow.Deployment{dep("db-1", "db", day(20))}},
		{Deployments: []doraflow.Deployment{dep("db-2", "db", day(20).Add(time.Hour))}},
	}
}

func TestClusterMatchesSingleServer(t *testing.T) {
	addrs, name := testCluster(t)
	ctx := context.Background()
	db := fmt.Sprintf("t_cluster_%d", time.Now().UnixNano())
	cluster := newRun(t, clickhouse.Options{Addr: addrs, Database: db, Username: "default", Cluster: name})
	// The single-server run uses a plain database on the first replica's
	// server: the same binary, without ON CLUSTER or replication.
	single := newRun(t, clickhouse.Options{Addr: addrs[:1], Database: db + "_single", Username: "default"})

	for _, r := range []run{cluster, single} {
		_, err := r.store.Migrate(ctx)
		must(t, err)
	}
	again, err := cluster.store.Migrate(ctx)
	must(t, err)
	if len(again.Applied) != 0 {
		t.Fatalf("second migrate on the cluster applied %v, want nothing", again.Applied)
	}
	for _, f := range batches() {
		cluster.stageAndPromote(t, f)
		single.stageAndPromote(t, f)
	}
	// Purging staging is a TRUNCATE, which replicates too; promoting after
	// it changes nothing.
	for _, r := range []run{cluster, single} {
		must(t, r.store.PurgeStaging(ctx))
		_, err := r.p.Promote(ctx, pipeline.PromoteOptions{})
		must(t, err)
	}

	want := single.reports(t)
	if dbRow := row(t, want[0], "db"); dbRow.Deployments != 2 {
		t.Fatalf("single server: db has %d deployments, want 2", dbRow.Deployments)
	}
	if got := cluster.reports(t); !reflect.DeepEqual(got, want) {
		t.Fatalf("the cluster's metrics differ from a single server's:\ncluster: %s\nsingle:  %s", js(got[0]), js(want[0]))
	}

	wantCounts := counts(t, addrs[0], db+"_single", false)
	for _, addr := range addrs {
		t.Run("replica "+addr, func(t *testing.T) {
			syncReplica(t, addr, db)
			if got := counts(t, addr, db, true); !reflect.DeepEqual(got, wantCounts) {
				t.Errorf("replica %s holds other rows than a single server:\n got %v\nwant %v", addr, got, wantCounts)
			}
			// Each replica alone answers the same metrics.
			replica := run{store: open(t, clickhouse.Options{Addr: []string{addr}, Database: db, Username: "default", Cluster: name})}
			replica.p = pipeline.New(config.Default(), replica.store, zerolog.Nop())
			if got := replica.reports(t); !reflect.DeepEqual(got, want) {
				t.Errorf("replica %s answers other metrics than a single server:\n got %s\nwant %s", addr, js(got[0]), js(want[0]))
			}
		})
	}
}

func TestClusterLeaseNeedsTheFirstAddress(t *testing.T) {
	addrs, name := testCluster(t)
	ctx := context.Background()
	db := fmt.Sprintf("t_cluster_lease_%d", time.Now().UnixNano())
	r := newRun(t, clickhouse.Options{Addr: addrs, Database: db, Username: "default", Cluster: name})
	_, err := r.store.Migrate(ctx)
	must(t, err)
	r.stageAndPromote(t, batches()[0])
	want := r.reports(t)
	syncReplica(t, addrs[1], db)

	// The first address is down (nothing listens on port 1): the store
	// falls back to the second replica, reads from it, and takes no lease.
	fallback := run{store: open(t, clickhouse.Options{Addr: []string{"127.0.0.1:1", addrs[1]}, Database: db, Username: "default", Cluster: name, DialTimeout: time.Second})}
	fallback.p = pipeline.New(config.Default(), fallback.store, zerolog.Nop())
	if got := fallback.reports(t); !reflect.DeepEqual(got, want) {
		t.Errorf("metrics through the second replica:\n got %s\nwant %s", js(got[0]), js(want[0]))
	}
	if _, err := fallback.store.TryLease(ctx, "promote", time.Minute); !errors.Is(err, clickhouse.ErrNotLeaseServer) {
		t.Fatalf("lease through the second replica: err = %v, want ErrNotLeaseServer", err)
	}
	if _, err := fallback.p.Promote(ctx, pipeline.PromoteOptions{Wait: time.Second}); !errors.Is(err, clickhouse.ErrNotLeaseServer) {
		t.Fatalf("promote through the second replica: err = %v, want ErrNotLeaseServer", err)
	}
	// The lease server itself still leases.
	l, err := r.store.TryLease(ctx, "promote", time.Minute)
	must(t, err)
	must(t, l.Release(ctx))
}

// open opens a store on an existing database and closes it at the end.
func open(t *testing.T, opts clickhouse.Options) *clickhouse.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := clickhouse.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// connect talks to one server directly, to look at what it holds.
func connect(t *testing.T, addr, db string) driver.Conn {
	t.Helper()
	conn, err := ch.Open(&ch.Options{Addr: []string{addr}, Auth: ch.Auth{Database: db, Username: "default"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// syncReplica waits until the replica at addr has fetched everything the
// other replicas wrote to db: replication is asynchronous.
func syncReplica(t *testing.T, addr, db string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn := connect(t, addr, db)
	for _, table := range tables(t, conn, db) {
		if strings.HasPrefix(table.engine, "Replicated") {
			must(t, conn.Exec(ctx, fmt.Sprintf("SYSTEM SYNC REPLICA `%s`.`%s`", db, table.name)))
		}
	}
}

type table struct{ name, engine string }

func tables(t *testing.T, conn driver.Conn, db string) []table {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT name, engine FROM system.tables WHERE database = ? AND NOT startsWith(name, 'doraflow_lease_') ORDER BY name", db)
	must(t, err)
	defer rows.Close()
	var out []table
	for rows.Next() {
		var tb table
		must(t, rows.Scan(&tb.name, &tb.engine))
		out = append(out, tb)
	}
	must(t, rows.Err())
	return out
}

// counts returns, for every table and view of db on the server at addr,
// its number of rows, with MergeTree tables read FINAL so that the count
// does not depend on when parts merged. The keys name the table and its
// engine; on a replica, where every MergeTree table must be Replicated,
// without "Replicated", so that they compare equal to a single server's.
func counts(t *testing.T, addr, db string, replica bool) map[string]uint64 {
	t.Helper()
	conn := connect(t, addr, db)
	out := map[string]uint64{}
	for _, tb := range tables(t, conn, db) {
		engine := tb.engine
		if replica {
			if strings.HasSuffix(engine, "MergeTree") && !strings.HasPrefix(engine, "Replicated") {
				t.Errorf("%s on %s: engine %s is not replicated", tb.name, addr, engine)
			}
			engine = strings.TrimPrefix(engine, "Replicated")
		}
		query := "SELECT count() FROM `" + tb.name + "`"
		switch {
		case engine == "MaterializedView":
			out[tb.name+" "+engine] = 0 // its rows are dora_daily's
			continue
		case strings.HasSuffix(engine, "MergeTree"):
			// ignore(*) makes the server read every column: 18.16 counts a
			// SummingMergeTree FINAL from its key columns alone and then
			// drops every row as all-zero.
			query += " FINAL WHERE NOT ignore(*)"
		}
		var n uint64
		must(t, conn.QueryRow(context.Background(), query).Scan(&n))
		out[tb.name+" "+engine] = n
	}
	if len(out) == 0 {
		t.Fatalf("no tables in %s on %s", db, addr)
	}
	return out
}

func day(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }

func dep(id, service string, at time.Time) doraflow.Deployment {
	return doraflow.Deployment{
		ID: id, Source: doraflow.SourceCustom, Method: doraflow.MethodCustom, Block: "manual",
		Service: service, Team: teamOf(service), Environment: doraflow.EnvironmentProduction,
		Repository: "acme/" + service, DeployedAt: at, Status: doraflow.StatusSuccess,
	}
}

func teamOf(service string) string {
	if service == "web" {
		return "frontend"
	}
	return "platform"
}

func pr(id string, started time.Time, labels ...string) doraflow.Change {
	return doraflow.Change{ID: id, Repository: "acme/x", Kind: doraflow.ChangePullRequest, StartedAt: started, Title: "Change " + id, Labels: labels}
}

func incident(id, service string, created, resolved time.Time) doraflow.Incident {
	return doraflow.Incident{ID: id, Source: doraflow.SourceCustom, Block: "manual", Service: service, Team: teamOf(service), CreatedAt: created, ResolvedAt: resolved}
}

// row returns the row of service in a by-service report.
func row(t *testing.T, r metrics.Report, service string) metrics.Row {
	t.Helper()
	for _, row := range r.Rows {
		if row.Service == service {
			return row
		}
	}
	t.Fatalf("no row %q in %s", service, js(r))
	return metrics.Row{}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
