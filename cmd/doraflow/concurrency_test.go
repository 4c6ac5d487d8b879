package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"doraflow"
	"doraflow/load/clickhouse/clickhousetest"
)

// doraflowProcess returns doraflow, this test binary run as doraflow
// itself (see TestMain), with args and the CLI test's config.
func doraflowProcess(c *cli, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], append([]string{"--config", c.config}, args...)...)
	cmd.Env = append(os.Environ(), "DORAFLOW_AS_MAIN=1", "TEST_CH_PASSWORD=")
	return cmd
}

// TestConcurrentRecords starts 24 doraflow record processes at once, as CI
// jobs of many teams would. Each stages its deployment and promotes,
// taking turns on the promote lease: every one must exit 0, and the facts
// hold each deployment exactly once.
func TestConcurrentRecords(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		c := newCLI(t, "")
		if code, _, errOut := c.run("migrate"); code != 0 {
			t.Fatalf("migrate: %s", errOut)
		}
		const processes = 24
		var wg sync.WaitGroup
		failures := make(chan string, processes)
		for i := 0; i < processes; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cmd := doraflowProcess(c, "record", "deployment", "--service", "api", "--id", fmt.Sprintf("d%02d", i),
					"--deployed-at", fmt.Sprintf("2024-01-02T10:%02d:00Z", i))
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if err := cmd.Run(); err != nil {
					failures <- fmt.Sprintf("record d%02d: %v: %s", i, err, strings.TrimSpace(stderr.String()))
				}
			}()
		}
		wg.Wait()
		close(failures)
		for f := range failures {
			t.Error(f)
		}
		store := openStore(t, c)
		facts, err := store.ServiceFacts(context.Background(), []string{"api"})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, d := range facts.Deployments {
			seen[d.ID]++
		}
		for i := 0; i < processes; i++ {
			if id := fmt.Sprintf("d%02d", i); seen[id] != 1 {
				t.Errorf("deployment %s is in the facts %d times, want once", id, seen[id])
			}
		}
		if len(facts.Deployments) != processes {
			t.Errorf("%d deployments in the facts, want %d", len(facts.Deployments), processes)
		}
		code, out, _ := c.run("metrics", "--from", "2024-01-01", "--to", "2024-01-08", "--group-by", "none", "--format", "csv")
		// The first column of the one row is the number of deployments.
		if code != 0 || !strings.Contains(out, fmt.Sprintf("\n%d,1,", processes)) {
			t.Errorf("metrics after the records: exit %d\n%s", code, out)
		}
	})
}

// TestPromoteSurvivesKillDashNine kills doraflow promote with SIGKILL
// while it writes (facts written, events or watermarks not yet), runs it
// again, and compares the metrics with a clean promote of the same
// records in another database.
func TestPromoteSurvivesKillDashNine(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		stageAll := func(c *cli) {
			t.Helper()
			if code, _, errOut := c.run("migrate"); code != 0 {
				t.Fatalf("migrate: %s", errOut)
			}
			store := openStore(t, c)
			at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
			var deps []doraflow.Deployment
			var incs []doraflow.Incident
			for i := 0; i < 2000; i++ {
				svc := fmt.Sprintf("svc%02d", i%40)
				when := at.Add(time.Duration(i) * 37 * time.Minute)
				deps = append(deps, doraflow.Deployment{ID: fmt.Sprintf("d%04d", i), Block: "manual", Source: doraflow.SourceCustom, Method: doraflow.MethodCustom,
					Service: svc, Environment: "production", DeployedAt: when, Status: doraflow.StatusSuccess})
				if i%10 == 0 {
					incs = append(incs, doraflow.Incident{ID: fmt.Sprintf("i%04d", i), Block: "manual", Source: doraflow.SourceCustom,
						Service: svc, CreatedAt: when.Add(time.Hour), ResolvedAt: when.Add(3 * time.Hour)})
				}
			}
			if err := store.StageDeployments(context.Background(), deps); err != nil {
				t.Fatal(err)
			}
			if err := store.StageIncidents(context.Background(), incs); err != nil {
				t.Fatal(err)
			}
		}
		metrics := func(c *cli) string {
			t.Helper()
			code, out, errOut := c.run("metrics", "--from", "2024-01-01", "--to", "2024-03-01", "--period", "week", "--format", "json")
			if code != 0 {
				t.Fatalf("metrics: %s", errOut)
			}
			return out
		}
		clean := newCLI(t, "")
		stageAll(clean)
		if code, _, errOut := clean.run("promote"); code != 0 {
			t.Fatalf("clean promote: %s", errOut)
		}
		want := metrics(clean)

		// Kill the moment the first facts are visible, before promote
		// writes its events and watermarks; should promote win the race
		// anyway, try again on a fresh database.
		var c *cli
		for attempt := 1; c == nil; attempt++ {
			if attempt > 3 {
				t.Fatal("promote finished before the kill three times: stage more for the test to prove anything")
			}
			try := newCLI(t, "")
			stageAll(try)
			store := openStore(t, try)
			cmd := doraflowProcess(try, "promote")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(time.Minute)
			for {
				facts, err := store.RowCount(context.Background(), "deployments")
				if err != nil {
					t.Fatal(err)
				}
				if facts > 0 || time.Now().After(deadline) {
					break
				}
				time.Sleep(2 * time.Millisecond)
			}
			_ = cmd.Process.Kill() // SIGKILL
			_ = cmd.Wait()
			_, done, err := store.State(context.Background(), "promote/stg_deployments")
			if err != nil {
				t.Fatal(err)
			}
			if facts, _ := store.RowCount(context.Background(), "deployments"); facts > 0 && !done {
				c = try
			}
		}
		if code, _, errOut := c.run("promote"); code != 0 {
			t.Fatalf("promote after the kill: exit %d\n%s", code, errOut)
		}
		if got := metrics(c); got != want {
			t.Fatalf("metrics after a kill -9 mid-promote and a resumed promote differ from a clean promote:\nclean: %s\ngot:   %s", want, got)
		}
	})
}
