package clickhouse_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"doraflow"
	"doraflow/load/clickhouse/clickhousetest"
)

func TestDumpFacts(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		s := clickhousetest.New(t)
		ctx := context.Background()
		at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
		d2 := doraflow.Deployment{ID: "d2", Block: "manual", Source: doraflow.SourceCustom, Method: doraflow.MethodCustom, Service: "api", Environment: "production", DeployedAt: at, Status: doraflow.StatusSuccess}
		d1 := d2
		d1.ID, d1.Title = "d1", "first"
		c1 := doraflow.Change{ID: "acme/api#pr-1", Repository: "acme/api", Kind: doraflow.ChangePullRequest, Number: 1, StartedAt: at.Add(-time.Hour), Labels: []string{"hotfix"}}
		in := doraflow.Incident{ID: "i1", Block: "manual", Source: doraflow.SourceCustom, Service: "api", CreatedAt: at.Add(time.Hour)}
		promote := func() { t.Helper(); promoteFacts(t, s) }
		stage := func(ds []doraflow.Deployment, is []doraflow.Incident) {
			t.Helper()
			for _, err := range []error{
				s.StageChanges(ctx, []doraflow.Change{c1}),
				s.StageShips(ctx, map[string][]string{"d1": {c1.ID}}, nil),
				s.StageDeployments(ctx, ds),
				s.StageIncidents(ctx, is),
			} {
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		stage([]doraflow.Deployment{d2, d1}, []doraflow.Incident{in})
		promote()
		// d1 changes its title and i1 is resolved; everything else is staged
		// and promoted again unchanged.
		d1.Title = "renamed"
		in.ResolvedAt = at.Add(2 * time.Hour)
		stage([]doraflow.Deployment{d2, d1}, []doraflow.Incident{in})
		promote()
		promote()

		got, err := s.DumpFacts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := doraflow.FactSet{
			Deployments: []doraflow.Deployment{d1, d2},
			Changes:     []doraflow.Change{c1},
			Ships:       map[string][]string{"d1": {c1.ID}},
			Commits:     map[string]map[string][]string{},
			Incidents:   []doraflow.Incident{in},
		}
		if !reflect.DeepEqual(got.FactSet, want) {
			t.Fatalf("facts:\n got %+v\nwant %+v", got.FactSet, want)
		}
		wantVersions := map[string]map[string]uint64{
			"deployments": {"d1": 2, "d2": 1},
			"changes":     {c1.ID: 1},
			"ships":       {"d1": 1},
			"incidents":   {"i1": 2},
		}
		if !reflect.DeepEqual(got.Versions, wantVersions) {
			t.Fatalf("versions = %v, want %v", got.Versions, wantVersions)
		}

		tables, err := s.Tables(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"changes", "deployments", "incidents", "ships", "runs", "stg_deployments"} {
			if !slices.Contains(tables, name) {
				t.Errorf("Tables() = %v, missing %s", tables, name)
			}
		}
		if !slices.IsSorted(tables) {
			t.Errorf("Tables() = %v, want them sorted", tables)
		}
	})
}
