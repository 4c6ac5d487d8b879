package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mattn/go-isatty"

	"doraflow/metrics"
	"doraflow/pipeline"
	"doraflow/transform"
)

func cmdExplain(ctx context.Context, e *env, args []string) error {
	subjects := strings.Join(pipeline.ExplainKinds, "|")
	if len(args) > 0 && isHelp(args[0]) {
		return e.groupUsage("explain", []subcommand{
			{pipeline.ExplainDeployments, "the deployments counted (deployments, deployment days)"},
			{pipeline.ExplainChanges, "the changes shipped and their lead times"},
			{pipeline.ExplainFailures, "the failed deployments and what made them fail"},
			{pipeline.ExplainIncidents, "the incidents, their deployments and times to restore"},
			{pipeline.ExplainRework, "the deployments that shipped rework"},
		})
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usageErr("explain: say what to list: doraflow explain %s [flags]", subjects)
	}
	what := args[0]
	if !contains(pipeline.ExplainKinds, what) {
		return usageErr("explain: unknown subject %q: use one of %s", what, strings.Join(pipeline.ExplainKinds, ", "))
	}
	fs := e.flags("explain "+what, "explain "+what+" [--from DATE] [--to DATE] [--service NAME] [--team NAME] [--environment NAME] [--format table|json|csv]")
	fromFlag := fs.String("from", "", "start of the window, as for metrics")
	toFlag := fs.String("to", "", "end of the window, as for metrics")
	service := fs.String("service", "", "only this service")
	team := fs.String("team", "", "only this team")
	environment := fs.String("environment", "", "only this environment")
	format := fs.String("format", "table", "output: "+strings.Join(formats, ", "))
	if err := e.parse(fs, args[1:]); err != nil {
		return err
	}
	if !contains(formats, *format) {
		return usageErr("explain: --format %q: use one of %s", *format, strings.Join(formats, ", "))
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	from, to, err := window(*fromFlag, *toFlag, cfg.Location, time.Now())
	if err != nil {
		return usageErr("explain: %v", err)
	}
	p, store, _, err := e.pipeline(ctx, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := checkFilters(ctx, "explain", store, cfg, *service, *team); err != nil {
		return err
	}
	if err := e.warnStale(ctx, p); err != nil {
		return err
	}
	items, err := p.Explain(ctx, pipeline.ExplainQuery{What: what, From: from, To: to, Service: *service, Team: *team, Environment: *environment})
	if err != nil {
		return err
	}
	return e.page(*format == "table", func(w io.Writer) error {
		switch *format {
		case "json":
			return writeItemsJSON(w, what, from, to, items)
		case "csv":
			return writeItemsCSV(w, items)
		}
		return writeItemsTable(w, what, from, to, items)
	})
}

// writeItemsJSON writes the document of `explain --format json`, which
// GET /api/v1/explain/{kind} answers too.
func writeItemsJSON(w io.Writer, what string, from, to time.Time, items []pipeline.Item) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"subject": what, "from": from.UTC(), "to": to.UTC(), "count": len(items), "items": nonNilItems(items)})
}

func nonNilItems(items []pipeline.Item) []pipeline.Item {
	if items == nil {
		return []pipeline.Item{}
	}
	return items
}

// page writes through less when stdout is a terminal and the output is
// for reading; plain otherwise, so scripts and pipes get every line.
func (e *env) page(forPeople bool, write func(io.Writer) error) error {
	f, ok := e.stdout.(*os.File)
	if !forPeople || !ok || !isatty.IsTerminal(f.Fd()) {
		return write(e.stdout)
	}
	less, err := exec.LookPath("less")
	if err != nil {
		return write(e.stdout)
	}
	cmd := exec.Command(less, "-FRX")
	cmd.Stdout, cmd.Stderr = f, e.stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return write(e.stdout)
	}
	if err := cmd.Start(); err != nil {
		return write(e.stdout)
	}
	werr := write(in)
	in.Close()
	if err := cmd.Wait(); err != nil && werr == nil {
		// Quitting less early is not an error of ours.
		return nil
	}
	return werr
}

var itemColumns = []string{"kind", "id", "at", "service", "team", "environment", "repository", "title", "url", "block", "deployment_id", "reason",
	"started_at", "lead_time_seconds", "coding_seconds", "pickup_seconds", "review_seconds", "deploy_seconds", "resolved_at", "created_in_window", "restored_in_window", "time_to_restore_seconds", "because", "commits"}

func writeItemsCSV(w io.Writer, items []pipeline.Item) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(itemColumns); err != nil {
		return err
	}
	for _, it := range items {
		st := stagesOf(it)
		if err := cw.Write([]string{it.Kind, it.ID, it.At.UTC().Format(time.RFC3339), it.Service, it.Team, it.Environment, it.Repository,
			it.Title, it.URL, it.Block, it.DeploymentID, it.Reason, timeCell(it.StartedAt), secondsCell(it.LeadTime),
			secondsCell(st.Coding), secondsCell(st.Pickup), secondsCell(st.Review), secondsCell(st.Deploy), timeCell(it.ResolvedAt),
			strconv.FormatBool(it.Created), strconv.FormatBool(it.Restored), secondsCell(it.TimeToRestore), strings.Join(it.Because, " "),
			strings.Join(it.Commits, " ")}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func writeItemsTable(w io.Writer, what string, from, to time.Time, items []pipeline.Item) error {
	// One time format in the whole table: the header names the zone once
	// (metrics.Window) and every time below is in it, to the minute.
	loc := from.Location()
	stamp := func(t time.Time) string { return t.In(loc).Format(metrics.StampLayout) }
	stampOf := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return stamp(*t)
	}
	fmt.Fprintf(w, "%s %s\n\n", metrics.Plural(len(items), explainNouns[what]), metrics.Window(from, to))
	if len(items) == 0 {
		fmt.Fprintln(w, "nothing in this window")
		return nil
	}
	// Every text cell goes through metrics.Text: titles come from GitHub,
	// PagerDuty and API callers, and may hold escape sequences, tabs or
	// bidirectional overrides that would act on the terminal.
	text := metrics.Text
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	switch what {
	case pipeline.ExplainChanges:
		fmt.Fprintln(tw, "DEPLOYED\tSERVICE\tENV\tCHANGE\tSTARTED\tLEAD TIME\tCODING\tPICKUP\tREVIEW\tDEPLOY\tFIRST DEPLOYMENT\tCOMMITS\tTITLE\tURL")
		for _, it := range items {
			st := stagesOf(it)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", stamp(it.At), text(it.Service), text(it.Environment), text(it.ID),
				stampOf(it.StartedAt), human(it.LeadTime), human(st.Coding), human(st.Pickup), human(st.Review), human(st.Deploy),
				text(it.DeploymentID), text(shortSHAs(it.Commits)), text(it.Title), text(it.URL))
		}
	case pipeline.ExplainIncidents:
		fmt.Fprintln(tw, "CREATED\tSERVICE\tINCIDENT\tRESOLVED\tTIME TO RESTORE\tCOUNTS AS\tDEPLOYMENT\tWHY\tTITLE")
		for _, it := range items {
			var counts []string
			if it.Created {
				counts = append(counts, "incident")
			}
			if it.Restored {
				counts = append(counts, "restored")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", stamp(it.At), text(it.Service), text(it.ID), stampOf(it.ResolvedAt), human(it.TimeToRestore),
				strings.Join(counts, "+"), text(dash(it.DeploymentID)), text(dash(it.Reason)), text(it.Title))
		}
	default:
		why := map[string]string{pipeline.ExplainFailures: "\tCAUSED", pipeline.ExplainRework: "\tREWORK PRS"}[what]
		fmt.Fprintln(tw, "DEPLOYED\tSERVICE\tENV\tDEPLOYMENT\tBLOCK\tTITLE\tURL"+why)
		for _, it := range items {
			line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s", stamp(it.At), text(it.Service), text(it.Environment), text(it.ID), text(dash(it.Block)), text(it.Title), text(it.URL))
			if why != "" {
				line += "\t" + text(strings.Join(it.Because, ", "))
			}
			fmt.Fprintln(tw, line)
		}
	}
	return tw.Flush()
}

// explainNouns names one item of each explain subject, for the count in
// the table's header ("1 failed deployment", "3 incidents").
var explainNouns = map[string]string{
	pipeline.ExplainDeployments: "deployment",
	pipeline.ExplainChanges:     "change",
	pipeline.ExplainFailures:    "failed deployment",
	pipeline.ExplainIncidents:   "incident",
	pipeline.ExplainRework:      "rework deployment",
}

// stagesOf returns an item's stages, all absent for the items that have
// none (every kind but changes).
func stagesOf(it pipeline.Item) transform.Stages {
	if it.Stages == nil {
		return transform.Stages{}
	}
	return *it.Stages
}

// shortSHAs abbreviates commits for the table, as git does, and names at
// most three; JSON and CSV carry them all.
func shortSHAs(commits []string) string {
	const shown = 3
	if len(commits) == 0 {
		return "-"
	}
	var out []string
	for _, c := range commits[:min(len(commits), shown)] {
		out = append(out, c[:min(len(c), 7)])
	}
	if len(commits) > shown {
		out = append(out, fmt.Sprintf("+%d more", len(commits)-shown))
	}
	return strings.Join(out, ",")
}

// timeCell prints a time for CSV, as RFC 3339 in UTC like JSON.
func timeCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// secondsCell prints a duration for CSV as JSON does (docs/metrics.md,
// "Numbers in JSON and CSV"): 3600.0; empty when there is none.
func secondsCell(v *int64) string {
	if v == nil {
		return ""
	}
	return metrics.JSONSeconds(*v).String()
}

// human prints seconds as a short duration for people, as metrics does.
func human(v *int64) string {
	if v == nil {
		return metrics.Seconds(nil)
	}
	f := float64(*v)
	return metrics.Seconds(&f)
}
