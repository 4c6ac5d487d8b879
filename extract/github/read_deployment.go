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
			sts, err := rr.statuses(ctx, gd.GetID(), "")
			if err != nil {
				return false, err
			}
			rr.watches.listed(kindDeployments, gd.GetID())
			st := sts.first
			switch {
			case st != nil && !st.GetCreatedAt().Before(rr.window.until),
				st == nil && !sts.final():
				// It may count in a later window: checked again by later
				// reads until then.
				rr.watches.keep(kindDeployments, gd.GetID(), watch{expires: created.Add(deploymentWatch).UTC().Truncate(time.Second), etag: sts.etag})
			default:
				rr.watches.done(kindDeployments, gd.GetID())
			}
			if st == nil || !cov.in(st.GetCreatedAt().Time) {
				if rr.pv != nil {
					rr.pv.funnel.Removed(noSuccessFilter)
				}
				continue
			}
			out = append(out, rr.githubDeployment(gd, st))
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return out, rr.recheckDeployments(ctx, &out)
}

// githubDeployment is the deployment row of a GitHub deployment whose first
// success status is st.
func (rr *repoRead) githubDeployment(gd *github.Deployment, st *github.DeploymentStatus) doraflow.Deployment {
	d := rr.deployment("deployment", gd.GetID(), deploymentEnvironment(gd), gd.GetSHA(), st.GetCreatedAt().Time)
	d.Author = gd.GetCreator().GetLogin()
	d.Title = deploymentTitle(d.Environment, gd.GetRef(), gd.GetSHA(), gd.GetDescription())
	// A deployment has no page of its own on github.com; its status links
	// to the deploy's log or target when it has them.
	for _, u := range []string{st.GetLogURL(), st.GetTargetURL(), st.GetEnvironmentURL()} {
		if u != "" {
			d.URL = u
			break
		}
	}
	return d
}

// deploymentTitle names a GitHub deployment by what people look for in a
// list of them, where and what was deployed: "production: main@abc1234",
// then its description if it has one ("production: main@abc1234 — canary
// 10%"). A ref that is the sha itself is given once, abbreviated.
func deploymentTitle(environment, ref, sha, description string) string {
	short := sha[:min(len(sha), 7)]
	what := short
	switch {
	case ref == "" || ref == sha:
	case short == "":
		what = ref
	default:
		what = ref + "@" + short
	}
	title := environment + ": " + what
	if description != "" {
		title += " — " + description
	}
	return title
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

// deploymentStatuses is what a deployment's statuses say.
type deploymentStatuses struct {
	first     *github.DeploymentStatus // the earliest success, nil for none
	latest    string                   // the newest status's state, "" for none
	etag      string                   // of the first page
	unchanged bool                     // the first page answered 304 to the ETag asked with
}

// final reports whether no later status is expected to make the
// deployment succeed: it succeeded, or its latest status is a failure, an
// error or inactive.
func (s deploymentStatuses) final() bool {
	switch {
	case s.first != nil:
		return true
	case s.latest == "failure", s.latest == "error", s.latest == "inactive":
		return true
	}
	return false
}

// statuses reads a deployment's statuses, every page (they come newest
// first and the first success is wanted). With etag, the first page is
// asked for conditionally, and a 304 ends the read, unchanged.
func (rr *repoRead) statuses(ctx context.Context, id int64, etag string) (deploymentStatuses, error) {
	var sts deploymentStatuses
	visit := func(page []*github.DeploymentStatus, _ *coverage) (bool, error) {
		for _, st := range page {
			if sts.latest == "" {
				sts.latest = st.GetState()
			}
			if st.GetState() == "success" && (sts.first == nil || st.GetCreatedAt().Before(sts.first.GetCreatedAt().Time)) {
				sts.first = st
			}
		}
		return true, nil
	}
	fetch := func(ctx context.Context, page int) ([]*github.DeploymentStatus, *github.Response, error) {
		return rr.s.gh.Repositories.ListDeploymentStatuses(ctx, rr.owner, rr.name, id, &github.ListOptions{PerPage: perPage, Page: page})
	}
	endpoint := rr.endpoint("/deployments/" + strconv.FormatInt(id, 10) + "/statuses")
	first, resp, err := fetch(conditional(ctx, etag), 1)
	if etag != "" && notModified(resp) {
		sts.unchanged = true
		return sts, nil
	}
	if err != nil {
		return sts, callError(ctx, endpoint+" (page 1)", err)
	}
	sts.etag = etagOf(resp)
	_, _ = visit(first, nil)
	if resp.NextPage == 0 {
		return sts, nil
	}
	return sts, pageThrough(ctx, listing{endpoint: endpoint, start: resp.NextPage}, fetch, visit)
}
