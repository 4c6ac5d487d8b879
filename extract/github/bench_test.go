package github_test

import (
	"context"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"doraflow"
	"doraflow/extract/github"
	"doraflow/extract/github/githubfake"
)

// BenchmarkBackfill reads the benchmark-scale organisation (SizeFor(100_000):
// 50,000 pull requests and 50,000 workflow runs in 25 repositories)
// through the fake with a merged_pr block and a workflow_run block over
// acme/*, as a first backfill does, then syncs again with nothing changed.
// A tenth of that scale runs first: the extractor's added memory should
// not grow with the organisation.
//
//	go test -run '^$' -bench BenchmarkBackfill -benchtime 1x ./extract/github/
//
// It reports:
//
//   - requests/op: requests the fake served for both blocks;
//   - min-requests: the floor the definitions impose (minimumRequests);
//   - requests/min: their ratio (target ≤ 1.1);
//   - entities/s: deployments and changes delivered per second;
//   - peak-heap-MB: the largest HeapInuse sampled during the reads
//     (garbage not yet collected included), and peak-live-MB the largest
//     live heap after a collection (/gc/heap/live:bytes); both less the
//     heap before the reads, as added-heap-MB and added-live-MB, since the
//     fake's organisation (about 80 MB) lives in the same process;
//   - 304-share: the second sync's requests answered 304 (target ≥ 0.9).
func BenchmarkBackfill(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run("entities="+strconv.Itoa(n), func(b *testing.B) { benchBackfill(b, githubfake.Generate(1, githubfake.SizeFor(n))) })
	}
}

func benchBackfill(b *testing.B, org *githubfake.Org) {
	srv := githubfake.NewServer(org, githubfake.Options{Token: testToken, Budget: 1 << 30, LogSize: 1})
	srv.Start()
	b.Cleanup(srv.Close)
	since, until := org.Now.AddDate(0, 0, -120), org.Now
	blocks := benchBlocks()
	floor := minimumRequests(org, since, until)

	var entities atomic.Int64
	sink := func(_ context.Context, batch doraflow.FactSet) error {
		entities.Add(int64(len(batch.Deployments) + len(batch.Changes)))
		return nil
	}
	readAll := func(src *github.Source) {
		for _, blk := range blocks {
			if _, err := src.Read(context.Background(), blk, since, until, nil, sink); err != nil {
				b.Fatalf("block %s: %v", blk.Name, err)
			}
		}
	}

	runtime.GC()
	baseline := readHeap()
	peak := sampleHeap()

	var src *github.Source
	var store *memStore
	var requests int64
	b.ResetTimer()
	began := time.Now()
	for range b.N {
		store = newMemStore()
		var err error
		src, err = github.New(github.Options{BaseURL: srv.URL(), Token: testToken, ETags: store})
		if err != nil {
			b.Fatal(err)
		}
		srv.ResetLog()
		readAll(src)
		requests += srv.Stats().Total
	}
	elapsed := time.Since(began)
	b.StopTimer()
	maxHeap := peak()

	srv.ResetLog()
	readAll(src) // the next sync, nothing changed upstream
	second := srv.Stats()

	perOp := float64(requests) / float64(b.N)
	b.ReportMetric(perOp, "requests/op")
	b.ReportMetric(float64(floor), "min-requests")
	b.ReportMetric(perOp/float64(floor), "requests/min")
	b.ReportMetric(float64(entities.Load())/elapsed.Seconds(), "entities/s")
	mb := func(n uint64) float64 { return float64(n) / (1 << 20) }
	b.ReportMetric(mb(maxHeap.inuse), "peak-heap-MB")
	b.ReportMetric(mb(maxHeap.inuse-min(maxHeap.inuse, baseline.inuse)), "added-heap-MB")
	b.ReportMetric(mb(maxHeap.live), "peak-live-MB")
	b.ReportMetric(mb(maxHeap.live-min(maxHeap.live, baseline.live)), "added-live-MB")
	b.ReportMetric(float64(second.NotModified)/float64(second.Total), "304-share")
}

// benchBlocks are the benchmark's blocks: every merged pull request, and
// successful deploy.yml runs on main.
func benchBlocks() []doraflow.Block {
	return []doraflow.Block{
		{Name: "merges", Method: doraflow.MethodMergedPR, Repositories: []string{"acme/*"}, Environment: "production"},
		{Name: "deploys", Method: doraflow.MethodWorkflowRun, Repositories: []string{"acme/*"}, Environment: "production",
			Filters: doraflow.Filters{"workflow": "deploy.yml", "branch": "main", "conclusion": "success"}},
	}
}

// heap is a sample of the heap: in use (HeapInuse) and live after the
// last collection.
type heap struct{ inuse, live uint64 }

func readHeap() heap {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	return heap{inuse: ms.HeapInuse, live: live[0].Value.Uint64()}
}

// sampleHeap samples the heap every 20 ms until the returned function is
// called, which returns the largest values seen.
func sampleHeap() func() heap {
	var (
		mu   sync.Mutex
		peak heap
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	sample := func() {
		h := readHeap()
		mu.Lock()
		peak.inuse, peak.live = max(peak.inuse, h.inuse), max(peak.live, h.live)
		mu.Unlock()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return func() heap {
		close(done)
		wg.Wait()
		sample()
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// minimumRequests is the fewest requests the two benchmark blocks need
// over [since, until) by the definitions of docs/metrics.md, computed from the
// organisation itself:
//
//	  1                                  the organisation's repositories (githubfake's plan)
//	+ Σ repos  pages(closed PRs updated since `since`)
//	                                     merged_pr: the listing, newest update first, down to since;
//	                                     the same listing finds the PRs behind merge commits
//	+ Σ PRs    pages(commits)            started_at of every PR merged in the window or shipped by a
//	                                     run in it, once (githubfake's plan counts the same per PR)
//	+ Σ repos  1                         the workflows listing (githubfake's plan)
//	+ Σ repos  pages(deploy.yml runs, success, on main, created from the day before since)
//	+ Σ repos with a run in the window:  1, the first run's commit (it ships that commit only)
//	+ Σ later runs  pages(commits between the previous run's sha and its own), 0 when equal
//	+ Σ shipped commits  1 when neither a merged PR's merge or squash commit nor one of a
//	                     merge-commit PR's own commits brought in with its merge commit:
//	                     GET /commits/{sha}/pulls says whether GitHub associates it with a
//	                     merged PR (a rebase merge's commits but the last) or not (lone)
//
// pages(n) is ceil(n/100), at least 1. PR files are not needed (no paths
// filter).
func minimumRequests(org *githubfake.Org, since, until time.Time) int {
	pages := func(n int) int { return max(1, (n+99)/100) }
	plan := org.MinimumRequests()
	total := plan.Requests("GET /orgs/{org}/repos") + plan.Requests("GET /repos/{owner}/{repo}/actions/workflows")
	createdFrom := since.Add(-24 * time.Hour).Truncate(24 * time.Hour)
	for _, r := range org.Repos {
		closed := 0
		needStart := map[int]bool{}
		for _, p := range r.PRs {
			if p.State() == "closed" && !p.UpdatedAt.Before(since) {
				closed++
			}
			if p.Merged() && !p.MergedAt.Before(since) && p.MergedAt.Before(until) {
				needStart[p.Number] = true
			}
		}
		total += pages(closed)
		var listed int
		var deploys []githubfake.Run
		for _, run := range r.Runs {
			if r.Workflows[run.Workflow].File() != "deploy.yml" || run.HeadBranch != "main" ||
				run.Conclusion != githubfake.ConclusionSuccess || run.CreatedAt.Before(createdFrom) || !run.CreatedAt.Before(until.Add(24*time.Hour)) {
				continue
			}
			listed++
			if !run.UpdatedAt.Before(since) && run.UpdatedAt.Before(until) {
				deploys = append(deploys, run)
			}
		}
		if len(r.Workflows) > 0 && slices.ContainsFunc(r.Workflows, func(w githubfake.Workflow) bool { return w.File() == "deploy.yml" }) {
			total += pages(listed)
		}
		slices.SortFunc(deploys, func(a, b githubfake.Run) int { return a.UpdatedAt.Compare(b.UpdatedAt) })
		// ship counts what shipping the commits costs beyond the compare.
		ship := func(commits []int32) {
			in := map[int32]bool{}
			for _, c := range commits {
				in[c] = true
			}
			for _, c := range commits {
				var p *githubfake.PullRequest
				if n := r.Commits[c].PR; n != 0 && r.PR(n).Merged() {
					p = r.PR(n)
					needStart[n] = true
				}
				own := p != nil && c >= p.FirstCommit && c <= p.HeadCommit()
				if p == nil || c != p.MergeCommit && !(p.Merge == githubfake.MergeCommit && own && in[p.MergeCommit]) {
					total++ // GET /commits/{sha}/pulls
				}
			}
		}
		for i, d := range deploys {
			if i == 0 {
				total++
				ship([]int32{d.Commit})
				continue
			}
			prev := deploys[i-1].Commit
			if prev == d.Commit {
				continue
			}
			ahead := r.Compare(prev, d.Commit).Ahead
			total += pages(len(ahead))
			ship(ahead)
		}
		for n := range needStart {
			total += pages(min(int(r.PR(n).NumCommits), 250)) + pages(len(r.PR(n).Reviews))
		}
	}
	return total
}

// TestMinimumRequestsFormula checks the benchmark's floor on the small
// hand-made organisation, where it can be counted by hand.
func TestMinimumRequestsFormula(t *testing.T) {
	f := handMade(t)
	// acme/api: pulls 1 page; PRs #1 #2 #4 #5 merged: 4 commit listings
	// and 4 review listings; workflows 1; deploy.yml runs on main (A, C,
	// G): 1 page; A's commit 1; compares A..C and C..G: 2; lone2, shipped
	// by G, asked about: 1. legacy: pulls 1 (empty), workflows 1, runs 1,
	// its commit 1 and, lone, asked about: 1. Plus the repository
	// listing: 1.
	want := 1 + (1 + 4 + 4 + 1 + 1 + 1 + 2 + 1) + (1 + 1 + 1 + 1 + 1)
	if got := minimumRequests(f.org, monthSince, monthUntil); got != want {
		t.Errorf("minimumRequests = %d, want %d", got, want)
	}
	srv := startFake(t, f.org, githubfake.Options{})
	src := newSource(t, srv.URL(), nil, nil)
	for _, b := range benchBlocks() {
		read(t, src, b, monthSince, monthUntil, nil)
	}
	if got := srv.Stats().Total; got < int64(want) || float64(got) > 1.5*float64(want) {
		t.Errorf("the extractor made %d requests for a floor of %d", got, want)
	}
	t.Logf("hand-made organisation: %d requests, floor %d", srv.Stats().Total, want)
}
