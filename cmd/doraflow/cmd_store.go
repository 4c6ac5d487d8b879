package main

import (
	"context"
	"fmt"
	"strings"

	"doraflow/config"
	"doraflow/metrics"
	"doraflow/pipeline"
)

func cmdMigrate(ctx context.Context, e *env, args []string) error {
	fs := e.flags("migrate", "migrate")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	return e.migrate(ctx, cfg)
}

// migrate applies cfg's database's missing migrations and says what it
// did.
func (e *env) migrate(ctx context.Context, cfg *config.Config) error {
	store, err := e.open(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	res, err := store.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(res.Applied) == 0 {
		fmt.Fprintf(e.stdout, "schema of database %s is up to date (version %d)\n", store.Database(), res.Current)
		return nil
	}
	fmt.Fprintf(e.stdout, "applied %s to database %s (now version %d)\n", strings.Join(res.Applied, ", "), store.Database(), res.Current)
	return nil
}

func cmdPromote(ctx context.Context, e *env, args []string) error {
	fs := e.flags("promote", "promote [--rebuild]")
	rebuild := fs.Bool("rebuild", false, "recompute the metric events of every service, not only of those that changed")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	p, store, _, err := e.pipeline(ctx, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	res, err := p.Promote(ctx, pipeline.PromoteOptions{Rebuild: *rebuild})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "promoted: %s, %s, %s, %s; recomputed %s, %s changed\n",
		metrics.Plural(res.FactRows["deployments"], "deployment"), metrics.Plural(res.FactRows["changes"], "change"),
		metrics.Plural(res.FactRows["ships"], "ship set"), metrics.Plural(res.FactRows["incidents"], "incident"),
		metrics.Plural(res.Services, "service"), metrics.Plural(res.Events, "metric event"))
	return nil
}

// stagedCounts says how many rows of each kind a sync or backfill staged:
// "1 deployment, 0 changes, 2 incidents".
func stagedCounts(deployments, changes, incidents int) string {
	return metrics.Plural(deployments, "deployment") + ", " + metrics.Plural(changes, "change") + ", " + metrics.Plural(incidents, "incident")
}

func cmdSync(ctx context.Context, e *env, args []string) error {
	fs := e.flags("sync", "sync [--source github|pagerduty] [--block NAME]")
	source := fs.String("source", "", "only this source: github or pagerduty")
	block := fs.String("block", "", "only this mapping block")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if *source != "" && *source != "github" && *source != "pagerduty" {
		return usageErr("sync: --source %q: use github or pagerduty", *source)
	}
	p, store, _, err := e.pipeline(ctx, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	res, err := p.Sync(ctx, pipeline.SyncOptions{Source: *source, Block: *block})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "synced: %s staged; %s changed\n", stagedCounts(res.Deployments, res.Changes, res.Incidents),
		metrics.Plural(res.Promote.Events, "metric event"))
	return nil
}
