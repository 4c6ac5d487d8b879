package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"doraflow/extract/custom"
	"doraflow/pipeline"
)

func cmdRecord(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageErr("record: say what to record: 'doraflow record deployment …' or 'doraflow record incident …'")
	}
	switch args[0] {
	case "deployment":
		return recordDeployment(ctx, e, args[1:])
	case "incident":
		return recordIncident(ctx, e, args[1:])
	}
	return usageErr("record: unknown kind %q: use deployment or incident", args[0])
}

func recordDeployment(ctx context.Context, e *env, args []string) error {
	var r custom.DeploymentRecord
	fs := e.flags("record deployment", "record deployment --service S [--environment E] [--sha SHA] [--repository R] [--deployed-at T] [--id ID] [--status success|failure] [--url URL] [--title TEXT]")
	fs.StringVar(&r.Service, "service", "", "service deployed (required)")
	fs.StringVar(&r.Environment, "environment", "", "environment (default production)")
	fs.StringVar(&r.SHA, "sha", "", "deployed commit")
	fs.StringVar(&r.Repository, "repository", "", "repository, owner/name")
	fs.StringVar(&r.DeployedAt, "deployed-at", "", "when: YYYY-MM-DD or RFC 3339 (default now)")
	fs.StringVar(&r.ID, "id", "", "id; recording an id again updates it (default: generated)")
	fs.StringVar(&r.Status, "status", "", "success or failure (default success)")
	fs.StringVar(&r.URL, "url", "", "link to the deployment, shown by explain")
	fs.StringVar(&r.Title, "title", "", "title, shown by explain")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	_, check := r.Deployment(time.Now(), "custom")
	return record(ctx, e, "record deployment", check, func(p *pipeline.Pipeline) (string, error) {
		d, created, err := p.RecordDeployment(ctx, r)
		return fmt.Sprintf("%s deployment %s (service %s, %s, %s)", verb(created), d.ID, d.Service, d.Environment, d.DeployedAt.Format(timeLayout)), err
	})
}

func recordIncident(ctx context.Context, e *env, args []string) error {
	var r custom.IncidentRecord
	fs := e.flags("record incident", "record incident --service S --created-at T [--resolved-at T] [--id ID] [--deployment ID] [--title TEXT] [--url URL]")
	fs.StringVar(&r.Service, "service", "", "service hit (required)")
	fs.StringVar(&r.CreatedAt, "created-at", "", "when it started: YYYY-MM-DD or RFC 3339 (required)")
	fs.StringVar(&r.ResolvedAt, "resolved-at", "", "when it was resolved (leave out while open)")
	fs.StringVar(&r.ID, "id", "", "id; recording an id again updates it, e.g. to resolve it (default: generated)")
	fs.StringVar(&r.DeploymentID, "deployment", "", "id of the deployment that caused it (default: attributed by time)")
	fs.StringVar(&r.Title, "title", "", "title")
	fs.StringVar(&r.URL, "url", "", "link to the incident, shown by explain")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	_, check := r.Incident("custom")
	return record(ctx, e, "record incident", check, func(p *pipeline.Pipeline) (string, error) {
		in, created, err := p.RecordIncident(ctx, r)
		state := "open"
		if in.Resolved() {
			state = "resolved " + in.ResolvedAt.Format(timeLayout)
		}
		return fmt.Sprintf("%s incident %s (service %s, created %s, %s)", verb(created), in.ID, in.Service, in.CreatedAt.Format(timeLayout), state), err
	})
}

// record runs one record command: a record that check finds invalid is
// refused before ClickHouse is opened; then do records it and returns the
// line to print. Field errors of either become usage errors naming the
// flag.
func record(ctx context.Context, e *env, cmd string, check error, do func(*pipeline.Pipeline) (string, error)) error {
	if check != nil {
		return recordUsage(cmd, check)
	}
	p, store, _, err := e.pipeline(ctx, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	line, err := do(p)
	if err != nil {
		return recordUsage(cmd, err)
	}
	fmt.Fprintln(e.stdout, line)
	return nil
}

// recordUsage makes a field error a usage error naming the flag.
func recordUsage(cmd string, err error) error {
	var fe *custom.FieldError
	if errors.As(err, &fe) {
		return usageErr("%s: --%s: %s", cmd, flagName(fe.Field), fe.Message)
	}
	return err
}

// flagName turns a JSON field name into its flag (deployed_at -> deployed-at,
// deployment_id -> deployment).
func flagName(field string) string {
	if field == "deployment_id" {
		return "deployment"
	}
	out := []byte(field)
	for i, c := range out {
		if c == '_' {
			out[i] = '-'
		}
	}
	return string(out)
}

func verb(created bool) string {
	if created {
		return "recorded"
	}
	return "updated"
}

// timeLayout prints times in output meant for people and scripts alike.
const timeLayout = time.RFC3339
