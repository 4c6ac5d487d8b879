package github_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"doraflow"
	"doraflow/extract/github"
	"doraflow/extract/github/githubfake"
	"doraflow/internal/fakeapi"
	"doraflow/internal/openapitest"
)

// TestFakeMatchesOpenAPI holds the fake GitHub to GitHub's own OpenAPI
// description: it records every exchange the extractor (go-github under
// the retry layer) has with the fake while reading every method, with and
// without ETags, listing repositories, and meeting the fake's 304s,
// errors, rate limits and faults, then checks each response (status,
// declared headers, body schema) and each request's parameters against
// the operation it names. Whatever the extractor asks is checked, so a
// new call is covered as soon as a scenario makes it.
func TestFakeMatchesOpenAPI(t *testing.T) {
	desc := openapitest.GitHub(t)
	f := handMade(t)
	gen := githubfake.Generate(1, githubfake.Size{PRsPerRepo: 15, RunsPerRepo: 25, DeploymentsPerRepo: 8, ReleasesPerRepo: 5, Now: future})
	every := []doraflow.Block{
		block(doraflow.MethodMergedPR, doraflow.Filters{"base_branch": "main", "exclude_labels": []string{"skip-deploy"}, "paths": []string{"src/**", "services/**"}}),
		block(doraflow.MethodWorkflowRun, doraflow.Filters{"workflow": "deploy.yml", "branch": "main", "event": "push"}),
		block(doraflow.MethodWorkflowRun, doraflow.Filters{}), // every run of the repository
		block(doraflow.MethodRelease, doraflow.Filters{"tag_pattern": "v*", "prerelease": true}),
		block(doraflow.MethodDeployment, doraflow.Filters{"environment": "production"}),
		block(doraflow.MethodDeployment, doraflow.Filters{}),
	}
	// readAll reads every block with src, in turn, ignoring errors (some
	// scenarios are all errors).
	readAll := func(src *github.Source, blocks []doraflow.Block, hist github.History, since, until time.Time) {
		for _, b := range blocks {
			_, _ = src.Read(context.Background(), b, since, until, hist, func(context.Context, doraflow.FactSet) error { return nil })
		}
	}
	overGenerated := func(blocks []doraflow.Block) []doraflow.Block {
		out := make([]doraflow.Block, len(blocks))
		for i, b := range blocks {
			b.Repositories = []string{"acme/*"}
			out[i] = b
		}
		return out
	}
	tests := []struct {
		name string
		org  *githubfake.Org
		opts githubfake.Options
		// clock starts the fake's and the Source's clock (default: the
		// organisation's now).
		clock time.Time
		edit  func(*github.Options)
		run   func(t *testing.T, src *github.Source)
	}{
		{name: "every method, then again with ETags (304s)", org: f.org, run: func(t *testing.T, src *github.Source) {
			readAll(src, every, nil, monthSince, monthUntil)
			readAll(src, every, nil, monthSince, monthUntil)
		}, edit: func(o *github.Options) { o.ETags = newMemStore() }},
		{name: "every method against a history", org: f.org, run: func(t *testing.T, src *github.Source) {
			readAll(src, every, history{"acme/api production": f.root.String(), "acme/api staging": f.lone1.String()}, monthSince, monthUntil)
		}},
		{name: "generated organisation, owner glob", org: gen, run: func(t *testing.T, src *github.Source) {
			readAll(src, overGenerated(every), nil, gen.Now.AddDate(0, 0, -90), gen.Now)
			if _, err := src.Repositories(context.Background(), []string{"nobody/*", "acme/a*"}); err == nil {
				t.Error("listing nobody/* did not fail")
			}
		}},
		{name: "shipped, and unknown commits", org: f.org, run: func(t *testing.T, src *github.Source) {
			for _, c := range [][2]string{{"", f.squash1.String()}, {f.lone1.String(), f.squash5.String()}, {f.squash5.String(), f.merge2.String()},
				{"", strings.Repeat("0", 40)}, {strings.Repeat("1", 40), f.squash5.String()}} {
				_, _, _ = src.Shipped(context.Background(), "acme/api", c[0], c[1])
			}
		}},
		{name: "missing repository", org: f.org, run: func(t *testing.T, src *github.Source) {
			blocks := make([]doraflow.Block, len(every))
			for i, b := range every {
				b.Repositories = []string{"acme/nope"}
				blocks[i] = b
			}
			readAll(src, blocks, nil, monthSince, monthUntil)
		}},
		{name: "bad credentials", org: f.org, edit: func(o *github.Options) { o.Token = "ghp_wrongTOKENx81" }, run: func(t *testing.T, src *github.Source) {
			readAll(src, every[:1], nil, monthSince, monthUntil)
		}},
		{name: "primary rate limit", org: gen, clock: future, opts: githubfake.Options{Budget: 40}, run: func(t *testing.T, src *github.Source) {
			readAll(src, overGenerated(every[:2]), nil, gen.Now.AddDate(0, 0, -60), gen.Now)
		}},
		{name: "secondary rate limit, 403", org: gen, clock: future, opts: githubfake.Options{SecondaryEvery: 7}, run: func(t *testing.T, src *github.Source) {
			readAll(src, overGenerated(every[:1]), nil, gen.Now.AddDate(0, 0, -60), gen.Now)
		}},
		{name: "secondary rate limit, 429", org: gen, clock: future, opts: githubfake.Options{SecondaryEvery: 7, SecondaryStatus: http.StatusTooManyRequests}, run: func(t *testing.T, src *github.Source) {
			readAll(src, overGenerated(every[:1]), nil, gen.Now.AddDate(0, 0, -60), gen.Now)
		}},
		{name: "server errors", org: f.org, opts: githubfake.Options{Faults: fakeapi.First(
			fakeapi.FailEvery(5, fakeapi.Fault{Status: http.StatusBadGateway}),
			fakeapi.FailEvery(7, fakeapi.Fault{Status: http.StatusServiceUnavailable}),
			fakeapi.FailEvery(11, fakeapi.Fault{Status: http.StatusInternalServerError}))},
			run: func(t *testing.T, src *github.Source) { readAll(src, every, nil, monthSince, monthUntil) }},
	}
	// covered counts, over every scenario, the exchanges per operation and
	// status.
	covered := map[string]map[int]int{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := tt.clock
			if start.IsZero() {
				start = tt.org.Now
			}
			clk := newClock(start)
			opts := tt.opts
			opts.Now = clk.Now
			srv := startFake(t, tt.org, opts)
			tape := &openapitest.Tape{}
			src := newSource(t, srv.URL(), clk, func(o *github.Options) {
				o.Base = tape
				if tt.edit != nil {
					tt.edit(o)
				}
			})
			tt.run(t, src)
			root, err := url.Parse(srv.URL())
			if err != nil {
				t.Fatal(err)
			}
			exchanges := tape.Exchanges()
			if len(exchanges) == 0 || int64(len(exchanges)) != srv.Stats().Total {
				t.Fatalf("%d exchanges recorded, the fake answered %d requests", len(exchanges), srv.Stats().Total)
			}
			for op, byStatus := range desc.CheckAll(t, root, exchanges) {
				if covered[op] == nil {
					covered[op] = map[int]int{}
				}
				for status, n := range byStatus {
					covered[op][status] += n
				}
			}
		})
	}
	// What the scenarios must have made the extractor meet, so that a
	// change to the extractor or the fake cannot quietly check less.
	const repo = "GET /repos/{owner}/{repo}"
	for _, want := range []struct {
		op     string
		status int
	}{
		{"GET /orgs/{org}/repos", 200},
		{"GET /orgs/{org}/repos", 404},
		{"GET /users/{username}/repos", 404},
		{repo + "/pulls", 200},
		{repo + "/pulls", 304},
		{repo + "/pulls", 401},
		{repo + "/pulls", 404},
		{repo + "/pulls/{pull_number}/files", 200},
		{repo + "/pulls/{pull_number}/commits", 200},
		{repo + "/actions/workflows", 200},
		{repo + "/actions/workflows/{workflow_id}/runs", 200},
		{repo + "/actions/workflows/{workflow_id}/runs", 304},
		{repo + "/actions/runs", 200},
		{repo + "/releases", 200},
		{repo + "/releases", 304},
		{repo + "/tags", 200},
		{repo + "/deployments", 200},
		{repo + "/deployments", 304},
		{repo + "/deployments/{deployment_id}/statuses", 200},
		{repo + "/commits/{ref}", 200},
		{repo + "/commits/{ref}", 422},
		{repo + "/commits/{commit_sha}/pulls", 200},
		{repo + "/compare/{basehead}", 200},
		{repo + "/compare/{basehead}", 404},
	} {
		if covered[want.op][want.status] == 0 {
			t.Errorf("no %s answered %d was checked; checked: %v", want.op, want.status, covered[want.op])
		}
	}
	// Refusals and faults land on whichever call meets them.
	for _, status := range []int{http.StatusForbidden, http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable} {
		n := 0
		for _, byStatus := range covered {
			n += byStatus[status]
		}
		if n == 0 {
			t.Errorf("no %d answer was checked", status)
		}
	}
}
