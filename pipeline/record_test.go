package pipeline_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"doraflow"
	"doraflow/extract/custom"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/metrics"
	"doraflow/pipeline"
	"doraflow/pipeline/pipelinetest"
)

// stamp is t as a record carries it.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// TestRecordUpdateKeepsTheFieldsNotGiven records a deployment and an
// incident, then updates each with one field: the others keep their
// stored values, in staging and once promoted, and after staging was
// purged (the facts answer then).
func TestRecordUpdateKeepsTheFieldsNotGiven(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		_, created, err := h.P.RecordDeployment(h.Ctx, custom.DeploymentRecord{ID: "d1", Service: "api", Title: "v1.2", SHA: "abc", DeployedAt: stamp(day(2))})
		if err != nil || !created {
			t.Fatalf("record d1: created %v, %v", created, err)
		}
		d, created, err := h.P.RecordDeployment(h.Ctx, custom.DeploymentRecord{ID: "d1", Status: "failure"})
		if err != nil || created {
			t.Fatalf("update d1: created %v, %v; want an update", created, err)
		}
		if d.Title != "v1.2" || d.SHA != "abc" || !d.DeployedAt.Equal(day(2)) || d.Status != doraflow.StatusFailure || d.Service != "api" {
			t.Fatalf("updated d1 = %+v, want its title, sha and time kept, failed", d)
		}
		_, _, _, err = h.P.RecordIncident(h.Ctx, custom.IncidentRecord{ID: "INC-1", Service: "api", Title: "errors up", CreatedAt: stamp(day(2).Add(time.Hour)), DeploymentID: "d1"})
		must(t, err)
		must(t, h.Store.PurgeStaging(h.Ctx))
		in, created, _, err := h.P.RecordIncident(h.Ctx, custom.IncidentRecord{ID: "INC-1", ResolvedAt: stamp(day(2).Add(2 * time.Hour))})
		if err != nil || created {
			t.Fatalf("resolve INC-1: created %v, %v; want an update", created, err)
		}
		stored, found, err := h.Store.RecordedIncident(h.Ctx, "INC-1")
		must(t, err)
		for _, got := range []doraflow.Incident{in, stored} {
			if !found || got.Title != "errors up" || got.Service != "api" || got.DeploymentID != "d1" || !got.CreatedAt.Equal(day(2).Add(time.Hour)) || !got.ResolvedAt.Equal(day(2).Add(2*time.Hour)) {
				t.Fatalf("resolved INC-1 = %+v (found %v), want its title, service, cause and start kept", got, found)
			}
		}
		row := pipelinetest.Row(t, h.Metrics(window(1, 31)), "api")
		if row.Deployments != 0 || row.Incidents != 1 || row.RestoredIncidents != 1 {
			t.Fatalf("api = %s, want the failed deployment not counted, one incident restored", pipelinetest.JSON(row))
		}
	})
}

// TestRecordRefusesTypos checks the checks that need the store and the
// config: an unknown service (with the nearest), a new environment, an
// unknown cause; each allowed on purpose where the contract says so.
func TestRecordRefusesTypos(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		_, _, err := h.P.RecordDeployment(h.Ctx, custom.DeploymentRecord{ID: "web-1", Service: "web", DeployedAt: stamp(day(3))})
		must(t, err)
		for _, c := range []struct {
			name   string
			record any
			field  string
			want   string // "" accepts
			// warning is what the one warning of an accepted record
			// says; "" wants none.
			warning string
		}{
			{"unknown service", custom.DeploymentRecord{Service: "apii"}, "service", `"apii" is not a service of the config (api, db, web) (did you mean "api"?)`, ""},
			{"new service on purpose", custom.DeploymentRecord{Service: "billing", NewService: true, DeployedAt: stamp(day(4))}, "", "", ""},
			{"new environment", custom.DeploymentRecord{Service: "api", Environment: "Prod"}, "environment", `"Prod" is an environment no deployment had yet (known: production) (did you mean "production"?)`, ""},
			{"new environment on purpose", custom.DeploymentRecord{Service: "api", Environment: "canary", NewEnvironment: true, DeployedAt: stamp(day(4))}, "", "", ""},
			{"an environment seen before", custom.DeploymentRecord{Service: "web", Environment: "canary", DeployedAt: stamp(day(4))}, "", "", ""},
			{"unknown incident service", custom.IncidentRecord{Service: "webb", CreatedAt: stamp(day(4))}, "service", `(did you mean "web"?)`, ""},
			{"unknown cause", custom.IncidentRecord{Service: "api", CreatedAt: stamp(day(4)), DeploymentID: "does-not-exist"}, "deployment_id", `no deployment "does-not-exist" is recorded`, ""},
			{"cause in another service is allowed", custom.IncidentRecord{Service: "api", CreatedAt: stamp(day(4)), DeploymentID: "web-1"}, "", "",
				`deployment "web-1" is of service web, but incident`},
		} {
			var err error
			var warnings []custom.Warning
			switch r := c.record.(type) {
			case custom.DeploymentRecord:
				_, _, err = h.P.RecordDeployment(h.Ctx, r)
			case custom.IncidentRecord:
				_, _, warnings, err = h.P.RecordIncident(h.Ctx, r)
			}
			switch {
			case c.warning == "" && len(warnings) != 0:
				t.Errorf("%s: warnings %+v, want none", c.name, warnings)
			case c.warning != "" && (len(warnings) != 1 || warnings[0].Field != "deployment_id" || !strings.Contains(warnings[0].Message, c.warning)):
				t.Errorf("%s: warnings %+v, want one on deployment_id saying %q", c.name, warnings, c.warning)
			}
			var fe *custom.FieldError
			switch {
			case c.want == "" && err != nil:
				t.Errorf("%s: %v, want it accepted", c.name, err)
			case c.want != "" && (!errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(fe.Message, c.want)):
				t.Errorf("%s: %v, want a %s error with %q", c.name, err, c.field, c.want)
			}
		}
		// Refused records stored nothing: web-1, billing, and the two
		// canary deployments; the incident caused by web-1.
		rep := h.Metrics(metrics.Query{From: day(1), To: day(31), GroupBy: metrics.GroupNone})
		if len(rep.Rows) != 1 || rep.Rows[0].Deployments != 4 || rep.Rows[0].Incidents != 1 {
			t.Fatalf("metrics = %s, want 4 deployments and 1 incident", pipelinetest.JSON(rep))
		}
	})
}

// TestRetractedRecordStopsCounting retracts a deployment and an incident:
// each stops counting in the metrics (rollup and events agree:
// Harness.Metrics) and in explain, the facts keep every version, and an
// unknown or non-custom id is not found.
func TestRetractedRecordStopsCounting(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		for _, r := range []custom.DeploymentRecord{
			{ID: "d1", Service: "api", DeployedAt: stamp(day(2))},
			{ID: "d2", Service: "api", DeployedAt: stamp(day(5))},
		} {
			_, _, err := h.P.RecordDeployment(h.Ctx, r)
			must(t, err)
		}
		_, _, _, err := h.P.RecordIncident(h.Ctx, custom.IncidentRecord{ID: "INC-1", Service: "api", CreatedAt: stamp(day(6)), ResolvedAt: stamp(day(6).Add(time.Hour))})
		must(t, err)
		count := func() metrics.Row {
			t.Helper()
			return pipelinetest.Row(t, h.Metrics(window(1, 31)), "api")
		}
		if row := count(); row.Deployments != 2 || row.Incidents != 1 || row.FailedDeployments != 1 {
			t.Fatalf("before: %s, want 2 deployments, 1 incident failing d2", pipelinetest.JSON(row))
		}
		before, err := h.Store.RowCount(h.Ctx, "deployments")
		must(t, err)

		d, err := h.P.RetractDeployment(h.Ctx, "d2")
		if err != nil || d.ID != "d2" || !d.Retracted {
			t.Fatalf("retract d2 = %+v, %v", d, err)
		}
		if row := count(); row.Deployments != 1 || row.Incidents != 1 || row.FailedDeployments != 1 {
			t.Fatalf("after retracting d2: %s, want 1 deployment, the incident now failing d1", pipelinetest.JSON(row))
		}
		items, err := h.P.Explain(h.Ctx, pipeline.ExplainQuery{What: pipeline.ExplainDeployments, From: day(1), To: day(31)})
		must(t, err)
		if len(items) != 1 || items[0].ID != "d1" {
			t.Fatalf("explain deployments = %s, want d1 alone", pipelinetest.JSON(items))
		}
		after, err := h.Store.RowCount(h.Ctx, "deployments")
		must(t, err)
		if after != before+1 {
			t.Fatalf("deployments facts: %d rows, then %d; want one more (the retraction), none removed", before, after)
		}

		_, err = h.P.RetractIncident(h.Ctx, "INC-1")
		must(t, err)
		if row := count(); row.Deployments != 1 || row.Incidents != 0 || row.FailedDeployments != 0 || row.RestoredIncidents != 0 {
			t.Fatalf("after retracting INC-1: %s, want 1 deployment, no incident", pipelinetest.JSON(row))
		}
		// Retracting again changes nothing.
		_, err = h.P.RetractIncident(h.Ctx, "INC-1")
		must(t, err)
		if n, err := h.Store.RowCount(h.Ctx, "incidents"); err != nil || n != 2 {
			t.Fatalf("incidents facts: %d rows, %v; want 2 (recorded, retracted)", n, err)
		}
		// An unknown cause now: the retracted deployment cannot be one.
		_, _, _, err = h.P.RecordIncident(h.Ctx, custom.IncidentRecord{Service: "api", CreatedAt: stamp(day(7)), DeploymentID: "d2"})
		var fe *custom.FieldError
		if !errors.As(err, &fe) || fe.Field != "deployment_id" {
			t.Fatalf("incident caused by retracted d2: %v, want a deployment_id error", err)
		}
		for _, id := range []string{"nope", ""} {
			if _, err := h.P.RetractDeployment(h.Ctx, id); !errors.Is(err, custom.ErrNotRecorded) {
				t.Errorf("retract deployment %q: %v, want ErrNotRecorded", id, err)
			}
		}
		// A deployment another source reported is not a custom record.
		gh := dep("acme/api#run-7", "api", day(8))
		gh.Source, gh.Method, gh.Block = doraflow.SourceGitHub, doraflow.MethodWorkflowRun, "deploys"
		h.Stage(doraflow.FactSet{Deployments: []doraflow.Deployment{gh}})
		if _, err := h.P.RetractDeployment(h.Ctx, gh.ID); !errors.Is(err, custom.ErrNotRecorded) {
			t.Errorf("retract a GitHub deployment: %v, want ErrNotRecorded", err)
		}
	})
}
