package clickhouse_test

import (
	"context"
	"fmt"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"doraflow"
	"doraflow/load/clickhouse"
	"doraflow/load/clickhouse/clickhousetest"
)

// TestTSVStageInsertsTheStagedRows checks that the benchmark's reference,
// clickhouse-client inserting TabSeparated files, stores in each copy of a
// staging table exactly the rows the batch inserts store in staging, text
// that needs escaping, arrays of arrays and NULLs included.
func TestTSVStageInsertsTheStagedRows(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		e := clickhousetest.Of(t)
		if e.Protocol == clickhouse.HTTP {
			t.Skipf("%s speaks HTTP; clickhouse-client needs the native protocol", e.Name)
		}
		if _, err := exec.LookPath("clickhouse-client"); err != nil {
			t.Skip("no clickhouse-client (scripts/clickhouse.sh install installs it)")
		}
		ctx := context.Background()
		s := clickhousetest.New(t)
		berlin := time.FixedZone("CET", 3600)
		at := time.Date(2024, 3, 1, 10, 30, 15, 0, berlin)
		odd := "tab\there, new\nline, back\\slash, 'quote', cr\r, nul\x00 end"
		f := doraflow.FactSet{
			Deployments: []doraflow.Deployment{
				{ID: "d1", Source: doraflow.SourceCustom, Method: doraflow.MethodCustom, Block: "manual", Service: "api", Team: "platform",
					Environment: "production", Repository: "acme/api", SHA: "abc", DeployedAt: at, Status: doraflow.StatusSuccess, Title: odd, Author: "ann"},
				{ID: "d2", Source: doraflow.SourceGitHub, Method: doraflow.MethodWorkflowRun, Block: "ci", Service: "web",
					Environment: "staging", DeployedAt: at.Add(time.Hour), Status: doraflow.StatusFailure, URL: "https://example.com/?a=1&b=2"},
			},
			Changes: []doraflow.Change{
				{ID: "acme/api#pr-1", Repository: "acme/api", Kind: doraflow.ChangePullRequest, Number: 1, StartedAt: at.Add(-time.Hour),
					Title: odd, Labels: []string{"rework", odd, ""}},
				{ID: "acme/api@abc", Repository: "acme/api", Kind: doraflow.ChangeCommit, SHA: "abc", StartedAt: at},
			},
			Ships:   map[string][]string{"d1": {"acme/api#pr-1", "acme/api@abc"}, "d2": nil},
			Commits: map[string]map[string][]string{"d1": {"acme/api#pr-1": {"c1", "c'2"}}},
			Incidents: []doraflow.Incident{
				{ID: "i1", Source: doraflow.SourceCustom, Block: "manual", Service: "api", CreatedAt: at, ResolvedAt: at.Add(time.Hour), Title: odd},
				{ID: "i2", Source: doraflow.SourcePagerDuty, Block: "pd", Service: "web", CreatedAt: at, DeploymentID: "d2", Urgency: "high"},
			},
		}
		for _, err := range []error{s.StageChanges(ctx, f.Changes), s.StageShips(ctx, f.Ships, f.Commits),
			s.StageDeployments(ctx, f.Deployments), s.StageIncidents(ctx, f.Incidents)} {
			if err != nil {
				t.Fatal(err)
			}
		}
		files, err := s.NewTSVStage(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if err := files.Write(f); err != nil {
			t.Fatal(err)
		}
		if _, err := files.InsertWithClient(ctx); err != nil {
			t.Fatal(err)
		}
		conn := clickhousetest.Conn(t, clickhouse.Options{Addr: []string{e.Addr}, Database: s.Database(), Username: "default"})
		read := func(table, columns string) []string {
			t.Helper()
			rows, err := conn.Query(ctx, "SELECT "+columns+" FROM "+table)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var out []string
			for rows.Next() {
				values := make([]any, len(rows.ColumnTypes()))
				for i, ct := range rows.ColumnTypes() {
					values[i] = reflect.New(ct.ScanType()).Interface()
				}
				if err := rows.Scan(values...); err != nil {
					t.Fatal(err)
				}
				var row []string
				for _, v := range values {
					row = append(row, fmt.Sprintf("%#v", reflect.ValueOf(v).Elem().Interface()))
				}
				out = append(out, strings.Join(row, " | "))
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			slices.Sort(out)
			return out
		}
		for _, table := range clickhouse.StagingTables {
			// Every column but the version, which each writer takes afresh.
			columns := strings.TrimSuffix(table.Columns, ", version")
			staged, copied := read(table.Staging, columns), read(table.Staging+"_client", columns)
			if len(staged) == 0 {
				t.Fatalf("%s: nothing staged", table.Staging)
			}
			if !slices.Equal(staged, copied) {
				t.Errorf("%s: clickhouse-client stored\n%s\nthe batch insert\n%s", table.Staging, strings.Join(copied, "\n"), strings.Join(staged, "\n"))
			}
		}
	})
}
