package metrics

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// benchCells returns n cells as the facts would yield them over a year:
// one event each, for 100 services of 10 teams in 3 environments. The
// multisets are shared among cells, as Compute only reads them, so the
// fixture stays small.
func benchCells(n int) []Cell {
	rng := rand.New(rand.NewPCG(7, 11))
	leads := make([]Multiset, 5000)
	for i := range leads {
		leads[i] = Multiset{int64(rng.IntN(30*86400)) / 60 * 60: 1} // minute precision
	}
	restores := make([]Multiset, 500)
	for i := range restores {
		restores[i] = Multiset{int64(rng.IntN(7*86400)) / 60 * 60: 1}
	}
	type service struct{ name, team, repo string }
	services := make([]service, 100)
	for i := range services {
		services[i] = service{fmt.Sprintf("service-%02d", i), fmt.Sprintf("team-%d", i%10), fmt.Sprintf("acme/service-%02d", i)}
	}
	envs := []string{"production", "staging", "dev"}
	start := d("2024-01-01")
	cells := make([]Cell, n)
	for i := range cells {
		s := services[rng.IntN(len(services))]
		c := Cell{
			Day:         start.AddDays(rng.IntN(366)),
			Service:     s.name,
			Team:        s.team,
			Environment: envs[rng.IntN(len(envs))],
			Repository:  s.repo,
		}
		switch k := rng.IntN(10); {
		case k < 3:
			c.Deployments = 1
			c.FailedDeployments = int64(rng.IntN(10) / 9)
		case k < 9:
			c.LeadTimes = leads[rng.IntN(len(leads))]
		default:
			c.Repository, c.Environment = "", "production"
			c.Incidents = 1
			c.Restores = restores[rng.IntN(len(restores))]
		}
		cells[i] = c
	}
	return cells
}

func BenchmarkCompute(b *testing.B) {
	cells := benchCells(1_000_000)
	for _, q := range []struct{ groupBy, period string }{
		{GroupService, PeriodNone},
		{GroupTeam, PeriodWeek},
		{GroupRepository, PeriodMonth},
		{GroupNone, PeriodDay},
	} {
		b.Run(q.groupBy+"/"+q.period, func(b *testing.B) {
			query := Query{From: at("2024-01-01", time.UTC), To: at("2025-01-01", time.UTC), GroupBy: q.groupBy, Period: q.period}
			for b.Loop() {
				if _, err := Compute(query, cells); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
