package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"doraflow"
	"doraflow/extract/custom"
)

// StageDeploymentRecord validates a custom deployment and stages it; the
// next promote makes it count. Recording an id again updates it, changing
// only the fields given (the others keep their stored values, read from
// staging or the facts); created is false then. A record that does not
// validate, or names a service or environment it may not (checkService,
// checkEnvironment), returns a *custom.FieldError and stores nothing.
// Recording a retracted id again restores it.
func (p *Pipeline) StageDeploymentRecord(ctx context.Context, rec custom.DeploymentRecord) (d doraflow.Deployment, created bool, err error) {
	prev, found, err := p.recordedDeployment(ctx, rec.ID)
	if err != nil {
		return d, false, err
	}
	if found {
		rec = rec.Over(prev)
	}
	if d, err = rec.Deployment(p.now(), customBlock(p.cfg.Deployments)); err != nil {
		return d, false, err
	}
	if err := p.checkService(d.Service, rec.NewService || (found && d.Service == prev.Service)); err != nil {
		return d, false, err
	}
	if !rec.NewEnvironment && !(found && d.Environment == prev.Environment) {
		if err := p.checkEnvironment(ctx, d.Environment); err != nil {
			return d, false, err
		}
	}
	d.Team = p.catalog.TeamOf(d.Service)
	if err := p.store.StageDeployments(ctx, []doraflow.Deployment{d}); err != nil {
		return d, false, fmt.Errorf("record deployment %s: %w", d.ID, err)
	}
	return d, !found, nil
}

// StageIncidentRecord validates a custom incident and stages it, or its
// update (to resolve it, say), as StageDeploymentRecord does. Its
// deployment_id must name a recorded deployment that is not retracted;
// one of another service is allowed, and returned in warnings for the
// caller to show.
func (p *Pipeline) StageIncidentRecord(ctx context.Context, rec custom.IncidentRecord) (in doraflow.Incident, created bool, warnings []custom.Warning, err error) {
	prev, found, err := p.recordedIncident(ctx, rec.ID)
	if err != nil {
		return in, false, nil, err
	}
	if found {
		rec = rec.Over(prev)
	}
	if in, err = rec.Incident(p.now(), customBlock(p.cfg.Incidents)); err != nil {
		return in, false, nil, err
	}
	if err := p.checkService(in.Service, rec.NewService || (found && in.Service == prev.Service)); err != nil {
		return in, false, nil, err
	}
	if in.DeploymentID != "" && !(found && in.DeploymentID == prev.DeploymentID) {
		if warnings, err = p.checkCause(ctx, in); err != nil {
			return in, false, nil, err
		}
	}
	in.Team = p.catalog.TeamOf(in.Service)
	if err := p.store.StageIncidents(ctx, []doraflow.Incident{in}); err != nil {
		return in, false, nil, fmt.Errorf("record incident %s: %w", in.ID, err)
	}
	return in, !found, warnings, nil
}

// RetractDeploymentRecord stages the retraction of custom deployment id: a
// new version of it marked retracted, which the next promote makes count
// nowhere while the facts keep its history. An id that names no custom
// deployment returns an error wrapping custom.ErrNotRecorded; one already
// retracted is left as it is.
func (p *Pipeline) RetractDeploymentRecord(ctx context.Context, id string) (doraflow.Deployment, error) {
	d, found, err := p.store.RecordedDeployment(ctx, strings.TrimSpace(id))
	switch {
	case err != nil:
		return d, err
	case !found || d.Source != doraflow.SourceCustom:
		return d, fmt.Errorf("retract deployment %q: %w", id, custom.ErrNotRecorded)
	case d.Retracted:
		return d, nil
	}
	d.Retracted = true
	if err := p.store.StageDeployments(ctx, []doraflow.Deployment{d}); err != nil {
		return d, fmt.Errorf("retract deployment %s: %w", d.ID, err)
	}
	return d, nil
}

// RetractIncidentRecord stages the retraction of custom incident id, as
// RetractDeploymentRecord does.
func (p *Pipeline) RetractIncidentRecord(ctx context.Context, id string) (doraflow.Incident, error) {
	in, found, err := p.store.RecordedIncident(ctx, strings.TrimSpace(id))
	switch {
	case err != nil:
		return in, err
	case !found || in.Source != doraflow.SourceCustom:
		return in, fmt.Errorf("retract incident %q: %w", id, custom.ErrNotRecorded)
	case in.Retracted:
		return in, nil
	}
	in.Retracted = true
	if err := p.store.StageIncidents(ctx, []doraflow.Incident{in}); err != nil {
		return in, fmt.Errorf("retract incident %s: %w", in.ID, err)
	}
	return in, nil
}

// recordedDeployment returns the stored deployment a record with id
// updates; found is false for a new id. An id another source reported is
// not the record's to update.
func (p *Pipeline) recordedDeployment(ctx context.Context, id string) (doraflow.Deployment, bool, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return doraflow.Deployment{}, false, nil
	}
	d, found, err := p.store.RecordedDeployment(ctx, id)
	if err != nil || !found {
		return d, false, err
	}
	if d.Source != doraflow.SourceCustom {
		return d, false, &custom.FieldError{Field: "id", Message: fmt.Sprintf("%q is a %s deployment, not a custom record: choose another id", id, d.Source)}
	}
	return d, true, nil
}

// recordedIncident returns the stored incident a record with id updates,
// as recordedDeployment does.
func (p *Pipeline) recordedIncident(ctx context.Context, id string) (doraflow.Incident, bool, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return doraflow.Incident{}, false, nil
	}
	in, found, err := p.store.RecordedIncident(ctx, id)
	if err != nil || !found {
		return in, false, err
	}
	if in.Source != doraflow.SourceCustom {
		return in, false, &custom.FieldError{Field: "id", Message: fmt.Sprintf("%q is a %s incident, not a custom record: choose another id", id, in.Source)}
	}
	return in, true, nil
}

// checkService refuses a service the config does not know, when it lists
// services: a typo would otherwise create a service for good. allowed
// skips the check (new_service, or the service the record already had).
// The services of the services: list and the blocks' service overrides
// are known.
func (p *Pipeline) checkService(service string, allowed bool) error {
	if allowed || len(p.cfg.Services) == 0 {
		return nil
	}
	var known []string
	for _, s := range p.cfg.Services {
		known = append(known, s.Name)
	}
	for _, b := range slices.Concat(p.cfg.Deployments, p.cfg.Incidents) {
		if b.Service != "" {
			known = append(known, b.Service)
		}
	}
	slices.Sort(known)
	known = slices.Compact(known)
	if slices.Contains(known, service) {
		return nil
	}
	return &custom.FieldError{Field: "service", Message: fmt.Sprintf("%q is not a service of the config (%s)%s; to record a new service on purpose, add it to services: or pass --new-service (API: \"new_service\": true)",
		service, strings.Join(known, ", "), didYouMean(service, known))}
}

// checkEnvironment refuses an environment that no deployment block names
// and no deployment has: a typo (Prod for production) would otherwise
// split the metrics in two for good.
func (p *Pipeline) checkEnvironment(ctx context.Context, env string) error {
	known := []string{doraflow.EnvironmentProduction}
	for _, b := range p.cfg.Deployments {
		if b.Environment != "" {
			known = append(known, b.Environment)
		}
	}
	if slices.Contains(known, env) {
		// The usual case needs no query: each record of the write API
		// would otherwise list the stored environments.
		return nil
	}
	stored, err := p.store.Environments(ctx)
	if err != nil {
		return err
	}
	known = append(known, stored...)
	slices.Sort(known)
	known = slices.Compact(known)
	if slices.Contains(known, env) {
		return nil
	}
	return &custom.FieldError{Field: "environment", Message: fmt.Sprintf("%q is an environment no deployment had yet (known: %s)%s; to record a new environment on purpose, pass --new-environment (API: \"new_environment\": true)",
		env, strings.Join(known, ", "), didYouMean(env, known))}
}

// checkCause refuses an incident whose deployment_id names no deployment
// (or a retracted one): it would be shown as an explicit cause that does
// not exist. A cause in another service is allowed — a shared library or
// a database change can break a neighbour — but returned as a warning
// for the caller, since it is more often a slip. The warning goes to the
// caller rather than the log: the person who recorded it is who can tell
// and fix it.
func (p *Pipeline) checkCause(ctx context.Context, in doraflow.Incident) ([]custom.Warning, error) {
	d, found, err := p.store.RecordedDeployment(ctx, in.DeploymentID)
	if err != nil {
		return nil, err
	}
	if !found || d.Retracted {
		return nil, &custom.FieldError{Field: "deployment_id", Message: fmt.Sprintf("no deployment %q is recorded: give the id of a recorded deployment (doraflow explain deployments lists them), or leave it out to attribute the incident by time", in.DeploymentID)}
	}
	if d.Service == in.Service {
		return nil, nil
	}
	// An update cannot empty a field (custom.IncidentRecord.Over), so
	// the way back to attribution by time is retracting and recording anew.
	return []custom.Warning{{Field: "deployment_id", Message: fmt.Sprintf(
		"deployment %q is of service %s, but incident %q is of service %s: it counts as a failure of %s's deployment. "+
			"If that is a mistake, record incident %q again with the deployment of %s that caused it, "+
			"or retract it (doraflow record delete incident --id %s) and record it anew without a deployment to attribute it by time",
		d.ID, d.Service, in.ID, in.Service, d.Service, in.ID, in.Service, in.ID)}}, nil
}

// didYouMean is ` (did you mean "x"?)` for the nearest of known, or "".
func didYouMean(v string, known []string) string {
	if s := doraflow.Nearest(v, known); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// RecordDeployment stages a custom deployment and promotes it at once.
func (p *Pipeline) RecordDeployment(ctx context.Context, rec custom.DeploymentRecord) (doraflow.Deployment, bool, error) {
	d, created, err := p.StageDeploymentRecord(ctx, rec)
	if err != nil {
		return d, created, err
	}
	return d, created, p.promoteRecord(ctx, "deployment", d.ID)
}

// RecordIncident stages a custom incident and promotes it at once; its
// warnings are StageIncidentRecord's.
func (p *Pipeline) RecordIncident(ctx context.Context, rec custom.IncidentRecord) (doraflow.Incident, bool, []custom.Warning, error) {
	in, created, warnings, err := p.StageIncidentRecord(ctx, rec)
	if err != nil {
		return in, created, nil, err
	}
	return in, created, warnings, p.promoteRecord(ctx, "incident", in.ID)
}

// RetractDeployment retracts a custom deployment and promotes at once.
func (p *Pipeline) RetractDeployment(ctx context.Context, id string) (doraflow.Deployment, error) {
	d, err := p.RetractDeploymentRecord(ctx, id)
	if err != nil {
		return d, err
	}
	return d, p.promoteRecord(ctx, "deployment", d.ID)
}

// RetractIncident retracts a custom incident and promotes at once.
func (p *Pipeline) RetractIncident(ctx context.Context, id string) (doraflow.Incident, error) {
	in, err := p.RetractIncidentRecord(ctx, id)
	if err != nil {
		return in, err
	}
	return in, p.promoteRecord(ctx, "incident", in.ID)
}

func (p *Pipeline) promoteRecord(ctx context.Context, kind, id string) error {
	if _, err := p.Promote(ctx, PromoteOptions{}); err != nil {
		return fmt.Errorf("record %s %s: stored in staging, but %w (run doraflow promote)", kind, id, err)
	}
	return nil
}
