package pipeline_test

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
	"doraflow/pipeline"
)

func TestServe(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := newPDHarness(t, []config.Block{{Name: "all", Method: doraflow.MethodPagerDuty}})
		h.cfg.Server.Tokens = []config.Secret{"api-token"}
		h.cfg.Schedule.Sync = "0 2 * * *"
		clock := clockwork.NewFakeClockAt(day(20).Add(time.Hour)) // 01:00, an hour before the sync is due
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		ready := make(chan string, 1)
		go func() {
			done <- h.p.Serve(ctx, pipeline.ServeOptions{Listener: ln, Clock: clock, PromoteDelay: 10 * time.Millisecond,
				Ready: func(addr string) { ready <- addr }})
		}()
		base := "http://" + <-ready

		post := func(path, token, body string) int {
			t.Helper()
			req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			must(t, err)
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
		q := window(1, 8)
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
			must(t, err)
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

func TestServeStopsCleanlyMidSync(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := newPDHarness(t, []config.Block{{Name: "all", Method: doraflow.MethodPagerDuty}})
		for d := 1; d <= 19; d++ {
			h.add(pagerdutyfake.Incident{ServiceID: "PAPI", CreatedAt: day(d), ResolvedAt: day(d).Add(time.Hour)})
		}
		// A sync that takes long: every PagerDuty request is slow.
		slow := pagerdutyfake.NewServer(h.data, pagerdutyfake.Options{Latency: 2 * time.Second})
		slow.Start()
		defer slow.Close()
		src, err := pagerduty.New(pagerduty.Options{BaseURL: slow.URL(), Token: pagerdutyfake.DefaultToken})
		must(t, err)
		h.p = pipeline.New(h.cfg, h.store, zerolog.Nop(), pipeline.WithPagerDuty(src), pipeline.WithClock(func() time.Time { return h.now }))
		h.cfg.Schedule.Sync = "* * * * *"
		clock := clockwork.NewFakeClockAt(day(20))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- h.p.Serve(ctx, pipeline.ServeOptions{Listener: ln, Clock: clock, ShutdownTimeout: 5 * time.Second})
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
			must(t, err)
		case <-time.After(15 * time.Second):
			t.Fatal("Serve did not stop")
		}
		if took := time.Since(stopped); took > 10*time.Second {
			t.Fatalf("stopping took %s", took)
		}
		// Whatever the stop cut short, a later sync completes it exactly.
		h.p = pipeline.New(h.cfg, h.store, zerolog.Nop(), pipeline.WithPagerDuty(h.fastSource(t)), pipeline.WithClock(func() time.Time { return h.now }))
		h.sync()
		if got := row(t, h.metrics(window(1, 20)), "api"); got.Incidents != 19 || got.RestoredIncidents != 19 {
			t.Fatalf("after the resumed sync: %d incidents, %d restored; want 19 and 19", got.Incidents, got.RestoredIncidents)
		}
	})
}
