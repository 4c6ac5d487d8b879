package githubfake

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// parseAPITime reads an ISO 8601 timestamp as GitHub's since/until take
// it; a bare date means its midnight UTC.
func parseAPITime(s string) (time.Time, bool) {
	// A "+" offset arrives as a space when the client did not escape it.
	s = strings.ReplaceAll(s, " ", "+")
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// hCommits answers GET /repos/{o}/{r}/commits: the history of sha (a SHA
// or branch; default the default branch), newest first, filtered by since,
// until (inclusive), path and author.
func hCommits(c *call) int {
	r := c.repo
	ref := c.q.Get("sha")
	if ref == "" {
		ref = r.DefaultBranch
	}
	head, ok := resolveRef(r, ref)
	if !ok {
		return c.notFound()
	}
	order := c.ix.history(r, head).order
	date := func(k int) time.Time { return r.Commits[order[k]].Date }
	lo, hi := 0, len(order)
	if v := c.q.Get("until"); v != "" {
		t, ok := parseAPITime(v)
		if !ok {
			return c.invalid("Validation Failed: until is not an ISO 8601 timestamp")
		}
		lo = sort.Search(len(order), func(k int) bool { return !date(k).After(t) })
	}
	if v := c.q.Get("since"); v != "" {
		t, ok := parseAPITime(v)
		if !ok {
			return c.invalid("Validation Failed: since is not an ISO 8601 timestamp")
		}
		hi = sort.Search(len(order), func(k int) bool { return date(k).Before(t) })
	}
	list := order[min(lo, hi):hi]
	path, author := c.q.Get("path"), c.q.Get("author")
	if path != "" || author != "" {
		path = strings.Trim(path, "/")
		var out []int32
		for _, i := range list {
			if path != "" && !touches(c.commitFiles(i), path) {
				continue
			}
			if author != "" {
				p := &c.org.People[r.Commits[i].Author]
				if !strings.EqualFold(p.Login, author) && !strings.EqualFold(p.Email, author) {
					continue
				}
			}
			out = append(out, i)
		}
		list = out
	}
	return c.pagedArray(len(list), func(k int) { c.commit(list[k], false) })
}

func touches(files []string, path string) bool {
	for _, f := range files {
		if f == path || strings.HasPrefix(f, path+"/") {
			return true
		}
	}
	return false
}

// noCommit is GitHub's answer for a ref that names no commit: 422, not 404.
func (c *call) noCommit(ref string) int {
	return c.fail(http.StatusUnprocessableEntity, "No commit found for SHA: "+ref)
}

// hCommit answers GET /repos/{o}/{r}/commits/{ref}: one commit with its
// stats and files.
func hCommit(c *call) int {
	ref := c.r.PathValue("ref")
	i, ok := resolveRef(c.repo, ref)
	if !ok {
		return c.noCommit(ref)
	}
	c.commit(i, true)
	return http.StatusOK
}

// hCommitPulls answers GET /repos/{o}/{r}/commits/{sha}/pulls: the merged
// pull request that brought the commit to the default branch, or, for a
// commit not on it, the merged and open pull requests that contain it
// ("List pull requests associated with a commit",
// https://docs.github.com/en/rest/commits/commits#list-pull-requests-associated-with-a-commit).
// The commits a rebase merge wrote onto the base belong to their pull
// request (Commit.PR), so each lists it, as on GitHub.
func hCommitPulls(c *call) int {
	r := c.repo
	ref := c.r.PathValue("sha")
	i, ok := resolveRef(r, ref)
	if !ok {
		return c.noCommit(ref)
	}
	prs := c.associatedPRs(r, i)
	return c.pagedArray(len(prs), func(k int) { c.pr(prs[k], false) })
}

// associatedPRs are the pull requests GitHub associates with commit i, for
// GET /commits/{sha}/pulls and GraphQL's Commit.associatedPullRequests
// alike (both documented as "the merged pull request that introduced the
// commit to the repository; if the commit is not present in the default
// branch, additionally open pull requests"). A commit of the fake belongs
// to one pull request at most (Commit.PR), so no order arises.
func (c *call) associatedPRs(r *Repo, i int32) []*PullRequest {
	n := r.Commits[i].PR
	if n == 0 {
		return nil
	}
	p := r.PR(n)
	if p == nil {
		return nil
	}
	onDefault := false
	if h, ok := r.Branch(r.DefaultBranch); ok {
		onDefault = c.s.idx[r.ordinal].history(r, h).has(i)
	}
	if p.Merged() || !onDefault && p.ClosedAt.IsZero() {
		return []*PullRequest{p}
	}
	return nil
}

// GitHub's compare limits: without page parameters it returns the last
// 250 commits; the file list stops at 300 and appears on the first page.
const (
	maxCompareCommits = 250
	maxCompareFiles   = 300
)

// compareRef strips the "owner:" form compare accepts; another owner's
// ref (a fork) is not found.
func (c *call) compareRef(s string) (int32, bool) {
	if owner, ref, ok := strings.Cut(s, ":"); ok {
		if !strings.EqualFold(owner, c.repo.Owner) {
			return NoCommit, false
		}
		s = ref
	}
	return resolveRef(c.repo, s)
}

// hCompare answers GET /repos/{o}/{r}/compare/{base}...{head}.
func hCompare(c *call) int {
	r := c.repo
	basehead := c.r.PathValue("basehead")
	baseRef, headRef, ok := strings.Cut(basehead, "...")
	if !ok {
		return c.notFound()
	}
	base, ok1 := c.compareRef(baseRef)
	head, ok2 := c.compareRef(headRef)
	if !ok1 || !ok2 {
		return c.notFound()
	}
	cmp := r.Compare(base, head)
	if cmp.MergeBase == NoCommit {
		return c.fail(http.StatusNotFound, "No common ancestor between "+baseRef+" and "+headRef+".")
	}
	total := len(cmp.Ahead)
	pg := parsePager(c.q)
	list := cmp.Ahead
	firstPage := true
	if pg.explicit {
		lo, hi := pg.bounds(total)
		list = list[lo:hi]
		firstPage = pg.page == 1
		c.paginate(pg, total)
	} else if total > maxCompareCommits {
		// The last 250: the newest commit of the range is always there.
		list = list[total-maxCompareCommits:]
	}
	w := &c.w
	api := c.repoAPI()
	headSHA := r.Commits[head].SHA.String()
	baseSHA := r.Commits[base].SHA.String()
	w.Object()
	w.Key("url").Concat(api, "/compare/", basehead)
	w.Key("html_url").Concat(c.repoHTML(), "/compare/", basehead)
	w.Key("permalink_url").Concat(c.repoHTML(), "/compare/", r.Owner, ":", baseSHA, "...", r.Owner, ":", headSHA)
	w.Key("diff_url").Concat(c.repoHTML(), "/compare/", basehead, ".diff")
	w.Key("patch_url").Concat(c.repoHTML(), "/compare/", basehead, ".patch")
	w.Key("base_commit")
	c.commit(base, false)
	w.Key("merge_base_commit")
	c.commit(cmp.MergeBase, false)
	w.Key("status").Str(cmp.Status())
	w.Key("ahead_by").Int(int64(total))
	w.Key("behind_by").Int(int64(cmp.Behind))
	w.Key("total_commits").Int(int64(total))
	w.Key("commits").Array()
	for _, i := range list {
		c.commit(i, false)
	}
	w.EndArray()
	w.Key("files").Array()
	if firstPage {
		var files []string
		seen := map[string]bool{}
		for _, i := range cmp.Ahead {
			for _, f := range c.commitFiles(i) {
				if !seen[f] {
					seen[f] = true
					files = append(files, f)
				}
			}
		}
		slices.Sort(files)
		for _, f := range files[:min(len(files), maxCompareFiles)] {
			c.file(headSHA, f, false)
		}
	}
	w.EndArray()
	w.EndObject()
	return http.StatusOK
}

// hBranches answers GET /repos/{o}/{r}/branches, sorted by name.
func hBranches(c *call) int {
	r := c.repo
	bs := slices.Clone(r.Branches)
	slices.SortFunc(bs, func(a, b Branch) int { return strings.Compare(a.Name, b.Name) })
	w := &c.w
	return c.pagedArray(len(bs), func(k int) {
		b := bs[k]
		sha := r.Commits[b.Head].SHA.String()
		w.Object()
		w.Key("name").Str(b.Name)
		w.Key("commit").Object()
		w.Key("sha").Str(sha)
		w.Key("url").Concat(c.repoAPI(), "/commits/", sha)
		w.EndObject()
		w.Key("protected").Bool(b.Name == r.DefaultBranch)
		w.EndObject()
	})
}

// hBranch answers GET /repos/{o}/{r}/branches/{branch}.
func hBranch(c *call) int {
	r := c.repo
	name := c.r.PathValue("branch")
	h, ok := r.Branch(name)
	if !ok {
		return c.fail(http.StatusNotFound, "Branch not found")
	}
	w := &c.w
	w.Object()
	w.Key("name").Str(name)
	w.Key("commit")
	c.commit(h, false)
	w.Key("_links").Object()
	w.Key("self").Concat(c.repoAPI(), "/branches/", name)
	w.Key("html").Concat(c.repoHTML(), "/tree/", name)
	w.EndObject()
	w.Key("protected").Bool(name == r.DefaultBranch)
	w.EndObject()
	return http.StatusOK
}
