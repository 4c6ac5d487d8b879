package github_test

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"doraflow"
	"doraflow/extract/github"
	"doraflow/extract/github/githubfake"
)

// testToken is the token the fake accepts; tests assert it never shows up
// in an error.
const testToken = "ghp_doraflowTEST7q2"

// at is a fixture time: hours after a fixed start.
func at(hours float64) time.Time {
	return time.Date(2024, time.March, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(hours * float64(time.Hour)))
}

// The hand-made organisation's data lies in [at(0), at(48)); reads cover
// a month from at(0).
var (
	monthSince = at(0)
	monthUntil = at(24 * 30)
)

// clock is the fake clock of a test: the fake server's Now and the
// Source's Now and Sleep, which advances it, so no test sleeps for real.
type clock struct {
	*clockwork.FakeClock
	mu    sync.Mutex
	waits []time.Duration
}

func newClock(t time.Time) *clock { return &clock{FakeClock: clockwork.NewFakeClockAt(t)} }

// Sleep is Options.Sleep.
func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	c.Advance(d)
	return nil
}

func (c *clock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.waits)
}

// fixture is the hand-made organisation acme with its repository api:
//
//	root - lone1 - S(#1) - M(#2) - lone2 - S(#5)        main
//	   \                 \ p2a-p2b /                      #1 squashed, #2 merge commit
//	    \ start1x - S(#4)                                 release/1.x, #4 squashed
//	    #3 closed unmerged
//
// with workflow runs, releases and GitHub deployments on those commits,
// and legacy, a year of daily commits then one deploy.
type fixture struct {
	org                      *githubfake.Org
	root, lone1, lone2       githubfake.SHA
	squash1, merge2, squash4 githubfake.SHA
	squash5                  githubfake.SHA
	pr2Commits               []githubfake.SHA
	legacyHead               githubfake.SHA
	// run ids by letter (see handMade)
	runs map[string]int64
	// release and deployment ids by tag or name
	releases, deployments map[string]int64
}

func handMade(t *testing.T) *fixture {
	t.Helper()
	o := githubfake.NewOrg("acme", monthUntil)
	o.AddPerson("alice", "Alice Example", "alice@acme.example")
	o.AddPerson("bob", "Bob Example", "bob@acme.example")
	f := &fixture{org: o, runs: map[string]int64{}, releases: map[string]int64{}, deployments: map[string]int64{}}
	r := o.AddRepo("api")
	f.root = r.AddCommit(githubfake.CommitSpec{Message: "Initial commit", At: at(0)})
	r.AddCommit(githubfake.CommitSpec{Branch: "release/1.x", Message: "Start 1.x", At: at(0.5)})
	f.lone1 = r.AddCommit(githubfake.CommitSpec{Message: "Fix typo", At: at(1), Author: "bob"})
	pr1 := r.AddPR(githubfake.PRSpec{Title: "Add login", Labels: []string{"deploy"}, Commits: 2,
		CommitTimes: []time.Time{at(2), at(3)}, CreatedAt: at(4), Files: []string{"src/login.go"},
		Merge: githubfake.MergeSquash, MergedAt: at(6)})
	f.squash1 = r.SHAOf(pr1.MergeCommit)
	pr2 := r.AddPR(githubfake.PRSpec{Title: "Add billing", Labels: []string{"deploy", "hotfix"}, Commits: 2,
		CommitTimes: []time.Time{at(6.5), at(7)}, CreatedAt: at(8), Files: []string{"services/a/x.go", "services/b/y.go"},
		Merge: githubfake.MergeCommit, MergedAt: at(9), MergedBy: "bob"})
	f.merge2 = r.SHAOf(pr2.MergeCommit)
	for i := range pr2.NumCommits {
		f.pr2Commits = append(f.pr2Commits, r.SHAOf(pr2.FirstCommit+i))
	}
	r.AddPR(githubfake.PRSpec{Title: "Abandoned idea", Labels: []string{"deploy"}, CreatedAt: at(11), ClosedAt: at(12)})
	f.lone2 = r.AddCommit(githubfake.CommitSpec{Message: "Bump version\n\nFor the release.", At: at(12.5), Author: "ci@acme.internal"})
	pr4 := r.AddPR(githubfake.PRSpec{Title: "Backport login", Base: "release/1.x", Labels: []string{"deploy", "backport"},
		CreatedAt: at(13), Merge: githubfake.MergeSquash, MergedAt: at(13.5)})
	f.squash4 = r.SHAOf(pr4.MergeCommit)
	pr5 := r.AddPR(githubfake.PRSpec{Title: "Docs", Labels: []string{"deploy", "skip-deploy"}, Files: []string{"docs/guide/intro.md"},
		CreatedAt: at(14), Merge: githubfake.MergeSquash, MergedAt: at(15)})
	f.squash5 = r.SHAOf(pr5.MergeCommit)

	r.AddWorkflow("Deploy production", "deploy.yml")
	r.AddWorkflow("CI", "ci.yml")
	for _, run := range []struct {
		name string
		spec githubfake.RunSpec
	}{
		{"A", githubfake.RunSpec{Workflow: "deploy.yml", SHA: f.squash1, CreatedAt: at(6.1)}},
		{"B", githubfake.RunSpec{Workflow: "deploy.yml", SHA: f.merge2, CreatedAt: at(9.1), Conclusion: githubfake.ConclusionFailure}},
		{"C", githubfake.RunSpec{Workflow: "deploy.yml", SHA: f.merge2, CreatedAt: at(9.5)}},
		{"D", githubfake.RunSpec{Workflow: "ci.yml", Branch: "feature/3", Event: "pull_request", CreatedAt: at(11.5)}},
		{"E", githubfake.RunSpec{Workflow: "deploy.yml", Branch: "release/1.x", Event: "workflow_dispatch", CreatedAt: at(14)}},
		{"F", githubfake.RunSpec{Workflow: "deploy.yml", SHA: f.squash5, CreatedAt: at(16), Status: githubfake.StatusInProgress}},
		{"G", githubfake.RunSpec{Workflow: "deploy.yml", SHA: f.squash5, CreatedAt: at(16.5)}},
	} {
		f.runs[run.name] = r.AddRun(run.spec).ID
	}
	for _, rel := range []githubfake.ReleaseSpec{
		{Tag: "v1.0.0", Name: "One", SHA: f.squash1, Annotated: true, PublishedAt: at(7)},
		{Tag: "v1.1.0-rc.1", SHA: f.merge2, Prerelease: true, PublishedAt: at(10)},
		{Tag: "v1.1.0", Draft: true, CreatedAt: at(15)},
		{Tag: "mobile-2.0", SHA: f.lone2, PublishedAt: at(15.5)},
		{Tag: "v1.2.0", SHA: f.squash5, PublishedAt: at(17)},
	} {
		f.releases[rel.Tag] = r.AddRelease(rel).ID
	}
	for _, d := range []struct {
		name string
		spec githubfake.DeploymentSpec
	}{
		{"P1", githubfake.DeploymentSpec{SHA: f.squash1, CreatedAt: at(6.2), Statuses: []githubfake.StatusSpec{{State: "in_progress", At: at(6.25)}, {State: "success", At: at(6.3)}}}},
		{"S1", githubfake.DeploymentSpec{SHA: f.merge2, Environment: "staging", CreatedAt: at(9.2), Statuses: []githubfake.StatusSpec{{State: "success", At: at(9.3)}}}},
		{"failed", githubfake.DeploymentSpec{SHA: f.merge2, CreatedAt: at(9.4), Statuses: []githubfake.StatusSpec{{State: "failure", At: at(9.45)}}}},
		{"P2", githubfake.DeploymentSpec{SHA: f.lone2, CreatedAt: at(12.6), Statuses: []githubfake.StatusSpec{{State: "success", At: at(13)}, {State: "success", At: at(14)}, {State: "inactive", At: at(20)}}}},
		{"pending", githubfake.DeploymentSpec{SHA: f.squash5, CreatedAt: at(15.2)}},
	} {
		f.deployments[d.name] = r.AddDeployment(d.spec).ID
	}

	// legacy: a year of history, then its first deployment.
	l := o.AddRepo("legacy")
	start := at(0).AddDate(-1, 0, 0)
	for d := range 365 {
		f.legacyHead = l.AddCommit(githubfake.CommitSpec{Message: fmt.Sprintf("Day %d", d), At: start.AddDate(0, 0, d)})
	}
	l.AddRun(githubfake.RunSpec{Workflow: "deploy.yml", SHA: f.legacyHead, CreatedAt: at(20)})
	return f
}

// startFake serves org with the test token unless opts says otherwise.
func startFake(t *testing.T, org *githubfake.Org, opts githubfake.Options) *githubfake.Server {
	t.Helper()
	if opts.Token == "" {
		opts.Token = testToken
	}
	srv := githubfake.NewServer(org, opts)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// newSource returns a Source on baseURL whose clock is clk (nil: a fixed
// one), so no test waits for real. edit adjusts the options.
func newSource(t *testing.T, baseURL string, clk *clock, edit func(*github.Options)) *github.Source {
	t.Helper()
	if clk == nil {
		clk = newClock(monthUntil)
	}
	opts := github.Options{BaseURL: baseURL, Token: testToken, Sleep: clk.Sleep, Now: clk.Now}
	if edit != nil {
		edit(&opts)
	}
	src, err := github.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// block is a deployment block over acme/api.
func block(m doraflow.Method, f doraflow.Filters) doraflow.Block {
	if m == doraflow.MethodWorkflowRun && f.Text("conclusion") == "" {
		f = maps.Clone(f)
		if f == nil {
			f = doraflow.Filters{}
		}
		f["conclusion"] = "success" // the config loader's default
	}
	return doraflow.Block{Name: "b-" + string(m), Method: m, Repositories: []string{"acme/api"}, Environment: doraflow.EnvironmentProduction, Filters: f}
}

// collector is a sink that keeps every batch and checks each is whole.
type collector struct {
	t       *testing.T
	mu      sync.Mutex
	batches []doraflow.FactSet
	fail    error // returned by every call when set
}

func newCollector(t *testing.T) *collector { return &collector{t: t} }

func (c *collector) sink(_ context.Context, b doraflow.FactSet) error {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return c.fail
	}
	checkBatch(c.t, b)
	c.batches = append(c.batches, b)
	return nil
}

// checkBatch asserts a batch's shape: every deployment has its ships,
// every shipped change is in the batch once, nothing else is.
func checkBatch(t *testing.T, b doraflow.FactSet) {
	t.Helper()
	changes := map[string]bool{}
	for _, ch := range b.Changes {
		if changes[ch.ID] {
			t.Errorf("change %s twice in one batch", ch.ID)
		}
		changes[ch.ID] = true
		if ch.StartedAt.IsZero() || ch.Repository == "" || ch.SHA == "" || ch.URL == "" {
			t.Errorf("change %s is incomplete: %+v", ch.ID, ch)
		}
	}
	shipped := map[string]bool{}
	for _, d := range b.Deployments {
		ids, ok := b.Ships[d.ID]
		if !ok {
			t.Errorf("deployment %s has no Ships entry", d.ID)
		}
		for _, id := range ids {
			if !changes[id] {
				t.Errorf("deployment %s ships %s, which is not in the batch", d.ID, id)
			}
			shipped[id] = true
		}
	}
	if len(b.Ships) != len(b.Deployments) || len(shipped) != len(changes) {
		t.Errorf("batch has %d deployments, %d ships entries, %d changes of which %d shipped", len(b.Deployments), len(b.Ships), len(changes), len(shipped))
	}
}

// rows is what a read delivered, merged over batches: deployments and
// changes by id, ships, and the commits that made each shipped change.
type rows struct {
	deployments map[string]doraflow.Deployment
	changes     map[string]doraflow.Change
	ships       map[string][]string
	commits     map[string]map[string][]string
}

func (c *collector) rows() rows {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := rows{deployments: map[string]doraflow.Deployment{}, changes: map[string]doraflow.Change{}, ships: map[string][]string{},
		commits: map[string]map[string][]string{}}
	for _, b := range c.batches {
		for _, d := range b.Deployments {
			r.deployments[d.ID] = d
		}
		for _, ch := range b.Changes {
			r.changes[ch.ID] = ch
		}
		maps.Copy(r.ships, b.Ships)
		maps.Copy(r.commits, b.Commits)
	}
	return r
}

func (r rows) deploymentIDs() []string { return slices.Sorted(maps.Keys(r.deployments)) }

// read runs Read and fails the test on an error.
func read(t *testing.T, src *github.Source, b doraflow.Block, since, until time.Time, hist github.History) (rows, github.Stats) {
	t.Helper()
	c := newCollector(t)
	st, err := src.Read(context.Background(), b, since, until, hist, c.sink)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	r := c.rows()
	if st.Deployments != len(r.deployments) {
		t.Errorf("Stats.Deployments = %d, sink got %d", st.Deployments, len(r.deployments))
	}
	return r, st
}

// ids builds deployment ids of acme/api.
func ids(kind string, nums ...int64) []string {
	out := make([]string, len(nums))
	for i, n := range nums {
		out[i] = fmt.Sprintf("acme/api#%s-%d", kind, n)
	}
	slices.Sort(out)
	return out
}

// memStore is an in-memory ETagStore.
type memStore struct {
	mu     sync.Mutex
	m      map[string]string
	saves  int
	loaded []string // prefixes asked for
}

func newMemStore() *memStore { return &memStore{m: map[string]string{}} }

func (s *memStore) Load(_ context.Context, prefix string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loaded = append(s.loaded, prefix)
	out := map[string]string{}
	for k, v := range s.m {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out, nil
}

func (s *memStore) Save(_ context.Context, etags map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saves++
	maps.Copy(s.m, etags)
	return nil
}

func (s *memStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// history is a fixed History.
type history map[string]string // "repo env" -> sha

func (h history) PreviousSHA(_ context.Context, repo, env string, _ time.Time) (string, bool, error) {
	sha, ok := h[repo+" "+env]
	return sha, ok, nil
}

// countEndpoint counts the server's requests to an endpoint pattern.
func countEndpoint(srv *githubfake.Server, endpoint string) int64 {
	return srv.Stats().ByEndpoint[endpoint]
}

const repoPrefix = "GET /repos/{owner}/{repo}"

// diffRows fails the test unless got equals want row for row, naming the
// rows that differ.
func diffRows(t *testing.T, want, got rows) {
	t.Helper()
	if reflect.DeepEqual(want, got) {
		return
	}
	for id, d := range want.deployments {
		if !reflect.DeepEqual(d, got.deployments[id]) {
			t.Errorf("deployment %s:\nREST    %+v\nGraphQL %+v", id, d, got.deployments[id])
		}
	}
	for id, c := range want.changes {
		if !reflect.DeepEqual(c, got.changes[id]) {
			t.Errorf("change %s:\nREST    %+v\nGraphQL %+v", id, c, got.changes[id])
		}
	}
	for id, s := range want.ships {
		if !reflect.DeepEqual(s, got.ships[id]) {
			t.Errorf("ships of %s:\nREST    %v\nGraphQL %v", id, s, got.ships[id])
		}
	}
	for id, c := range want.commits {
		if !reflect.DeepEqual(c, got.commits[id]) {
			t.Errorf("commits of %s:\nREST    %v\nGraphQL %v", id, c, got.commits[id])
		}
	}
	t.Fatalf("GraphQL read %d deployments, %d changes, %d ships, commits of %d; REST %d, %d, %d, %d",
		len(got.deployments), len(got.changes), len(got.ships), len(got.commits),
		len(want.deployments), len(want.changes), len(want.ships), len(want.commits))
}
