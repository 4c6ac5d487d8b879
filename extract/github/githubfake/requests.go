package githubfake

// EndpointCost is what a full backfill reads from one endpoint: how many
// items, and the fewest requests that takes at 100 items a page.
type EndpointCost struct {
	Endpoint string // route pattern, as in Stats.ByEndpoint
	Items    int
	Requests int
}

// RequestPlan is the per-endpoint cost of a full backfill.
type RequestPlan []EndpointCost

// Total is the sum of the plan's requests.
func (p RequestPlan) Total() int {
	n := 0
	for _, c := range p {
		n += c.Requests
	}
	return n
}

// Requests returns the requests the plan counts for an endpoint.
func (p RequestPlan) Requests(endpoint string) int {
	for _, c := range p {
		if c.Endpoint == endpoint {
			return c.Requests
		}
	}
	return 0
}

// pages is the number of requests a listing of n items takes at 100 a
// page; an empty listing still takes one request to learn it is empty.
func pages(n int) int { return max(1, (n+99)/100) }

// MinimumRequests counts the fewest requests a full backfill of the
// organisation needs at per_page=100, so a test can compare what the
// extractor spent (Stats.ByEndpoint, Stats.Charged) with the floor:
//
//   - the organisation's repository listing;
//   - per repository, one listing each of pulls (state=all), workflows,
//     workflow runs, releases, tags and deployments: ceil(items/100), at
//     least 1;
//   - per merged pull request, its commits, its files and its reviews
//     (lead time needs the first commit, monorepo path filters the files,
//     the pickup and review stages the first review);
//   - per deployment, its statuses.
//
// Compare calls are left out: how many depend on which deployments the
// mapping blocks match (one per deployment after the first of each
// repository and environment, more when a range exceeds 100 commits).
func (o *Org) MinimumRequests() RequestPlan {
	const repo = "GET /repos/{owner}/{repo}"
	plan := RequestPlan{{Endpoint: "GET /orgs/{org}/repos", Items: len(o.Repos), Requests: pages(len(o.Repos))}}
	add := func(endpoint string, items, requests int) {
		for i := range plan {
			if plan[i].Endpoint == endpoint {
				plan[i].Items += items
				plan[i].Requests += requests
				return
			}
		}
		plan = append(plan, EndpointCost{Endpoint: endpoint, Items: items, Requests: requests})
	}
	for _, r := range o.Repos {
		add(repo+"/pulls", len(r.PRs), pages(len(r.PRs)))
		add(repo+"/actions/workflows", len(r.Workflows), pages(len(r.Workflows)))
		add(repo+"/actions/runs", len(r.Runs), pages(len(r.Runs)))
		add(repo+"/releases", len(r.Releases), pages(len(r.Releases)))
		add(repo+"/tags", len(r.Tags), pages(len(r.Tags)))
		add(repo+"/deployments", len(r.Deployments), pages(len(r.Deployments)))
		var commits, commitReqs, files, fileReqs, reviews, reviewReqs int
		for i := range r.PRs {
			p := &r.PRs[i]
			if !p.Merged() {
				continue
			}
			n := min(int(p.NumCommits), maxPRCommits)
			commits += n
			commitReqs += pages(n)
			files += len(p.Files)
			fileReqs += pages(len(p.Files))
			reviews += len(p.Reviews)
			reviewReqs += pages(len(p.Reviews))
		}
		add(repo+"/pulls/{number}/commits", commits, commitReqs)
		add(repo+"/pulls/{number}/files", files, fileReqs)
		add(repo+"/pulls/{number}/reviews", reviews, reviewReqs)
		var statuses, statusReqs int
		for i := range r.Deployments {
			statuses += len(r.Deployments[i].Statuses)
			statusReqs += pages(len(r.Deployments[i].Statuses))
		}
		add(repo+"/deployments/{id}/statuses", statuses, statusReqs)
	}
	return plan
}
