package githubfake

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// routes registers every endpoint. The pattern is also the endpoint's name
// in the request log and in Stats.ByEndpoint.
func (s *Server) routes() {
	s.mux = http.NewServeMux()
	add := func(pattern string, h handler) { s.mux.Handle(pattern, &endpoint{s: s, name: pattern, h: h}) }
	s.mux.Handle("/", &endpoint{s: s, name: EndpointUnknown, h: notFound})
	add(EndpointRateLimit, hRateLimit)
	s.mux.HandleFunc(EndpointAccessTokens, s.serveAccessToken)
	add("GET /orgs/{org}/repos", hOrgRepos)
	add("GET /users/{user}/repos", hUserRepos)
	add("GET /repos/{owner}/{repo}", hRepo)
	add("GET /repos/{owner}/{repo}/pulls", hPulls)
	add("GET /repos/{owner}/{repo}/pulls/{number}", hPull)
	add("GET /repos/{owner}/{repo}/pulls/{number}/commits", hPullCommits)
	add("GET /repos/{owner}/{repo}/pulls/{number}/files", hPullFiles)
	add("GET /repos/{owner}/{repo}/pulls/{number}/reviews", hPullReviews)
	add("GET /repos/{owner}/{repo}/commits", hCommits)
	add("GET /repos/{owner}/{repo}/commits/{ref...}", hCommit)
	add("GET /repos/{owner}/{repo}/commits/{sha}/pulls", hCommitPulls)
	add("GET /repos/{owner}/{repo}/compare/{basehead...}", hCompare)
	add("GET /repos/{owner}/{repo}/branches", hBranches)
	add("GET /repos/{owner}/{repo}/branches/{branch...}", hBranch)
	add("GET /repos/{owner}/{repo}/actions/workflows", hWorkflows)
	add("GET /repos/{owner}/{repo}/actions/workflows/{workflow}", hWorkflow)
	add("GET /repos/{owner}/{repo}/actions/workflows/{workflow}/runs", hRuns)
	add("GET /repos/{owner}/{repo}/actions/runs", hRuns)
	add("GET /repos/{owner}/{repo}/actions/runs/{id}", hRun)
	add("GET /repos/{owner}/{repo}/releases", hReleases)
	add("GET /repos/{owner}/{repo}/releases/latest", hLatestRelease)
	add("GET /repos/{owner}/{repo}/releases/tags/{tag...}", hReleaseByTag)
	add("GET /repos/{owner}/{repo}/releases/{id}", hRelease)
	add("GET /repos/{owner}/{repo}/tags", hTags)
	add("GET /repos/{owner}/{repo}/git/ref/{ref...}", hGitRef)
	add("GET /repos/{owner}/{repo}/git/tags/{sha}", hGitTag)
	add("GET /repos/{owner}/{repo}/deployments", hDeployments)
	add("GET /repos/{owner}/{repo}/deployments/{id}", hDeployment)
	add("GET /repos/{owner}/{repo}/deployments/{id}/statuses", hDeploymentStatuses)
}

// hRateLimit answers GET /rate_limit, which GitHub does not charge for.
// The core and GraphQL budgets are modelled; the other resources show full
// budgets.
func hRateLimit(c *call) int {
	rate := c.s.charge(c.budget, c.now, false)
	gql := c.s.graphqlCharge(c.budget, c.now, 0)
	w := &c.w
	res := func(k string, limit, used int, reset int64) {
		w.Key(k).Object()
		w.Key("limit").Int(int64(limit))
		w.Key("used").Int(int64(used))
		w.Key("remaining").Int(int64(limit - used))
		w.Key("reset").Int(reset)
		w.EndObject()
	}
	reset := rate.Reset.Unix()
	w.Object()
	w.Key("resources").Object()
	res("core", rate.Limit, rate.Used, reset)
	res("search", 30, 0, c.now.Unix()+60)
	res("graphql", gql.Limit, gql.Used, gql.Reset.Unix())
	res("integration_manifest", 5000, 0, reset)
	res("code_search", 10, 0, c.now.Unix()+60)
	w.EndObject()
	res("rate", rate.Limit, rate.Used, reset)
	w.EndObject()
	return http.StatusOK
}

// repoList lists the organisation's repositories with GitHub's sort
// options; defSort is the endpoint's default sort.
func repoList(c *call, defSort string) int {
	switch c.q.Get("type") {
	case "", "all", "public", "owner", "sources":
	default: // forks, private, member: the fake has none of those
		c.w.Array()
		c.w.EndArray()
		return http.StatusOK
	}
	repos := slices.Clone(c.org.Repos)
	sortBy := c.q.Get("sort")
	if sortBy == "" {
		sortBy = defSort
	}
	dir := c.q.Get("direction")
	if dir == "" {
		dir = "desc"
		if sortBy == "full_name" {
			dir = "asc"
		}
	}
	slices.SortStableFunc(repos, func(a, b *Repo) int {
		var n int
		switch sortBy {
		case "full_name":
			n = strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		case "updated", "pushed":
			n = lastDate(a).Compare(lastDate(b))
		default:
			n = a.CreatedAt.Compare(b.CreatedAt)
			if n == 0 {
				n = cmpInt64(a.ID, b.ID)
			}
		}
		if dir == "desc" {
			n = -n
		}
		return n
	})
	return c.pagedArray(len(repos), func(k int) { c.repoObj(repos[k], true) })
}

func lastDate(r *Repo) time.Time {
	if n := len(r.Commits); n > 0 {
		return r.Commits[n-1].Date
	}
	return r.CreatedAt
}

// hOrgRepos answers GET /orgs/{org}/repos (default sort: created, newest
// first); a user's login is no organisation: 404.
func hOrgRepos(c *call) int {
	if c.org.User || !strings.EqualFold(c.r.PathValue("org"), c.org.Login) {
		return c.notFound()
	}
	return repoList(c, "created")
}

// hUserRepos answers GET /users/{user}/repos, which on GitHub also works
// for an organisation's login (default sort: full_name, ascending).
func hUserRepos(c *call) int {
	if !strings.EqualFold(c.r.PathValue("user"), c.org.Login) {
		return c.notFound()
	}
	return repoList(c, "full_name")
}

// hRepo answers GET /repos/{owner}/{repo}.
func hRepo(c *call) int {
	c.repoObj(c.repo, true)
	return http.StatusOK
}
