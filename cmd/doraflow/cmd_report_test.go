package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"doraflow/load/clickhouse/clickhousetest"
)

func TestReport(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		c := newCLI(t, "")
		dir := t.TempDir()
		mustRun := func(args ...string) string {
			t.Helper()
			code, out, errOut := c.run(args...)
			if code != 0 {
				t.Fatalf("doraflow %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
			}
			return out
		}
		mustRun("migrate")
		mustRun("record", "deployment", "--service", "api", "--id", "d1", "--deployed-at", "2024-01-02T10:00:00Z", "--url", "https://ci.example.com/deploys/d1?x=1&y=2")
		// web and staging are new on purpose: the config lists api alone.
		mustRun("record", "deployment", "--service", "web", "--new-service", "--id", "d2", "--deployed-at", "2024-01-03T10:00:00Z", "--environment", "staging", "--new-environment")
		mustRun("record", "incident", "--service", "api", "--id", "i1", "--created-at", "2024-01-02T11:00:00Z", "--resolved-at", "2024-01-02T11:45:00Z",
			"--url", "https://acme.pagerduty.com/incidents/i1", "--title", "<b>errors</b> up")

		for _, tc := range []struct {
			name string
			args []string
			want []string // in the page
		}{
			{"everything", nil, []string{"<svg", "Per service", "45m"}},
			// The lists behind the numbers, read through explain: d1 failed
			// (i1 is pinned on it by time), i1 opened and resolved.
			{"lists with links", nil, []string{
				"1 deployment that caused an incident", `<a href="https://ci.example.com/deploys/d1?x=1&amp;y=2">d1</a>`, "i1 (window)",
				"1 incident opened and 1 resolved", `<a href="https://acme.pagerduty.com/incidents/i1">i1</a>`, "&lt;b&gt;errors&lt;/b&gt; up", "d1 (window)",
			}},
			{"one environment by team", []string{"--group-by", "team", "--environment", "staging"}, []string{"Per team", "Only environment staging.",
				"0 deployments that caused an incident", "0 incidents opened and 0 resolved"}},
			{"all together", []string{"--group-by", "none"}, []string{"All together", `<td class="key">all</td><td>2</td>`}},
			{"a known service without data", []string{"--service", "api", "--from", "2023-01-01", "--to", "2023-02-01"}, []string{"No data in this window."}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".html")
				args := append([]string{"report", "--from", "2024-01-01", "--to", "2024-02-01", "--output", path}, tc.args...)
				out := mustRun(args...)
				if !strings.HasPrefix(out, "wrote "+path) {
					t.Errorf("stdout %q: want it to say where the report is", out)
				}
				page, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				for _, want := range tc.want {
					if !strings.Contains(string(page), want) {
						t.Errorf("the report does not say %q", want)
					}
				}
			})
		}

		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"report", "--service", "nope"}, `unknown service "nope"`},
			{[]string{"report", "--group-by", "galaxy"}, `--group-by "galaxy"`},
			{[]string{"report", "--from", "2024-02-01", "--to", "2024-01-01"}, "is not before"},
		} {
			code, _, errOut := c.run(append(tc.args, "--output", filepath.Join(dir, "bad.html"))...)
			if code != 2 || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("%v: exit %d, stderr %q: want exit 2 and one line saying %s", tc.args, code, errOut, tc.want)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "bad.html")); !os.IsNotExist(err) {
			t.Errorf("a refused report left a file: %v", err)
		}
	})
}
