package githubfake

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"doraflow/internal/fakeapi"
)

// repoIndex holds a repository's objects sorted the ways GitHub lists them,
// so a page of a listing costs the page, not the repository. Filtered views
// and commit histories are built on first use and cached.
type repoIndex struct {
	prCreated   []int32 // PR indexes by created_at, then number, ascending
	prUpdated   []int32 // PR indexes by updated_at, then number, ascending
	runs        []int32 // newest first: created_at desc, id desc
	releases    []int32 // newest first: created order (id) desc
	tags        []int32 // highest version first
	deployments []int32 // newest first: created_at desc, id desc

	runByID        map[int64]int32
	releaseByID    map[int64]int32
	deploymentByID map[int64]int32

	mu    sync.Mutex
	views map[string][]int32
	hist  map[int32]*history
}

// Cache bounds: a client asking for many distinct filters (one head_sha per
// run, say) must not grow the cache without limit; when full it starts over.
const (
	maxViews     = 256
	maxHistories = 32
)

func (s *Server) reindex() {
	s.idx = make([]*repoIndex, len(s.org.Repos))
	for i, r := range s.org.Repos {
		// An Update may have removed or reordered pull requests: the
		// number -> index map must follow, or PR(n) answers another
		// pull request, or indexes past the end.
		clear(r.byPR)
		for j := range r.PRs {
			r.byPR[r.PRs[j].Number] = j
		}
		s.idx[i] = buildIndex(r)
	}
}

func indexes(n int) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(i)
	}
	return out
}

func buildIndex(r *Repo) *repoIndex {
	ix := &repoIndex{}
	ix.prCreated = indexes(len(r.PRs))
	slices.SortStableFunc(ix.prCreated, func(a, b int32) int {
		return r.PRs[a].CreatedAt.Compare(r.PRs[b].CreatedAt)
	})
	ix.prUpdated = indexes(len(r.PRs))
	slices.SortStableFunc(ix.prUpdated, func(a, b int32) int {
		return r.PRs[a].UpdatedAt.Compare(r.PRs[b].UpdatedAt)
	})
	ix.runs = indexes(len(r.Runs))
	slices.SortFunc(ix.runs, func(a, b int32) int {
		if c := r.Runs[b].CreatedAt.Compare(r.Runs[a].CreatedAt); c != 0 {
			return c
		}
		return cmpInt64(r.Runs[b].ID, r.Runs[a].ID)
	})
	ix.releases = indexes(len(r.Releases))
	slices.SortFunc(ix.releases, func(a, b int32) int { return cmpInt64(r.Releases[b].ID, r.Releases[a].ID) })
	ix.tags = indexes(len(r.Tags))
	slices.SortFunc(ix.tags, func(a, b int32) int { return naturalCompare(r.Tags[b].Name, r.Tags[a].Name) })
	ix.runByID = make(map[int64]int32, len(r.Runs))
	for i := range r.Runs {
		ix.runByID[r.Runs[i].ID] = int32(i)
	}
	ix.releaseByID = make(map[int64]int32, len(r.Releases))
	for i := range r.Releases {
		ix.releaseByID[r.Releases[i].ID] = int32(i)
	}
	ix.deploymentByID = make(map[int64]int32, len(r.Deployments))
	for i := range r.Deployments {
		ix.deploymentByID[r.Deployments[i].ID] = int32(i)
	}
	ix.deployments = indexes(len(r.Deployments))
	slices.SortFunc(ix.deployments, func(a, b int32) int {
		if c := r.Deployments[b].CreatedAt.Compare(r.Deployments[a].CreatedAt); c != 0 {
			return c
		}
		return cmpInt64(r.Deployments[b].ID, r.Deployments[a].ID)
	})
	return ix
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// naturalCompare orders names with their digit runs compared as numbers,
// so v1.10.0 sorts above v1.9.0 as it does in GitHub's tag list, and a
// version above its own prereleases (v1.2.0 above v1.2.0-rc.1), as semver
// has it.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		if isDigit(a[0]) && isDigit(b[0]) {
			i, j := digits(a), digits(b)
			na, nb := strings.TrimLeft(a[:i], "0"), strings.TrimLeft(b[:j], "0")
			if len(na) != len(nb) {
				return len(na) - len(nb)
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[i:], b[j:]
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	switch {
	case a == "" && strings.HasPrefix(b, "-"):
		return 1
	case b == "" && strings.HasPrefix(a, "-"):
		return -1
	}
	return len(a) - len(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digits(s string) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// view returns the cached list for key, building it on first use.
func (ix *repoIndex) view(key string, build func() []int32) []int32 {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if v, ok := ix.views[key]; ok {
		return v
	}
	if ix.views == nil || len(ix.views) >= maxViews {
		ix.views = map[string][]int32{}
	}
	v := build()
	ix.views[key] = v
	return v
}

// history is every commit reachable from a head, newest first, as
// GET /commits lists them, with a membership bitset for "is this commit on
// that branch".
type history struct {
	order  []int32
	member []uint64
}

func (h *history) has(i int32) bool { return h.member[i>>6]&(1<<(uint(i)&63)) != 0 }

func (ix *repoIndex) history(r *Repo, head int32) *history {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if h, ok := ix.hist[head]; ok {
		return h
	}
	if ix.hist == nil || len(ix.hist) >= maxHistories {
		ix.hist = map[int32]*history{}
	}
	h := &history{member: make([]uint64, (len(r.Commits)+63)/64)}
	stack := []int32{head}
	h.member[head>>6] |= 1 << (uint(head) & 63)
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		h.order = append(h.order, c)
		for _, p := range r.Commits[c].Parents {
			if p != NoCommit && !h.has(p) {
				h.member[p>>6] |= 1 << (uint(p) & 63)
				stack = append(stack, p)
			}
		}
	}
	slices.SortFunc(h.order, func(a, b int32) int {
		if c := r.Commits[b].Date.Compare(r.Commits[a].Date); c != 0 {
			return c
		}
		return int(b - a)
	})
	ix.hist[head] = h
	return h
}

// call is one request as a handler sees it.
type call struct {
	s   *Server
	r   *http.Request
	q   url.Values
	now time.Time
	// budget is the user or installation whose budget the request uses.
	budget string
	org    *Org
	repo   *Repo
	ix     *repoIndex
	api    string // scheme://host/prefix, no trailing slash
	// rapi and rhtml are the repository's API and web URLs, computed once
	// per request because every object of a page repeats them.
	rapi, rhtml string
	w           fakeapi.JSON
	link        string
	// gqlRate is the GraphQL budget after a GraphQL request's charge;
	// nil for REST requests, which serve charges.
	gqlRate *Rate
}

// handler writes a response body into c.w and returns the status.
type handler func(c *call) int

// fail replaces whatever was written with GitHub's error document.
func (c *call) fail(status int, msg string) int { return c.failDoc(status, msg, docsRoot) }

// failDoc is fail with a documentation_url of its own.
func (c *call) failDoc(status int, msg, docs string) int {
	c.w.Reset(c.w.Bytes())
	errorDoc(&c.w, status, msg, docs)
	c.link = ""
	return status
}

func (c *call) notFound() int { return c.fail(http.StatusNotFound, "Not Found") }

func notFound(c *call) int { return c.notFound() }

// invalid answers 422, as GitHub does for a malformed parameter.
func (c *call) invalid(msg string) int { return c.fail(http.StatusUnprocessableEntity, msg) }

// repoAPI is the API URL of the repository, without a trailing slash.
func (c *call) repoAPI() string { return c.rapi }

// repoHTML is the web URL of the repository.
func (c *call) repoHTML() string { return c.rhtml }

// pager is a request's page and page size.
type pager struct {
	page, per int
	explicit  bool // page or per_page was given (compare treats that differently)
}

// parsePager reads page and per_page as GitHub does: per_page defaults to
// 30 and is capped at 100; nonsense falls back to the defaults.
func parsePager(q url.Values) pager {
	p := pager{page: 1, per: 30}
	if v, ok := q["per_page"]; ok {
		p.explicit = true
		if n, err := strconv.Atoi(v[0]); err == nil && n > 0 {
			p.per = min(n, 100)
		}
	}
	if v, ok := q["page"]; ok {
		p.explicit = true
		if n, err := strconv.Atoi(v[0]); err == nil && n > 0 {
			p.page = min(n, 1<<30)
		}
	}
	return p
}

// bounds returns the half-open range of item positions on the page.
func (p pager) bounds(total int) (int, int) {
	lo := min((p.page-1)*p.per, total)
	return lo, min(lo+p.per, total)
}

// pagedArray answers with the request's page of a JSON array of total
// items and its Link header; item writes the k-th item (0-based over the
// whole list).
func (c *call) pagedArray(total int, item func(k int)) int {
	p := parsePager(c.q)
	lo, hi := p.bounds(total)
	c.w.Array()
	for k := lo; k < hi; k++ {
		item(k)
	}
	c.w.EndArray()
	c.paginate(p, total)
	return http.StatusOK
}

// paginate sets the Link header the way GitHub writes it: absolute URLs
// that keep the request's other parameters, rels prev, next, last, first,
// and no header when everything fits on one page.
func (c *call) paginate(p pager, total int) {
	last := max(1, (total+p.per-1)/p.per)
	if last == 1 && p.page == 1 {
		return
	}
	var b strings.Builder
	rel := func(page int, name string) {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('<')
		b.WriteString(c.pageURL(page))
		b.WriteString(`>; rel="`)
		b.WriteString(name)
		b.WriteByte('"')
	}
	if p.page > 1 {
		rel(min(p.page-1, last), "prev")
	}
	if p.page < last {
		rel(p.page+1, "next")
		rel(last, "last")
	}
	if p.page > 1 {
		rel(1, "first")
	}
	c.link = b.String()
}

func (c *call) pageURL(page int) string {
	q := make(url.Values, len(c.q)+1)
	for k, v := range c.q {
		q[k] = v
	}
	q.Set("page", strconv.Itoa(page))
	return c.api + c.r.URL.EscapedPath() + "?" + q.Encode()
}

// resolveRef finds the commit a ref names: a full or abbreviated (7+) SHA,
// a branch, a tag, or refs/heads/… and refs/tags/… forms, each optionally
// followed by git's ancestry suffixes (main~2, v1.0.0^, sha^2).
func resolveRef(r *Repo, ref string) (int32, bool) {
	if k := strings.IndexAny(ref, "~^"); k > 0 {
		c, ok := resolveName(r, ref[:k])
		if !ok {
			return NoCommit, false
		}
		return ancestor(r, c, ref[k:])
	}
	return resolveName(r, ref)
}

// ancestor applies ancestry suffixes: ~N walks N first parents, ^N takes
// the Nth parent (N defaults to 1 for both).
func ancestor(r *Repo, c int32, suffix string) (int32, bool) {
	for suffix != "" {
		op := suffix[0]
		if op != '~' && op != '^' {
			return NoCommit, false
		}
		suffix = suffix[1:]
		d := digits(suffix)
		n := 1
		if d > 0 {
			n, _ = strconv.Atoi(suffix[:d])
			suffix = suffix[d:]
		}
		switch {
		case op == '~':
			for range n {
				if c = r.Commits[c].Parents[0]; c == NoCommit {
					return NoCommit, false
				}
			}
		case n == 0:
		case n <= 2:
			if c = r.Commits[c].Parents[n-1]; c == NoCommit {
				return NoCommit, false
			}
		default:
			return NoCommit, false
		}
	}
	return c, true
}

func resolveName(r *Repo, ref string) (int32, bool) {
	switch {
	case strings.HasPrefix(ref, "refs/heads/"):
		return r.Branch(ref[len("refs/heads/"):])
	case strings.HasPrefix(ref, "refs/tags/"):
		if t := r.Tag(ref[len("refs/tags/"):]); t != nil {
			return t.Commit, true
		}
		return NoCommit, false
	case ref == "HEAD":
		return r.Branch(r.DefaultBranch)
	}
	if len(ref) == 40 {
		if sha, err := ParseSHA(strings.ToLower(ref)); err == nil {
			i, ok := r.bySHA[sha]
			return i, ok
		}
	}
	if h, ok := r.Branch(ref); ok {
		return h, true
	}
	if t := r.Tag(ref); t != nil {
		return t.Commit, true
	}
	if len(ref) >= 7 && len(ref) < 40 && isHex(ref) {
		// Abbreviated SHAs are rare in API calls; a scan keeps the index
		// small. An ambiguous prefix is not found, as on GitHub.
		ref = strings.ToLower(ref)
		found := NoCommit
		for i := range r.Commits {
			if strings.HasPrefix(r.Commits[i].SHA.String(), ref) {
				if found != NoCommit {
					return NoCommit, false
				}
				found = int32(i)
			}
		}
		return found, found != NoCommit
	}
	return NoCommit, false
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}
