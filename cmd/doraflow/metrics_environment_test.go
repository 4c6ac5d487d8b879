package main

import (
	"path/filepath"
	"strings"
	"testing"

	"doraflow/load/clickhouse/clickhousetest"
)

// TestMetricsEnvironment checks `metrics --environment` against
// testdata/metrics/*.golden: only that environment's deployments, and
// incidents only in production, where they happen.
func TestMetricsEnvironment(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		c := newCLI(t, "  - name: web\n    team: frontend\n")
		for _, args := range [][]string{
			{"migrate"},
			{"record", "deployment", "--service", "api", "--id", "d1", "--deployed-at", "2024-01-02T10:00:00Z"},
			{"record", "deployment", "--service", "api", "--id", "d2", "--deployed-at", "2024-01-02T09:00:00Z", "--environment", "staging", "--new-environment"},
			{"record", "deployment", "--service", "web", "--id", "d3", "--deployed-at", "2024-01-03T10:00:00Z", "--environment", "staging"},
			{"record", "incident", "--service", "api", "--id", "i1", "--created-at", "2024-01-02T11:00:00Z", "--resolved-at", "2024-01-02T11:45:00Z"},
		} {
			if code, _, errOut := c.run(args...); code != 0 {
				t.Fatalf("doraflow %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
			}
		}
		window := []string{"metrics", "--from", "2024-01-01", "--to", "2024-01-08"}
		for _, tc := range []struct {
			name string
			args []string
		}{
			{"environment-staging", []string{"--environment", "staging"}},
			{"environment-production-none", []string{"--environment", "production", "--group-by", "none", "--format", "json"}},
			{"environment-unknown", []string{"--environment", "nope", "--format", "csv"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				args := append(append([]string{}, window...), tc.args...)
				code, out, errOut := c.run(args...)
				checkGolden(t, filepath.Join("testdata", "metrics", tc.name+".golden"), transcript(args, code, out, errOut))
			})
		}
	})
}
