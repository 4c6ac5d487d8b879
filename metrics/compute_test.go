package metrics

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// q1 is the window of the contract's example: 2024-01-01 to 2024-04-01 UTC,
// 91 days.
func q1(groupBy, period string) Query {
	return Query{From: at("2024-01-01", time.UTC), To: at("2024-04-01", time.UTC), GroupBy: groupBy, Period: period}
}

// exampleCells reproduces the row of the contract's example for service
// api, plus a service web and cells that must not count.
func exampleCells() []Cell {
	api := func(day Date) Cell {
		return Cell{Day: day, Service: "api", Team: "platform", Environment: "production", Repository: "acme/api"}
	}
	var cells []Cell
	// 42 deployments on 30 days: every third day from Jan 1 to Mar 29, two
	// on the first 12 of them.
	for i := range 30 {
		c := api(d("2024-01-01").AddDays(3 * i))
		c.Deployments = 1
		if i < 12 {
			c.Deployments = 2
		}
		switch i {
		case 1, 5, 9:
			c.FailedDeployments = 1
		case 2, 20:
			c.ReworkDeployments = 1
		}
		cells = append(cells, c)
	}
	// 88 changes: 78 of 51840 s, 2 of 259200 s, 8 of 498960 s, so the
	// median is 51840 (ranks 43 and 44), p90 259200 (ranks 78 and 79)
	// and the mean 8553600 / 88 = 97200. Spread over cells, with values
	// in more than one cell, as the rollup yields them.
	leads := []Multiset{{51840: 40}, {51840: 38, 259200: 1}, {259200: 1, 498960: 8}}
	for i, m := range leads {
		c := api(d("2024-01-10").AddDays(20 * i))
		c.LeadTimes = m
		cells = append(cells, c)
	}
	// Their stages, in other cells than the lead times as the stage
	// rollup yields them: coding of 80 pull requests (the other 8 are
	// lone commits), median 21600; pickup and review of the 60 that
	// someone other than their author reviewed, medians (7000+7400)/2 =
	// 7200 and 10800 (ranks 30 and 31 of 60 each); deploy of all 88,
	// median 3600.
	stages := []Cell{
		{CodingTimes: Multiset{21600: 45, 90000: 35}, PickupTimes: Multiset{7000: 30}, ReviewTimes: Multiset{10800: 31}},
		{PickupTimes: Multiset{7400: 30}, ReviewTimes: Multiset{99: 10, 20000: 19}, DeployTimes: Multiset{3600: 50, 60: 10, 86400: 28}},
	}
	for i, c := range stages {
		s := api(d("2024-01-10").AddDays(20 * i))
		s.CodingTimes, s.PickupTimes, s.ReviewTimes, s.DeployTimes = c.CodingTimes, c.PickupTimes, c.ReviewTimes, c.DeployTimes
		cells = append(cells, s)
	}
	// 4 incidents, 4 restores of 129, 4499, 6301 and 17871 s: median
	// (4499+6301)/2 = 5400, p90 6301 + 0.7·11570 = 14400, mean 7200.
	for i, ttr := range []int64{129, 4499, 6301, 17871} {
		c := Cell{Day: d("2024-02-01").AddDays(i), Service: "api", Team: "platform", Environment: "production",
			Incidents: 1, Restores: Multiset{ttr: 1}}
		cells = append(cells, c)
	}
	// web deploys 3 times to staging on two days with one change and no
	// incidents; its repository is not known for one of them.
	cells = append(cells,
		Cell{Day: d("2024-03-01"), Service: "web", Team: "frontend", Environment: "staging", Repository: "acme/web",
			Deployments: 2, LeadTimes: Multiset{3600: 1}, DeployTimes: Multiset{3600: 1}},
		Cell{Day: d("2024-03-02"), Service: "web", Team: "frontend", Environment: "staging", Deployments: 1},
	)
	// Outside the window: the day before and the day after.
	out := api(d("2023-12-31"))
	out.Deployments = 5
	cells = append(cells, out)
	out = api(d("2024-04-01"))
	out.Incidents = 5
	cells = append(cells, out)
	return cells
}

func TestComputeContractExample(t *testing.T) {
	r := mustCompute(t, q1(GroupService, PeriodNone), exampleCells())
	if len(r.Rows) != 2 {
		t.Fatalf("got %d rows, want 2: %+v", len(r.Rows), r.Rows)
	}
	want := Row{
		Service: "api", Team: "platform",
		Deployments: 42, DeploymentDays: 30, DeploymentsPerDay: 42.0 / 91,
		Changes: 88, LeadTimeMedian: f(51840), LeadTimeP90: f(259200), LeadTimeMean: f(97200),
		CodingTimeMedian: f(21600), PickupTimeMedian: f(7200), ReviewTimeMedian: f(10800), DeployTimeMedian: f(3600),
		FailedDeployments: 3, ChangeFailureRate: f(3.0 / 42),
		Incidents: 4, RestoredIncidents: 4,
		TimeToRestoreMedian: f(5400), TimeToRestoreP90: f(14400), TimeToRestoreMean: f(7200),
		ReworkDeployments: 2, ReworkRate: f(2.0 / 42),
		Levels: Levels{
			DeploymentFrequency: lv(LevelHigh), LeadTime: lv(LevelElite), ChangeFailureRate: lv(LevelHigh),
			TimeToRestore: lv(LevelHigh), Overall: lv(LevelHigh),
		},
	}
	if !reflect.DeepEqual(r.Rows[0], want) {
		t.Errorf("api row\n got %+v\nwant %+v", r.Rows[0], want)
	}
	web := r.Rows[1]
	if web.Service != "web" || web.Team != "frontend" || web.Deployments != 3 || web.DeploymentDays != 2 ||
		web.Changes != 1 || web.TimeToRestoreMedian != nil || web.Levels.TimeToRestore != nil ||
		web.CodingTimeMedian != nil || web.PickupTimeMedian != nil || web.ReviewTimeMedian != nil || *web.DeployTimeMedian != 3600 {
		t.Errorf("web row: %+v", web)
	}
}

func TestComputeGrouping(t *testing.T) {
	cells := exampleCells()
	tests := []struct {
		groupBy string
		// keys of the rows, in order, and their deployments and incidents
		keys        []string
		deployments []int64
		incidents   []int64
	}{
		{GroupService, []string{"api/platform", "web/frontend"}, []int64{42, 3}, []int64{4, 0}},
		{GroupTeam, []string{"frontend", "platform"}, []int64{3, 42}, []int64{0, 4}},
		// The repository-less deployment of web and the incidents of api
		// are in no repository row.
		{GroupRepository, []string{"acme/api", "acme/web"}, []int64{42, 2}, []int64{0, 0}},
		{GroupEnvironment, []string{"production", "staging"}, []int64{42, 3}, []int64{4, 0}},
		{GroupNone, []string{""}, []int64{45}, []int64{4}},
	}
	for _, tt := range tests {
		t.Run(tt.groupBy, func(t *testing.T) {
			r := mustCompute(t, q1(tt.groupBy, PeriodNone), cells)
			var keys []string
			var deployments, incidents []int64
			for _, row := range r.Rows {
				key := strings.Join(keyValues(&row, tt.groupBy), "/")
				keys = append(keys, key)
				deployments = append(deployments, row.Deployments)
				incidents = append(incidents, row.Incidents)
			}
			if tt.groupBy == GroupNone {
				keys = []string{""}
			}
			if !reflect.DeepEqual(keys, tt.keys) || !reflect.DeepEqual(deployments, tt.deployments) ||
				!reflect.DeepEqual(incidents, tt.incidents) {
				t.Errorf("got keys %q deployments %v incidents %v, want %q %v %v",
					keys, deployments, incidents, tt.keys, tt.deployments, tt.incidents)
			}
		})
	}
}

// Repository rows count no incidents even should an incident cell carry a
// repository, and so have no time to restore.
func TestComputeRepositoryCountsNoIncidents(t *testing.T) {
	cells := []Cell{
		{Day: d("2024-01-02"), Service: "api", Repository: "acme/api", Deployments: 1},
		{Day: d("2024-01-02"), Service: "api", Repository: "acme/api", Incidents: 1, Restores: Multiset{60: 1}},
		{Day: d("2024-01-03"), Service: "api", Incidents: 1, Restores: Multiset{60: 1}},
	}
	r := mustCompute(t, q1(GroupRepository, PeriodNone), cells)
	if len(r.Rows) != 1 {
		t.Fatalf("got %d rows, want 1", len(r.Rows))
	}
	row := r.Rows[0]
	if row.Repository != "acme/api" || row.Incidents != 0 || row.RestoredIncidents != 0 ||
		row.TimeToRestoreMedian != nil || row.Levels.TimeToRestore != nil {
		t.Errorf("row: %+v", row)
	}
}

func TestComputeServiceTeam(t *testing.T) {
	cells := []Cell{
		{Day: d("2024-01-02"), Service: "api", Team: "", Deployments: 1},
		{Day: d("2024-01-03"), Service: "api", Team: "platform", Deployments: 1},
		{Day: d("2024-01-04"), Service: "api", Team: "core", Deployments: 1},
		// An empty cell (a retraction that cancelled its original) does
		// not name the team: the facts would not have yielded it.
		{Day: d("2024-01-05"), Service: "api", Team: "aaa", LeadTimes: Multiset{60: 0}},
		{Day: d("2024-01-02"), Service: "lonely", Deployments: 1},
	}
	for _, order := range [][]int{{0, 1, 2, 3, 4}, {4, 3, 2, 1, 0}, {2, 0, 3, 4, 1}} {
		shuffled := make([]Cell, len(cells))
		for i, j := range order {
			shuffled[i] = cells[j]
		}
		r := mustCompute(t, q1(GroupService, PeriodNone), shuffled)
		if len(r.Rows) != 2 || r.Rows[0].Team != "core" || r.Rows[0].Deployments != 3 || r.Rows[1].Team != "" {
			t.Errorf("order %v: rows %+v", order, r.Rows)
		}
	}
}

func TestComputeFilters(t *testing.T) {
	cells := exampleCells()
	tests := []struct {
		name                       string
		service, team, environment string
		groupBy                    string
		deployments                int64
		rows                       int
	}{
		{"service", "web", "", "", GroupService, 3, 1},
		{"team", "", "platform", "", GroupService, 42, 1},
		{"team by environment", "", "frontend", "", GroupEnvironment, 3, 1},
		{"service and team that do not match", "web", "platform", "", GroupNone, 0, 1},
		{"unknown service", "nope", "", "", GroupService, 0, 0},
		{"environment", "", "", "staging", GroupService, 3, 1},
		{"environment by team", "", "", "production", GroupTeam, 42, 1},
		{"environment of another service", "api", "", "staging", GroupNone, 0, 1},
		{"unknown environment", "", "", "nope", GroupService, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := q1(tt.groupBy, PeriodNone)
			q.Service, q.Team, q.Environment = tt.service, tt.team, tt.environment
			r := mustCompute(t, q, cells)
			var deployments int64
			for _, row := range r.Rows {
				deployments += row.Deployments
			}
			if len(r.Rows) != tt.rows || deployments != tt.deployments {
				t.Errorf("got %d rows with %d deployments, want %d with %d", len(r.Rows), deployments, tt.rows, tt.deployments)
			}
		})
	}
}

func TestComputeDeploymentDays(t *testing.T) {
	cells := []Cell{
		// 2024-01-02 nets to zero in one service: a deployment and its
		// retraction in two cells.
		{Day: d("2024-01-02"), Service: "api", Team: "platform", Deployments: 2},
		{Day: d("2024-01-02"), Service: "api", Team: "platform", Deployments: -2},
		// 2024-01-03 nets to zero only across the team's services.
		{Day: d("2024-01-03"), Service: "api", Team: "platform", Deployments: 1},
		{Day: d("2024-01-03"), Service: "db", Team: "platform", Deployments: -1},
		// Two cells on one day are one deployment day.
		{Day: d("2024-01-04"), Service: "api", Team: "platform", Environment: "production", Deployments: 1},
		{Day: d("2024-01-04"), Service: "api", Team: "platform", Environment: "staging", Deployments: 1},
	}
	tests := []struct {
		groupBy string
		days    []int64
	}{
		{GroupService, []int64{2, 0}}, // api: 01-03 and 01-04; db: nothing positive
		{GroupTeam, []int64{1}},       // platform: 01-04 only
	}
	for _, tt := range tests {
		r := mustCompute(t, q1(tt.groupBy, PeriodNone), cells)
		var days []int64
		for _, row := range r.Rows {
			days = append(days, row.DeploymentDays)
		}
		if !reflect.DeepEqual(days, tt.days) {
			t.Errorf("%s: deployment days %v, want %v", tt.groupBy, days, tt.days)
		}
	}
}

func TestComputeNulls(t *testing.T) {
	cells := []Cell{
		// Deployments but no changes, failures or incidents: the change
		// failure rate is 0 (and elite), lead time and restores are null.
		{Day: d("2024-01-02"), Service: "api", Deployments: 2},
		// Incidents but no deployments: the rates are null, not 0.
		{Day: d("2024-01-02"), Service: "pager", Incidents: 1},
	}
	r := mustCompute(t, q1(GroupService, PeriodNone), cells)
	api, pager := r.Rows[0], r.Rows[1]
	if api.ChangeFailureRate == nil || *api.ChangeFailureRate != 0 || *api.Levels.ChangeFailureRate != LevelElite ||
		api.ReworkRate == nil || *api.ReworkRate != 0 ||
		api.LeadTimeMedian != nil || api.LeadTimeP90 != nil || api.LeadTimeMean != nil || api.Levels.LeadTime != nil ||
		api.TimeToRestoreMedian != nil || api.Levels.TimeToRestore != nil {
		t.Errorf("api: %+v", api)
	}
	if pager.ChangeFailureRate != nil || pager.ReworkRate != nil || pager.Levels.ChangeFailureRate != nil ||
		pager.DeploymentsPerDay != 0 || *pager.Levels.DeploymentFrequency != LevelLow ||
		pager.RestoredIncidents != 0 || pager.TimeToRestoreMedian != nil || *pager.Levels.Overall != LevelLow {
		t.Errorf("pager: %+v", pager)
	}
}

func TestComputeEmpty(t *testing.T) {
	// Without a period, group_by none always has its one row, so a script
	// always gets a row.
	r := mustCompute(t, q1(GroupNone, PeriodNone), nil)
	want := Row{Levels: Levels{DeploymentFrequency: lv(LevelLow), Overall: lv(LevelLow)}}
	if len(r.Rows) != 1 || !reflect.DeepEqual(r.Rows[0], want) {
		t.Errorf("none, none: %+v", r.Rows)
	}
	// Otherwise rows with nothing in them are left out: none at all here,
	// and for a service whose only cells cancel out.
	cancelled := []Cell{
		{Day: d("2024-01-02"), Service: "api", LeadTimes: Multiset{60: 1}},
		{Day: d("2024-01-03"), Service: "api", LeadTimes: Multiset{60: -1}},
	}
	for _, q := range []Query{q1(GroupNone, PeriodWeek), q1(GroupService, PeriodNone), q1(GroupService, PeriodMonth)} {
		for _, cells := range [][]Cell{nil, cancelled} {
			r := mustCompute(t, q, cells)
			if r.Rows == nil || len(r.Rows) != 0 {
				t.Errorf("%s, %s over %d cells: rows %+v, want none", q.GroupBy, q.Period, len(cells), r.Rows)
			}
		}
	}
}

// Merging comes before ignoring counts that are not positive: a
// retraction cancels its original in another cell.
func TestComputeMergesMultisetsFirst(t *testing.T) {
	cells := []Cell{
		{Day: d("2024-01-02"), Service: "api", LeadTimes: Multiset{100: 1}, Restores: Multiset{60: 1}},
		{Day: d("2024-01-02"), Service: "api", LeadTimes: Multiset{100: -1, 200: 1}, Restores: Multiset{60: -1, 90: 2}},
	}
	r := mustCompute(t, q1(GroupNone, PeriodNone), cells)
	row := r.Rows[0]
	if row.Changes != 1 || *row.LeadTimeMedian != 200 || row.RestoredIncidents != 2 || *row.TimeToRestoreMean != 90 {
		t.Errorf("row: %+v", row)
	}
}

func TestComputeWindow(t *testing.T) {
	loc := berlin(t)
	// A window from noon to noon still takes the cells of its first and
	// last day: the store filtered them at event precision.
	q := Query{
		From: time.Date(2024, 1, 2, 12, 0, 0, 0, loc), To: time.Date(2024, 1, 4, 12, 0, 0, 0, loc),
		Location: loc, GroupBy: GroupNone, Period: PeriodNone,
	}
	var cells []Cell
	for _, day := range []string{"2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"} {
		cells = append(cells, Cell{Day: d(day), Service: "api", Deployments: 1})
	}
	r := mustCompute(t, q, cells)
	row := r.Rows[0]
	if row.Deployments != 3 || row.DeploymentDays != 3 || row.DeploymentsPerDay != 1.5 {
		t.Errorf("row: %+v", row)
	}
	// A window ending at midnight excludes the day starting then.
	q.To = at("2024-01-04", loc)
	if r := mustCompute(t, q, cells); r.Rows[0].Deployments != 2 {
		t.Errorf("window to midnight: %d deployments, want 2", r.Rows[0].Deployments)
	}
	if !r.From.Equal(q.From) || r.From.Location() != loc || r.GroupBy != GroupNone || r.Period != PeriodNone {
		t.Errorf("report header: %v %v %s %s", r.From, r.From.Location(), r.GroupBy, r.Period)
	}
}

func TestComputeDeploymentsPerDayDST(t *testing.T) {
	loc := berlin(t)
	week := func(from, to string, deployments int64) Row {
		q := Query{From: at(from, loc), To: at(to, loc), Location: loc, GroupBy: GroupNone, Period: PeriodNone}
		return mustCompute(t, q, []Cell{{Day: d(from), Service: "api", Deployments: deployments}}).Rows[0]
	}
	// The week of 2024-03-31 lasts 167 hours: 6.9583 days.
	if got, want := week("2024-03-25", "2024-04-01", 7).DeploymentsPerDay, 7/(167.0/24); math.Abs(got-want) > 1e-12 {
		t.Errorf("7 deployments in the spring week: %v a day, want %v", got, want)
	}
	if got := week("2024-03-25", "2024-04-01", 167).DeploymentsPerDay; got != 24 {
		t.Errorf("167 deployments in 167 hours: %v a day, want 24", got)
	}
	// The week of 2024-10-27 lasts 169 hours: 7.0417 days.
	if got := week("2024-10-21", "2024-10-28", 169).DeploymentsPerDay; got != 24 {
		t.Errorf("169 deployments in 169 hours: %v a day, want 24", got)
	}
	// A normal week is 7 days.
	if got := week("2024-04-01", "2024-04-08", 7).DeploymentsPerDay; got != 1 {
		t.Errorf("7 deployments in a normal week: %v a day, want 1", got)
	}
}

func TestComputeWeekPeriods(t *testing.T) {
	// From Wednesday 2024-01-03 to Wednesday 2024-01-17: the first week
	// starts on Monday 2024-01-01 and has 5 days in the window (Wed–Sun),
	// the last has 2 (Mon 15 and Tue 16).
	q := Query{From: at("2024-01-03", time.UTC), To: at("2024-01-17", time.UTC), GroupBy: GroupService, Period: PeriodWeek}
	var cells []Cell
	for _, day := range []string{"2024-01-03", "2024-01-04", "2024-01-05", "2024-01-06", "2024-01-07", "2024-01-10", "2024-01-15", "2024-01-16"} {
		cells = append(cells, Cell{Day: d(day), Service: "api", Deployments: 1})
	}
	cells = append(cells,
		Cell{Day: d("2024-01-08"), Service: "api", LeadTimes: Multiset{60: 1}},
		Cell{Day: d("2024-01-14"), Service: "db", Deployments: 7},
	)
	r := mustCompute(t, q, cells)
	tests := []struct {
		service, period string
		deployments     int64
		days            int64
		perDay          float64
		level           Level
	}{
		{"api", "2024-01-01", 5, 5, 1, LevelElite},      // 5 of 5 days
		{"api", "2024-01-08", 1, 1, 1.0 / 7, LevelHigh}, // 1 of 7 days
		{"api", "2024-01-15", 2, 2, 1, LevelElite},      // 2 of 2 days
		{"db", "2024-01-08", 7, 1, 1, LevelHigh},        // 1 of 7 days, however many deploys
	}
	if len(r.Rows) != len(tests) {
		t.Fatalf("got %d rows, want %d: %+v", len(r.Rows), len(tests), r.Rows)
	}
	for i, tt := range tests {
		row := r.Rows[i]
		if row.Service != tt.service || row.PeriodStart == nil || row.PeriodStart.String() != tt.period ||
			row.Deployments != tt.deployments || row.DeploymentDays != tt.days ||
			math.Abs(row.DeploymentsPerDay-tt.perDay) > 1e-12 || *row.Levels.DeploymentFrequency != tt.level {
			t.Errorf("row %d: %s %v %d deployments on %d days, %v a day, %s; want %+v", i,
				row.Service, row.PeriodStart, row.Deployments, row.DeploymentDays, row.DeploymentsPerDay,
				*row.Levels.DeploymentFrequency, tt)
		}
	}
	if r.Rows[1].Changes != 1 {
		t.Errorf("the change of 2024-01-08 is not in its week: %+v", r.Rows[1])
	}
}

func TestComputeMonthPeriods(t *testing.T) {
	// From 2024-01-15 to 2024-03-10: January has 17 days in the window,
	// February 29, March 9.
	q := Query{From: at("2024-01-15", time.UTC), To: at("2024-03-10", time.UTC), GroupBy: GroupNone, Period: PeriodMonth}
	cells := []Cell{
		{Day: d("2024-01-20"), Deployments: 17},
		{Day: d("2024-02-29"), Deployments: 29, Incidents: 1},
		{Day: d("2024-03-01"), Restores: Multiset{600: 1}},
		{Day: d("2024-03-08"), Deployments: 9},
		{Day: d("2024-03-09"), Deployments: 9},
	}
	r := mustCompute(t, q, cells)
	want := []struct {
		period string
		perDay float64
		level  Level
	}{
		{"2024-01-01", 1, LevelMedium}, // 1 of 17 days
		{"2024-02-01", 1, LevelMedium}, // 1 of 29 days, just over 1/30
		{"2024-03-01", 2, LevelHigh},   // 2 of 9 days
	}
	if len(r.Rows) != len(want) {
		t.Fatalf("got %d rows, want %d", len(r.Rows), len(want))
	}
	for i, w := range want {
		row := r.Rows[i]
		if row.PeriodStart.String() != w.period || row.DeploymentsPerDay != w.perDay || *row.Levels.DeploymentFrequency != w.level {
			t.Errorf("row %d: %v %v a day %s, want %+v", i, row.PeriodStart, row.DeploymentsPerDay, *row.Levels.DeploymentFrequency, w)
		}
	}
	// An incident counts in the month it was created, its restore in the
	// month it was resolved.
	if r.Rows[1].Incidents != 1 || r.Rows[1].RestoredIncidents != 0 || r.Rows[2].Incidents != 0 || r.Rows[2].RestoredIncidents != 1 {
		t.Errorf("incidents and restores are not in their own months: %+v", r.Rows)
	}
}

func TestComputeDayPeriodsDST(t *testing.T) {
	loc := berlin(t)
	q := Query{From: at("2024-03-30", loc), To: at("2024-04-02", loc), Location: loc, GroupBy: GroupNone, Period: PeriodDay}
	cells := []Cell{
		{Day: d("2024-03-30"), Deployments: 24},
		{Day: d("2024-03-31"), Deployments: 23}, // a 23-hour day
		{Day: d("2024-04-01"), Deployments: 24},
	}
	r := mustCompute(t, q, cells)
	for _, row := range r.Rows {
		if row.DeploymentsPerDay != 24 {
			t.Errorf("%v: %v a day, want 24", row.PeriodStart, row.DeploymentsPerDay)
		}
	}
	if len(r.Rows) != 3 {
		t.Errorf("got %d rows, want 3", len(r.Rows))
	}
}

func TestComputeLevelsEndToEnd(t *testing.T) {
	// Seven days, 5 with a deployment (elite, exactly 5/7); 20
	// deployments, 1 failed (0.05, elite); lead time median exactly one
	// day (high); restore median exactly one hour (high).
	q := Query{From: at("2024-01-01", time.UTC), To: at("2024-01-08", time.UTC), GroupBy: GroupNone, Period: PeriodNone}
	var cells []Cell
	for i := range 5 {
		cells = append(cells, Cell{Day: d("2024-01-01").AddDays(i), Deployments: 4})
	}
	cells[0].FailedDeployments = 1
	cells[1].LeadTimes = Multiset{86399: 1, 86401: 1}
	cells[2].Restores = Multiset{3600: 1}
	row := mustCompute(t, q, cells).Rows[0]
	want := Levels{
		DeploymentFrequency: lv(LevelElite), LeadTime: lv(LevelHigh), ChangeFailureRate: lv(LevelElite),
		TimeToRestore: lv(LevelHigh), Overall: lv(LevelHigh),
	}
	if !reflect.DeepEqual(row.Levels, want) {
		t.Errorf("levels %+v, want %+v", row.Levels, want)
	}
}

func TestComputeInvalidQuery(t *testing.T) {
	q := Query{From: at("2024-01-02", time.UTC), To: at("2024-01-01", time.UTC), GroupBy: "servce", Period: "year"}
	_, err := Compute(q, nil)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`group-by "servce"`, `period "year"`, "empty window"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestComputeDoesNotChangeCells(t *testing.T) {
	cells := []Cell{
		{Day: d("2024-01-02"), Service: "api", LeadTimes: Multiset{100: 1, 200: -1}},
		{Day: d("2024-01-02"), Service: "api", LeadTimes: Multiset{100: 2}},
	}
	mustCompute(t, q1(GroupService, PeriodNone), cells)
	if !reflect.DeepEqual(cells[0].LeadTimes, Multiset{100: 1, 200: -1}) || !reflect.DeepEqual(cells[1].LeadTimes, Multiset{100: 2}) {
		t.Errorf("cells changed: %v %v", cells[0].LeadTimes, cells[1].LeadTimes)
	}
}

func TestAggregatorReportIsRepeatable(t *testing.T) {
	a, err := NewAggregator(q1(GroupService, PeriodWeek))
	if err != nil {
		t.Fatal(err)
	}
	a.Add(Cell{Day: d("2024-01-02"), Service: "api", Deployments: 1, LeadTimes: Multiset{60: 1, 30: -1}})
	first := a.Report()
	if again := a.Report(); !reflect.DeepEqual(first, again) {
		t.Errorf("second report differs:\n%+v\n%+v", first, again)
	}
	a.Add(Cell{Day: d("2024-01-03"), Service: "api", Deployments: 1})
	if got := a.Report().Rows[0].Deployments; got != 2 {
		t.Errorf("after another cell: %d deployments, want 2", got)
	}
}

// The store yields one cell per event from the facts or one per day and
// keys from the rollup, where retractions may sit in other cells than
// their originals and entries may be zero; both must give the same report.
func TestComputeEventsAndRollupAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	services := []struct{ service, team, repo string }{
		{"api", "platform", "acme/api"}, {"api", "core", "acme/api"}, {"web", "frontend", "acme/web"}, {"cron", "", ""},
	}
	envs := []string{"production", "staging"}
	start := d("2024-01-01")
	var events []Cell
	for range 5000 {
		s := services[rng.IntN(len(services))]
		c := Cell{Day: start.AddDays(rng.IntN(100) - 5), Service: s.service, Team: s.team,
			Environment: envs[rng.IntN(len(envs))], Repository: s.repo}
		switch rng.IntN(4) {
		case 0:
			c.Deployments = 1
			c.FailedDeployments = int64(rng.IntN(10) / 9)
			c.ReworkDeployments = int64(rng.IntN(10) / 8)
		case 1:
			c.LeadTimes = Multiset{int64(rng.IntN(50)) * 3600: 1}
		case 2:
			c.Repository, c.Environment = "", "production"
			c.Incidents = 1
		case 3:
			c.Repository, c.Environment = "", "production"
			c.Restores = Multiset{int64(rng.IntN(20)) * 600: 1}
		}
		events = append(events, c)
	}

	// Roll the events up per day and keys.
	type key struct {
		day                                    Date
		service, team, environment, repository string
	}
	sums := map[key]*Cell{}
	var order []key
	for _, e := range events {
		k := key{e.Day, e.Service, e.Team, e.Environment, e.Repository}
		c := sums[k]
		if c == nil {
			c = &Cell{Day: e.Day, Service: e.Service, Team: e.Team, Environment: e.Environment, Repository: e.Repository}
			sums[k] = c
			order = append(order, k)
		}
		c.Deployments += e.Deployments
		c.FailedDeployments += e.FailedDeployments
		c.ReworkDeployments += e.ReworkDeployments
		c.Incidents += e.Incidents
		c.LeadTimes = merged(c.LeadTimes, e.LeadTimes)
		c.Restores = merged(c.Restores, e.Restores)
	}
	var rollup []Cell
	for i, k := range order {
		c := *sums[k]
		switch i % 4 {
		case 0:
			// A retraction in one cell, an extra original in another.
			rollup = append(rollup, Cell{Day: c.Day, Service: c.Service, Team: c.Team, Environment: c.Environment,
				Repository: c.Repository, LeadTimes: Multiset{7: -1}, Restores: Multiset{7: -1}})
			c.LeadTimes = merged(c.LeadTimes, Multiset{7: 1})
			c.Restores = merged(c.Restores, Multiset{7: 1})
		case 1:
			// An entry merged down to zero.
			c.LeadTimes = merged(c.LeadTimes, Multiset{999: 0})
		case 2:
			// A cell of a team the service no longer has, cancelled out.
			rollup = append(rollup, Cell{Day: c.Day, Service: c.Service, Team: "aaa", Environment: c.Environment,
				Repository: c.Repository, Restores: Multiset{60: 0}})
		}
		rollup = append(rollup, c)
	}
	rng.Shuffle(len(rollup), func(i, j int) { rollup[i], rollup[j] = rollup[j], rollup[i] })

	for _, groupBy := range []string{GroupService, GroupTeam, GroupRepository, GroupEnvironment, GroupNone} {
		for _, period := range []string{PeriodNone, PeriodDay, PeriodWeek, PeriodMonth} {
			q := Query{From: at("2024-01-01", time.UTC), To: at("2024-03-15", time.UTC), GroupBy: groupBy, Period: period}
			fromEvents, fromRollup := mustCompute(t, q, events), mustCompute(t, q, rollup)
			if !reflect.DeepEqual(fromEvents, fromRollup) {
				t.Errorf("%s, %s: the reports differ", groupBy, period)
			}
			if len(fromEvents.Rows) == 0 {
				t.Errorf("%s, %s: no rows", groupBy, period)
			}
		}
	}
}

// merged returns a new multiset holding a and b, so that cells sharing a
// multiset stay as they are.
func merged(a, b Multiset) Multiset {
	m := Multiset{}
	for _, x := range []Multiset{a, b} {
		for v, n := range x {
			m[v] += n
		}
	}
	return m
}
