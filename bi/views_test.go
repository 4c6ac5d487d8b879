package bi_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"text/template"
	"time"

	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/metrics"
)

// slice is one report of the metrics: a grouping, a period, a window of
// whole days [from, to) and the optional filters of `doraflow metrics`.
type slice struct {
	group, period string
	from, to      metrics.Date
	service, team string
}

func (s slice) String() string {
	out := fmt.Sprintf("%s..%s by %s per %s", s.from, s.to, s.group, s.period)
	if s.service != "" {
		out += " service=" + s.service
	}
	if s.team != "" {
		out += " team=" + s.team
	}
	return out
}

// sqlParts are the pieces of a metrics query that depend on the slice.
type sqlParts struct {
	// Select lists the key columns of the innermost SELECT, GroupBy its
	// GROUP BY, Out the keys as the outer SELECT names them; all with the
	// period last, when there is one.
	Select, GroupBy, Out []string
	// Where filters the view's rows: the window and the filters.
	Where string
	// Days is the number of days deployments per day divides by.
	Days string
}

// keys returns the grouping columns of s over the rollup view: the
// columns to select, to group by and to return.
func (s slice) keys() (sel, group, out []string) {
	switch s.group {
	case metrics.GroupService:
		// A service row shows its team: the first non-empty team name its
		// rows in the window carry, as `doraflow metrics` does.
		return []string{"service", "minIf(team, team != '') AS service_team"}, []string{"service"}, []string{"service", "service_team AS team"}
	case metrics.GroupTeam, metrics.GroupRepository, metrics.GroupEnvironment:
		return []string{s.group}, []string{s.group}, []string{s.group}
	}
	return nil, nil, nil
}

// parts returns the SQL pieces of s over a view whose date column is day,
// grouped by the given keys (see keys).
func (s slice) parts(day string, sel, group, out []string) sqlParts {
	p := sqlParts{Select: sel, GroupBy: group, Out: out}
	from, to := quote(s.from.String()), quote(s.to.String())
	where := []string{fmt.Sprintf("%s >= toDate(%s) AND %s < toDate(%s)", day, from, day, to)}
	if s.group == metrics.GroupRepository {
		where = append(where, "repository != ''") // incidents and custom deployments without one
	}
	if s.service != "" {
		where = append(where, "service = "+quote(s.service))
	}
	if s.team != "" {
		where = append(where, "team = "+quote(s.team))
	}
	p.Where = strings.Join(where, " AND ")
	// The days of the window, or of the period inside the window.
	p.Days = fmt.Sprintf("toDate(%s) - toDate(%s)", to, from)
	if s.period != metrics.PeriodNone {
		start := map[string]string{metrics.PeriodDay: day, metrics.PeriodWeek: "toMonday(" + day + ")", metrics.PeriodMonth: "toStartOfMonth(" + day + ")"}[s.period]
		end := map[string]string{metrics.PeriodDay: "period_start + 1", metrics.PeriodWeek: "period_start + 7", metrics.PeriodMonth: "addMonths(period_start, 1)"}[s.period]
		p.Select = append(slices.Clone(p.Select), start+" AS period_start")
		p.GroupBy = append(slices.Clone(p.GroupBy), "period_start")
		p.Out = append(slices.Clone(p.Out), "period_start")
		p.Days = fmt.Sprintf("least(%s, toDate(%s)) - greatest(period_start, toDate(%s))", end, to, from)
	}
	return p
}

// rollup returns the SQL pieces of s over dora_metrics_daily.
func (s slice) rollup() sqlParts {
	sel, group, out := s.keys()
	return s.parts("day", sel, group, out)
}

// funcs lets the templates list columns.
var funcs = template.FuncMap{
	"cols": func(cols []string) string {
		if len(cols) == 0 {
			return ""
		}
		return strings.Join(cols, ", ") + ","
	},
	// stages names the stages of lead time, as the views' columns do.
	"stages": func() []string { return []string{"coding", "pickup", "review", "deploy"} },
	"groupBy": func(cols []string) string {
		if len(cols) == 0 {
			return ""
		}
		return "GROUP BY " + strings.Join(cols, ", ")
	},
}

// rollupTemplate computes every metric of a slice from dora_metrics_daily,
// as docs/sql.md explains: sums, deployment days, and type-7 percentiles
// from the merged multisets (h = (n-1)p split into its integer part lo and
// remainder r of p's denominator; the values at 0-based ranks lo and lo+1
// are the first whose cumulative count exceeds the rank).
var rollupTemplate = template.Must(template.New("rollup").Funcs(funcs).Parse(`
SELECT
    {{cols .Out}}
    deployments,
    deployment_days,
    deployments / days AS deployments_per_day,
    changes,
    if(changes = 0, NULL, (toFloat64(lead_a50) * (2 - lead_r50) + toFloat64(lead_b50) * lead_r50) / 2) AS lead_time_median_seconds,
    if(changes = 0, NULL, (toFloat64(lead_a90) * (10 - lead_r90) + toFloat64(lead_b90) * lead_r90) / 10) AS lead_time_p90_seconds,
    if(changes = 0, NULL, lead_sum / changes) AS lead_time_mean_seconds,
    failed_deployments,
    if(deployments = 0, NULL, failed_deployments / deployments) AS change_failure_rate,
    incidents,
    restored_incidents,
    if(restored_incidents = 0, NULL, (toFloat64(ttr_a50) * (2 - ttr_r50) + toFloat64(ttr_b50) * ttr_r50) / 2) AS time_to_restore_median_seconds,
    if(restored_incidents = 0, NULL, (toFloat64(ttr_a90) * (10 - ttr_r90) + toFloat64(ttr_b90) * ttr_r90) / 10) AS time_to_restore_p90_seconds,
    if(restored_incidents = 0, NULL, ttr_sum / restored_incidents) AS time_to_restore_mean_seconds,
    {{- range stages}}
    if({{.}}_n = 0, NULL, (toFloat64({{.}}_a) * (2 - {{.}}_r) + toFloat64({{.}}_b) * {{.}}_r) / 2) AS {{.}}_time_median_seconds,
    {{- end}}
    rework_deployments,
    if(deployments = 0, NULL, rework_deployments / deployments) AS rework_rate,
    multiIf(deployment_days * 7 >= days * 5, 'elite', deployment_days * 7 >= days, 'high', deployment_days * 30 >= days, 'medium', 'low') AS deployment_frequency_level,
    multiIf(changes = 0, NULL, lead_time_median_seconds < 86400, 'elite', lead_time_median_seconds < 604800, 'high', lead_time_median_seconds < 2592000, 'medium', 'low') AS lead_time_level,
    multiIf(deployments = 0, NULL, failed_deployments * 100 <= deployments * 5, 'elite', failed_deployments * 100 <= deployments * 10, 'high', failed_deployments * 100 <= deployments * 15, 'medium', 'low') AS change_failure_rate_level,
    multiIf(restored_incidents = 0, NULL, time_to_restore_median_seconds < 3600, 'elite', time_to_restore_median_seconds < 86400, 'high', time_to_restore_median_seconds < 604800, 'medium', 'low') AS time_to_restore_level,
    multiIf(has([deployment_frequency_level, lead_time_level, change_failure_rate_level, time_to_restore_level], 'low'), 'low',
            has([deployment_frequency_level, lead_time_level, change_failure_rate_level, time_to_restore_level], 'medium'), 'medium',
            has([deployment_frequency_level, lead_time_level, change_failure_rate_level, time_to_restore_level], 'high'), 'high',
            'elite') AS overall_level
FROM
(
    SELECT
        *,
        deploys AS deployments,
        {{.Days}} AS days,
        tupleElement(lead, 1) AS lead_v,
        arrayCumSum(tupleElement(lead, 2)) AS lead_cum,
        intDiv(changes - 1, 2) AS lead_lo50,
        (changes - 1) % 2 AS lead_r50,
        arrayFirst((v, c) -> c > lead_lo50, lead_v, lead_cum) AS lead_a50,
        arrayFirst((v, c) -> c > lead_lo50 + 1, lead_v, lead_cum) AS lead_b50,
        intDiv((changes - 1) * 9, 10) AS lead_lo90,
        ((changes - 1) * 9) % 10 AS lead_r90,
        arrayFirst((v, c) -> c > lead_lo90, lead_v, lead_cum) AS lead_a90,
        arrayFirst((v, c) -> c > lead_lo90 + 1, lead_v, lead_cum) AS lead_b90,
        tupleElement(ttr, 1) AS ttr_v,
        arrayCumSum(tupleElement(ttr, 2)) AS ttr_cum,
        intDiv(restored_incidents - 1, 2) AS ttr_lo50,
        (restored_incidents - 1) % 2 AS ttr_r50,
        arrayFirst((v, c) -> c > ttr_lo50, ttr_v, ttr_cum) AS ttr_a50,
        arrayFirst((v, c) -> c > ttr_lo50 + 1, ttr_v, ttr_cum) AS ttr_b50,
        intDiv((restored_incidents - 1) * 9, 10) AS ttr_lo90,
        ((restored_incidents - 1) * 9) % 10 AS ttr_r90,
        arrayFirst((v, c) -> c > ttr_lo90, ttr_v, ttr_cum) AS ttr_a90,
        arrayFirst((v, c) -> c > ttr_lo90 + 1, ttr_v, ttr_cum) AS ttr_b90
        {{- range stages}},
        tupleElement({{.}}, 1) AS {{.}}_v,
        arrayCumSum(tupleElement({{.}}, 2)) AS {{.}}_cum,
        toInt64(arraySum(tupleElement({{.}}, 2))) AS {{.}}_n,
        intDiv({{.}}_n - 1, 2) AS {{.}}_lo,
        ({{.}}_n - 1) % 2 AS {{.}}_r,
        arrayFirst((v, c) -> c > {{.}}_lo, {{.}}_v, {{.}}_cum) AS {{.}}_a,
        arrayFirst((v, c) -> c > {{.}}_lo + 1, {{.}}_v, {{.}}_cum) AS {{.}}_b
        {{- end}}
    FROM
    (
        SELECT
            {{cols .Select}}
            sum(deployments) AS deploys,
            uniqExactIf(day, deployments > 0) AS deployment_days,
            sum(failed_deployments) AS failed_deployments,
            sum(rework_deployments) AS rework_deployments,
            sum(changes) AS changes,
            sum(lead_time_seconds_sum) AS lead_sum,
            sumMap(lead_time_seconds, lead_time_changes) AS lead,
            sum(incidents) AS incidents,
            sum(restored_incidents) AS restored_incidents,
            sum(time_to_restore_seconds_sum) AS ttr_sum,
            sumMap(time_to_restore_seconds, time_to_restore_incidents) AS ttr
            {{- range stages}},
            sumMap({{.}}_time_seconds, {{.}}_time_changes) AS {{.}}
            {{- end}}
        FROM dora_metrics_daily
        WHERE {{.Where}}
        {{groupBy .GroupBy}}
    )
)`))

// deploymentsTemplate computes the deployment metrics of a slice from the
// dora_deployments view.
var deploymentsTemplate = template.Must(template.New("deployments").Funcs(funcs).Parse(`
SELECT
    {{cols .Select}}
    count() AS deployments,
    uniqExact(day) AS deployment_days,
    sum(failed) AS failed_deployments,
    sum(rework) AS rework_deployments,
    if(deployments = 0, NULL, failed_deployments / deployments) AS change_failure_rate,
    if(deployments = 0, NULL, rework_deployments / deployments) AS rework_rate
FROM dora_deployments
WHERE counted = 1 AND {{.Where}}
{{groupBy .GroupBy}}`))

// changesTemplate computes the lead times and stage medians of a slice
// from the dora_changes view: type-7 percentiles over the sorted lead
// times, and over each stage's values (a change without it has NULL).
var changesTemplate = template.Must(template.New("changes").Funcs(funcs).Parse(`
SELECT
    {{cols .Out}}
    changes,
    if(changes = 0, NULL, (toFloat64(leads[lo50 + 1]) * (2 - r50) + toFloat64(leads[lo50 + 2]) * r50) / 2) AS lead_time_median_seconds,
    if(changes = 0, NULL, (toFloat64(leads[lo90 + 1]) * (10 - r90) + toFloat64(leads[lo90 + 2]) * r90) / 10) AS lead_time_p90_seconds,
    if(changes = 0, NULL, arraySum(leads) / changes) AS lead_time_mean_seconds
    {{- range stages}},
    if({{.}}_n = 0, NULL, (toFloat64({{.}}s[{{.}}_lo + 1]) * (2 - {{.}}_r) + toFloat64({{.}}s[{{.}}_lo + 2]) * {{.}}_r) / 2) AS {{.}}_time_median_seconds
    {{- end}}
FROM
(
    SELECT
        {{cols .Select}}
        {{- range stages}}
        -- groupArray leaves out NULL: the changes without this stage.
        arraySort(groupArray({{.}}_seconds)) AS {{.}}s,
        toInt64(length({{.}}s)) AS {{.}}_n,
        intDiv({{.}}_n - 1, 2) AS {{.}}_lo,
        ({{.}}_n - 1) % 2 AS {{.}}_r,
        {{- end}}
        arraySort(groupArray(lead_time_seconds)) AS leads,
        toInt64(length(leads)) AS changes,
        intDiv(changes - 1, 2) AS lo50,
        (changes - 1) % 2 AS r50,
        intDiv((changes - 1) * 9, 10) AS lo90,
        ((changes - 1) * 9) % 10 AS r90
    FROM dora_changes
    WHERE {{.Where}}
    {{groupBy .GroupBy}}
)`))

// incidentsTemplate counts the incidents created in a slice from the
// dora_incidents view.
var incidentsTemplate = template.Must(template.New("incidents").Funcs(funcs).Parse(`
SELECT
    {{cols .Select}}
    count() AS incidents
FROM dora_incidents
WHERE {{.Where}}
{{groupBy .GroupBy}}`))

// restoresTemplate computes the times to restore of the incidents
// resolved in a slice from the dora_incidents view.
var restoresTemplate = template.Must(template.New("restores").Funcs(funcs).Parse(`
SELECT
    {{cols .Out}}
    restored_incidents,
    if(restored_incidents = 0, NULL, (toFloat64(ttrs[lo50 + 1]) * (2 - r50) + toFloat64(ttrs[lo50 + 2]) * r50) / 2) AS time_to_restore_median_seconds,
    if(restored_incidents = 0, NULL, (toFloat64(ttrs[lo90 + 1]) * (10 - r90) + toFloat64(ttrs[lo90 + 2]) * r90) / 10) AS time_to_restore_p90_seconds,
    if(restored_incidents = 0, NULL, arraySum(ttrs) / restored_incidents) AS time_to_restore_mean_seconds
FROM
(
    SELECT
        {{cols .Select}}
        arraySort(groupArray(assumeNotNull(time_to_restore_seconds))) AS ttrs,
        toInt64(length(ttrs)) AS restored_incidents,
        intDiv(restored_incidents - 1, 2) AS lo50,
        (restored_incidents - 1) % 2 AS r50,
        intDiv((restored_incidents - 1) * 9, 10) AS lo90,
        ((restored_incidents - 1) * 9) % 10 AS r90
    FROM
    (
        SELECT *, assumeNotNull(resolved_day) AS restore_day
        FROM dora_incidents
        WHERE resolved_day IS NOT NULL
    )
    WHERE {{.Where}}
    {{groupBy .GroupBy}}
)`))

func render(t *testing.T, tmpl *template.Template, p sqlParts) string {
	t.Helper()
	var b bytes.Buffer
	must(t, tmpl.Execute(&b, p))
	return b.String()
}

// viewsSQL returns the queries that compute s from the fact views: one
// for deployments, one for changes, and (unless grouped by repository,
// which counts no incidents) one each for incidents and restores.
func viewsSQL(t *testing.T, s slice) []string {
	t.Helper()
	sel, group, out := s.keys()
	if s.group == metrics.GroupService {
		// The service is enough here: the rollup query checks the teams.
		sel, group, out = []string{"service"}, []string{"service"}, []string{"service"}
	}
	facts := s.parts("day", sel, group, out)
	queries := []string{render(t, deploymentsTemplate, facts), render(t, changesTemplate, facts)}
	if s.group == metrics.GroupRepository {
		return queries
	}
	if s.group == metrics.GroupEnvironment {
		// Incidents belong to production.
		sel = []string{"'production' AS environment"}
	}
	return append(queries,
		render(t, incidentsTemplate, s.parts("day", sel, group, out)),
		render(t, restoresTemplate, s.parts("restore_day", sel, group, out)))
}

// emptyMetrics are the values of the metrics a fact view query leaves
// out of a row because it found nothing for it.
var emptyMetrics = map[string]map[string]any{
	"deployments": {"deployments": int64(0), "deployment_days": int64(0), "failed_deployments": int64(0), "rework_deployments": int64(0), "change_failure_rate": nil, "rework_rate": nil},
	"changes": {"changes": int64(0), "lead_time_median_seconds": nil, "lead_time_p90_seconds": nil, "lead_time_mean_seconds": nil,
		"coding_time_median_seconds": nil, "pickup_time_median_seconds": nil, "review_time_median_seconds": nil, "deploy_time_median_seconds": nil},
	"incidents": {"incidents": int64(0)},
	"restores":  {"restored_incidents": int64(0), "time_to_restore_median_seconds": nil, "time_to_restore_p90_seconds": nil, "time_to_restore_mean_seconds": nil},
}

// mergeByKey joins the rows of the fact view queries of s on their key,
// filling in what a query found nothing for.
func mergeByKey(s slice, results [][]row) []row {
	names := []string{"deployments", "changes", "incidents", "restores"}
	merged := map[string]row{}
	var order []string
	for i, rows := range results {
		for _, r := range rows {
			k := sqlKeyOf(s.group, r)
			m, ok := merged[k]
			if !ok {
				m = row{}
				merged[k] = m
				order = append(order, k)
			}
			for col, v := range r {
				m[col] = v
			}
			m["from:"+names[i]] = true
		}
	}
	out := make([]row, 0, len(order))
	for _, k := range order {
		m := merged[k]
		for _, name := range names {
			if m["from:"+name] == true {
				delete(m, "from:"+name)
				continue
			}
			for col, v := range emptyMetrics[name] {
				m[col] = v
			}
		}
		out = append(out, m)
	}
	return out
}

// checkedSlices returns the reports the views are checked on: every grouping and
// period over each window, and some with filters.
func checkedSlices(windows [][2]metrics.Date) []slice {
	var out []slice
	for _, w := range windows {
		for _, g := range []string{metrics.GroupService, metrics.GroupTeam, metrics.GroupRepository, metrics.GroupEnvironment, metrics.GroupNone} {
			for _, p := range []string{metrics.PeriodNone, metrics.PeriodDay, metrics.PeriodWeek, metrics.PeriodMonth} {
				out = append(out, slice{group: g, period: p, from: w[0], to: w[1]})
			}
		}
		for _, g := range []string{metrics.GroupService, metrics.GroupNone} {
			for _, p := range []string{metrics.PeriodNone, metrics.PeriodWeek} {
				out = append(out,
					slice{group: g, period: p, from: w[0], to: w[1], service: "api"},
					slice{group: g, period: p, from: w[0], to: w[1], team: "platform"})
			}
		}
	}
	return out
}

func date(y int, m time.Month, d int) metrics.Date { return metrics.Date{Year: y, Month: m, Day: d} }

// TestViewsEqualMetrics computes every metric of every grouping and period
// from the views, in SQL a BI user could write, and checks each number
// against pipeline.Metrics; in UTC and in a time zone whose days differ.
// (A window that spans a daylight-saving change is left out: SQL counts
// its days as calendar days, the metrics as 23- or 25-hour days.)
func TestViewsEqualMetrics(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		berlin, err := time.LoadLocation("Europe/Berlin")
		must(t, err)
		for _, tc := range []struct {
			name    string
			loc     *time.Location
			windows [][2]metrics.Date
		}{
			{"utc", time.UTC, [][2]metrics.Date{{date(2024, 1, 1), date(2024, 4, 1)}, {date(2024, 1, 3), date(2024, 2, 15)}}},
			{"berlin", berlin, [][2]metrics.Date{{date(2024, 1, 3), date(2024, 2, 15)}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, tc.loc)
				for _, s := range checkedSlices(tc.windows) {
					want := e.metricsFor(s.group, s.period, s.from, s.to, s.service, s.team)
					if len(want.Rows) == 0 {
						t.Fatalf("%s: the metrics have no rows: the data set misses this case", s)
					}
					if n := compare(t, "dora_metrics_daily "+s.String(), e.query(render(t, rollupTemplate, s.rollup())), want); n == 0 {
						t.Errorf("%s: nothing compared", s)
					}
					var results [][]row
					for _, q := range viewsSQL(t, s) {
						results = append(results, e.query(q))
					}
					compare(t, "fact views "+s.String(), mergeByKey(s, results), want)
				}
			})
		}
	})
}
