package pipeline_test

import (
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/config"
	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/metrics"
	"doraflow/pipeline"
	"doraflow/pipeline/pipelinetest"
	"doraflow/report"
)

// TestConfigChangesRebuildWithoutManualPromote changes the time zone and
// the services map under synced data (issue #18): read before anything
// ran, the readers are told which settings changed and to run promote;
// after the next sync, which rebuilds by itself, every reader (metrics
// from the rollup and from the events, explain, the report) agrees with
// the new config, and nothing is stale any more.
func TestConfigChangesRebuildWithoutManualPromote(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := newGHHarness(t, []doraflow.Block{
			{Name: "api-deploys", Method: doraflow.MethodWorkflowRun, Repositories: []string{"acme/api"}, Environment: "production",
				Filters: doraflow.Filters{"workflow": "deploy.yml", "conclusion": "success"}},
			{Name: "web-merges", Method: doraflow.MethodMergedPR, Repositories: []string{"acme/web"}, Environment: "production",
				Filters: doraflow.Filters{"labels": []string{"deploy"}}},
		})
		h.Sync()
		stale, err := h.P.StaleSettings(h.Ctx)
		must(t, err)
		if len(stale) != 0 {
			t.Fatalf("right after a sync: stale %v, want none", stale)
		}

		la, err := time.LoadLocation("America/Los_Angeles")
		must(t, err)
		cfg := *h.Cfg
		cfg.Location, cfg.Timezone = la, la.String()
		// acme/web becomes service site; api moves to team core.
		cfg.Services = []config.Service{
			{Name: "api", Team: "core", Repositories: []string{"acme/api"}},
			{Name: "site", Team: "frontend", Repositories: []string{"acme/web"}},
		}
		p := pipeline.New(&cfg, h.Store, zerolog.Nop(), pipeline.WithExtractor(doraflow.SourceGitHub, h.src), pipeline.WithClock(func() time.Time { return h.Now }))

		// Midnight in Los Angeles, 2024-01-03 to 2024-01-20: the api run of
		// 01-03 03:00 UTC is 01-02 in Los Angeles and falls outside; the
		// api run of 01-06 and the web merge of 01-04 01:00 UTC are in.
		q := metrics.Query{From: time.Date(2024, 1, 3, 0, 0, 0, 0, la), To: time.Date(2024, 1, 20, 0, 0, 0, 0, la), Location: la,
			GroupBy: metrics.GroupService, Period: metrics.PeriodNone}

		// Before any promote: the readers must be told, and they were right
		// to be, since the rollup still counts days in UTC.
		stale, err = p.StaleSettings(h.Ctx)
		must(t, err)
		if want := []string{"timezone", "services"}; !slices.Equal(stale, want) {
			t.Fatalf("stale settings %v, want %v", stale, want)
		}
		warning := pipeline.StaleWarning(stale)
		for _, want := range []string{"timezone, services", "run `doraflow promote`"} {
			if !strings.Contains(warning, want) || strings.Contains(warning, "\n") {
				t.Fatalf("warning %q: want one line naming %q", warning, want)
			}
		}
		before, err := p.Metrics(h.Ctx, q, pipeline.MetricsOptions{})
		must(t, err)
		if got := pipelinetest.Row(t, before, "api"); got.Deployments != 2 || got.Team != "platform" {
			t.Fatalf("stale rollup: api %d deployments of team %q, want the old config's 2 of platform", got.Deployments, got.Team)
		}
		// Reading wrote nothing.
		stale, err = p.StaleSettings(h.Ctx)
		must(t, err)
		if len(stale) != 2 {
			t.Fatalf("after reading: stale %v, want still timezone and services", stale)
		}

		// The next sync rebuilds by itself.
		h.P, h.Cfg = p, &cfg
		res := h.Sync()
		if !res.Promote.Rebuilt || !slices.Equal(res.Promote.Changed, []string{"timezone", "services"}) {
			t.Fatalf("sync: rebuilt %v for %v, want a rebuild for timezone and services", res.Promote.Rebuilt, res.Promote.Changed)
		}
		// Both web deployments facts (merged PR) and api's two runs follow the
		// new services: api's team and web's service changed.
		if res.Promote.Retagged != 3 {
			t.Fatalf("sync retagged %d facts, want 3 (two api runs, one web merge)", res.Promote.Retagged)
		}
		stale, err = p.StaleSettings(h.Ctx)
		must(t, err)
		if len(stale) != 0 {
			t.Fatalf("after the sync: stale %v, want none", stale)
		}

		r := h.Metrics(q) // rollup and events agree
		if len(r.Rows) != 2 {
			t.Fatalf("rows %s, want api and site only", pipelinetest.JSON(r))
		}
		api, site := pipelinetest.Row(t, r, "api"), pipelinetest.Row(t, r, "site")
		if api.Deployments != 1 || api.Team != "core" || site.Deployments != 1 || site.Team != "frontend" {
			t.Fatalf("metrics: api %d (%s), site %d (%s); want 1 (core) and 1 (frontend)", api.Deployments, api.Team, site.Deployments, site.Team)
		}
		items, err := p.Explain(h.Ctx, pipeline.ExplainQuery{What: pipeline.ExplainDeployments, From: q.From, To: q.To})
		must(t, err)
		var listed []string
		for _, it := range items {
			listed = append(listed, it.Service+"/"+it.Team)
		}
		sort.Strings(listed)
		if want := []string{"api/core", "site/frontend"}; !slices.Equal(listed, want) {
			t.Fatalf("explain deployments: %v, want %v", listed, want)
		}
		data, err := report.Collect(h.Ctx, p, report.Query{From: q.From, To: q.To, Location: la, GroupBy: metrics.GroupService})
		must(t, err)
		if data.Summary.Deployments != 2 || len(data.Rows) != 2 {
			t.Fatalf("report: %d deployments in %d rows, want 2 in 2", data.Summary.Deployments, len(data.Rows))
		}

		// A promote with nothing changed rebuilds nothing.
		if res := h.Promote(); res.Rebuilt || len(res.Changed) != 0 || res.Retagged != 0 {
			t.Fatalf("second promote: rebuilt %v changed %v retagged %d, want nothing", res.Rebuilt, res.Changed, res.Retagged)
		}
	})
}

// TestBlockOrderChangeRebuildsOnPromote swaps two blocks that match the
// same pull request: the block listed first keeps it, so promote alone
// (no source read) re-promotes staging and the deployment moves to the
// other block's environment.
func TestBlockOrderChangeRebuildsOnPromote(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		blocks := []doraflow.Block{
			{Name: "web-merges", Method: doraflow.MethodMergedPR, Repositories: []string{"acme/web"}, Environment: "production",
				Filters: doraflow.Filters{"labels": []string{"deploy"}}},
			{Name: "every-merge", Method: doraflow.MethodMergedPR, Repositories: []string{"acme/web"}, Environment: "staging"},
		}
		h := newGHHarness(t, blocks)
		h.Sync()
		envOf := func() []string {
			t.Helper()
			facts, err := h.Store.ServiceFacts(h.Ctx, []string{"web"})
			must(t, err)
			var out []string
			for _, d := range facts.Deployments {
				out = append(out, d.Block+"/"+d.Environment)
			}
			return out
		}
		if got := envOf(); !slices.Equal(got, []string{"web-merges/production"}) {
			t.Fatalf("before: %v, want web-merges/production", got)
		}
		cfg := *h.Cfg
		cfg.Deployments = []doraflow.Block{blocks[1], blocks[0]}
		h.P, h.Cfg = pipeline.New(&cfg, h.Store, zerolog.Nop()), &cfg
		stale, err := h.P.StaleSettings(h.Ctx)
		must(t, err)
		if !slices.Equal(stale, []string{"blocks"}) {
			t.Fatalf("stale %v, want blocks", stale)
		}
		res := h.Promote()
		if !slices.Equal(res.Changed, []string{"blocks"}) || res.FactRows["deployments"] != 1 {
			t.Fatalf("promote: changed %v, %d deployment facts written; want blocks and 1", res.Changed, res.FactRows["deployments"])
		}
		if got := envOf(); !slices.Equal(got, []string{"every-merge/staging"}) {
			t.Fatalf("after: %v, want every-merge/staging", got)
		}
		r := h.Metrics(window(1, 20))
		if web := pipelinetest.Row(t, r, "web"); web.Deployments != 1 {
			t.Fatalf("web deployments %d, want 1", web.Deployments)
		}
	})
}

// TestPagerDutyServicesChangeRetags moves a PagerDuty service from one
// doraflow service to another in services[].pagerduty_services: the next
// promote, without reading PagerDuty again, retags the incidents read
// from it (their PagerDuty service is stored with them, migration 0014),
// while an incident stored without it keeps its service.
func TestPagerDutyServicesChangeRetags(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.NewPagerDuty(t, []doraflow.Block{{Name: "pd", Method: doraflow.MethodPagerDuty}})
		at := time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC)
		h.Add(pagerdutyfake.Incident{ServiceID: "PAPI", Title: "api down", CreatedAt: at, ResolvedAt: at.Add(time.Hour)})
		h.Add(pagerdutyfake.Incident{ServiceID: "PDB", Title: "db slow", CreatedAt: at.Add(time.Hour), ResolvedAt: at.Add(2 * time.Hour)})
		// As an older doraflow stored it: no PagerDuty service.
		h.Stage(doraflow.FactSet{Incidents: []doraflow.Incident{{ID: "QOLD", Source: doraflow.SourcePagerDuty, Block: "pd", Service: "api", Team: "platform",
			CreatedAt: at.Add(2 * time.Hour), ResolvedAt: at.Add(3 * time.Hour), Title: "stored before 0014"}}})
		if res := h.Sync(); res.Incidents != 2 {
			t.Fatalf("sync staged %d incidents, want 2", res.Incidents)
		}
		q := metrics.Query{From: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 1, 20, 0, 0, 0, 0, time.UTC)}
		r := h.Metrics(q)
		if api, db := pipelinetest.Row(t, r, "api"), pipelinetest.Row(t, r, "db"); api.Incidents != 2 || db.Incidents != 1 {
			t.Fatalf("before: api %d incidents, db %d; want 2 and 1", api.Incidents, db.Incidents)
		}

		cfg := *h.Cfg
		cfg.Services = slices.Clone(h.Cfg.Services)
		cfg.Services[0].PagerDutyServices = nil
		cfg.Services[2].PagerDutyServices = []string{"PAPI"}
		h.P, h.Cfg = pipeline.New(&cfg, h.Store, zerolog.Nop(), pipeline.WithClock(func() time.Time { return h.Now })), &cfg
		res := h.Promote()
		if !slices.Equal(res.Changed, []string{"services"}) || res.Retagged != 1 {
			t.Fatalf("promote: changed %v retagged %d, want services and 1 (the PAPI incident)", res.Changed, res.Retagged)
		}
		r = h.Metrics(q)
		if api, db := pipelinetest.Row(t, r, "api"), pipelinetest.Row(t, r, "db"); api.Incidents != 1 || db.Incidents != 2 {
			t.Fatalf("after: api %d incidents (want 1: the one stored without its PagerDuty service), db %d (want 2)", api.Incidents, db.Incidents)
		}
	})
}
