package main

import (
	"bytes"
	"context"
	"doraflow"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"doraflow/load/clickhouse"
	"doraflow/pipeline"
)

// TestStatusEscapesText prints the status tables with a run whose block
// name and error hold text that would act on a terminal.
func TestStatusEscapesText(t *testing.T) {
	at := time.Date(2024, 1, 2, 10, 0, 0, 0, time.UTC)
	runs := []clickhouse.Run{{ID: "r1", Job: "sync", Source: "github", Block: "web " + hostile, Status: "failed",
		Started: at, Finished: at.Add(time.Second), Error: "GitHub said: " + hostile}}
	marks := []pipeline.Watermark{{Source: "github", Block: "web " + hostile, Until: time.Unix(1704189600, 0).UTC()}}
	var out bytes.Buffer
	if err := writeStatus(&out, runs, marks); err != nil {
		t.Fatal(err)
	}
	if rawTerminalText(out.String()) {
		t.Fatalf("status holds raw control or bidi characters:\n%q", out.String())
	}
	if strings.Count(out.String(), `web Deploy \x1b[31mred`) != 2 {
		t.Errorf("status does not show the block escaped in both tables:\n%s", out.String())
	}
}

// TestStatusBudgets prints the GitHub rate-limit table of status: a
// budget per credential by its label, one not answered yet as dashes,
// and what could not be asked, escaped.
func TestStatusBudgets(t *testing.T) {
	reset := time.Date(2024, 1, 2, 11, 0, 0, 0, time.UTC)
	budgets := []doraflow.Budget{
		{Label: "token 1", Resource: "core", Known: true, Limit: 5000, Remaining: 4321, Reset: reset},
		{Label: "token 1", Resource: "graphql", Known: true, Limit: 5000, Remaining: 4997, Reset: reset},
		{Label: "token 2", Resource: "core"},
	}
	var out bytes.Buffer
	if err := writeBudgets(&out, budgets, errors.New("token 2: GET /rate_limit: HTTP 401 — check github.tokens[0] "+hostile)); err != nil {
		t.Fatal(err)
	}
	want := "\nGITHUB RATE LIMITS\n" +
		"CREDENTIAL  API               REMAINING  LIMIT  RESETS\n" +
		"token 1     rest              4321       5000   2024-01-02T11:00:00Z\n" +
		"token 1     graphql (points)  4997       5000   2024-01-02T11:00:00Z\n" +
		"token 2     rest              —          —      —\n"
	if got := out.String(); !strings.HasPrefix(got, want) || !strings.Contains(got, "(could not ask GitHub: token 2: GET /rate_limit: HTTP 401 — check github.tokens[0]") || rawTerminalText(got) {
		t.Errorf("status budgets:\n%s\nwant:\n%s(could not ask GitHub: …) escaped", got, want)
	}
}

// TestRunRefusesAMissingCertificate starts `doraflow run` with server.tls
// naming files that do not exist: it exits 2 before reaching ClickHouse,
// naming the key to fix.
func TestRunRefusesAMissingCertificate(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, tls, want string
	}{
		{"no certificate", "    cert_file: " + filepath.Join(dir, "none.crt") + "\n    key_file: " + filepath.Join(dir, "none.key") + "\n",
			"run: server.tls.cert_file: open " + filepath.Join(dir, "none.crt") + ": no such file or directory"},
		{"not PEM", "    cert_file: " + writeFile(t, dir, "bad.crt", "not a certificate") + "\n    key_file: " + writeFile(t, dir, "bad.key", "not a key") + "\n",
			"run: server.tls.cert_file " + filepath.Join(dir, "bad.crt") + " and key_file " + filepath.Join(dir, "bad.key") + ": tls: failed to find any PEM data in certificate input"},
	} {
		t.Run(c.name, func(t *testing.T) {
			// No ClickHouse listens on port 1: reaching it would fail
			// with exit 1 instead.
			path := writeFile(t, dir, "doraflow.yaml", "clickhouse:\n  addr: 127.0.0.1:1\nserver:\n  listen: 127.0.0.1:1\n  tls:\n"+c.tls)
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"--config", path, "run"}, &out, &errOut)
			if code != 2 || !strings.Contains(errOut.String(), c.want) {
				t.Fatalf("exit %d, stderr %q: want exit 2 with %q", code, errOut.String(), c.want)
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
