package github

import (
	"context"
	"strconv"
	"time"

	"github.com/google/go-github/v62/github"

	"doraflow"
)

// deploymentSlack is how long before since a GitHub deployment may have
// been created and still succeed in the window: paging stops at the first
// deployment created earlier.
const deploymentSlack = 24 * time.Hour

// listDeployments lists a deployment block's deployments in one
// repository: GitHub deployments (of the block's environment filter, which
// GitHub applies) whose first success status was created in the window;
// deployed_at is that status's created_at, and the environment is the
// deployment's own. A deployment without a success status is none.
//
// GET /deployments lists newest first by creation; each deployment
// created from a day before since to until costs one GET
// /deployments/{id}/statuses (all pages: statuses come newest first and
// the first success is wanted).
func (rr *repoRead) listDeployments(ctx context.Context) ([]doraflow.Deployment, error) {
	opts := &github.DeploymentsListOptions{Environment: filtersOf(rr.block).Environment, ListOptions: github.ListOptions{PerPage: perPage}}
	if rr.pv != nil {
		// A preview counts what environment removes.
		opts.Environment = ""
	}
	checks := rr.deploymentChecks()
	oldest := rr.window.since.Add(-deploymentSlack)
	var out []doraflow.Deployment
	fetch := func(ctx context.Context, page int) ([]*github.Deployment, *github.Response, error) {
		opts.Page = page
		return rr.s.gh.Repositories.ListDeployments(ctx, rr.owner, rr.name, opts)
	}
	l := listing{endpoint: rr.endpoint("/deployments"), memos: rr.memos, window: rr.window}
	err := pageThrough(ctx, l, fetch, func(ds []*github.Deployment, cov *coverage) (bool, error) {
		for _, gd := range ds {
			created := gd.GetCreatedAt().Time
			if created.Before(oldest) {
				cov.skipOlder()
				return false, nil
			}
			if !created.Before(rr.window.until) {
				// It succeeds no earlier than it was created: after the
				// window, which cov.in notes.
				cov.in(created)
				continue
			}
			// A preview's listing: created from a day before since (the
			// window of its first success is known only after a request).
			rr.pv.listed()
			if ok, err := passes(ctx, rr.pv, checks, gd); err != nil || !ok {
				if err != nil {
					return false, err
				}
				continue
			}
			st, err := rr.firstSuccess(ctx, gd.GetID())
			if err != nil {
				return false, err
			}
			if st == nil || !cov.in(st.GetCreatedAt().Time) {
				if rr.pv != nil {
					rr.pv.funnel.Removed(noSuccessFilter)
				}
				continue
			}
			env := deploymentEnvironment(gd)
			d := rr.deployment("deployment", gd.GetID(), env, gd.GetSHA(), st.GetCreatedAt().Time)
			d.Author = gd.GetCreator().GetLogin()
			d.Title = gd.GetDescription()
			if d.Title == "" {
				d.Title = gd.GetRef()
			}
			// A deployment has no page of its own on github.com; its
			// status links to the deploy's log or target when it has them.
			for _, u := range []string{st.GetLogURL(), st.GetTargetURL(), st.GetEnvironmentURL()} {
				if u != "" {
					d.URL = u
					break
				}
			}
			out = append(out, d)
		}
		return true, nil
	})
	return out, err
}

// noSuccessFilter names, in a preview, the deployments left out for having
// no success status in the window: not a filter of the block, but the
// method's definition, applied after the filters since it costs a request.
const noSuccessFilter = "no success status in the window"

// deploymentEnvironment is a GitHub deployment's environment, production
// when it has none.
func deploymentEnvironment(gd *github.Deployment) string {
	if env := gd.GetEnvironment(); env != "" {
		return env
	}
	return doraflow.EnvironmentProduction
}

// deploymentChecks are the block's filters of a GitHub deployment. GitHub
// applies environment already (a query parameter); checking again keeps a
// quirk of the API from leaking others in, and a preview, which does not
// send it, counts what it removes.
func (rr *repoRead) deploymentChecks() []check[*github.Deployment] {
	env := filtersOf(rr.block).Environment
	if env == "" {
		return nil
	}
	return []check[*github.Deployment]{{"environment not " + env, func(_ context.Context, gd *github.Deployment) (bool, error) {
		return deploymentEnvironment(gd) == env, nil
	}}}
}

// firstSuccess returns the deployment's earliest success status, nil when
// it has none.
func (rr *repoRead) firstSuccess(ctx context.Context, id int64) (*github.DeploymentStatus, error) {
	var first *github.DeploymentStatus
	fetch := func(ctx context.Context, page int) ([]*github.DeploymentStatus, *github.Response, error) {
		return rr.s.gh.Repositories.ListDeploymentStatuses(ctx, rr.owner, rr.name, id, &github.ListOptions{PerPage: perPage, Page: page})
	}
	err := pageThrough(ctx, listing{endpoint: rr.endpoint("/deployments/" + strconv.FormatInt(id, 10) + "/statuses")}, fetch,
		func(sts []*github.DeploymentStatus, _ *coverage) (bool, error) {
			for _, st := range sts {
				if st.GetState() == "success" && (first == nil || st.GetCreatedAt().Before(first.GetCreatedAt().Time)) {
					first = st
				}
			}
			return true, nil
		})
	return first, err
}
