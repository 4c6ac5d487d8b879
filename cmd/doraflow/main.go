// Command doraflow is the DORA-metrics pipeline: it extracts deployments,
// changes and incidents from GitHub, PagerDuty and custom records, loads
// them into ClickHouse and prints the metrics. Run `doraflow help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/rs/zerolog"
)

// usage is printed by `doraflow help` and on a bad command.
const usage = `doraflow — DORA metrics from GitHub, PagerDuty and custom records, in ClickHouse.

Usage: doraflow [--config PATH] [--log-level LEVEL] COMMAND [flags]

Commands:
  migrate            create or upgrade the ClickHouse schema (safe to run again)
  sync               one incremental pass now: extract, load staging, promote
  backfill           re-read a historical window in chunks, with progress; resumable
  promote            merge staging into the fact tables and update the metrics
  metrics            print the DORA metrics (default: last 30 days, by service)
  report             write the metrics as one self-contained HTML page (default: last 90 days)
  preview            show what one mapping block matches in the last days, storing nothing
  explain            list the deployments, changes, failures, incidents or rework behind the metrics
  record deployment  record a custom deployment (stored and promoted at once)
  record incident    record or update a custom incident
  config validate    check the config file and say what is wrong, where
  config add-deployment, config add-incident
                     append a mapping block to the config file, keeping its comments
  run                the daemon: the sync schedule plus the HTTP API
  status             recent runs and each block's watermark
  demo               the whole pipeline on built-in simulated data
  version            print the version, commit and Go version (also --version)

Run 'doraflow COMMAND --help' for a command's flags. The config file is
--config PATH, else $DORAFLOW_CONFIG, else ./doraflow.yaml.
Exit status: 0 success, 1 the work failed, 2 bad usage or bad config.
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	setProcessDefaults()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// setProcessDefaults sets, once and before any logger exists, what
// zerolog keeps in package variables: a duration field is a Go duration
// with its unit ("took":"2.945s"), not a bare number of milliseconds
// ("took":2945.2). The callers round what they log to the millisecond.
func setProcessDefaults() {
	zerolog.DurationFieldFormat = zerolog.DurationFormatString
}

// run executes one command line and returns the exit status. Errors are
// printed as one line; there is never a stack trace.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runEnv(ctx, &env{stdout: stdout, stderr: stderr, getenv: os.LookupEnv}, args)
}

// runEnv is run with the env given: tests set its clock.
func runEnv(ctx context.Context, e *env, args []string) int {
	stderr := e.stderr
	err := dispatch(ctx, e, args)
	if err == nil {
		return 0
	}
	var ex *exitError
	if errors.As(err, &ex) {
		if ex.err != nil {
			fmt.Fprintln(stderr, "doraflow:", ex.err)
		}
		return ex.code
	}
	fmt.Fprintln(stderr, "doraflow:", err)
	return 1
}

// exitError carries an exit status other than 1.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErr is a bad-usage error: exit status 2.
func usageErr(format string, a ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, a...)}
}

type command struct {
	name string
	run  func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"migrate", cmdMigrate},
		{"sync", cmdSync},
		{"backfill", cmdBackfill},
		{"promote", cmdPromote},
		{"metrics", cmdMetrics},
		{"report", cmdReport},
		{"explain", cmdExplain},
		{"preview", cmdPreview},
		{"record", cmdRecord},
		{"config", cmdConfig},
		{"run", cmdRun},
		{"status", cmdStatus},
		{"demo", cmdDemo},
		{"version", cmdVersion},
	}
}

func dispatch(ctx context.Context, e *env, args []string) error {
	// Global flags may come before the command too.
	var err error
	if args, err = e.globalFlags(args); err != nil {
		return err
	}
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return &exitError{code: 2}
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" {
		fmt.Fprint(e.stdout, usage)
		return nil
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, e, args[1:])
		}
	}
	return usageErr("unknown command %q (run 'doraflow help' for the list)", name)
}
