package main

import (
	"context"
	"fmt"
	"strings"

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
	fmt.Fprintf(e.stdout, "promoted: %d deployments, %d changes, %d ship sets, %d incidents; recomputed %d services, %d metric events changed\n",
		res.FactRows["deployments"], res.FactRows["changes"], res.FactRows["ships"], res.FactRows["incidents"], res.Services, res.Events)
	return nil
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
	fmt.Fprintf(e.stdout, "synced: %d deployments, %d changes, %d incidents staged; %d metric events changed\n",
		res.Deployments, res.Changes, res.Incidents, res.Promote.Events)
	return nil
}
