package pipeline

import (
	"context"
	"fmt"

	"doraflow"
	"doraflow/extract/custom"
)

// RecordDeployment stores a custom deployment and promotes it at once.
// Recording an id again updates it; created is false then. A record that
// does not validate returns a *custom.FieldError and stores nothing.
func (p *Pipeline) RecordDeployment(ctx context.Context, rec custom.DeploymentRecord) (d doraflow.Deployment, created bool, err error) {
	d, err = rec.Deployment(p.now(), customBlock(p.cfg.Deployments))
	if err != nil {
		return d, false, err
	}
	d.Team = p.catalog.TeamOf(d.Service)
	exists, err := p.store.Staged(ctx, "stg_deployments", d.ID)
	if err != nil {
		return d, false, err
	}
	if err := p.store.StageDeployments(ctx, []doraflow.Deployment{d}); err != nil {
		return d, false, fmt.Errorf("record deployment %s: %w", d.ID, err)
	}
	if _, err := p.Promote(ctx, PromoteOptions{}); err != nil {
		return d, !exists, fmt.Errorf("record deployment %s: stored, but %w (run doraflow promote)", d.ID, err)
	}
	return d, !exists, nil
}

// RecordIncident stores a custom incident, or updates it (to resolve it,
// say), and promotes it at once.
func (p *Pipeline) RecordIncident(ctx context.Context, rec custom.IncidentRecord) (in doraflow.Incident, created bool, err error) {
	in, err = rec.Incident(customBlock(p.cfg.Incidents))
	if err != nil {
		return in, false, err
	}
	in.Team = p.catalog.TeamOf(in.Service)
	exists, err := p.store.Staged(ctx, "stg_incidents", in.ID)
	if err != nil {
		return in, false, err
	}
	if err := p.store.StageIncidents(ctx, []doraflow.Incident{in}); err != nil {
		return in, false, fmt.Errorf("record incident %s: %w", in.ID, err)
	}
	if _, err := p.Promote(ctx, PromoteOptions{}); err != nil {
		return in, !exists, fmt.Errorf("record incident %s: stored, but %w (run doraflow promote)", in.ID, err)
	}
	return in, !exists, nil
}
