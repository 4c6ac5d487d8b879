package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"doraflow"
	"doraflow/metrics"
)

//go:embed report.html.tmpl
var pageSource string

var page = template.Must(template.New("report").Funcs(template.FuncMap{"num": num}).Parse(pageSource))

// view is what the template shows: every text and number already
// formatted, so the template only lays them out.
type view struct {
	Title   string
	Window  string
	Filters string
	// Empty is true when nothing happened in the window: the page says so
	// instead of drawing empty charts and tables.
	Empty   bool
	Cards   []card
	Overall level
	Charts  []chart
	Layout  geometry
	Table   table
	// Lists are the failed deployments and the incidents behind the
	// numbers, after the table: there rather than under each row, since
	// an incident has no repository and a section per kind reads (and
	// searches) like `doraflow explain`.
	Lists  []list
	Footer string
}

// card shows one metric: its headline value, details and level.
type card struct {
	Name, Value, Unit string
	Details           []string
	Level             level
	// Bands says where the levels start, or why there are none.
	Bands string
}

// level is a performance level as shown: a name and a CSS class.
type level struct{ Name, Class string }

func levelOf(l *metrics.Level) level {
	if l == nil {
		return level{Name: "no level", Class: "none"}
	}
	return level{Name: string(*l), Class: string(*l)}
}

// table is the per-service (team, repository, environment) table.
type table struct {
	Title string
	Keys  []string
	Rows  []tableRow
}

type tableRow struct {
	Keys, Cells []string
	Level       level
}

// Write renders d as one self-contained HTML page.
func Write(w io.Writer, d Data) error {
	if d.Location == nil {
		d.Location = time.UTC
	}
	if d.GroupBy == "" {
		d.GroupBy = metrics.GroupService
	}
	v := view{
		Title:   "DORA metrics",
		Window:  window(d.From.In(d.Location), d.To.In(d.Location)),
		Filters: filters(d.Query),
		Empty:   d.empty(),
		Layout:  layout,
		Footer:  footer(d.Version, d.Generated),
	}
	if d.Service != "" {
		v.Title += " of " + d.Service
	} else if d.Team != "" {
		v.Title += " of team " + d.Team
	}
	if !v.Empty {
		span := d.To.Sub(d.From)
		v.Cards = cards(&d.Summary, span)
		v.Overall = levelOf(d.Summary.Levels.Overall)
		v.Charts = charts(&d)
		v.Table = newTable(d.GroupBy, d.Rows)
		if d.Failures != nil || d.Incidents != nil {
			v.Lists = newLists(&d)
		}
	}
	if err := page.Execute(w, v); err != nil {
		return fmt.Errorf("report: render: %w", err)
	}
	return nil
}

// cards returns the headline of each metric over a window of length span.
func cards(s *metrics.Row, span time.Duration) []card {
	days := span.Hours() / 24
	return []card{
		{
			Name: "Deployment frequency", Value: strconv.FormatFloat(s.DeploymentsPerDay, 'f', 2, 64), Unit: "per day",
			Details: []string{
				fmt.Sprintf("%s on %d of %s", metrics.Plural(s.Deployments, "deployment"), s.DeploymentDays, fmtDays(days)),
			},
			Level: levelOf(s.Levels.DeploymentFrequency),
			Bands: "elite: a deployment on ≥ 5 days of 7 · high: ≥ 1 of 7 · medium: ≥ 1 of 30",
		},
		{
			Name: "Lead time for changes", Value: metrics.Seconds(s.LeadTimeMedian), Unit: "median",
			Details: orNone(s.LeadTimeMedian, "no change was deployed",
				"90th percentile "+metrics.Seconds(s.LeadTimeP90)+" · mean "+metrics.Seconds(s.LeadTimeMean),
				metrics.Plural(s.Changes, "change")+" first deployed"),
			Level: levelOf(s.Levels.LeadTime),
			Bands: "elite: < 1 day · high: < 1 week · medium: < 30 days",
		},
		{
			Name: "Change failure rate", Value: metrics.Percent(s.ChangeFailureRate),
			Details: orNone(s.ChangeFailureRate, "no deployments",
				fmt.Sprintf("%d of %s caused an incident", s.FailedDeployments, metrics.Plural(s.Deployments, "deployment"))),
			Level: levelOf(s.Levels.ChangeFailureRate),
			Bands: "elite: ≤ 5% · high: ≤ 10% · medium: ≤ 15%",
		},
		{
			Name: "Time to restore", Value: metrics.Seconds(s.TimeToRestoreMedian), Unit: "median",
			Details: orNone(s.TimeToRestoreMedian, "no incident was resolved",
				"90th percentile "+metrics.Seconds(s.TimeToRestoreP90)+" · mean "+metrics.Seconds(s.TimeToRestoreMean),
				fmt.Sprintf("%s resolved, %s opened", metrics.Plural(s.RestoredIncidents, "incident"), strconv.FormatInt(s.Incidents, 10))),
			Level: levelOf(s.Levels.TimeToRestore),
			Bands: "elite: < 1 hour · high: < 1 day · medium: < 1 week",
		},
		{
			Name: "Rework rate", Value: metrics.Percent(s.ReworkRate),
			Details: orNone(s.ReworkRate, "no deployments",
				fmt.Sprintf("%d of %s shipped a hotfix or a revert", s.ReworkDeployments, metrics.Plural(s.Deployments, "deployment"))),
			Level: level{Name: "no levels", Class: "none"},
			Bands: "DORA defines no levels for rework rate",
		},
	}
}

// orNone returns details, or only none when the metric v is null.
func orNone(v *float64, none string, details ...string) []string {
	if v == nil {
		return []string{none}
	}
	return details
}

func newTable(groupBy string, rows []metrics.Row) table {
	t := table{Title: "Per " + groupBy}
	switch groupBy {
	case metrics.GroupService:
		t.Keys = []string{"Service", "Team"}
	case metrics.GroupNone:
		// One row: everything the filters keep, as `metrics --group-by none`.
		t.Title, t.Keys = "All together", []string{"Scope"}
	default:
		t.Keys = []string{strings.ToUpper(groupBy[:1]) + groupBy[1:]}
	}
	for i := range rows {
		r := &rows[i]
		var keys []string
		switch groupBy {
		case metrics.GroupService:
			keys = []string{r.Service, r.Team}
		case metrics.GroupTeam:
			keys = []string{r.Team}
		case metrics.GroupRepository:
			keys = []string{r.Repository}
		case metrics.GroupEnvironment:
			keys = []string{r.Environment}
		case metrics.GroupNone:
			keys = []string{"all"}
		}
		for j, k := range keys {
			if k == "" {
				keys[j] = "—"
			}
		}
		t.Rows = append(t.Rows, tableRow{
			Keys: keys,
			Cells: []string{
				strconv.FormatInt(r.Deployments, 10),
				strconv.FormatFloat(r.DeploymentsPerDay, 'f', 2, 64),
				strconv.FormatInt(r.DeploymentDays, 10),
				strconv.FormatInt(r.Changes, 10),
				metrics.Seconds(r.LeadTimeMedian),
				metrics.Seconds(r.LeadTimeP90),
				metrics.Seconds(r.CodingTimeMedian),
				metrics.Seconds(r.PickupTimeMedian),
				metrics.Seconds(r.ReviewTimeMedian),
				metrics.Seconds(r.DeployTimeMedian),
				metrics.Percent(r.ChangeFailureRate),
				strconv.FormatInt(r.Incidents, 10),
				strconv.FormatInt(r.RestoredIncidents, 10),
				metrics.Seconds(r.TimeToRestoreMedian),
				metrics.Percent(r.ReworkRate),
			},
			Level: levelOf(r.Levels.Overall),
		})
	}
	return t
}

// window says which days (or instants) the report covers, as the metrics
// table and explain say it (metrics.Window), with the number of days.
func window(from, to time.Time) string {
	w := metrics.Window(from, to)
	if midnight(from) && midnight(to) {
		w += ", " + fmtDays(to.Sub(from).Hours()/24)
	}
	return w
}

func midnight(t time.Time) bool {
	return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
}

// filters says what the report is restricted to.
func filters(q Query) string {
	var parts []string
	for _, f := range [][2]string{{"service", q.Service}, {"team", q.Team}, {"environment", q.Environment}} {
		if f[1] != "" {
			parts = append(parts, f[0]+" "+f[1])
		}
	}
	if len(parts) == 0 {
		return "All services, teams and environments."
	}
	return "Only " + strings.Join(parts, ", ") + "."
}

func footer(version string, generated time.Time) string {
	s := "Generated by doraflow"
	if version != "" {
		s += " " + version
	}
	if !generated.IsZero() {
		s += " on " + generated.UTC().Format("2006-01-02 15:04 UTC")
	}
	return s + "."
}

// fmtDays prints a number of days, whole when it is.
func fmtDays(days float64) string {
	if days == math.Trunc(days) {
		if days == 1 {
			return "1 day"
		}
		return strconv.FormatFloat(days, 'f', 0, 64) + " days"
	}
	return strconv.FormatFloat(days, 'f', 2, 64) + " days"
}

func shortDate(d doraflow.Date) string {
	return fmt.Sprintf("%d %s", d.Day, d.Month.String()[:3])
}
