package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"doraflow"
	"doraflow/config"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/metrics"
	"doraflow/pipeline"
	"doraflow/pipeline/pipelinetest"
)

// TestReadAPI: GET /api/v1/metrics and /api/v1/explain/{kind} answer the
// very bytes of `metrics --format json` and `explain --format json` for
// the same parameters, to a write or a read token; a read token cannot
// write (403); bad parameters are 400 naming them.
func TestReadAPI(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		const writeToken, readToken = "write-token-0123456789", "read-token-0123456789ab"
		h := pipelinetest.New(t, nil)
		h.Cfg.Server.Tokens = []config.Secret{writeToken}
		h.Cfg.Server.ReadTokens = []config.Secret{readToken}
		at := func(d, hour int) time.Time { return jan(d).Add(time.Duration(hour) * time.Hour) }
		dep := func(id, service, team, env string, when time.Time) doraflow.Deployment {
			return doraflow.Deployment{ID: id, Source: doraflow.SourceCustom, Method: doraflow.MethodCustom, Block: "manual",
				Service: service, Team: team, Environment: env, DeployedAt: when, Status: doraflow.StatusSuccess, Title: "deploy " + id}
		}
		h.Stage(doraflow.FactSet{
			Deployments: []doraflow.Deployment{dep("a1", "api", "platform", "production", at(2, 10)), dep("a2", "api", "platform", "staging", at(3, 10)),
				dep("w1", "web", "frontend", "production", at(4, 10))},
			Incidents: []doraflow.Incident{{ID: "i1", Source: doraflow.SourceCustom, Block: "manual", Service: "api", Team: "platform",
				CreatedAt: at(2, 11), ResolvedAt: at(2, 12), Title: "api down after a1"}},
		})
		h.Promote()

		ln, err := net.Listen("tcp", "127.0.0.1:0")
		mustDo(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ready := make(chan string, 1)
		done := make(chan error, 1)
		now := at(20, 1)
		go func() {
			done <- serverFor(h, server{listener: ln, clock: clockwork.NewFakeClockAt(now), ready: func(addr string) { ready <- addr }}).run(ctx)
		}()
		base := "http://" + <-ready
		do := func(method, path, token, body string) (int, string) {
			t.Helper()
			req, err := http.NewRequest(method, base+path, strings.NewReader(body))
			mustDo(t, err)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := http.DefaultClient.Do(req)
			mustDo(t, err)
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			mustDo(t, err)
			return resp.StatusCode, string(b)
		}
		metricsJSON := func(q metrics.Query) string {
			t.Helper()
			r, err := h.P.Metrics(h.Ctx, q, pipeline.MetricsOptions{})
			mustDo(t, err)
			var b bytes.Buffer
			mustDo(t, metrics.WriteJSON(&b, r))
			return b.String()
		}
		explainJSON := func(what string, from, to time.Time, env string, wantCount int) string {
			t.Helper()
			items, err := h.P.Explain(h.Ctx, pipeline.ExplainQuery{What: what, From: from, To: to, Environment: env})
			mustDo(t, err)
			if len(items) != wantCount {
				t.Fatalf("explain %s: %d items, want %d", what, len(items), wantCount)
			}
			var b bytes.Buffer
			mustDo(t, writeItemsJSON(&b, what, from, to, items))
			return b.String()
		}
		defFrom, defTo, err := window("", "", time.UTC, now)
		mustDo(t, err)

		{ // It answers as the commands print.
			for _, tc := range []struct {
				name, path, token, want string
			}{
				{"metrics by team", "/api/v1/metrics?from=2024-01-01&to=2024-01-15&group_by=team", readToken,
					metricsJSON(metrics.Query{From: jan(1), To: jan(15), GroupBy: "team", Period: "none"})},
				{"metrics of staging, weekly", "/api/v1/metrics?from=2024-01-01&to=2024-01-15&group_by=none&period=week&environment=staging", writeToken,
					metricsJSON(metrics.Query{From: jan(1), To: jan(15), GroupBy: "none", Period: "week", Environment: "staging"})},
				{"metrics of one service, at a time of day", "/api/v1/metrics?from=2024-01-02T10:30:00Z&to=2024-01-15&service=web", readToken,
					metricsJSON(metrics.Query{From: at(2, 10).Add(30 * time.Minute), To: jan(15), GroupBy: "service", Period: "none", Service: "web"})},
				{"metrics, default window", "/api/v1/metrics", readToken,
					metricsJSON(metrics.Query{From: defFrom, To: defTo, GroupBy: "service", Period: "none"})},
				{"failures", "/api/v1/explain/failures?from=2024-01-01&to=2024-01-15", readToken, explainJSON("failures", jan(1), jan(15), "", 1)},
				{"incidents", "/api/v1/explain/incidents?from=2024-01-01&to=2024-01-15", writeToken, explainJSON("incidents", jan(1), jan(15), "", 1)},
				{"deployments to staging", "/api/v1/explain/deployments?from=2024-01-01&to=2024-01-15&environment=staging", readToken,
					explainJSON("deployments", jan(1), jan(15), "staging", 1)},
				{"deployments, default window", "/api/v1/explain/deployments", readToken, explainJSON("deployments", defFrom, defTo, "", 3)},
			} {
				code, body := do(http.MethodGet, tc.path, tc.token, "")
				if code != http.StatusOK || body != tc.want {
					t.Errorf("%s: GET %s: %d\n%s\nwant 200 and\n%s", tc.name, tc.path, code, body, tc.want)
				}
			}
		}

		{ // It refuses what it must, saying why.
			for _, tc := range []struct {
				method, path, token, body string
				code                      int
				says                      string
			}{
				{"GET", "/api/v1/metrics", "", "", 401, "bearer token"},
				{"GET", "/api/v1/explain/failures", "not-a-token-at-all-0000", "", 401, "bearer token"},
				{"GET", "/api/v1/metrics?group_by=galaxy", readToken, "", 400, `parameter group_by="galaxy": use one of service, team, repository, environment, none`},
				{"GET", "/api/v1/metrics?period=year", readToken, "", 400, `parameter period="year"`},
				{"GET", "/api/v1/metrics?from=yesterday", readToken, "", 400, `parameter from "yesterday": use YYYY-MM-DD or RFC 3339`},
				{"GET", "/api/v1/metrics?from=2024-02-01&to=2024-01-01", readToken, "", 400, "parameter from 2024-02-01T00:00:00Z is not before parameter to"},
				{"GET", "/api/v1/metrics?format=csv", readToken, "", 400, `unknown parameter "format": use from, to, group_by`},
				{"GET", "/api/v1/metrics?service=api&service=web", readToken, "", 400, "parameter service is given 2 times"},
				{"GET", "/api/v1/explain/failures?group_by=team", readToken, "", 400, `unknown parameter "group_by": use from, to, service, team, environment`},
				{"GET", "/api/v1/explain/nothing", readToken, "", 400, `unknown subject "nothing"`},
				{"POST", "/api/v1/deployments", readToken, `{"id":"x","service":"api"}`, 403, "read token"},
			} {
				code, body := do(tc.method, tc.path, tc.token, tc.body)
				var doc struct{ Error string }
				if code != tc.code || json.Unmarshal([]byte(body), &doc) != nil || !strings.Contains(doc.Error, tc.says) {
					t.Errorf("%s %s: %d %q, want %d with an error saying %q", tc.method, tc.path, code, body, tc.code, tc.says)
				}
				if strings.Contains(body, readToken) || strings.Contains(body, writeToken) {
					t.Errorf("%s %s: the answer shows a token: %q", tc.method, tc.path, body)
				}
			}
			// The write token still writes: the 403 is for read tokens only.
			if code, body := do("POST", "/api/v1/deployments", writeToken, `{"id":"x","service":"api","deployed_at":"2024-01-05T10:00:00Z"}`); code != http.StatusCreated {
				t.Errorf("POST with the write token: %d %s, want 201", code, body)
			}
		}

		cancel()
		select {
		case err := <-done:
			mustDo(t, err)
		case <-time.After(20 * time.Second):
			t.Fatal("the server did not stop")
		}
	})
}
