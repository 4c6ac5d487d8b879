package pipeline_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/config"
	"doraflow/extract/github"
	"doraflow/extract/github/githubfake"
	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/pipeline"
	"doraflow/pipeline/pipelinetest"
)

// newPreviewHarness serves acme/app with hand-built objects of every
// GitHub method and a pipeline over blocks, with the GitHub source
// storing ETags in ClickHouse (a preview must use none).
func newPreviewHarness(t *testing.T, blocks []doraflow.Block) *ghHarness {
	t.Helper()
	org := githubfake.NewOrg("acme", day(20))
	app := org.AddRepo("app")
	app.AddCommit(githubfake.CommitSpec{Message: "Initial commit", At: day(1)})
	for i, labels := range [][]string{{"deploy"}, {"deploy"}, {"deploy", "skip-deploy"}, nil, {"docs"}} {
		app.AddPR(githubfake.PRSpec{Labels: labels, CreatedAt: day(2 + i), Merge: githubfake.MergeSquash, MergedAt: day(2 + i).Add(time.Hour)})
	}
	app.AddPR(githubfake.PRSpec{Labels: []string{"deploy"}, CreatedAt: day(9), ClosedAt: day(9).Add(time.Hour)}) // closed unmerged: not listed
	for i, r := range []githubfake.RunSpec{
		{Workflow: "deploy.yml"},
		{Workflow: "deploy.yml"},
		{Workflow: "deploy.yml", Conclusion: "failure"},
		{Workflow: "deploy.yml", Branch: "feature"},
		{Workflow: "ci.yml"},
		{Workflow: "ci.yml"},
	} {
		if r.Branch != "" {
			app.AddCommit(githubfake.CommitSpec{Branch: r.Branch, At: day(10)})
		}
		r.CreatedAt = day(10 + i)
		app.AddRun(r)
	}
	for i, r := range []githubfake.ReleaseSpec{{Tag: "v1.0.0"}, {Tag: "v1.1.0-rc1", Prerelease: true}, {Tag: "nightly-1"}, {Tag: "v1.1.0"}} {
		r.CreatedAt, r.PublishedAt = day(11+i), day(11+i)
		app.AddRelease(r)
	}
	for i, env := range []string{"production", "staging", "production"} {
		st := []githubfake.StatusSpec{{State: "success", At: day(12 + i).Add(time.Hour)}}
		if i == 2 {
			st = []githubfake.StatusSpec{{State: "failure", At: day(12 + i).Add(time.Hour)}}
		}
		app.AddDeployment(githubfake.DeploymentSpec{Environment: env, CreatedAt: day(12 + i), Statuses: st})
	}
	srv := githubfake.NewServer(org, githubfake.Options{Token: "gh-token"})
	base := srv.Start()
	t.Cleanup(srv.Close)
	h := &ghHarness{srv: srv, Harness: pipelinetest.New(t, func(c *config.Config) { c.Deployments = blocks })}
	h.Now = day(20)
	src, err := github.New(github.Options{BaseURL: base, Token: "gh-token", ETags: pipeline.NewETags(h.Store), Pending: pipeline.NewPending(h.Store),
		Sleep: func(context.Context, time.Duration) error { return nil }})
	must(t, err)
	h.P = pipeline.New(h.Cfg, h.Store, zerolog.Nop(), pipeline.WithExtractor(doraflow.SourceGitHub, src), pipeline.WithClock(func() time.Time { return h.Now }))
	return h
}

// rowCounts counts the rows of every table doraflow writes (the others
// of the database are views over them), pipeline_state (ETags,
// watermarks) included.
func rowCounts(h *pipelinetest.Harness) map[string]uint64 {
	h.T.Helper()
	out := map[string]uint64{}
	for _, tb := range []string{"stg_deployments", "stg_changes", "stg_ships", "stg_incidents",
		"deployments", "changes", "ships", "incidents", "dora_events", "dora_daily", "pipeline_state"} {
		n, err := h.Store.RowCount(h.Ctx, tb)
		must(h.T, err)
		out[tb] = n
	}
	return out
}

func previewOf(t *testing.T, p *pipeline.Pipeline, block string) pipeline.PreviewResult {
	t.Helper()
	res, err := p.Preview(context.Background(), block, 30)
	must(t, err)
	return res
}

func checkFunnel(t *testing.T, got pipeline.Funnel, want pipeline.Funnel) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("funnel:\n got %+v\nwant %+v", got, want)
	}
}

func TestPreviewGitHubFunnels(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		repo := []string{"acme/app"}
		h := newPreviewHarness(t, []doraflow.Block{
			{Name: "merges", Method: doraflow.MethodMergedPR, Repositories: repo,
				Filters: doraflow.Filters{"labels": []string{"deploy"}, "exclude_labels": []string{"skip-deploy"}}},
			{Name: "runs", Method: doraflow.MethodWorkflowRun, Repositories: repo,
				Filters: doraflow.Filters{"workflow": "deploy.yml", "branch": "main", "conclusion": "success"}},
			{Name: "releases", Method: doraflow.MethodRelease, Repositories: repo, Filters: doraflow.Filters{"tag_pattern": "v*"}},
			{Name: "deploys", Method: doraflow.MethodDeployment, Repositories: repo, Filters: doraflow.Filters{"environment": "production"}},
			{Name: "nothing", Method: doraflow.MethodMergedPR, Repositories: repo, Filters: doraflow.Filters{"labels": []string{"no-such-label"}}},
		})
		before := rowCounts(h.Harness)

		merges := previewOf(t, h.P, "merges")
		checkFunnel(t, merges.Funnel, pipeline.Funnel{Listed: 5, Matched: 2, Filters: []pipeline.FilterCount{
			{"without label deploy", 2}, {"with label skip-deploy", 1}}})
		if len(merges.Matches) != 2 || merges.Matches[0].URL == "" || !merges.Matches[0].At.Before(merges.Matches[1].At) {
			t.Errorf("matches: %+v", merges.Matches)
		}
		checkFunnel(t, previewOf(t, h.P, "runs").Funnel, pipeline.Funnel{Listed: 6, Matched: 2, Filters: []pipeline.FilterCount{
			{"workflow not deploy.yml", 2}, {"branch not main", 1}, {"conclusion not success", 1}}})
		checkFunnel(t, previewOf(t, h.P, "releases").Funnel, pipeline.Funnel{Listed: 4, Matched: 2, Filters: []pipeline.FilterCount{
			{"tag not matching v*", 1}, {"prerelease", 1}}})
		checkFunnel(t, previewOf(t, h.P, "deploys").Funnel, pipeline.Funnel{Listed: 3, Matched: 1, Filters: []pipeline.FilterCount{
			{"environment not production", 1}, {"no success status in the window", 1}}})
		nothing := previewOf(t, h.P, "nothing")
		if nothing.Funnel.Matched != 0 || len(nothing.Matches) != 0 || len(nothing.Overlaps) != 0 {
			t.Errorf("nothing: %+v", nothing)
		}

		// A preview stores nothing: no staging, no facts, no ETags.
		if after := rowCounts(h.Harness); !reflect.DeepEqual(after, before) {
			t.Errorf("row counts changed:\nbefore %v\n after %v", before, after)
		}
	})
}

func TestPreviewOverlapNamesTheEarlierBlock(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		repo := []string{"acme/app"}
		h := newPreviewHarness(t, []doraflow.Block{
			{Name: "deploy-label", Method: doraflow.MethodMergedPR, Repositories: repo, Filters: doraflow.Filters{"labels": []string{"deploy"}}},
			{Name: "releases", Method: doraflow.MethodRelease, Repositories: repo},
			{Name: "every-merge", Method: doraflow.MethodMergedPR, Repositories: repo},
		})
		res := previewOf(t, h.P, "every-merge")
		if res.Funnel.Matched != 5 {
			t.Errorf("matched %d, want 5", res.Funnel.Matched)
		}
		if want := []pipeline.Overlap{{Block: "deploy-label", Shared: 3}}; !reflect.DeepEqual(res.Overlaps, want) {
			t.Errorf("overlaps %+v, want %+v", res.Overlaps, want)
		}
		// The first block is claimed by none.
		if first := previewOf(t, h.P, "deploy-label"); len(first.Overlaps) != 0 {
			t.Errorf("first block overlaps %+v", first.Overlaps)
		}
	})
}

func TestPreviewUnknownBlockAndUnconfiguredSource(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := newPreviewHarness(t, []doraflow.Block{{Name: "merges", Method: doraflow.MethodMergedPR, Repositories: []string{"acme/app"}}})
		if _, err := h.P.Preview(h.Ctx, "nope", 30); !errors.Is(err, pipeline.ErrUnknownBlock) {
			t.Errorf("unknown block: %v", err)
		}
		h.Cfg.Incidents = []doraflow.Block{{Name: "pd", Method: doraflow.MethodPagerDuty}}
		if _, err := h.P.Preview(h.Ctx, "pd", 30); !errors.Is(err, pipeline.ErrNotConfigured) {
			t.Errorf("pagerduty without a source: %v", err)
		}
	})
}

func TestPreviewPagerDutyFunnel(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.NewPagerDuty(t, []doraflow.Block{
			{Name: "high", Method: doraflow.MethodPagerDuty, Filters: doraflow.Filters{"urgency": "high", "priorities": []string{"P1"}}},
		})
		first := h.Add(pagerdutyfake.Incident{ServiceID: "PAPI", Urgency: "high", PriorityID: "PP1", CreatedAt: day(5)})
		h.Add(pagerdutyfake.Incident{ServiceID: "PAPI", Urgency: "high", CreatedAt: day(6)})
		h.Add(pagerdutyfake.Incident{ServiceID: "PWEB", Urgency: "low", PriorityID: "PP1", CreatedAt: day(7)})
		h.Add(pagerdutyfake.Incident{ServiceID: "PWEB", Urgency: "low", CreatedAt: day(8)})
		// A duplicate the block matches, merged into the first: no
		// incident of its own.
		h.Add(pagerdutyfake.Incident{ServiceID: "PAPI", Urgency: "high", PriorityID: "PP1", CreatedAt: day(5).Add(time.Minute),
			ResolvedAt: day(5).Add(3 * time.Minute), MergedInto: first})
		before := rowCounts(h)
		res := previewOf(t, h.P, "high")
		checkFunnel(t, res.Funnel, pipeline.Funnel{Listed: 5, Matched: 1, Filters: []pipeline.FilterCount{
			{"urgency not high", 2}, {"priority not P1", 1}, {"merged into another incident", 1}}})
		if len(res.Matches) != 1 || res.Matches[0].URL == "" {
			t.Errorf("matches %+v", res.Matches)
		}
		if after := rowCounts(h); !reflect.DeepEqual(after, before) {
			t.Errorf("row counts changed:\nbefore %v\n after %v", before, after)
		}
	})
}
