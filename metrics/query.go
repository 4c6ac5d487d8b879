package metrics

import (
	"errors"
	"fmt"
	"time"
)

// Groupings: the values of [Query.GroupBy] (`--group-by`).
const (
	GroupService     = "service"
	GroupTeam        = "team"
	GroupRepository  = "repository"
	GroupEnvironment = "environment"
	GroupNone        = "none"
)

// Periods: the values of [Query.Period] (`--period`).
const (
	PeriodNone  = "none"
	PeriodDay   = "day"
	PeriodWeek  = "week"
	PeriodMonth = "month"
)

// Query says which cells make up which rows.
type Query struct {
	// From and To bound the window [From, To).
	From, To time.Time
	// Location is the config time zone that days, weeks and months are
	// calendar periods of; nil means UTC.
	Location *time.Location
	// GroupBy is one of the Group* constants.
	GroupBy string
	// Period is one of the Period* constants.
	Period string
	// Service, Team and Environment, when not "", keep only the cells of
	// that service, team or environment. Incidents are production's:
	// any other environment has none.
	Service, Team, Environment string
}

// Validate reports every problem with q at once, so that a command can
// reject bad flags before it reads anything.
func (q Query) Validate() error {
	var errs []error
	switch q.GroupBy {
	case GroupService, GroupTeam, GroupRepository, GroupEnvironment, GroupNone:
	default:
		errs = append(errs, fmt.Errorf("metrics: unknown group-by %q: use service, team, repository, environment or none", q.GroupBy))
	}
	switch q.Period {
	case PeriodNone, PeriodDay, PeriodWeek, PeriodMonth:
	default:
		errs = append(errs, fmt.Errorf("metrics: unknown period %q: use none, day, week or month", q.Period))
	}
	if !q.To.After(q.From) {
		errs = append(errs, fmt.Errorf("metrics: empty window: to (%s) must be after from (%s)",
			q.To.Format(time.RFC3339), q.From.Format(time.RFC3339)))
	}
	return errors.Join(errs...)
}

// location returns the time zone of q's calendar days.
func (q Query) location() *time.Location {
	if q.Location == nil {
		return time.UTC
	}
	return q.Location
}
