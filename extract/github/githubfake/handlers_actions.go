package githubfake

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// hWorkflows answers GET /repos/{o}/{r}/actions/workflows.
func hWorkflows(c *call) int {
	r := c.repo
	pg := parsePager(c.q)
	lo, hi := pg.bounds(len(r.Workflows))
	w := &c.w
	w.Object()
	w.Key("total_count").Int(int64(len(r.Workflows)))
	w.Key("workflows").Array()
	for i := lo; i < hi; i++ {
		c.workflow(&r.Workflows[i])
	}
	w.EndArray()
	w.EndObject()
	c.paginate(pg, len(r.Workflows))
	return http.StatusOK
}

// pathWorkflow finds the {workflow} of the path: an id or a file name.
func (c *call) pathWorkflow() (int32, bool) {
	v := c.r.PathValue("workflow")
	id, err := strconv.ParseInt(v, 10, 64)
	for i := range c.repo.Workflows {
		wf := &c.repo.Workflows[i]
		if err == nil && wf.ID == id || err != nil && wf.File() == v {
			return int32(i), true
		}
	}
	return NoCommit, false
}

// hWorkflow answers GET /repos/{o}/{r}/actions/workflows/{id|file}.
func hWorkflow(c *call) int {
	i, ok := c.pathWorkflow()
	if !ok {
		return c.notFound()
	}
	c.workflow(&c.repo.Workflows[i])
	return http.StatusOK
}

// isRunStatus reports whether a status filter value names a run status;
// the other documented values (success, failure, cancelled…) name a
// conclusion.
func isRunStatus(s string) bool {
	switch s {
	case "requested", "in_progress", "completed", "queued", "waiting", "pending":
		return true
	}
	return false
}

// dayBounds reads one side of a created qualifier: a date spans its day, a
// timestamp its second.
func dayBounds(s string) (time.Time, time.Time, bool) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, t.AddDate(0, 0, 1), true
	}
	if t, ok := parseAPITime(s); ok {
		return t, t.Add(time.Second), true
	}
	return time.Time{}, time.Time{}, false
}

// parseCreated parses GitHub's search date syntax (DATE, >=DATE, >DATE,
// <=DATE, <DATE, A..B with * for an open end) into a half-open [lo, hi);
// zero times are unbounded.
func parseCreated(s string) (lo, hi time.Time, ok bool) {
	for _, op := range []string{">=", "<=", ">", "<"} {
		v, found := strings.CutPrefix(s, op)
		if !found {
			continue
		}
		start, end, ok := dayBounds(v)
		switch op {
		case ">=":
			return start, time.Time{}, ok
		case ">":
			return end, time.Time{}, ok
		case "<=":
			return time.Time{}, end, ok
		default:
			return time.Time{}, start, ok
		}
	}
	if a, b, found := strings.Cut(s, ".."); found {
		ok = true
		if a != "*" {
			var okA bool
			lo, _, okA = dayBounds(a)
			ok = ok && okA
		}
		if b != "*" {
			var okB bool
			_, hi, okB = dayBounds(b)
			ok = ok && okB
		}
		return lo, hi, ok
	}
	lo, hi, ok = dayBounds(s)
	return lo, hi, ok
}

// hRuns answers GET /repos/{o}/{r}/actions/runs and
// .../actions/workflows/{id|file}/runs: newest first, filtered by branch,
// event, status (a status or a conclusion), actor, head_sha and created.
// As on GitHub, a filtered listing reaches only its first
// Options.RunsSearchLimit runs (1000: "This endpoint will return up to
// 1,000 results for each search when using the following parameters:
// actor, branch, check_suite_id, created, event, head_sha, status", "List
// workflow runs for a repository",
// https://docs.github.com/en/rest/actions/workflow-runs#list-workflow-runs-for-a-repository),
// and total_count says no more than that unless
// Options.RunsFullTotalCount: an extractor has to narrow created ranges
// whenever a listing reaches the cap.
func hRuns(c *call) int {
	r := c.repo
	wf := int32(-1)
	if c.r.PathValue("workflow") != "" {
		i, ok := c.pathWorkflow()
		if !ok {
			return c.notFound()
		}
		wf = i
	}
	q := c.q
	branch, event, status, actor := q.Get("branch"), q.Get("event"), q.Get("status"), q.Get("actor")
	var headSHA SHA
	hasHead := q.Get("head_sha") != ""
	if hasHead {
		sha, err := ParseSHA(strings.ToLower(q.Get("head_sha")))
		if err != nil {
			return c.invalid("Validation Failed: head_sha is not a SHA")
		}
		headSHA = sha
	}
	var lo, hi time.Time
	created := q.Get("created")
	if created != "" {
		var ok bool
		if lo, hi, ok = parseCreated(created); !ok {
			return c.invalid("Validation Failed: created is not a date or date range")
		}
	}
	v := c.ix.runs
	if wf >= 0 || branch != "" || event != "" || status != "" || actor != "" || hasHead {
		key := "runs\x00" + strconv.Itoa(int(wf)) + "\x00" + branch + "\x00" + event + "\x00" + status + "\x00" + actor + "\x00" + q.Get("head_sha")
		v = c.ix.view(key, func() []int32 {
			var out []int32
			for _, i := range c.ix.runs {
				run := &r.Runs[i]
				switch {
				case wf >= 0 && run.Workflow != wf,
					branch != "" && run.HeadBranch != branch,
					event != "" && run.Event != event,
					status != "" && isRunStatus(status) && run.Status != status,
					status != "" && !isRunStatus(status) && run.Conclusion != status,
					actor != "" && !strings.EqualFold(c.org.People[run.Actor].Login, actor),
					hasHead && r.Commits[run.Commit].SHA != headSHA:
					continue
				}
				out = append(out, i)
			}
			return out
		})
	}
	if created != "" {
		// v is newest first, so the range is one slice found by two
		// binary searches.
		at := func(k int) time.Time { return r.Runs[v[k]].CreatedAt }
		a := 0
		if !hi.IsZero() {
			a = sort.Search(len(v), func(k int) bool { return at(k).Before(hi) })
		}
		b := len(v)
		if !lo.IsZero() {
			b = sort.Search(len(v), func(k int) bool { return at(k).Before(lo) })
		}
		v = v[min(a, b):b]
	}
	total := len(v)
	reach := total
	filtered := branch != "" || event != "" || status != "" || actor != "" || hasHead || created != "" || q.Get("check_suite_id") != ""
	if filtered && c.s.opts.RunsSearchLimit > 0 {
		reach = min(total, c.s.opts.RunsSearchLimit)
	}
	withPRs := q.Get("exclude_pull_requests") != "true"
	pg := parsePager(q)
	a, b := pg.bounds(reach)
	w := &c.w
	w.Object()
	if !c.s.opts.RunsFullTotalCount {
		total = reach
	}
	w.Key("total_count").Int(int64(total))
	w.Key("workflow_runs").Array()
	for _, i := range v[a:b] {
		c.run(&r.Runs[i], withPRs)
	}
	w.EndArray()
	w.EndObject()
	c.paginate(pg, reach)
	return http.StatusOK
}

// hRun answers GET /repos/{o}/{r}/actions/runs/{id}.
func hRun(c *call) int {
	id, err := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	if err != nil {
		return c.notFound()
	}
	i, ok := c.ix.runByID[id]
	if !ok {
		return c.notFound()
	}
	c.run(&c.repo.Runs[i], c.q.Get("exclude_pull_requests") != "true")
	return http.StatusOK
}
