package clickhouse

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"doraflow/sql"
)

// undoCluster reverses exactly what clusterDDL inserts for database dora
// on cluster c, so a test can check that nothing else changed.
var undoCluster = strings.NewReplacer(" ON CLUSTER `c`", "", "`dora`.", "")

var replicatedEngine = regexp.MustCompile(`Replicated(\w*MergeTree)\('/clickhouse/tables/\{shard\}/dora/(\w+)', '\{replica\}'(, )?`)

func TestClusterDDLRewritesEveryMigration(t *testing.T) {
	migrations, err := sql.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	type stmt struct{ name, sql string }
	stmts := []stmt{{"schema_migrations", schemaMigrations}}
	var all []string
	for _, m := range migrations {
		for i, s := range m.Statements {
			stmts = append(stmts, stmt{fmt.Sprintf("%s/%d", m.Name, i+1), s})
			all = append(all, s)
		}
	}
	ddl := newClusterDDL("dora", "c", append(all, schemaMigrations))
	for _, tc := range stmts {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ddl.rewrite(tc.sql)
			if err != nil {
				t.Fatal(err)
			}
			head := ddlHead.FindStringSubmatch(maskSQL(tc.sql))
			kind, name := kindOf(head[1]), unquote(head[2])
			if !strings.Contains(got, "`dora`."+head[2]+" ON CLUSTER `c`") {
				t.Errorf("%s %s is not qualified and ON CLUSTER:\n%s", kind, name, got)
			}
			if kind == "CREATE TABLE" {
				m := replicatedEngine.FindStringSubmatch(got)
				if m == nil || m[2] != name {
					t.Errorf("table %s has no Replicated engine at its own path:\n%s", name, got)
				}
			}
			// Every doraflow table a view reads is qualified.
			for _, ref := range tableRef.FindAllStringSubmatch(maskSQL(got), -1) {
				if ddl.tables[unquote(ref[1])] && ref[2] == "" {
					t.Errorf("%s %s reads %s unqualified:\n%s", kind, name, ref[1], got)
				}
			}
			if back := undoCluster.Replace(replicatedEngine.ReplaceAllString(got, "$1(")); back != tc.sql {
				t.Errorf("the rewrite changed more than the cluster parts:\nwant %s\ngot  %s", tc.sql, back)
			}
		})
	}
}

func TestClusterDDL(t *testing.T) {
	known := []string{
		"CREATE TABLE IF NOT EXISTS events (k String) ENGINE = MergeTree() ORDER BY k",
		"CREATE TABLE IF NOT EXISTS daily (d Date) ENGINE = SummingMergeTree() ORDER BY d",
	}
	ddl := newClusterDDL("dora", "c", known)
	for _, tc := range []struct {
		name, in, want, err string
	}{
		{
			name: "replacing with version",
			in:   "CREATE TABLE IF NOT EXISTS t\n(\n    id String,\n    version UInt64\n)\nENGINE = ReplacingMergeTree(version)\nORDER BY id",
			want: "CREATE TABLE IF NOT EXISTS `dora`.t ON CLUSTER `c`\n(\n    id String,\n    version UInt64\n)\nENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/dora/t', '{replica}', version)\nORDER BY id",
		},
		{
			name: "engine without parentheses, lower case",
			in:   "create table t (k String) engine = MergeTree order by k",
			want: "create table `dora`.t ON CLUSTER `c` (k String) engine = ReplicatedMergeTree('/clickhouse/tables/{shard}/dora/t', '{replica}') order by k",
		},
		{
			name: "summing with a column tuple",
			in:   "CREATE TABLE `t` (d Date, n Int64) ENGINE = SummingMergeTree((n)) ORDER BY d",
			want: "CREATE TABLE `dora`.`t` ON CLUSTER `c` (d Date, n Int64) ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/dora/t', '{replica}', (n)) ORDER BY d",
		},
		{
			name: "comments and strings are left alone",
			in:   "-- was ENGINE = Memory; FROM events\nCREATE TABLE t (k String DEFAULT 'ENGINE = Log') ENGINE = MergeTree() ORDER BY k",
			want: "-- was ENGINE = Memory; FROM events\nCREATE TABLE `dora`.t ON CLUSTER `c` (k String DEFAULT 'ENGINE = Log') ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/dora/t', '{replica}') ORDER BY k",
		},
		{
			name: "materialized view",
			in:   "CREATE MATERIALIZED VIEW IF NOT EXISTS mv TO daily AS\nSELECT d FROM events ARRAY JOIN [1] AS x",
			want: "CREATE MATERIALIZED VIEW IF NOT EXISTS `dora`.mv ON CLUSTER `c` TO `dora`.daily AS\nSELECT d FROM `dora`.events ARRAY JOIN [1] AS x",
		},
		{
			name: "view qualifies doraflow tables only",
			in:   "CREATE VIEW IF NOT EXISTS v AS SELECT * FROM daily AS a JOIN (SELECT number FROM numbers(3)) USING d LEFT JOIN events USING k WHERE 1 IN (SELECT 1 FROM system.one) AND 'FROM daily' != ''",
			want: "CREATE VIEW IF NOT EXISTS `dora`.v ON CLUSTER `c` AS SELECT * FROM `dora`.daily AS a JOIN (SELECT number FROM numbers(3)) USING d LEFT JOIN `dora`.events USING k WHERE 1 IN (SELECT 1 FROM system.one) AND 'FROM daily' != ''",
		},
		{
			name: "database",
			in:   "CREATE DATABASE IF NOT EXISTS `dora`",
			want: "CREATE DATABASE IF NOT EXISTS `dora` ON CLUSTER `c`",
		},
		{
			name: "drop view",
			in:   "DROP VIEW IF EXISTS v",
			want: "DROP VIEW IF EXISTS `dora`.v ON CLUSTER `c`",
		},
		{
			name: "alter table",
			in:   "ALTER TABLE events ADD COLUMN extra String DEFAULT ''",
			want: "ALTER TABLE `dora`.events ON CLUSTER `c` ADD COLUMN extra String DEFAULT ''",
		},
		{name: "engine with no replicated form", in: "CREATE TABLE t (k String) ENGINE = TinyLog", err: "engine TinyLog is not a MergeTree engine doraflow can replicate"},
		{name: "already replicated", in: "CREATE TABLE t (k String) ENGINE = ReplicatedMergeTree('/p', 'r') ORDER BY k", err: "engine ReplicatedMergeTree is not a MergeTree engine doraflow can replicate"},
		{name: "unbalanced engine", in: "CREATE TABLE t (k String) ENGINE = MergeTree(", err: "engine MergeTree has no closing parenthesis"},
		{name: "no engine", in: "CREATE TABLE t AS events", err: "want exactly one ENGINE clause, found 0"},
		{name: "materialized view without TO", in: "CREATE MATERIALIZED VIEW mv ENGINE = MergeTree() ORDER BY d AS SELECT d FROM events", err: "must write TO an unqualified table"},
		{name: "qualified name", in: "CREATE TABLE other.t (k String) ENGINE = MergeTree() ORDER BY k", err: "names a database"},
		{name: "other statement", in: "-- seed\nINSERT INTO events (k) VALUES ('a')", err: `"INSERT INTO events (k) VALUES ('a')" is not a CREATE, DROP or ALTER`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ddl.rewrite(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("rewrite error = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("rewrite:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// FuzzClusterDDL checks that any statement is either rewritten with ON
// CLUSTER or refused with an error, never a panic.
func FuzzClusterDDL(f *testing.F) {
	migrations, err := sql.Migrations()
	if err != nil {
		f.Fatal(err)
	}
	for _, m := range migrations {
		for _, s := range m.Statements {
			f.Add(s)
		}
	}
	f.Add("CREATE TABLE t (k String DEFAULT 'it''s') ENGINE = MergeTree(")
	f.Add("CREATE VIEW v AS SELECT 1 FROM `events` -- FROM daily")
	ddl := newClusterDDL("dora", "c", []string{"CREATE TABLE events (k String) ENGINE = MergeTree() ORDER BY k"})
	f.Fuzz(func(t *testing.T, stmt string) {
		got, err := ddl.rewrite(stmt)
		if err == nil && !strings.Contains(got, " ON CLUSTER `c`") {
			t.Fatalf("rewrite(%q) = %q without ON CLUSTER", stmt, got)
		}
	})
}
