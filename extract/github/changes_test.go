package github_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"doraflow"
	"doraflow/extract/github"
	"doraflow/extract/github/githubfake"
	"doraflow/internal/logtest"
)

// rebaseFixture is acme/api with a rebase merge between lone commits:
//
//	root - lone1 - r1 - r2 - r3 - lone2 - S(#2)      main
//	          \ p1a - p1b - p1c                      #1, rebase-merged: r1..r3 (r3 its merge_commit_sha)
//
// and two deploy.yml runs, on root and on #2's squash commit.
type rebaseFixture struct {
	org                    *githubfake.Org
	root, lone1, lone2, s2 githubfake.SHA
	rebased                []githubfake.SHA // r1, r2, r3
}

func rebaseMade(t *testing.T) *rebaseFixture {
	t.Helper()
	o := githubfake.NewOrg("acme", monthUntil)
	o.AddPerson("alice", "Alice Example", "alice@acme.example")
	r := o.AddRepo("api")
	f := &rebaseFixture{org: o}
	f.root = r.AddCommit(githubfake.CommitSpec{Message: "Initial commit", At: at(0)})
	r.AddRun(githubfake.RunSpec{Workflow: "deploy.yml", SHA: f.root, CreatedAt: at(0.5)})
	f.lone1 = r.AddCommit(githubfake.CommitSpec{Message: "Fix typo", At: at(1)})
	pr1 := r.AddPR(githubfake.PRSpec{Title: "Fix outage", Labels: []string{"hotfix"}, Commits: 3,
		CommitTimes: []time.Time{at(2), at(3), at(4)}, CreatedAt: at(5), Merge: githubfake.MergeRebase, MergedAt: at(6)})
	for k := pr1.MergeCommit - pr1.NumCommits + 1; k <= pr1.MergeCommit; k++ {
		f.rebased = append(f.rebased, r.SHAOf(k))
	}
	f.lone2 = r.AddCommit(githubfake.CommitSpec{Message: "Bump version", At: at(7)})
	pr2 := r.AddPR(githubfake.PRSpec{Title: "Docs", CreatedAt: at(8), Merge: githubfake.MergeSquash, MergedAt: at(9)})
	f.s2 = r.SHAOf(pr2.MergeCommit)
	r.AddRun(githubfake.RunSpec{Workflow: "deploy.yml", SHA: f.s2, CreatedAt: at(9.5)})
	return f
}

// TestRebaseMerge checks that the commits a rebase merge wrote are its pull
// request (docs/metrics.md: GitHub associates them with it), not lone
// commits, and that only commits the index does not place are asked about.
func TestRebaseMerge(t *testing.T) {
	f := rebaseMade(t)
	lone := func(sha githubfake.SHA) string { return "acme/api@" + sha.String() }
	strs := func(shas ...githubfake.SHA) []string {
		out := make([]string, len(shas))
		for i, s := range shas {
			out[i] = s.String()
		}
		return out
	}
	const assoc = repoPrefix + "/commits/{sha}/pulls"

	t.Run("read", func(t *testing.T) {
		srv := startFake(t, f.org, githubfake.Options{})
		src := newSource(t, srv.URL(), nil, nil)
		got, _ := read(t, src, block(doraflow.MethodWorkflowRun, doraflow.Filters{"workflow": "deploy.yml"}), monthSince, monthUntil, nil)
		if len(got.deployments) != 2 {
			t.Fatalf("%d deployments, want 2", len(got.deployments))
		}
		var last string
		for id, d := range got.deployments {
			if d.SHA == f.s2.String() {
				last = id
			}
		}
		want := []string{lone(f.lone1), "acme/api#pr-1", lone(f.lone2), "acme/api#pr-2"}
		if !slices.Equal(got.ships[last], want) {
			t.Errorf("the second run ships %v, want %v", got.ships[last], want)
		}
		pr := got.changes["acme/api#pr-1"]
		if pr.Kind != doraflow.ChangePullRequest || !slices.Equal(pr.Labels, []string{"hotfix"}) || !pr.StartedAt.Equal(at(2)) || pr.SHA != f.rebased[2].String() {
			t.Errorf("#1 is %+v: want the pull request, labelled hotfix, started at its first commit %s, sha its merge_commit_sha", pr, at(2))
		}
		if len(got.changes) != 5 { // root, lone1, #1, lone2, #2
			t.Errorf("%d changes, want 5: %v", len(got.changes), got.changes)
		}
		// Asked: the first run's commit, lone1, r1, r2 and lone2; r3 and
		// #2's squash commit are in the pull request index.
		if n := countEndpoint(srv, assoc); n != 5 {
			t.Errorf("%d requests to %s, want 5", n, assoc)
		}
	})

	t.Run("shipped", func(t *testing.T) {
		srv := startFake(t, f.org, githubfake.Options{})
		src := newSource(t, srv.URL(), nil, nil)
		tests := []struct {
			name      string
			base, sha githubfake.SHA
			made      map[string][]string
			asked     int64
		}{
			{"the range", f.root, f.s2, map[string][]string{
				lone(f.lone1): strs(f.lone1), "acme/api#pr-1": strs(f.rebased...), lone(f.lone2): strs(f.lone2), "acme/api#pr-2": strs(f.s2),
			}, 4},
			{"only the rebased commits", f.lone1, f.rebased[2], map[string][]string{"acme/api#pr-1": strs(f.rebased...)}, 2},
			{"a first deployment of a rebased commit", githubfake.SHA{}, f.rebased[0], map[string][]string{"acme/api#pr-1": strs(f.rebased[0])}, 1},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				srv.ResetLog()
				base := ""
				if !tt.base.IsZero() {
					base = tt.base.String()
				}
				_, made, err := src.Shipped(context.Background(), "acme/api", base, tt.sha.String())
				if err != nil {
					t.Fatal(err)
				}
				if len(made) != len(tt.made) {
					t.Errorf("changes %v, want %v", made, tt.made)
				}
				for id, want := range tt.made {
					if !slices.Equal(made[id], want) {
						t.Errorf("commits of %s = %v, want %v", id, made[id], want)
					}
				}
				if n := countEndpoint(srv, assoc); n != tt.asked {
					t.Errorf("%d requests to %s, want %d", n, assoc, tt.asked)
				}
			})
		}
	})
}

// TestPullRequestOverCommitCap checks that a pull request of more commits
// than GET /pulls/{n}/commits lists (250) takes its started_at from the
// compare of its range, that a smaller one costs no compare, and that a
// range GitHub cannot compare is a warning, not a failure.
func TestPullRequestOverCommitCap(t *testing.T) {
	tests := []struct {
		name     string
		commits  int
		gone     bool      // compare answers 404, as for a base force-pushed away
		start    time.Time // want
		compares int64     // pages of base...head the fake served
		pages    int64     // pages of /pulls/{n}/commits
	}{
		{"under the cap", 249, false, at(1), 0, 3},
		{"over the cap", 300, false, at(1), 3, 3},
		{"over the cap, the range cannot be compared", 300, true, at(10), 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := githubfake.NewOrg("acme", monthUntil)
			o.AddPerson("alice", "Alice Example", "alice@acme.example")
			r := o.AddRepo("api")
			r.AddCommit(githubfake.CommitSpec{Message: "Initial commit", At: at(0)})
			// Author dates need not grow along a branch: the earliest is
			// the last commit, past what the listing reaches.
			times := make([]time.Time, tt.commits)
			for i := range times {
				times[i] = at(10).Add(time.Duration(i) * time.Minute)
			}
			times[len(times)-1] = at(1)
			r.AddPR(githubfake.PRSpec{Title: "Big import", Commits: tt.commits, CommitTimes: times, CreatedAt: at(20),
				Merge: githubfake.MergeSquash, MergedAt: at(21)})
			srv := startFake(t, o, githubfake.Options{})
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.gone && strings.Contains(r.URL.Path, "/compare/") {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusNotFound)
					_, _ = w.Write([]byte(`{"message":"Not Found"}`))
					return
				}
				srv.ServeHTTP(w, r)
			}))
			t.Cleanup(ts.Close)
			var logs logtest.Buffer
			src := newSource(t, ts.URL+"/", nil, func(o *github.Options) { o.Log = logs.Logger() })
			got, _ := read(t, src, block(doraflow.MethodMergedPR, doraflow.Filters{}), monthSince, monthUntil, nil)
			ch, ok := got.changes["acme/api#pr-1"]
			if !ok || len(got.changes) != 1 {
				t.Fatalf("changes %v, want acme/api#pr-1 only", got.changes)
			}
			if !ch.StartedAt.Equal(tt.start) {
				t.Errorf("started_at %s, want %s", ch.StartedAt, tt.start)
			}
			if warned := strings.Contains(logs.String(), "cannot compare the range"); warned != tt.gone {
				t.Errorf("warned %v, want %v: %s", warned, tt.gone, logs.String())
			}
			if n := countEndpoint(srv, repoPrefix+"/compare/{basehead...}"); n != tt.compares {
				t.Errorf("%d compare requests, want %d", n, tt.compares)
			}
			if n := countEndpoint(srv, repoPrefix+"/pulls/{number}/commits"); n != tt.pages {
				t.Errorf("%d requests to /pulls/{n}/commits, want %d", n, tt.pages)
			}
		})
	}
}

// TestReleasesPastTheListingCap checks a repository with more releases
// than GET /releases pages through (1,000; the next page is refused with
// 422): the older releases are read through their tags, once per read
// each, and a second read with ETags finds them unchanged (304s).
func TestReleasesPastTheListingCap(t *testing.T) {
	o := githubfake.NewOrg("acme", monthUntil)
	o.AddPerson("alice", "Alice Example", "alice@acme.example")
	r := o.AddRepo("api")
	const n = 1050
	var ids []int64 // oldest first
	for i := range n {
		at := at(1).Add(time.Duration(i) * time.Minute)
		sha := r.AddCommit(githubfake.CommitSpec{Message: "Release prep", At: at})
		ids = append(ids, r.AddRelease(githubfake.ReleaseSpec{Tag: "v1.0." + itoa(int64(i)), SHA: sha, PublishedAt: at.Add(time.Minute)}).ID)
		if i == 10 {
			r.AddTag("nightly-10", sha, false, at) // a tag without a release
		}
	}
	srv := startFake(t, o, githubfake.Options{})
	var logs logtest.Buffer
	store := newMemStore()
	src := newSource(t, srv.URL(), nil, func(o *github.Options) { o.Log = logs.Logger(); o.ETags = store })
	const (
		releases = repoPrefix + "/releases"
		byTag    = repoPrefix + "/releases/tags/{tag...}"
		tags     = repoPrefix + "/tags"
	)
	tests := []struct {
		name        string
		deployments int
		requests    map[string]int64
		notModified int64
	}{
		// 10 pages and the refused 11th; the tags, 1,051 in 11 pages; the
		// 51 tags past the first 1,000 releases (one without a release).
		{"first read", n, map[string]int64{releases: 11, tags: 11, byTag: 51}, 0},
		// The 10 pages are 304s, so their tags are listed again; the 50
		// releases by tag are 304s, the release-less tag a 404 again.
		{"second read, nothing changed", 0, map[string]int64{releases: 21, tags: 11, byTag: 51}, 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.ResetLog()
			got, st := read(t, src, block(doraflow.MethodRelease, doraflow.Filters{}), monthSince, monthUntil, nil)
			if len(got.deployments) != tt.deployments || len(st.Failed) != 0 {
				t.Fatalf("%d deployments (failed %v), want %d", len(got.deployments), st.Failed, tt.deployments)
			}
			if tt.deployments == n {
				for _, id := range ids {
					if _, ok := got.deployments["acme/api#release-"+itoa(id)]; !ok {
						t.Fatalf("release %d is missing", id)
					}
				}
			}
			for endpoint, want := range tt.requests {
				if got := countEndpoint(srv, endpoint); got != want {
					t.Errorf("%d requests to %s, want %d", got, endpoint, want)
				}
			}
			if got := srv.Stats().NotModified; got != tt.notModified {
				t.Errorf("%d answers 304, want %d", got, tt.notModified)
			}
		})
	}
	if n := strings.Count(logs.String(), "older ones read through their tags"); n != 2 || !strings.Contains(logs.String(), `"repo":"acme/api"`) {
		t.Errorf("%d notes about the cap over two reads, want 2 naming acme/api: %s", n, logs.String())
	}
}
