package demo

import (
	"fmt"
	"math/rand/v2"
	"time"

	"doraflow"
)

// ScaleSize is the shape of a generated organisation for benchmarks.
type ScaleSize struct {
	Deployments int       // deployments in all
	Services    int       // services they spread over
	End         time.Time // the last deployment is before End; they span a year
}

// Entities returns how many entities (deployments, changes, incidents) an
// organisation of this size holds: each deployment ships two pull requests
// and one in twenty causes an incident.
func (s ScaleSize) Entities() int { return s.Deployments*3 + s.Deployments/20 }

// SizeForEntities returns the size holding about n entities.
func SizeForEntities(n int, end time.Time) ScaleSize {
	d := n * 20 / 61
	return ScaleSize{Deployments: d, Services: max(10, d/2000), End: end}
}

// Stream generates an organisation of size in batches of about batch
// deployments (with their changes and incidents), deterministic from seed,
// and hands each batch to fn: memory stays flat whatever the size.
func Stream(seed uint64, size ScaleSize, batch int, fn func(doraflow.FactSet) error) error {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	start := size.End.AddDate(-1, 0, 0)
	span := size.End.Sub(start)
	step := span / time.Duration(max(1, size.Deployments))
	f := doraflow.FactSet{Ships: map[string][]string{}}
	for i := 0; i < size.Deployments; i++ {
		svc := fmt.Sprintf("svc-%03d", i%size.Services)
		repo := "acme/" + svc
		at := start.Add(time.Duration(i) * step).Truncate(time.Second)
		d := doraflow.Deployment{
			ID: fmt.Sprintf("d-%d", i), Source: doraflow.SourceCustom, Method: doraflow.MethodCustom, Block: "manual",
			Service: svc, Team: fmt.Sprintf("team-%02d", i%size.Services%20), Environment: doraflow.EnvironmentProduction,
			Repository: repo, DeployedAt: at, Status: doraflow.StatusSuccess,
		}
		for k := 0; k < 2; k++ {
			c := doraflow.Change{
				ID: fmt.Sprintf("%s#pr-%d", repo, 2*i+k), Repository: repo, Kind: doraflow.ChangePullRequest, Number: 2*i + k,
				StartedAt: at.Add(-time.Duration(rng.ExpFloat64()*36*3600) * time.Second), Title: "Change",
			}
			if rng.IntN(25) == 0 {
				c.Labels = []string{"hotfix"}
			}
			f.Changes = append(f.Changes, c)
			f.Ships[d.ID] = append(f.Ships[d.ID], c.ID)
		}
		f.Deployments = append(f.Deployments, d)
		if i%20 == 0 {
			created := at.Add(time.Duration(5+rng.IntN(600)) * time.Minute)
			f.Incidents = append(f.Incidents, doraflow.Incident{
				ID: fmt.Sprintf("inc-%d", i), Source: doraflow.SourceCustom, Block: "manual", Service: svc, Team: d.Team,
				CreatedAt: created, ResolvedAt: created.Add(time.Duration(10+rng.IntN(300)) * time.Minute),
			})
		}
		if len(f.Deployments) >= batch || i == size.Deployments-1 {
			if err := fn(f); err != nil {
				return err
			}
			f = doraflow.FactSet{Ships: map[string][]string{}}
		}
	}
	return nil
}
