package pipeline_test

import (
	"reflect"

	"github.com/rs/zerolog"

	"testing"
	"time"

	"doraflow"
	"doraflow/config"
	"doraflow/load/clickhouse"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/metrics"
	"doraflow/pipeline"
	"doraflow/pipeline/pipelinetest"
)

// quarter is a small but complete data set: deployments in two services
// and environments, changes shipped twice, incidents open and resolved.
func quarter() doraflow.FactSet {
	stg := dep("web-stg", "web", day(4))
	stg.Environment = "staging"
	failedStatus := dep("api-bad", "api", day(6))
	failedStatus.Status = doraflow.StatusFailure
	return doraflow.FactSet{
		Deployments: []doraflow.Deployment{dep("api-1", "api", day(2)), dep("api-2", "api", day(9)), dep("web-1", "web", day(3)), stg, failedStatus},
		Changes:     []doraflow.Change{pr("c1", day(1)), pr("c2", day(2), "hotfix"), pr("c3", day(1).Add(time.Hour))},
		Ships:       map[string][]string{"api-1": {"c1"}, "api-2": {"c1", "c2"}, "web-1": {"c3"}, "web-stg": {"c3"}},
		Incidents: []doraflow.Incident{
			incident("i1", "api", day(2).Add(time.Hour), day(2).Add(3*time.Hour)),
			incident("i2", "web", day(10), time.Time{}),
		},
	}
}

var allQueries = func() []metrics.Query {
	var qs []metrics.Query
	for _, g := range []string{metrics.GroupService, metrics.GroupTeam, metrics.GroupRepository, metrics.GroupEnvironment, metrics.GroupNone} {
		for _, p := range []string{metrics.PeriodNone, metrics.PeriodDay, metrics.PeriodWeek, metrics.PeriodMonth} {
			q := window(1, 31)
			q.GroupBy, q.Period = g, p
			qs = append(qs, q)
		}
	}
	return qs
}()

// snapshot returns every report of allQueries and the row counts of the
// fact and event tables.
func snapshot(h *pipelinetest.Harness) ([]metrics.Report, map[string]uint64) {
	h.T.Helper()
	var reports []metrics.Report
	for _, q := range allQueries {
		reports = append(reports, h.Metrics(q))
	}
	counts := map[string]uint64{}
	for _, table := range []string{"deployments", "changes", "ships", "incidents", "dora_events"} {
		n, err := h.Store.RowCount(h.Ctx, table)
		must(h.T, err)
		counts[table] = n
	}
	return reports, counts
}

func TestPromoteTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		h.Stage(quarter())
		first := h.Promote()
		if first.FactRows["deployments"] != 5 || first.Events == 0 {
			t.Fatalf("first promote = %+v, want 5 deployments and some events", first)
		}
		reports, counts := snapshot(h)
		second := h.Promote()
		if second.Events != 0 || second.FactRows["deployments"]+second.FactRows["incidents"]+second.FactRows["changes"]+second.FactRows["ships"] != 0 {
			t.Fatalf("second promote wrote %+v, want nothing", second)
		}
		// The same objects synced again (a re-run) add nothing either.
		h.Stage(quarter())
		h.Promote()
		again, againCounts := snapshot(h)
		if !reflect.DeepEqual(reports, again) || !reflect.DeepEqual(counts, againCounts) {
			t.Fatalf("re-run changed the store: counts %v -> %v", counts, againCounts)
		}
	})
}

func TestPurgingStagingKeepsFactsAndMetrics(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		h.Stage(quarter())
		h.Promote()
		reports, counts := snapshot(h)
		must(t, h.Store.PurgeStaging(h.Ctx))
		h.Promote()
		// A source that forgot objects: a resync stages only part of them.
		part := quarter()
		part.Deployments, part.Incidents = part.Deployments[:1], nil
		h.Stage(part)
		h.Promote()
		after, afterCounts := snapshot(h)
		if !reflect.DeepEqual(reports, after) || !reflect.DeepEqual(counts, afterCounts) {
			t.Fatalf("purge changed the store: counts %v -> %v", counts, afterCounts)
		}
	})
}

func TestPromoteResumesAfterACrash(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		clean := pipelinetest.New(t, nil)
		clean.Stage(quarter())
		clean.Promote()
		want, wantRows := snapshot(clean)

		h := pipelinetest.New(t, nil)
		h.Stage(quarter())
		// Crash after the facts were written, before the events and the
		// watermark: the next promote must finish the job, not double it.
		high, err := h.Store.StagingHigh(h.Ctx)
		must(t, err)
		ranges := map[string]clickhouse.Range{}
		for table, hi := range high {
			ranges[table] = clickhouse.Range{Hi: hi}
		}
		_, err = h.Store.PromoteFacts(h.Ctx, nil, ranges, []string{"manual"}, h.Store.NextVersion())
		must(t, err)
		h.Promote()
		h.Promote()
		got, gotRows := snapshot(h)
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("after a crash and resume the metrics differ from a clean run:\nclean: %s\ngot:   %s", pipelinetest.JSON(want[0]), pipelinetest.JSON(got[0]))
		}
		// The facts written before the crash are not written again, and no
		// event is doubled: every table holds the rows of a clean run.
		if !reflect.DeepEqual(wantRows, gotRows) || wantRows["deployments"] != 5 {
			t.Fatalf("rows after a crash and resume: %v, want those of a clean run: %v (5 deployments)", gotRows, wantRows)
		}
	})
}

func TestLateUpdatesStayExactInTheRollup(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		// A deployment moves to another service, an incident is resolved a day
		// later and then re-attributed by name, a change's start moves: the
		// rollup (which only ever sees inserts) must equal a clean load of the
		// final state.
		final := quarter()
		final.Deployments[2].Service, final.Deployments[2].Team = "api", "platform" // web-1 moves to api
		final.Incidents[1].ResolvedAt = day(11)
		final.Incidents[1].DeploymentID = "api-2"
		final.Changes[0].StartedAt = day(1).Add(-48 * time.Hour)

		clean := pipelinetest.New(t, nil)
		clean.Stage(final)
		clean.Promote()
		want, _ := snapshot(clean)

		h := pipelinetest.New(t, nil)
		h.Stage(quarter())
		h.Promote()
		h.Stage(final)
		h.Promote()
		got, _ := snapshot(h)
		for i := range want {
			if !reflect.DeepEqual(want[i], got[i]) {
				t.Fatalf("query %+v after updates:\nclean: %s\ngot:   %s", allQueries[i], pipelinetest.JSON(want[i]), pipelinetest.JSON(got[i]))
			}
		}
	})
}

func TestChangedRulesRebuildTheEvents(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		// The incident comes 10 days after the deployment: outside the default
		// 168h window, inside a 0 (unlimited) one.
		h.Stage(doraflow.FactSet{
			Deployments: []doraflow.Deployment{dep("d", "api", day(2))},
			Incidents:   []doraflow.Incident{incident("i", "api", day(12), time.Time{})},
		})
		h.Promote()
		if got := pipelinetest.Row(t, h.Metrics(window(1, 31)), "api"); got.FailedDeployments != 0 {
			t.Fatalf("window 168h: failed %d, want 0", got.FailedDeployments)
		}
		cfg := *h.Cfg
		cfg.Attribution = config.Attribution{Window: 0}
		h.P = pipeline.New(&cfg, h.Store, zerolog.Nop())
		res := h.Promote()
		if !res.Rebuilt {
			t.Fatal("promote did not notice the changed attribution window")
		}
		if got := pipelinetest.Row(t, h.Metrics(window(1, 31)), "api"); got.FailedDeployments != 1 {
			t.Fatalf("window 0: failed %d, want 1", got.FailedDeployments)
		}
	})
}
