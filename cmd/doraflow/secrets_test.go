package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/internal/fakeapi"
	"doraflow/load/clickhouse/clickhousetest"
)

// secretEnv are the credentials TestNoSecretInAnyOutput uses, by the
// variable that carries each. Every value holds the marker "SECRET", so
// that even part of one is found.
var secretEnv = map[string]string{
	"T_PD_TOKEN":     "pd-SECRET-3f9a1c",
	"T_BAD_PD_TOKEN": "pd-SECRET-refused-77b2",
	"T_NL_PD_TOKEN":  "pd-SECRET-newline\n",
	"T_API_TOKEN":    "api-SECRET-c0ffee",
	"T_API_TOKEN2":   "api-SECRET-2-bead",
	"T_CH_PASSWORD":  "ch-SECRET-d00d",
	"T_GH_TOKEN":     "ghp_SECRETgithub0000",
}

// guessedBearer is what a caller without a valid token tries.
const guessedBearer = "api-SECRET-guess-1234"

// TestNoSecretInAnyOutput runs the whole pipeline with secrets from ${VAR}
// references, debug logging and injected faults — PagerDuty answering 503
// or dropping the connection, a refused token, a PagerDuty that never
// answers, API calls with a wrong token — and captures everything doraflow
// shows: stdout and stderr (logs) of every command, `config validate -v`,
// the run ledger (status and the runs table), /metrics and the answers of
// `doraflow run`, and the errors with the URLs of failed requests. No
// secret, nor a part of one, may appear in any of it.
func TestNoSecretInAnyOutput(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		for k, v := range secretEnv {
			t.Setenv(k, v)
		}
		type capture struct{ what, text string }
		var captured []capture
		keep := func(what, text string) { captured = append(captured, capture{what, text}) }
		// do runs one command line with debug logging and keeps its output.
		do := func(c *cli, wantCode int, args ...string) string {
			t.Helper()
			code, out, errOut := c.run(append([]string{"--log-level", "debug"}, args...)...)
			keep(fmt.Sprintf("doraflow %s: stdout", strings.Join(args, " ")), out)
			keep(fmt.Sprintf("doraflow %s: stderr", strings.Join(args, " ")), errOut)
			if code != wantCode {
				t.Fatalf("doraflow %s: exit %d, want %d\n%s", strings.Join(args, " "), code, wantCode, errOut)
			}
			return out + errOut
		}
		// The PagerDuty account's incidents lie in the month before today,
		// which the first sync reads.
		today := time.Now().UTC().Truncate(24 * time.Hour)
		monthAgo := today.AddDate(0, 0, -30).Format("2006-01-02")
		pdFake := func(faults fakeapi.Policy) string {
			data := pagerdutyfake.Generate(3, pagerdutyfake.Size{Services: 3, Incidents: 40, Span: 20 * 24 * time.Hour, End: today})
			srv := pagerdutyfake.NewServer(data, pagerdutyfake.Options{Token: secretEnv["T_PD_TOKEN"], Faults: faults})
			srv.Start()
			t.Cleanup(srv.Close)
			return srv.URL()
		}
		pdConfig := func(url, tokenVar string) string {
			return fmt.Sprintf("pagerduty:\n  base_url: %s\n  token: ${%s}\nincidents:\n  - {name: pd, method: pagerduty}\n", url, tokenVar)
		}

		// A config that is only validated: ClickHouse refuses any password,
		// and the test server has none.
		validated := filepath.Join(t.TempDir(), "validated.yaml")
		body := "clickhouse:\n  password: ${T_CH_PASSWORD}\ngithub:\n  token: ${T_GH_TOKEN}\n" + pdConfig("https://api.pagerduty.com", "T_PD_TOKEN") +
			"server:\n  tokens:\n    - ${T_API_TOKEN}\n    - ${T_API_TOKEN2}\n"
		if err := os.WriteFile(validated, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		c := &cli{t: t, config: validated}
		if out := do(c, 0, "config", "validate", "-v"); !strings.Contains(out, "[redacted]") {
			t.Fatalf("config validate -v shows no redacted secret:\n%s", out)
		}
		invalid := filepath.Join(t.TempDir(), "invalid.yaml")
		if err := os.WriteFile(invalid, []byte(strings.Replace(body, "${T_PD_TOKEN}", "${T_NL_PD_TOKEN}", 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		c = &cli{t: t, config: invalid}
		if out := do(c, 2, "config", "validate", "-v"); !strings.Contains(out, "pagerduty.token") {
			t.Fatalf("a token with a newline: %s", out)
		}

		// The pipeline, with PagerDuty's first answer a 503, its second a
		// dropped connection and every fourth a 503: retries log the failed
		// requests.
		unavailable, dropped := fakeapi.Fault{Status: 503}, fakeapi.Fault{Drop: true}
		flaky := pdFake(fakeapi.First(fakeapi.FailAt(unavailable, 1), fakeapi.FailAt(dropped, 2), fakeapi.FailEvery(4, unavailable)))
		addr := freeAddr(t)
		c = newCLI(t, pdConfig(flaky, "T_PD_TOKEN")+fmt.Sprintf("server:\n  listen: %s\n  tokens: [\"${T_API_TOKEN}\", \"${T_API_TOKEN2}\"]\n", addr))
		do(c, 0, "migrate")
		if out := do(c, 0, "sync"); !strings.Contains(out, "retrying PagerDuty request") {
			t.Fatalf("no request was retried; the faults did not happen:\n%s", out)
		}
		do(c, 0, "backfill", "--from", monthAgo, "--to", today.Format("2006-01-02"), "--chunk", "168h")
		do(c, 0, "record", "deployment", "--service", "api", "--id", "d1", "--deployed-at", "2024-12-20T10:00:00Z")
		do(c, 0, "record", "incident", "--service", "api", "--id", "i1", "--created-at", "2024-12-20T11:00:00Z")
		do(c, 0, "promote")
		do(c, 0, "metrics", "--from", monthAgo, "--format", "json")
		do(c, 0, "explain", "incidents", "--from", monthAgo, "--format", "csv")

		d := c.startDaemon(addr, "--log-level", "debug")
		for _, call := range []struct {
			method, path, token, body string
			want                      int
		}{
			{http.MethodPost, "/api/v1/deployments", secretEnv["T_API_TOKEN"], `{"id":"d2","service":"api","deployed_at":"2024-12-21T10:00:00Z"}`, http.StatusCreated},
			{http.MethodPost, "/api/v1/incidents", secretEnv["T_API_TOKEN2"], `{"id":"i1","service":"api","created_at":"2024-12-20T11:00:00Z","resolved_at":"2024-12-20T12:00:00Z"}`, http.StatusOK},
			{http.MethodPost, "/api/v1/deployments", guessedBearer, `{"service":"api"}`, http.StatusUnauthorized},
			{http.MethodPost, "/api/v1/deployments", "", `{"service":"api"}`, http.StatusUnauthorized},
			{http.MethodPost, "/api/v1/deployments", secretEnv["T_API_TOKEN"], `{"service":"api","deployed_at":"yesterday"}`, http.StatusBadRequest},
			{http.MethodGet, "/healthz", "", "", http.StatusOK},
			{http.MethodGet, "/metrics", "", "", http.StatusOK},
		} {
			code, resp := d.request(call.method, call.path, call.token, call.body)
			keep(call.method+" "+call.path+" answer", resp)
			if code != call.want {
				t.Fatalf("%s %s: %d %s, want %d", call.method, call.path, code, resp, call.want)
			}
		}
		if code := d.stop(); code != 0 {
			t.Fatalf("doraflow run exited %d:\n%s", code, d.stderr.String())
		}
		keep("doraflow run: stdout", d.stdout.String())
		keep("doraflow run: stderr", d.stderr.String())
		do(c, 0, "status", "--runs", "1000")
		runs, err := openStore(t, c).RecentRuns(context.Background(), 1000)
		if err != nil {
			t.Fatal(err)
		}
		keep("the runs table", fmt.Sprintf("%+v", runs))

		// A token PagerDuty refuses, and a PagerDuty that drops every
		// connection: the errors name what failed, and where.
		c = newCLI(t, pdConfig(flaky, "T_BAD_PD_TOKEN"))
		do(c, 0, "migrate")
		if out := do(c, 1, "sync"); !strings.Contains(out, "token was refused") {
			t.Fatalf("refused token: %s", out)
		}
		down := pdFake(fakeapi.FailEvery(1, dropped))
		c = newCLI(t, pdConfig(down, "T_PD_TOKEN"))
		do(c, 0, "migrate")
		if out := do(c, 1, "sync"); !strings.Contains(out, down+"/incidents") || !strings.Contains(out, "gave up") {
			t.Fatalf("unreachable PagerDuty: want the URL of the failed request in\n%s", out)
		}
		runs, err = openStore(t, c).RecentRuns(context.Background(), 1000)
		if err != nil {
			t.Fatal(err)
		}
		keep("the runs table after failures", fmt.Sprintf("%+v", runs))

		for _, c := range captured {
			for name, v := range secretEnv {
				if strings.Contains(c.text, strings.TrimSpace(v)) {
					t.Errorf("%s shows the value of %s:\n%s", c.what, name, c.text)
				}
			}
			if strings.Contains(c.text, guessedBearer) {
				t.Errorf("%s shows the token a caller guessed:\n%s", c.what, c.text)
			}
			if strings.Contains(c.text, "SECRET") {
				t.Errorf("%s shows part of a secret:\n%s", c.what, c.text)
			}
		}
	})
}
