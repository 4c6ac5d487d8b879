package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"doraflow/extract/github/githubfake"
	"doraflow/internal/logtest"
	"doraflow/load/clickhouse/clickhousetest"
)

// demoArgs are the arguments of a demo into a fresh test database of t's
// engine, writing its config to configPath.
func demoArgs(t *testing.T, configPath string) []string {
	t.Helper()
	db := clickhousetest.Options(t)
	return []string{"demo", "--clickhouse", db.Addr[0], "--protocol", string(db.Protocol), "--database", db.Database, "--force", "--write-config", configPath}
}

// suggested returns the commands the demo printed for the config at
// path, each as the arguments after the program's name.
func suggested(t *testing.T, out, path string) [][]string {
	t.Helper()
	var cmds [][]string
	for _, line := range strings.Split(out, "\n") {
		_, rest, ok := strings.Cut(line, " --config "+path+" ")
		if ok && strings.HasPrefix(line, "  ") {
			cmds = append(cmds, append([]string{"--config", path}, strings.Fields(rest)...))
		}
	}
	return cmds
}

// runArgs runs one command line in-process and returns its exit status,
// stdout and stderr.
func runArgs(t *testing.T, args []string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runEnv(context.Background(), &env{stdout: &out, stderr: &errOut, getenv: os.LookupEnv}, args)
	return code, out.String(), errOut.String()
}

// TestDemoWritesAConfigThatWorks: the demo writes a config for its data
// and prints the commands to try with it; each of them, run as printed
// with that config, succeeds and prints something. Without --serve it
// says how to keep the simulated sources running.
func TestDemoWritesAConfigThatWorks(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "doraflow.demo.yaml")
		code, out, errOut := runArgs(t, demoArgs(t, path))
		if code != 0 {
			t.Fatalf("demo: exit %d\n%s", code, errOut)
		}
		if !strings.Contains(out, "demo --serve") {
			t.Errorf("the demo does not mention --serve:\n%s", out)
		}
		cmds := suggested(t, out, path)
		if len(cmds) != 6 {
			t.Fatalf("the demo suggested %d commands with its config, want 6:\n%s", len(cmds), out)
		}
		for _, args := range cmds {
			// The report goes where the test can drop it, not into the
			// package's folder.
			for i, a := range args {
				if a == "demo-report.html" {
					args[i] = filepath.Join(dir, a)
				}
			}
			code, out, errOut := runArgs(t, args)
			if code != 0 || strings.TrimSpace(out) == "" {
				t.Errorf("doraflow %s: exit %d, stdout %q\n%s", strings.Join(args, " "), code, out, errOut)
			}
			if strings.Contains(errOut, "warning:") {
				t.Errorf("doraflow %s warns about the demo config:\n%s", strings.Join(args, " "), errOut)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "demo-report.html")); err != nil {
			t.Errorf("the suggested report wrote nothing: %v", err)
		}
	})
}

// TestDemoServe starts `demo --serve` as a process, waits until it says it
// serves, runs the suggested preview and sync against the simulated
// GitHub and PagerDuty through the written config, then stops it with
// SIGINT, as Ctrl-C would: it exits 0.
func TestDemoServe(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "doraflow.demo.yaml")
		args := append(demoArgs(t, path), "--serve", "--github-port", "0", "--pagerduty-port", "0")
		child := exec.Command(os.Args[0], args...)
		child.Env = append(os.Environ(), "DORAFLOW_AS_MAIN=1")
		var out, errOut logtest.Buffer
		child.Stdout, child.Stderr = &out, &errOut
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- child.Wait() }()
		defer func() {
			if child.ProcessState == nil {
				child.Process.Kill()
			}
		}()
		deadline := time.Now().Add(2 * time.Minute)
		for !strings.Contains(errOut.String(), "until Ctrl-C") {
			select {
			case err := <-done:
				t.Fatalf("demo --serve exited before serving (%v):\n%s", err, errOut.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("demo --serve did not serve within 2 minutes:\n%s", errOut.String())
			}
			time.Sleep(50 * time.Millisecond)
		}

		ran := map[string]bool{}
		for _, cmd := range suggested(t, out.String(), path) {
			if name := cmd[2]; name == "preview" || name == "sync" {
				code, stdout, stderr := runArgs(t, cmd)
				if code != 0 || strings.TrimSpace(stdout) == "" {
					t.Errorf("doraflow %s: exit %d, stdout %q\n%s", strings.Join(cmd, " "), code, stdout, stderr)
				}
				ran[name] = true
			}
		}
		if !ran["preview"] || !ran["sync"] {
			t.Errorf("demo --serve suggested no preview or no sync (ran %v):\n%s", ran, out.String())
		}

		if err := child.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("demo --serve after SIGINT: %v, want exit 0\n%s", err, errOut.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatal("demo --serve did not stop within 30s of SIGINT")
		}
		if !strings.Contains(errOut.String(), "stopped the simulated GitHub and PagerDuty") {
			t.Errorf("demo --serve did not say it stopped:\n%s", errOut.String())
		}
	})
}

// TestDemoOnGraphQL: given GitHub's GraphQL schema, the demo's simulated
// GitHub answers GraphQL and the demo reads it with github.api: graphql,
// which its config says; the metrics are those of the demo through REST,
// which it falls back to without the schema, saying so in one line.
// DORAFLOW_TEST_GITHUB_GRAPHQL_SCHEMA names the schema (make test).
func TestDemoOnGraphQL(t *testing.T) {
	schema := os.Getenv(githubfake.SchemaEnv)
	if schema == "" {
		t.Skipf("%s is not set: run make test, or set it to the path scripts/graphql-schema.sh fetch prints", githubfake.SchemaEnv)
	}
	const fallback = "reading the simulated GitHub with github.api: rest"
	clickhousetest.Run(t, func(t *testing.T) {
		dir := t.TempDir()
		metricsOf := func(out string) string {
			table, _, _ := strings.Cut(out, "\nThe data is in ClickHouse")
			return table
		}
		cases := []struct {
			name, schema, api string
		}{
			{"rest", "", "rest"},
			{"graphql", schema, "graphql"},
		}
		tables := map[string]string{}
		for _, tc := range cases {
			path := filepath.Join(dir, tc.name+".yaml")
			code, out, errOut := runArgs(t, append(demoArgs(t, path), "--github-graphql-schema", tc.schema))
			if code != 0 {
				t.Fatalf("demo (%s): exit %d\n%s", tc.name, code, errOut)
			}
			if n := strings.Count(errOut, fallback); n != map[bool]int{true: 1}[tc.schema == ""] {
				t.Errorf("demo (%s) said %d times it falls back to REST:\n%s", tc.name, n, errOut)
			}
			written, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(written), "api: "+tc.api+"\n") {
				t.Errorf("demo (%s) wrote a config without api: %s:\n%s", tc.name, tc.api, written)
			}
			if tc.schema != "" && !strings.Contains(out, "--github-graphql-schema "+tc.schema) {
				t.Errorf("demo (%s) suggests demo --serve without the schema its config needs:\n%s", tc.name, out)
			}
			tables[tc.name] = metricsOf(out)
		}
		if tables["rest"] == "" || !strings.Contains(tables["rest"], "SERVICE") || tables["graphql"] != tables["rest"] {
			t.Errorf("metrics through GraphQL:\n%s\nthrough REST:\n%s", tables["graphql"], tables["rest"])
		}
	})
	code, _, errOut := runArgs(t, []string{"demo", "--github-graphql-schema", filepath.Join(t.TempDir(), "missing.graphql")})
	if code == 0 || !strings.Contains(errOut, "--github-graphql-schema") || !strings.Contains(errOut, "scripts/graphql-schema.sh fetch") {
		t.Errorf("a schema that is not there: exit %d, %q; want an error naming the flag and the script", code, errOut)
	}
}
