package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigValidateWarns: a config that is valid but will count the
// wrong things passes validation (exit 0, "ok" on stdout) with one
// warning per doubtful block on stderr, each with file:line; a config
// without such blocks validates with nothing on stderr.
func TestConfigValidateWarns(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		warnings   []string // each a line of stderr, in order
	}{
		{"no blocks", "timezone: UTC\n", []string{"doraflow.yaml: warning: no deployments: or incidents: blocks"}},
		{"workflow_run without workflow, unmapped repository",
			"services:\n  - name: api\n    team: platform\n    repositories: [acme/api]\ndeployments:\n  - name: runs\n    method: workflow_run\n    repositories: [acme/api]\n  - name: pay\n    method: release\n    repositories: [acme/pay]\n",
			[]string{`doraflow.yaml:6: warning: deployments[0].filters: block "runs": a workflow_run block without a workflow filter`,
				`doraflow.yaml:9: warning: deployments[1].repositories: block "pay": no services: entry maps "acme/pay"`}},
		{"nothing to warn about",
			"services:\n  - name: api\n    team: platform\n    repositories: [acme/api]\ndeployments:\n  - name: runs\n    method: workflow_run\n    repositories: [acme/api]\n    filters:\n      workflow: deploy.yml\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "doraflow.yaml")
			if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"--config", path, "config", "validate"}, &out, &errOut)
			if code != 0 || !strings.Contains(out.String(), ": ok (") {
				t.Fatalf("exit %d, stdout %q, stderr %q: want exit 0 and ok", code, out.String(), errOut.String())
			}
			var lines []string
			if s := strings.TrimSpace(strings.ReplaceAll(errOut.String(), path, "doraflow.yaml")); s != "" {
				lines = strings.Split(s, "\n")
			}
			if len(lines) != len(tc.warnings) {
				t.Fatalf("%d lines on stderr, want %d warnings:\n%s", len(lines), len(tc.warnings), errOut.String())
			}
			for i, want := range tc.warnings {
				if !strings.HasPrefix(lines[i], want) {
					t.Errorf("stderr line %d = %q, want it to start with %q", i+1, lines[i], want)
				}
			}
		})
	}
}
