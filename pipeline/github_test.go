package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/config"
	"doraflow/extract/custom"
	"doraflow/extract/github"
	"doraflow/extract/github/githubfake"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/pipeline"
	"doraflow/pipeline/pipelinetest"
)

// ghHarness is a pipeline reading deployments from a fake GitHub.
type ghHarness struct {
	*pipelinetest.Harness
	srv *githubfake.Server
	src *github.Source
}

// newGHHarness serves a hand-built organisation: acme/api deploys with a
// deploy.yml workflow after each squash-merged pull request; acme/web
// deploys each merged pull request labelled deploy.
func newGHHarness(t *testing.T, blocks []doraflow.Block) *ghHarness {
	t.Helper()
	org := githubfake.NewOrg("acme", day(20))
	api := org.AddRepo("api")
	api.AddCommit(githubfake.CommitSpec{Message: "Initial commit", At: day(1)})
	for _, d := range []int{3, 6} {
		pr := api.AddPR(githubfake.PRSpec{Title: "API change", Labels: []string{"deploy"}, Commits: 2, CreatedAt: day(d), Merge: githubfake.MergeSquash, MergedAt: day(d).Add(2 * time.Hour)})
		api.AddRun(githubfake.RunSpec{Workflow: "deploy.yml", SHA: api.SHAOf(pr.MergeCommit), CreatedAt: day(d).Add(3 * time.Hour)})
	}
	web := org.AddRepo("web")
	web.AddCommit(githubfake.CommitSpec{Message: "Initial commit", At: day(1)})
	web.AddPR(githubfake.PRSpec{Title: "Web change", Labels: []string{"deploy"}, CreatedAt: day(4), Merge: githubfake.MergeSquash, MergedAt: day(4).Add(time.Hour)})
	web.AddPR(githubfake.PRSpec{Title: "Not deployed", CreatedAt: day(5), ClosedAt: day(5).Add(time.Hour)})

	srv := githubfake.NewServer(org, githubfake.Options{Token: "gh-token"})
	base := srv.Start()
	t.Cleanup(srv.Close)
	h := &ghHarness{srv: srv, Harness: pipelinetest.New(t, func(c *config.Config) {
		c.Deployments = blocks
		c.Schedule.InitialWindow = 30 * 24 * time.Hour
	})}
	h.Now = day(20)
	src, err := github.New(github.Options{BaseURL: base, Token: "gh-token", ETags: pipeline.NewETags(h.Store), Pending: pipeline.NewPending(h.Store),
		Sleep: func(context.Context, time.Duration) error { return nil }, Now: func() time.Time { return h.Now }})
	must(t, err)
	h.src = src
	h.P = pipeline.New(h.Cfg, h.Store, zerolog.Nop(), pipeline.WithExtractor(doraflow.SourceGitHub, src), pipeline.WithClock(func() time.Time { return h.Now }))
	return h
}

func TestGitHubSyncDedupRerunAndUpstreamDeletion(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := newGHHarness(t, []doraflow.Block{
			{Name: "api-deploys", Method: doraflow.MethodWorkflowRun, Repositories: []string{"acme/api"}, Environment: "production",
				Filters: doraflow.Filters{"workflow": "deploy.yml", "conclusion": "success"}},
			{Name: "web-merges", Method: doraflow.MethodMergedPR, Repositories: []string{"acme/web"}, Environment: "production",
				Filters: doraflow.Filters{"labels": []string{"deploy"}}},
			// Overlaps web-merges: the web pull request is still one deployment,
			// of the block listed first.
			{Name: "every-merge", Method: doraflow.MethodMergedPR, Repositories: []string{"acme/*"}, Environment: "staging"},
		})
		h.Sync()
		r := h.Metrics(window(1, 20))
		api, web := pipelinetest.Row(t, r, "api"), pipelinetest.Row(t, r, "web")
		// api: two deploy runs (production) + two merged PRs (staging, block
		// every-merge); web: one merged PR, claimed by web-merges.
		if api.Deployments != 4 || web.Deployments != 1 {
			t.Fatalf("deployments: api %d web %d, want 4 and 1\n%s", api.Deployments, web.Deployments, pipelinetest.JSON(r))
		}
		// Each api PR counts once per environment: 2 changes in production (via
		// compare from the runs) and 2 in staging.
		if api.Changes != 4 {
			t.Fatalf("api changes = %d, want 4", api.Changes)
		}
		// explain names the commits behind each change a run shipped (found
		// by compare; squash merges, so one commit each) and none for a
		// merged pull request, which ships itself.
		items, err := h.P.Explain(h.Ctx, pipeline.ExplainQuery{What: pipeline.ExplainChanges, From: day(1), To: day(20), Service: "api"})
		must(t, err)
		for _, it := range items {
			want := map[string][]string{"production": {it.SHA}, "staging": nil}[it.Environment]
			if !slices.Equal(it.Commits, want) {
				t.Errorf("explain change %s in %s: commits %v, want %v", it.ID, it.Environment, it.Commits, want)
			}
		}
		facts, err := h.Store.ServiceFacts(h.Ctx, []string{"web"})
		must(t, err)
		if len(facts.Deployments) != 1 || facts.Deployments[0].Block != "web-merges" || facts.Deployments[0].Environment != "production" {
			t.Fatalf("web PR = %+v, want block web-merges in production", facts.Deployments)
		}
		reports, counts := snapshot(h.Harness)

		// A second sync with nothing new upstream: all conditional, nothing new.
		h.Now = h.Now.Add(time.Hour)
		before := h.srv.Stats()
		h.Sync()
		after := h.srv.Stats()
		if again, againCounts := snapshot(h.Harness); pipelinetest.JSON(again) != pipelinetest.JSON(reports) || pipelinetest.JSON(againCounts) != pipelinetest.JSON(counts) {
			t.Fatalf("a no-change sync changed the store: %v -> %v", counts, againCounts)
		}
		// Every request is answered 304 but at most one (this tiny org's
		// repository listing); the benchmark checks the share at scale.
		if total, cached := after.Total-before.Total, after.NotModified-before.NotModified; total == 0 || cached < total-1 {
			t.Fatalf("second sync: %d of %d requests answered 304, want all but one", cached, total)
		}

		// GitHub forgets a deploy run: its deployment stays.
		h.srv.Update(func(o *githubfake.Org) {
			repo := o.Repo("api")
			repo.Runs = repo.Runs[1:]
		})
		if _, err := h.P.Backfill(h.Ctx, pipeline.BackfillOptions{From: day(1), To: day(20)}); err != nil {
			t.Fatal(err)
		}
		if again, _ := snapshot(h.Harness); pipelinetest.JSON(again) != pipelinetest.JSON(reports) {
			t.Fatal("a run deleted upstream changed the metrics")
		}
	})
}

// TestGitHubDeploysThatFinishLate syncs while a production deploy run
// waits eight days for approval and a GitHub deployment gets its success
// ten days after it was created: both are counted at the sync after they
// finish, though no listing of that sync reaches back to their creation,
// and nothing is left to check again.
func TestGitHubDeploysThatFinishLate(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := newGHHarness(t, []doraflow.Block{
			{Name: "api-deploys", Method: doraflow.MethodWorkflowRun, Repositories: []string{"acme/api"}, Environment: "production",
				Filters: doraflow.Filters{"workflow": "deploy.yml", "conclusion": "success"}},
			{Name: "api-github-deployments", Method: doraflow.MethodDeployment, Repositories: []string{"acme/api"},
				Filters: doraflow.Filters{"environment": "production"}},
		})
		var gated, slow int64
		h.srv.Update(func(o *githubfake.Org) {
			api := o.Repo("api")
			pr := api.AddPR(githubfake.PRSpec{Title: "Gated change", Commits: 1, CreatedAt: day(18), Merge: githubfake.MergeSquash, MergedAt: day(18).Add(time.Hour)})
			sha := api.SHAOf(pr.MergeCommit)
			gated = api.AddRun(githubfake.RunSpec{Workflow: "deploy.yml", SHA: sha, CreatedAt: day(19), Status: githubfake.StatusWaiting}).ID
			slow = api.AddDeployment(githubfake.DeploymentSpec{SHA: sha, CreatedAt: day(19),
				Statuses: []githubfake.StatusSpec{{State: "pending", At: day(19).Add(time.Minute)}}}).ID
		})
		deployments := func() int64 {
			t.Helper()
			return pipelinetest.Row(t, h.Metrics(window(1, 31)), "api").Deployments
		}
		h.Sync()
		if n := deployments(); n != 2 {
			t.Fatalf("first sync: %d api deployments, want the 2 finished runs", n)
		}
		h.Now = day(25)
		h.Sync()
		if n := deployments(); n != 2 {
			t.Fatalf("second sync: %d api deployments, want 2: the gated run waits", n)
		}
		approved, succeeded := day(29).Add(20*time.Minute), day(29).Add(2*time.Hour)
		h.srv.Update(func(o *githubfake.Org) {
			api := o.Repo("api")
			api.FinishRun(gated, "", day(29), approved)
			api.AddDeploymentStatus(slow, githubfake.StatusSpec{State: "success", At: succeeded})
		})
		h.Now = day(30)
		h.Sync()
		if n := deployments(); n != 4 {
			t.Fatalf("sync after the approval: %d api deployments, want 4 (2 + the gated run + the late deployment)", n)
		}
		facts, err := h.Store.ServiceFacts(h.Ctx, []string{"api"})
		must(t, err)
		want := map[string]time.Time{"acme/api#run-" + itoaID(gated): approved, "acme/api#deployment-" + itoaID(slow): succeeded}
		for _, d := range facts.Deployments {
			if at, ok := want[d.ID]; ok {
				if !d.DeployedAt.Equal(at) {
					t.Errorf("%s deployed at %v, want %v", d.ID, d.DeployedAt, at)
				}
				delete(want, d.ID)
			}
		}
		if len(want) != 0 {
			t.Errorf("not stored: %v", want)
		}
		left, err := h.Store.StatePrefix(h.Ctx, "pending/")
		must(t, err)
		for _, e := range left {
			if e.Value != "" {
				t.Errorf("still to check again: %s = %q", e.Key, e.Value)
			}
		}
		if len(left) != 2 {
			t.Errorf("%d pending keys, want the 2 that were remembered, now forgotten", len(left))
		}
	})
}

func itoaID(id int64) string { return strconv.FormatInt(id, 10) }

func TestCustomDeploymentShipsTheCommitsSinceThePreviousOne(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := newGHHarness(t, []doraflow.Block{{Name: "manual", Method: doraflow.MethodCustom}})
		org := h.srv
		var first, second string
		org.Update(func(o *githubfake.Org) {
			api := o.Repo("api")
			first = api.SHAOf(api.PRs[0].MergeCommit).String()
			second = api.SHAOf(api.PRs[1].MergeCommit).String()
		})
		for _, rec := range []custom.DeploymentRecord{
			{ID: "c1", Service: "api", Repository: "acme/api", SHA: first, DeployedAt: "2024-01-04T00:00:00Z"},
			{ID: "c2", Service: "api", Repository: "acme/api", SHA: second, DeployedAt: "2024-01-08T00:00:00Z"},
		} {
			if _, _, err := h.P.RecordDeployment(h.Ctx, rec); err != nil {
				t.Fatal(err)
			}
		}
		h.Sync()
		facts, err := h.Store.FactsByID(h.Ctx, []string{"c1", "c2"}, nil, nil)
		must(t, err)
		// c1 is the first deployment known: it ships only its own commit, the
		// first pull request; c2 ships what came since c1: the second one.
		want := map[string]string{"c1": "acme/api#pr-1", "c2": "acme/api#pr-2"}
		for id, change := range want {
			if got := facts.Ships[id]; len(got) != 1 || got[0] != change {
				t.Errorf("%s ships %v, want [%s]", id, got, change)
			}
		}
		if got := pipelinetest.Row(t, h.Metrics(window(1, 20)), "api"); got.Changes != 2 || got.LeadTimeMedian == nil {
			t.Fatalf("api: %d changes, lead %v; want 2 with a lead time", got.Changes, show(got.LeadTimeMedian))
		}
	})
}

func TestGitHubWatermarkPerRepository(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := newGHHarness(t, []doraflow.Block{{Name: "deploys", Method: doraflow.MethodWorkflowRun, Repositories: []string{"acme/api", "acme/gone"},
			Filters: doraflow.Filters{"workflow": "deploy.yml", "conclusion": "success"}}})
		if _, err := h.P.Sync(h.Ctx, pipeline.SyncOptions{}); !errors.Is(err, github.ErrRepositories) {
			t.Fatalf("sync with a missing repository: %v, want github.ErrRepositories", err)
		}
		marks, err := h.Store.StatePrefix(h.Ctx, "watermark/github/")
		must(t, err)
		// acme/api was read in full and moves on; acme/gone and the block as a
		// whole keep their place, so the next sync reads acme/gone from the start.
		if len(marks) != 1 || marks[0].Key != "watermark/github/deploys/acme/api" {
			t.Fatalf("watermarks = %+v, want only acme/api's", marks)
		}
		if got := pipelinetest.Row(t, h.Metrics(window(1, 20)), "api"); got.Deployments != 2 {
			t.Fatalf("api deployments = %d, want 2 despite the missing repository", got.Deployments)
		}
	})
}

// TestGitHubRebaseMergeIsOneChange checks that a rebase-merged pull
// request deployed by a workflow run counts as one change, with its labels,
// not as its rebased commits (docs/metrics.md: a commit GitHub associates
// with a merged pull request is that pull request).
func TestGitHubRebaseMergeIsOneChange(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := newGHHarness(t, []doraflow.Block{{Name: "api-deploys", Method: doraflow.MethodWorkflowRun, Repositories: []string{"acme/api"},
			Environment: "production", Filters: doraflow.Filters{"workflow": "deploy.yml", "conclusion": "success"}}})
		var rebased []string
		h.srv.Update(func(o *githubfake.Org) {
			api := o.Repo("api")
			pr := api.AddPR(githubfake.PRSpec{Title: "Fix the outage", Labels: []string{"hotfix"}, Commits: 3, CreatedAt: day(8),
				Merge: githubfake.MergeRebase, MergedAt: day(8).Add(2 * time.Hour)})
			for k := pr.MergeCommit - pr.NumCommits + 1; k <= pr.MergeCommit; k++ {
				rebased = append(rebased, api.SHAOf(k).String())
			}
			api.AddRun(githubfake.RunSpec{Workflow: "deploy.yml", SHA: api.SHAOf(pr.MergeCommit), CreatedAt: day(8).Add(3 * time.Hour)})
		})
		h.Sync()
		// Three runs: the first ships its own commit (#1), then #2, then
		// #3 and its three rebased commits as one change.
		got := pipelinetest.Row(t, h.Metrics(window(1, 20)), "api")
		if got.Deployments != 3 || got.Changes != 3 || got.ReworkDeployments != 1 {
			t.Fatalf("api: %d deployments, %d changes, %d rework deployments; want 3, 3 and 1\n%s", got.Deployments, got.Changes, got.ReworkDeployments, pipelinetest.JSON(got))
		}
		items, err := h.P.Explain(h.Ctx, pipeline.ExplainQuery{What: pipeline.ExplainChanges, From: day(1), To: day(20), Service: "api"})
		must(t, err)
		found := false
		for _, it := range items {
			if it.ID == "acme/api#pr-3" {
				found = true
				if !slices.Equal(it.Commits, rebased) {
					t.Errorf("explain %s: commits %v, want the rebased %v", it.ID, it.Commits, rebased)
				}
			}
		}
		if len(items) != 3 || !found {
			t.Errorf("explain lists %d changes (acme/api#pr-3 among them: %v), want 3", len(items), found)
		}
	})
}

// TestGitHubReleasesPastTheListingCap checks that a repository with more
// releases than GitHub's release listing reaches (1,000) syncs every one of
// them instead of failing.
func TestGitHubReleasesPastTheListingCap(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := newGHHarness(t, []doraflow.Block{{Name: "web-releases", Method: doraflow.MethodRelease, Repositories: []string{"acme/web"},
			Environment: "production"}})
		const n = 1050
		h.srv.Update(func(o *githubfake.Org) {
			web := o.Repo("web")
			for i := range n {
				at := day(10).Add(time.Duration(i) * time.Minute)
				sha := web.AddCommit(githubfake.CommitSpec{Message: "Release prep", At: at})
				web.AddRelease(githubfake.ReleaseSpec{Tag: fmt.Sprintf("v1.0.%d", i), SHA: sha, PublishedAt: at.Add(time.Minute)})
			}
		})
		h.Sync()
		// Each release ships its one new commit, the first only its own.
		if got := pipelinetest.Row(t, h.Metrics(window(1, 20)), "web"); got.Deployments != n || got.Changes != n {
			t.Fatalf("web: %d deployments, %d changes; want %d and %d", got.Deployments, got.Changes, n, n)
		}
	})
}
