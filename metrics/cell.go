package metrics

import (
	"cmp"
	"fmt"
	"time"
)

// Cell holds the metric building blocks for one calendar day (in the
// config time zone) and one combination of keys.
//
// The store yields either one cell per (day, keys) from the daily rollup,
// or one cell per event from the facts; both aggregate identically because
// every field is a sum or a multiset.
type Cell struct {
	Day         Date // calendar day in the config time zone
	Service     string
	Team        string
	Environment string
	// Repository is "" when there is none: incidents, and custom
	// deployments recorded without one.
	Repository string

	Deployments       int64
	FailedDeployments int64
	ReworkDeployments int64
	// LeadTimes maps a lead time in seconds to the number of changes with
	// it; the number of changes is LeadTimes.Count().
	LeadTimes Multiset
	// Incidents counts the incidents created on Day.
	Incidents int64
	// Restores maps a time to restore in seconds to the number of
	// incidents resolved on Day with it.
	Restores Multiset
}

// empty reports whether the cell contributes nothing. The rollup can yield
// such cells (a retraction that cancels what it retracts), the facts never
// do; skipping them keeps the two inputs equivalent, notably for the team
// a service row reports.
func (c Cell) empty() bool {
	return c.Deployments == 0 && c.FailedDeployments == 0 && c.ReworkDeployments == 0 &&
		c.Incidents == 0 && c.LeadTimes.zero() && c.Restores.zero()
}

// Multiset maps a value (seconds) to how many times it occurs.
//
// Counts may be zero or negative in a cell: the rollup records a retraction
// as -1 on the value it retracts, and merges are eventual. Only after all
// cells of a row are merged are entries whose count is not positive
// ignored, so a retraction cancels its original wherever the two land.
type Multiset map[int64]int64

// Count returns the number of occurrences, ignoring entries whose count is
// not positive.
func (m Multiset) Count() int64 {
	var n int64
	for _, c := range m {
		if c > 0 {
			n += c
		}
	}
	return n
}

// zero reports whether every count is zero, so merging m changes nothing.
func (m Multiset) zero() bool {
	for _, c := range m {
		if c != 0 {
			return false
		}
	}
	return true
}

// Date is a calendar day, without a time zone: which instants it spans
// depends on the location it is read in (see [Date.Start]).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the calendar day of t in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

// Start returns the first instant of d in loc: its local midnight, or the
// instant the clocks jump to when a change skips midnight (as in São Paulo
// until 2018, where 00:00 became 01:00).
func (d Date) Start(loc *time.Location) time.Time {
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
	if DateOf(t, loc).Before(d) {
		// time.Date may read a midnight that does not exist with the
		// offset after the jump, which lands before it, on the day before;
		// the day starts where that offset ends.
		_, t = t.ZoneBounds()
	}
	return t
}

// AddDays returns the day n days after d (before it when n is negative).
func (d Date) AddDays(n int) Date {
	// Noon UTC: calendar arithmetic without any clock change in the way.
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC), time.UTC)
}

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	return cmp.Or(cmp.Compare(d.Year, e.Year), cmp.Compare(d.Month, e.Month), cmp.Compare(d.Day, e.Day))
}

// Monday returns the Monday of d's week: weeks start on Monday.
func (d Date) Monday() Date {
	wd := time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
	// Weekday counts from Sunday = 0; shift so Monday = 0 and Sunday = 6.
	return d.AddDays(-((int(wd) + 6) % 7))
}

// MonthStart returns the first day of d's month.
func (d Date) MonthStart() Date { return Date{d.Year, d.Month, 1} }

// nextMonth returns the first day of the month after d's.
func (d Date) nextMonth() Date {
	return DateOf(time.Date(d.Year, d.Month+1, 1, 12, 0, 0, 0, time.UTC), time.UTC)
}

// unixDay returns the number of days from 1970-01-01 to d, by Howard
// Hinnant's days_from_civil: integer arithmetic only, as it runs once per
// deployment cell.
func (d Date) unixDay() int64 {
	y, m := int64(d.Year), int64(d.Month)
	if m <= 2 {
		y-- // count March to February, so the leap day ends the year
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era-- // floor division
	}
	yoe := y - era*400                     // year of era, [0, 399]
	mp := (m + 9) % 12                     // month from March, [0, 11]
	doy := (153*mp+2)/5 + int64(d.Day) - 1 // day of year from March 1st, [0, 365]
	doe := yoe*365 + yoe/4 - yoe/100 + doy // day of era, [0, 146096]
	return era*146097 + doe - 719468       // 719468: days from 0000-03-01 to 1970-01-01
}

// String formats d as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }
