package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/load/clickhouse"
	"doraflow/load/clickhouse/clickhousetest"
)

// cli runs doraflow in-process with a config file pointing at a fresh
// test database.
type cli struct {
	t      *testing.T
	config string
	// db is the test database the config points at (created by migrate).
	db clickhouse.Options
	// clock, when set, is the commands' current time.
	clock func() time.Time
}

func newCLI(t *testing.T, extra string) *cli {
	t.Helper()
	opts := clickhousetest.Options(t)
	path := filepath.Join(t.TempDir(), "doraflow.yaml")
	body := fmt.Sprintf("clickhouse:\n  addr: %s\n  protocol: %s\n  database: %s\n  password: ${TEST_CH_PASSWORD}\nservices:\n  - name: api\n    team: platform\n%s", opts.Addr[0], opts.Protocol, opts.Database, extra)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return &cli{t: t, config: path, db: opts}
}

// run returns the exit status, stdout and stderr of one command line.
func (c *cli) run(args ...string) (int, string, string) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	t := c.t
	t.Setenv("TEST_CH_PASSWORD", "")
	e := &env{stdout: &out, stderr: &errOut, getenv: os.LookupEnv, clock: c.clock}
	code := runEnv(context.Background(), e, append([]string{"--config", c.config}, args...))
	return code, out.String(), errOut.String()
}

func TestRecordAndMetrics(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		c := newCLI(t, "")
		mustRun := func(args ...string) string {
			t.Helper()
			code, out, errOut := c.run(args...)
			if code != 0 {
				t.Fatalf("doraflow %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
			}
			return out
		}
		mustRun("migrate")
		if out := mustRun("migrate"); !strings.Contains(out, "up to date") {
			t.Fatalf("second migrate said %q, want up to date", out)
		}
		mustRun("record", "deployment", "--service", "api", "--id", "d1", "--deployed-at", "2024-01-02T10:00:00Z")
		// The same id again updates it rather than adding a second deployment.
		if out := mustRun("record", "deployment", "--service", "api", "--id", "d1", "--deployed-at", "2024-01-03T10:00:00Z"); !strings.HasPrefix(out, "updated") {
			t.Fatalf("re-record said %q, want updated", out)
		}
		mustRun("record", "incident", "--service", "api", "--id", "i1", "--created-at", "2024-01-03T11:00:00Z")
		mustRun("record", "incident", "--service", "api", "--id", "i1", "--created-at", "2024-01-03T11:00:00Z", "--resolved-at", "2024-01-03T11:30:00Z")

		var report struct {
			GroupBy string                   `json:"group_by"`
			Rows    []map[string]interface{} `json:"rows"`
		}
		out := mustRun("metrics", "--from", "2024-01-01", "--to", "2024-01-08", "--format", "json")
		if err := json.Unmarshal([]byte(out), &report); err != nil {
			t.Fatalf("metrics json: %v\n%s", err, out)
		}
		if len(report.Rows) != 1 {
			t.Fatalf("rows = %s", out)
		}
		r := report.Rows[0]
		for field, want := range map[string]any{"service": "api", "team": "platform", "deployments": 1.0, "failed_deployments": 1.0, "incidents": 1.0, "restored_incidents": 1.0, "time_to_restore_median_seconds": 1800.0, "lead_time_median_seconds": nil} {
			if r[field] != want {
				t.Errorf("%s = %v, want %v", field, r[field], want)
			}
		}
		for _, format := range []string{"table", "csv"} {
			if out := mustRun("metrics", "--from", "2024-01-01", "--to", "2024-01-08", "--format", format); !strings.Contains(out, "api") {
				t.Errorf("--format %s: no api row in %q", format, out)
			}
		}
	})
}

func TestBadUsageExitsTwoWithOneLine(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		c := newCLI(t, "")
		cases := [][]string{
			{"metrics", "--from", "yesterday"},
			{"metrics", "--group-by", "galaxy"},
			{"metrics", "--period", "year"},
			{"metrics", "--format", "xml"},
			{"metrics", "--from", "2024-02-01", "--to", "2024-01-01"},
			{"metrics", "--nope"},
			{"record", "deployment"},
			{"record", "deployment", "--service", "api", "--status", "meh"},
			{"record", "incident", "--service", "api"},
			{"record", "incident", "--service", "api", "--created-at", "2024-01-02", "--resolved-at", "2024-01-01"},
			{"record", "thing"},
			{"frobnicate"},
		}
		for _, args := range cases {
			code, _, errOut := c.run(args...)
			if code != 2 {
				t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut)
			}
			if lines := strings.Count(strings.TrimSpace(errOut), "\n"); lines != 0 || errOut == "" {
				t.Errorf("%v: want one line on stderr, got %q", args, errOut)
			}
		}
	})
}

func TestUnreachableClickHouse(t *testing.T) {
	t.Setenv("CH_SECRET", "hunter2-secret")
	path := filepath.Join(t.TempDir(), "doraflow.yaml")
	// Port 1 on loopback refuses connections.
	if err := os.WriteFile(path, []byte("clickhouse:\n  addr: 127.0.0.1:1\n  password: ${CH_SECRET}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"--config", path, "metrics"}, &out, &errOut)
	msg := errOut.String()
	if code != 1 || !strings.Contains(msg, "127.0.0.1:1") || strings.Count(strings.TrimSpace(msg), "\n") != 0 {
		t.Fatalf("exit %d, stderr %q: want exit 1 and one line naming the address", code, msg)
	}
	if strings.Contains(msg, "hunter2") {
		t.Fatalf("the password leaked: %q", msg)
	}
}

// TestBeforeMigrate: every command that reads or writes the store, run
// on a database never migrated, says to run doraflow migrate in one line
// instead of a ClickHouse error about a missing table.
func TestBeforeMigrate(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		c := newCLI(t, "")
		for _, args := range [][]string{
			{"metrics"}, {"explain", "deployments"}, {"report", "--output", filepath.Join(t.TempDir(), "r.html")}, {"status"},
			{"promote"}, {"sync"}, {"record", "deployment", "--service", "api", "--id", "d1"},
		} {
			code, _, errOut := c.run(args...)
			if code != 1 || !strings.Contains(errOut, "has no doraflow tables yet: run `doraflow migrate`") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("doraflow %s: exit %d, stderr %q; want exit 1 and one line saying to run doraflow migrate", strings.Join(args, " "), code, errOut)
			}
		}
		if code, _, errOut := c.run("migrate"); code != 0 {
			t.Fatalf("migrate: exit %d: %s", code, errOut)
		}
		if code, _, errOut := c.run("metrics"); code != 0 {
			t.Fatalf("metrics after migrate: exit %d: %s", code, errOut)
		}
	})
}

func TestBadConfigExitsTwo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doraflow.yaml")
	if err := os.WriteFile(path, []byte("clickhouse:\n  adress: x\ndeployments:\n  - name: a\n    method: teleport\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"--config", path, "config", "validate"}, &out, &errOut)
	msg := errOut.String()
	if code != 2 || !strings.Contains(msg, "adress") || !strings.Contains(msg, "teleport") || !strings.Contains(msg, "doraflow.yaml:2") {
		t.Fatalf("exit %d, stderr %q: want exit 2 naming both problems with file:line", code, msg)
	}
}

func TestSyncWithARefusedPagerDutyToken(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		srv := pagerdutyfake.NewServer(pagerdutyfake.New(), pagerdutyfake.Options{})
		srv.Start()
		defer srv.Close()
		t.Setenv("PD_TOKEN", "not-the-token-s3cr3t")
		c := newCLI(t, fmt.Sprintf("pagerduty:\n  base_url: %s\n  token: ${PD_TOKEN}\nincidents:\n  - name: pd\n    method: pagerduty\n", srv.URL()))
		if code, _, errOut := c.run("migrate"); code != 0 {
			t.Fatalf("migrate: %d %s", code, errOut)
		}
		code, _, errOut := c.run("sync")
		if code != 1 || !strings.Contains(errOut, "token was refused") {
			t.Fatalf("exit %d, stderr %q: want exit 1 saying the token was refused", code, errOut)
		}
		if strings.Contains(errOut, "s3cr3t") {
			t.Fatalf("the token leaked: %q", errOut)
		}
	})
}

func TestConfigAddBlock(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		c := newCLI(t, "# the team's deployments\ndeployments:\n  - name: web-merges # keep me\n    method: merged_pr\n    repositories: [acme/web]\n")
		before, err := os.ReadFile(c.config)
		if err != nil {
			t.Fatal(err)
		}
		code, out, errOut := c.run("config", "add-deployment", "--name", "api-deploy", "--method", "workflow_run", "--repositories", "acme/api",
			"--filter", "workflow=deploy.yml", "--filter", "branch=main")
		if code != 0 || !strings.Contains(out, "api-deploy") {
			t.Fatalf("add: exit %d %s %s", code, out, errOut)
		}
		after, _ := os.ReadFile(c.config)
		if !bytes.HasPrefix(after, before) || !strings.Contains(string(after), "deploy.yml") {
			t.Fatalf("the file was not kept as it was plus the block:\n%s", after)
		}
		if code, _, _ := c.run("config", "validate"); code != 0 {
			t.Fatal("the edited config does not validate")
		}
		for _, args := range [][]string{
			{"config", "add-deployment", "--name", "web-merges", "--method", "merged_pr", "--repositories", "acme/web"},
			{"config", "add-deployment", "--name", "x", "--method", "teleport"},
			{"config", "add-incident", "--name", "pd", "--method", "pagerduty", "--filter", "urgency=extreme"},
		} {
			code, _, errOut := c.run(args...)
			if code != 2 {
				t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut)
			}
			if now, _ := os.ReadFile(c.config); !bytes.Equal(now, after) {
				t.Fatalf("%v changed the file", args)
			}
		}
	})
}
