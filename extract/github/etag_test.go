package github_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"doraflow"
	"doraflow/extract/github"
	"doraflow/extract/github/githubfake"
)

// TestSecondReadNotModified reads each method twice with an ETag store
// and no change upstream: the second read must be (nearly) all 304s and
// stage nothing.
func TestSecondReadNotModified(t *testing.T) {
	org := githubfake.Generate(3, githubfake.Size{PRsPerRepo: 15, RunsPerRepo: 25, DeploymentsPerRepo: 8, ReleasesPerRepo: 5})
	since, until := org.Now.AddDate(0, 0, -60), org.Now
	tests := []struct {
		method  doraflow.Method
		filters doraflow.Filters
	}{
		{doraflow.MethodMergedPR, doraflow.Filters{"base_branch": "main"}},
		{doraflow.MethodMergedPR, doraflow.Filters{"paths": []string{"services/a/**"}}},
		{doraflow.MethodWorkflowRun, doraflow.Filters{"workflow": "deploy.yml", "branch": "main"}},
		{doraflow.MethodRelease, doraflow.Filters{"prerelease": true}},
		{doraflow.MethodDeployment, doraflow.Filters{"environment": "production"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.method), func(t *testing.T) {
			srv := startFake(t, org, githubfake.Options{})
			store := newMemStore()
			src := newSource(t, srv.URL(), newClock(until), func(o *github.Options) { o.ETags = store })
			b := block(tt.method, tt.filters)
			b.Repositories = []string{"acme/*"}
			first, st1 := read(t, src, b, since, until, nil)
			if len(first.deployments) == 0 || store.len() == 0 {
				t.Fatalf("first read: %d deployments, %d ETags stored", len(first.deployments), store.len())
			}
			second, st2 := read(t, src, b, since, until, nil)
			if len(second.deployments) != 0 || st2.Deployments != 0 {
				t.Errorf("the second read staged %d deployments", len(second.deployments))
			}
			share := float64(st2.NotModified) / float64(st2.Requests)
			if share < 0.9 {
				t.Errorf("second read: %d of %d requests answered 304 (%.0f%%), want at least 90%%", st2.NotModified, st2.Requests, 100*share)
			}
			// The server numbers requests as they arrive: the second read's
			// follow the first's. (Its counters may still be taking in the
			// first read's last request, logged after the answer.)
			var total, notModified int
			for _, r := range srv.Requests() {
				if r.Seq > int64(st1.Requests) {
					total++
					if r.NotModified {
						notModified++
					}
				}
			}
			if total != st2.Requests || notModified != st2.NotModified {
				t.Errorf("Stats say %d requests, %d 304s; the server saw %d and %d", st2.Requests, st2.NotModified, total, notModified)
			}
			t.Logf("first read %d requests; second %d requests, %d not modified", st1.Requests, st2.Requests, st2.NotModified)
		})
	}
}

// TestETagsAfterUpstreamChange: after a new merge, the next read delivers
// it, and what it re-reads is only the changed pages.
func TestETagsAfterUpstreamChange(t *testing.T) {
	f := handMade(t)
	srv := startFake(t, f.org, githubfake.Options{})
	store := newMemStore()
	src := newSource(t, srv.URL(), nil, func(o *github.Options) { o.ETags = store })
	b := block(doraflow.MethodMergedPR, doraflow.Filters{})
	read(t, src, b, monthSince, monthUntil, nil)
	srv.Update(func(o *githubfake.Org) {
		o.Repo("api").AddPR(githubfake.PRSpec{Title: "Late fix", CreatedAt: at(30), Merge: githubfake.MergeSquash, MergedAt: at(31)})
	})
	got, st := read(t, src, b, monthSince, monthUntil, nil)
	if _, ok := got.deployments["acme/api#pr-6"]; !ok || st.NotModified != 0 {
		t.Errorf("after a new merge: deployments %v, %d 304s; want #6 among them and the changed page read in full", got.deploymentIDs(), st.NotModified)
	}
}

// TestETagsSavedOnlyAfterTheSink: when the sink fails, nothing is
// remembered, so the next read asks for every page in full and stages it.
func TestETagsSavedOnlyAfterTheSink(t *testing.T) {
	f := handMade(t)
	srv := startFake(t, f.org, githubfake.Options{})
	store := newMemStore()
	src := newSource(t, srv.URL(), nil, func(o *github.Options) { o.ETags = store })
	b := block(doraflow.MethodWorkflowRun, doraflow.Filters{"workflow": "deploy.yml"})
	c := newCollector(t)
	c.fail = errors.New("clickhouse is down")
	if _, err := src.Read(context.Background(), b, monthSince, monthUntil, nil, c.sink); !errors.Is(err, c.fail) {
		t.Fatalf("error %v, want the sink's", err)
	}
	if store.len() != 0 {
		t.Fatalf("%d ETags saved although the sink refused the batch", store.len())
	}
	srv.ResetLog()
	got, _ := read(t, src, b, monthSince, monthUntil, nil)
	runs := 0
	for _, r := range srv.Requests() {
		if r.Endpoint == repoPrefix+"/actions/workflows/{workflow}/runs" {
			runs++
			if r.NotModified {
				t.Errorf("%s?%s answered 304 after a failed sink", r.Path, r.Query)
			}
		}
	}
	if len(got.deployments) != 4 || runs == 0 {
		t.Errorf("after a failed sink: %d deployments from %d runs pages; want all 4 read again", len(got.deployments), runs)
	}
}

// TestETagsRespectTheWindow: pages remembered for a recent window do not
// stand in for an older one (a backfill after a sync), and a window the
// memos cover is answered by 304s.
func TestETagsRespectTheWindow(t *testing.T) {
	f := handMade(t)
	srv := startFake(t, f.org, githubfake.Options{})
	store := newMemStore()
	src := newSource(t, srv.URL(), nil, func(o *github.Options) { o.ETags = store })
	for _, m := range []doraflow.Method{doraflow.MethodMergedPR, doraflow.MethodWorkflowRun, doraflow.MethodRelease, doraflow.MethodDeployment} {
		t.Run(string(m), func(t *testing.T) {
			b := block(m, doraflow.Filters{})
			recent, _ := read(t, src, b, at(10), monthUntil, nil)
			older, _ := read(t, src, b, monthSince, monthUntil, nil)
			want, _ := read(t, newSource(t, srv.URL(), nil, nil), b, monthSince, monthUntil, nil)
			// The backfill must deliver what the recent read left out.
			var missing []string
			for id := range want.deployments {
				if _, inRecent := recent.deployments[id]; !inRecent {
					if _, ok := older.deployments[id]; !ok {
						missing = append(missing, id)
					}
				}
			}
			if len(missing) > 0 {
				t.Errorf("the older window missed %v", missing)
			}
			// A narrower window inside what was read is all 304s.
			again, st := read(t, src, b, at(1), monthUntil.Add(-time.Hour), nil)
			if len(again.deployments) != 0 || st.NotModified == 0 {
				t.Errorf("a covered window: %d deployments, %d of %d requests 304", len(again.deployments), st.NotModified, st.Requests)
			}
		})
	}
}

// TestETagsPerBlock: the same listing read for two blocks is remembered
// per block, so a second block is not skipped for the first's 304s.
func TestETagsPerBlock(t *testing.T) {
	f := handMade(t)
	srv := startFake(t, f.org, githubfake.Options{})
	store := newMemStore()
	src := newSource(t, srv.URL(), nil, func(o *github.Options) { o.ETags = store })
	all := block(doraflow.MethodMergedPR, doraflow.Filters{})
	read(t, src, all, monthSince, monthUntil, nil)
	hotfix := block(doraflow.MethodMergedPR, doraflow.Filters{"labels": []string{"hotfix"}})
	got, st := read(t, src, hotfix, monthSince, monthUntil, nil)
	if !slices.Equal(got.deploymentIDs(), ids("pr", 2)) || st.NotModified != 0 {
		t.Errorf("second block: %v with %d 304s", got.deploymentIDs(), st.NotModified)
	}
}
