package faults

import (
	"fmt"
	"math/rand/v2"
	"time"

	"doraflow"
	"doraflow/config"
)

// The generated organisation: three services, the custom deployments they
// made over the 91 days before end with the pull requests each shipped,
// and in each source the data that goes with them.
var (
	// end is the organisation's "now": its data ends here.
	end = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	// from is where the deployments, and every backfill, start.
	from = end.AddDate(0, 0, -91)
)

// seed makes every generated source and the deployments deterministic.
const seed = 7

// services are the organisation's services. Their PagerDuty ids are those
// pagerdutyfake.Generate gives services of these names.
var services = []config.Service{
	{Name: "api", Team: "platform", Repositories: []string{"acme/api"}, PagerDutyServices: []string{"PAPI001"}},
	{Name: "web", Team: "frontend", Repositories: []string{"acme/web"}, PagerDutyServices: []string{"PWEB001"}},
	{Name: "payments", Team: "platform", Repositories: []string{"acme/payments"}, PagerDutyServices: []string{"PPAY001"}},
}

// deployments simulates the services' custom deployments over [from,
// end): on about two weekdays in three, each shipping one to three pull
// requests started up to three days before, some of them rework.
func deployments() doraflow.FactSet {
	rng := rand.New(rand.NewPCG(seed, seed))
	f := doraflow.FactSet{Ships: map[string][]string{}}
	pr := 0
	for _, svc := range services {
		repo := svc.Repositories[0]
		for day := from; day.Before(end); day = day.AddDate(0, 0, 1) {
			if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday || rng.IntN(3) == 0 {
				continue
			}
			at := day.Add(9*time.Hour + time.Duration(rng.IntN(9*3600))*time.Second)
			d := doraflow.Deployment{
				ID: fmt.Sprintf("%s-%s", svc.Name, at.Format("20060102-150405")), Source: doraflow.SourceCustom, Method: doraflow.MethodCustom,
				Block: "manual", Service: svc.Name, Team: svc.Team, Environment: doraflow.EnvironmentProduction, Repository: repo,
				DeployedAt: at, Status: doraflow.StatusSuccess, Title: "Deploy " + svc.Name,
			}
			for n := 1 + rng.IntN(3); n > 0; n-- {
				pr++
				c := doraflow.Change{
					ID: fmt.Sprintf("%s#pr-%d", repo, pr), Repository: repo, Kind: doraflow.ChangePullRequest, Number: pr,
					StartedAt: at.Add(-time.Duration(rng.IntN(3*86400)) * time.Second), Title: fmt.Sprintf("Change %d", pr),
				}
				if rng.IntN(20) == 0 {
					c.Labels = []string{"hotfix"}
				}
				f.Changes = append(f.Changes, c)
				f.Ships[d.ID] = append(f.Ships[d.ID], c.ID)
			}
			f.Deployments = append(f.Deployments, d)
		}
	}
	return f
}
