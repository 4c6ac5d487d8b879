package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"doraflow/metrics"
	"doraflow/pipeline"
)

var (
	groupings = []string{"service", "team", "repository", "environment", "none"}
	periods   = []string{"none", "day", "week", "month"}
	formats   = []string{"table", "json", "csv"}
)

func cmdMetrics(ctx context.Context, e *env, args []string) error {
	fs := e.flags("metrics", "metrics [--from DATE] [--to DATE] [--group-by service|team|repository|environment|none] [--period none|day|week|month] [--service NAME] [--team NAME] [--environment NAME] [--format table|json|csv]")
	fromFlag := fs.String("from", "", "start of the window, inclusive: YYYY-MM-DD (midnight in the config time zone) or RFC 3339 (default: 30 days before --to)")
	toFlag := fs.String("to", "", "end of the window, exclusive (default: the end of today)")
	groupBy := fs.String("group-by", "service", "one row per: "+strings.Join(groupings, ", "))
	period := fs.String("period", "none", "also split rows by: "+strings.Join(periods, ", "))
	service := fs.String("service", "", "only this service")
	team := fs.String("team", "", "only this team")
	environment := fs.String("environment", "", "only this environment (incidents are in production)")
	format := fs.String("format", "table", "output: "+strings.Join(formats, ", "))
	fromEvents := fs.Bool("from-events", false, "compute from the per-event table instead of the daily rollup (slower; for checking)")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	for _, c := range []struct {
		flag, value string
		valid       []string
	}{
		{"--group-by", *groupBy, groupings}, {"--period", *period, periods}, {"--format", *format, formats},
	} {
		if !contains(c.valid, c.value) {
			return usageErr("metrics: %s %q: use one of %s", c.flag, c.value, strings.Join(c.valid, ", "))
		}
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	from, to, err := window(*fromFlag, *toFlag, cfg.Location, time.Now())
	if err != nil {
		return usageErr("metrics: %v", err)
	}
	p, store, _, err := e.pipeline(ctx, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := checkFilters(ctx, "metrics", store, cfg, *service, *team); err != nil {
		return err
	}
	if err := e.warnStale(ctx, p); err != nil {
		return err
	}
	q := metrics.Query{From: from, To: to, Location: cfg.Location, GroupBy: *groupBy, Period: *period,
		Service: *service, Team: *team, Environment: *environment}
	report, err := p.Metrics(ctx, q, pipeline.MetricsOptions{FromEvents: *fromEvents})
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		return metrics.WriteJSON(e.stdout, report)
	case "csv":
		return metrics.WriteCSV(e.stdout, report)
	}
	return metrics.WriteTable(e.stdout, report)
}

// window resolves --from and --to: DATEs are midnight in loc; the default
// is the 30 days up to the end of today in loc.
func window(fromFlag, toFlag string, loc *time.Location, now time.Time) (time.Time, time.Time, error) {
	return windowNamed("--from", fromFlag, "--to", toFlag, loc, now)
}

// windowNamed is window for parameters by other names (the HTTP API's
// from and to), which its errors name.
func windowNamed(fromName, fromFlag, toName, toFlag string, loc *time.Location, now time.Time) (time.Time, time.Time, error) {
	var from, to time.Time
	var err error
	if toFlag != "" {
		if to, err = parseWhen(toName, toFlag, loc); err != nil {
			return from, to, err
		}
	} else {
		to = metrics.DateOf(now, loc).AddDays(1).Start(loc)
	}
	if fromFlag != "" {
		if from, err = parseWhen(fromName, fromFlag, loc); err != nil {
			return from, to, err
		}
	} else {
		from = to.AddDate(0, 0, -30)
		if d := metrics.DateOf(to, loc); d.Start(loc).Equal(to) {
			from = d.AddDays(-30).Start(loc)
		}
	}
	if !from.Before(to) {
		return from, to, fmt.Errorf("%s %s is not before %s %s", fromName, from.Format(time.RFC3339), toName, to.Format(time.RFC3339))
	}
	return from, to, nil
}

// parseWhen reads a DATE (the start of that day in loc: midnight, or the
// first instant after a clock change that skips midnight) or an RFC 3339
// time.
func parseWhen(flag, s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return metrics.DateOf(t, time.UTC).Start(loc), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, fmt.Errorf("%s %q: use YYYY-MM-DD or RFC 3339 (2024-03-01T10:00:00Z)", flag, s)
	}
	return t, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
