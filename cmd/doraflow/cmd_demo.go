package main

import (
	"context"
	"fmt"
	"os"
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
	fs := e.flags("demo", "demo [--clickhouse HOST:PORT] [--protocol native|http] [--database NAME [--force]] [--seed N] [--format table|json|csv] [--write-config FILE] [--github-graphql-schema FILE] [--serve [--github-port N] [--pagerduty-port N]]")
	addr := fs.String("clickhouse", "127.0.0.1:9000", "ClickHouse to load the simulated data into")
	protocol := fs.String("protocol", "native", "protocol of that ClickHouse: native or http")
	writeConfig := fs.String("write-config", demoConfigPath, "write a config for the demo's data here, to try every command on it ('' for none)")
	serve := fs.Bool("serve", false, "keep the simulated GitHub and PagerDuty running until Ctrl-C, for preview, sync, backfill and run")
	githubPort := fs.Int("github-port", 19101, "local port of the simulated GitHub with --serve (0: any free port)")
	pagerdutyPort := fs.Int("pagerduty-port", 19102, "local port of the simulated PagerDuty with --serve (0: any free port)")
	database := fs.String("database", demoDatabase, "database to (re)create for the demo; its previous content is dropped")
	force := fs.Bool("force", false, "let the demo drop and recreate a database not named "+demoDatabase+" (never one holding tables the demo did not make)")
	seed := fs.Int64("seed", 1, "seed of the simulation: the same seed gives the same organisation")
	format := fs.String("format", "table", "output: "+strings.Join(formats, ", "))
	schemaPath := fs.String("github-graphql-schema", "", "GitHub's GraphQL schema (the path scripts/graphql-schema.sh fetch prints; make demo passes it): the simulated GitHub answers GraphQL with it, and the demo reads it with github.api: graphql, the default; without it, with github.api: rest")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if !contains(formats, *format) {
		return usageErr("demo: --format %q: use one of %s", *format, strings.Join(formats, ", "))
	}
	if *protocol != "native" && *protocol != "http" {
		return usageErr("demo: --protocol %q: use native or http", *protocol)
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
	// Without --serve they live as long as the demo, on any free port;
	// with it, on the ports the written config names.
	ghListen, pdListen := *githubPort, *pagerdutyPort
	if !*serve {
		ghListen, pdListen = 0, 0
	}
	pdData, err := demo.PagerDuty()
	if err != nil {
		return err
	}
	ghOpts, api, err := demoGitHub(e, *schemaPath)
	if err != nil {
		return err
	}
	fakes, err := serveFakes(
		githubfake.NewServer(demo.GitHub(*seed, now), ghOpts), ghListen,
		pagerdutyfake.NewServer(pdData, pagerdutyfake.Options{}), pdListen)
	if err != nil {
		return err
	}
	defer fakes.close()
	ghURL, pdURL := fakes.githubURL, fakes.pagerdutyURL

	cfg := defaultConfig()
	cfg.ClickHouse.Addr, cfg.ClickHouse.Protocol, cfg.ClickHouse.Database = []string{*addr}, *protocol, *database
	cfg.GitHub.BaseURL, cfg.GitHub.Token, cfg.GitHub.API = ghURL, demoToken, api
	cfg.PagerDuty.BaseURL, cfg.PagerDuty.Token = pdURL, config.Secret(pagerdutyfake.DefaultToken)
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
	fmt.Fprintf(e.stderr, "demo: synced %s and %s from the simulated GitHub at %s\n", metrics.Plural(res.Deployments, "deployment"), metrics.Plural(res.Changes, "change"), ghURL)

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
	fmt.Fprintf(e.stderr, "demo: synced %s from the simulated PagerDuty at %s\n", metrics.Plural(res.Incidents, "incident"), pdURL)

	to := metrics.DateOf(now, time.UTC).AddDays(1).Start(time.UTC)
	q := metrics.Query{From: to.AddDate(0, 0, -90), To: to, Location: time.UTC, GroupBy: metrics.GroupService, Period: metrics.PeriodNone}
	report, err := p.Metrics(ctx, q, pipeline.MetricsOptions{})
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		err = metrics.WriteJSON(e.stdout, report)
	case "csv":
		err = metrics.WriteCSV(e.stdout, report)
	default:
		err = metrics.WriteTable(e.stdout, report)
	}
	if err != nil {
		return err
	}
	if *writeConfig != "" {
		// The config names the fakes where --serve serves them: the
		// ports given, which are theirs only while the demo serves.
		if !*serve {
			ghURL, pdURL = fmt.Sprintf("http://127.0.0.1:%d/", *githubPort), fmt.Sprintf("http://127.0.0.1:%d", *pagerdutyPort)
		}
		if err := writeDemoConfig(*writeConfig, cfg, ghURL, pdURL); err != nil {
			return err
		}
	}
	// The hints stay off stdout when it carries JSON or CSV.
	hints := e.stdout
	if *format != "table" {
		hints = e.stderr
	}
	fmt.Fprintf(hints, "\nThe data is in ClickHouse at %s, database %s: try\n  clickhouse-client --port %s -d %s -q 'SELECT * FROM dora_deployments LIMIT 5'\n",
		*addr, *database, portOf(*addr), *database)
	if *writeConfig != "" {
		printDemoNext(hints, os.Args[0], *writeConfig, *schemaPath, *serve, now)
	}
	if !*serve {
		return nil
	}
	fmt.Fprintf(e.stderr, "demo: serving the simulated GitHub at %s and PagerDuty at %s until Ctrl-C\n", ghURL, pdURL)
	select {
	case <-ctx.Done():
	case err := <-fakes.errs:
		return fmt.Errorf("demo: a simulated source stopped serving: %w", err)
	}
	fmt.Fprintln(e.stderr, "demo: stopped the simulated GitHub and PagerDuty")
	return fakes.close()
}

// demoGitHub returns the options of the simulated GitHub and the API the
// demo reads it with. The fake answers GraphQL only with GitHub's
// published schema (githubfake.LoadSchema), about 1 MB that make demo
// fetches with scripts/graphql-schema.sh: with it, the demo reads through
// GraphQL, the default; without it (none given: offline, or npm missing)
// through REST, saying so in one line. A schema given that cannot be
// read is an error: the user asked for it.
func demoGitHub(e *env, schemaPath string) (githubfake.Options, string, error) {
	opts := githubfake.Options{Token: demoToken}
	if schemaPath == "" {
		fmt.Fprintln(e.stderr, "demo: no GitHub GraphQL schema (--github-graphql-schema; make demo fetches it with scripts/graphql-schema.sh, which needs the network): reading the simulated GitHub with github.api: rest")
		return opts, config.GitHubREST, nil
	}
	schema, err := githubfake.LoadSchema(schemaPath)
	if err != nil {
		return opts, "", fmt.Errorf("demo: --github-graphql-schema: %w; or leave the flag out to read through REST", err)
	}
	opts.GraphQLSchema = schema
	return opts, config.GitHubGraphQL, nil
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
