package report_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/config"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/metrics"
	"doraflow/pipeline"
	"doraflow/report"
	"doraflow/sources"
)

// TestCollectEqualsMetrics checks that a report's numbers are those of
// `doraflow metrics` for the same window, from the rollup and from the
// events, and that the environment filter keeps exactly one environment.
func TestCollectEqualsMetrics(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		ctx := context.Background()
		store := clickhousetest.New(t)
		cfg := config.Default()
		cfg.Methods = sources.Registry()
		p := pipeline.New(cfg, store, zerolog.Nop())

		day := func(d, h int) time.Time { return time.Date(2024, 1, d, h, 0, 0, 0, time.UTC) }
		dep := func(id, service, team, env string, at time.Time) doraflow.Deployment {
			return doraflow.Deployment{ID: id, Source: doraflow.SourceCustom, Method: doraflow.MethodCustom, Block: "manual",
				Service: service, Team: team, Environment: env, Repository: "acme/" + service, DeployedAt: at, Status: doraflow.StatusSuccess}
		}
		pr := func(id string, at time.Time) doraflow.Change {
			return doraflow.Change{ID: id, Repository: "acme/x", Kind: doraflow.ChangePullRequest, StartedAt: at, Title: id}
		}
		facts := doraflow.FactSet{
			Deployments: []doraflow.Deployment{
				dep("a1", "api", "platform", "production", day(2, 10)), dep("a2", "api", "platform", "production", day(9, 10)),
				dep("a3", "api", "platform", "staging", day(8, 16)), dep("w1", "web", "frontend", "production", day(3, 12)),
				dep("w2", "web", "frontend", "production", day(17, 12)),
			},
			Changes: []doraflow.Change{pr("c1", day(1, 8)), pr("c2", day(7, 9)), pr("c3", day(2, 9)), pr("c4", day(15, 9))},
			Ships:   map[string][]string{"a1": {"c1"}, "a2": {"c2"}, "a3": {"c2"}, "w1": {"c3"}, "w2": {"c4"}},
			Incidents: []doraflow.Incident{
				{ID: "i1", Source: doraflow.SourceCustom, Block: "manual", Service: "api", Team: "platform", CreatedAt: day(9, 11), ResolvedAt: day(9, 13)},
				{ID: "i2", Source: doraflow.SourceCustom, Block: "manual", Service: "web", Team: "frontend", CreatedAt: day(18, 1)},
			},
		}
		for _, err := range []error{store.StageChanges(ctx, facts.Changes), store.StageShips(ctx, facts.Ships, facts.Commits),
			store.StageDeployments(ctx, facts.Deployments), store.StageIncidents(ctx, facts.Incidents)} {
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := p.Promote(ctx, pipeline.PromoteOptions{}); err != nil {
			t.Fatal(err)
		}
		metricsOf := func(q metrics.Query, group, period string) []metrics.Row {
			t.Helper()
			q.GroupBy, q.Period = group, period
			r, err := p.Metrics(ctx, q, pipeline.MetricsOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return r.Rows
		}

		for _, tc := range []struct {
			name     string
			from, to time.Time
			service  string
		}{
			{"whole days, from the rollup", day(1, 0), day(29, 0), ""},
			{"a time of day, from the events", day(2, 11), day(20, 0), ""},
			{"one service", day(1, 0), day(29, 0), "api"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				q := report.Query{From: tc.from, To: tc.to, Location: time.UTC, GroupBy: metrics.GroupService, Service: tc.service}
				got, err := report.Collect(ctx, p, q)
				if err != nil {
					t.Fatal(err)
				}
				mq := metrics.Query{From: tc.from, To: tc.to, Location: time.UTC, Service: tc.service}
				if want := metricsOf(mq, metrics.GroupNone, metrics.PeriodNone)[0]; !reflect.DeepEqual(got.Summary, want) {
					t.Errorf("summary:\n got %+v\nwant %+v", got.Summary, want)
				}
				if want := metricsOf(mq, metrics.GroupNone, metrics.PeriodWeek); !reflect.DeepEqual(got.Weeks, want) {
					t.Errorf("weeks:\n got %+v\nwant %+v", got.Weeks, want)
				}
				if want := metricsOf(mq, metrics.GroupService, metrics.PeriodNone); !reflect.DeepEqual(got.Rows, want) {
					t.Errorf("rows:\n got %+v\nwant %+v", got.Rows, want)
				}
			})
		}

		t.Run("group by none", func(t *testing.T) {
			q := report.Query{From: day(1, 0), To: day(29, 0), Location: time.UTC, GroupBy: metrics.GroupNone}
			got, err := report.Collect(ctx, p, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Rows) != 1 || !reflect.DeepEqual(got.Rows[0], got.Summary) || got.Summary.Deployments != 5 || got.Summary.Incidents != 2 {
				t.Errorf("by none: %d rows %+v, want one row equal to the summary (5 deployments, 2 incidents) %+v", len(got.Rows), got.Rows, got.Summary)
			}
		})

		t.Run("one environment", func(t *testing.T) {
			q := report.Query{From: day(1, 0), To: day(29, 0), Location: time.UTC, GroupBy: metrics.GroupTeam, Environment: "staging"}
			got, err := report.Collect(ctx, p, q)
			if err != nil {
				t.Fatal(err)
			}
			// The staging row of metrics by environment, and metrics
			// --environment staging, are the same numbers.
			byEnv := metricsOf(metrics.Query{From: q.From, To: q.To, Location: time.UTC}, metrics.GroupEnvironment, metrics.PeriodNone)
			var want metrics.Row
			for _, r := range byEnv {
				if r.Environment == "staging" {
					want, want.Environment = r, ""
				}
			}
			if !reflect.DeepEqual(got.Summary, want) || want.Deployments != 1 {
				t.Errorf("staging summary:\n got %+v\nwant %+v", got.Summary, want)
			}
			filtered := metricsOf(metrics.Query{From: q.From, To: q.To, Location: time.UTC, Environment: "staging"}, metrics.GroupNone, metrics.PeriodNone)
			if len(filtered) != 1 || !reflect.DeepEqual(filtered[0], want) {
				t.Errorf("metrics --environment staging:\n got %+v\nwant %+v", filtered, want)
			}
			if len(got.Rows) != 1 || got.Rows[0].Team != "platform" || got.Rows[0].Deployments != 1 || got.Rows[0].Incidents != 0 {
				t.Errorf("staging by team: %+v, want platform's one deployment and no incident (incidents are in production)", got.Rows)
			}
		})
	})
}
