package githubfake

import (
	"net/http"
	"strconv"
	"strings"
)

// hPulls answers GET /repos/{o}/{r}/pulls with GitHub's filters (state,
// base, head as "owner:branch") and sorts. Defaults, as documented: state
// open, sort created, direction desc for created and asc otherwise.
func hPulls(c *call) int {
	state := c.q.Get("state")
	switch state {
	case "":
		state = "open"
	case "open", "closed", "all":
	default:
		return c.invalid("Validation Failed: state must be open, closed or all")
	}
	sortBy := c.q.Get("sort")
	switch sortBy {
	case "":
		sortBy = "created"
	case "created", "updated", "popularity", "long-running":
	default:
		return c.invalid("Validation Failed: sort must be created, updated, popularity or long-running")
	}
	dir := c.q.Get("direction")
	switch dir {
	case "":
		dir = "asc"
		if sortBy == "created" {
			dir = "desc"
		}
	case "asc", "desc":
	default:
		return c.invalid("Validation Failed: direction must be asc or desc")
	}
	base := c.q.Get("base")
	head := c.q.Get("head")
	if owner, ref, ok := strings.Cut(head, ":"); ok {
		if !strings.EqualFold(owner, c.repo.Owner) {
			head = "\x00" // a fork's branch: matches nothing here
		} else {
			head = ref
		}
	}
	r := c.repo
	src := c.ix.prCreated
	if sortBy == "updated" {
		src = c.ix.prUpdated
	}
	v := src
	if state != "all" || base != "" || head != "" {
		v = c.ix.view("pulls\x00"+state+"\x00"+base+"\x00"+head+"\x00"+sortBy, func() []int32 {
			var out []int32
			for _, i := range src {
				p := &r.PRs[i]
				if (state == "all" || p.State() == state) && (base == "" || p.Base == base) && (head == "" || p.Head == head) {
					out = append(out, i)
				}
			}
			return out
		})
	}
	return c.pagedArray(len(v), func(k int) {
		i := v[k]
		if dir == "desc" {
			i = v[len(v)-1-k]
		}
		c.pr(&r.PRs[i], false)
	})
}

func (c *call) pathPR() *PullRequest {
	n, err := strconv.Atoi(c.r.PathValue("number"))
	if err != nil {
		return nil
	}
	return c.repo.PR(n)
}

// hPull answers GET /repos/{o}/{r}/pulls/{n}.
func hPull(c *call) int {
	p := c.pathPR()
	if p == nil {
		return c.notFound()
	}
	c.pr(p, true)
	return http.StatusOK
}

// GitHub caps these listings: a pull request's commits at 250 ("List
// commits on a pull request": "Lists a maximum of 250 commits for a pull
// request", https://docs.github.com/en/rest/pulls/pulls#list-commits-on-a-pull-request),
// its files at 3,000 ("List pull requests files": "Responses include a
// maximum of 3000 files").
const (
	maxPRCommits = 250
	maxPRFiles   = 3000
)

// hPullCommits answers GET /repos/{o}/{r}/pulls/{n}/commits, oldest first.
func hPullCommits(c *call) int {
	p := c.pathPR()
	if p == nil {
		return c.notFound()
	}
	total := min(int(p.NumCommits), maxPRCommits)
	return c.pagedArray(total, func(k int) { c.commit(p.FirstCommit+int32(k), false) })
}

// hPullFiles answers GET /repos/{o}/{r}/pulls/{n}/files.
func hPullFiles(c *call) int {
	p := c.pathPR()
	if p == nil {
		return c.notFound()
	}
	head := c.repo.Commits[p.HeadCommit()].SHA.String()
	total := min(len(p.Files), maxPRFiles)
	pg := parsePager(c.q)
	lo, hi := pg.bounds(total)
	c.w.Array()
	for _, f := range p.Files[lo:hi] {
		c.file(head, f, false)
	}
	c.w.EndArray()
	c.paginate(pg, total)
	return http.StatusOK
}

// hPullReviews answers GET /repos/{o}/{r}/pulls/{n}/reviews: the submitted
// reviews, "in chronological order"
// (https://docs.github.com/en/rest/pulls/reviews#list-reviews-for-a-pull-request),
// paged like every list.
func hPullReviews(c *call) int {
	p := c.pathPR()
	if p == nil {
		return c.notFound()
	}
	return c.pagedArray(len(p.Reviews), func(k int) { c.review(p, &p.Reviews[k]) })
}
