package github

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v62/github"

	"doraflow"
)

// What a deployment ships (docs/metrics.md, "Change"): the commits reachable
// from the deployed sha but not from the previous deployment's (GET
// /compare/{base}...{head}), collapsed into changes. A commit that is the
// merge or squash commit of a merged pull request, one of its commits, or a
// commit GitHub associates with it (a rebase merge writes new commits onto
// the base branch) is that pull request; any other commit is a lone commit.
// A first deployment ships only its own commit, collapsed the same way,
// never the history before it.

const (
	// indexLookback is how far before a read's since the pull request
	// index reaches (see prIndex): a deployment's first commits are most
	// often merged in the days before it.
	indexLookback = 7 * 24 * time.Hour
	// mergeSkew is how far a merge commit's committer date may lie from
	// its pull request's merged_at; GitHub writes both in one operation.
	mergeSkew = time.Minute
	// prCommitsCap is how many commits GET /pulls/{n}/commits lists at
	// most ("List commits on a pull request": "Lists a maximum of 250
	// commits for a pull request").
	prCommitsCap = 250
	// startCacheGeneration bounds the started_at cache: two generations of
	// this many pull requests, about 6 MB at most.
	startCacheGeneration = 50_000
)

// commitInfo is what collapsing needs of a commit.
type commitInfo struct {
	sha       string
	parents   []string
	authored  time.Time // the author date: a lone commit's started_at
	committed time.Time // the committer date: when it landed, for the index
	title     string    // the first line of the message
	url       string
	author    string // login; "" for an author without a GitHub account
	// unnamed marks an author GraphQL left null (graphql_history.go):
	// no account, or an app's bot, whose login only REST gives.
	unnamed bool
}

func commitInfoOf(rc *github.RepositoryCommit) commitInfo {
	c := commitInfo{sha: rc.GetSHA(), url: rc.GetHTMLURL(), author: rc.GetAuthor().GetLogin()}
	for _, p := range rc.Parents {
		c.parents = append(c.parents, p.GetSHA())
	}
	gc := rc.GetCommit()
	c.authored = gc.GetAuthor().GetDate().Time.UTC()
	c.committed = gc.GetCommitter().GetDate().Time.UTC()
	if c.committed.IsZero() {
		c.committed = c.authored
	}
	c.title, _, _ = strings.Cut(gc.GetMessage(), "\n")
	return c
}

// prInfo is a merged pull request as a change needs it.
type prInfo struct {
	number                       int
	title, url, author, mergeSHA string
	baseSHA, headSHA             string // its range, for a pull request of more commits than it lists
	labels                       []string
	created, merged              time.Time
}

func prInfoOf(pr *github.PullRequest) *prInfo {
	info := &prInfo{number: pr.GetNumber(), title: pr.GetTitle(), url: pr.GetHTMLURL(), author: pr.GetUser().GetLogin(),
		mergeSHA: pr.GetMergeCommitSHA(), baseSHA: pr.GetBase().GetSHA(), headSHA: pr.GetHead().GetSHA(), created: pr.GetCreatedAt().Time.UTC(),
		merged: pr.GetMergedAt().Time.UTC()}
	for _, l := range pr.Labels {
		info.labels = append(info.labels, l.GetName())
	}
	return info
}

// shipped returns the changes a deployment of head ships after one of base
// ("" for none known: only head's own commit), and for each change id the
// commits that made it, oldest first. A base GitHub cannot compare with
// (gone after a force-push, or unrelated history) is warned about and
// treated as none.
func (rr *repoRead) shipped(ctx context.Context, base, head string) ([]doraflow.Change, map[string][]string, error) {
	commits, err := rr.rangeOf(ctx, base, head)
	if err != nil || len(commits) == 0 {
		return nil, nil, err
	}
	return rr.collapse(ctx, commits)
}

// rangeOf returns the commits a deployment of head ships after one of base,
// oldest first, before they are collapsed (shipped).
func (rr *repoRead) rangeOf(ctx context.Context, base, head string) ([]commitInfo, error) {
	if base == head {
		return nil, nil
	}
	var commits []commitInfo
	if base != "" {
		var err error
		commits, err = rr.compare(ctx, base, head)
		switch status := httpStatus(err); {
		case status == http.StatusNotFound || status == http.StatusUnprocessableEntity:
			rr.s.log.Warn().Str("source", string(doraflow.SourceGitHub)).Str("repo", rr.full).Str("base", base).Str("head", head).Err(err).
				Msg("cannot compare with the previous deployment: counting only the deployed commit")
			base = ""
		case err != nil:
			return nil, err
		}
	}
	if base == "" {
		c, err := rr.commit(ctx, head)
		if err != nil {
			return nil, err
		}
		return []commitInfo{c}, nil
	}
	return commits, nil
}

// compare lists the commits reachable from head but not from base, oldest
// first, 100 a page: without page parameters GitHub returns only the last
// 250.
func (rr *repoRead) compare(ctx context.Context, base, head string) ([]commitInfo, error) {
	var out []commitInfo
	fetch := func(ctx context.Context, page int) ([]*github.RepositoryCommit, *github.Response, error) {
		cmp, resp, err := rr.s.gh.Repositories.CompareCommits(ctx, rr.owner, rr.name, base, head, &github.ListOptions{PerPage: perPage, Page: page})
		if cmp == nil {
			return nil, resp, err
		}
		return cmp.Commits, resp, err
	}
	err := pageThrough(ctx, listing{endpoint: rr.endpoint("/compare/" + base + "..." + head)}, fetch,
		func(rcs []*github.RepositoryCommit, _ *coverage) (bool, error) {
			for _, rc := range rcs {
				out = append(out, commitInfoOf(rc))
			}
			return true, nil
		})
	return out, err
}

// commit reads one commit. per_page=1 keeps its file list, which nothing
// here needs, to one entry.
func (rr *repoRead) commit(ctx context.Context, sha string) (commitInfo, error) {
	rc, _, err := rr.s.gh.Repositories.GetCommit(ctx, rr.owner, rr.name, sha, &github.ListOptions{PerPage: 1})
	if err != nil {
		return commitInfo{}, callError(ctx, rr.endpoint("/commits/"+sha), err)
	}
	return commitInfoOf(rc), nil
}

// collapse turns commits into changes, in the order of each change's
// first commit, and names the commits that made each change.
//
// The cheap evidence goes first. Merge commits, oldest first: one that is
// a pull request's merge commit claims the commits its second parent
// brings in (those reachable from the second parent and not from the
// first, within the compared set — a path that leaves the set never comes
// back into it), so none of them is taken for a lone commit; the
// innermost merge claims a commit first. Then every other commit that the
// index knows as a squash (or rebase) merge commit. Commits older than the
// index reaches are asked about in those passes already. Every commit
// still unplaced is then asked about (GET /commits/{sha}/pulls): a rebase
// merge writes new commits onto the base and only the last is
// merge_commit_sha, and a pull request's own commit can be deployed from
// its branch; GitHub lists the merged pull request of either. What is left
// is a lone commit.
func (rr *repoRead) collapse(ctx context.Context, commits []commitInfo) ([]doraflow.Change, map[string][]string, error) {
	if rr.idx.floor.IsZero() && len(commits) > 0 {
		// Shipped has no window: index the week before the newest commit.
		newest := commits[0].committed
		for _, c := range commits[1:] {
			if c.committed.After(newest) {
				newest = c.committed
			}
		}
		rr.idx.floor = newest.Add(-indexLookback)
	}
	pos := make(map[string]int, len(commits))
	for i, c := range commits {
		pos[c.sha] = i
	}
	rr.idx.hint = commits // what a GraphQL lookup may ask about ahead
	defer func() { rr.idx.hint = nil }()
	owner := make([]*prInfo, len(commits))
	for _, ask := range []bool{false, true} {
		for _, merges := range []bool{true, false} {
			for i, c := range commits {
				if owner[i] != nil || (len(c.parents) == 2) != merges {
					continue
				}
				pr, err := rr.prOf(ctx, c, ask)
				if err != nil {
					return nil, nil, err
				}
				if pr == nil {
					continue
				}
				owner[i] = pr
				if merges && pr.mergeSHA == c.sha {
					for _, j := range brought(commits, pos, c) {
						if owner[j] == nil {
							owner[j] = pr
						}
					}
				}
			}
		}
	}
	var out []doraflow.Change
	made := make(map[string][]string, len(commits))
	prChanges := map[int]string{} // pull request number -> change id
	for i, c := range commits {
		pr := owner[i]
		if pr == nil {
			if c.unnamed {
				// The commit's author login, as compare would have
				// given it.
				rc, err := rr.commit(ctx, c.sha)
				if err != nil {
					return nil, nil, err
				}
				c.author = rc.author
			}
			ch := rr.loneChange(c)
			out = append(out, ch)
			made[ch.ID] = []string{c.sha}
			continue
		}
		id, seen := prChanges[pr.number]
		if !seen {
			ch, err := rr.prChange(ctx, pr)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, ch)
			id = ch.ID
			prChanges[pr.number] = id
		}
		made[id] = append(made[id], c.sha)
	}
	return out, made, nil
}

// brought returns the positions of the commits merge m brings in: those
// reachable from its second parent but not its first, within commits.
// The walk from the first parent covers the set once per merge commit,
// which is fine for the ranges between two deployments.
func brought(commits []commitInfo, pos map[string]int, m commitInfo) []int {
	reach := func(from string) map[int]bool {
		seen := map[int]bool{}
		for stack := []string{from}; len(stack) > 0; {
			sha := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			i, ok := pos[sha]
			if !ok || seen[i] {
				continue
			}
			seen[i] = true
			stack = append(stack, commits[i].parents...)
		}
		return seen
	}
	second := reach(m.parents[1])
	if len(second) == 0 {
		return nil
	}
	first := reach(m.parents[0])
	var out []int
	for i := range second {
		if !first[i] {
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return out
}

// prOf finds the merged pull request a commit belongs to: from the index
// when it covers the commit's date (unless ask), else by asking GitHub
// (GET /commits/{sha}/pulls, once per commit and read; with the GraphQL
// API its twin Commit.associatedPullRequests, batched), which also knows
// the commits a rebase merge wrote, a pull request's own commits, and the
// commits of pull requests merged with a merge commit outside the compared
// range.
func (rr *repoRead) prOf(ctx context.Context, c commitInfo, ask bool) (*prInfo, error) {
	pr, covered, err := rr.idx.find(ctx, c.sha, c.committed)
	if err != nil || pr != nil || covered && !ask {
		return pr, err
	}
	if found, seen := rr.idx.asked[c.sha]; seen {
		return found, nil
	}
	var found *prInfo
	if rr.s.api == APIGraphQL {
		found, err = rr.gqlPullOf(ctx, c.sha)
	} else {
		found, err = rr.pullOf(ctx, c.sha)
	}
	if err != nil {
		return nil, err
	}
	rr.idx.asked[c.sha] = found
	if found != nil {
		rr.idx.add(found)
	}
	return found, nil
}

// pullOf asks GitHub for the merged pull request of a commit (GET
// /commits/{sha}/pulls, its first 100): the one whose merge commit it is,
// else the first merged one listed; nil for none. Open pull requests
// containing the commit are no change yet.
func (rr *repoRead) pullOf(ctx context.Context, sha string) (*prInfo, error) {
	prs, _, err := rr.s.gh.PullRequests.ListPullRequestsWithCommit(ctx, rr.owner, rr.name, sha, &github.ListOptions{PerPage: perPage})
	if err != nil {
		return nil, callError(ctx, rr.endpoint("/commits/"+sha+"/pulls"), err)
	}
	var found *prInfo
	for _, p := range prs {
		if p.MergedAt == nil {
			continue
		}
		if found == nil || p.GetMergeCommitSHA() == sha {
			found = prInfoOf(p)
		}
	}
	return found, nil
}

// loneChange is the change of a commit no merged pull request contains.
func (rr *repoRead) loneChange(c commitInfo) doraflow.Change {
	return doraflow.Change{
		ID: rr.full + "@" + c.sha, Repository: rr.full, Kind: doraflow.ChangeCommit, SHA: c.sha,
		StartedAt: c.authored, Title: c.title, URL: c.url, Author: c.author,
	}
}

// prChange is the change of a merged pull request, with the times of its
// stages: its commits (prStarted) and reviews (prFirstReview) cost a
// request or more each.
func (rr *repoRead) prChange(ctx context.Context, pr *prInfo) (doraflow.Change, error) {
	started, err := rr.prStarted(ctx, pr)
	if err != nil {
		return doraflow.Change{}, err
	}
	review, err := rr.prFirstReview(ctx, pr)
	if err != nil {
		return doraflow.Change{}, err
	}
	return doraflow.Change{
		ID: rr.full + "#pr-" + strconv.Itoa(pr.number), Repository: rr.full, Kind: doraflow.ChangePullRequest,
		Number: pr.number, SHA: pr.mergeSHA, StartedAt: started, Title: pr.title, Labels: pr.labels,
		URL: pr.url, Author: pr.author, OpenedAt: pr.created, FirstReviewAt: review, MergedAt: pr.merged,
	}, nil
}

// prStarted is a merged pull request's started_at: the earliest author
// date among its commits (GET /pulls/{n}/commits, all pages; author dates
// need not grow along the list). That listing stops at 250 commits, so a
// pull request that fills it has its commits read from the compare of
// its range (base...head, paged, which has no such cap) as well; a range
// GitHub cannot compare (a base force-pushed away) is warned about and the
// first 250 commits do, for this read. A merged pull request's commits
// never change, so a whole answer is kept for later reads.
func (rr *repoRead) prStarted(ctx context.Context, pr *prInfo) (time.Time, error) {
	key := prKey{repo: rr.full, number: pr.number}
	if t, ok := rr.s.started.get(key); ok {
		return t, nil
	}
	var earliest time.Time
	listed, partial := 0, false
	note := func(c commitInfo) {
		if t := c.authored; !t.IsZero() && (earliest.IsZero() || t.Before(earliest)) {
			earliest = t
		}
	}
	fetch := func(ctx context.Context, page int) ([]*github.RepositoryCommit, *github.Response, error) {
		return rr.s.gh.PullRequests.ListCommits(ctx, rr.owner, rr.name, pr.number, &github.ListOptions{PerPage: perPage, Page: page})
	}
	err := pageThrough(ctx, listing{endpoint: rr.endpoint("/pulls/" + strconv.Itoa(pr.number) + "/commits")}, fetch,
		func(rcs []*github.RepositoryCommit, _ *coverage) (bool, error) {
			listed += len(rcs)
			for _, rc := range rcs {
				note(commitInfoOf(rc))
			}
			return true, nil
		})
	if err != nil {
		return time.Time{}, err
	}
	if listed >= prCommitsCap && pr.baseSHA != "" && pr.headSHA != "" {
		commits, err := rr.compare(ctx, pr.baseSHA, pr.headSHA)
		switch status := httpStatus(err); {
		case status == http.StatusNotFound || status == http.StatusUnprocessableEntity:
			rr.s.log.Warn().Str("source", string(doraflow.SourceGitHub)).Str("repo", rr.full).Int("pr", pr.number).Err(err).
				Msg("cannot compare the range of a pull request of 250 commits or more: its start is the earliest of the first 250")
			partial = true
		case err != nil:
			return time.Time{}, err
		}
		for _, c := range commits {
			note(c)
		}
	}
	if earliest.IsZero() {
		// No commit listed (never seen on GitHub): the pull request's
		// creation is the best bound there is; not cached.
		return pr.created, nil
	}
	if !partial { // a later read may compare it
		rr.s.started.put(key, earliest)
	}
	return earliest, nil
}

// prIndex finds the merged pull request behind a merge or squash commit
// without a request per commit. It pages lazily through the repository's
// closed pull requests, most recently updated first: once the listing has
// gone past a commit's date (less mergeSkew), every pull request merged at
// or after that date has been seen, since merging updates a pull request;
// a commit found in none of them is no pull request's merge commit. It
// never pages past floor (a week before the window): older commits are
// asked about one by one, which is cheaper than listing years of pull
// requests. It holds the merged pull requests of that span only.
type prIndex struct {
	rr        *repoRead
	floor     time.Time
	byMerge   map[string]*prInfo // merge commit sha -> pull request
	asked     map[string]*prInfo // commit sha -> GitHub's answer (nil: no merged pull request)
	frontier  time.Time          // updated_at of the last pull request listed
	pages     int
	exhausted bool // every closed pull request is listed

	// looked holds GraphQL's answers fetched ahead, in batches, for
	// prOf to take when it asks (graphql_commit_prs.go); details the
	// merged pull requests GraphQL read in full, by number. prOf, not
	// the batch, moves an answer into asked and the index, so that
	// what is fetched ahead changes no row.
	looked  map[string]*prInfo
	details map[int]*prInfo
	hint    []commitInfo // the commits collapse is placing
}

func (rr *repoRead) newPRIndex(floor time.Time) *prIndex {
	return &prIndex{rr: rr, floor: floor, byMerge: map[string]*prInfo{}, asked: map[string]*prInfo{},
		looked: map[string]*prInfo{}, details: map[int]*prInfo{}}
}

// covers reports whether every pull request merged at date is indexed.
func (x *prIndex) covers(date time.Time) bool {
	return x.exhausted || x.pages > 0 && date.Add(-mergeSkew).After(x.frontier)
}

// stopped reports whether the index pages no further.
func (x *prIndex) stopped() bool {
	return x.exhausted || x.pages > 0 && x.frontier.Before(x.floor)
}

func (x *prIndex) add(pr *prInfo) {
	if pr.mergeSHA != "" {
		x.byMerge[pr.mergeSHA] = pr
	}
}

// find returns the pull request whose merge commit is sha, paging as far
// as date needs; covered reports that a nil answer is certain.
func (x *prIndex) find(ctx context.Context, sha string, date time.Time) (pr *prInfo, covered bool, err error) {
	if !x.covers(date) && !x.stopped() {
		if err := x.fill(ctx, date); err != nil {
			return nil, false, err
		}
	}
	if pr := x.byMerge[sha]; pr != nil {
		return pr, true, nil
	}
	return nil, x.covers(date), nil
}

// fill pages on until the index covers date or stops.
func (x *prIndex) fill(ctx context.Context, date time.Time) error {
	rr := x.rr
	opts := &github.PullRequestListOptions{State: "closed", Sort: "updated", Direction: "desc", ListOptions: github.ListOptions{PerPage: perPage}}
	fetch := func(ctx context.Context, page int) ([]*github.PullRequest, *github.Response, error) {
		opts.Page = page
		prs, resp, err := rr.s.gh.PullRequests.List(ctx, rr.owner, rr.name, opts)
		if err == nil {
			x.exhausted = resp.NextPage == 0
		}
		return prs, resp, err
	}
	return pageThrough(ctx, listing{endpoint: rr.endpoint("/pulls"), start: x.pages + 1}, fetch,
		func(prs []*github.PullRequest, _ *coverage) (bool, error) {
			x.pages++
			for _, pr := range prs {
				if pr.MergedAt != nil {
					x.add(prInfoOf(pr))
				}
			}
			if n := len(prs); n > 0 {
				x.frontier = prs[n-1].GetUpdatedAt().Time
			}
			return !x.covers(date) && !x.stopped(), nil
		})
}

// prKey names a pull request in the started_at cache.
type prKey struct {
	repo   string
	number int
}

// startCache remembers a time per merged pull request (its started_at, or
// its first review by someone else, zero for none) across the reads of a
// Source. It is bounded: two generations of at most max
// entries; when the current one fills up, the older is dropped, so what is
// used keeps being found (a hit in the old generation moves to the new).
type startCache struct {
	mu       sync.Mutex
	max      int
	cur, old map[prKey]int64 // Unix seconds
}

func newStartCache(max int) *startCache {
	return &startCache{max: max, cur: map[prKey]int64{}}
}

func (c *startCache) get(k prKey) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.cur[k]
	if !ok {
		if v, ok = c.old[k]; ok {
			c.putLocked(k, v)
		}
	}
	return time.Unix(v, 0).UTC(), ok
}

func (c *startCache) put(k prKey, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(k, t.Unix())
}

func (c *startCache) putLocked(k prKey, v int64) {
	if len(c.cur) >= c.max {
		c.old, c.cur = c.cur, make(map[prKey]int64, c.max)
	}
	c.cur[k] = v
}

// Shipped returns the changes a deployment of sha ships after baseSHA in
// repo (owner/name), collapsed as docs/metrics.md says: the commits reachable
// from sha but not from baseSHA, or with baseSHA "" (the first deployment
// known) only the deployed commit, with the commits that made each change
// (change id -> SHAs, oldest first). The pipeline uses it for custom
// deployments that carry a repository and a sha.
func (s *Source) Shipped(ctx context.Context, repo, baseSHA, sha string) ([]doraflow.Change, map[string][]string, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, nil, err
	}
	if sha == "" {
		return nil, nil, fmt.Errorf("github: shipped by a deployment of %s: no sha", repo)
	}
	rr := &repoRead{reader: &reader{s: s}, full: repo, owner: owner, name: name}
	rr.idx = rr.newPRIndex(time.Time{}) // its floor comes from the commits (collapse)
	return rr.shipped(ctx, baseSHA, sha)
}
