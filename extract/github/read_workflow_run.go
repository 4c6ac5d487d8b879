package github

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"

	"doraflow"
)

const (
	// runsSearchCap is how many runs a filtered runs listing reaches:
	// GitHub stops at 1,000 ("List workflow runs for a repository"), and
	// total_count need not say that more match.
	runsSearchCap = 1000
	// runSlack is how long before since a run may have been created and
	// still finish in the window: the created filter looks back this far.
	runSlack = 24 * time.Hour
	// day is the unit of created ranges, so that the same listing keeps
	// the same query (and ETags) for a whole day of syncs.
	day = 24 * time.Hour
)

// githubEpoch is before any GitHub object: the open start of a range.
var githubEpoch = time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC)

// errTooManyRuns says a runs listing matched more runs than it reaches.
var errTooManyRuns = errors.New("more runs than one listing reaches")

// listRuns lists a workflow_run block's deployments in one repository: its
// completed runs with the block's conclusion (default success), branch
// and event, finished (updated_at) in the window.
//
// The workflow filter is a file name (deploy.yml) or a display name,
// resolved through GET /actions/workflows (kept in the body cache); the
// runs are then listed per workflow. GitHub filters by conclusion (the
// status parameter takes one: fewer pages than status=completed), branch,
// event and creation date, in whole days from a day before since (a run
// finishes after it starts) to until's day, so the query, and its ETags,
// stay the same through a day of syncs. A filtered listing reaches only
// 1,000 runs, so a range whose listing comes back with 1,000 is halved
// until each part holds fewer.
func (rr *repoRead) listRuns(ctx context.Context) ([]doraflow.Deployment, error) {
	ids, all, err := rr.workflowIDs(ctx)
	if err != nil {
		return nil, err
	}
	var wfs map[int64]bool // nil: any workflow
	if !all {
		wfs = make(map[int64]bool, len(ids))
		for _, id := range ids {
			wfs[id] = true
		}
	}
	checks := rr.runChecks(wfs)
	switch {
	case rr.pv != nil:
		// A preview lists every run, so it counts what workflow removes.
		ids, all = nil, true
	case !all && len(ids) == 0:
		return nil, nil
	}
	lo := rr.window.since.Add(-runSlack).Truncate(day)
	if lo.Before(githubEpoch) {
		lo = githubEpoch
	}
	hi := rr.window.until.Add(day - time.Nanosecond).Truncate(day)
	var out []doraflow.Deployment
	if all {
		ids = []int64{0}
	}
	for _, id := range ids {
		if err := rr.runsIn(ctx, id, createdRange{lo, hi}, checks, &out); err != nil {
			return nil, err
		}
	}
	return out, rr.recheckRuns(ctx, checks[:len(checks)-1], &out)
}

// workflowIDs resolves the workflow filter: all is true without one; ids
// is empty when the repository has no such workflow (not an error: an
// owner/* block names repositories without it).
func (rr *repoRead) workflowIDs(ctx context.Context) (ids []int64, all bool, err error) {
	want := filtersOf(rr.block).Workflow
	if want == "" {
		return nil, true, nil
	}
	fetch := func(ctx context.Context, page int) ([]*github.Workflow, *github.Response, error) {
		wfs, resp, err := rr.s.gh.Actions.ListWorkflows(ctx, rr.owner, rr.name, &github.ListOptions{PerPage: perPage, Page: page})
		if wfs == nil {
			return nil, resp, err
		}
		return wfs.Workflows, resp, err
	}
	err = pageThrough(ctx, listing{endpoint: rr.endpoint("/actions/workflows"), cache: true}, fetch,
		func(wfs []*github.Workflow, _ *coverage) (bool, error) {
			for _, wf := range wfs {
				p := wf.GetPath()
				if strings.EqualFold(path.Base(p), want) || strings.EqualFold(p, want) || strings.EqualFold(wf.GetName(), want) {
					ids = append(ids, wf.GetID())
				}
			}
			return true, nil
		})
	return ids, false, err
}

// runChecks are the block's filters of a completed run, in config order,
// conclusion last (callers take the others as checks[:len-1]);
// wfs holds the workflows the workflow filter names, nil without one.
// GitHub applies all but workflow already (query parameters); checking
// again keeps a quirk of the API from leaking other runs in, and a
// preview, which sends none of them, counts what each removes.
func (rr *repoRead) runChecks(wfs map[int64]bool) []check[*github.WorkflowRun] {
	f := filtersOf(rr.block)
	type c = check[*github.WorkflowRun]
	var cs []c
	if f.Workflow != "" {
		cs = append(cs, c{"workflow not " + f.Workflow, func(_ context.Context, run *github.WorkflowRun) (bool, error) {
			return wfs[run.GetWorkflowID()], nil
		}})
	}
	if f.Branch != "" {
		cs = append(cs, c{"branch not " + f.Branch, func(_ context.Context, run *github.WorkflowRun) (bool, error) {
			return run.GetHeadBranch() == f.Branch, nil
		}})
	}
	if f.Event != "" {
		cs = append(cs, c{"event not " + f.Event, func(_ context.Context, run *github.WorkflowRun) (bool, error) {
			return run.GetEvent() == f.Event, nil
		}})
	}
	conclusion := rr.conclusion()
	return append(cs, c{"conclusion not " + conclusion, func(_ context.Context, run *github.WorkflowRun) (bool, error) {
		return run.GetConclusion() == conclusion, nil
	}})
}

// conclusion is the conclusion of the block's runs, default success.
func (rr *repoRead) conclusion() string {
	if c := filtersOf(rr.block).Conclusion; c != "" {
		return c
	}
	return "success"
}

// runsIn lists the runs of workflow wf (0: every workflow) created in r,
// adding the deployments among them that pass checks to out.
//
// With a PendingStore every run is listed, whatever its status, so that
// those not completed, completed with another conclusion (a re-run may
// change it) or after until are remembered and checked again by later
// reads (pending.go); without one, GitHub filters by conclusion.
func (rr *repoRead) runsIn(ctx context.Context, wf int64, r createdRange, checks []check[*github.WorkflowRun], out *[]doraflow.Deployment) error {
	f := filtersOf(rr.block)
	opts := &github.ListWorkflowRunsOptions{Status: rr.conclusion(), Branch: f.Branch, Event: f.Event, Created: r.String(),
		ListOptions: github.ListOptions{PerPage: perPage}}
	switch {
	case rr.pv != nil:
		opts.Status, opts.Branch, opts.Event = "completed", "", ""
	case rr.watches != nil:
		opts.Status = ""
	}
	filters := checks[:len(checks)-1] // all but conclusion
	endpoint := rr.endpoint("/actions/runs")
	if wf != 0 {
		endpoint = rr.endpoint("/actions/workflows/" + strconv.FormatInt(wf, 10) + "/runs")
	}
	total, page := 0, 0
	fetch := func(ctx context.Context, p int) ([]*github.WorkflowRun, *github.Response, error) {
		opts.Page, page = p, p
		var runs *github.WorkflowRuns
		var resp *github.Response
		var err error
		if wf == 0 {
			runs, resp, err = rr.s.gh.Actions.ListRepositoryWorkflowRuns(ctx, rr.owner, rr.name, opts)
		} else {
			runs, resp, err = rr.s.gh.Actions.ListWorkflowRunsByID(ctx, rr.owner, rr.name, wf, opts)
		}
		if runs == nil {
			return nil, resp, err
		}
		total = runs.GetTotalCount()
		return runs.WorkflowRuns, resp, err
	}
	// Every page carries total_count, which any run completing in the
	// range changes: the listing is "top".
	l := listing{endpoint: endpoint + " (created " + r.String() + ")", memos: rr.memos, top: true, window: rr.window}
	start := len(*out)
	err := pageThrough(ctx, l, fetch, func(runs []*github.WorkflowRun, cov *coverage) (bool, error) {
		// A listing that comes back with the cap may hold more: total_count
		// says so on page 1 when it is told, else the page that reaches
		// the cap does (pages before it may have been skipped as 304s).
		if total >= rr.s.runsCap || (page-1)*perPage+len(runs) >= rr.s.runsCap {
			return false, errTooManyRuns
		}
		for _, run := range runs {
			if rr.watches != nil {
				if err := rr.watchRun(ctx, filters, run); err != nil {
					return false, err
				}
			}
			if run.GetStatus() != "completed" || !cov.in(run.GetUpdatedAt().Time) {
				continue
			}
			rr.pv.listed()
			if ok, err := passes(ctx, rr.pv, checks, run); err != nil || !ok {
				if err != nil {
					return false, err
				}
				continue
			}
			d, _ := rr.completedRun(run)
			*out = append(*out, d)
		}
		return true, nil
	})
	if !errors.Is(err, errTooManyRuns) {
		return err
	}
	*out = (*out)[:start] // the halves list them again
	a, b, ok := r.halves()
	if !ok {
		return fmt.Errorf("github: %s: more than %d runs created in one second: narrow the block's filters", l.endpoint, rr.s.runsCap)
	}
	if err := rr.runsIn(ctx, wf, a, checks, out); err != nil {
		return err
	}
	return rr.runsIn(ctx, wf, b, checks, out)
}

// watchRun remembers a listed run of the block's filters (all but
// conclusion) that may count in a later read: not completed, completed
// with another conclusion, or completed at or after until; and forgets one
// that counts now or never will.
func (rr *repoRead) watchRun(ctx context.Context, filters []check[*github.WorkflowRun], run *github.WorkflowRun) error {
	rr.watches.listed(kindRuns, run.GetID())
	ok, err := passes(ctx, nil, filters, run)
	if err != nil {
		return err
	}
	_, counts := rr.completedRun(run)
	if ok && (!counts || !run.GetUpdatedAt().Before(rr.window.until)) {
		rr.watches.keep(kindRuns, run.GetID(), runWatch(run, ""))
	} else {
		rr.watches.done(kindRuns, run.GetID())
	}
	return nil
}

// createdRange is a [lo, hi) range of run creation times, in GitHub's
// created syntax.
type createdRange struct{ lo, hi time.Time }

// String is the created parameter: whole days when the bounds are
// midnights (2024-05-01..2024-05-31), else inclusive seconds.
func (r createdRange) String() string {
	if r.lo.Equal(r.lo.Truncate(day)) && r.hi.Equal(r.hi.Truncate(day)) {
		return r.lo.UTC().Format(time.DateOnly) + ".." + r.hi.Add(-day).UTC().Format(time.DateOnly)
	}
	return r.lo.UTC().Format(time.RFC3339) + ".." + r.hi.Add(-time.Second).UTC().Format(time.RFC3339)
}

// halves splits the range at a round time near its middle (a day, an
// hour, a minute or a second), so that the parts' queries are the same
// from one read to the next; ok is false for a second that cannot split.
func (r createdRange) halves() (createdRange, createdRange, bool) {
	span := r.hi.Sub(r.lo)
	for _, unit := range []time.Duration{day, time.Hour, time.Minute, time.Second} {
		if span < 2*unit {
			continue
		}
		mid := r.lo.Add(span / 2).Truncate(unit)
		if !mid.After(r.lo) {
			mid = r.lo.Add(unit)
		}
		return createdRange{r.lo, mid}, createdRange{mid, r.hi}, true
	}
	return r, r, false
}
