// Package demo simulates an engineering organisation for `doraflow demo`:
// a GitHub organisation served by the fake GitHub (githubfake) and the
// incidents its deployments cause, served by the fake PagerDuty, all
// deterministic from a seed. The demo reads both through the real
// extractors.
package demo

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"time"

	"doraflow"
	"doraflow/config"
	"doraflow/extract/github/githubfake"
)

// Days is how much history the demo simulates.
const Days = 91

// Services are the simulated services with their teams, repositories and
// PagerDuty services.
var Services = []config.Service{
	{Name: "api", Team: "platform", Repositories: []string{"acme/api"}, PagerDutyServices: []string{"PAPI001"}},
	{Name: "web", Team: "frontend", Repositories: []string{"acme/web"}, PagerDutyServices: []string{"PWEB001"}},
	{Name: "mobile", Team: "mobile", Repositories: []string{"acme/mobile"}, PagerDutyServices: []string{"PMOB001"}},
	{Name: "infra", Team: "platform", Repositories: []string{"acme/infra"}, PagerDutyServices: []string{"PINF001"}},
}

// Blocks are the demo's deployment mapping blocks: one per GitHub method,
// as in config/doraflow.sample.yaml.
var Blocks = []doraflow.Block{
	{Name: "api-deploy-workflow", Method: doraflow.MethodWorkflowRun, Repositories: []string{"acme/api"}, Environment: doraflow.EnvironmentProduction,
		Filters: doraflow.Filters{"workflow": "deploy.yml", "branch": "main", "conclusion": "success"}},
	{Name: "web-merges", Method: doraflow.MethodMergedPR, Repositories: []string{"acme/web"}, Environment: doraflow.EnvironmentProduction,
		Filters: doraflow.Filters{"base_branch": "main", "labels": []string{"deploy"}, "exclude_labels": []string{"skip-deploy"}}},
	{Name: "mobile-releases", Method: doraflow.MethodRelease, Repositories: []string{"acme/mobile"}, Environment: doraflow.EnvironmentProduction,
		Filters: doraflow.Filters{"tag_pattern": "v*"}},
	{Name: "infra-deployments", Method: doraflow.MethodDeployment, Repositories: []string{"acme/infra"}, Environment: doraflow.EnvironmentProduction,
		Filters: doraflow.Filters{"environment": doraflow.EnvironmentProduction}},
}

// GitHub returns the simulated GitHub organisation: Days of activity up
// to now.
func GitHub(seed int64, now time.Time) *githubfake.Org {
	return githubfake.Generate(seed, githubfake.Size{Days: Days, Now: now, PRsPerRepo: 150, RunsPerRepo: 220, ReleasesPerRepo: 14, DeploymentsPerRepo: 45, LoneCommitsPerRepo: 20})
}

// habit is how often a service's deployments break production and how
// long it takes to restore.
type habit struct {
	failChance float64
	restore    time.Duration
}

var habits = map[string]habit{
	"api":    {failChance: 0.05, restore: 40 * time.Minute},
	"web":    {failChance: 0.12, restore: 5 * time.Hour},
	"mobile": {failChance: 0.25, restore: 30 * time.Hour},
	"infra":  {failChance: 0.08, restore: 2 * time.Hour},
}

// Incidents returns the incidents that the given production deployments
// cause, deterministic from seed and the deployments' ids; resolutions
// after now are left open. Each incident starts before its service's next
// production deployment, so that attribution (the latest production
// deployment before it, docs/metrics.md) pins it on the deployment its title
// names.
func Incidents(seed uint64, deployments []doraflow.Deployment, now time.Time) []doraflow.Incident {
	sorted := append([]doraflow.Deployment(nil), deployments...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	next := nextDeployments(deployments)
	var out []doraflow.Incident
	for _, d := range sorted {
		h, ok := habits[d.Service]
		if !ok || d.Environment != doraflow.EnvironmentProduction || d.Status != doraflow.StatusSuccess {
			continue
		}
		f := fnv.New64a()
		f.Write([]byte(d.ID))
		rng := rand.New(rand.NewPCG(seed, f.Sum64()))
		if rng.Float64() >= h.failChance {
			continue
		}
		created := d.DeployedAt.Add(time.Duration(10+rng.IntN(360)) * time.Minute)
		if n, ok := next[d.ID]; ok && !created.Before(n) {
			// The next deployment came first: the incident would be pinned
			// on it. Break production between the two, or not at all.
			if created = d.DeployedAt.Add(n.Sub(d.DeployedAt) / 2).Truncate(time.Second); !d.DeployedAt.Before(created) {
				continue
			}
		}
		if !created.Before(now) {
			continue
		}
		in := doraflow.Incident{
			ID: "INC-" + d.ID, Service: d.Service, CreatedAt: created,
			Title: fmt.Sprintf("Errors on %s after deployment %s (%s)", d.Service, d.ID, d.Title),
		}
		if resolved := created.Add(time.Duration(rng.ExpFloat64() * float64(h.restore))).Truncate(time.Second); resolved.Before(now) {
			in.ResolvedAt = resolved
		}
		out = append(out, in)
	}
	return out
}

// nextDeployments maps each production deployment's id to the time of the
// next production deployment of its service, when there is one.
func nextDeployments(deployments []doraflow.Deployment) map[string]time.Time {
	byService := map[string][]doraflow.Deployment{}
	for _, d := range deployments {
		if d.Environment == doraflow.EnvironmentProduction {
			byService[d.Service] = append(byService[d.Service], d)
		}
	}
	next := map[string]time.Time{}
	for _, list := range byService {
		sort.Slice(list, func(i, j int) bool {
			if !list[i].DeployedAt.Equal(list[j].DeployedAt) {
				return list[i].DeployedAt.Before(list[j].DeployedAt)
			}
			return list[i].ID < list[j].ID
		})
		for i := 0; i+1 < len(list); i++ {
			next[list[i].ID] = list[i+1].DeployedAt
		}
	}
	return next
}
