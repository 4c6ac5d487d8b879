package githubfake

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
)

// TestRunsThatWait follows one run through an approval and one through a
// re-run, as go-github sees them: the id and created_at stay, status,
// run_started_at, updated_at and run_attempt move.
func TestRunsThatWait(t *testing.T) {
	f := newFixture(t)
	gated := f.repo.AddRun(RunSpec{Workflow: "deploy.yml", SHA: f.lone2, CreatedAt: at(20), Status: StatusWaiting})
	srv, gh := serve(t, f.org, Options{})
	ctx := context.Background()
	get := func(id int64) *github.WorkflowRun {
		t.Helper()
		run, _, err := gh.Actions.GetWorkflowRunByID(ctx, "acme", "api", id)
		if err != nil {
			t.Fatal(err)
		}
		return run
	}
	check := func(step string, run *github.WorkflowRun, status, conclusion string, attempt int, started, updated time.Time) {
		t.Helper()
		if run.GetStatus() != status || run.GetConclusion() != conclusion || run.GetRunAttempt() != attempt ||
			!run.GetRunStartedAt().Time.Equal(started) || !run.GetUpdatedAt().Time.Equal(updated) || !run.GetCreatedAt().Time.Equal(at(20)) {
			t.Errorf("%s: %s/%s attempt %d started %v updated %v created %v; want %s/%s attempt %d started %v updated %v created %v",
				step, run.GetStatus(), run.GetConclusion(), run.GetRunAttempt(), run.GetRunStartedAt(), run.GetUpdatedAt(), run.GetCreatedAt(),
				status, conclusion, attempt, started, updated, at(20))
		}
	}
	check("waiting", get(gated.ID), StatusWaiting, "", 1, at(20), at(20))
	// Listed by its status, as GitHub's status filter takes "waiting".
	runs, _, err := gh.Actions.ListRepositoryWorkflowRuns(ctx, "acme", "api", &github.ListWorkflowRunsOptions{Status: StatusWaiting})
	if err != nil || runs.GetTotalCount() != 1 || runs.WorkflowRuns[0].GetID() != gated.ID {
		t.Fatalf("status=waiting lists %d runs (%v), want the gated one", runs.GetTotalCount(), err)
	}
	srv.Update(func(o *Org) { o.Repo("api").FinishRun(gated.ID, ConclusionFailure, at(24*3), at(24*3+0.2)) })
	check("approved, failed", get(gated.ID), StatusCompleted, ConclusionFailure, 1, at(24*3), at(24*3+0.2))
	srv.Update(func(o *Org) { o.Repo("api").RerunRun(gated.ID, at(24*5)) })
	rerun := get(gated.ID)
	check("re-run, queued", rerun, StatusQueued, "", 2, at(24*5), at(24*5))
	if rerun.GetPreviousAttemptURL() == "" {
		t.Error("a second attempt has no previous_attempt_url")
	}
	srv.Update(func(o *Org) { o.Repo("api").FinishRun(gated.ID, "", time.Time{}, at(24*5+0.1)) })
	check("re-run, succeeded", get(gated.ID), StatusCompleted, ConclusionSuccess, 2, at(24*5), at(24*5+0.1))
}

// TestLateDeploymentStatus adds a success days after a deployment was
// created: its statuses show it, while the deployment object, and so the
// deployments page and its ETag, stay as they were.
func TestLateDeploymentStatus(t *testing.T) {
	f := newFixture(t)
	late := f.repo.AddDeployment(DeploymentSpec{SHA: f.lone2, CreatedAt: at(20), Statuses: []StatusSpec{{State: "pending", At: at(20.1)}}})
	srv, gh := serve(t, f.org, Options{})
	ctx := context.Background()
	list := &github.DeploymentsListOptions{Environment: "production"}
	deps, resp, err := gh.Repositories.ListDeployments(ctx, "acme", "api", list)
	if err != nil || len(deps) == 0 || deps[0].GetID() != late.ID {
		t.Fatalf("deployments %d (%v), want the late one first", len(deps), err)
	}
	etag := resp.Header.Get("ETag")
	srv.Update(func(o *Org) { o.Repo("api").AddDeploymentStatus(late.ID, StatusSpec{State: "success", At: at(24 * 4)}) })
	req, err := gh.NewRequest(http.MethodGet, "repos/acme/api/deployments?environment=production", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("If-None-Match", etag)
	if resp, err := gh.Do(ctx, req, nil); resp == nil || resp.StatusCode != http.StatusNotModified {
		t.Errorf("deployments page after a new status: %v (%v), want 304", resp, err)
	}
	d, _, err := gh.Repositories.GetDeployment(ctx, "acme", "api", late.ID)
	if err != nil || !d.GetUpdatedAt().Time.Equal(at(20)) {
		t.Errorf("deployment updated_at %v (%v), want its creation %v", d.GetUpdatedAt(), err, at(20))
	}
	sts, _, err := gh.Repositories.ListDeploymentStatuses(ctx, "acme", "api", late.ID, nil)
	if err != nil || len(sts) != 2 || sts[0].GetState() != "success" || !sts[0].GetCreatedAt().Time.Equal(at(24*4)) {
		t.Errorf("statuses %d (%v), want the late success first", len(sts), err)
	}
}
