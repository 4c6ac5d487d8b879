package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/config"
	"doraflow/demo"
	"doraflow/extract/github"
	"doraflow/extract/github/githubfake"
	"doraflow/extract/pagerduty"
	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/load/clickhouse"
	"doraflow/metrics"
	"doraflow/pipeline"
)

// The second table: the whole pipeline, from the fake GitHub and PagerDuty
// (served on loopback, as in make demo) into ClickHouse. The first table
// stages generated rows directly; this one shows what extraction adds.

const benchToken = "bench-github-token"

// sourcesResult is one line of the through-the-sources table.
type sourcesResult struct {
	entities                        int // pull requests and workflow runs generated, and incidents
	deployments, changes, incidents int // staged by the sync
	ghRequests, pdRequests          int64
	sync, metrics                   time.Duration
	// addedLive is the largest live heap during the sync less the one
	// before it, which holds the fakes' organisation: the fakes run in
	// this process, and the heap in use, garbage included, would grow
	// with their data through the collector's pacing alone.
	addedLive uint64
}

// runSources measures each size and prints its table.
func runSources(ctx context.Context, addr string, sizes []int, out io.Writer) error {
	results, err := measureEach(sizes, "through the fake sources", func(n int) (sourcesResult, error) { return measureSources(ctx, addr, n) })
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "| entities | deployments | changes | incidents | GitHub requests | PagerDuty requests | sync (extract, stage, promote) | rows/s | metrics (rollup) | added live heap |")
	fmt.Fprintln(out, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		rows := r.deployments + r.changes + r.incidents
		fmt.Fprintf(out, "| %d | %d | %d | %d | %d | %d | %s | %.0f | %s | %d MiB |\n",
			r.entities, r.deployments, r.changes, r.incidents, r.ghRequests, r.pdRequests,
			r.sync.Round(time.Millisecond), float64(rows)/r.sync.Seconds(), r.metrics.Round(time.Millisecond), r.addedLive>>20)
	}
	return nil
}

// measureSources generates an organisation of about entities pull
// requests and workflow runs (githubfake.SizeFor) with an incident for one
// in twenty, serves it through the fakes, and runs a first sync of its
// whole history (every block, then promote) into a fresh database.
func measureSources(ctx context.Context, addr string, entities int) (sourcesResult, error) {
	r := sourcesResult{}
	size := githubfake.SizeFor(entities)
	org := githubfake.Generate(1, size)
	now := org.Now
	gh := githubfake.NewServer(org, githubfake.Options{Token: benchToken, Budget: 1 << 30, LogSize: 1})
	ghURL := gh.Start()
	defer gh.Close()
	pdData, err := demo.PagerDuty()
	if err != nil {
		return r, err
	}
	incidents := benchIncidents(entities/20, now, 90)
	if err := demo.AddIncidents(pdData, incidents); err != nil {
		return r, err
	}
	pd := pagerdutyfake.NewServer(pdData, pagerdutyfake.Options{})
	pd.Start()
	defer pd.Close()
	r.entities = entities + len(incidents)

	cfg := config.Default()
	cfg.Services = demo.Services
	cfg.Deployments = []config.Block{
		{Name: "merges", Method: doraflow.MethodMergedPR, Repositories: []string{"acme/*"}, Environment: "staging"},
		{Name: "deploys", Method: doraflow.MethodWorkflowRun, Repositories: []string{"acme/*"}, Environment: doraflow.EnvironmentProduction,
			Filters: config.Filters{Workflow: "deploy.yml", Branch: "main", Conclusion: "success"}},
	}
	cfg.Incidents = []config.Block{{Name: "pagerduty", Method: doraflow.MethodPagerDuty}}
	cfg.Schedule.InitialWindow = 92 * 24 * time.Hour // the first sync reads all the history

	db := fmt.Sprintf("bench_sources_%d", entities)
	store, err := freshStore(ctx, clickhouse.Options{Addr: []string{addr}, Database: db, Username: "default"})
	if err != nil {
		return r, err
	}
	defer store.Close()
	ghSrc, err := github.New(github.Options{BaseURL: ghURL, Token: benchToken, ETags: pipeline.NewETags(store)})
	if err != nil {
		return r, err
	}
	pdSrc, err := pagerduty.New(pagerduty.Options{BaseURL: pd.URL(), Token: pagerdutyfake.DefaultToken})
	if err != nil {
		return r, err
	}
	p := pipeline.New(cfg, store, zerolog.Nop(), pipeline.WithGitHub(ghSrc), pipeline.WithPagerDuty(pdSrc),
		pipeline.WithClock(func() time.Time { return now }))

	runtime.GC()
	_, baseline := readHeap()
	peak := sampleHeap()
	start := time.Now()
	res, err := p.Sync(ctx, pipeline.SyncOptions{})
	r.sync = time.Since(start)
	peak.stop()
	if err != nil {
		return r, err
	}
	r.addedLive = peak.live - min(peak.live, baseline)
	r.deployments, r.changes, r.incidents = res.Deployments, res.Changes, res.Incidents
	r.ghRequests, r.pdRequests = gh.Stats().Total, int64(pd.Stats().Total)

	to := metrics.DateOf(now, time.UTC).Start(time.UTC)
	q := metrics.Query{From: to.AddDate(0, 0, -90), To: to, Location: time.UTC, GroupBy: metrics.GroupService, Period: metrics.PeriodWeek}
	r.metrics, err = median(func() error { _, err := p.Metrics(ctx, q, pipeline.MetricsOptions{}); return err })
	return r, err
}

// benchIncidents spreads n incidents evenly over the services of the demo
// account and the days before now, each resolved after an hour or two.
func benchIncidents(n int, now time.Time, days int) []doraflow.Incident {
	out := make([]doraflow.Incident, n)
	step := time.Duration(days) * 24 * time.Hour / time.Duration(max(n, 1))
	for i := range out {
		created := now.Add(-time.Duration(i+1) * step).Truncate(time.Second)
		out[i] = doraflow.Incident{
			ID: fmt.Sprintf("bench-%d", i), Service: demo.Services[i%len(demo.Services)].Name, Title: "Bench incident",
			CreatedAt: created, ResolvedAt: created.Add(time.Hour + time.Duration(i%60)*time.Minute),
		}
	}
	return out
}

// freshStore drops the database and opens it migrated.
func freshStore(ctx context.Context, opts clickhouse.Options) (*clickhouse.Store, error) {
	admin, err := clickhouse.Open(ctx, clickhouse.Options{Addr: opts.Addr, Database: "default", Username: opts.Username})
	if err != nil {
		return nil, err
	}
	err = admin.DropDatabase(ctx, opts.Database)
	admin.Close()
	if err != nil {
		return nil, err
	}
	store, err := clickhouse.Open(ctx, opts)
	if err != nil {
		return nil, err
	}
	if _, err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, err
	}
	return store, nil
}
