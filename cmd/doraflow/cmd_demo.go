package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"doraflow"
	"doraflow/config"
	"doraflow/demo"
	"doraflow/extract/github/githubfake"
	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/load/clickhouse"
	"doraflow/metrics"
	"doraflow/pipeline"
)

// demoToken is the token the demo's fake GitHub accepts.
const demoToken = "demo-github-token"

func cmdDemo(ctx context.Context, e *env, args []string) error {
	fs := e.flags("demo", "demo [--clickhouse HOST:PORT] [--database NAME [--force]] [--seed N] [--format table|json|csv]")
	addr := fs.String("clickhouse", "127.0.0.1:9000", "ClickHouse to load the simulated data into")
	database := fs.String("database", demoDatabase, "database to (re)create for the demo; its previous content is dropped")
	force := fs.Bool("force", false, "let the demo drop and recreate a database not named "+demoDatabase+" (never one holding tables the demo did not make)")
	seed := fs.Int64("seed", 1, "seed of the simulation: the same seed gives the same organisation")
	format := fs.String("format", "table", "output: "+strings.Join(formats, ", "))
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if !contains(formats, *format) {
		return usageErr("demo: --format %q: use one of %s", *format, strings.Join(formats, ", "))
	}
	if *database != demoDatabase && !*force {
		return usageErr("demo: --database %s: the demo drops and recreates its database; add --force to let it drop %s", *database, *database)
	}
	if e.logLevel == "" {
		// The demo prints its own summary; keep routine logs out of it.
		e.logLevel = "warn"
	}
	log, err := e.logger()
	if err != nil {
		return err
	}
	now := demoDay(time.Now())

	// The simulated sources, on loopback: a GitHub organisation and a
	// PagerDuty account, read through the real extractors.
	gh := githubfake.NewServer(demo.GitHub(*seed, now), githubfake.Options{Token: demoToken})
	ghURL := gh.Start()
	defer gh.Close()
	pdData, err := demo.PagerDuty()
	if err != nil {
		return err
	}
	pd := pagerdutyfake.NewServer(pdData, pagerdutyfake.Options{})
	pd.Start()
	defer pd.Close()

	cfg := defaultConfig()
	cfg.ClickHouse.Addr, cfg.ClickHouse.Database = []string{*addr}, *database
	cfg.GitHub.BaseURL, cfg.GitHub.Token = ghURL, demoToken
	// The simulated GitHub answers GraphQL only with GitHub's published
	// schema, which the demo does not download: it reads through REST.
	cfg.GitHub.API = config.GitHubREST
	cfg.PagerDuty.BaseURL, cfg.PagerDuty.Token = pd.URL(), config.Secret(pagerdutyfake.DefaultToken)
	cfg.Schedule.InitialWindow = (demo.Days + 1) * 24 * time.Hour // the first sync reads all the history
	cfg.Services = demo.Services
	cfg.Deployments = demo.Blocks
	cfg.Incidents = []doraflow.Block{{Name: "pagerduty", Method: doraflow.MethodPagerDuty}}

	store, err := freshDatabase(ctx, e, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	opts, err := extractors(cfg, store, log, nil)
	if err != nil {
		return err
	}
	p := pipeline.New(cfg, store, log, opts...)
	res, err := p.Sync(ctx, pipeline.SyncOptions{Source: string(doraflow.SourceGitHub)})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "demo: synced %d deployments and %d changes from the simulated GitHub at %s\n", res.Deployments, res.Changes, ghURL)

	// Production breaks after some of those deployments: the incidents go
	// to the simulated PagerDuty, and are synced from there.
	var services []string
	for _, s := range demo.Services {
		services = append(services, s.Name)
	}
	facts, err := store.ServiceFacts(ctx, services)
	if err != nil {
		return err
	}
	if err := demo.AddIncidents(pdData, demo.Incidents(uint64(*seed), facts.Deployments, now)); err != nil {
		return err
	}
	res, err = p.Sync(ctx, pipeline.SyncOptions{Source: string(doraflow.SourcePagerDuty)})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "demo: synced %d incidents from the simulated PagerDuty at %s\n", res.Incidents, pd.URL())

	to := metrics.DateOf(now, time.UTC).AddDays(1).Start(time.UTC)
	q := metrics.Query{From: to.AddDate(0, 0, -90), To: to, Location: time.UTC, GroupBy: metrics.GroupService, Period: metrics.PeriodNone}
	report, err := p.Metrics(ctx, q, pipeline.MetricsOptions{})
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		return metrics.WriteJSON(e.stdout, report)
	case "csv":
		return metrics.WriteCSV(e.stdout, report)
	}
	if err := metrics.WriteTable(e.stdout, report); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nThe data is in ClickHouse at %s, database %s: try\n  clickhouse-client --port %s -d %s -q 'SELECT * FROM dora_deployments LIMIT 5'\n  doraflow explain failures  (with clickhouse.addr and database set in doraflow.yaml)\n",
		*addr, *database, portOf(*addr), *database)
	return nil
}

// demoDatabase is the database the demo uses unless told otherwise.
const demoDatabase = "dora_demo"

// freshDatabase drops the demo database, when the demo made it, and makes
// it anew, migrated and marked, so every demo starts from the same state.
// A database holding tables without the demo's mark is someone's data:
// it is refused, whatever the flags say.
func freshDatabase(ctx context.Context, e *env, cfg *config.Config) (*clickhouse.Store, error) {
	name := cfg.ClickHouse.Database
	s, err := e.open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	tables, err := s.Tables(ctx)
	if err == nil && len(tables) > 0 {
		// Only a database with doraflow's schema can carry the demo's mark.
		made := false
		if slices.Contains(tables, "pipeline_state") {
			made, err = pipeline.IsDemoDatabase(ctx, s)
		}
		if err == nil && !made {
			err = fmt.Errorf("demo: database %s holds %d tables that doraflow demo did not make (%s, …): it is not dropped; give the demo another --database", name, len(tables), tables[0])
		}
	}
	if err == nil {
		err = s.DropDatabase(ctx, name)
	}
	s.Close()
	if err != nil {
		return nil, err
	}
	if s, err = e.open(ctx, cfg); err != nil {
		return nil, err
	}
	if _, err = s.Migrate(ctx); err == nil {
		err = pipeline.MarkDemoDatabase(ctx, s)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("demo: make database %s: %w", name, err)
	}
	return s, nil
}

func portOf(addr string) string {
	if i := strings.LastIndex(addr, ":"); i >= 0 {
		return addr[i+1:]
	}
	return "9000"
}

// demoDay is the instant the simulation ends: the start of t's day (UTC
// midnight), not t, so that the same seed gives the same organisation,
// the same incidents and the same numbers all day long.
func demoDay(t time.Time) time.Time {
	return metrics.DateOf(t, time.UTC).Start(time.UTC)
}
