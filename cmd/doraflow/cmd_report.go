package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"doraflow/metrics"
	"doraflow/pipeline"
	"doraflow/report"
)

// reportGroupings are what the report's table can have a row per.
var reportGroupings = []string{"service", "team", "repository", "environment", "none"}

func cmdReport(ctx context.Context, e *env, args []string) error {
	fs := e.flags("report", "report [--from DATE] [--to DATE] [--group-by service|team|repository|environment|none] [--service NAME] [--team NAME] [--environment NAME] [--output FILE]")
	fromFlag := fs.String("from", "", "start of the window, inclusive: YYYY-MM-DD (midnight in the config time zone) or RFC 3339 (default: 90 days before --to)")
	toFlag := fs.String("to", "", "end of the window, exclusive (default: the end of today)")
	groupBy := fs.String("group-by", "service", "the table has a row per: "+strings.Join(reportGroupings, ", "))
	service := fs.String("service", "", "only this service")
	team := fs.String("team", "", "only this team")
	environment := fs.String("environment", "", "only this environment (incidents are in production)")
	output := fs.String("output", "report.html", "the HTML file to write")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if !contains(reportGroupings, *groupBy) {
		return usageErr("report: --group-by %q: use one of %s", *groupBy, strings.Join(reportGroupings, ", "))
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	from, to, err := window(*fromFlag, *toFlag, cfg.Location, time.Now())
	if err != nil {
		return usageErr("report: %v", err)
	}
	if *fromFlag == "" {
		// A quarter by default, as the Grafana dashboard shows: a report is
		// read less often than `doraflow metrics` is run.
		from = to.AddDate(0, 0, -90)
		if d := metrics.DateOf(to, cfg.Location); d.Start(cfg.Location).Equal(to) {
			from = d.AddDays(-90).Start(cfg.Location)
		}
	}
	store, err := e.openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := checkFilters(ctx, "report", store, cfg, *service, *team); err != nil {
		return err
	}
	// The report reads its cells through the pipeline, as metrics does.
	p := pipeline.New(cfg, store, zerolog.Nop())
	if err := e.warnStale(ctx, p); err != nil {
		return err
	}
	q := report.Query{
		From: from, To: to, Location: cfg.Location, GroupBy: *groupBy,
		Service: *service, Team: *team, Environment: *environment,
	}
	data, err := report.Collect(ctx, p, q)
	if err != nil {
		return err
	}
	if data.Failures, err = reportEntries(ctx, p, pipeline.ExplainFailures, q); err != nil {
		return err
	}
	if data.Incidents, err = reportEntries(ctx, p, pipeline.ExplainIncidents, q); err != nil {
		return err
	}
	data.Version, data.Generated = version, time.Now()
	if err := writeFileAtomically(*output, func(f *os.File) error { return report.Write(f, data) }); err != nil {
		return err
	}
	what := metrics.Plural(len(data.Rows), "row")
	if *groupBy != metrics.GroupNone {
		what += " by " + *groupBy
	}
	if len(data.Rows) == 0 {
		what = "no data in this window"
	}
	fmt.Fprintf(e.stdout, "wrote %s: %s, %s\n", *output, metrics.Window(from, to), what)
	return nil
}

// reportEntries lists what `doraflow explain what` lists for the
// report's window and filters, as the report shows it: the same
// pipeline.Explain read, from the same metric events as the report's
// numbers, so the lists add up to them.
func reportEntries(ctx context.Context, p *pipeline.Pipeline, what string, q report.Query) ([]report.Entry, error) {
	items, err := p.Explain(ctx, pipeline.ExplainQuery{What: what, From: q.From, To: q.To, Service: q.Service, Team: q.Team, Environment: q.Environment})
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	entries := make([]report.Entry, 0, len(items))
	for _, it := range items {
		entries = append(entries, report.Entry{
			ID: it.ID, Title: it.Title, URL: it.URL, Service: it.Service, Environment: it.Environment, At: it.At,
			Because: it.Because, DeploymentID: it.DeploymentID, Reason: it.Reason,
			ResolvedAt: it.ResolvedAt, TimeToRestore: it.TimeToRestore, Created: it.Created, Restored: it.Restored,
		})
	}
	return entries, nil
}

// writeFileAtomically writes path through a hidden temporary file in the
// same folder, renamed over path once whole: a reader (a browser, a web
// server) never sees half a report, and a failed write leaves the old
// one. Errors name path, never the temporary file, which is gone by then
// and means nothing to whoever reads the message.
func writeFileAtomically(path string, write func(*os.File) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fileError("create", path, err)
	}
	defer os.Remove(f.Name()) // fails harmlessly once renamed
	if err := write(f); err != nil {
		f.Close()
		return fileError("write", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fileError("write", path, err)
	}
	if err := f.Close(); err != nil {
		return fileError("write", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fileError("replace", path, err)
	}
	return nil
}

// fileError says that op on path failed, with the cause the system gave
// but not the path it was given (the temporary file's).
func fileError(op, path string, err error) error {
	var pathErr *os.PathError
	var linkErr *os.LinkError
	switch {
	case errors.As(err, &pathErr):
		err = pathErr.Err
	case errors.As(err, &linkErr):
		err = linkErr.Err
	}
	return fmt.Errorf("report: %s %s: %w", op, path, err)
}
