package githubfake

import (
	"net/http"
	"strconv"
	"strings"
)

// hDeployments answers GET /repos/{o}/{r}/deployments, newest first,
// filtered by sha, ref, task and environment.
func hDeployments(c *call) int {
	r := c.repo
	q := c.q
	sha, ref, task, env := strings.ToLower(q.Get("sha")), q.Get("ref"), q.Get("task"), q.Get("environment")
	v := c.ix.deployments
	if sha != "" || ref != "" || task != "" || env != "" {
		v = c.ix.view("deployments\x00"+sha+"\x00"+ref+"\x00"+task+"\x00"+env, func() []int32 {
			var out []int32
			for _, i := range c.ix.deployments {
				d := &r.Deployments[i]
				switch {
				case sha != "" && r.Commits[d.Commit].SHA.String() != sha,
					ref != "" && d.Ref != ref,
					task != "" && d.Task != task,
					env != "" && d.Environment != env:
					continue
				}
				out = append(out, i)
			}
			return out
		})
	}
	pg := parsePager(q)
	lo, hi := pg.bounds(len(v))
	c.w.Array()
	for _, i := range v[lo:hi] {
		c.deployment(&r.Deployments[i])
	}
	c.w.EndArray()
	c.paginate(pg, len(v))
	return http.StatusOK
}

func (c *call) pathDeployment() *Deployment {
	id, err := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	if err != nil {
		return nil
	}
	if i, ok := c.ix.deploymentByID[id]; ok {
		return &c.repo.Deployments[i]
	}
	return nil
}

// hDeployment answers GET /repos/{o}/{r}/deployments/{id}.
func hDeployment(c *call) int {
	d := c.pathDeployment()
	if d == nil {
		return c.notFound()
	}
	c.deployment(d)
	return http.StatusOK
}

// hDeploymentStatuses answers GET /repos/{o}/{r}/deployments/{id}/statuses,
// newest first.
func hDeploymentStatuses(c *call) int {
	d := c.pathDeployment()
	if d == nil {
		return c.notFound()
	}
	n := len(d.Statuses)
	return c.pagedArray(n, func(k int) { c.deploymentStatus(d, &d.Statuses[n-1-k]) })
}
