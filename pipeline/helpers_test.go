package pipeline_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/config"
	"doraflow/load/clickhouse"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/metrics"
	"doraflow/pipeline"
)

// harness is a pipeline on a fresh ClickHouse database.
type harness struct {
	t     *testing.T
	ctx   context.Context
	cfg   *config.Config
	store *clickhouse.Store
	p     *pipeline.Pipeline
}

func newHarness(t *testing.T, configure func(*config.Config)) *harness {
	t.Helper()
	cfg := config.Default()
	cfg.Services = []config.Service{
		{Name: "api", Team: "platform", Repositories: []string{"acme/api"}},
		{Name: "web", Team: "frontend", Repositories: []string{"acme/web"}},
		{Name: "db", Team: "platform"},
	}
	if configure != nil {
		configure(cfg)
	}
	store := clickhousetest.New(t)
	return &harness{t: t, ctx: context.Background(), cfg: cfg, store: store, p: pipeline.New(cfg, store, zerolog.Nop())}
}

// stage writes facts to staging.
func (h *harness) stage(f doraflow.FactSet) {
	h.t.Helper()
	must(h.t, h.store.StageChanges(h.ctx, f.Changes))
	must(h.t, h.store.StageShips(h.ctx, f.Ships, f.Commits))
	must(h.t, h.store.StageDeployments(h.ctx, f.Deployments))
	must(h.t, h.store.StageIncidents(h.ctx, f.Incidents))
}

func (h *harness) promote() pipeline.PromoteResult {
	h.t.Helper()
	res, err := h.p.Promote(h.ctx, pipeline.PromoteOptions{})
	must(h.t, err)
	return res
}

// metrics computes q from the daily rollup and from the events, checks
// that both agree, and returns the report.
func (h *harness) metrics(q metrics.Query) metrics.Report {
	h.t.Helper()
	if q.Location == nil {
		q.Location = h.cfg.Location
	}
	if q.GroupBy == "" {
		q.GroupBy = metrics.GroupService
	}
	if q.Period == "" {
		q.Period = metrics.PeriodNone
	}
	rollup, err := h.p.Metrics(h.ctx, q, pipeline.MetricsOptions{})
	must(h.t, err)
	events, err := h.p.Metrics(h.ctx, q, pipeline.MetricsOptions{FromEvents: true})
	must(h.t, err)
	if !reflect.DeepEqual(rollup, events) {
		h.t.Fatalf("rollup and events disagree:\nrollup: %s\nevents: %s", js(rollup), js(events))
	}
	return rollup
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// day returns midnight UTC of 2024-01-D (January 2024 starts on a Monday).
func day(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }

// window returns the query for [2024-01-from, 2024-01-to).
func window(from, to int) metrics.Query {
	return metrics.Query{From: day(from), To: day(to)}
}

func dep(id, service string, at time.Time) doraflow.Deployment {
	return doraflow.Deployment{
		ID: id, Source: doraflow.SourceCustom, Method: doraflow.MethodCustom, Block: "manual",
		Service: service, Team: teamOf(service), Environment: doraflow.EnvironmentProduction,
		Repository: "acme/" + service, DeployedAt: at, Status: doraflow.StatusSuccess,
	}
}

func teamOf(service string) string {
	switch service {
	case "api", "db":
		return "platform"
	case "web":
		return "frontend"
	}
	return ""
}

func pr(id string, started time.Time, labels ...string) doraflow.Change {
	return doraflow.Change{ID: id, Repository: "acme/x", Kind: doraflow.ChangePullRequest, StartedAt: started, Title: "Change " + id, Labels: labels}
}

func incident(id, service string, created, resolved time.Time) doraflow.Incident {
	return doraflow.Incident{ID: id, Source: doraflow.SourceCustom, Block: "manual", Service: service, Team: teamOf(service), CreatedAt: created, ResolvedAt: resolved}
}

// row returns the row of report whose grouping key is key.
func row(t *testing.T, r metrics.Report, key string) metrics.Row {
	t.Helper()
	for _, row := range r.Rows {
		for _, k := range []string{row.Service, row.Team, row.Repository, row.Environment} {
			if k == key {
				return row
			}
		}
	}
	t.Fatalf("no row %q in %s", key, js(r))
	return metrics.Row{}
}

func f(v float64) *float64 { return &v }

func eqPtr(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func show(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
