// Package pipelinetest is test support for code built on pipeline: a
// pipeline on a fresh database of a test engine, staging and promote
// helpers, a fake PagerDuty to sync incidents from, and checks on the
// metrics the pipeline computes.
package pipelinetest

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/config"
	"doraflow/extract/pagerduty"
	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/load/clickhouse"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/metrics"
	"doraflow/pipeline"
	"doraflow/sources"
)

// Harness is a pipeline on a fresh ClickHouse database of the test
// engine (clickhousetest.New), counting into Tel.
type Harness struct {
	T     *testing.T
	Ctx   context.Context
	Cfg   *config.Config
	Store *clickhouse.Store
	Tel   *pipeline.Telemetry
	P     *pipeline.Pipeline
	// Data is the fake PagerDuty's account, for a harness made by
	// NewPagerDuty; Now is the clock of pipelines made by PipelineWith.
	Data *pagerdutyfake.Data
	Now  time.Time
}

// New configures services api (team platform, repository acme/api), web
// (team frontend, acme/web) and db (team platform), then applies
// configure, which may be nil.
func New(t *testing.T, configure func(*config.Config)) *Harness {
	t.Helper()
	cfg := config.Default()
	cfg.Methods = sources.Registry()
	cfg.Services = []config.Service{
		{Name: "api", Team: "platform", Repositories: []string{"acme/api"}},
		{Name: "web", Team: "frontend", Repositories: []string{"acme/web"}},
		{Name: "db", Team: "platform"},
	}
	if configure != nil {
		configure(cfg)
	}
	store := clickhousetest.New(t)
	tel := pipeline.NewTelemetry()
	return &Harness{T: t, Ctx: context.Background(), Cfg: cfg, Store: store, Tel: tel,
		P: pipeline.New(cfg, store, zerolog.Nop(), pipeline.WithTelemetry(tel))}
}

// NewPagerDuty serves a fake PagerDuty with services PAPI (api), PWEB
// (web) and PDB ("db" in PagerDuty, not listed in services:) and priority
// PP1, and syncs incidents with blocks on a clock at 2024-01-20.
func NewPagerDuty(t *testing.T, blocks []doraflow.Block) *Harness {
	t.Helper()
	data := pagerdutyfake.New()
	for _, s := range []pagerdutyfake.Service{{ID: "PAPI", Name: "api in PagerDuty"}, {ID: "PWEB", Name: "web in PagerDuty"}, {ID: "PDB", Name: "db"}} {
		must(t, data.AddService(s))
	}
	must(t, data.AddPriority(pagerdutyfake.Priority{ID: "PP1", Name: "P1"}))
	h := New(t, func(c *config.Config) {
		c.Services[0].PagerDutyServices = []string{"PAPI"}
		c.Services[1].PagerDutyServices = []string{"PWEB"}
		c.Incidents = blocks
		c.Schedule.InitialWindow = 30 * 24 * time.Hour
	})
	h.Data, h.Now = data, time.Date(2024, 1, 20, 0, 0, 0, 0, time.UTC)
	h.P = h.PipelineWith(h.FastSource(t))
	return h
}

// PipelineWith is h's pipeline reading PagerDuty from src, on the clock
// h.Now, counting into h.Tel.
func (h *Harness) PipelineWith(src *pagerduty.Source) *pipeline.Pipeline {
	return pipeline.New(h.Cfg, h.Store, zerolog.Nop(), pipeline.WithExtractor(doraflow.SourcePagerDuty, src), pipeline.WithClock(func() time.Time { return h.Now }),
		pipeline.WithTelemetry(h.Tel))
}

// FastSource is a PagerDuty source on a fresh fake server for h.Data,
// retrying without waiting.
func (h *Harness) FastSource(t *testing.T) *pagerduty.Source {
	t.Helper()
	srv := pagerdutyfake.NewServer(h.Data, pagerdutyfake.Options{})
	srv.Start()
	t.Cleanup(srv.Close)
	src, err := pagerduty.New(pagerduty.Options{BaseURL: srv.URL(), Token: pagerdutyfake.DefaultToken,
		Sleep: func(context.Context, time.Duration) error { return nil }})
	must(t, err)
	return src
}

// Add adds in to the fake PagerDuty and returns its ID.
func (h *Harness) Add(in pagerdutyfake.Incident) string {
	h.T.Helper()
	got, err := h.Data.AddIncident(in)
	must(h.T, err)
	return got.ID
}

// Stage writes facts to staging.
func (h *Harness) Stage(f doraflow.FactSet) {
	h.T.Helper()
	must(h.T, h.Store.StageChanges(h.Ctx, f.Changes))
	must(h.T, h.Store.StageShips(h.Ctx, f.Ships, f.Commits))
	must(h.T, h.Store.StageDeployments(h.Ctx, f.Deployments))
	must(h.T, h.Store.StageIncidents(h.Ctx, f.Incidents))
}

// Promote promotes what is staged.
func (h *Harness) Promote() pipeline.PromoteResult {
	h.T.Helper()
	res, err := h.P.Promote(h.Ctx, pipeline.PromoteOptions{})
	must(h.T, err)
	return res
}

// Sync syncs every source of h's pipeline.
func (h *Harness) Sync() pipeline.SyncResult {
	h.T.Helper()
	res, err := h.P.Sync(h.Ctx, pipeline.SyncOptions{})
	must(h.T, err)
	return res
}

// Metrics computes q from the daily rollup and from the events, checks
// that both agree, and returns the report. q's location defaults to the
// config's, its grouping to service and its period to none.
func (h *Harness) Metrics(q metrics.Query) metrics.Report {
	h.T.Helper()
	if q.Location == nil {
		q.Location = h.Cfg.Location
	}
	if q.GroupBy == "" {
		q.GroupBy = metrics.GroupService
	}
	if q.Period == "" {
		q.Period = metrics.PeriodNone
	}
	rollup, err := h.P.Metrics(h.Ctx, q, pipeline.MetricsOptions{})
	must(h.T, err)
	events, err := h.P.Metrics(h.Ctx, q, pipeline.MetricsOptions{FromEvents: true})
	must(h.T, err)
	if !reflect.DeepEqual(rollup, events) {
		h.T.Fatalf("rollup and events disagree:\nrollup: %s\nevents: %s", JSON(rollup), JSON(events))
	}
	return rollup
}

// JSON is v in JSON, for messages.
func JSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Row returns the row of report whose grouping key is key.
func Row(t *testing.T, r metrics.Report, key string) metrics.Row {
	t.Helper()
	for _, row := range r.Rows {
		for _, k := range []string{row.Service, row.Team, row.Repository, row.Environment} {
			if k == key {
				return row
			}
		}
	}
	t.Fatalf("no row %q in %s", key, JSON(r))
	return metrics.Row{}
}

// Eventually polls cond for up to 10 seconds.
func Eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
