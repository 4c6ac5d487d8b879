package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
