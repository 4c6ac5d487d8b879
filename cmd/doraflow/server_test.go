package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/config"
	"doraflow/extract/pagerduty"
	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/metrics"
	"doraflow/pipeline"
	"doraflow/pipeline/pipelinetest"
)

// serverFor returns the server of `doraflow run` for h's pipeline, with
// the options of opts: the harness sets what a config file cannot (a fake
// clock, a listener, short timeouts).
func serverFor(h *pipelinetest.Harness, opts server) *server {
	opts.pipeline, opts.cfg, opts.log, opts.telemetry = h.P, h.Cfg, zerolog.Nop(), h.Tel
	return &opts
}

// janWindow returns the query for [2024-01-from, 2024-01-to).
func janWindow(from, to int) metrics.Query {
	return metrics.Query{From: jan(from), To: jan(to)}
}

func TestServe(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.NewPagerDuty(t, []doraflow.Block{{Name: "all", Method: doraflow.MethodPagerDuty}})
		h.Cfg.Server.Tokens = []config.Secret{"api-token"}
		h.Cfg.Schedule.Sync = "0 2 * * *"
		clock := clockwork.NewFakeClockAt(jan(20).Add(time.Hour)) // 01:00, an hour before the sync is due
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		mustDo(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		ready := make(chan string, 1)
		go func() {
			done <- serverFor(h, server{listener: ln, clock: clock, promoteDelay: 10 * time.Millisecond,
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
		pipelinetest.Eventually(t, func() bool {
			r, err := h.P.Metrics(h.Ctx, q, pipeline.MetricsOptions{})
			return err == nil && len(r.Rows) == 1 && r.Rows[0].Deployments == 1
		})

		// Move the clock past 02:00: the scheduled sync runs once.
		pipelinetest.Eventually(t, func() bool {
			clock.Advance(time.Minute)
			runs, err := h.Store.RecentRuns(h.Ctx, 20)
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
		h := pipelinetest.NewPagerDuty(t, []doraflow.Block{{Name: "all", Method: doraflow.MethodPagerDuty}})
		for d := 1; d <= 19; d++ {
			h.Add(pagerdutyfake.Incident{ServiceID: "PAPI", CreatedAt: jan(d), ResolvedAt: jan(d).Add(time.Hour)})
		}
		// A sync that takes long: every PagerDuty request is slow.
		slow := pagerdutyfake.NewServer(h.Data, pagerdutyfake.Options{Latency: 2 * time.Second})
		slow.Start()
		defer slow.Close()
		src, err := pagerduty.New(pagerduty.Options{BaseURL: slow.URL(), Token: pagerdutyfake.DefaultToken})
		mustDo(t, err)
		h.P = h.PipelineWith(src)
		h.Cfg.Schedule.Sync = "* * * * *"
		clock := clockwork.NewFakeClockAt(jan(20))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		mustDo(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- serverFor(h, server{listener: ln, clock: clock, shutdownTimeout: 5 * time.Second}).run(ctx)
		}()
		pipelinetest.Eventually(t, func() bool {
			clock.Advance(time.Minute)
			runs, _ := h.Store.RecentRuns(h.Ctx, 5)
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
		h.P = h.PipelineWith(h.FastSource(t))
		h.Sync()
		if got := pipelinetest.Row(t, h.Metrics(janWindow(1, 20)), "api"); got.Incidents != 19 || got.RestoredIncidents != 19 {
			t.Fatalf("after the resumed sync: %d incidents, %d restored; want 19 and 19", got.Incidents, got.RestoredIncidents)
		}
	})
}
