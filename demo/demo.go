// Package demo simulates an engineering organisation for `doraflow demo`:
// three services with their own deployment habits, the pull requests they
// ship and the incidents they cause, deterministic from a seed.
package demo

import (
	"fmt"
	"math/rand/v2"
	"time"

	"doraflow"
	"doraflow/config"
)

// Services are the simulated services with their teams.
var Services = []config.Service{
	{Name: "api", Team: "platform"},
	{Name: "web", Team: "frontend"},
	{Name: "payments", Team: "platform"},
}

// habit is how a simulated service works.
type habit struct {
	deployChance float64       // chance of deploying on a weekday
	perDay       int           // deployments on such a day, at most
	leadTime     time.Duration // typical time from first commit to deploy
	failChance   float64       // chance a deployment causes an incident
	restore      time.Duration // typical time to restore
}

var habits = map[string]habit{
	"api":      {deployChance: 0.9, perDay: 3, leadTime: 20 * time.Hour, failChance: 0.04, restore: 45 * time.Minute},
	"web":      {deployChance: 0.45, perDay: 2, leadTime: 4 * 24 * time.Hour, failChance: 0.12, restore: 5 * time.Hour},
	"payments": {deployChance: 0.12, perDay: 1, leadTime: 12 * 24 * time.Hour, failChance: 0.25, restore: 30 * time.Hour},
}

// Quarter simulates the 91 days before end: custom deployments, the pull
// requests they ship and the incidents they cause.
func Quarter(seed uint64, end time.Time) (doraflow.FactSet, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	f := doraflow.FactSet{Ships: map[string][]string{}}
	start := end.AddDate(0, 0, -91).Truncate(24 * time.Hour)
	pr := 0
	for _, svc := range Services {
		h, ok := habits[svc.Name]
		if !ok {
			return f, fmt.Errorf("demo: no habits for service %s", svc.Name)
		}
		repo := "acme/" + svc.Name
		for day := start; day.Before(end); day = day.AddDate(0, 0, 1) {
			if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday || rng.Float64() > h.deployChance {
				continue
			}
			for n := 1 + rng.IntN(h.perDay); n > 0; n-- {
				at := day.Add(9*time.Hour + time.Duration(rng.IntN(9*3600))*time.Second)
				if !at.Before(end) {
					continue
				}
				d := doraflow.Deployment{
					ID: fmt.Sprintf("%s-%s-%d", svc.Name, at.Format("20060102-1504"), n), Source: doraflow.SourceCustom,
					Method: doraflow.MethodCustom, Block: "manual", Service: svc.Name, Team: svc.Team,
					Environment: doraflow.EnvironmentProduction, Repository: repo, DeployedAt: at, Status: doraflow.StatusSuccess,
					Title: "Deploy " + svc.Name,
				}
				for k := 1 + rng.IntN(3); k > 0; k-- {
					pr++
					c := doraflow.Change{
						ID: fmt.Sprintf("%s#pr-%d", repo, pr), Repository: repo, Kind: doraflow.ChangePullRequest, Number: pr,
						StartedAt: at.Add(-time.Duration(rng.ExpFloat64() * float64(h.leadTime))).Truncate(time.Second),
						Title:     fmt.Sprintf("Change %d to %s", pr, svc.Name),
						URL:       fmt.Sprintf("https://github.com/%s/pull/%d", repo, pr),
					}
					switch r := rng.Float64(); {
					case r < 0.03:
						c.Title, c.Labels = "Revert \"Change "+fmt.Sprint(pr-1)+"\"", []string{"revert"}
					case r < 0.07:
						c.Labels = []string{"hotfix"}
					}
					f.Changes = append(f.Changes, c)
					f.Ships[d.ID] = append(f.Ships[d.ID], c.ID)
				}
				f.Deployments = append(f.Deployments, d)
				if rng.Float64() < h.failChance {
					created := at.Add(time.Duration(10+rng.IntN(360)) * time.Minute)
					in := doraflow.Incident{
						ID: "INC-" + d.ID, Source: doraflow.SourceCustom, Block: "manual", Service: svc.Name, Team: svc.Team,
						CreatedAt: created, Title: "Errors after " + d.ID,
					}
					if resolved := created.Add(time.Duration(rng.ExpFloat64() * float64(h.restore))).Truncate(time.Second); resolved.Before(end) {
						in.ResolvedAt = resolved
					}
					f.Incidents = append(f.Incidents, in)
				}
			}
		}
	}
	return f, nil
}
