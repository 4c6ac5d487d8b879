package bi_test

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/config"
	"doraflow/load/clickhouse"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/metrics"
	"doraflow/pipeline"
	"doraflow/sources"
)

// env is a pipeline on a fresh ClickHouse database, and a plain
// connection for the SQL a BI tool would run against the same database.
type env struct {
	t     *testing.T
	ctx   context.Context
	loc   *time.Location
	store *clickhouse.Store
	p     *pipeline.Pipeline
	conn  driver.Conn
}

// newEnv loads the organisation's quarter with the config time zone loc:
// the first sync, promoted, then a later sync that changes some of it, so
// that dora_daily holds retractions as well as plain rows.
func newEnv(t *testing.T, loc *time.Location) *env {
	t.Helper()
	e := openEnv(t, loc)
	first, later := organisation()
	for _, f := range []doraflow.FactSet{first, later} {
		must(t, e.store.StageChanges(e.ctx, f.Changes))
		must(t, e.store.StageShips(e.ctx, f.Ships, f.Commits))
		must(t, e.store.StageDeployments(e.ctx, f.Deployments))
		must(t, e.store.StageIncidents(e.ctx, f.Incidents))
		_, err := e.p.Promote(e.ctx, pipeline.PromoteOptions{})
		must(t, err)
	}
	return e
}

// openEnv returns an environment on a fresh, migrated database whose
// config time zone is loc.
func openEnv(t *testing.T, loc *time.Location) *env {
	t.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.Methods = sources.Registry()
	cfg.Timezone, cfg.Location = loc.String(), loc
	cfg.Services = []config.Service{
		{Name: "api", Team: "platform", Repositories: []string{"acme/api"}},
		{Name: "web", Team: "frontend", Repositories: []string{"acme/web"}},
		{Name: "db", Team: "platform", Repositories: []string{"acme/db"}},
		{Name: "solo"},
	}
	opts := clickhousetest.Options(t)
	store, err := clickhouse.Open(ctx, opts)
	must(t, err)
	t.Cleanup(func() { store.Close() })
	_, err = store.Migrate(ctx)
	must(t, err)
	conn := clickhousetest.Conn(t, opts)

	return &env{t: t, ctx: ctx, loc: loc, store: store, p: pipeline.New(cfg, store, zerolog.Nop()), conn: conn}
}

// quarterStart is the first day of the organisation's data, a Monday.
var quarterStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// at returns the instant h:m UTC on the quarter's day d (0 = January 1st).
func at(d, h, m int) time.Time {
	return quarterStart.AddDate(0, 0, d).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

// organisation returns a quarter of a small organisation as a first sync
// sees it, and what a later sync brings: deployments moved to another
// service, incidents resolved or re-attributed, a change whose start
// moved, a failed deployment that turned out fine.
//
// It covers what the metrics must get right: four services, one without
// a team or repositories; production and staging; changes shipped twice
// and to both environments; lone commits; lead times that repeat (so the
// multisets hold counts above one) and a commit dated after its
// deployment; rework by label and by revert title; incidents attributed by
// window, by name and not at all; open incidents; restores that cross
// a week or a month; deployments near midnight, which other time zones see
// on the next day.
func organisation() (first, later doraflow.FactSet) {
	first.Ships = map[string][]string{}
	later.Ships = map[string][]string{}
	leads := []time.Duration{time.Hour, 2 * time.Hour, 26 * time.Hour, 72 * time.Hour, 2 * time.Hour, 9 * 24 * time.Hour, 40 * 24 * time.Hour, time.Hour}
	prs := 0
	shipPRs := func(d doraflow.Deployment, n int) {
		for range n {
			prs++
			lead := leads[prs%len(leads)]
			c := doraflow.Change{
				ID: fmt.Sprintf("%s#pr-%d", d.Repository, prs), Repository: d.Repository, Kind: doraflow.ChangePullRequest,
				Number: prs, StartedAt: d.DeployedAt.Add(-lead), Title: fmt.Sprintf("Change %d", prs),
				URL: fmt.Sprintf("https://github.com/%s/pull/%d", d.Repository, prs),
			}
			// Stages (docs/metrics.md): opened a quarter of the lead time
			// in, merged at half of it; one in four reviewed by nobody but
			// its author (no pickup, no review), the others first reviewed
			// by someone else at a third of it.
			c.OpenedAt, c.MergedAt = c.StartedAt.Add(lead/4), c.StartedAt.Add(lead/2)
			if prs%4 != 0 {
				c.FirstReviewAt = c.StartedAt.Add(lead / 3)
			}
			switch {
			case prs%9 == 0:
				c.Labels = []string{"Hotfix"}
			case prs%13 == 0:
				c.Title = fmt.Sprintf("Revert \"Change %d\"", prs-1)
			}
			first.Changes = append(first.Changes, c)
			first.Ships[d.ID] = append(first.Ships[d.ID], c.ID)
		}
	}
	deployment := func(id, service, team, repository string, when time.Time) doraflow.Deployment {
		return doraflow.Deployment{
			ID: id, Source: doraflow.SourceCustom, Method: doraflow.MethodCustom, Block: "manual",
			Service: service, Team: team, Environment: doraflow.EnvironmentProduction, Repository: repository,
			DeployedAt: when, Status: doraflow.StatusSuccess, Title: "Deploy " + id,
		}
	}
	deploy := func(d doraflow.Deployment) doraflow.Deployment {
		first.Deployments = append(first.Deployments, d)
		return d
	}
	incident := func(id, service, team string, created time.Time, restore time.Duration) doraflow.Incident {
		in := doraflow.Incident{ID: id, Source: doraflow.SourceCustom, Block: "manual", Service: service, Team: team, CreatedAt: created, Title: "Incident " + id}
		if restore > 0 {
			in.ResolvedAt = created.Add(restore)
		}
		return in
	}
	report := func(in doraflow.Incident) { first.Incidents = append(first.Incidents, in) }

	restores := []time.Duration{30 * time.Minute, 2 * time.Hour, 45 * time.Minute, 5 * time.Hour, 30 * time.Minute, 26 * time.Hour}
	for day := range 91 {
		if day%7 < 5 && day%10 != 9 {
			d := deploy(deployment(fmt.Sprintf("api-%d", day), "api", "platform", "acme/api", at(day, 9+day%4, 0)))
			shipPRs(d, 1+day%3)
			if day%4 == 0 && day > 0 {
				// The same pull requests went to staging the evening before.
				s := deployment(fmt.Sprintf("api-stg-%d", day), "api", "platform", "acme/api", at(day-1, 16, 0))
				s.Environment = "staging"
				deploy(s)
				first.Ships[s.ID] = slices.Clone(first.Ships[d.ID])
			}
		}
		if day%15 == 7 {
			shipPRs(deploy(deployment(fmt.Sprintf("api-late-%d", day), "api", "platform", "acme/api", at(day, 23, 30))), 1)
		}
		if day%11 == 4 {
			bad := deployment(fmt.Sprintf("api-bad-%d", day), "api", "platform", "acme/api", at(day, 13, 0))
			bad.Status = doraflow.StatusFailure
			shipPRs(deploy(bad), 1)
		}
		if day%3 == 0 {
			d := deploy(deployment(fmt.Sprintf("web-%d", day), "web", "frontend", "acme/web", at(day, 15, 0)))
			shipPRs(d, 1+day%2)
			if day%9 == 0 && day >= 9 {
				// Ships again a pull request web-(day-3) shipped: it counts once.
				prev := first.Ships[fmt.Sprintf("web-%d", day-3)]
				first.Ships[d.ID] = append(first.Ships[d.ID], prev[0])
			}
		}
		if day%14 == 5 {
			d := deploy(deployment(fmt.Sprintf("db-%d", day), "db", "platform", "acme/db", at(day, 11, 0)))
			shipPRs(d, 1)
			commit := doraflow.Change{ID: fmt.Sprintf("acme/db@%040d", day), Repository: "acme/db", Kind: doraflow.ChangeCommit,
				SHA: fmt.Sprintf("%040d", day), StartedAt: d.DeployedAt.Add(-leads[day%len(leads)]), Title: "Tune the pool"}
			first.Changes = append(first.Changes, commit)
			first.Ships[d.ID] = append(first.Ships[d.ID], commit.ID)
		}
		if day%6 == 2 {
			deploy(deployment(fmt.Sprintf("solo-%d", day), "solo", "", "", at(day, 12, 0))) // custom, ships nothing
		}
		if day%8 == 3 {
			restore := restores[day%len(restores)]
			if day%16 == 3 {
				restore = 0 // open at the first sync, resolved at the later one
			}
			report(incident(fmt.Sprintf("inc-api-%d", day), "api", "platform", at(day, 14, 0), restore))
		}
		if day%10 == 1 {
			restore := []time.Duration{3 * time.Hour, 50 * time.Hour}[(day/10)%2]
			if day == 81 {
				restore = 0 // still open
			}
			report(incident(fmt.Sprintf("inc-web-%d", day), "web", "frontend", at(day, 18, 0), restore))
		}
	}
	// A restore across the end of January, a Wednesday.
	report(incident("inc-api-eom", "api", "platform", at(30, 23, 0), 3*time.Hour))
	// Seven days and three hours after db-33: outside the attribution window.
	report(incident("inc-db-40", "db", "platform", at(40, 14, 0), 20*time.Hour))
	report(incident("inc-solo-50", "solo", "", at(50, 10, 0), 90*time.Minute))
	named := incident("inc-web-named", "web", "frontend", at(60, 10, 0), 4*time.Hour)
	named.DeploymentID = "web-57"
	report(named)

	// The later sync.
	for _, in := range first.Incidents {
		switch {
		case !in.Resolved() && in.Service == "api":
			in.ResolvedAt = in.CreatedAt.Add(95 * time.Minute)
			later.Incidents = append(later.Incidents, in)
		case in.ID == "inc-db-40":
			in.DeploymentID = "db-33" // named after the fact
			later.Incidents = append(later.Incidents, in)
		case in.ID == "inc-web-21":
			in.ResolvedAt = in.ResolvedAt.Add(30 * time.Hour) // re-opened, resolved later
			later.Incidents = append(later.Incidents, in)
		}
	}
	for _, d := range first.Deployments {
		switch d.ID {
		case "web-30", "web-63":
			d.Service, d.Team, d.Repository = "api", "platform", "acme/api" // moved to api
			later.Deployments = append(later.Deployments, d)
		case "api-bad-15":
			d.Status = doraflow.StatusSuccess
			later.Deployments = append(later.Deployments, d)
		}
	}
	for _, c := range first.Changes[4:6] {
		c.StartedAt = c.StartedAt.Add(-50 * time.Hour)
		later.Changes = append(later.Changes, c)
	}
	return first, later
}

// row is one row of a query result: column name to value, with integers
// as int64, floats as float64, NULL as nil and dates as time.Time.
type row map[string]any

// query runs sql and returns its rows in order.
func (e *env) query(sql string) []row {
	e.t.Helper()
	rows, err := e.conn.Query(e.ctx, sql)
	if err != nil {
		e.t.Fatalf("query failed: %v\n%s", err, sql)
	}
	defer rows.Close()
	types := rows.ColumnTypes()
	var out []row
	for rows.Next() {
		dest := make([]any, len(types))
		for i, ct := range types {
			dest[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			e.t.Fatalf("scan: %v\n%s", err, sql)
		}
		r := row{}
		for i, ct := range types {
			r[ct.Name()] = normalize(reflect.ValueOf(dest[i]).Elem())
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatalf("query failed: %v\n%s", err, sql)
	}
	return out
}

// normalize turns a scanned value into the few types the checks compare.
func normalize(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return normalize(v.Elem())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int64(v.Uint())
	case reflect.Float32, reflect.Float64:
		return v.Float()
	}
	return v.Interface()
}

// metricsOf returns the fields of a metrics row under the column names
// the SQL uses: the JSON names of docs/metrics.md, and <metric>_level for the
// levels. Nulls are nil.
func metricsOf(r metrics.Row) map[string]any {
	f := func(p *float64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	l := func(p *metrics.Level) any {
		if p == nil {
			return nil
		}
		return string(*p)
	}
	return map[string]any{
		"deployments":                    r.Deployments,
		"deployment_days":                r.DeploymentDays,
		"deployments_per_day":            r.DeploymentsPerDay,
		"changes":                        r.Changes,
		"lead_time_median_seconds":       f(r.LeadTimeMedian),
		"lead_time_p90_seconds":          f(r.LeadTimeP90),
		"lead_time_mean_seconds":         f(r.LeadTimeMean),
		"failed_deployments":             r.FailedDeployments,
		"change_failure_rate":            f(r.ChangeFailureRate),
		"incidents":                      r.Incidents,
		"restored_incidents":             r.RestoredIncidents,
		"time_to_restore_median_seconds": f(r.TimeToRestoreMedian),
		"coding_time_median_seconds":     f(r.CodingTimeMedian),
		"pickup_time_median_seconds":     f(r.PickupTimeMedian),
		"review_time_median_seconds":     f(r.ReviewTimeMedian),
		"deploy_time_median_seconds":     f(r.DeployTimeMedian),
		"time_to_restore_p90_seconds":    f(r.TimeToRestoreP90),
		"time_to_restore_mean_seconds":   f(r.TimeToRestoreMean),
		"rework_deployments":             r.ReworkDeployments,
		"rework_rate":                    f(r.ReworkRate),
		"deployment_frequency_level":     l(r.Levels.DeploymentFrequency),
		"lead_time_level":                l(r.Levels.LeadTime),
		"change_failure_rate_level":      l(r.Levels.ChangeFailureRate),
		"time_to_restore_level":          l(r.Levels.TimeToRestore),
		"overall_level":                  l(r.Levels.Overall),
	}
}

// keyOf returns the identity of a row of a report grouped by group: its
// grouping key and period start ("" without a period).
func keyOf(group string, r metrics.Row) string {
	k := map[string]string{metrics.GroupService: r.Service, metrics.GroupTeam: r.Team,
		metrics.GroupRepository: r.Repository, metrics.GroupEnvironment: r.Environment}[group]
	if r.PeriodStart != nil {
		return k + "|" + r.PeriodStart.String()
	}
	return k + "|"
}

// sqlKeyOf returns the identity of a SQL row in the form of keyOf: the
// column named after the grouping, and period_start (a date) or time (the
// start of the period as a time, as Grafana wants it).
func sqlKeyOf(group string, r row) string {
	k, _ := r[group].(string)
	for _, col := range []string{"period_start", "time"} {
		if t, ok := r[col].(time.Time); ok {
			return k + "|" + t.UTC().Format(time.DateOnly)
		}
	}
	return k + "|"
}

// compare checks that the SQL rows got are the rows of want, and that
// every column named after a metric equals the report's value exactly. It
// returns how many values it compared, so that callers can make sure a
// query was checked at all.
func compare(t *testing.T, what string, got []row, want metrics.Report) int {
	t.Helper()
	wantRows := map[string]map[string]any{}
	for _, r := range want.Rows {
		fields := metricsOf(r)
		if want.GroupBy == metrics.GroupService {
			fields["team"] = r.Team
		}
		wantRows[keyOf(want.GroupBy, r)] = fields
	}
	compared := 0
	seen := map[string]bool{}
	for _, r := range got {
		key := sqlKeyOf(want.GroupBy, r)
		if seen[key] {
			t.Errorf("%s: row %q twice", what, key)
		}
		seen[key] = true
		fields, ok := wantRows[key]
		if !ok {
			t.Errorf("%s: row %q is not in the metrics: %v", what, key, r)
			continue
		}
		for col, v := range r {
			w, known := fields[col]
			if !known {
				continue
			}
			compared++
			if !same(v, w) {
				t.Errorf("%s: row %q: %s = %v, metrics say %v", what, key, col, show(v), show(w))
			}
		}
	}
	for key := range wantRows {
		if !seen[key] {
			t.Errorf("%s: no row %q, which the metrics have", what, key)
		}
	}
	return compared
}

// same compares a SQL value with a metrics value: integers by value,
// floats exactly (both sides compute the same IEEE operations), NULL with
// nil.
func same(sqlValue, want any) bool {
	switch w := want.(type) {
	case nil:
		return sqlValue == nil
	case int64:
		v, ok := sqlValue.(int64)
		return ok && v == w
	case float64:
		switch v := sqlValue.(type) {
		case float64:
			return v == w || math.IsNaN(v) && math.IsNaN(w)
		case int64:
			return float64(v) == w
		}
		return false
	}
	return sqlValue == want
}

func show(v any) string {
	if v == nil {
		return "NULL"
	}
	if f, ok := v.(float64); ok {
		return fmt.Sprintf("%.17g", f)
	}
	return fmt.Sprint(v)
}

// metricsFor runs pipeline.Metrics for a window of whole days in the
// environment's time zone.
func (e *env) metricsFor(group, period string, from, to metrics.Date, service, team string) metrics.Report {
	e.t.Helper()
	q := metrics.Query{From: from.Start(e.loc), To: to.Start(e.loc), Location: e.loc, GroupBy: group, Period: period, Service: service, Team: team}
	r, err := e.p.Metrics(e.ctx, q, pipeline.MetricsOptions{})
	must(e.t, err)
	return r
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// quote returns s as a ClickHouse string literal.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
