package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"doraflow"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/metrics"
)

// nastyText are values that break code which builds SQL, CSV, JSON or
// terminal output by pasting text: quotes that end a literal, comments,
// backslashes, the placeholders of clickhouse-go and of ClickHouse,
// format verbs, markup, and Unicode and control characters (which ids and
// names refuse, so those values are recorded as titles only).
var nastyText = []string{
	`x'); DROP TABLE deployments; --`,
	`x"); DROP TABLE incidents; /*`,
	`' OR '1'='1`,
	`back\slash \' \\' ends in \`,
	"`backticks` $dollar ${HOME}",
	`? @ids @services {p:String} $1`,
	`%s %d %v %!(NOVERB)`,
	`<script>alert("x")</script>, "a","b"`,
	"unicode café ☕ 日本語 🚀 \u202eevil",
	"control \x01\x07\x1b[31mred\x7f\ttab",
}

// TestNastyTextIsStoredAndReportedAsText records a deployment and an
// incident for every value through `doraflow record` and through the HTTP
// API, and checks that each is stored as it was sent, reported as text by
// metrics and explain, and that every table still exists: all SQL is
// parameterised or built from validated identifiers. A value that would
// act on a terminal is refused as an id or name (exit 2, 400), stored as a
// title, and escaped by the explain table.
func TestNastyTextIsStoredAndReportedAsText(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		const token = "nasty-api-token-0123"
		addr := freeAddr(t)
		c := newCLI(t, fmt.Sprintf("server:\n  listen: %s\n  tokens: [%s]\n", addr, token))
		mustRun := func(args ...string) string {
			t.Helper()
			code, out, errOut := c.run(args...)
			if code != 0 {
				t.Fatalf("doraflow %q: exit %d\n%s", args, code, errOut)
			}
			return out
		}
		mustRun("migrate")
		store := openStore(t, c)
		ctx := context.Background()
		tables, err := store.Tables(ctx)
		if err != nil {
			t.Fatal(err)
		}

		for i, s := range nastyText {
			n := nastyName(i, s)
			if n != s {
				if code, _, errOut := c.run("record", "deployment", "--service", s, "--deployed-at", "2024-01-02T10:00:00Z"); code != 2 || !strings.Contains(errOut, "--service") {
					t.Errorf("record deployment --service %q: exit %d %s, want 2 naming --service", s, code, errOut)
				}
			}
			// Each name is a new service on purpose.
			mustRun("record", "deployment", "--service", n, "--new-service", "--id", n+" cli", "--sha", n, "--title", s, "--deployed-at", "2024-01-02T10:00:00Z")
			mustRun("record", "incident", "--service", n, "--new-service", "--id", n+" cli", "--title", s, "--deployment", n+" cli",
				"--created-at", "2024-01-02T11:00:00Z", "--resolved-at", "2024-01-02T12:00:00Z")
		}
		d := c.startDaemon(addr)
		for i, s := range nastyText {
			n := nastyName(i, s)
			if n != s {
				body, _ := json.Marshal(map[string]string{"service": s})
				if code, resp := d.request(http.MethodPost, "/api/v1/deployments", token, string(body)); code != http.StatusBadRequest || !strings.Contains(resp, "service: contains") {
					t.Errorf("POST service %q: %d %s, want 400 naming service", s, code, resp)
				}
			}
			// In order: the incident names the deployment, which must be
			// recorded first.
			for _, r := range []struct {
				path string
				rec  map[string]any
			}{
				{"/api/v1/deployments", map[string]any{"id": n + " api", "service": n, "new_service": true, "sha": n, "title": s, "deployed_at": "2024-01-03T10:00:00Z"}},
				{"/api/v1/incidents", map[string]any{"id": n + " api", "service": n, "new_service": true, "title": s, "deployment_id": n + " api", "created_at": "2024-01-03T11:00:00Z", "resolved_at": "2024-01-03T12:00:00Z"}},
			} {
				path := r.path
				body, err := json.Marshal(r.rec)
				if err != nil {
					t.Fatal(err)
				}
				if code, resp := d.request(http.MethodPost, path, token, string(body)); code != http.StatusCreated {
					t.Fatalf("POST %s %s: %d %s", path, body, code, resp)
				}
			}
		}
		if code := d.stop(); code != 0 {
			t.Fatalf("doraflow run exited %d:\n%s", code, d.stderr.String())
		}
		mustRun("promote")

		after, err := store.Tables(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(after, tables) {
			t.Fatalf("tables changed:\nbefore %v\nafter  %v", tables, after)
		}
		dump, err := store.DumpFacts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		deployments, incidents := map[string]doraflow.Deployment{}, map[string]doraflow.Incident{}
		for _, dep := range dump.Deployments {
			deployments[dep.ID] = dep
		}
		for _, in := range dump.Incidents {
			incidents[in.ID] = in
		}

		var report struct {
			Rows []struct {
				Service     string `json:"service"`
				Deployments int    `json:"deployments"`
				Failed      int    `json:"failed_deployments"`
				Incidents   int    `json:"incidents"`
			} `json:"rows"`
		}
		window := []string{"--from", "2024-01-01", "--to", "2024-01-08"}
		if err := json.Unmarshal([]byte(mustRun(append([]string{"metrics", "--format", "json"}, window...)...)), &report); err != nil {
			t.Fatal(err)
		}
		csvRows, err := csv.NewReader(strings.NewReader(mustRun(append([]string{"metrics", "--format", "csv"}, window...)...))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var explained struct {
			Items []struct {
				Service string `json:"service"`
				Title   string `json:"title"`
			} `json:"items"`
		}
		if err := json.Unmarshal([]byte(mustRun(append([]string{"explain", "incidents", "--format", "json"}, window...)...)), &explained); err != nil {
			t.Fatal(err)
		}
		if table := mustRun(append([]string{"explain", "incidents"}, window...)...); rawTerminalText(table) {
			t.Errorf("explain incidents prints control or bidi characters raw:\n%q", table)
		}

		for i, s := range nastyText {
			n := nastyName(i, s)
			for _, via := range []string{" cli", " api"} {
				dep, in := deployments[n+via], incidents[n+via]
				if dep.Service != n || dep.SHA != n || dep.Title != s {
					t.Errorf("deployment %q stored as %+v", n+via, dep)
				}
				if in.Service != n || in.Title != s || in.DeploymentID != n+via {
					t.Errorf("incident %q stored as %+v", n+via, in)
				}
			}
			found := false
			for _, r := range report.Rows {
				if r.Service == n {
					found = r.Deployments == 2 && r.Failed == 2 && r.Incidents == 2
				}
			}
			if !found {
				t.Errorf("metrics --format json: no row for %q with 2 deployments, 2 failed and 2 incidents: %+v", s, report.Rows)
			}
			if !hasCSVRow(csvRows, n) {
				t.Errorf("metrics --format csv: no row for %q", n)
			}
			items := 0
			for _, it := range explained.Items {
				if it.Service == n && it.Title == s {
					items++
				}
			}
			if items != 2 {
				t.Errorf("explain incidents --format json: %d items of %q, want 2", items, s)
			}
		}
	})
}

// nastyName is the id, service and sha the i-th nasty value is recorded
// under: the value itself, or a plain stand-in for one that ids and names
// refuse because it would act on a terminal.
func nastyName(i int, s string) string {
	if metrics.Text(s) != s {
		return fmt.Sprintf("nasty-%d", i)
	}
	return s
}

func hasCSVRow(rows [][]string, first string) bool {
	for _, r := range rows {
		if len(r) > 0 && r[0] == first {
			return true
		}
	}
	return false
}
