package bi_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/metrics"
)

// The Grafana files under test.
const (
	dashboardFile  = "../deploy/grafana/dashboards/doraflow.json"
	datasourceFile = "../deploy/grafana/provisioning/datasources/clickhouse.yaml"
	providerFile   = "../deploy/grafana/provisioning/dashboards/doraflow.yaml"
)

// dashboard is the part of a Grafana dashboard the tests read.
type dashboard struct {
	UID      string `json:"uid"`
	Timezone string `json:"timezone"`
	Time     struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"time"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
}

// variable is a template variable.
type variable struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Query      string         `json:"query"`
	Multi      bool           `json:"multi"`
	IncludeAll bool           `json:"includeAll"`
	Datasource *datasourceRef `json:"datasource"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID          int            `json:"id"`
	Type        string         `json:"type"`
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Datasource  *datasourceRef `json:"datasource"`
	GridPos     struct {
		H int `json:"h"`
		W int `json:"w"`
		X int `json:"x"`
		Y int `json:"y"`
	} `json:"gridPos"`
	Targets []struct {
		RefID   string `json:"refId"`
		RawSQL  string `json:"rawSql"`
		PanelID int    `json:"panelId"`
	} `json:"targets"`
	Options struct {
		ReduceOptions struct {
			Fields string `json:"fields"`
		} `json:"reduceOptions"`
	} `json:"options"`
	Transformations []struct {
		ID      string `json:"id"`
		Options struct {
			Include struct {
				Names []string `json:"names"`
			} `json:"include"`
		} `json:"options"`
	} `json:"transformations"`
}

// dashboardDatasource is the uid Grafana gives the data source that
// stands for another panel's query.
const dashboardDatasource = "-- Dashboard --"

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	body, err := os.ReadFile(dashboardFile)
	must(t, err)
	var d dashboard
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

// provisionedDatasource returns the uid and type of the data source that
// Grafana provisioning creates.
func provisionedDatasource(t *testing.T) datasourceRef {
	t.Helper()
	body, err := os.ReadFile(datasourceFile)
	must(t, err)
	var f struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			UID      string         `yaml:"uid"`
			Type     string         `yaml:"type"`
			JSONData map[string]any `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	if err := yaml.Unmarshal(body, &f); err != nil {
		t.Fatalf("%s: %v", datasourceFile, err)
	}
	if f.APIVersion != 1 || len(f.Datasources) != 1 {
		t.Fatalf("%s: want apiVersion 1 and one data source", datasourceFile)
	}
	ds := f.Datasources[0]
	for _, key := range []string{"host", "port", "protocol", "username", "defaultDatabase"} {
		if ds.JSONData[key] == nil {
			t.Errorf("%s: jsonData.%s is missing", datasourceFile, key)
		}
	}
	return datasourceRef{Type: ds.Type, UID: ds.UID}
}

// TestDashboardIsWellFormed checks what Grafana would only show at run
// time: references between panels and to the provisioned data source,
// the variables, the default time range, and a layout without overlaps.
func TestDashboardIsWellFormed(t *testing.T) {
	t.Parallel()
	d := loadDashboard(t)
	ds := provisionedDatasource(t)
	if ds.Type != "grafana-clickhouse-datasource" {
		t.Errorf("data source type %q, want grafana-clickhouse-datasource", ds.Type)
	}
	if d.Time.From != "now-90d" || d.Time.To != "now" {
		t.Errorf("default time range %s to %s, want now-90d to now", d.Time.From, d.Time.To)
	}
	if d.Timezone != "utc" {
		t.Errorf("timezone %q: want utc, so that weeks start at midnight of the config's days", d.Timezone)
	}
	for _, name := range []string{"service", "team", "environment"} {
		v := findVariable(d, name)
		if v == nil || v.Type != "query" || !v.Multi || !v.IncludeAll || v.Datasource == nil || *v.Datasource != ds {
			t.Errorf("variable %s: want a multi-value query variable with All on the provisioned data source, got %+v", name, v)
		}
	}
	if v := findVariable(d, "timezone"); v == nil || v.Type != "constant" || v.Query != "UTC" {
		t.Errorf("variable timezone: want a constant, UTC by default, got %+v", v)
	}

	byID := map[int]panel{}
	for _, p := range d.Panels {
		if _, dup := byID[p.ID]; dup {
			t.Errorf("panel id %d twice", p.ID)
		}
		byID[p.ID] = p
	}
	var stats []string
	for _, p := range d.Panels {
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("panel %q: gridPos %+v is outside the 24 columns", p.Title, g)
		}
		for _, q := range d.Panels {
			h := q.GridPos
			if p.ID < q.ID && g.X < h.X+h.W && h.X < g.X+g.W && g.Y < h.Y+h.H && h.Y < g.Y+g.H {
				t.Errorf("panels %q and %q overlap", p.Title, q.Title)
			}
		}
		if p.Type == "row" {
			continue
		}
		if p.Title == "" || p.Description == "" {
			t.Errorf("panel %d: want a title and a description", p.ID)
		}
		if p.Type == "stat" {
			stats = append(stats, p.Title)
		}
		if len(p.Targets) != 1 || p.Datasource == nil {
			t.Errorf("panel %q: want one query and a data source", p.Title)
			continue
		}
		switch tg := p.Targets[0]; {
		case p.Datasource.UID == dashboardDatasource:
			src, ok := byID[tg.PanelID]
			if !ok || len(src.Targets) == 0 || src.Targets[0].RawSQL == "" {
				t.Errorf("panel %q shows the query of panel %d, which has none", p.Title, tg.PanelID)
			}
		case *p.Datasource != ds:
			t.Errorf("panel %q: data source %+v, want the provisioned %+v", p.Title, *p.Datasource, ds)
		case tg.RawSQL == "":
			t.Errorf("panel %q: no SQL", p.Title)
		}
	}
	for _, want := range []string{"Deployment frequency", "Lead time for changes", "Change failure rate", "Time to restore", "Rework rate"} {
		if !slices.Contains(stats, want) {
			t.Errorf("no stat panel %q (have %q)", want, stats)
		}
	}

	body, err := os.ReadFile(providerFile)
	must(t, err)
	var provider struct {
		Providers []struct {
			Type    string `yaml:"type"`
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	must(t, yaml.Unmarshal(body, &provider))
	if len(provider.Providers) != 1 || provider.Providers[0].Type != "file" || provider.Providers[0].Options.Path == "" {
		t.Fatalf("%s: want one file provider with a path", providerFile)
	}
}

func findVariable(d dashboard, name string) *variable {
	for i := range d.Templating.List {
		if d.Templating.List[i].Name == name {
			return &d.Templating.List[i]
		}
	}
	return nil
}

// grafanaRange is the time range of a dashboard request: Grafana sends
// the instants, the plugin turns them into SQL.
type grafanaRange struct{ from, to time.Time }

// expand turns a panel's SQL into what ClickHouse receives, the way
// Grafana and the ClickHouse data source plugin (v4) do it:
//  1. $__conditionalAll(condition, $var) becomes 1=1 when var selects
//     All, else the condition (the plugin's frontend);
//  2. ${var} and $var become the selected values, each quoted and joined
//     by commas (the plugin's format for multi-value variables; All means
//     every value of the variable's query), or a constant's value as is;
//  3. $__fromTime, $__toTime, $__timeFilter(c) and $__dateFilter(c)
//     become the plugin's expressions (its backend macros).
//
// selected maps a variable to its selected values; a variable it does not
// name selects All. values holds every value of each query variable.
func expand(t *testing.T, sql string, vars []variable, selected, values map[string][]string, r grafanaRange) string {
	t.Helper()
	isAll := func(name string) bool { _, chosen := selected[name]; return !chosen }

	const macro = "$__conditionalAll("
	for i := strings.LastIndex(sql, macro); i >= 0; i = strings.LastIndex(sql, macro) {
		args, end := macroArgs(t, sql, i+len(macro)-1)
		if len(args) != 2 {
			t.Fatalf("$__conditionalAll needs two arguments: %q", sql[i:end])
		}
		name := strings.Trim(strings.TrimSpace(args[1]), "${}")
		phrase := args[0]
		if isAll(name) {
			phrase = "1=1"
		}
		sql = sql[:i] + phrase + sql[end:]
	}

	known := map[string]variable{}
	for _, v := range vars {
		known[v.Name] = v
	}
	ref := regexp.MustCompile(`\$\{(\w+)\}|\$(\w+)`)
	sql = ref.ReplaceAllStringFunc(sql, func(m string) string {
		name := strings.Trim(m, "${}")
		v, ok := known[name]
		if !ok {
			return m // a macro, for the next step
		}
		if v.Type == "constant" {
			return v.Query
		}
		vals := selected[name]
		if isAll(name) {
			vals = values[name]
		}
		return "'" + strings.Join(vals, "','") + "'"
	})

	col := regexp.MustCompile(`\$__(timeFilter|dateFilter)\(([^)]*)\)`)
	sql = col.ReplaceAllStringFunc(sql, func(m string) string {
		parts := col.FindStringSubmatch(m)
		c := strings.TrimSpace(parts[2])
		if parts[1] == "dateFilter" {
			return fmt.Sprintf("%s >= toDate('%s') AND %s <= toDate('%s')", c, r.from.Format(time.DateOnly), c, r.to.Format(time.DateOnly))
		}
		return fmt.Sprintf("%s >= toDateTime(%d) AND %s <= toDateTime(%d)", c, r.from.Unix(), c, r.to.Unix())
	})
	sql = strings.ReplaceAll(sql, "$__fromTime", fmt.Sprintf("toDateTime(%d)", r.from.Unix()))
	sql = strings.ReplaceAll(sql, "$__toTime", fmt.Sprintf("toDateTime(%d)", r.to.Unix()))
	if strings.Contains(sql, "$") {
		t.Fatalf("unexpanded macro or variable left in:\n%s", sql)
	}
	return sql
}

// macroArgs splits the arguments of the macro whose "(" is at open,
// counting brackets as the plugin does, and returns them with the index
// just past the closing ")".
func macroArgs(t *testing.T, sql string, open int) ([]string, int) {
	t.Helper()
	var args []string
	depth, start := 0, open+1
	for i := open; i < len(sql); i++ {
		switch sql[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return append(args, sql[start:i]), i + 1
			}
		case ',':
			if depth == 1 {
				args = append(args, sql[start:i])
				start = i + 1
			}
		}
	}
	t.Fatalf("unbalanced macro at %d", open)
	return nil, 0
}

// reportFor returns what `doraflow metrics` says a panel's rows must be,
// judging the grouping by the key columns: weekly with a time column, per
// service or team with those, else the whole range.
func reportFor(e *env, columns row, from, to metrics.Date, service, team, environment string) metrics.Report {
	group, period := metrics.GroupNone, metrics.PeriodNone
	switch {
	case columns["time"] != nil:
		period = metrics.PeriodWeek
	case columns["service"] != nil:
		group = metrics.GroupService
	case columns["team"] != nil:
		group = metrics.GroupTeam
	}
	if environment == "" {
		return e.metricsFor(group, period, from, to, service, team)
	}
	// doraflow metrics has no environment filter, but its rows per
	// environment are the same numbers.
	r := e.metricsFor(metrics.GroupEnvironment, period, from, to, service, team)
	out := metrics.Report{GroupBy: metrics.GroupNone, Period: period}
	for _, row := range r.Rows {
		if row.Environment == environment {
			row.Environment = ""
			out.Rows = append(out.Rows, row)
		}
	}
	return out
}

// TestDashboardEqualsMetrics runs every query of the dashboard, expanded
// as Grafana would, on the organisation's quarter for several selections
// of the variables, and checks that each returns rows, that every panel
// finds the fields it shows, and that every number equals pipeline.Metrics
// for the same days.
func TestDashboardEqualsMetrics(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		d := loadDashboard(t)
		e := newEnv(t, time.UTC)

		values := map[string][]string{}
		for _, v := range d.Templating.List {
			if v.Type != "query" {
				continue
			}
			for _, r := range e.query(v.Query) {
				values[v.Name] = append(values[v.Name], r[v.Name].(string))
			}
		}
		wantValues := map[string][]string{
			"service": {"api", "db", "solo", "web"}, "team": {"frontend", "platform"}, "environment": {"production", "staging"},
		}
		for name, want := range wantValues {
			if !slices.Equal(values[name], want) {
				t.Errorf("variable %s offers %q, want %q", name, values[name], want)
			}
		}

		// An absolute range of whole days, as Grafana's picker sends it: the
		// end is the last millisecond of March 31st.
		r := grafanaRange{from: quarterStart, to: time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC).Add(-time.Millisecond)}
		from, to := date(2024, 1, 1), date(2024, 4, 1)
		for _, sc := range []struct {
			name                       string
			selected                   map[string][]string
			service, team, environment string
			// compare is false for selections doraflow metrics cannot
			// express; their queries must still return rows.
			compare bool
		}{
			{name: "everything", compare: true},
			// Every service picked one by one rather than All: the same numbers
			// through an IN list of every value.
			{name: "every service picked", selected: map[string][]string{"service": values["service"]}, compare: true},
			{name: "service api", selected: map[string][]string{"service": {"api"}}, service: "api", compare: true},
			{name: "team platform", selected: map[string][]string{"team": {"platform"}}, team: "platform", compare: true},
			{name: "production", selected: map[string][]string{"environment": {"production"}}, environment: "production", compare: true},
			{name: "api and web in production", selected: map[string][]string{"service": {"api", "web"}, "environment": {"production"}}},
		} {
			t.Run(sc.name, func(t *testing.T) {
				results := map[int][]row{}
				for _, p := range d.Panels {
					if len(p.Targets) == 0 || p.Targets[0].RawSQL == "" {
						continue
					}
					rows := e.query(expand(t, p.Targets[0].RawSQL, d.Templating.List, sc.selected, values, r))
					if len(rows) == 0 {
						t.Errorf("panel %q: no rows", p.Title)
						continue
					}
					results[p.ID] = rows
					if !sc.compare || sc.environment != "" && (rows[0]["service"] != nil || rows[0]["team"] != nil) {
						continue
					}
					want := reportFor(e, rows[0], from, to, sc.service, sc.team, sc.environment)
					if n := compare(t, "panel "+p.Title, rows, want); n == 0 {
						t.Errorf("panel %q: no column is named after a metric, nothing was checked", p.Title)
					}
				}
				for _, p := range d.Panels {
					if len(p.Targets) == 0 {
						continue
					}
					src := p.ID
					if p.Datasource != nil && p.Datasource.UID == dashboardDatasource {
						src = p.Targets[0].PanelID
					}
					checkShownFields(t, p, results[src])
				}
			})
		}
	})
}

// checkShownFields checks that the fields a panel picks from its query's
// result exist: the stat panels' field pattern and the field filters.
func checkShownFields(t *testing.T, p panel, rows []row) {
	t.Helper()
	if len(rows) == 0 {
		t.Errorf("panel %q: its query gave nothing", p.Title)
		return
	}
	if pattern := p.Options.ReduceOptions.Fields; pattern != "" {
		re, err := regexp.Compile(strings.Trim(pattern, "/"))
		if err != nil {
			t.Errorf("panel %q: fields %q: %v", p.Title, pattern, err)
			return
		}
		n := 0
		for col := range rows[0] {
			if re.MatchString(col) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("panel %q: its fields %s match no column of its query", p.Title, pattern)
		}
	}
	for _, tr := range p.Transformations {
		for _, name := range tr.Options.Include.Names {
			if _, ok := rows[0][name]; !ok {
				t.Errorf("panel %q: transformation %s names %q, which its query does not return", p.Title, tr.ID, name)
			}
		}
	}
}
