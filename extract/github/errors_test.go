package github_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"doraflow"
	"doraflow/extract/github"
	"doraflow/extract/github/githubfake"
	"doraflow/internal/logtest"
)

// TestFailedRepository: a repository that does not exist or cannot be
// read is one warning naming it and the block; the others' rows are still
// delivered; Read ends with an error wrapping ErrRepositories.
func TestFailedRepository(t *testing.T) {
	f := handMade(t)
	fake := githubfake.NewServer(f.org, githubfake.Options{Token: testToken})
	// legacy answers 403, as a repository the token may not read.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/repos/acme/legacy/") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"message":"Resource not accessible by personal access token"}`))
			return
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	for _, m := range []doraflow.Method{doraflow.MethodMergedPR, doraflow.MethodWorkflowRun, doraflow.MethodRelease, doraflow.MethodDeployment} {
		t.Run(string(m), func(t *testing.T) {
			var logs logtest.Buffer
			src := newSource(t, ts.URL+"/", nil, func(o *github.Options) { o.Log = logs.Logger() })
			b := block(m, doraflow.Filters{})
			b.Repositories = []string{"acme/nope", "acme/api", "acme/legacy", "nobody/*"}
			c := newCollector(t)
			st, err := src.Read(context.Background(), b, monthSince, monthUntil, nil, c.sink)
			if !errors.Is(err, github.ErrRepositories) {
				t.Fatalf("error %v, want one wrapping ErrRepositories", err)
			}
			for _, want := range []string{"3 of 4", "acme/nope", "HTTP 404", "acme/legacy", "HTTP 403", "nobody/*", b.Name} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			var failed []string
			for _, fr := range st.Failed {
				failed = append(failed, fr.Repo)
			}
			slices.Sort(failed)
			if !slices.Equal(failed, []string{"acme/legacy", "acme/nope", "nobody/*"}) || st.Repositories != 3 {
				t.Errorf("Failed %v of %d repositories", failed, st.Repositories)
			}
			if len(c.rows().deployments) == 0 {
				t.Error("acme/api's rows were not delivered")
			}
			warned := map[string]int{}
			for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				var e struct{ Level, Repo, Block string }
				if json.Unmarshal([]byte(line), &e) == nil && e.Level == "warn" {
					if e.Block != b.Name {
						t.Errorf("warning without the block: %s", line)
					}
					warned[e.Repo]++
				}
			}
			for _, repo := range failed {
				if warned[repo] != 1 {
					t.Errorf("%s warned about %d times, want once", repo, warned[repo])
				}
			}
		})
	}
}

// TestUnauthorized: a refused token ends Read, Repositories and Shipped at
// once with ErrUnauthorized, the message telling what to check and never
// the token.
func TestUnauthorized(t *testing.T) {
	f := handMade(t)
	const wrong = "ghp_wrongTOKENx81"
	const want = "github: the token was refused (HTTP 401) — check github.token"
	many := block(doraflow.MethodMergedPR, doraflow.Filters{})
	many.Repositories = []string{"acme/api", "acme/legacy", "acme/more", "acme/other"}
	var src *github.Source
	for _, op := range []struct {
		name string
		run  func() error
	}{
		{"Read", func() error {
			_, err := src.Read(context.Background(), many, monthSince, monthUntil, nil, newCollector(t).sink)
			return err
		}},
		{"Read of owner/*", func() error {
			b := block(doraflow.MethodRelease, doraflow.Filters{})
			b.Repositories = []string{"acme/*"}
			_, err := src.Read(context.Background(), b, monthSince, monthUntil, nil, newCollector(t).sink)
			return err
		}},
		{"Repositories", func() error { _, err := src.Repositories(context.Background(), []string{"acme/*"}); return err }},
		{"Shipped", func() error {
			_, _, err := src.Shipped(context.Background(), "acme/api", f.squash1.String(), f.merge2.String())
			return err
		}},
	} {
		t.Run(op.name, func(t *testing.T) {
			srv := startFake(t, f.org, githubfake.Options{})
			src = newSource(t, srv.URL(), nil, func(o *github.Options) { o.Token = wrong })
			err := op.run()
			if !errors.Is(err, github.ErrUnauthorized) || err.Error() != want {
				t.Fatalf("error %q, want %q wrapping ErrUnauthorized", err, want)
			}
			if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), testToken) {
				t.Errorf("the token leaked into %q", err)
			}
			// Not retried, and the read stops rather than trying every
			// repository (at most one request per worker in flight).
			if n := srv.Stats().Total; n > 4 {
				t.Errorf("%d requests after a 401", n)
			}
		})
	}
}

// TestMalformedJSON: an answer go-github cannot decode is an error naming
// the endpoint, never a panic or a silent gap.
func TestMalformedJSON(t *testing.T) {
	f := handMade(t)
	tests := []struct {
		name     string
		method   doraflow.Method
		path     string // the broken endpoint's path suffix
		body     string
		endpoint string
	}{
		{"cut list", doraflow.MethodMergedPR, "/repos/acme/api/pulls", `[{"number":1,"merged_at":"2024-03-01T`, "GET /repos/acme/api/pulls (page 1)"},
		{"HTML instead of JSON", doraflow.MethodMergedPR, "/pulls/2/commits", "<html>unicorn</html>", "GET /repos/acme/api/pulls/2/commits (page 1)"},
		{"wrong shape", doraflow.MethodWorkflowRun, "/actions/workflows/deploy.yml/runs", `{"total_count":"many","workflow_runs":{}}`, "GET /repos/acme/api/actions/runs"},
		{"bad time", doraflow.MethodRelease, "/repos/acme/api/releases", `[{"id":1,"tag_name":"v1","published_at":"yesterday"}]`, "GET /repos/acme/api/releases (page 1)"},
		{"cut compare", doraflow.MethodDeployment, "/compare/", `{"commits":[{"sha":`, "GET /repos/acme/api/compare/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := githubfake.NewServer(f.org, githubfake.Options{Token: testToken})
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p := r.URL.Path
				// The runs listing goes by workflow id; break any.
				if strings.HasSuffix(p, tt.path) || strings.Contains(p, tt.path) || tt.method == doraflow.MethodWorkflowRun && strings.HasSuffix(p, "/runs") {
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write([]byte(tt.body))
					return
				}
				fake.ServeHTTP(w, r)
			}))
			t.Cleanup(ts.Close)
			src := newSource(t, ts.URL+"/", nil, nil)
			st, err := src.Read(context.Background(), block(tt.method, doraflow.Filters{}), monthSince, monthUntil, nil, newCollector(t).sink)
			if !errors.Is(err, github.ErrRepositories) || len(st.Failed) != 1 || !strings.Contains(st.Failed[0].Err.Error(), tt.endpoint) {
				t.Fatalf("error %v (failed %+v), want acme/api failed naming %s", err, st.Failed, tt.endpoint)
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		opts    github.Options
		wantErr string
	}{
		{"github.com", github.Options{BaseURL: "https://api.github.com/", Token: "t"}, ""},
		{"GHES without the trailing slash", github.Options{BaseURL: "https://ghe.example.com/api/v3"}, ""},
		{"no base URL", github.Options{Token: "t"}, "not an absolute http(s) URL"},
		{"relative", github.Options{BaseURL: "api.github.com"}, "not an absolute http(s) URL"},
		{"negative concurrency", github.Options{BaseURL: "https://api.github.com/", Concurrency: -1}, "concurrency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := github.New(tt.opts)
			switch {
			case tt.wantErr == "" && (err != nil || src == nil):
				t.Fatalf("New: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
			}
		})
	}
}
