package clickhouse_test

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"doraflow"
	"doraflow/load/clickhouse"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/sql"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// TestUpgradeFromViewsWithoutAliases upgrades a database as the previous
// release of doraflow left it, with facts in it. Its 0007 created the
// views of 0009 without the aliases on their joined subqueries: 18.16
// took them, so that database is at 0008 with those views; a current
// server refused them, so there it stopped at 0006, with
// dora_metrics_daily made and 0007 unrecorded. Migrate must bring either
// to the current schema, replace the views, and leave every fact as it
// was.
func TestUpgradeFromViewsWithoutAliases(t *testing.T) {
	t.Parallel()
	oldViews := viewsWithoutAliases(t)
	clickhousetest.Run(t, func(t *testing.T) {
		ctx := context.Background()
		opts := clickhousetest.Options(t)
		s, err := clickhouse.Open(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
		stageAndPromote(t, s,
			[]doraflow.Deployment{{ID: "d1", Block: "manual", Source: doraflow.SourceCustom, Method: doraflow.MethodCustom, Service: "api", Environment: "production", DeployedAt: at, Status: doraflow.StatusSuccess}},
			[]doraflow.Incident{{ID: "i1", Block: "manual", Source: doraflow.SourceCustom, Service: "api", CreatedAt: at.Add(time.Hour)}})
		conn := clickhousetest.Conn(t, opts)
		facts := tableDump(t, conn, factsQuery)
		views := tableDump(t, conn, viewsQuery)
		if len(facts) != 2 || len(views) != 2 {
			t.Fatalf("before the upgrade: facts %v, views %v; want 2 each", facts, views)
		}

		// Back to what the previous release left.
		for _, v := range []string{"dora_deployments", "dora_changes", "dora_incidents"} {
			mustExec(t, conn, "DROP TABLE "+v)
		}
		recorded := 8
		for _, stmt := range oldViews {
			if err := conn.Exec(ctx, stmt); err != nil {
				if !strings.Contains(err.Error(), "206") { // ALIAS_REQUIRED
					t.Fatalf("old view: %v", err)
				}
				recorded = 6
				break
			}
		}
		if recorded == 6 {
			// 0008 was never reached: its columns are not there either.
			mustExec(t, conn, "ALTER TABLE stg_ships DROP COLUMN change_commits")
			mustExec(t, conn, "ALTER TABLE ships DROP COLUMN change_commits")
		}
		mustExec(t, conn, "RENAME TABLE schema_migrations TO schema_migrations_now")
		mustExec(t, conn, "CREATE TABLE schema_migrations AS schema_migrations_now")
		mustExec(t, conn, "INSERT INTO schema_migrations (version, name, applied_at) SELECT version, name, applied_at FROM schema_migrations_now WHERE version <= "+strconv.Itoa(recorded))
		mustExec(t, conn, "DROP TABLE schema_migrations_now")

		res, err := s.Migrate(ctx)
		if err != nil {
			t.Fatalf("upgrade: %v", err)
		}
		// Every migration after the recorded one, those after 0009 (which
		// found their changes in place: ADD COLUMN's "already exists" is
		// done) included.
		want := map[int][]string{8: {"0009_views_aliased"}, 6: {"0007_views", "0008_ship_commits", "0009_views_aliased"}}[recorded]
		want = append(want, migrationsAfter(t, 9)...)
		if !slices.Equal(res.Applied, want) {
			t.Errorf("upgrade from version %d applied %v, want %v", recorded, res.Applied, want)
		}
		if got := tableDump(t, conn, factsQuery); !slices.Equal(got, facts) {
			t.Errorf("facts after the upgrade: %v, want them untouched: %v", got, facts)
		}
		if got := tableDump(t, conn, viewsQuery); !slices.Equal(got, views) {
			t.Errorf("views after the upgrade: %v, want %v", got, views)
		}
	})
}

// joinAlias matches the alias 0009 gives a joined subquery.
var joinAlias = regexp.MustCompile(`\) AS \w+(\nANY LEFT JOIN| USING id)`)

// migrationsAfter returns the names of the migrations numbered above v.
func migrationsAfter(t *testing.T, v int) []string {
	t.Helper()
	migrations, err := sql.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range migrations {
		if m.Version > v {
			names = append(names, m.Name)
		}
	}
	return names
}

// viewsWithoutAliases returns the CREATE VIEW statements of 0009 as the
// previous release's 0007 wrote them: the same, but for the aliases.
func viewsWithoutAliases(t *testing.T) []string {
	t.Helper()
	migrations, err := sql.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var views []string
	for _, m := range migrations {
		if m.Name != "0009_views_aliased" {
			continue
		}
		for _, stmt := range m.Statements {
			if strings.Contains(stmt, "CREATE VIEW") {
				old := joinAlias.ReplaceAllString(stmt, ")$1")
				if n := len(joinAlias.FindAllString(stmt, -1)); n != 2 {
					t.Fatalf("a view of 0009 has %d join aliases, want 2: teach viewsWithoutAliases its shape", n)
				}
				views = append(views, old)
			}
		}
	}
	if len(views) != 3 {
		t.Fatalf("0009 has %d joined views, want 3", len(views))
	}
	return views
}

// The facts with their versions, and what the views make of them.
const (
	factsQuery = "SELECT id AS a, version AS b FROM deployments UNION ALL SELECT id AS a, version AS b FROM incidents"
	viewsQuery = "SELECT id AS a, service AS b FROM dora_deployments UNION ALL SELECT id AS a, service AS b FROM dora_incidents"
)

// stageAndPromote stages the deployments and incidents and promotes them.
func stageAndPromote(t *testing.T, s *clickhouse.Store, ds []doraflow.Deployment, is []doraflow.Incident) {
	t.Helper()
	ctx := context.Background()
	if err := s.StageDeployments(ctx, ds); err != nil {
		t.Fatal(err)
	}
	if err := s.StageIncidents(ctx, is); err != nil {
		t.Fatal(err)
	}
	promoteFacts(t, s)
}

// promoteFacts promotes everything staged, of the block "manual", into
// the facts.
func promoteFacts(t *testing.T, s *clickhouse.Store) {
	t.Helper()
	ctx := context.Background()
	high, err := s.StagingHigh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ranges := map[string]clickhouse.Range{}
	for table, hi := range high {
		ranges[table] = clickhouse.Range{Hi: hi}
	}
	if _, err := s.PromoteFacts(ctx, nil, ranges, []string{"manual"}, s.NextVersion()); err != nil {
		t.Fatal(err)
	}
}

func mustExec(t *testing.T, conn driver.Conn, stmt string) {
	t.Helper()
	if err := conn.Exec(context.Background(), stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// tableDump returns the rows of a query of two columns a and b as sorted
// "a b" lines.
func tableDump(t *testing.T, conn driver.Conn, query string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT toString(a), toString(b) FROM ("+query+") AS q")
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a, b string
		if err := rows.Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		out = append(out, a+" "+b)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// Sorted here: 18.16 takes ORDER BY 1 as a constant, not a position.
	slices.Sort(out)
	return out
}
