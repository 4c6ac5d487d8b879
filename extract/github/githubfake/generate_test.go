package githubfake

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestGenerateDeterministic(t *testing.T) {
	size := Size{Repos: 7, PRsPerRepo: 50, RunsPerRepo: 50}
	a, b := Generate(42, size), Generate(42, size)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("Generate(42) twice gave different organisations")
	}
	c := Generate(43, size)
	if reflect.DeepEqual(a.Repos[0].Commits, c.Repos[0].Commits) {
		t.Fatal("Generate(42) and Generate(43) gave the same commits")
	}
}

func TestGenerateCounts(t *testing.T) {
	size := Size{Repos: 8, PRsPerRepo: 30, RunsPerRepo: 45, ReleasesPerRepo: 5, DeploymentsPerRepo: 9, LoneCommitsPerRepo: 4}
	o := Generate(1, size)
	if len(o.Repos) != 8 {
		t.Fatalf("repos = %d, want 8", len(o.Repos))
	}
	for _, r := range o.Repos {
		if len(r.PRs) != 30 || len(r.Runs) != 45 || len(r.Releases) != 5 || len(r.Deployments) != 9 {
			t.Errorf("%s: %d PRs %d runs %d releases %d deployments", r.Name, len(r.PRs), len(r.Runs), len(r.Releases), len(r.Deployments))
		}
		checkInvariants(t, r)
	}
}

// checkInvariants asserts what the server and the extractor rely on:
// topological commit order, dates growing along every parent link,
// ascending PR numbers and run ids, everything at or before Now.
func checkInvariants(t *testing.T, r *Repo) {
	t.Helper()
	now := r.org.Now
	for i := range r.Commits {
		c := &r.Commits[i]
		for _, p := range c.Parents {
			if p == NoCommit {
				continue
			}
			if p >= int32(i) {
				t.Fatalf("%s: commit %d has parent %d: not topological", r.Name, i, p)
			}
			if c.Date.Before(r.Commits[p].Date) {
				t.Fatalf("%s: commit %d (%s) is older than its parent %d (%s)", r.Name, i, c.Date, p, r.Commits[p].Date)
			}
		}
		if c.Date.After(now) {
			t.Fatalf("%s: commit %d is after Now", r.Name, i)
		}
	}
	for i := 1; i < len(r.PRs); i++ {
		if r.PRs[i].Number <= r.PRs[i-1].Number {
			t.Fatalf("%s: PR numbers not ascending at %d", r.Name, i)
		}
	}
	for i := 1; i < len(r.Runs); i++ {
		if r.Runs[i].ID <= r.Runs[i-1].ID {
			t.Fatalf("%s: run ids not ascending at %d", r.Name, i)
		}
	}
	for i := range r.Runs {
		run := &r.Runs[i]
		if run.UpdatedAt.Before(run.CreatedAt) || run.CreatedAt.After(now) {
			t.Fatalf("%s: run %d has created %s updated %s", r.Name, run.ID, run.CreatedAt, run.UpdatedAt)
		}
		if (run.Status == StatusCompleted) != (run.Conclusion != "") {
			t.Fatalf("%s: run %d is %s with conclusion %q", r.Name, run.ID, run.Status, run.Conclusion)
		}
	}
	for i := range r.PRs {
		p := &r.PRs[i]
		if p.NumCommits < 1 || p.UpdatedAt.Before(p.CreatedAt) {
			t.Fatalf("%s#%d: %d commits, updated %s before created %s", r.Name, p.Number, p.NumCommits, p.UpdatedAt, p.CreatedAt)
		}
		if p.Merged() != !p.MergedAt.IsZero() {
			t.Fatalf("%s#%d: merge commit and merged_at disagree", r.Name, p.Number)
		}
	}
}

// TestGenerateHardCases checks that a default-size organisation contains
// every case the extractor and the metrics must get right.
func TestGenerateHardCases(t *testing.T) {
	for _, seed := range []int64{1, 2, 1234} {
		t.Run(strconv.FormatInt(seed, 10), func(t *testing.T) { checkHardCases(t, Generate(seed, Size{})) })
	}
}

func checkHardCases(t *testing.T, o *Org) {
	window := o.Now.AddDate(0, 0, -90)
	anyPR := func(f func(r *Repo, p *PullRequest) bool) bool {
		for _, r := range o.Repos {
			for i := range r.PRs {
				if f(r, &r.PRs[i]) {
					return true
				}
			}
		}
		return false
	}
	anyRun := func(f func(r *Repo, run *Run) bool) bool {
		for _, r := range o.Repos {
			for i := range r.Runs {
				if f(r, &r.Runs[i]) {
					return true
				}
			}
		}
		return false
	}
	anyRelease := func(f func(rel *Release) bool) bool {
		for _, r := range o.Repos {
			for i := range r.Releases {
				if f(&r.Releases[i]) {
					return true
				}
			}
		}
		return false
	}
	anyDeployment := func(f func(d *Deployment) bool) bool {
		for _, r := range o.Repos {
			for i := range r.Deployments {
				if f(&r.Deployments[i]) {
					return true
				}
			}
		}
		return false
	}
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"squash merge", anyPR(func(r *Repo, p *PullRequest) bool {
			return p.Merge == MergeSquash && r.Commits[p.MergeCommit].NumParents() == 1
		})},
		{"merge commit whose PR commits are reachable from main", anyPR(func(r *Repo, p *PullRequest) bool {
			if p.Merge != MergeCommit || p.Base != r.DefaultBranch {
				return false
			}
			main, _ := r.Branch(r.DefaultBranch)
			cmp := r.Compare(p.HeadCommit(), main)
			return r.Commits[p.MergeCommit].NumParents() == 2 && cmp.Behind == 0
		})},
		{"rebase merge of several commits, its own commits off main", anyPR(func(r *Repo, p *PullRequest) bool {
			if p.Merge != MergeRebase || p.NumCommits < 2 || p.Base != r.DefaultBranch {
				return false
			}
			main, _ := r.Branch(r.DefaultBranch)
			for k := p.MergeCommit - p.NumCommits + 1; k <= p.MergeCommit; k++ {
				if !p.Rebased(k) || r.Commits[k].PR != p.Number || r.Commits[k].NumParents() != 1 || r.Compare(k, main).Behind != 0 {
					return false
				}
			}
			return r.Compare(p.HeadCommit(), main).Behind != 0
		})},
		{"closed unmerged", anyPR(func(r *Repo, p *PullRequest) bool { return p.State() == "closed" && !p.Merged() })},
		{"open", anyPR(func(r *Repo, p *PullRequest) bool { return p.State() == "open" })},
		{"draft PR", anyPR(func(r *Repo, p *PullRequest) bool { return p.Draft })},
		{"revert PR", anyPR(func(r *Repo, p *PullRequest) bool {
			return strings.HasPrefix(p.Title, `Revert "`) && p.HasLabel("revert") && p.Merged()
		})},
		{"hotfix PR", anyPR(func(r *Repo, p *PullRequest) bool { return p.HasLabel("hotfix") && p.Merged() })},
		{"PR matching two label blocks", anyPR(func(r *Repo, p *PullRequest) bool { return p.HasLabel("hotfix") && p.HasLabel("deploy") })},
		{"PR on another base branch", anyPR(func(r *Repo, p *PullRequest) bool { return p.Base != r.DefaultBranch && p.Merged() })},
		{"bot PR", anyPR(func(r *Repo, p *PullRequest) bool { return o.People[p.User].Bot })},
		{"monorepo PR touching services/a and services/b", anyPR(func(r *Repo, p *PullRequest) bool {
			return touches(p.Files, "services/a") && touches(p.Files, "services/b")
		})},
		{"monorepo PR touching only services/a", anyPR(func(r *Repo, p *PullRequest) bool {
			return touches(p.Files, "services/a") && !touches(p.Files, "services/b")
		})},
		{"PR number gaps", anyPR(func(r *Repo, p *PullRequest) bool {
			i := r.byPR[p.Number]
			return i > 0 && r.PRs[i-1].Number < p.Number-1
		})},
		{"deploy run on another branch", anyRun(func(r *Repo, run *Run) bool {
			return run.HeadBranch != r.DefaultBranch && run.Event != "pull_request"
		})},
		{"failed run", anyRun(func(r *Repo, run *Run) bool { return run.Conclusion == ConclusionFailure })},
		{"cancelled run", anyRun(func(r *Repo, run *Run) bool { return run.Conclusion == ConclusionCancelled })},
		{"in-progress run", anyRun(func(r *Repo, run *Run) bool { return run.Status == StatusInProgress })},
		{"queued run", anyRun(func(r *Repo, run *Run) bool { return run.Status == StatusQueued })},
		{"run waiting for approval", anyRun(func(r *Repo, run *Run) bool { return run.Status == StatusWaiting })},
		{"run approved days after it was created", anyRun(func(r *Repo, run *Run) bool {
			return run.RunAttempt() == 1 && run.RunStartedAt().Sub(run.CreatedAt) > 24*time.Hour && run.Conclusion == ConclusionSuccess
		})},
		{"run re-run days later (run_attempt 2)", anyRun(func(r *Repo, run *Run) bool {
			return run.RunAttempt() == 2 && run.RunStartedAt().Sub(run.CreatedAt) > 24*time.Hour && run.Conclusion == ConclusionSuccess
		})},
		{"pull_request run", anyRun(func(r *Repo, run *Run) bool { return run.Event == "pull_request" })},
		{"draft release", anyRelease(func(rel *Release) bool { return rel.Draft && rel.PublishedAt.IsZero() })},
		{"prerelease", anyRelease(func(rel *Release) bool { return rel.Prerelease })},
		{"release targeting a SHA", anyRelease(func(rel *Release) bool { return len(rel.Target) == 40 })},
		{"staging deployment", anyDeployment(func(d *Deployment) bool { return d.Environment == "staging" })},
		{"deployment whose only status is failure", anyDeployment(func(d *Deployment) bool {
			return len(d.Statuses) == 1 && d.Statuses[0].State == "failure"
		})},
		{"deployment succeeding days after it was created", anyDeployment(func(d *Deployment) bool {
			n := len(d.Statuses)
			return n == 3 && d.Statuses[2].State == "success" && d.Statuses[2].CreatedAt.Sub(d.CreatedAt) > 24*time.Hour
		})},
		{"deployment without statuses", anyDeployment(func(d *Deployment) bool { return len(d.Statuses) == 0 })},
		{"superseded production deployment", anyDeployment(func(d *Deployment) bool {
			return len(d.Statuses) > 0 && d.Statuses[len(d.Statuses)-1].State == "inactive"
		})},
	} {
		if !tc.ok {
			t.Errorf("no %s", tc.name)
		}
	}

	t.Run("lone commits on main in the window", func(t *testing.T) {
		n := 0
		for _, r := range o.Repos {
			for i := range r.Commits {
				c := &r.Commits[i]
				if c.PR == 0 && c.Date.After(window) && c.NumParents() == 1 {
					n++
				}
			}
		}
		if n == 0 {
			t.Error("none")
		}
	})
	t.Run("author without a GitHub account", func(t *testing.T) {
		for _, r := range o.Repos {
			for i := range r.Commits {
				if o.People[r.Commits[i].Author].Login == "" {
					return
				}
			}
		}
		t.Error("none")
	})
	t.Run("annotated tag", func(t *testing.T) {
		for _, r := range o.Repos {
			for _, tag := range r.Tags {
				if tag.Annotated {
					return
				}
			}
		}
		t.Error("none")
	})
	t.Run("a year of history before the first deployment", func(t *testing.T) {
		r := o.Repo("legacy")
		if r == nil {
			t.Fatal("no legacy repository")
		}
		first := o.Now
		for _, run := range r.Runs {
			first = minTime(first, run.CreatedAt)
		}
		for _, rel := range r.Releases {
			if !rel.Draft {
				first = minTime(first, rel.PublishedAt)
			}
		}
		for _, d := range r.Deployments {
			first = minTime(first, d.CreatedAt)
		}
		for _, p := range r.PRs {
			if p.Merged() {
				first = minTime(first, p.MergedAt)
			}
		}
		if age := first.Sub(r.Commits[0].Date); age < 365*24*time.Hour {
			t.Errorf("first deployment %s is %s after the first commit, want a year", first, age)
		}
	})
}

func TestSizeFor(t *testing.T) {
	s := SizeFor(100_000).withDefaults()
	if prs := s.Repos * s.PRsPerRepo; prs < 50_000 || prs > 50_100 {
		t.Errorf("SizeFor(100000) has %d PRs", prs)
	}
	if runs := s.Repos * s.RunsPerRepo; runs < 50_000 || runs > 50_100 {
		t.Errorf("SizeFor(100000) has %d runs", runs)
	}
}

// TestGenerateScale generates the benchmark organisation: 50,000 pull
// requests and 50,000 runs must come out in seconds.
func TestGenerateScale(t *testing.T) {
	if testing.Short() {
		t.Skip("large generation")
	}
	start := time.Now()
	o := Generate(1, SizeFor(100_000))
	took := time.Since(start)
	prs, runs, commits := 0, 0, 0
	for _, r := range o.Repos {
		prs += len(r.PRs)
		runs += len(r.Runs)
		commits += len(r.Commits)
	}
	t.Logf("generated %d PRs, %d runs, %d commits in %s", prs, runs, commits, took)
	if prs != 50_000 || runs != 50_000 {
		t.Errorf("got %d PRs and %d runs, want 50,000 each", prs, runs)
	}
	if took > 60*time.Second { // generous: -race slows generation ~10x
		t.Errorf("generation took %s", took)
	}
}
