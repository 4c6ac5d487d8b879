package github

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"doraflow"
)

// Organisation-wide listing of merged pull requests (issue #19): a
// merged_pr block read through GraphQL whose repositories all belong to
// one owner can list them with one search across the owner,
// search(type: ISSUE, query: "org:OWNER is:pr is:merged [base:BRANCH]
// merged:FROM..TO sort:created-asc"), user:OWNER for a personal account
// (docs.github.com/graphql/reference/queries#search,
// "Searching issues and pull requests"), instead of a listing per
// repository. Both read the same fragment, 100 pull requests a query, so
// a query costs the same points either way (3, 4 with paths); what
// differs is how many queries. A repository costs at least one query of
// its own, however little it merged, while the search pages the owner's
// merged pull requests together, but GitHub pages at most 1,000 results a
// search ("the REST API provides up to 1,000 results for each search",
// docs.github.com/rest/search/search#about-search; GraphQL's search is
// the same index), so a range holding more is halved until each part
// holds at most 1,000, and each part's last page is part-filled.
//
// The choice is made per read: a probe (search(first: 1) { issueCount },
// 1 point by the documented formula) counts the window's merged pull
// requests and asks the owner's kind (see searchProbeQuery), and the
// search is used only when its estimate
// (searchEstimate) is below the least the per-repository read can cost,
// one query per repository. It is never chosen where it costs more
// (README.md, "Organisation-wide search"); where it is not, the probe's
// point is the price of asking. GitHub documents no rate limit of its
// own for GraphQL's search (docs.github.com "Rate limits and node limits
// for the GraphQL API": points, and the secondary limits of every
// query); the REST API's 30 searches a minute are the REST search
// resource's ("Rate limits for the REST API"), which this does not use.
//
// The search finds the owner's merged pull requests in every repository
// the token sees; only those of the block's repositories are kept, and
// each goes through the same mergedPR as the per-repository listing does
// (window, base branch, labels, exclude_labels, paths, the same rows).
//
// A search may deliver fewer pull requests than it counts: GitHub's REST
// search says so with incomplete_results when it times out
// (docs.github.com/rest/search/search#timeouts-and-incomplete-results),
// GraphQL's has no such flag, and its index is eventually consistent. So
// each range's nodes, every one before any filter, are counted against
// the issueCount of its first page, and a range short of it makes the
// whole read go per repository (searchShortfall).

// searchCap is how many results GitHub pages of one search.
const searchCap = 1000

// maxSearchQuery is the longest search query GitHub takes
// (docs.github.com "Troubleshooting search queries", "Limitations on
// query length": 256 characters).
const maxSearchQuery = 256

// searchTimeLayout is a merged: bound to the second, as "Understanding
// the search syntax" ("Query for dates") writes one.
const searchTimeLayout = "2006-01-02T15:04:05+00:00"

// searchCountQuery counts a search's matches: 1 point (one connection of
// at most 1 node, /100, at least 1).
const searchCountQuery = `query SearchCount($q: String!) {
  rateLimit { cost remaining resetAt }
  search(query: $q, type: ISSUE, first: 1) { issueCount }
}`

// searchProbeQuery is searchCountQuery that also asks what kind of
// account owns the repositories: the search takes org:ORGNAME for an
// organisation and user:USERNAME for a user ("Search within a user's or
// organization's repositories",
// docs.github.com/en/search-github/searching-on-github/searching-issues-and-pull-requests#search-within-a-users-or-organizations-repositories),
// and what org: does for a user is undocumented (it may find nothing,
// which would lose every merged pull request without a word). Still 1
// point: repositoryOwner is no connection, and the documented formula
// ("Rate limits and node limits for the GraphQL API", "Calculating a rate
// limit score") counts connections only.
const searchProbeQuery = `query SearchProbe($q: String!, $owner: String!) {
  rateLimit { cost remaining resetAt }
  repositoryOwner(login: $owner) { __typename }
  search(query: $q, type: ISSUE, first: 1) { issueCount }
}`

// searchQuery pages a search's merged pull requests with the fragment of
// the per-repository listing, and the repository of each.
const searchQuery = `query SearchMergedPullRequests($q: String!, $after: String, $paths: Boolean!) {
  rateLimit { cost remaining resetAt }
  search(query: $q, type: ISSUE, first: 100, after: $after) {
    issueCount
    pageInfo { hasNextPage endCursor }
    nodes { ... on PullRequest { repository { nameWithOwner } ...mergedPR } }
  }
}
` + mergedPRFragment

// errSearchTooDense is a second holding more merged pull requests than a
// search pages: no range can split it, so the block is read per
// repository.
var errSearchTooDense = errors.New("more merged pull requests in one second than a search pages")

// searchShortfall is a range whose pages held fewer nodes than its first
// page's issueCount: the search did not deliver everything, so the read
// goes per repository.
type searchShortfall struct {
	rg           searchRange
	count, nodes int
}

func (e *searchShortfall) Error() string {
	return fmt.Sprintf("github: search of merged:%s counted %d pull requests and delivered %d", e.rg, e.count, e.nodes)
}

// gqlPagePoints is what one page of 100 merged pull requests costs, per
// repository or by search: 1 for the pull requests and 100 for each of
// labels, commits and reviews (and files, for a paths filter), /100.
func gqlPagePoints(f filters) int {
	if len(f.Paths) > 0 {
		return 4
	}
	return 3
}

// searchEstimate is what listing count merged pull requests by search is
// expected to cost in points, at pagePoints a page: the probe, one more
// probe per halving (the other half's count is the difference), and the
// pages, one part-filled page per part. The halvings assume the merges
// spread evenly: parts doubles until each holds at most searchCap.
func searchEstimate(count, pagePoints int) int {
	parts := 1
	for count > parts*searchCap {
		parts *= 2
	}
	pages := max(1, (count+99)/100+parts-1)
	return parts + pagePoints*pages
}

// searchRange is merged:from..to, both ends inclusive, whole seconds.
type searchRange struct{ from, to time.Time }

// String is the range as the merged: qualifier writes it.
func (r searchRange) String() string {
	return r.from.UTC().Format(searchTimeLayout) + ".." + r.to.UTC().Format(searchTimeLayout)
}

// mergedRange is the range that holds [since, until); ok is false for an
// empty window. Merge times are whole seconds; mergedPR keeps the window
// exactly.
func mergedRange(w window) (r searchRange, ok bool) {
	r = searchRange{from: w.since.Truncate(time.Second), to: w.until.Add(-time.Nanosecond).Truncate(time.Second)}
	return r, w.since.Before(w.until)
}

// halves splits r at its middle second; ok is false for a single second.
func (r searchRange) halves() (a, b searchRange, ok bool) {
	if !r.to.After(r.from) {
		return r, r, false
	}
	mid := r.from.Add(r.to.Sub(r.from) / 2).Truncate(time.Second)
	return searchRange{r.from, mid}, searchRange{mid.Add(time.Second), r.to}, true
}

// searcher lists one owner's merged pull requests for a read.
type searcher struct {
	r          *reader
	qualifiers string               // org: or user:, is:, base:, sort:
	repos      map[string]*repoRead // the block's repositories, by lower-case owner/name
	failed     map[*repoRead]bool
}

// query is the search query for range rg.
func (sq *searcher) query(rg searchRange) string {
	return sq.qualifiers + " merged:" + rg.String()
}

// searchMergedPRs reads a merged_pr block by searching its owner's
// merged pull requests when that is expected to cost fewer points than
// reading its repositories one by one, and reports whether it did; false
// leaves the read to run. A failure before any row is delivered (the
// probe, a second too dense to split) falls back to the per-repository
// read, with a warning, and so does an owner GitHub names as neither an
// organisation nor a user; a failed search page after that fails every
// repository of the block not yet failed, as a failed listing fails its
// repository; a range that delivers fewer pull requests than it counted
// sends the whole read per repository (perRepository).
func (r *reader) searchMergedPRs(ctx context.Context, repos []string) bool {
	if r.s.api != APIGraphQL || r.block.Method != doraflow.MethodMergedPR {
		return false
	}
	owner, ok := oneOwner(repos)
	f := filtersOf(r.block)
	pp := gqlPagePoints(f)
	whole, nonEmpty := mergedRange(r.window)
	floor := len(repos) * pp // the per-repository read's least cost
	if !ok || !nonEmpty || searchEstimate(0, pp) >= floor {
		return false
	}
	rest := " is:pr is:merged"
	if f.BaseBranch != "" && r.pv == nil {
		// A preview counts what base_branch removes.
		rest += " base:" + f.BaseBranch
	}
	rest += " sort:created-asc"
	sq := &searcher{r: r, qualifiers: "org:" + owner + rest, repos: map[string]*repoRead{}, failed: map[*repoRead]bool{}}
	// user: is the longer owner qualifier.
	if len("user:"+owner+rest+" merged:"+whole.String()) > maxSearchQuery || strings.ContainsAny(f.BaseBranch, " \t\"") {
		// Too long for GitHub, or a branch name the query cannot hold.
		return false
	}
	logAt := func(ev *zerolog.Event) *zerolog.Event {
		return ev.Str("source", string(doraflow.SourceGitHub)).Str("block", r.block.Name).Str("owner", owner).Int("repos", len(repos))
	}
	kind, n, err := sq.probe(ctx, owner, whole)
	if err != nil {
		return sq.fallBack(ctx, err, logAt(r.s.log.Warn()))
	}
	switch kind {
	case "Organization":
	case "User":
		// The probe counted org:, which the docs do not give for a
		// user: count with user:, one point more.
		sq.qualifiers = "user:" + owner + rest
		if n, err = sq.count(ctx, whole); err != nil {
			return sq.fallBack(ctx, err, logAt(r.s.log.Warn()))
		}
	default:
		// null: GitHub resolves no owner of that login for this token.
		logAt(r.s.log.Warn()).Str("owner_type", kind).
			Msg("GitHub names no organisation or user for the repositories' owner: listing merged pull requests per repository")
		return false
	}
	est := searchEstimate(n, pp)
	if est >= floor {
		logAt(r.s.log.Debug()).Int("merged", n).Int("search_points", est).Int("per_repo_points_at_least", floor).
			Msg("listing merged pull requests per repository: an organisation-wide search would cost more")
		return false
	}
	parts, err := sq.split(ctx, whole, n)
	if err != nil {
		return sq.fallBack(ctx, err, logAt(r.s.log.Warn()))
	}
	logAt(r.s.log.Info()).Str("owner_type", kind).Int("merged", n).Int("ranges", len(parts)).Int("search_points", est).
		Int("per_repo_points_at_least", floor).Msg("listing merged pull requests by an organisation-wide search: cheaper than per repository")
	for _, full := range repos {
		o, name, _ := splitRepo(full)
		sq.repos[strings.ToLower(full)] = &repoRead{reader: r, full: full, owner: o, name: name}
	}
	failedBefore := len(r.failures) // no repository is read in parallel yet
	release := r.holdPreview()
	for _, rg := range parts {
		err := sq.read(ctx, rg)
		var short *searchShortfall
		switch {
		case err == nil:
			continue
		case errors.As(err, &short):
			release(false)
			sq.perRepository(ctx, short, repos, failedBefore, logAt(r.s.log.Warn()))
			return true
		case fatal(err) || ctx.Err() != nil:
			r.handle(ctx, "", err)
		default:
			for _, full := range repos {
				if rr := sq.repos[strings.ToLower(full)]; !sq.failed[rr] {
					r.failed(full, err)
				}
			}
		}
		break
	}
	release(true)
	if r.fatal == nil && ctx.Err() != nil {
		r.fatal = fmt.Errorf("github: block %s: %w", r.block.Name, ctx.Err())
	}
	return true
}

// perRepository reads the block's repositories one by one after a search
// that delivered fewer pull requests than it counted (short), forgetting
// the repositories the search failed: the per-repository read decides.
//
// Rows the search already handed to the sink are handed again. That is
// safe because staging is keyed and versioned and promote deduplicates:
// stg_deployments is keyed by (id, block), stg_changes by id, stg_ships
// by deployment_id (sql/migrations/0001_staging.sql), and
// sql/queries/promote_{deployments,changes,ships}.sql keep the newest
// staged version of each key and insert a fact only when its content hash
// differs from the current fact's, so a repeat changes nothing. What the
// search gathered is flushed first, so that no batch holds a deployment
// twice. Stats count the repeats: they count the rows handed over.
func (sq *searcher) perRepository(ctx context.Context, short *searchShortfall, repos []string, failedBefore int, warn *zerolog.Event) {
	r := sq.r
	warn.Str("range", short.rg.String()).Int("issue_count", short.count).Int("nodes", short.nodes).
		Msg("the search delivered fewer merged pull requests than it counted: reading the block's repositories one by one")
	if err := r.out.flush(ctx); err != nil {
		r.handle(ctx, "", err)
		return
	}
	r.mu.Lock()
	r.failures = r.failures[:failedBefore]
	r.mu.Unlock()
	r.run(ctx, repos)
}

// heldFunnel keeps what a preview's search counts until the search is
// known to have delivered everything: one short of its count is read
// again per repository, and the funnel must not count a pull request
// twice. The search reads one page at a time, so it needs no lock.
type heldFunnel struct {
	doraflow.Funnel // Filter goes through: filters are declared before any read
	listed          int
	removed         map[string]int
	matches         []doraflow.Deployment
}

func (h *heldFunnel) Listed()               { h.listed++ }
func (h *heldFunnel) Removed(filter string) { h.removed[filter]++ }

// holdPreview makes a preview's search count into a heldFunnel. The
// function it returns puts the preview back and, with keep, hands it what
// the search counted and matched. Outside a preview both do nothing.
func (r *reader) holdPreview() func(keep bool) {
	pv := r.pv
	if pv == nil {
		return func(bool) {}
	}
	h := &heldFunnel{Funnel: pv.funnel, removed: map[string]int{}}
	r.pv = &preview{funnel: h, match: func(d doraflow.Deployment) { h.matches = append(h.matches, d) }}
	return func(keep bool) {
		r.pv = pv
		if !keep {
			return
		}
		for range h.listed {
			pv.funnel.Listed()
		}
		for filter, n := range h.removed {
			for range n {
				pv.funnel.Removed(filter)
			}
		}
		for _, d := range h.matches {
			pv.match(d)
		}
	}
}

// fallBack ends a search that failed before it delivered anything: a
// fatal error ends the read (true: nothing more to run), any other is
// logged and the block is read per repository (false).
func (sq *searcher) fallBack(ctx context.Context, err error, warn *zerolog.Event) bool {
	if fatal(err) || ctx.Err() != nil {
		sq.r.handle(ctx, "", err)
		return true
	}
	warn.Err(err).Msg("cannot search the owner's merged pull requests: reading them per repository")
	return false
}

// oneOwner is the owner of every repository, when there are at least two
// and they share one.
func oneOwner(repos []string) (string, bool) {
	if len(repos) < 2 {
		return "", false
	}
	owner, _, _ := strings.Cut(repos[0], "/")
	for _, full := range repos[1:] {
		if o, _, _ := strings.Cut(full, "/"); !strings.EqualFold(o, owner) {
			return "", false
		}
	}
	return owner, true
}

// probe asks the GitHub type of owner's account ("Organization", "User",
// or "" when GitHub resolves none) and how many pull requests the search
// of rg matches (searchProbeQuery).
func (sq *searcher) probe(ctx context.Context, owner string, rg searchRange) (kind string, n int, err error) {
	var data struct {
		RateLimit       gqlRateLimit `json:"rateLimit"`
		RepositoryOwner *struct {
			Typename string `json:"__typename"`
		} `json:"repositoryOwner"`
		Search struct {
			IssueCount int `json:"issueCount"`
		} `json:"search"`
	}
	q := sq.query(rg)
	if err := sq.r.s.graphql(ctx, "probe of "+q, searchProbeQuery, map[string]any{"q": q, "owner": owner}, &data); err != nil {
		return "", 0, err
	}
	sq.r.s.spent(ctx, "SearchProbe", data.RateLimit)
	if data.RepositoryOwner != nil {
		kind = data.RepositoryOwner.Typename
	}
	return kind, data.Search.IssueCount, nil
}

// count is how many pull requests the search of rg matches.
func (sq *searcher) count(ctx context.Context, rg searchRange) (int, error) {
	var data struct {
		RateLimit gqlRateLimit `json:"rateLimit"`
		Search    struct {
			IssueCount int `json:"issueCount"`
		} `json:"search"`
	}
	if err := sq.r.s.graphql(ctx, "count of "+sq.query(rg), searchCountQuery, map[string]any{"q": sq.query(rg)}, &data); err != nil {
		return 0, err
	}
	sq.r.s.spent(ctx, "SearchCount", data.RateLimit)
	return data.Search.IssueCount, nil
}

// split halves rg, which matches n, until each part matches at most
// searchCap, in order. Of two halves only the first is counted: the
// other matches the rest. read checks each part's count again.
func (sq *searcher) split(ctx context.Context, rg searchRange, n int) ([]searchRange, error) {
	if n <= searchCap {
		return []searchRange{rg}, nil
	}
	a, b, ok := rg.halves()
	if !ok {
		return nil, fmt.Errorf("github: search %s: %w", sq.query(rg), errSearchTooDense)
	}
	na, err := sq.count(ctx, a)
	if err != nil {
		return nil, err
	}
	pa, err := sq.split(ctx, a, na)
	if err != nil {
		return nil, err
	}
	pb, err := sq.split(ctx, b, max(0, n-na))
	return append(pa, pb...), err
}

// gqlSearchPR is a node of searchQuery: a pull request and its
// repository (empty for any other kind of result).
type gqlSearchPR struct {
	gqlPR
	Repository *struct {
		NameWithOwner string `json:"nameWithOwner"`
	} `json:"repository"`
}

// read pages the search of rg and hands each pull request of the block's
// repositories to its repository's mergedPR. A range whose first page
// says it matches more than searchCap (merges since the count) is split
// there: GitHub would page only part of it. A range whose pages hold
// fewer nodes, every one counted before any filter, than its first
// page's issueCount is a *searchShortfall; more (merges while paging)
// are fine.
func (sq *searcher) read(ctx context.Context, rg searchRange) error {
	paths := len(filtersOf(sq.r.block).Paths) > 0
	var after any
	count, nodes := 0, 0
	for {
		var data struct {
			RateLimit gqlRateLimit `json:"rateLimit"`
			Search    struct {
				IssueCount int            `json:"issueCount"`
				PageInfo   gqlPageInfo    `json:"pageInfo"`
				Nodes      []*gqlSearchPR `json:"nodes"`
			} `json:"search"`
		}
		q := sq.query(rg)
		if err := sq.r.s.graphql(ctx, "search "+q, searchQuery, map[string]any{"q": q, "after": after, "paths": paths}, &data); err != nil {
			return err
		}
		sq.r.s.spent(ctx, "SearchMergedPullRequests", data.RateLimit)
		res := data.Search
		if after == nil && res.IssueCount > searchCap {
			parts, err := sq.split(ctx, rg, res.IssueCount)
			if err != nil {
				return err
			}
			for _, p := range parts {
				if err := sq.read(ctx, p); err != nil {
					return err
				}
			}
			return nil
		}
		if after == nil {
			count = res.IssueCount
		}
		nodes += len(res.Nodes)
		for _, p := range res.Nodes {
			if p == nil || p.Repository == nil {
				continue
			}
			rr := sq.repos[strings.ToLower(p.Repository.NameWithOwner)]
			if rr == nil || sq.failed[rr] {
				// Not one of the block's repositories (a glob may match
				// some of the owner's, not all), or failed already.
				continue
			}
			cov := coverage{w: rr.window}
			if _, err := rr.gqlMergedPR(ctx, &p.gqlPR, &cov); err != nil {
				if fatal(err) || ctx.Err() != nil {
					return err
				}
				sq.failed[rr] = true
				sq.r.failed(rr.full, err)
			}
		}
		if !res.PageInfo.HasNextPage {
			if nodes < count {
				return &searchShortfall{rg: rg, count: count, nodes: nodes}
			}
			return nil
		}
		after = res.PageInfo.EndCursor
	}
}
