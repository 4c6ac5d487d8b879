package pipeline

import (
	"context"
	"fmt"
	"strings"

	"doraflow"
)

// stageBatch stages changes and ship sets before the deployments that
// reference them, so a deployment is never promoted without them, and
// then incidents.
func (p *Pipeline) stageBatch(ctx context.Context, f doraflow.FactSet, w *pass) error {
	// Fenced statement by statement: a check covers the writes that
	// start within half the lease's TTL after it.
	for _, stage := range []func() error{
		func() error { return p.store.StageChanges(ctx, f.Changes) },
		func() error { return p.store.StageShips(ctx, f.Ships, f.Commits) },
		func() error { return p.store.StageDeployments(ctx, f.Deployments) },
		func() error { return p.store.StageIncidents(ctx, f.Incidents) },
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
	w.res.Incidents += len(f.Incidents)
	p.telemetry.staged("deployments", len(f.Deployments))
	p.telemetry.staged("changes", len(f.Changes))
	p.telemetry.staged("incidents", len(f.Incidents))
	return nil
}

// shipper is an extractor that can say what a deployment recorded by hand
// ships: the changes between two commits of a repository, and the commits
// that made each (GitHub's compare).
type shipper interface {
	Shipped(ctx context.Context, repo, baseSHA, sha string) ([]doraflow.Change, map[string][]string, error)
}

// customChangesPerSync bounds how many custom deployments one sync looks
// up changes for; the rest follow in the next syncs.
const customChangesPerSync = 500

// shipCustom looks up, through GitHub's compare, what the custom
// deployments recorded with a repository and sha ship (docs/metrics.md: other
// methods ship the commits since the previous deployment of the same
// repository and environment).
func (p *Pipeline) shipCustom(ctx context.Context, w *pass) error {
	ship, ok := p.extractors[doraflow.SourceGitHub].(shipper)
	if !ok {
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
		changes, commits, err := ship.Shipped(ctx, d.Repository, base, d.SHA)
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
