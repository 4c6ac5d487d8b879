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
func (h *harness) snapshot() ([]metrics.Report, map[string]uint64) {
	h.t.Helper()
	var reports []metrics.Report
	for _, q := range allQueries {
		reports = append(reports, h.metrics(q))
	}
	counts := map[string]uint64{}
	for _, table := range []string{"deployments", "changes", "ships", "incidents", "dora_events"} {
		n, err := h.store.RowCount(h.ctx, table)
		must(h.t, err)
		counts[table] = n
	}
	return reports, counts
}

func TestPromoteTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.stage(quarter())
		first := h.promote()
		if first.FactRows["deployments"] != 5 || first.Events == 0 {
			t.Fatalf("first promote = %+v, want 5 deployments and some events", first)
		}
		reports, counts := h.snapshot()
		second := h.promote()
		if second.Events != 0 || second.FactRows["deployments"]+second.FactRows["incidents"]+second.FactRows["changes"]+second.FactRows["ships"] != 0 {
			t.Fatalf("second promote wrote %+v, want nothing", second)
		}
		// The same objects synced again (a re-run) add nothing either.
		h.stage(quarter())
		h.promote()
		again, againCounts := h.snapshot()
		if !reflect.DeepEqual(reports, again) || !reflect.DeepEqual(counts, againCounts) {
			t.Fatalf("re-run changed the store: counts %v -> %v", counts, againCounts)
		}
	})
}

func TestPurgingStagingKeepsFactsAndMetrics(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.stage(quarter())
		h.promote()
		reports, counts := h.snapshot()
		must(t, h.store.PurgeStaging(h.ctx))
		h.promote()
		// A source that forgot objects: a resync stages only part of them.
		part := quarter()
		part.Deployments, part.Incidents = part.Deployments[:1], nil
		h.stage(part)
		h.promote()
		after, afterCounts := h.snapshot()
		if !reflect.DeepEqual(reports, after) || !reflect.DeepEqual(counts, afterCounts) {
			t.Fatalf("purge changed the store: counts %v -> %v", counts, afterCounts)
		}
	})
}

func TestPromoteResumesAfterACrash(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		clean := newHarness(t, nil)
		clean.stage(quarter())
		clean.promote()
		want, wantRows := clean.snapshot()

		h := newHarness(t, nil)
		h.stage(quarter())
		// Crash after the facts were written, before the events and the
		// watermark: the next promote must finish the job, not double it.
		high, err := h.store.StagingHigh(h.ctx)
		must(t, err)
		ranges := map[string]clickhouse.Range{}
		for table, hi := range high {
			ranges[table] = clickhouse.Range{Hi: hi}
		}
		_, err = h.store.PromoteFacts(h.ctx, ranges, []string{"manual"}, h.store.NextVersion())
		must(t, err)
		h.promote()
		h.promote()
		got, gotRows := h.snapshot()
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("after a crash and resume the metrics differ from a clean run:\nclean: %s\ngot:   %s", js(want[0]), js(got[0]))
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

		clean := newHarness(t, nil)
		clean.stage(final)
		clean.promote()
		want, _ := clean.snapshot()

		h := newHarness(t, nil)
		h.stage(quarter())
		h.promote()
		h.stage(final)
		h.promote()
		got, _ := h.snapshot()
		for i := range want {
			if !reflect.DeepEqual(want[i], got[i]) {
				t.Fatalf("query %+v after updates:\nclean: %s\ngot:   %s", allQueries[i], js(want[i]), js(got[i]))
			}
		}
	})
}

func TestChangedRulesRebuildTheEvents(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := newHarness(t, nil)
		// The incident comes 10 days after the deployment: outside the default
		// 168h window, inside a 0 (unlimited) one.
		h.stage(doraflow.FactSet{
			Deployments: []doraflow.Deployment{dep("d", "api", day(2))},
			Incidents:   []doraflow.Incident{incident("i", "api", day(12), time.Time{})},
		})
		h.promote()
		if got := row(t, h.metrics(window(1, 31)), "api"); got.FailedDeployments != 0 {
			t.Fatalf("window 168h: failed %d, want 0", got.FailedDeployments)
		}
		cfg := *h.cfg
		cfg.Attribution = config.Attribution{Window: 0}
		h.p = pipeline.New(&cfg, h.store, zerolog.Nop())
		res := h.promote()
		if !res.Rebuilt {
			t.Fatal("promote did not notice the changed attribution window")
		}
		if got := row(t, h.metrics(window(1, 31)), "api"); got.FailedDeployments != 1 {
			t.Fatalf("window 0: failed %d, want 1", got.FailedDeployments)
		}
	})
}
