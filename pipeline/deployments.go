package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"doraflow"
	"doraflow/config"
	"doraflow/extract/github"
)

// DeploymentSource reads deployments and the changes they ship from GitHub
// as deployment blocks ask.
type DeploymentSource interface {
	Read(ctx context.Context, block config.Block, since, until time.Time, hist github.History, sink func(context.Context, github.Batch) error) (github.Stats, error)
	Shipped(ctx context.Context, repo, baseSHA, sha string) ([]doraflow.Change, error)
}

// errNoGitHub is returned when a GitHub block is synced without a GitHub
// source.
var errNoGitHub = errors.New("github is not configured: set github.token (and github.base_url for GitHub Enterprise Server)")

// readDeployments reads a GitHub block's deployments in [since, until)
// with the changes they ship, and stages them tagged with their service.
func (p *Pipeline) readDeployments(ctx context.Context, b config.Block, since, until time.Time, res *SyncResult) (int, error) {
	if p.github == nil {
		return 0, errNoGitHub
	}
	stats, err := p.github.Read(ctx, b, since, until, p.store, func(ctx context.Context, batch github.Batch) error {
		for i := range batch.Deployments {
			d := &batch.Deployments[i]
			d.Service = p.catalog.ServiceForRepository(b.Service, d.Repository)
			d.Team = p.catalog.TeamOf(d.Service)
		}
		return p.stageBatch(ctx, batch.Deployments, batch.Changes, batch.Ships, res)
	})
	// The extractor has already logged each repository it could not read.
	return stats.Requests, err
}

// stageBatch stages changes and ship sets before the deployments that
// reference them, so a deployment is never promoted without them.
func (p *Pipeline) stageBatch(ctx context.Context, deps []doraflow.Deployment, changes []doraflow.Change, ships map[string][]string, res *SyncResult) error {
	if err := p.store.StageChanges(ctx, changes); err != nil {
		return err
	}
	if err := p.store.StageShips(ctx, ships); err != nil {
		return err
	}
	if err := p.store.StageDeployments(ctx, deps); err != nil {
		return err
	}
	res.Deployments += len(deps)
	res.Changes += len(changes)
	p.telemetry.staged("deployments", len(deps))
	p.telemetry.staged("changes", len(changes))
	return nil
}

// customChangesPerSync bounds how many custom deployments one sync looks
// up changes for; the rest follow in the next syncs.
const customChangesPerSync = 500

// shipCustom looks up, through GitHub's compare, what the custom
// deployments recorded with a repository and sha ship (METRICS.md: other
// methods ship the commits since the previous deployment of the same
// repository and environment).
func (p *Pipeline) shipCustom(ctx context.Context, res *SyncResult) error {
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
		changes, err := p.github.Shipped(ctx, d.Repository, base, d.SHA)
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
		if err := p.stageBatch(ctx, nil, changes, map[string][]string{d.ID: ids}, res); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("changes of %d custom deployments could not be looked up: %s", len(failed), strings.Join(failed, "; "))
	}
	return nil
}
