package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"doraflow/extract/github/githubfake"
	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/load/clickhouse"
	"doraflow/load/clickhouse/clickhousetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// previewNow is the commands' clock in these tests: with it the window of
// a 30-day preview is 2023-12-21 to 2024-01-20 on every run.
func previewNow() time.Time { return time.Date(2024, 1, 20, 12, 0, 0, 0, time.UTC) }

// jan returns midnight UTC of 2024-01-D.
func jan(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }

// previewGitHubToken is the token the fake GitHub accepts.
const previewGitHubToken = "gh-preview-token"

// previewFakes are the base URLs of the fakes startPreviewFakes serves.
type previewFakes struct {
	github, pagerduty string
}

// config returns the github: and pagerduty: sections pointing at the
// fakes, with their tokens unless withoutGitHubToken.
//
// The fake GitHub serves REST here (api: rest): GraphQL needs GitHub's
// schema, and extract/github proves both APIs read the same rows.
func (f previewFakes) config(withoutGitHubToken bool) string {
	gh := fmt.Sprintf("github:\n  base_url: %s\n  api: rest\n  token: %s\n", f.github, previewGitHubToken)
	if withoutGitHubToken {
		gh = fmt.Sprintf("github:\n  base_url: %s\n  api: rest\n", f.github)
	}
	return gh + fmt.Sprintf("pagerduty:\n  base_url: %s\n  token: %s\n", f.pagerduty, pagerdutyfake.DefaultToken)
}

// startPreviewFakes serves, on loopback, a fake GitHub and a fake
// PagerDuty with hand-built data whose every object has a reason to be
// listed or not, and to pass each filter of the blocks below or not.
func startPreviewFakes(t *testing.T) previewFakes {
	t.Helper()
	org := githubfake.NewOrg("acme", previewNow())
	app := org.AddRepo("app")
	app.AddCommit(githubfake.CommitSpec{Message: "Initial commit", At: time.Date(2023, 11, 30, 0, 0, 0, 0, time.UTC)})
	// Merged before the window: not listed.
	app.AddPR(githubfake.PRSpec{Title: "Old change", Labels: []string{"deploy"}, Files: []string{"services/api/old.go"},
		CreatedAt: time.Date(2023, 12, 10, 0, 0, 0, 0, time.UTC), Merge: githubfake.MergeSquash})
	app.AddCommit(githubfake.CommitSpec{Branch: "release", Message: "Cut the release branch", At: jan(1)})
	for i, pr := range []githubfake.PRSpec{
		{Title: "Deploy the API", Labels: []string{"deploy"}, Files: []string{"services/api/main.go"}},
		{Title: "Backport", Base: "release", Labels: []string{"deploy"}, Files: []string{"services/api/main.go"}},
		{Title: "Unlabelled", Files: []string{"services/api/util.go"}},
		{Title: "Skipped", Labels: []string{"deploy", "skip-deploy"}, Files: []string{"services/api/skip.go"}},
		{Title: "Docs only", Labels: []string{"deploy"}, Files: []string{"docs/guide.md"}},
		// GitHub label names are case-insensitive: "Deploy" is deploy.
		{Title: "API handler", Labels: []string{"Deploy"}, Files: []string{"services/api/handler.go"}},
	} {
		pr.CreatedAt, pr.Merge = jan(2+i), githubfake.MergeSquash
		app.AddPR(pr)
	}
	// Closed without merging: not listed.
	app.AddPR(githubfake.PRSpec{Title: "Abandoned", Labels: []string{"deploy"}, CreatedAt: jan(9), ClosedAt: jan(9).Add(time.Hour)})
	app.AddRelease(githubfake.ReleaseSpec{Tag: "v1.0.0", CreatedAt: jan(10), PublishedAt: jan(10)})
	gh := githubfake.NewServer(org, githubfake.Options{Token: previewGitHubToken})
	ghURL := gh.Start()
	t.Cleanup(gh.Close)

	data := pagerdutyfake.New()
	for _, s := range []pagerdutyfake.Service{{ID: "PAPI", Name: "api in PagerDuty"}, {ID: "PWEB", Name: "web"}, {ID: "PDB", Name: "db"}} {
		mustDo(t, data.AddService(s))
	}
	for _, p := range []pagerdutyfake.Priority{{ID: "PP1", Name: "P1", Order: 1}, {ID: "PP2", Name: "P2", Order: 2}} {
		mustDo(t, data.AddPriority(p))
	}
	for _, in := range []pagerdutyfake.Incident{
		{ID: "QOLD", ServiceID: "PAPI", Urgency: "high", PriorityID: "PP1", CreatedAt: time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC)}, // before the window
		{ID: "QAPI1", ServiceID: "PAPI", Urgency: "high", PriorityID: "PP1", CreatedAt: jan(5).Add(3 * time.Hour), ResolvedAt: jan(5).Add(4 * time.Hour)},
		{ID: "QAPI2", ServiceID: "PAPI", Urgency: "high", CreatedAt: jan(6)},                   // no priority
		{ID: "QWEB1", ServiceID: "PWEB", Urgency: "low", PriorityID: "PP1", CreatedAt: jan(7)}, // low
		{ID: "QWEB2", ServiceID: "PWEB", Urgency: "high", PriorityID: "PP2", CreatedAt: jan(8)},
		{ID: "QWEB3", ServiceID: "PWEB", Urgency: "high", PriorityID: "PP1", CreatedAt: jan(9)},
		{ID: "QDB1", ServiceID: "PDB", Urgency: "high", PriorityID: "PP1", CreatedAt: jan(10)}, // another service
	} {
		_, err := data.AddIncident(in)
		mustDo(t, err)
	}
	pd := pagerdutyfake.NewServer(data, pagerdutyfake.Options{})
	pd.Start()
	t.Cleanup(pd.Close)

	return previewFakes{github: ghURL, pagerduty: pd.URL()}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Mapping blocks of the cases.
const (
	apiMergesBlock = `  - name: api-merges
    method: merged_pr
    repositories: [acme/app]
    filters:
      base_branch: main
      labels: [deploy]
      exclude_labels: [skip-deploy]
      paths: ["services/api/**"]
`
	pdHighBlock = `  - name: pd-high
    method: pagerduty
    filters:
      services: [PAPI, PWEB]
      urgency: high
      priorities: [P1]
`
)

// previewCase is one command line and the golden file of what it prints.
type previewCase struct {
	name   string // testdata/preview/<name>.golden
	blocks string // deployments: and incidents: sections of the config
	args   []string
	code   int
	// withoutGitHubToken leaves github.token out of the config.
	withoutGitHubToken bool
	// samePreviewAs, for config add-*, is the block whose `doraflow
	// preview` output must follow the "added" line, byte for byte.
	samePreviewAs string
}

func previewCases() []previewCase {
	addMerges := []string{"config", "add-deployment", "--name", "api-merges", "--method", "merged_pr", "--repositories", "acme/app",
		"--filter", "base_branch=main", "--filter", "labels=deploy", "--filter", "exclude_labels=skip-deploy", "--filter", "paths=services/api/**"}
	return []previewCase{
		{name: "merged-pr-filters", blocks: "deployments:\n" + apiMergesBlock, args: []string{"preview", "--block", "api-merges"}},
		{name: "matches-nothing", blocks: "deployments:\n  - name: hotfixes\n    method: merged_pr\n    repositories: [acme/app]\n    filters:\n      labels: [hotfix]\n",
			args: []string{"preview", "--block", "hotfixes"}},
		{name: "days-window", blocks: "deployments:\n" + apiMergesBlock, args: []string{"preview", "--block", "api-merges", "--days", "7"}},
		// releases reads the same repository with another method: its
		// objects are never the same, so it is no overlap.
		{name: "overlap", blocks: "deployments:\n  - name: deploy-label\n    method: merged_pr\n    repositories: [acme/app]\n    filters:\n      labels: [deploy]\n" +
			"  - name: releases\n    method: release\n    repositories: [acme/app]\n" +
			"  - name: every-merge\n    method: merged_pr\n    repositories: [acme/*]\n",
			args: []string{"preview", "--block", "every-merge"}},
		{name: "pagerduty", blocks: "incidents:\n" + pdHighBlock, args: []string{"preview", "--block", "pd-high"}},
		{name: "add-deployment", args: addMerges, samePreviewAs: "api-merges"},
		{name: "add-deployment-no-preview", args: append(addMerges, "--no-preview")},
		{name: "add-incident", args: []string{"config", "add-incident", "--name", "pd-high", "--method", "pagerduty",
			"--filter", "services=PAPI,PWEB", "--filter", "urgency=high", "--filter", "priorities=P1"}, samePreviewAs: "pd-high"},
		{name: "no-github-token", blocks: "deployments:\n" + apiMergesBlock, args: []string{"preview", "--block", "api-merges"}, code: 2, withoutGitHubToken: true},
		{name: "add-without-github-token", args: addMerges, withoutGitHubToken: true},
		{name: "custom-block", blocks: "deployments:\n  - name: manual\n    method: custom\n", args: []string{"preview", "--block", "manual"}, code: 2},
		{name: "add-custom", args: []string{"config", "add-deployment", "--name", "manual", "--method", "custom"}},
		{name: "unknown-block", blocks: "deployments:\n" + apiMergesBlock + "incidents:\n" + pdHighBlock,
			args: []string{"preview", "--block", "nope"}, code: 2},
	}
}

// TestPreviewOutput runs each case against the fakes and the test
// ClickHouse and compares what it prints with its golden file.
func TestPreviewOutput(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		fakes := startPreviewFakes(t)
		for _, tc := range previewCases() {
			t.Run(tc.name, func(t *testing.T) {
				c := newCLI(t, fakes.config(tc.withoutGitHubToken)+tc.blocks)
				c.clock = previewNow
				checkPreviewCase(t, c, tc)
			})
		}
	})
}

// TestPreviewNeedsNoClickHouse runs the same cases with ClickHouse on an
// address that refuses connections: a preview stores nothing, so it must
// not need the database, and prints the same.
func TestPreviewNeedsNoClickHouse(t *testing.T) {
	fakes := startPreviewFakes(t)
	for _, tc := range previewCases() {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "doraflow.yaml")
			// Port 1 on loopback refuses connections.
			body := "clickhouse:\n  addr: 127.0.0.1:1\nservices:\n  - name: api\n    team: platform\n" + fakes.config(tc.withoutGitHubToken) + tc.blocks
			mustDo(t, os.WriteFile(path, []byte(body), 0o600))
			checkPreviewCase(t, &cli{t: t, config: path, clock: previewNow}, tc)
		})
	}
}

// TestPreviewStoresNothing previews every block of a migrated database
// and checks that no table of it changed.
func TestPreviewStoresNothing(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		fakes := startPreviewFakes(t)
		c := newCLI(t, fakes.config(false)+"deployments:\n"+apiMergesBlock+"incidents:\n"+pdHighBlock)
		c.clock = previewNow
		if code, _, errOut := c.run("migrate"); code != 0 {
			t.Fatalf("migrate: exit %d: %s", code, errOut)
		}
		before := rowCounts(t, c.db)
		for _, block := range []string{"api-merges", "pd-high"} {
			if code, _, errOut := c.run("preview", "--block", block); code != 0 {
				t.Fatalf("preview %s: exit %d: %s", block, code, errOut)
			}
		}
		if after := rowCounts(t, c.db); !reflect.DeepEqual(after, before) {
			t.Errorf("preview changed the database:\nbefore %v\n after %v", before, after)
		}
	})
}

// checkPreviewCase runs tc's command line and checks its exit status and
// output.
func checkPreviewCase(t *testing.T, c *cli, tc previewCase) {
	t.Helper()
	code, out, errOut := c.run(tc.args...)
	if code != tc.code {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
	}
	if code != 0 && (errOut == "" || strings.Count(strings.TrimSuffix(errOut, "\n"), "\n") != 0) {
		t.Errorf("want one line on stderr, got %q", errOut)
	}
	// The config file is in a temporary directory: name it the same on
	// every run.
	normal := func(s string) string { return strings.ReplaceAll(s, c.config, "$CONFIG") }
	checkGolden(t, filepath.Join("testdata", "preview", tc.name+".golden"), transcript(tc.args, code, normal(out), normal(withoutInfoLogs(t, errOut))))
	if tc.samePreviewAs != "" {
		code, preview, errOut := c.run("preview", "--block", tc.samePreviewAs)
		if code != 0 {
			t.Fatalf("preview --block %s: exit %d: %s", tc.samePreviewAs, code, errOut)
		}
		added, rest, _ := strings.Cut(out, "\n")
		if !strings.HasPrefix(added, "added ") || rest != preview {
			t.Errorf("config add printed\n%s\nwant the added line, then what preview prints:\n%s", out, preview)
		}
	}
}

// withoutInfoLogs drops the info and debug records of the log from
// stderr: they carry times and durations, and are the log, not what the
// command prints. Warnings and errors stay, and so fail the comparison.
func withoutInfoLogs(t *testing.T, stderr string) string {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.SplitAfter(stderr, "\n") {
		var rec struct{ Level string }
		if strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), &rec) == nil && (rec.Level == "info" || rec.Level == "debug") {
			continue
		}
		b.WriteString(line)
	}
	return b.String()
}

// transcript is what a golden file holds: the command line, the exit
// status and both output streams.
func transcript(args []string, code int, stdout, stderr string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "$ doraflow %s\nexit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(args, " "), code, stdout, stderr)
	return b.String()
}

// checkGolden compares got with the golden file at path, or rewrites the
// file with -update.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		mustDo(t, os.MkdirAll(filepath.Dir(path), 0o755))
		mustDo(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// rowCounts counts the rows of every table doraflow writes, pipeline_state
// (ETags, watermarks) included.
func rowCounts(t *testing.T, db clickhouse.Options) map[string]uint64 {
	t.Helper()
	ctx := context.Background()
	store, err := clickhouse.Open(ctx, db)
	mustDo(t, err)
	defer store.Close()
	out := map[string]uint64{}
	for _, table := range []string{"stg_deployments", "stg_changes", "stg_ships", "stg_incidents",
		"deployments", "changes", "ships", "incidents", "dora_events", "dora_daily", "pipeline_state"} {
		n, err := store.RowCount(ctx, table)
		mustDo(t, err)
		out[table] = n
	}
	return out
}
