package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"doraflow/load/clickhouse/clickhousetest"
)

// TestReadersWarnWhenTheConfigChanged records a deployment, changes the
// time zone and the team of its service, and reads: metrics, explain and
// report each print one warning line on stderr naming what changed and
// saying to run promote, and still answer; after promote none warns.
func TestReadersWarnWhenTheConfigChanged(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		c := newCLI(t, "")
		mustRun := func(args ...string) (string, string) {
			t.Helper()
			code, out, errOut := c.run(args...)
			if code != 0 {
				t.Fatalf("doraflow %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
			}
			return out, errOut
		}
		mustRun("migrate")
		mustRun("record", "deployment", "--service", "api", "--id", "d1", "--deployed-at", "2024-01-02T10:00:00Z")

		body, err := os.ReadFile(c.config)
		mustDo(t, err)
		changed := strings.Replace(string(body), "team: platform", "team: core", 1) + "timezone: America/Los_Angeles\n"
		mustDo(t, os.WriteFile(c.config, []byte(changed), 0o600))

		report := filepath.Join(t.TempDir(), "report.html")
		readers := [][]string{
			{"metrics", "--from", "2024-01-01", "--to", "2024-01-08", "--format", "json"},
			{"explain", "deployments", "--from", "2024-01-01", "--to", "2024-01-08"},
			{"report", "--from", "2024-01-01", "--to", "2024-01-08", "--output", report},
		}
		for _, args := range readers {
			out, errOut := mustRun(args...)
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], "(timezone, services)") || !strings.Contains(lines[0], "run `doraflow promote`") {
				t.Errorf("doraflow %s: stderr %q, want one warning naming timezone and services and saying to run promote", args[0], errOut)
			}
			if args[0] != "report" && !strings.Contains(out, "d1") && !strings.Contains(out, "api") {
				t.Errorf("doraflow %s: no answer on stdout: %q", args[0], out)
			}
		}
		mustRun("promote")
		for _, args := range readers {
			if _, errOut := mustRun(args...); errOut != "" {
				t.Errorf("doraflow %s after promote: stderr %q, want nothing", args[0], errOut)
			}
		}
		if out, _ := mustRun(readers[0]...); !strings.Contains(out, `"team": "core"`) {
			t.Errorf("metrics after promote: %s, want team core", out)
		}
	})
}
