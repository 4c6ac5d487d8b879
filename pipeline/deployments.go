package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"doraflow"
	"doraflow/extract/github"
)

// DeploymentSource reads deployments and the changes they ship from GitHub
// as deployment blocks ask.
type DeploymentSource interface {
	Repositories(ctx context.Context, globs []string) ([]string, error)
	Read(ctx context.Context, block doraflow.Block, since, until time.Time, hist github.History, sink func(context.Context, doraflow.FactSet) error) (github.Stats, error)
	Shipped(ctx context.Context, repo, baseSHA, sha string) ([]doraflow.Change, map[string][]string, error)
}

// githubReader reads GitHub's blocks for the pipeline.
type githubReader struct {
	p   *Pipeline
	src DeploymentSource
}

// read reads a GitHub block's deployments in [since, until)
// with the changes they ship, and stages them tagged with their service.
// With incremental (a sync, not a backfill) every repository reads from
// its own watermark when it has one, and each repository read in full
// moves its watermark: one repository that fails does not hold the
// others back.
func (r githubReader) read(ctx context.Context, b doraflow.Block, since, until time.Time, incremental bool, w *pass) (int, error) {
	p := r.p
	if !incremental {
		stats, err := r.readRepositories(ctx, b, since, until, w)
		return stats.Requests, err
	}
	repos, err := r.src.Repositories(ctx, b.Repositories)
	if err != nil {
		return 0, err
	}
	prefix := repositoryWatermarks(string(doraflow.SourceGitHub), b.Name)
	marks, err := p.store.StatePrefix(ctx, prefix)
	if err != nil {
		return 0, err
	}
	from := map[string]time.Time{}
	for _, m := range marks {
		if unix, err := strconv.ParseInt(m.Value, 10, 64); err == nil {
			from[strings.TrimPrefix(m.Key, prefix)] = time.Unix(unix, 0).UTC().Add(-p.cfg.Schedule.Lookback)
		}
	}
	// Repositories that share a starting point are read together, so the
	// extractor reads them in parallel.
	groups := map[time.Time][]string{}
	for _, r := range repos {
		start := since
		if t, ok := from[r]; ok && t.After(since) {
			start = t
		}
		groups[start] = append(groups[start], r)
	}
	requests := 0
	var errs []error
	for start, group := range groups {
		if !start.Before(until) {
			continue
		}
		one := b
		one.Repositories = group
		stats, err := r.readRepositories(ctx, one, start, until, w)
		requests += stats.Requests
		if err != nil && !errors.Is(err, github.ErrRepositories) {
			return requests, err
		}
		if err != nil {
			errs = append(errs, err)
		}
		failed := map[string]bool{}
		for _, f := range stats.Failed {
			failed[f.Repo] = true
		}
		moved := map[string]string{}
		for _, r := range group {
			if !failed[r] {
				moved[prefix+r] = strconv.FormatInt(until.Unix(), 10)
			}
		}
		if err := w.fence(ctx); err != nil {
			return requests, err
		}
		if err := p.store.SetState(ctx, moved); err != nil {
			return requests, err
		}
	}
	return requests, errors.Join(errs...)
}

// readRepositories reads block (all its repositories) over [since, until)
// and stages what it finds.
func (r githubReader) readRepositories(ctx context.Context, b doraflow.Block, since, until time.Time, w *pass) (github.Stats, error) {
	p := r.p
	// The extractor logs each repository it could not read itself.
	return r.src.Read(ctx, b, since, until, p.store, func(ctx context.Context, batch doraflow.FactSet) error {
		for i := range batch.Deployments {
			d := &batch.Deployments[i]
			d.Service = p.catalog.ServiceForRepository(b.Service, d.Repository)
			d.Team = p.catalog.TeamOf(d.Service)
		}
		return p.stageBatch(ctx, batch, w)
	})
}

// stageBatch stages changes and ship sets before the deployments that
// reference them, so a deployment is never promoted without them.
func (p *Pipeline) stageBatch(ctx context.Context, f doraflow.FactSet, w *pass) error {
	// Fenced statement by statement: a check covers the writes that
	// start within half the lease's TTL after it.
	for _, stage := range []func() error{
		func() error { return p.store.StageChanges(ctx, f.Changes) },
		func() error { return p.store.StageShips(ctx, f.Ships, f.Commits) },
		func() error { return p.store.StageDeployments(ctx, f.Deployments) },
	} {
		if err := w.fence(ctx); err != nil {
			return err
		}
		if err := stage(); err != nil {
			return err
		}
	}
	w.res.Deployments += len(f.Deployments)
	w.res.Changes += len(f.Changes)
	p.telemetry.staged("deployments", len(f.Deployments))
	p.telemetry.staged("changes", len(f.Changes))
	return nil
}

// customChangesPerSync bounds how many custom deployments one sync looks
// up changes for; the rest follow in the next syncs.
const customChangesPerSync = 500

// shipCustom looks up, through GitHub's compare, what the custom
// deployments recorded with a repository and sha ship (docs/metrics.md: other
// methods ship the commits since the previous deployment of the same
// repository and environment).
func (p *Pipeline) shipCustom(ctx context.Context, w *pass) error {
	if p.github == nil {
		return nil
	}
	deps, err := p.store.UnshippedCustom(ctx, customChangesPerSync)
	if err != nil || len(deps) == 0 {
		return err
	}
	var failed []string
	for _, d := range deps {
		base, _, err := p.store.PreviousSHA(ctx, d.Repository, d.Environment, d.DeployedAt)
		if err != nil {
			return err
		}
		changes, commits, err := p.github.Shipped(ctx, d.Repository, base, d.SHA)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			failed = append(failed, d.ID+": "+err.Error())
			continue
		}
		ids := make([]string, len(changes))
		for i, c := range changes {
			ids[i] = c.ID
		}
		f := doraflow.FactSet{Changes: changes, Ships: map[string][]string{d.ID: ids}, Commits: map[string]map[string][]string{d.ID: commits}}
		if err := p.stageBatch(ctx, f, w); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("changes of %d custom deployments could not be looked up: %s", len(failed), strings.Join(failed, "; "))
	}
	return nil
}
