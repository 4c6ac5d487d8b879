package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/config"
	"doraflow/extract/pagerduty"
	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/load/clickhouse"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/metrics"
	"doraflow/pipeline"
)

// serveHarness is a pipeline on a fresh ClickHouse database, for running
// the server of `doraflow run` in-process in front of it, with the
// options a config file cannot set (a fake clock, a listener, short
// timeouts).
type serveHarness struct {
	t     *testing.T
	ctx   context.Context
	cfg   *config.Config
	store *clickhouse.Store
	tel   *pipeline.Telemetry
	p     *pipeline.Pipeline
	// data is the fake PagerDuty's account and now the pipeline's clock,
	// for a harness made by newPDServeHarness.
	data *pagerdutyfake.Data
	now  time.Time
}

// newServeHarness configures services api, web and db, then applies
// configure.
func newServeHarness(t *testing.T, configure func(*config.Config)) *serveHarness {
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
	tel := pipeline.NewTelemetry()
	return &serveHarness{t: t, ctx: context.Background(), cfg: cfg, store: store, tel: tel,
		p: pipeline.New(cfg, store, zerolog.Nop(), pipeline.WithTelemetry(tel))}
}

// newPDServeHarness serves data with services PAPI (api), PWEB (web) and
// PDB ("db" in PagerDuty, not listed in services:), and syncs with blocks.
func newPDServeHarness(t *testing.T, blocks []config.Block) *serveHarness {
	t.Helper()
	data := pagerdutyfake.New()
	for _, s := range []pagerdutyfake.Service{{ID: "PAPI", Name: "api in PagerDuty"}, {ID: "PWEB", Name: "web in PagerDuty"}, {ID: "PDB", Name: "db"}} {
		mustDo(t, data.AddService(s))
	}
	mustDo(t, data.AddPriority(pagerdutyfake.Priority{ID: "PP1", Name: "P1"}))
	h := newServeHarness(t, func(c *config.Config) {
		c.Services[0].PagerDutyServices = []string{"PAPI"}
		c.Services[1].PagerDutyServices = []string{"PWEB"}
		c.Incidents = blocks
		c.Schedule.InitialWindow = 30 * 24 * time.Hour
	})
	h.data, h.now = data, jan(20)
	h.p = h.pipelineWith(h.fastSource(t))
	return h
}

// pipelineWith is h's pipeline reading PagerDuty from src, on h's clock,
// counting into h.tel.
func (h *serveHarness) pipelineWith(src *pagerduty.Source) *pipeline.Pipeline {
	return pipeline.New(h.cfg, h.store, zerolog.Nop(), pipeline.WithPagerDuty(src), pipeline.WithClock(func() time.Time { return h.now }),
		pipeline.WithTelemetry(h.tel))
}

// fastSource is a PagerDuty source on a fresh fake server for h.data,
// retrying without waiting.
func (h *serveHarness) fastSource(t *testing.T) *pagerduty.Source {
	t.Helper()
	srv := pagerdutyfake.NewServer(h.data, pagerdutyfake.Options{})
	srv.Start()
	t.Cleanup(srv.Close)
	src, err := pagerduty.New(pagerduty.Options{BaseURL: srv.URL(), Token: pagerdutyfake.DefaultToken,
		Sleep: func(context.Context, time.Duration) error { return nil }})
	mustDo(t, err)
	return src
}

func (h *serveHarness) add(in pagerdutyfake.Incident) string {
	h.t.Helper()
	got, err := h.data.AddIncident(in)
	mustDo(h.t, err)
	return got.ID
}

func (h *serveHarness) sync() pipeline.SyncResult {
	h.t.Helper()
	res, err := h.p.Sync(h.ctx, pipeline.SyncOptions{})
	mustDo(h.t, err)
	return res
}

// server returns the server of `doraflow run` for h's pipeline, with the
// options of opts.
func (h *serveHarness) server(opts server) *server {
	opts.pipeline, opts.cfg, opts.log, opts.telemetry = h.p, h.cfg, zerolog.Nop(), h.tel
	return &opts
}

// metrics computes q from the daily rollup and from the events, checks
// that both agree, and returns the report.
func (h *serveHarness) metrics(q metrics.Query) metrics.Report {
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
	mustDo(h.t, err)
	events, err := h.p.Metrics(h.ctx, q, pipeline.MetricsOptions{FromEvents: true})
	mustDo(h.t, err)
	if !reflect.DeepEqual(rollup, events) {
		h.t.Fatalf("rollup and events disagree:\nrollup: %s\nevents: %s", jsonOf(rollup), jsonOf(events))
	}
	return rollup
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// janWindow returns the query for [2024-01-from, 2024-01-to).
func janWindow(from, to int) metrics.Query {
	return metrics.Query{From: jan(from), To: jan(to)}
}

// reportRow returns the row of report whose grouping key is key.
func reportRow(t *testing.T, r metrics.Report, key string) metrics.Row {
	t.Helper()
	for _, row := range r.Rows {
		for _, k := range []string{row.Service, row.Team, row.Repository, row.Environment} {
			if k == key {
				return row
			}
		}
	}
	t.Fatalf("no row %q in %s", key, jsonOf(r))
	return metrics.Row{}
}

// eventually polls cond for up to 10 seconds.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestServe(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := newPDServeHarness(t, []config.Block{{Name: "all", Method: doraflow.MethodPagerDuty}})
		h.cfg.Server.Tokens = []config.Secret{"api-token"}
		h.cfg.Schedule.Sync = "0 2 * * *"
		clock := clockwork.NewFakeClockAt(jan(20).Add(time.Hour)) // 01:00, an hour before the sync is due
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		mustDo(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		ready := make(chan string, 1)
		go func() {
			done <- h.server(server{listener: ln, clock: clock, promoteDelay: 10 * time.Millisecond,
				ready: func(addr string) { ready <- addr }}).run(ctx)
		}()
		base := "http://" + <-ready

		post := func(path, token, body string) int {
			t.Helper()
			req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			mustDo(t, err)
			resp.Body.Close()
			return resp.StatusCode
		}
		if code := post("/api/v1/deployments", "wrong", `{"service":"api"}`); code != http.StatusUnauthorized {
			t.Fatalf("wrong token: %d, want 401", code)
		}
		if code := post("/api/v1/deployments", "api-token", `{"id":"d1","service":"api","deployed_at":"2024-01-02T10:00:00Z"}`); code != http.StatusCreated {
			t.Fatalf("record: %d, want 201", code)
		}
		if code := post("/api/v1/deployments", "api-token", `{"id":"d1","service":"api","deployed_at":"2024-01-02T10:00:00Z"}`); code != http.StatusOK {
			t.Fatalf("record again: %d, want 200", code)
		}
		// The promoter picks the record up shortly.
		q := janWindow(1, 8)
		q.GroupBy, q.Period = "none", "none"
		eventually(t, func() bool {
			r, err := h.p.Metrics(h.ctx, q, pipeline.MetricsOptions{})
			return err == nil && len(r.Rows) == 1 && r.Rows[0].Deployments == 1
		})

		// Move the clock past 02:00: the scheduled sync runs once.
		eventually(t, func() bool {
			clock.Advance(time.Minute)
			runs, err := h.store.RecentRuns(h.ctx, 20)
			if err != nil {
				return false
			}
			for _, r := range runs {
				if r.Job == "sync" && r.Status == "ok" {
					return true
				}
			}
			return false
		})

		for path, want := range map[string]string{"/healthz": "ok", "/metrics": "doraflow_runs_total"} {
			resp, err := http.Get(base + path)
			mustDo(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
				t.Fatalf("GET %s: %d %q, want 200 with %q", path, resp.StatusCode, body, want)
			}
		}

		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Serve returned %v, want nil on a clean stop", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("Serve did not stop within 20s")
		}
	})
}

func TestServeStopsCleanlyMidSync(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := newPDServeHarness(t, []config.Block{{Name: "all", Method: doraflow.MethodPagerDuty}})
		for d := 1; d <= 19; d++ {
			h.add(pagerdutyfake.Incident{ServiceID: "PAPI", CreatedAt: jan(d), ResolvedAt: jan(d).Add(time.Hour)})
		}
		// A sync that takes long: every PagerDuty request is slow.
		slow := pagerdutyfake.NewServer(h.data, pagerdutyfake.Options{Latency: 2 * time.Second})
		slow.Start()
		defer slow.Close()
		src, err := pagerduty.New(pagerduty.Options{BaseURL: slow.URL(), Token: pagerdutyfake.DefaultToken})
		mustDo(t, err)
		h.p = h.pipelineWith(src)
		h.cfg.Schedule.Sync = "* * * * *"
		clock := clockwork.NewFakeClockAt(jan(20))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		mustDo(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- h.server(server{listener: ln, clock: clock, shutdownTimeout: 5 * time.Second}).run(ctx)
		}()
		eventually(t, func() bool {
			clock.Advance(time.Minute)
			runs, _ := h.store.RecentRuns(h.ctx, 5)
			return len(runs) > 0 && runs[0].Status == "running"
		})
		stopped := time.Now()
		cancel()
		select {
		case err := <-done:
			mustDo(t, err)
		case <-time.After(15 * time.Second):
			t.Fatal("Serve did not stop")
		}
		if took := time.Since(stopped); took > 10*time.Second {
			t.Fatalf("stopping took %s", took)
		}
		// Whatever the stop cut short, a later sync completes it exactly.
		h.p = h.pipelineWith(h.fastSource(t))
		h.sync()
		if got := reportRow(t, h.metrics(janWindow(1, 20)), "api"); got.Incidents != 19 || got.RestoredIncidents != 19 {
			t.Fatalf("after the resumed sync: %d incidents, %d restored; want 19 and 19", got.Incidents, got.RestoredIncidents)
		}
	})
}
