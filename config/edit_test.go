package config

import (
	"doraflow/sources"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"doraflow"
)

// writeConfig writes src to a fresh doraflow.yaml and returns its path.
func writeConfig(t *testing.T, src string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "doraflow.yaml")
	if err := os.WriteFile(path, []byte(src), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

var canary = BlockSpec{
	Name:         "api-canary",
	Method:       doraflow.MethodWorkflowRun,
	Repositories: []string{"acme/api", "acme/api-*"},
	Environment:  "canary",
	Filters:      []KeyValue{{"workflow", "canary.yml"}, {"branch", "main"}},
}

const canaryText = `  - name: api-canary
    method: workflow_run
    repositories: [acme/api, acme/api-*]
    environment: canary
    filters:
      workflow: canary.yml
      branch: main
`

// TestAddBlockKeepsFile proves that adding a block to the commented sample
// changes nothing but the lines of the new block, which go after the last
// block of the list and before the comment that opens the next section.
func TestAddBlockKeepsFile(t *testing.T) {
	sample := readFile(t, "doraflow.sample.yaml")
	path := writeConfig(t, sample, 0o640)
	t.Setenv("GITHUB_TOKEN", "x") // the file's other variables stay unset

	if err := AddBlock(path, Deployments, canary, sources.Registry()); err != nil {
		t.Fatal(err)
	}
	anchor := "    method: custom\n\n# Mapping blocks: what counts as an incident."
	at := strings.Index(sample, anchor) + len("    method: custom\n")
	if want := sample[:at] + canaryText + sample[at:]; readFile(t, path) != want {
		t.Errorf("file after AddBlock:\n%s\nwant:\n%s", readFile(t, path), want)
	}

	incident := BlockSpec{Name: "pagerduty-low", Method: doraflow.MethodPagerDuty, Filters: []KeyValue{
		{"urgency", "low"}, {"services", "PAPI001, PWEB001"}, {"priorities", ""},
	}}
	before := readFile(t, path)
	if err := AddBlock(path, Incidents, incident, sources.Registry()); err != nil {
		t.Fatal(err)
	}
	anchor = "    method: custom\n\nattribution:"
	at = strings.LastIndex(before, anchor) + len("    method: custom\n")
	added := "  - name: pagerduty-low\n    method: pagerduty\n    filters:\n      urgency: low\n      services: [PAPI001, PWEB001]\n      priorities: []\n"
	if want := before[:at] + added + before[at:]; readFile(t, path) != want {
		t.Errorf("file after AddBlock:\n%s\nwant:\n%s", readFile(t, path), want)
	}

	c, err := LoadWithEnv(path, sources.Registry(), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	if b := c.Deployments[len(c.Deployments)-1]; b.Name != "api-canary" || b.Environment != "canary" || b.Filters.Text("conclusion") != "success" {
		t.Errorf("last deployment block: %+v", b)
	}
	if b := c.Incidents[len(c.Incidents)-1]; b.Name != "pagerduty-low" || len(b.Filters.List("services")) != 2 {
		t.Errorf("last incident block: %+v", b)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o640 {
		t.Errorf("mode: %v, %v; want 0640", info.Mode(), err)
	}
	assertNoTempFiles(t, filepath.Dir(path))
}

func TestAddBlockLayouts(t *testing.T) {
	manual := BlockSpec{Name: "manual", Method: doraflow.MethodCustom}
	tests := []struct {
		name, src, want string
	}{
		{"no list", "timezone: UTC\n", "timezone: UTC\ndeployments:\n  - name: manual\n    method: custom\n"},
		{"no final newline", "timezone: UTC", "timezone: UTC\ndeployments:\n  - name: manual\n    method: custom\n"},
		{"empty file", "", "deployments:\n  - name: manual\n    method: custom\n"},
		{"only comments", "# nothing yet\n", "# nothing yet\ndeployments:\n  - name: manual\n    method: custom\n"},
		{"empty list", "deployments:   # none yet\ntimezone: UTC\n", "deployments:   # none yet\n  - name: manual\n    method: custom\ntimezone: UTC\n"},
		{"null list", "deployments: ~\n", "deployments:\n  - name: manual\n    method: custom\n"},
		{"flow empty list", "deployments: [] # none yet\n", "deployments: # none yet\n  - name: manual\n    method: custom\n"},
		{"compact list",
			"deployments:\n- name: a\n  method: custom\n# incidents\nincidents: []\n",
			"deployments:\n- name: a\n  method: custom\n- name: manual\n  method: custom\n# incidents\nincidents: []\n"},
		{"wide dashes",
			"deployments:\n    -   name: a\n        method: custom\n\n    # - name: old\n    #   method: custom\n\n# next\ntimezone: UTC\n",
			"deployments:\n    -   name: a\n        method: custom\n\n    # - name: old\n    #   method: custom\n    -   name: manual\n        method: custom\n\n# next\ntimezone: UTC\n"},
		{"windows line ends",
			"deployments:\r\n  - name: a\r\n    method: custom\r\n",
			"deployments:\r\n  - name: a\r\n    method: custom\r\n  - name: manual\r\n    method: custom\r\n"},
		{"null keyword", "deployments: null # later\n", "deployments: # later\n  - name: manual\n    method: custom\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.src, 0o600)
			if err := AddBlock(path, Deployments, manual, sources.Registry()); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, path); got != tt.want {
				t.Errorf("got:\n%q\nwant:\n%q", got, tt.want)
			}
		})
	}
}

func TestAddBlockFilters(t *testing.T) {
	path := writeConfig(t, "", 0o600)
	spec := BlockSpec{Name: "web", Method: doraflow.MethodMergedPR, Repositories: []string{"acme/web"}, Service: "web", Filters: []KeyValue{
		{"labels", "deploy,release"}, {"base_branch", "main"}, {"paths", "services/web/**"},
	}}
	if err := AddBlock(path, Deployments, spec, sources.Registry()); err != nil {
		t.Fatal(err)
	}
	release := BlockSpec{Name: "rel", Method: doraflow.MethodRelease, Repositories: []string{"acme/*"}, Filters: []KeyValue{
		{"tag_pattern", "*-rc"}, {"prerelease", "true"},
	}}
	if err := AddBlock(path, Deployments, release, sources.Registry()); err != nil {
		t.Fatal(err)
	}
	want := `deployments:
  - name: web
    method: merged_pr
    repositories: [acme/web]
    service: web
    filters:
      labels: [deploy, release]
      base_branch: main
      paths: [services/web/**]
  - name: rel
    method: release
    repositories: [acme/*]
    filters:
      tag_pattern: '*-rc'
      prerelease: true
`
	if got := readFile(t, path); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	c, err := LoadWithEnv(path, sources.Registry(), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	if f := c.Deployments[1].Filters; f.Text("tag_pattern") != "*-rc" || !f.Flag("prerelease") {
		t.Errorf("release filters: %+v", f)
	}
}

// TestAddBlockRefuses checks that every refusal leaves the file as it was,
// and that a problem of the block added names the flag it came from.
func TestAddBlockRefuses(t *testing.T) {
	const sample = "# keep me\ndeployments:\n  - name: manual # keep me too\n    method: custom\n"
	tests := []struct {
		name string
		src  string
		kind string
		spec BlockSpec
		want string
	}{
		{"duplicate name", sample, Deployments, BlockSpec{Name: "manual", Method: doraflow.MethodCustom},
			`--name manual: duplicate name "manual" (first at line 3): names must be unique within deployments`},
		{"unknown filter", sample, Deployments, BlockSpec{Name: "w", Method: doraflow.MethodWorkflowRun, Repositories: []string{"a/b"}, Filters: []KeyValue{{"workfow", "x"}}},
			`--filter workfow=x: unknown key "workfow" (did you mean "workflow"?)`},
		{"filter of another method", sample, Deployments, BlockSpec{Name: "w", Method: doraflow.MethodWorkflowRun, Repositories: []string{"a/b"}, Filters: []KeyValue{{"labels", "x"}}},
			`--filter labels=x: filter "labels" does not apply to method workflow_run`},
		{"bad boolean", sample, Deployments, BlockSpec{Name: "r", Method: doraflow.MethodRelease, Repositories: []string{"a/b"}, Filters: []KeyValue{{"prerelease", "yes"}}},
			`--filter prerelease=yes: invalid value "yes": use true or false`},
		{"no repositories", sample, Deployments, BlockSpec{Name: "m", Method: doraflow.MethodMergedPR},
			`--repositories: method merged_pr needs repositories`},
		{"unknown method", sample, Incidents, BlockSpec{Name: "m", Method: "opsgenie"},
			`--method opsgenie: invalid method "opsgenie": use one of pagerduty, custom`},
		{"repositories on an incident", sample, Incidents, BlockSpec{Name: "m", Method: doraflow.MethodCustom, Repositories: []string{"a/b"}},
			`--repositories a/b: incident blocks have no repositories`},
		{"no name", sample, Deployments, BlockSpec{Method: doraflow.MethodCustom},
			`--name: must not be empty`},
		{"unknown list", sample, "services", BlockSpec{Name: "x", Method: doraflow.MethodCustom},
			`adding block: unknown list "services": use deployments or incidents`},
		{"file already invalid", "timezone: Mars/Base\n", Deployments, BlockSpec{Name: "x", Method: doraflow.MethodCustom},
			`doraflow.yaml:1: timezone: unknown time zone "Mars/Base"`},
		{"file not YAML", "a: b: c\n", Deployments, BlockSpec{Name: "x", Method: doraflow.MethodCustom},
			`doraflow.yaml:1: invalid YAML`},
		{"flow style list", "deployments: [{name: a, method: custom}]\n", Deployments, BlockSpec{Name: "x", Method: doraflow.MethodCustom},
			"cannot add the block to " /* path follows */},
		{"flow style file", "{timezone: UTC}\n", Deployments, BlockSpec{Name: "x", Method: doraflow.MethodCustom},
			"cannot add the block to "},
		{"aliased list", "x: &l []\ndeployments: *l\n", Deployments, BlockSpec{Name: "x", Method: doraflow.MethodCustom},
			`x: unknown key "x"`},
		{"list followed by a document end", "deployments:\n  - name: a\n    method: custom\n...\n", Deployments, BlockSpec{Name: "x", Method: doraflow.MethodCustom},
			"cannot add the block to "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.src, 0o600)
			err := AddBlock(path, tt.kind, tt.spec, sources.Registry())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error:\n%v\nwant one containing:\n%s", err, tt.want)
			}
			// A problem of the block given by flags names the flag, never
			// a line of the file, which was not written.
			if strings.HasPrefix(tt.want, "--") && strings.Contains(err.Error(), "doraflow.yaml:") {
				t.Errorf("error names a line of the file:\n%v", err)
			}
			if got := readFile(t, path); got != tt.src {
				t.Errorf("file changed:\n%s", got)
			}
			assertNoTempFiles(t, filepath.Dir(path))
		})
	}
}

func TestAddBlockProblemsAreErrors(t *testing.T) {
	path := writeConfig(t, "deployments:\n  - name: a\n    method: custom\n", 0o600)
	err := AddBlock(path, Deployments, BlockSpec{Name: "a", Method: doraflow.MethodCustom}, sources.Registry())
	var errs *Errors
	if !errors.As(err, &errs) || len(errs.Problems) != 1 {
		t.Fatalf("got %T %v, want *Errors with one problem", err, err)
	}
}

func TestAddBlockMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doraflow.yaml")
	err := AddBlock(path, Deployments, BlockSpec{Name: "a", Method: doraflow.MethodCustom}, sources.Registry())
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Error("AddBlock created the file")
	}
}

func TestAddBlockFollowsSymlink(t *testing.T) {
	target := writeConfig(t, "timezone: UTC\n", 0o600)
	link := filepath.Join(t.TempDir(), "doraflow.yaml")
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if err := AddBlock(link, Deployments, BlockSpec{Name: "a", Method: doraflow.MethodCustom}, sources.Registry()); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced by a file: %v", err)
	}
	if !strings.Contains(readFile(t, target), "- name: a") {
		t.Error("the target did not get the block")
	}
}

// TestAddBlockVariables checks that editing does not need the file's
// variables, while the values that are set are still checked.
func TestAddBlockVariables(t *testing.T) {
	src := "github:\n  token: ${DORAFLOW_TEST_UNSET_TOKEN}\n"
	path := writeConfig(t, src, 0o600)
	if err := AddBlock(path, Deployments, BlockSpec{Name: "a", Method: doraflow.MethodCustom}, sources.Registry()); err != nil {
		t.Fatalf("unset variable blocked the edit: %v", err)
	}

	t.Setenv("DORAFLOW_TEST_ZONE", "Mars/Base")
	path = writeConfig(t, "timezone: ${DORAFLOW_TEST_ZONE}\n", 0o600)
	err := AddBlock(path, Deployments, BlockSpec{Name: "a", Method: doraflow.MethodCustom}, sources.Registry())
	if err == nil || !strings.Contains(err.Error(), `unknown time zone "Mars/Base"`) {
		t.Errorf("got %v, want the time zone reported", err)
	}
}

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestParseKeyValue(t *testing.T) {
	for in, want := range map[string]KeyValue{
		"labels=deploy,release": {"labels", "deploy,release"},
		"branch=a=b":            {"branch", "a=b"},
		" event =push":          {"event", "push"},
		"paths=":                {"paths", ""},
	} {
		if got, err := ParseKeyValue(in); err != nil || got != want {
			t.Errorf("ParseKeyValue(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"labels", "=x", ""} {
		if _, err := ParseKeyValue(in); err == nil {
			t.Errorf("ParseKeyValue(%q): want an error", in)
		}
	}
}

func TestSplitList(t *testing.T) {
	got := SplitList(" a, b ,,c,")
	if strings.Join(got, "|") != "a|b|c" {
		t.Errorf("got %q", got)
	}
	if SplitList("") != nil {
		t.Error("SplitList of nothing is not empty")
	}
}
