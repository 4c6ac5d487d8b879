package metrics

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"doraflow"
)

// Report is the result of a query: its window, grouping and rows.
type Report struct {
	// From and To are the window [From, To), in the query's location.
	From, To time.Time
	GroupBy  string
	Period   string
	// Rows are sorted by the grouping key, then PeriodStart. Rows with
	// nothing in them are left out, except that GroupNone with PeriodNone
	// always has exactly one row, so a script always gets one.
	Rows []Row
}

// Row holds the metrics of one grouping key (and period); see docs/metrics.md
// for each field. A nil pointer is a ratio or percentile over nothing.
type Row struct {
	// The grouping key: Service and Team for GroupService (the team of the
	// service), else the one field the report is grouped by; all "" for
	// GroupNone.
	Service, Team, Repository, Environment string
	// PeriodStart is the first day of the row's period; nil for PeriodNone.
	PeriodStart *doraflow.Date

	Deployments    int64
	DeploymentDays int64
	// DeploymentsPerDay divides Deployments by the days of the window (of
	// the period inside the window) as seconds ÷ 86 400, so a day with a
	// clock change counts as 23 or 25 hours.
	DeploymentsPerDay float64

	Changes        int64
	LeadTimeMedian *float64 // seconds
	LeadTimeP90    *float64 // seconds
	LeadTimeMean   *float64 // seconds

	// The medians of the stages of those changes, each over the changes
	// that have that stage: pickup and review leave out pull requests
	// nobody but their author reviewed, coding, pickup and review leave
	// out lone commits.
	CodingTimeMedian *float64 // seconds
	PickupTimeMedian *float64 // seconds
	ReviewTimeMedian *float64 // seconds
	DeployTimeMedian *float64 // seconds

	FailedDeployments int64
	ChangeFailureRate *float64

	Incidents           int64
	RestoredIncidents   int64
	TimeToRestoreMedian *float64 // seconds
	TimeToRestoreP90    *float64 // seconds
	TimeToRestoreMean   *float64 // seconds

	ReworkDeployments int64
	ReworkRate        *float64

	Levels Levels
}

// empty reports whether nothing at all was counted in r.
func (r *Row) empty() bool {
	return r.Deployments == 0 && r.DeploymentDays == 0 && r.Changes == 0 && r.FailedDeployments == 0 &&
		r.Incidents == 0 && r.RestoredIncidents == 0 && r.ReworkDeployments == 0
}

// Aggregator merges cells into the rows of a query as they are read, so
// the store can stream a million cells without holding them. It is not
// safe for concurrent use.
type Aggregator struct {
	q   Query
	loc *time.Location
	// first and last are the calendar days that overlap the window.
	first, last doraflow.Date
	buckets     map[bucketKey]*bucket
	// teams holds each service's team for GroupService.
	teams map[string]string
}

// bucketKey identifies a row: its grouping key and period start (the zero
// Date without a period).
type bucketKey struct {
	key    string
	period doraflow.Date
}

// bucket accumulates the cells of one row.
type bucket struct {
	deployments, failed, rework, incidents int64
	// byDay sums deployments per day, from the row's first day in the
	// window (firstDay, a unixDay): a day counts as a deployment day only
	// when its deployments in this row net to more than zero. A slice
	// rather than a map, as this is the hottest line for deployments.
	byDay           []int64
	firstDay        int64
	leads, restores tally
	// stages holds the stage tallies in the order of doraflow.StageKinds.
	stages [4]tally
}

// NewAggregator returns an Aggregator for q, or the problems with q.
func NewAggregator(q Query) (*Aggregator, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	loc := q.location()
	return &Aggregator{
		q:       q,
		loc:     loc,
		first:   doraflow.DateOf(q.From, loc),
		last:    doraflow.DateOf(q.To.Add(-time.Nanosecond), loc), // To is excluded
		buckets: make(map[bucketKey]*bucket),
		teams:   make(map[string]string),
	}, nil
}

// Compute merges cells into the report of q. Cells are only read.
func Compute(q Query, cells []doraflow.Cell) (Report, error) {
	a, err := NewAggregator(q)
	if err != nil {
		return Report{}, err
	}
	for _, c := range cells {
		a.Add(c)
	}
	return a.Report(), nil
}

// Add merges c into its row. The caller is expected to have kept only what
// happened inside the window, at event precision; Add still drops a cell
// whose day does not overlap the window at all, and cells the query's
// filters exclude. The cell's multisets are only read.
func (a *Aggregator) Add(c doraflow.Cell) {
	if c.Day.Before(a.first) || a.last.Before(c.Day) ||
		a.q.Service != "" && c.Service != a.q.Service ||
		a.q.Team != "" && c.Team != a.q.Team ||
		a.q.Environment != "" && c.Environment != a.q.Environment ||
		emptyCell(c) {
		return
	}
	var key string
	switch a.q.GroupBy {
	case GroupService:
		key = c.Service
		// A service's team comes from its cells; should they disagree
		// (the service moved teams), the first non-empty name in byte
		// order wins, whatever order the cells come in.
		if t, ok := a.teams[key]; !ok || t == "" || c.Team != "" && c.Team < t {
			a.teams[key] = c.Team
		}
	case GroupTeam:
		key = c.Team
	case GroupRepository:
		// Incidents belong to no repository, nor do custom deployments
		// recorded without one.
		if c.Repository == "" {
			return
		}
		key = c.Repository
	case GroupEnvironment:
		key = c.Environment
	}
	k := bucketKey{key, a.periodOf(c.Day)}
	b := a.buckets[k]
	if b == nil {
		first := a.first
		if a.q.Period != PeriodNone && first.Before(k.period) {
			first = k.period
		}
		b = &bucket{firstDay: unixDay(first)}
		a.buckets[k] = b
	}
	b.deployments += c.Deployments
	if c.Deployments != 0 {
		i := int(unixDay(c.Day) - b.firstDay)
		if i >= len(b.byDay) {
			b.byDay = append(b.byDay, make([]int64, i+1-len(b.byDay))...)
		}
		b.byDay[i] += c.Deployments
	}
	b.failed += c.FailedDeployments
	b.rework += c.ReworkDeployments
	b.leads.add(c.LeadTimes)
	for i, k := range doraflow.StageKinds() {
		b.stages[i].add(*c.Stage(k))
	}
	// Repository rows count no incidents (docs/metrics.md), even should the
	// store hand over an incident with a repository.
	if a.q.GroupBy != GroupRepository {
		b.incidents += c.Incidents
		b.restores.add(c.Restores)
	}
}

// periodOf returns the start of the period that day d falls in.
func (a *Aggregator) periodOf(d doraflow.Date) doraflow.Date {
	switch a.q.Period {
	case PeriodDay:
		return d
	case PeriodWeek:
		return d.Monday()
	case PeriodMonth:
		return d.MonthStart()
	}
	return doraflow.Date{}
}

// span returns the part of the window that the period starting at p
// covers (the whole window without a period): what deployments per day
// and the deployment frequency level divide by.
func (a *Aggregator) span(p doraflow.Date) time.Duration {
	var end doraflow.Date
	switch a.q.Period {
	case PeriodNone:
		return a.q.To.Sub(a.q.From)
	case PeriodDay:
		end = p.AddDays(1)
	case PeriodWeek:
		end = p.AddDays(7)
	case PeriodMonth:
		end = nextMonth(p)
	}
	from, to := p.Start(a.loc), end.Start(a.loc)
	if from.Before(a.q.From) {
		from = a.q.From
	}
	if to.After(a.q.To) {
		to = a.q.To
	}
	return to.Sub(from)
}

// Report returns the rows of everything added so far. More cells may be
// added afterwards and Report called again.
func (a *Aggregator) Report() Report {
	r := Report{
		From:    a.q.From.In(a.loc),
		To:      a.q.To.In(a.loc),
		GroupBy: a.q.GroupBy,
		Period:  a.q.Period,
	}
	if a.q.GroupBy == GroupNone && a.q.Period == PeriodNone {
		b := a.buckets[bucketKey{}]
		if b == nil {
			b = &bucket{}
		}
		r.Rows = []Row{a.row(bucketKey{}, b)}
		return r
	}
	keys := make([]bucketKey, 0, len(a.buckets))
	for k := range a.buckets {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y bucketKey) int {
		return cmp.Or(strings.Compare(x.key, y.key), x.period.Compare(y.period))
	})
	r.Rows = make([]Row, 0, len(keys))
	for _, k := range keys {
		if row := a.row(k, a.buckets[k]); !row.empty() {
			r.Rows = append(r.Rows, row)
		}
	}
	return r
}

// row computes the metrics of bucket b, whose key is k.
func (a *Aggregator) row(k bucketKey, b *bucket) Row {
	var r Row
	switch a.q.GroupBy {
	case GroupService:
		r.Service, r.Team = k.key, a.teams[k.key]
	case GroupTeam:
		r.Team = k.key
	case GroupRepository:
		r.Repository = k.key
	case GroupEnvironment:
		r.Environment = k.key
	}
	if a.q.Period != PeriodNone {
		p := k.period
		r.PeriodStart = &p
	}
	span := a.span(k.period)

	r.Deployments = b.deployments
	for _, n := range b.byDay {
		if n > 0 {
			r.DeploymentDays++
		}
	}
	// Deployments × 86 400 ÷ seconds rather than ÷ (seconds ÷ 86 400):
	// one rounding, so 167 deployments in a 167-hour week are 24.0 a day.
	r.DeploymentsPerDay = float64(b.deployments) * daySeconds / span.Seconds()

	leads := b.leads.summarize()
	r.Changes = leads.n
	r.LeadTimeMedian, r.LeadTimeP90, r.LeadTimeMean = leads.median, leads.p90, leads.mean
	medians := [...]**float64{&r.CodingTimeMedian, &r.PickupTimeMedian, &r.ReviewTimeMedian, &r.DeployTimeMedian}
	for i := range b.stages {
		*medians[i] = b.stages[i].summarize().median
	}

	r.FailedDeployments = b.failed
	r.ChangeFailureRate = ratio(b.failed, b.deployments)

	r.Incidents = b.incidents
	restores := b.restores.summarize()
	r.RestoredIncidents = restores.n
	r.TimeToRestoreMedian, r.TimeToRestoreP90, r.TimeToRestoreMean = restores.median, restores.p90, restores.mean

	r.ReworkDeployments = b.rework
	r.ReworkRate = ratio(b.rework, b.deployments)

	r.Levels = levelsOf(&r, span)
	return r
}

// ratio returns part ÷ whole, or nil when there is nothing to divide by.
func ratio(part, whole int64) *float64 {
	if whole <= 0 {
		return nil
	}
	v := float64(part) / float64(whole)
	return &v
}
