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
// after now are left open.
func Incidents(seed uint64, deployments []doraflow.Deployment, now time.Time) []doraflow.Incident {
	sorted := append([]doraflow.Deployment(nil), deployments...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
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
		if !created.Before(now) {
			continue
		}
		in := doraflow.Incident{
			ID: "INC-" + d.ID, Service: d.Service, CreatedAt: created,
			Title: fmt.Sprintf("Errors on %s after %s", d.Service, d.Title),
		}
		if resolved := created.Add(time.Duration(rng.ExpFloat64() * float64(h.restore))).Truncate(time.Second); resolved.Before(now) {
			in.ResolvedAt = resolved
		}
		out = append(out, in)
	}
	return out
}
