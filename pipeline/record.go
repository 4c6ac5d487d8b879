package pipeline

import (
	"context"
	"fmt"

	"doraflow"
	"doraflow/extract/custom"
)

// StageDeploymentRecord validates a custom deployment and stages it; the
// next promote makes it count. Recording an id again updates it; created
// is false then. A record that does not validate returns a
// *custom.FieldError and stores nothing.
func (p *Pipeline) StageDeploymentRecord(ctx context.Context, rec custom.DeploymentRecord) (d doraflow.Deployment, created bool, err error) {
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
	return d, !exists, nil
}

// StageIncidentRecord validates a custom incident and stages it, or its
// update (to resolve it, say).
func (p *Pipeline) StageIncidentRecord(ctx context.Context, rec custom.IncidentRecord) (in doraflow.Incident, created bool, err error) {
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
	return in, !exists, nil
}

// RecordDeployment stages a custom deployment and promotes it at once.
func (p *Pipeline) RecordDeployment(ctx context.Context, rec custom.DeploymentRecord) (doraflow.Deployment, bool, error) {
	d, created, err := p.StageDeploymentRecord(ctx, rec)
	if err != nil {
		return d, created, err
	}
	return d, created, p.promoteRecord(ctx, "deployment", d.ID)
}

// RecordIncident stages a custom incident and promotes it at once.
func (p *Pipeline) RecordIncident(ctx context.Context, rec custom.IncidentRecord) (doraflow.Incident, bool, error) {
	in, created, err := p.StageIncidentRecord(ctx, rec)
	if err != nil {
		return in, created, err
	}
	return in, created, p.promoteRecord(ctx, "incident", in.ID)
}

func (p *Pipeline) promoteRecord(ctx context.Context, kind, id string) error {
	if _, err := p.Promote(ctx, PromoteOptions{}); err != nil {
		return fmt.Errorf("record %s %s: stored in staging, but %w (run doraflow promote)", kind, id, err)
	}
	return nil
}
