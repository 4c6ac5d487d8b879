package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/load/clickhouse"
	"doraflow/load/clickhouse/clickhousetest"
)

// edgeCase is one command line of the rough-edges goldens
// (testdata/edges/<name>.golden) and the exit status it must have.
type edgeCase struct {
	name string
	args []string
	code int
}

// TestUnknownFilters checks that every command reading the metrics
// refuses an unknown --service or --team as report does (exit 2, the
// known names, the nearest one) instead of printing "no data", and still
// answers for a known name.
func TestUnknownFilters(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		c := newCLI(t, "")
		mustCLI(t, c, "migrate")
		mustCLI(t, c, "record", "deployment", "--service", "api", "--id", "d1", "--deployed-at", "2024-01-02T10:00:00Z")
		window := []string{"--from", "2024-01-01", "--to", "2024-01-08"}
		checkEdgeCases(t, c, []edgeCase{
			{name: "metrics-unknown-service", args: []string{"metrics", "--service", "nosuch"}, code: 2},
			{name: "metrics-service-typo", args: []string{"metrics", "--service", "apj"}, code: 2},
			{name: "metrics-unknown-team", args: []string{"metrics", "--team", "nosuch"}, code: 2},
			{name: "explain-unknown-service", args: []string{"explain", "deployments", "--service", "nothing"}, code: 2},
			{name: "explain-team-typo", args: []string{"explain", "incidents", "--team", "platfrom"}, code: 2},
			{name: "report-unknown-service", args: []string{"report", "--service", "nosuch"}, code: 2},
			{name: "report-unknown-team", args: []string{"report", "--team", "nosuch"}, code: 2},
			{name: "metrics-known-filters", args: append([]string{"metrics", "--service", "api", "--team", "platform"}, window...)},
		})
	})
}

// mustCLI runs one command line that must succeed.
func mustCLI(t *testing.T, c *cli, args ...string) string {
	t.Helper()
	code, out, errOut := c.run(args...)
	if code != 0 {
		t.Fatalf("doraflow %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// checkEdgeCases runs each case and compares its exit status, stdout and
// stderr (info logs left out) with its golden file; a failure is one line
// on stderr.
func checkEdgeCases(t *testing.T, c *cli, cases []edgeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := c.run(tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
			errOut = withoutInfoLogs(t, errOut)
			if code != 0 && strings.Count(errOut, "\n") != 1 {
				t.Errorf("want one line on stderr, got %q", errOut)
			}
			normal := func(s string) string { return strings.ReplaceAll(s, c.config, "$CONFIG") }
			checkGolden(t, filepath.Join("testdata", "edges", tc.name+".golden"), transcript(tc.args, code, normal(out), normal(errOut)))
		})
	}
}

// TestConfigAddNamesTheFlag checks that a mistake in the block given to
// config add-* is reported at the flag that gave it, with the value as
// typed, and not at a line of a file that was never written.
func TestConfigAddNamesTheFlag(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doraflow.yaml")
	const body = "# the team's config\ndeployments:\n  - name: manual\n    method: custom\n"
	mustDo(t, os.WriteFile(path, []byte(body), 0o600))
	c := &cli{t: t, config: path}
	for _, tc := range []edgeCase{
		{name: "add-filter-typo", args: []string{"config", "add-deployment", "--name", "rel", "--method", "release", "--repositories", "acme/app",
			"--filter", "tag_patern=v*", "--filter", "base_branch=main", "--no-preview"}, code: 2},
		{name: "add-method-typo", args: []string{"config", "add-incident", "--name", "pd", "--method", "pagerdty", "--no-preview"}, code: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := c.run(tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", code, tc.code, errOut)
			}
			if strings.Contains(errOut, "doraflow.yaml:") {
				t.Errorf("stderr names a line of the file:\n%s", errOut)
			}
			if got := readFileString(t, path); got != body {
				t.Errorf("config changed:\n%s", got)
			}
			normal := func(s string) string { return strings.ReplaceAll(s, path, "$CONFIG") }
			checkGolden(t, filepath.Join("testdata", "edges", tc.name+".golden"), transcript(tc.args, code, normal(out), normal(errOut)))
		})
	}
}

func readFileString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	mustDo(t, err)
	return string(b)
}

// TestStatusShowsTheWholeError checks that status prints a failed run's
// error whole, however long: its cause is at its end.
func TestStatusShowsTheWholeError(t *testing.T) {
	start := time.Date(2024, 1, 2, 10, 0, 0, 0, time.UTC)
	cause := "error calling the API endpoint: GET http://127.0.0.1:1/incidents: gave up after 5 attempts: dial tcp 127.0.0.1:1: connect: connection refused"
	runs := []clickhouse.Run{{Job: "sync", Source: "pagerduty", Block: "pd", Started: start, Finished: start.Add(2945 * time.Millisecond), Status: "failed",
		Requests: 5, Error: "pagerduty: GET /incidents (since 2024-01-01T00:00:00Z, until 2024-01-02T10:00:00Z, offset 0):\n" + cause}}
	var out bytes.Buffer
	mustDo(t, writeStatus(&out, runs, nil))
	if !strings.Contains(out.String(), cause+"\n") {
		t.Errorf("status cut the error or did not end its row with it:\n%s", out.String())
	}
	checkGolden(t, filepath.Join("testdata", "edges", "status-long-error.golden"), out.String())
}

// TestLogDurationsHaveUnits runs a sync as the doraflow process does (the
// test binary as main, see TestMain) and checks that every duration in
// its JSON log carries its unit ("took":"12ms"), not a bare number.
func TestLogDurationsHaveUnits(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		data := pagerdutyfake.New()
		mustDo(t, data.AddService(pagerdutyfake.Service{ID: "PAPI", Name: "api"}))
		at := time.Now().UTC().Add(-48 * time.Hour)
		if _, err := data.AddIncident(pagerdutyfake.Incident{ServiceID: "PAPI", CreatedAt: at, ResolvedAt: at.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		srv := pagerdutyfake.NewServer(data, pagerdutyfake.Options{})
		srv.Start()
		defer srv.Close()
		c := newCLI(t, fmt.Sprintf("pagerduty:\n  base_url: %s\n  token: %s\nincidents:\n  - name: pd\n    method: pagerduty\n", srv.URL(), pagerdutyfake.DefaultToken))
		mustCLI(t, c, "migrate")
		child := exec.Command(os.Args[0], "--config", c.config, "sync")
		child.Env = append(os.Environ(), "DORAFLOW_AS_MAIN=1", "TEST_CH_PASSWORD=")
		var stderr bytes.Buffer
		child.Stderr = &stderr
		if err := child.Run(); err != nil {
			t.Fatalf("sync: %v\n%s", err, stderr.String())
		}
		took := 0
		for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("log line is not JSON: %q", line)
			}
			v, ok := rec["took"]
			if !ok {
				continue
			}
			took++
			s, isString := v.(string)
			if d, err := time.ParseDuration(s); !isString || err != nil || d != d.Round(time.Millisecond) {
				t.Errorf("took = %#v in %s: want a duration with its unit, to the millisecond", v, line)
			}
		}
		// One line for the read of the block, one for the run in the ledger.
		if took != 2 {
			t.Errorf("%d log lines with took, want 2:\n%s", took, stderr.String())
		}
	})
}

// TestConfigTabError checks that a tab in the config's indentation is
// named as such, with what to do, rather than as YAML's scanner error.
func TestConfigTabError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doraflow.yaml")
	mustDo(t, os.WriteFile(path, []byte("timezone: UTC\ndeployments:\n\t- name: manual\n\t  method: custom\n"), 0o600))
	args := []string{"config", "validate"}
	code, out, errOut := (&cli{t: t, config: path}).run(args...)
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s", code, errOut)
	}
	checkGolden(t, filepath.Join("testdata", "edges", "config-tab.golden"), transcript(args, code, out, strings.ReplaceAll(errOut, path, "$CONFIG")))
}
