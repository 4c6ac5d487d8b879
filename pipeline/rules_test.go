package pipeline_test

// Golden tests of the rules of docs/metrics.md, end to end: facts are staged,
// promoted, rolled up by the materialized view and read back, and every
// expected number is worked out by hand in the comments. The harness also
// checks that the rollup and the per-event table agree on each query.

import (
	"testing"
	"time"

	"doraflow"
	"doraflow/config"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/metrics"
	"doraflow/pipeline/pipelinetest"
)

func TestFirstBlockWinsForAnObjectMatchedTwice(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, func(c *config.Config) {
			c.Deployments = []doraflow.Block{{Name: "first", Method: doraflow.MethodCustom}, {Name: "second", Method: doraflow.MethodCustom}}
		})
		a := dep("run-1", "api", day(2).Add(10*time.Hour))
		a.Block = "first"
		b := a
		b.Block, b.Service, b.Team = "second", "web", "frontend"
		h.Stage(doraflow.FactSet{Deployments: []doraflow.Deployment{b, a}})
		h.Promote()
		r := h.Metrics(window(1, 8))
		// One deployment, in the first block's service; web has none.
		if got := pipelinetest.Row(t, r, "api").Deployments; got != 1 {
			t.Fatalf("api deployments = %d, want 1", got)
		}
		if len(r.Rows) != 1 {
			t.Fatalf("rows = %s, want only api", pipelinetest.JSON(r))
		}
	})
}

func TestLeadTimeFromFirstDeploymentThatShipsTheChange(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		// Change c started Jan 1 00:00. Staging ships it Jan 2, production
		// first on Jan 3 and again on Jan 4.
		stagingDep := dep("d-staging", "api", day(2))
		stagingDep.Environment = "staging"
		d1, d2 := dep("d1", "api", day(3)), dep("d2", "api", day(4))
		h.Stage(doraflow.FactSet{
			Deployments: []doraflow.Deployment{stagingDep, d1, d2},
			Changes:     []doraflow.Change{pr("c", day(1))},
			Ships:       map[string][]string{"d-staging": {"c"}, "d1": {"c"}, "d2": {"c"}},
		})
		h.Promote()
		q := window(1, 8)
		q.GroupBy = metrics.GroupEnvironment
		r := h.Metrics(q)
		// production: one change, lead time Jan 3 - Jan 1 = 172800 s; the
		// deployment of Jan 4 ships it again but does not count it again.
		prod := pipelinetest.Row(t, r, "production")
		if prod.Changes != 1 || !eqPtr(prod.LeadTimeMedian, f(172800)) || prod.Deployments != 2 {
			t.Fatalf("production: changes %d lead %v deployments %d, want 1, 172800, 2", prod.Changes, show(prod.LeadTimeMedian), prod.Deployments)
		}
		// staging counts the same change once of its own: 86400 s.
		stg := pipelinetest.Row(t, r, "staging")
		if stg.Changes != 1 || !eqPtr(stg.LeadTimeMedian, f(86400)) {
			t.Fatalf("staging: changes %d lead %v, want 1, 86400", stg.Changes, show(stg.LeadTimeMedian))
		}
		// A window holding only the second production deployment counts no change.
		later := window(4, 8)
		later.GroupBy = metrics.GroupEnvironment
		if got := pipelinetest.Row(t, h.Metrics(later), "production"); got.Changes != 0 || got.LeadTimeMedian != nil {
			t.Fatalf("Jan 4-8: changes %d lead %v, want 0 and null", got.Changes, show(got.LeadTimeMedian))
		}
	})
}

func TestLeadTimeArrivingEarlierDeploymentMovesTheFirstShip(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		h.Stage(doraflow.FactSet{
			Deployments: []doraflow.Deployment{dep("late", "api", day(5))},
			Changes:     []doraflow.Change{pr("c", day(1))},
			Ships:       map[string][]string{"late": {"c"}},
		})
		h.Promote()
		if got := pipelinetest.Row(t, h.Metrics(window(1, 8)), "api"); !eqPtr(got.LeadTimeMedian, f(4*86400)) {
			t.Fatalf("lead = %v, want 345600", show(got.LeadTimeMedian))
		}
		// An earlier deployment of the same change is synced later: the change
		// now counts at Jan 2, lead time 86400, and only once.
		h.Stage(doraflow.FactSet{Deployments: []doraflow.Deployment{dep("early", "api", day(2))}, Ships: map[string][]string{"early": {"c"}}})
		h.Promote()
		got := pipelinetest.Row(t, h.Metrics(window(1, 8)), "api")
		if got.Changes != 1 || !eqPtr(got.LeadTimeMedian, f(86400)) {
			t.Fatalf("after the early deployment: changes %d lead %v, want 1, 86400", got.Changes, show(got.LeadTimeMedian))
		}
	})
}

func TestLeadTimeIsNeverNegative(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		// The commit is dated after the deployment (clock skew): lead time 0.
		h.Stage(doraflow.FactSet{
			Deployments: []doraflow.Deployment{dep("d", "api", day(2))},
			Changes:     []doraflow.Change{pr("c", day(3))},
			Ships:       map[string][]string{"d": {"c"}},
		})
		h.Promote()
		if got := pipelinetest.Row(t, h.Metrics(window(1, 8)), "api"); !eqPtr(got.LeadTimeMedian, f(0)) || got.Changes != 1 {
			t.Fatalf("lead = %v changes %d, want 0 and 1", show(got.LeadTimeMedian), got.Changes)
		}
	})
}

func TestPercentilesAreType7(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		// Lead times 1, 2, 3, 4 s (api) and 0 … 9 s (web).
		fs := doraflow.FactSet{Ships: map[string][]string{}}
		at := day(2)
		for i := 1; i <= 4; i++ {
			id := "api-c" + string(rune('0'+i))
			fs.Changes = append(fs.Changes, pr(id, at.Add(-time.Duration(i)*time.Second)))
			fs.Ships["api-d"] = append(fs.Ships["api-d"], id)
		}
		for i := 0; i <= 9; i++ {
			id := "web-c" + string(rune('0'+i))
			fs.Changes = append(fs.Changes, pr(id, at.Add(-time.Duration(i)*time.Second)))
			fs.Ships["web-d"] = append(fs.Ships["web-d"], id)
		}
		fs.Deployments = []doraflow.Deployment{dep("api-d", "api", at), dep("web-d", "web", at)}
		h.Stage(fs)
		h.Promote()
		r := h.Metrics(window(1, 8))
		api, web := pipelinetest.Row(t, r, "api"), pipelinetest.Row(t, r, "web")
		// median of 1,2,3,4 = 2.5; mean 2.5; p90 = 3 + 0.7 = 3.7
		if !eqPtr(api.LeadTimeMedian, f(2.5)) || !eqPtr(api.LeadTimeMean, f(2.5)) || !eqPtr(api.LeadTimeP90, f(3.7)) {
			t.Fatalf("api lead median/mean/p90 = %v/%v/%v, want 2.5/2.5/3.7", show(api.LeadTimeMedian), show(api.LeadTimeMean), show(api.LeadTimeP90))
		}
		// p90 of 0…9 = 8.1; median 4.5
		if !eqPtr(web.LeadTimeP90, f(8.1)) || !eqPtr(web.LeadTimeMedian, f(4.5)) {
			t.Fatalf("web lead p90/median = %v/%v, want 8.1/4.5", show(web.LeadTimeP90), show(web.LeadTimeMedian))
		}
	})
}

func TestAttributionWindow(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		base := day(2)
		cases := []struct {
			name   string
			window time.Duration
			after  time.Duration // incident created this long after the deployment
			failed int64
		}{
			{"inside", 168 * time.Hour, 167 * time.Hour, 1},
			{"on the edge", 168 * time.Hour, 168 * time.Hour, 1},
			{"outside", 168 * time.Hour, 169 * time.Hour, 0},
			{"zero means no limit", 0, 20 * 24 * time.Hour, 1},
			{"same second", 168 * time.Hour, 0, 1},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				h := pipelinetest.New(t, func(cfg *config.Config) { cfg.Attribution.Window = c.window })
				h.Stage(doraflow.FactSet{
					Deployments: []doraflow.Deployment{dep("d", "api", base)},
					Incidents:   []doraflow.Incident{incident("i", "api", base.Add(c.after), time.Time{})},
				})
				h.Promote()
				got := pipelinetest.Row(t, h.Metrics(window(1, 31)), "api")
				if got.FailedDeployments != c.failed {
					t.Fatalf("failed deployments = %d, want %d", got.FailedDeployments, c.failed)
				}
			})
		}
	})
}

func TestAttributionPicksTheLatestProductionDeploymentOrTheNamedOne(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		stg := dep("stg", "api", day(2).Add(90*time.Minute))
		stg.Environment = "staging"
		failedStatus := dep("broken", "api", day(2).Add(100*time.Minute))
		failedStatus.Status = doraflow.StatusFailure
		named := incident("named", "web", day(3), time.Time{})
		named.DeploymentID = "web-1"
		h.Stage(doraflow.FactSet{
			Deployments: []doraflow.Deployment{
				dep("api-1", "api", day(2)), dep("api-2", "api", day(2).Add(time.Hour)), stg, failedStatus,
				dep("web-1", "web", day(2)), dep("web-2", "web", day(2).Add(time.Hour)),
			},
			Incidents: []doraflow.Incident{
				// Created at 02:00 on Jan 2: the latest production deployment at
				// or before is api-2 (01:00); staging and failed ones do not count.
				incident("auto", "api", day(2).Add(2*time.Hour), time.Time{}),
				// Names web-1 although web-2 is later: the named one wins.
				named,
			},
		})
		h.Promote()
		r := h.Metrics(window(1, 8))
		api, web := pipelinetest.Row(t, r, "api"), pipelinetest.Row(t, r, "web")
		// api: 2 successful production deployments + 1 staging = 3, one failed
		if api.Deployments != 3 || api.FailedDeployments != 1 {
			t.Fatalf("api deployments %d failed %d, want 3 and 1", api.Deployments, api.FailedDeployments)
		}
		if web.FailedDeployments != 1 || web.Deployments != 2 || !eqPtr(web.ChangeFailureRate, f(0.5)) {
			t.Fatalf("web failed %d of %d (cfr %v), want 1 of 2 (0.5)", web.FailedDeployments, web.Deployments, show(web.ChangeFailureRate))
		}
		events := explainFailed(t, h)
		if events["api-2"] != "window" || events["web-1"] != "explicit" || len(events) != 2 {
			t.Fatalf("failed deployments = %v, want api-2 by window and web-1 explicit", events)
		}
	})
}

func TestDeploymentArrivingAfterItsIncident(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		// The incident is synced first; nothing to attribute it to yet.
		h.Stage(doraflow.FactSet{Incidents: []doraflow.Incident{incident("i", "api", day(3), day(3).Add(time.Hour))}})
		h.Promote()
		if got := pipelinetest.Row(t, h.Metrics(window(1, 8)), "api"); got.FailedDeployments != 0 || got.Incidents != 1 {
			t.Fatalf("before: failed %d incidents %d, want 0 and 1", got.FailedDeployments, got.Incidents)
		}
		// The deployment that caused it arrives in a later sync.
		h.Stage(doraflow.FactSet{Deployments: []doraflow.Deployment{dep("d", "api", day(2))}})
		h.Promote()
		got := pipelinetest.Row(t, h.Metrics(window(1, 8)), "api")
		if got.FailedDeployments != 1 || got.Deployments != 1 || !eqPtr(got.ChangeFailureRate, f(1)) {
			t.Fatalf("after: failed %d of %d, want 1 of 1", got.FailedDeployments, got.Deployments)
		}
	})
}

func TestIncidentResolvedAfterTheWindow(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		// Created Jan 5 12:00, resolved Jan 10 12:00: 5 days = 432000 s.
		h.Stage(doraflow.FactSet{Incidents: []doraflow.Incident{incident("i", "api", day(5).Add(12*time.Hour), day(10).Add(12*time.Hour))}})
		h.Promote()
		first := pipelinetest.Row(t, h.Metrics(window(1, 8)), "api")
		if first.Incidents != 1 || first.RestoredIncidents != 0 || first.TimeToRestoreMedian != nil {
			t.Fatalf("Jan 1-8: incidents %d restored %d ttr %v, want 1, 0, null", first.Incidents, first.RestoredIncidents, show(first.TimeToRestoreMedian))
		}
		second := pipelinetest.Row(t, h.Metrics(window(8, 15)), "api")
		if second.Incidents != 0 || second.RestoredIncidents != 1 || !eqPtr(second.TimeToRestoreMedian, f(432000)) {
			t.Fatalf("Jan 8-15: incidents %d restored %d ttr %v, want 0, 1, 432000", second.Incidents, second.RestoredIncidents, show(second.TimeToRestoreMedian))
		}
	})
}

func TestIncidentResolvedInALaterSync(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		open := incident("i", "api", day(2), time.Time{})
		h.Stage(doraflow.FactSet{Incidents: []doraflow.Incident{open}})
		h.Promote()
		if got := pipelinetest.Row(t, h.Metrics(window(1, 8)), "api"); got.RestoredIncidents != 0 || got.TimeToRestoreMedian != nil {
			t.Fatalf("open: restored %d ttr %v, want 0 and null", got.RestoredIncidents, show(got.TimeToRestoreMedian))
		}
		resolved := open
		resolved.ResolvedAt = day(3)
		h.Stage(doraflow.FactSet{Incidents: []doraflow.Incident{resolved}})
		h.Promote()
		got := pipelinetest.Row(t, h.Metrics(window(1, 8)), "api")
		if got.Incidents != 1 || got.RestoredIncidents != 1 || !eqPtr(got.TimeToRestoreMedian, f(86400)) {
			t.Fatalf("resolved: incidents %d restored %d ttr %v, want 1, 1, 86400", got.Incidents, got.RestoredIncidents, show(got.TimeToRestoreMedian))
		}
	})
}

func TestRework(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		revert := pr("revert", day(1))
		revert.Title = `Revert "Add cache"`
		notQuite := pr("reverting", day(1))
		notQuite.Title = "Reverted nothing"
		h.Stage(doraflow.FactSet{
			Deployments: []doraflow.Deployment{dep("d1", "api", day(2)), dep("d2", "api", day(3)), dep("d3", "api", day(4)), dep("d4", "api", day(5))},
			Changes:     []doraflow.Change{pr("hot", day(1), "HotFix"), revert, notQuite, pr("plain", day(1), "feature")},
			Ships:       map[string][]string{"d1": {"hot"}, "d2": {"revert"}, "d3": {"reverting"}, "d4": {"plain", "hot"}},
		})
		h.Promote()
		// d1 (label hotfix, any case), d2 ("Revert " title) and d4 (ships hot
		// again) are rework; d3 is not: 3 of 4 = 0.75.
		got := pipelinetest.Row(t, h.Metrics(window(1, 8)), "api")
		if got.ReworkDeployments != 3 || !eqPtr(got.ReworkRate, f(0.75)) {
			t.Fatalf("rework %d rate %v, want 3 and 0.75", got.ReworkDeployments, show(got.ReworkRate))
		}
	})
}

func TestNullsOverNothing(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		h.Stage(doraflow.FactSet{Deployments: []doraflow.Deployment{dep("d", "api", day(2))}})
		h.Promote()
		got := pipelinetest.Row(t, h.Metrics(window(1, 8)), "api")
		if got.LeadTimeMedian != nil || got.TimeToRestoreMedian != nil || got.Levels.LeadTime != nil || got.Levels.TimeToRestore != nil {
			t.Fatalf("lead %v ttr %v levels %+v: want nulls", show(got.LeadTimeMedian), show(got.TimeToRestoreMedian), got.Levels)
		}
		if !eqPtr(got.ChangeFailureRate, f(0)) {
			t.Fatalf("cfr = %v, want 0 (one deployment, none failed)", show(got.ChangeFailureRate))
		}
		q := window(10, 17)
		q.GroupBy = metrics.GroupNone
		empty := h.Metrics(q)
		if len(empty.Rows) != 1 || empty.Rows[0].Deployments != 0 || empty.Rows[0].ChangeFailureRate != nil || empty.Rows[0].ReworkRate != nil {
			t.Fatalf("empty window = %s, want one row of zeros and nulls", pipelinetest.JSON(empty))
		}
	})
}

func TestWeekPeriodsStartOnMonday(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		// Jan 1 2024 is a Monday. Deployments on Wed 3, Sun 7, Mon 8.
		h.Stage(doraflow.FactSet{Deployments: []doraflow.Deployment{dep("a", "api", day(3)), dep("b", "api", day(7).Add(23*time.Hour)), dep("c", "api", day(8))}})
		h.Promote()
		q := window(3, 15) // Wed Jan 3 to Mon Jan 15
		q.Period = metrics.PeriodWeek
		r := h.Metrics(q)
		if len(r.Rows) != 2 {
			t.Fatalf("rows = %s, want two weeks", pipelinetest.JSON(r))
		}
		w1, w2 := r.Rows[0], r.Rows[1]
		// Week of Mon Jan 1: 2 deployments over the 5 days inside the window.
		if w1.PeriodStart.String() != "2024-01-01" || w1.Deployments != 2 || w1.DeploymentsPerDay != 0.4 {
			t.Fatalf("week 1 = %s %d %v, want 2024-01-01, 2, 0.4", w1.PeriodStart, w1.Deployments, w1.DeploymentsPerDay)
		}
		if w2.PeriodStart.String() != "2024-01-08" || w2.Deployments != 1 {
			t.Fatalf("week 2 = %s %d, want 2024-01-08, 1", w2.PeriodStart, w2.Deployments)
		}
	})
}

func TestGroupByEveryKey(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		stg := dep("s", "web", day(3))
		stg.Environment = "staging"
		noRepo := dep("n", "db", day(3))
		noRepo.Repository = ""
		h.Stage(doraflow.FactSet{
			Deployments: []doraflow.Deployment{dep("a", "api", day(2)), dep("w", "web", day(2)), stg, noRepo},
			Incidents:   []doraflow.Incident{incident("i", "api", day(2).Add(time.Hour), day(2).Add(2*time.Hour))},
		})
		h.Promote()
		cases := []struct {
			group string
			want  map[string][2]int64 // key -> deployments, incidents
		}{
			{metrics.GroupService, map[string][2]int64{"api": {1, 1}, "web": {2, 0}, "db": {1, 0}}},
			{metrics.GroupTeam, map[string][2]int64{"platform": {2, 1}, "frontend": {2, 0}}},
			// no repository row counts incidents or repo-less deployments
			{metrics.GroupRepository, map[string][2]int64{"acme/api": {1, 0}, "acme/web": {2, 0}}},
			{metrics.GroupEnvironment, map[string][2]int64{"production": {3, 1}, "staging": {1, 0}}},
			{metrics.GroupNone, map[string][2]int64{"": {4, 1}}},
		}
		for _, c := range cases {
			q := window(1, 8)
			q.GroupBy = c.group
			r := h.Metrics(q)
			if len(r.Rows) != len(c.want) {
				t.Fatalf("group %s: rows %s, want %d", c.group, pipelinetest.JSON(r), len(c.want))
			}
			for _, got := range r.Rows {
				key := map[string]string{metrics.GroupService: got.Service, metrics.GroupTeam: got.Team, metrics.GroupRepository: got.Repository, metrics.GroupEnvironment: got.Environment, metrics.GroupNone: ""}[c.group]
				if w := c.want[key]; got.Deployments != w[0] || got.Incidents != w[1] {
					t.Errorf("group %s %q: deployments %d incidents %d, want %d and %d", c.group, key, got.Deployments, got.Incidents, w[0], w[1])
				}
			}
		}
	})
}

func TestLevelsAtTheBoundaries(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		// api deploys on 5 of the 7 days of Jan 1-8: exactly 5/7, elite. Lead
		// time exactly one day: high, not elite. 1 failure in 5 deployments
		// (0.2): low. Restore in exactly 3600 s: high, not elite.
		fs := doraflow.FactSet{Ships: map[string][]string{}}
		for d := 1; d <= 5; d++ {
			id := "d" + string(rune('0'+d))
			fs.Deployments = append(fs.Deployments, dep(id, "api", day(d).Add(12*time.Hour)))
			fs.Changes = append(fs.Changes, pr("c"+id, day(d-1).Add(12*time.Hour)))
			fs.Ships[id] = []string{"c" + id}
		}
		fs.Incidents = []doraflow.Incident{incident("i", "api", day(3).Add(13*time.Hour), day(3).Add(14*time.Hour))}
		h.Stage(fs)
		h.Promote()
		got := pipelinetest.Row(t, h.Metrics(window(1, 8)), "api").Levels
		want := map[string]metrics.Level{"deployment_frequency": "elite", "lead_time": "high", "change_failure_rate": "low", "time_to_restore": "high", "overall": "low"}
		for name, l := range map[string]*metrics.Level{"deployment_frequency": got.DeploymentFrequency, "lead_time": got.LeadTime, "change_failure_rate": got.ChangeFailureRate, "time_to_restore": got.TimeToRestore, "overall": got.Overall} {
			if l == nil || *l != want[name] {
				t.Errorf("level %s = %v, want %s", name, l, want[name])
			}
		}
	})
}

// explainFailed returns the failed deployments with the reason of their
// attribution, read from the events.
func explainFailed(t *testing.T, h *pipelinetest.Harness) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, svc := range []string{"api", "web", "db"} {
		events, active, err := h.Store.ServiceEvents(h.Ctx, []string{svc})
		must(t, err)
		for k, e := range events {
			if k.Kind == doraflow.EventIncident && active[k] && e.DeploymentID != "" {
				out[e.DeploymentID] = e.Reason
			}
		}
	}
	return out
}
