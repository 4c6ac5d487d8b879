package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/load/clickhouse"
	"doraflow/load/clickhouse/clickhousetest"
)

// TestMain lets a test start this test binary as doraflow itself, to kill
// it for real.
func TestMain(m *testing.M) {
	if os.Getenv("DORAFLOW_AS_MAIN") == "1" {
		setProcessDefaults()
		// As main: SIGINT and SIGTERM cancel the command (demo --serve).
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func TestBackfillSurvivesKillDashNine(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		data := pagerdutyfake.New()
		if err := data.AddService(pagerdutyfake.Service{ID: "PAPI", Name: "api"}); err != nil {
			t.Fatal(err)
		}
		start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		const days = 40
		for d := 0; d < days; d++ {
			at := start.AddDate(0, 0, d).Add(10 * time.Hour)
			if _, err := data.AddIncident(pagerdutyfake.Incident{ServiceID: "PAPI", CreatedAt: at, ResolvedAt: at.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		// Slow enough that the kill lands mid-backfill.
		srv := pagerdutyfake.NewServer(data, pagerdutyfake.Options{Latency: 150 * time.Millisecond})
		srv.Start()
		defer srv.Close()
		c := newCLI(t, fmt.Sprintf("pagerduty:\n  base_url: %s\n  token: %s\nincidents:\n  - name: pd\n    method: pagerduty\n", srv.URL(), pagerdutyfake.DefaultToken))
		if code, _, errOut := c.run("migrate"); code != 0 {
			t.Fatalf("migrate: %s", errOut)
		}
		args := []string{"--config", c.config, "backfill", "--from", "2024-01-01", "--to", "2024-02-10", "--chunk", "24h"}

		child := exec.Command(os.Args[0], args...)
		child.Env = append(os.Environ(), "DORAFLOW_AS_MAIN=1", "TEST_CH_PASSWORD=")
		var childErr bytes.Buffer
		child.Stderr = &childErr
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		store := openStore(t, c)
		deadline := time.Now().Add(60 * time.Second)
		for {
			if n, _ := store.RowCount(context.Background(), "stg_incidents"); n >= 5 {
				break
			}
			if time.Now().After(deadline) {
				child.Process.Kill()
				t.Fatalf("the backfill staged nothing within 60s: %s", childErr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err := child.Process.Kill(); err != nil { // SIGKILL
			t.Fatal(err)
		}
		_ = child.Wait()
		staged, _ := store.RowCount(context.Background(), "stg_incidents")
		if staged >= days {
			t.Fatalf("the kill came too late (%d of %d staged); the test proves nothing", staged, days)
		}

		// Run the same command again: it resumes and finishes.
		code, out, errOut := c.run(args[2:]...)
		if code != 0 {
			t.Fatalf("resumed backfill: exit %d\n%s", code, errOut)
		}
		if !strings.Contains(out, "backfilled") {
			t.Fatalf("resumed backfill said %q", out)
		}
		n, err := store.RowCount(context.Background(), "incidents")
		if err != nil || n != days {
			t.Fatalf("incident facts = %d (%v), want %d: none lost, none doubled", n, err, days)
		}
		code, out, _ = c.run("metrics", "--from", "2024-01-01", "--to", "2024-02-10", "--group-by", "none", "--format", "csv")
		if code != 0 || !strings.Contains(out, fmt.Sprintf(",%d,%d,", days, days)) {
			t.Fatalf("metrics after resume: %s", out)
		}
	})
}

// openStore opens the CLI test's database.
func openStore(t *testing.T, c *cli) *clickhouse.Store {
	t.Helper()
	e := &env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(k string) (string, bool) {
		if k == "TEST_CH_PASSWORD" {
			return "", true
		}
		return os.LookupEnv(k)
	}, configPath: c.config}
	cfg, err := e.loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
