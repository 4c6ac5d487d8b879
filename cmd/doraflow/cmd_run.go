package main

import (
	"context"
	"doraflow"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"doraflow/config"
	"doraflow/load/clickhouse"
	"doraflow/metrics"
	"doraflow/pipeline"
)

func cmdRun(ctx context.Context, e *env, args []string) error {
	fs := e.flags("run", "run [--migrate]")
	migrate := fs.Bool("migrate", false, "apply migrations before starting (docker compose uses it)")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	// The certificate is read before ClickHouse is reached: a wrong path
	// in server.tls is a config problem (exit 2), found at once.
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	tlsConfig, err := serverTLS(cfg.Server.TLS)
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("run: %w", err)}
	}
	if *migrate {
		if err := e.migrate(ctx, cfg); err != nil {
			return err
		}
	}
	tel := pipeline.NewTelemetry()
	p, store, cfg, err := e.pipeline(ctx, tel)
	if err != nil {
		return err
	}
	defer store.Close()
	log, err := e.logger()
	if err != nil {
		return err
	}
	// The pipeline does the work; the server in front of it (server.go)
	// takes the records and answers /healthz and /metrics.
	srv := &server{pipeline: p, cfg: cfg, log: log, telemetry: tel, tls: tlsConfig}
	return srv.run(ctx)
}

func cmdStatus(ctx context.Context, e *env, args []string) error {
	fs := e.flags("status", "status [--runs N]")
	n := fs.Int("runs", 20, "how many recent runs to show")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if *n < 1 {
		return usageErr("status: --runs %d: want at least 1", *n)
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	store, err := e.openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	runs, err := store.RecentRuns(ctx, *n)
	if err != nil {
		return err
	}
	marks, err := pipeline.Watermarks(ctx, store)
	if err != nil {
		return err
	}
	if err := writeStatus(e.stdout, runs, marks); err != nil {
		return err
	}
	if !signsInToGitHub(cfg) {
		return nil
	}
	budgets, err := e.githubBudgets(ctx, cfg)
	return writeBudgets(e.stdout, budgets, err)
}

// githubBudgets asks GitHub for the budget of each configured credential.
func (e *env) githubBudgets(ctx context.Context, cfg *config.Config) ([]doraflow.Budget, error) {
	log, err := e.logger()
	if err != nil {
		return nil, err
	}
	gh, err := githubSource(cfg, nil, log, nil)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return gh.CheckBudgets(ctx)
}

// writeBudgets prints each GitHub credential's rate-limit budgets (the
// REST API's requests, GraphQL's points), by its label (never the
// credential), and what could not be asked. GitHub being out of reach is
// no failure of status: the store's side was printed.
func writeBudgets(w io.Writer, budgets []doraflow.Budget, err error) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nGITHUB RATE LIMITS\nCREDENTIAL\tAPI\tREMAINING\tLIMIT\tRESETS")
	for _, b := range budgets {
		api := map[string]string{"core": "rest", "graphql": "graphql (points)"}[b.Resource]
		if api == "" {
			api = b.Resource
		}
		if !b.Known {
			fmt.Fprintf(tw, "%s\t%s\t—\t—\t—\n", b.Label, api)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", b.Label, api, b.Remaining, b.Limit, b.Reset.Format(time.RFC3339))
	}
	if err != nil {
		fmt.Fprintf(tw, "(could not ask GitHub: %s)\n", metrics.Text(err.Error()))
	}
	return tw.Flush()
}

// writeStatus prints the recent runs and the watermarks as two tables.
func writeStatus(w io.Writer, runs []clickhouse.Run, marks []pipeline.Watermark) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RECENT RUNS")
	fmt.Fprintln(tw, "STARTED\tJOB\tSOURCE\tBLOCK\tSTATUS\tTOOK\tDEPLOYS\tCHANGES\tINCIDENTS\tREQUESTS\tERROR")
	if len(runs) == 0 {
		fmt.Fprintln(tw, "(none yet)")
	}
	for _, r := range runs {
		took := "—"
		if !r.Finished.IsZero() {
			took = r.Finished.Sub(r.Started).Round(time.Millisecond).String()
		}
		// Block names and errors are text from the config and from the
		// sources: metrics.Text keeps their control characters off the
		// terminal, as explain does.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", r.Started.Format(time.RFC3339), metrics.Text(r.Job), metrics.Text(dash(r.Source)), metrics.Text(dash(r.Block)),
			metrics.Text(r.Status), took, r.Deployments, r.Changes, r.Incidents, r.Requests, metrics.Text(oneLine(r.Error)))
	}
	fmt.Fprintln(tw, "\nWATERMARKS\nSOURCE\tBLOCK\tREAD UP TO")
	if len(marks) == 0 {
		fmt.Fprintln(tw, "(no block synced yet)")
	}
	for _, m := range marks {
		block := m.Block
		if m.Repository != "" {
			block += "/" + m.Repository
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", metrics.Text(m.Source), metrics.Text(block), m.Until.Format(time.RFC3339))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// oneLine keeps an error message on one table row. It is the last column
// and is never cut: the cause is at its end ("… (pagerduty.token)").
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
