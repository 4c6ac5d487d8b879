package github_test

import (
	"slices"
	"testing"
	"time"

	"doraflow"
	"doraflow/extract/github"
	"doraflow/extract/github/githubfake"
)

// lateOrg is acme/api with a commit a day from at(0) and the deploy.yml
// workflow; t0, a day in, is when the deploys of the tests start.
func lateOrg(t *testing.T) (*githubfake.Org, *githubfake.Repo, []githubfake.SHA) {
	t.Helper()
	o := githubfake.NewOrg("acme", at(24*60))
	o.AddPerson("alice", "Alice Example", "alice@acme.example")
	r := o.AddRepo("api")
	var shas []githubfake.SHA
	for d := range 4 {
		shas = append(shas, r.AddCommit(githubfake.CommitSpec{Message: "Change " + itoa(int64(d)), At: at(float64(24 * d))}))
	}
	r.AddWorkflow("Deploy production", "deploy.yml")
	return o, r, shas
}

// syncer reads one block as successive syncs do: each over its own
// window, with the clock at the window's end, sharing the stores.
type syncer struct {
	t       *testing.T
	clk     *clock
	src     *github.Source
	block   doraflow.Block
	pending *memStore
}

func newSyncer(t *testing.T, srv *githubfake.Server, b doraflow.Block, pending bool) *syncer {
	t.Helper()
	s := &syncer{t: t, clk: newClock(at(0)), block: b, pending: newMemStore()}
	s.src = newSource(t, srv.URL(), s.clk, func(o *github.Options) {
		o.ETags = newMemStore()
		if pending {
			o.Pending = s.pending
		}
	})
	return s
}

// sync reads [since, until) at until and returns the deployment ids.
func (s *syncer) sync(since, until time.Time) (rows, github.Stats) {
	s.t.Helper()
	s.clk.Advance(until.Sub(s.clk.Now()))
	return read(s.t, s.src, s.block, since, until, nil)
}

// watched counts the remembered objects (non-empty values).
func (s *syncer) watched() int {
	s.pending.mu.Lock()
	defer s.pending.mu.Unlock()
	n := 0
	for _, v := range s.pending.m {
		if v != "" {
			n++
		}
	}
	return n
}

// TestRunsThatFinishLate syncs a deploy workflow hourly while one run
// waits three days for approval, one fails and is re-run two days later,
// one is still waiting 36 days on, and one finishes at once: each counts
// when its latest attempt completes, at its updated_at, however old its
// creation. Without a PendingStore the two late ones are lost (the test
// would fail on the old extractor).
func TestRunsThatFinishLate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pending bool
		want    []string // of the late sync
	}{
		{"with a PendingStore", true, []string{"approved", "rerun"}},
		{"without one", false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, r, shas := lateOrg(t)
			t0 := at(24)
			runs := map[string]int64{
				"at once":  r.AddRun(githubfake.RunSpec{Workflow: "deploy.yml", SHA: shas[1], CreatedAt: t0}).ID,
				"approved": r.AddRun(githubfake.RunSpec{Workflow: "deploy.yml", SHA: shas[1], CreatedAt: t0.Add(time.Minute), Status: githubfake.StatusWaiting}).ID,
				"rerun": r.AddRun(githubfake.RunSpec{Workflow: "deploy.yml", SHA: shas[1], CreatedAt: t0.Add(2 * time.Minute),
					Conclusion: githubfake.ConclusionFailure}).ID,
				"forever": r.AddRun(githubfake.RunSpec{Workflow: "deploy.yml", SHA: shas[1], CreatedAt: t0.Add(3 * time.Minute), Status: githubfake.StatusWaiting}).ID,
			}
			name := map[string]string{}
			for k, id := range runs {
				name["acme/api#run-"+itoa(id)] = k
			}
			names := func(got rows) []string {
				var out []string
				for _, id := range got.deploymentIDs() {
					out = append(out, name[id])
				}
				slices.Sort(out)
				return out
			}
			srv := startFake(t, o, githubfake.Options{})
			s := newSyncer(t, srv, block(doraflow.MethodWorkflowRun, doraflow.Filters{"workflow": "deploy.yml"}), tc.pending)

			got, _ := s.sync(t0.Add(-time.Hour), t0.Add(time.Hour))
			if g := names(got); !slices.Equal(g, []string{"at once"}) {
				t.Fatalf("first sync: %v, want the run that finished at once", g)
			}
			if tc.pending && s.watched() != 3 {
				t.Fatalf("first sync left %d runs to check again, want 3 (waiting, failed, waiting)", s.watched())
			}
			approvedAt := t0.Add(72*time.Hour + 10*time.Minute)
			rerunAt := t0.Add(48*time.Hour + 30*time.Minute)
			srv.Update(func(o *githubfake.Org) {
				api := o.Repo("api")
				api.RerunRun(runs["rerun"], t0.Add(48*time.Hour))
				api.FinishRun(runs["rerun"], "", time.Time{}, rerunAt)
				api.FinishRun(runs["approved"], "", t0.Add(72*time.Hour), approvedAt)
			})
			srv.ResetLog()
			late, _ := s.sync(t0.Add(72*time.Hour), t0.Add(73*time.Hour))
			if g := names(late); !slices.Equal(g, tc.want) {
				t.Fatalf("sync three days on: %v, want %v", g, tc.want)
			}
			if !tc.pending {
				return
			}
			for k, at := range map[string]time.Time{"approved": approvedAt, "rerun": rerunAt} {
				if d := late.deployments["acme/api#run-"+itoa(runs[k])]; !d.DeployedAt.Equal(at) {
					t.Errorf("%s deployed at %v, want its latest attempt's completion %v", k, d.DeployedAt, at)
				}
			}
			if n := countEndpoint(srv, repoPrefix+"/actions/runs/{id}"); n != 3 {
				t.Errorf("%d GET /actions/runs/{id}, want 3: one per remembered run", n)
			}
			if s.watched() != 1 {
				t.Errorf("%d runs left to check again, want 1 (still waiting)", s.watched())
			}
			// An hour on, only the waiting run is asked about, and it is
			// unchanged: a free 304.
			srv.ResetLog()
			if got, _ := s.sync(t0.Add(73*time.Hour), t0.Add(74*time.Hour)); len(got.deployments) != 0 {
				t.Errorf("an hour on: %v, want nothing new", got.deploymentIDs())
			}
			asked, free := 0, 0
			for _, req := range srv.Requests() {
				if req.Endpoint == repoPrefix+"/actions/runs/{id}" {
					asked++
					if req.NotModified {
						free++
					}
				}
			}
			if asked != 1 || free != 1 {
				t.Errorf("an hour on: %d GET /actions/runs/{id}, %d of them 304; want 1 and 1", asked, free)
			}
			// 35 days after it was created, GitHub has cancelled it: it is
			// judged once more, in full, and forgotten.
			srv.ResetLog()
			s.sync(t0.Add(36*24*time.Hour), t0.Add(36*24*time.Hour+time.Hour))
			if n := countEndpoint(srv, repoPrefix+"/actions/runs/{id}"); n != 1 || s.watched() != 0 {
				t.Errorf("36 days on: %d GET /actions/runs/{id}, %d left to check, want 1 and 0", n, s.watched())
			}
		})
	}
}

// TestBackfillOfOldRuns backfills, long after the fact, two windows in
// turn: a run the first window lists finished after its end, when the
// clock says its watch expired long ago. The second window counts it all
// the same (a watch past its expiry is judged once more, in full), as a
// backfill in other chunks would: the fault suite found the run lost.
func TestBackfillOfOldRuns(t *testing.T) {
	o, r, shas := lateOrg(t)
	t0 := at(24)
	id := r.AddRun(githubfake.RunSpec{Workflow: "deploy.yml", SHA: shas[1], CreatedAt: t0}).ID
	finished := t0.Add(50 * time.Hour)
	r.FinishRun(id, "", t0.Add(50*time.Hour-time.Minute), finished)
	srv := startFake(t, o, githubfake.Options{})
	s := newSyncer(t, srv, block(doraflow.MethodWorkflowRun, doraflow.Filters{"workflow": "deploy.yml"}), true)
	s.clk.Advance(400 * 24 * time.Hour) // a year on: every watch has expired by the clock
	first, _ := read(t, s.src, s.block, t0.Add(-time.Hour), t0.Add(47*time.Hour), nil)
	if len(first.deployments) != 0 || s.watched() != 1 {
		t.Fatalf("first window: %v, %d remembered; want none, and the run remembered", first.deploymentIDs(), s.watched())
	}
	second, _ := read(t, s.src, s.block, t0.Add(47*time.Hour), t0.Add(95*time.Hour), nil)
	want := "acme/api#run-" + itoa(id)
	if d, ok := second.deployments[want]; !ok || len(second.deployments) != 1 || !d.DeployedAt.Equal(finished) {
		t.Fatalf("second window: %v, want %s deployed at %v", second.deploymentIDs(), want, finished)
	}
	if s.watched() != 0 {
		t.Errorf("%d runs left to check again, want 0", s.watched())
	}
}

// TestDeploymentStatusesThatArriveLate syncs a GitHub deployment pending at
// one sync that succeeds four days later, while the deployment object and
// its page's ETag stay as they were.
func TestDeploymentStatusesThatArriveLate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pending bool
		want    int
	}{
		{"with a PendingStore", true, 1},
		{"without one", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, r, shas := lateOrg(t)
			t0 := at(24)
			slow := r.AddDeployment(githubfake.DeploymentSpec{SHA: shas[1], CreatedAt: t0,
				Statuses: []githubfake.StatusSpec{{State: "pending", At: t0.Add(time.Minute)}, {State: "in_progress", At: t0.Add(2 * time.Minute)}}})
			failed := r.AddDeployment(githubfake.DeploymentSpec{SHA: shas[1], CreatedAt: t0.Add(time.Minute),
				Statuses: []githubfake.StatusSpec{{State: "failure", At: t0.Add(3 * time.Minute)}}})
			srv := startFake(t, o, githubfake.Options{})
			s := newSyncer(t, srv, block(doraflow.MethodDeployment, doraflow.Filters{}), tc.pending)
			if got, _ := s.sync(t0.Add(-time.Hour), t0.Add(time.Hour)); len(got.deployments) != 0 {
				t.Fatalf("first sync: %v, want none: nothing succeeded", got.deploymentIDs())
			}
			if tc.pending && s.watched() != 1 {
				t.Fatalf("first sync left %d deployments to check again, want 1 (in progress; not %d, failed)", s.watched(), failed.ID)
			}
			success := t0.Add(96 * time.Hour)
			srv.Update(func(o *githubfake.Org) {
				o.Repo("api").AddDeploymentStatus(slow.ID, githubfake.StatusSpec{State: "success", At: success})
			})
			srv.ResetLog()
			got, _ := s.sync(success.Add(-time.Minute), success.Add(time.Hour))
			if len(got.deployments) != tc.want {
				t.Fatalf("sync after the success: %v, want %d", got.deploymentIDs(), tc.want)
			}
			if !tc.pending {
				return
			}
			if d := got.deployments["acme/api#deployment-"+itoa(slow.ID)]; !d.DeployedAt.Equal(success) || d.Environment != "production" || d.SHA != shas[1].String() {
				t.Errorf("deployment %+v, want production %s at %v", d, shas[1], success)
			}
			// The deployments page did not change: only the remembered
			// deployment's statuses told.
			if st := srv.Stats(); st.NotModified == 0 || countEndpoint(srv, repoPrefix+"/deployments/{id}/statuses") != 1 {
				t.Errorf("%d 304s, %d statuses calls; want the page's 304 and one statuses call", st.NotModified, countEndpoint(srv, repoPrefix+"/deployments/{id}/statuses"))
			}
			if s.watched() != 0 {
				t.Errorf("%d deployments left to check again, want 0", s.watched())
			}
		})
	}
}
