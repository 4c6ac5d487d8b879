package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"doraflow"
	"doraflow/config"
	"doraflow/demo"
	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/load/clickhouse"
	"doraflow/metrics"
	"doraflow/pipeline"
)

func cmdDemo(ctx context.Context, e *env, args []string) error {
	fs := e.flags("demo", "demo [--clickhouse HOST:PORT] [--database NAME] [--seed N] [--format table|json|csv]")
	addr := fs.String("clickhouse", "127.0.0.1:9000", "ClickHouse to load the simulated data into")
	database := fs.String("database", "dora_demo", "database to (re)create for the demo; its previous content is dropped")
	seed := fs.Uint64("seed", 1, "seed of the simulation: the same seed gives the same organisation")
	format := fs.String("format", "table", "output: "+strings.Join(formats, ", "))
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if !contains(formats, *format) {
		return usageErr("demo: --format %q: use one of %s", *format, strings.Join(formats, ", "))
	}
	if e.logLevel == "" {
		// The demo prints its own summary; keep routine logs out of it.
		e.logLevel = "warn"
	}
	log, err := e.logger()
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	facts, err := demo.Quarter(*seed, now)
	if err != nil {
		return err
	}
	pdData, err := demo.PagerDuty(facts.Incidents)
	if err != nil {
		return err
	}
	pdServer := pagerdutyfake.NewServer(pdData, pagerdutyfake.Options{})
	pdServer.Start()
	defer pdServer.Close()

	cfg := config.Default()
	cfg.ClickHouse.Addr, cfg.ClickHouse.Database = []string{*addr}, *database
	cfg.PagerDuty.BaseURL, cfg.PagerDuty.Token = pdServer.URL(), config.Secret(pagerdutyfake.DefaultToken)
	// A quarter of history: the first sync reads all of it.
	cfg.Schedule.InitialWindow = 92 * 24 * time.Hour
	for _, svc := range demo.Services {
		svc.PagerDutyServices = []string{demo.PagerDutyServices[svc.Name]}
		cfg.Services = append(cfg.Services, svc)
	}
	cfg.Deployments = []config.Block{{Name: "manual", Method: doraflow.MethodCustom, Environment: doraflow.EnvironmentProduction}}
	cfg.Incidents = []config.Block{{Name: "pagerduty", Method: doraflow.MethodPagerDuty}}

	store, err := freshDatabase(ctx, e, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "demo: simulated %d deployments, %d pull requests and %d incidents over 91 days for %d services\n",
		len(facts.Deployments), len(facts.Changes), len(facts.Incidents), len(demo.Services))
	for _, stage := range []func() error{
		func() error { return store.StageChanges(ctx, facts.Changes) },
		func() error { return store.StageShips(ctx, facts.Ships) },
		func() error { return store.StageDeployments(ctx, facts.Deployments) },
	} {
		if err := stage(); err != nil {
			return err
		}
	}
	opts, err := sources(cfg, log, nil)
	if err != nil {
		return err
	}
	p := pipeline.New(cfg, store, log, opts...)
	// The incidents come through the real PagerDuty extractor, from the
	// fake PagerDuty server started above.
	res, err := p.Sync(ctx, pipeline.SyncOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "demo: synced %d incidents from the simulated PagerDuty at %s\n", res.Incidents, pdServer.URL())
	to := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
	q := metrics.Query{From: to.AddDate(0, 0, -90), To: to, Location: time.UTC, GroupBy: "service", Period: "none"}
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
	fmt.Fprintf(e.stdout, "\nThe data is in ClickHouse at %s, database %s: try\n  clickhouse-client --port %s -d %s -q 'SELECT * FROM deployments LIMIT 5'\n",
		*addr, *database, portOf(*addr), *database)
	return nil
}

// freshDatabase drops the demo database and opens it anew, so every demo
// starts from the same state.
func freshDatabase(ctx context.Context, e *env, cfg *config.Config) (*clickhouse.Store, error) {
	admin := *cfg
	admin.ClickHouse.Database = "default"
	s, err := e.open(ctx, &admin)
	if err != nil {
		return nil, err
	}
	err = s.DropDatabase(ctx, cfg.ClickHouse.Database)
	s.Close()
	if err != nil {
		return nil, fmt.Errorf("demo: reset database %s: %w", cfg.ClickHouse.Database, err)
	}
	return e.open(ctx, cfg)
}

func portOf(addr string) string {
	if i := strings.LastIndex(addr, ":"); i >= 0 {
		return addr[i+1:]
	}
	return "9000"
}
