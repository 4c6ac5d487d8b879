package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"doraflow"
	"doraflow/extract/custom"
	"doraflow/pipeline"
)

func cmdRecord(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && isHelp(args[0]) {
		return e.groupUsage("record", []subcommand{
			{"deployment", "record a custom deployment, or update one by its --id"},
			{"incident", "record a custom incident, or update (resolve) one by its --id"},
			{"delete", "retract a custom deployment or incident by its --id"},
		})
	}
	if len(args) == 0 {
		return usageErr("record: say what to record: 'doraflow record deployment …', 'doraflow record incident …' or 'doraflow record delete deployment|incident --id ID'")
	}
	switch args[0] {
	case "deployment":
		return recordDeployment(ctx, e, args[1:])
	case "incident":
		return recordIncident(ctx, e, args[1:])
	case "delete":
		return recordDelete(ctx, e, args[1:])
	}
	return usageErr("record: unknown kind %q: use deployment, incident or delete", args[0])
}

func recordDeployment(ctx context.Context, e *env, args []string) error {
	var r custom.DeploymentRecord
	fs := e.flags("record deployment", "record deployment --service S [--environment E] [--sha SHA] [--repository R] [--deployed-at T] [--id ID] [--status success|failure] [--url URL] [--title TEXT] [--new-service] [--new-environment]")
	fs.StringVar(&r.Service, "service", "", "service deployed (required, unless --id names a recorded deployment)")
	fs.StringVar(&r.Environment, "environment", "", "environment (default production)")
	fs.BoolVar(&r.NewService, "new-service", false, "allow a service that is not in the config's services: list")
	fs.BoolVar(&r.NewEnvironment, "new-environment", false, "allow an environment no deployment had yet")
	fs.StringVar(&r.SHA, "sha", "", "deployed commit")
	fs.StringVar(&r.Repository, "repository", "", "repository, owner/name")
	fs.StringVar(&r.DeployedAt, "deployed-at", "", "when: YYYY-MM-DD or RFC 3339 (default now)")
	fs.StringVar(&r.ID, "id", "", "id; recording an id again updates the fields given (default: generated)")
	fs.StringVar(&r.Status, "status", "", "success or failure (default success)")
	fs.StringVar(&r.URL, "url", "", "link to the deployment, shown by explain")
	fs.StringVar(&r.Title, "title", "", "title, shown by explain")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	_, check := r.Deployment(time.Now(), "custom")
	return record(ctx, e, "record deployment", precheck(check, r.ID), func(p *pipeline.Pipeline) (string, error) {
		d, created, err := p.RecordDeployment(ctx, r)
		return fmt.Sprintf("%s deployment %s (service %s, %s, %s)", verb(created), d.ID, d.Service, d.Environment, d.DeployedAt.Format(timeLayout)), err
	})
}

func recordIncident(ctx context.Context, e *env, args []string) error {
	var r custom.IncidentRecord
	fs := e.flags("record incident", "record incident --service S --created-at T [--resolved-at T] [--id ID] [--deployment ID] [--title TEXT] [--url URL] [--new-service]")
	fs.StringVar(&r.Service, "service", "", "service hit (required, unless --id names a recorded incident)")
	fs.StringVar(&r.CreatedAt, "created-at", "", "when it started: YYYY-MM-DD or RFC 3339 (required, unless --id names a recorded incident)")
	fs.BoolVar(&r.NewService, "new-service", false, "allow a service that is not in the config's services: list")
	fs.StringVar(&r.ResolvedAt, "resolved-at", "", "when it was resolved (leave out while open)")
	fs.StringVar(&r.ID, "id", "", "id; recording an id again updates the fields given, e.g. --resolved-at to resolve it (default: generated)")
	fs.StringVar(&r.DeploymentID, "deployment", "", "id of the deployment that caused it (default: attributed by time)")
	fs.StringVar(&r.Title, "title", "", "title")
	fs.StringVar(&r.URL, "url", "", "link to the incident, shown by explain")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	_, check := r.Incident(time.Now(), "custom")
	return record(ctx, e, "record incident", precheck(check, r.ID), func(p *pipeline.Pipeline) (string, error) {
		in, created, warnings, err := p.RecordIncident(ctx, r)
		if err == nil {
			e.recordWarnings("record incident", warnings)
		}
		state := "open"
		if in.Resolved() {
			state = "resolved " + in.ResolvedAt.Format(timeLayout)
		}
		return fmt.Sprintf("%s incident %s (service %s, created %s, %s)", verb(created), in.ID, in.Service, in.CreatedAt.Format(timeLayout), state), err
	})
}

// recordDelete retracts a custom record: `record delete deployment|incident --id ID`.
func recordDelete(ctx context.Context, e *env, args []string) error {
	const usage = "record delete deployment|incident --id ID"
	if len(args) > 0 && isHelp(args[0]) {
		return e.groupUsage("record delete", []subcommand{
			{"deployment", "retract a custom deployment: it stops counting; the facts keep its history"},
			{"incident", "retract a custom incident: it stops counting; the facts keep its history"},
		})
	}
	if len(args) == 0 || (args[0] != "deployment" && args[0] != "incident") {
		return usageErr("record delete: say what to retract: 'doraflow %s'", usage)
	}
	kind := args[0]
	cmd := "record delete " + kind
	var id string
	fs := e.flags(cmd, usage)
	fs.StringVar(&id, "id", "", "id of the custom record to retract (required)")
	if err := e.parse(fs, args[1:]); err != nil {
		return err
	}
	var check error
	if strings.TrimSpace(id) == "" {
		check = &custom.FieldError{Field: "id", Message: "required: the id of the custom record to retract"}
	}
	return record(ctx, e, cmd, check, func(p *pipeline.Pipeline) (string, error) {
		var service string
		var err error
		if kind == "deployment" {
			var d doraflow.Deployment
			d, err = p.RetractDeployment(ctx, id)
			service = d.Service
		} else {
			var in doraflow.Incident
			in, err = p.RetractIncident(ctx, id)
			service = in.Service
		}
		if errors.Is(err, custom.ErrNotRecorded) {
			err = &custom.FieldError{Field: "id", Message: fmt.Sprintf("no custom %s %q is recorded: check the id (doraflow explain %ss lists them)", kind, id, kind)}
		}
		return fmt.Sprintf("retracted %s %s (service %s): it counts nowhere now; its history stays in the facts", kind, id, service), err
	})
}

// precheck is the check made before ClickHouse is opened: a required
// field left out is fine when an id is given, since the record stored
// under it may hold it (the pipeline checks again after merging).
func precheck(err error, id string) error {
	var fe *custom.FieldError
	if errors.As(err, &fe) && fe.Missing && strings.TrimSpace(id) != "" {
		return nil
	}
	return err
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

// recordWarnings prints what is allowed about a record but likely a slip,
// one "warning: …" line each on stderr, naming the flag as usage errors
// do; the record is stored all the same.
func (e *env) recordWarnings(cmd string, warnings []custom.Warning) {
	for _, w := range warnings {
		fmt.Fprintf(e.stderr, "warning: %s: --%s: %s\n", cmd, flagName(w.Field), w.Message)
	}
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
