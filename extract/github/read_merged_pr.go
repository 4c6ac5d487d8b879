package github

import (
	"context"
	"strconv"
	"strings"

	"github.com/google/go-github/v62/github"

	"doraflow"
)

// readMergedPRs reads a merged_pr block in one repository: the pull
// requests merged in the window, each one a deployment at merged_at that
// ships itself.
//
// They are listed closed, most recently updated first, and paging stops
// at the first one updated before since: a pull request is updated when it
// is merged, so none further down was merged in the window. The listing is
// sorted by update, so any change to any pull request shows on the first
// page, and a first page answered 304 ends the listing (see memoSet).
// Pages stream straight into batches.
//
// With github.api graphql (Options.API) they are read through GraphQL
// instead (graphql_merged_pr.go); both hand the same rows to the sink.
func (rr *repoRead) readMergedPRs(ctx context.Context) error {
	if rr.s.api == APIGraphQL {
		return rr.readMergedPRsGraphQL(ctx)
	}
	opts := &github.PullRequestListOptions{State: "closed", Sort: "updated", Direction: "desc", Base: filtersOf(rr.block).BaseBranch,
		ListOptions: github.ListOptions{PerPage: perPage}}
	if rr.pv != nil {
		// A preview counts what base_branch removes.
		opts.Base = ""
	}
	checks := rr.prChecks(rr.changesPaths)
	l := listing{endpoint: rr.endpoint("/pulls"), memos: rr.memos, top: true, window: rr.window}
	fetch := func(ctx context.Context, page int) ([]*github.PullRequest, *github.Response, error) {
		opts.Page = page
		return rr.s.gh.PullRequests.List(ctx, rr.owner, rr.name, opts)
	}
	return pageThrough(ctx, l, fetch, func(prs []*github.PullRequest, cov *coverage) (bool, error) {
		for _, pr := range prs {
			if more, err := rr.mergedPR(ctx, pr, checks, cov, nil); !more || err != nil {
				return false, err
			}
		}
		return true, nil
	})
}

// mergedPR takes one pull request of a listing of closed pull requests,
// most recently updated first: a deployment when it was merged in the
// window and passes the checks. more is false once the listing has gone
// past the window. before, when set, runs before the checks on a pull
// request merged in the window (GraphQL completes its pages there).
func (rr *repoRead) mergedPR(ctx context.Context, pr *github.PullRequest, checks []check[*github.PullRequest], cov *coverage,
	before func(context.Context, *github.PullRequest) error) (more bool, err error) {
	if pr.GetUpdatedAt().Before(rr.window.since) {
		cov.skipOlder()
		return false, nil
	}
	// merge_commit_sha is set on unmerged pull requests too (a test
	// merge): only merged_at says merged.
	if pr.MergedAt == nil || !cov.in(pr.GetMergedAt().Time) {
		return true, nil
	}
	if before != nil {
		if err := before(ctx, pr); err != nil {
			return false, err
		}
	}
	rr.pv.listed()
	ok, err := passes(ctx, rr.pv, checks, pr)
	if err != nil || !ok {
		return err == nil, err
	}
	info := prInfoOf(pr)
	d := rr.deployment("pr", int64(info.number), rr.blockEnvironment(), info.mergeSHA, pr.GetMergedAt().Time)
	d.URL, d.Title, d.Author = info.url, info.title, info.author
	if rr.pv != nil {
		rr.pv.match(d)
		return true, nil
	}
	change, err := rr.prChange(ctx, info)
	if err != nil {
		return false, err
	}
	return true, rr.out.add(ctx, d, []doraflow.Change{change}, nil)
}

// prChecks are the block's filters of a merged pull request, in config
// order: its base branch, labels that must all be there, labels that must
// not, and paths one of which a changed file must match (the only filter
// that costs a request: GET /pulls/{n}/files, paged until a file matches;
// paths is that check).
func (rr *repoRead) prChecks(paths func(context.Context, *github.PullRequest) (bool, error)) []check[*github.PullRequest] {
	f := filtersOf(rr.block)
	var cs []check[*github.PullRequest]
	if f.BaseBranch != "" {
		cs = append(cs, check[*github.PullRequest]{"base branch not " + f.BaseBranch, func(_ context.Context, pr *github.PullRequest) (bool, error) {
			return pr.GetBase().GetRef() == f.BaseBranch, nil
		}})
	}
	has := func(pr *github.PullRequest, name string) bool {
		for _, l := range pr.Labels {
			// GitHub treats label names case-insensitively.
			if strings.EqualFold(l.GetName(), name) {
				return true
			}
		}
		return false
	}
	for _, l := range f.Labels {
		cs = append(cs, check[*github.PullRequest]{"without label " + l, func(_ context.Context, pr *github.PullRequest) (bool, error) {
			return has(pr, l), nil
		}})
	}
	for _, l := range f.ExcludeLabels {
		cs = append(cs, check[*github.PullRequest]{"with label " + l, func(_ context.Context, pr *github.PullRequest) (bool, error) {
			return !has(pr, l), nil
		}})
	}
	if len(f.Paths) > 0 {
		cs = append(cs, check[*github.PullRequest]{"no changed file in " + strings.Join(f.Paths, ", "), paths})
	}
	return cs
}

// changesPaths reports whether a changed file of the pull request (or a
// renamed file's old name) matches one of the block's paths.
func (rr *repoRead) changesPaths(ctx context.Context, pr *github.PullRequest) (bool, error) {
	f := filtersOf(rr.block)
	n := pr.GetNumber()
	matched := false
	fetch := func(ctx context.Context, page int) ([]*github.CommitFile, *github.Response, error) {
		return rr.s.gh.PullRequests.ListFiles(ctx, rr.owner, rr.name, n, &github.ListOptions{PerPage: perPage, Page: page})
	}
	err := pageThrough(ctx, listing{endpoint: rr.endpoint("/pulls/" + strconv.Itoa(n) + "/files")}, fetch,
		func(files []*github.CommitFile, _ *coverage) (bool, error) {
			for _, cf := range files {
				// A file renamed away from a path changes that path too.
				if globMatchAny(f.Paths, cf.GetFilename()) || cf.GetPreviousFilename() != "" && globMatchAny(f.Paths, cf.GetPreviousFilename()) {
					matched = true
					return false, nil
				}
			}
			return true, nil
		})
	return matched, err
}
