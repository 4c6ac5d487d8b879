package githubfake

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
)

// testToken is the token fixtures configure and clients send.
const testToken = "ghp_test"

// at is a fixture time: hours after a fixed start in the past. The past
// matters: go-github refuses, client-side, to call before a rate-limit reset
// it has seen that lies in the future by the real clock.
func at(hours float64) time.Time {
	return time.Date(2024, time.March, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(hours * float64(time.Hour)))
}

// fixture is a small hand-built organisation with one of each hard case,
// and the SHAs a test asserts on.
type fixture struct {
	org  *Org
	repo *Repo

	root, lone1, lone2 SHA
	squash, merge      SHA // merge commits of #1 (squash) and #2 (merge commit)
	pr1, pr2, pr3, pr4 PullRequest
	deployProd         Deployment
	deployFailOnly     Deployment
}

// newFixture builds acme/api:
//
//	root - lone1 - S(#1) - M(#2) - lone2          main
//	           \ p1a-p1b   \ p2a-p2b /            #1 squashed, #2 merge commit
//	                             \ p3             #3 closed unmerged
//	                                     \ p4     #4 open revert
func newFixture(t *testing.T) *fixture {
	t.Helper()
	o := NewOrg("acme", at(24*30))
	o.AddPerson("alice", "Alice Example", "alice@acme.example")
	o.AddPerson("bob", "Bob Example", "bob@acme.example")
	r := o.AddRepo("api")
	f := &fixture{org: o, repo: r}
	f.root = r.AddCommit(CommitSpec{Message: "Initial commit", At: at(0)})
	f.lone1 = r.AddCommit(CommitSpec{Message: "Fix typo", At: at(1), Author: "bob"})
	f.pr1 = r.AddPR(PRSpec{Title: "Add login", Labels: []string{"deploy"}, Commits: 2, CreatedAt: at(5), Merge: MergeSquash, MergedAt: at(6)})
	f.squash = r.SHAOf(f.pr1.MergeCommit)
	f.pr2 = r.AddPR(PRSpec{Title: "Add billing", Labels: []string{"deploy", "hotfix"}, Commits: 2, CreatedAt: at(8),
		Files: []string{"services/a/x.go", "services/b/y.go"}, Merge: MergeCommit, MergedAt: at(9), MergedBy: "bob"})
	f.merge = r.SHAOf(f.pr2.MergeCommit)
	f.pr3 = r.AddPR(PRSpec{Title: "Abandoned idea", CreatedAt: at(11), ClosedAt: at(12)})
	f.lone2 = r.AddCommit(CommitSpec{Message: "Bump version", At: at(12.5), Author: "ci@acme.internal"})
	f.pr4 = r.AddPR(PRSpec{Title: `Revert "Add login"`, Labels: []string{"revert"}, CreatedAt: at(14)})

	r.AddRun(RunSpec{Workflow: "deploy.yml", SHA: f.squash, CreatedAt: at(6.1)})
	r.AddRun(RunSpec{Workflow: "deploy.yml", SHA: f.merge, CreatedAt: at(9.1), Conclusion: ConclusionFailure})
	r.AddRun(RunSpec{Workflow: "deploy.yml", SHA: f.merge, CreatedAt: at(9.5), Conclusion: ConclusionCancelled})
	r.AddRun(RunSpec{Workflow: "ci.yml", Branch: "feature/4", Event: "pull_request", CreatedAt: at(14.1)})
	r.AddRun(RunSpec{Workflow: "deploy.yml", SHA: f.lone2, CreatedAt: at(14.5), Status: StatusInProgress})

	r.AddRelease(ReleaseSpec{Tag: "v1.0.0", SHA: f.squash, Annotated: true, PublishedAt: at(7)})
	r.AddRelease(ReleaseSpec{Tag: "v1.1.0-rc.1", SHA: f.merge, Prerelease: true, PublishedAt: at(10)})
	r.AddRelease(ReleaseSpec{Tag: "v1.1.0", Draft: true, CreatedAt: at(15)})
	r.AddTag("v0.9.0", f.lone1, false, at(2))

	f.deployProd = r.AddDeployment(DeploymentSpec{SHA: f.squash, CreatedAt: at(6.2), Statuses: []StatusSpec{{State: "in_progress", At: at(6.25)}, {State: "success", At: at(6.3)}}})
	r.AddDeployment(DeploymentSpec{SHA: f.merge, Environment: "staging", CreatedAt: at(9.2), Statuses: []StatusSpec{{State: "success", At: at(9.3)}}})
	f.deployFailOnly = r.AddDeployment(DeploymentSpec{SHA: f.merge, CreatedAt: at(9.4), Statuses: []StatusSpec{{State: "failure", At: at(9.45)}}})
	return f
}

// serve starts a server for org with the given options and returns it with
// a go-github client pointed at it; both are cleaned up with the test.
func serve(t *testing.T, org *Org, opts Options) (*Server, *github.Client) {
	t.Helper()
	if opts.Token == "" {
		opts.Token = testToken
	}
	s := NewServer(org, opts)
	base := s.Start()
	t.Cleanup(s.Close)
	return s, newClient(t, base, opts.Token)
}

// newClient returns a go-github client for a fake at base.
func newClient(t *testing.T, base, token string) *github.Client {
	t.Helper()
	// A fresh connection per request: Go's transport silently retries a
	// GET whose reused connection drops, which would hide injected drops.
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	c := github.NewClient(hc).WithAuthToken(token)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = u
	return c
}
