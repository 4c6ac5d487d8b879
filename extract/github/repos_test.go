package github_test

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"doraflow"
	"doraflow/config"
	"doraflow/extract/github"
	"doraflow/extract/github/githubfake"
)

func TestRepositories(t *testing.T) {
	org := githubfake.Generate(2, githubfake.Size{Repos: 9, PRsPerRepo: 5, RunsPerRepo: 5})
	fake := githubfake.NewServer(org, githubfake.Options{Token: testToken})
	// "people" is a user, not an organisation: /orgs/people answers 404
	// and /users/people lists the fake's repositories.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/orgs/people/repos":
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
			return
		case "/users/people/repos":
			r.URL.Path = "/users/acme/repos"
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	src := newSource(t, ts.URL+"/", nil, nil)
	tests := []struct {
		name    string
		globs   []string
		want    []string
		wantErr string
	}{
		{"owner/* lists, sorted", []string{"acme/*"}, []string{"acme/api", "acme/infra", "acme/legacy", "acme/mobile", "acme/platform",
			"acme/service-6", "acme/service-7", "acme/service-8", "acme/web"}, ""},
		{"a name pattern, case-insensitive", []string{"acme/SERVICE-[67]"}, []string{"acme/service-6", "acme/service-7"}, ""},
		{"a plain name needs no request, kept as written", []string{"acme/nope", "acme/api"}, []string{"acme/nope", "acme/api"}, ""},
		{"duplicates once, in glob order", []string{"acme/web", "acme/*eb", "acme/w*"}, []string{"acme/web"}, ""},
		{"a user's repositories", []string{"people/a*"}, []string{"acme/api"}, ""},
		{"an unknown owner", []string{"acme/api", "nobody/*"}, []string{"acme/api"}, "GitHub knows no organisation or user by that name"},
		{"a pattern owner", []string{"ac*/api"}, nil, "the owner cannot be a pattern"},
		{"not owner/name", []string{"api"}, nil, "is not owner/name"},
		{"a bad pattern", []string{"acme/[a"}, nil, "unclosed ["},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := src.Repositories(context.Background(), tt.globs)
			if (tt.wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("the listing is asked for conditionally the second time", func(t *testing.T) {
		srv := startFake(t, org, githubfake.Options{})
		src := newSource(t, srv.URL(), nil, nil)
		for range 2 {
			if _, err := src.Repositories(context.Background(), []string{"acme/*"}); err != nil {
				t.Fatal(err)
			}
		}
		reqs := srv.Requests()
		if len(reqs) != 2 || reqs[0].NotModified || !reqs[1].NotModified {
			t.Errorf("requests %+v; want one in full, then one 304", reqs)
		}
	})
}

// TestEnterpriseServer reads through an API root under /api/v3/, as GitHub
// Enterprise Server serves it.
func TestEnterpriseServer(t *testing.T) {
	f := handMade(t)
	srv := startFake(t, f.org, githubfake.Options{BaseURLPath: "/api/v3"})
	if !strings.HasSuffix(srv.URL(), "/api/v3/") {
		t.Fatalf("fake at %s", srv.URL())
	}
	store := newMemStore()
	src := newSource(t, strings.TrimSuffix(srv.URL(), "/"), nil, func(o *github.Options) { o.ETags = store })
	b := block(doraflow.MethodWorkflowRun, doraflow.Filters{"workflow": "deploy.yml"})
	b.Repositories = []string{"acme/a*"}
	got, _ := read(t, src, b, monthSince, monthUntil, nil)
	if len(got.deployments) != 4 || len(got.changes) == 0 {
		t.Errorf("%d deployments, %d changes through GHES; want 4 and some", len(got.deployments), len(got.changes))
	}
	for _, p := range store.loaded {
		if strings.Contains(p, "api/v3") {
			t.Errorf("ETag key %q holds the API root: moving it would lose them", p)
		}
	}
	_, st := read(t, src, b, monthSince, monthUntil, nil)
	if st.NotModified != st.Requests {
		t.Errorf("second read: %d of %d requests 304", st.NotModified, st.Requests)
	}
}

// TestPagination reads repositories with several pages of everything and
// checks each read against the organisation's own data.
func TestPagination(t *testing.T) {
	org := githubfake.Generate(4, githubfake.Size{Repos: 6, PRsPerRepo: 150, RunsPerRepo: 330, DeploymentsPerRepo: 110, ReleasesPerRepo: 4})
	since, until := org.Now.AddDate(0, 0, -90), org.Now
	srv := startFake(t, org, githubfake.Options{})
	r := org.Repo("api")
	var wantPRs, wantRuns, wantDeps []string
	for _, p := range r.PRs {
		if p.Merged() && !p.MergedAt.Before(since) && p.MergedAt.Before(until) {
			wantPRs = append(wantPRs, "acme/api#pr-"+itoa(int64(p.Number)))
		}
	}
	for _, run := range r.Runs {
		if r.Workflows[run.Workflow].File() == "deploy.yml" && run.Status == githubfake.StatusCompleted &&
			run.Conclusion == githubfake.ConclusionSuccess && !run.UpdatedAt.Before(since) && run.UpdatedAt.Before(until) {
			wantRuns = append(wantRuns, "acme/api#run-"+itoa(run.ID))
		}
	}
	for _, d := range r.Deployments {
		for _, s := range d.Statuses {
			if s.State == "success" {
				if !s.CreatedAt.Before(since) && s.CreatedAt.Before(until) {
					wantDeps = append(wantDeps, "acme/api#deployment-"+itoa(d.ID))
				}
				break
			}
		}
	}
	for _, ws := range [][]string{wantPRs, wantRuns, wantDeps} {
		slices.Sort(ws)
	}
	runs := repoPrefix + "/actions/workflows/{workflow}/runs"
	tests := []struct {
		name    string
		block   doraflow.Block
		want    []string
		listing string // the endpoint that must have been paged, if any
		fake    githubfake.Options
	}{
		{"merged_pr", block(doraflow.MethodMergedPR, doraflow.Filters{}), wantPRs, repoPrefix + "/pulls", githubfake.Options{}},
		{"workflow_run", block(doraflow.MethodWorkflowRun, doraflow.Filters{"workflow": "deploy.yml"}), wantRuns, runs, githubfake.Options{}},
		{"workflow_run, over 1,000 runs a listing reaches: split by creation", block(doraflow.MethodWorkflowRun, doraflow.Filters{"workflow": "deploy.yml"}), wantRuns,
			"", githubfake.Options{RunsSearchLimit: 40}},
		{"workflow_run, over 1,000 runs and total_count says so: split by creation", block(doraflow.MethodWorkflowRun, doraflow.Filters{"workflow": "deploy.yml"}), wantRuns,
			"", githubfake.Options{RunsSearchLimit: 40, RunsFullTotalCount: true}},
		{"deployment", block(doraflow.MethodDeployment, doraflow.Filters{}), wantDeps, repoPrefix + "/deployments", githubfake.Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := srv
			if tt.fake.RunsSearchLimit != 0 {
				fake = startFake(t, org, tt.fake)
			}
			fake.ResetLog()
			c := newCollector(t)
			src := newSource(t, fake.URL(), newClock(until), nil)
			if tt.fake.RunsSearchLimit != 0 {
				github.SetRunsSearchCap(src, tt.fake.RunsSearchLimit)
			}
			if _, err := src.Read(context.Background(), tt.block, since, until, nil, c.sink); err != nil {
				t.Fatal(err)
			}
			got := c.rows()
			if !slices.Equal(got.deploymentIDs(), tt.want) || len(tt.want) < 50 {
				t.Errorf("got %d deployments, want %d (at least 50)", len(got.deployments), len(tt.want))
			}
			for i, b := range c.batches {
				if n := len(b.Deployments) + len(b.Changes); n > 1000+200 {
					t.Errorf("batch %d holds %d rows", i, n)
				}
			}
			pages := 0
			ranges := map[string]bool{}
			for _, req := range fake.Requests() {
				q, _ := url.ParseQuery(req.Query)
				if req.Endpoint == tt.listing && q.Get("page") == "2" {
					pages++
				}
				if req.Endpoint == runs {
					ranges[q.Get("created")] = true
				}
			}
			if tt.listing != "" && pages == 0 {
				t.Errorf("%s: no second page was read", tt.listing)
			}
			if split := len(ranges) > 1; split != (tt.fake.RunsSearchLimit != 0) {
				t.Errorf("runs listed over created ranges %v", slices.Sorted(maps.Keys(ranges)))
			}
		})
	}
}

// TestSampleBlocks loads sample.yaml with the config loader and reads
// with each of its blocks, so the sample stays valid and meaningful.
func TestSampleBlocks(t *testing.T) {
	cfg, err := config.LoadWithEnv("sample.yaml", doraflow.NewRegistry(github.Methods()), func(k string) (string, bool) { return "sample-" + k, true })
	if err != nil {
		t.Fatal(err)
	}
	methods := map[doraflow.Method]bool{}
	org := githubfake.Generate(1, githubfake.Size{PRsPerRepo: 15, RunsPerRepo: 25, DeploymentsPerRepo: 8, ReleasesPerRepo: 5})
	srv := startFake(t, org, githubfake.Options{})
	src := newSource(t, srv.URL(), newClock(org.Now), func(o *github.Options) { o.Concurrency = cfg.GitHub.Concurrency })
	if cfg.GitHub.BaseURL != "https://api.github.com/" {
		t.Errorf("sample base_url %q", cfg.GitHub.BaseURL)
	}
	for _, b := range cfg.Deployments {
		methods[b.Method] = true
		t.Run(b.Name, func(t *testing.T) {
			got, _ := read(t, src, b, org.Now.Add(-90*24*time.Hour), org.Now, nil)
			if len(got.deployments) == 0 {
				t.Errorf("block %s matched nothing in the generated organisation", b.Name)
			}
		})
	}
	if len(methods) != 4 {
		t.Errorf("sample.yaml covers methods %v, want all four", methods)
	}
}
