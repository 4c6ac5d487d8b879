package metrics

import (
	"time"

	"doraflow"
)

// The metric building blocks are domain types, shared by the store that
// reads them and this package that aggregates them; they live in package
// doraflow. These aliases keep code written against metrics compiling;
// new code names the doraflow types.
type (
	// Cell is [doraflow.Cell].
	Cell = doraflow.Cell
	// Multiset is [doraflow.Multiset].
	Multiset = doraflow.Multiset
	// Date is [doraflow.Date].
	Date = doraflow.Date
)

// DateOf returns the calendar day of t in loc: [doraflow.DateOf].
func DateOf(t time.Time, loc *time.Location) doraflow.Date { return doraflow.DateOf(t, loc) }

// emptyCell reports whether c contributes nothing. The rollup can yield
// such cells (a retraction that cancels what it retracts), the facts never
// do; skipping them keeps the two inputs equivalent, notably for the team
// a service row reports.
func emptyCell(c doraflow.Cell) bool {
	return c.Deployments == 0 && c.FailedDeployments == 0 && c.ReworkDeployments == 0 &&
		c.Incidents == 0 && zero(c.LeadTimes) && zero(c.Restores) &&
		zero(c.CodingTimes) && zero(c.PickupTimes) && zero(c.ReviewTimes) && zero(c.DeployTimes)
}

// zero reports whether every count of m is zero, so merging m changes
// nothing.
func zero(m doraflow.Multiset) bool {
	for _, c := range m {
		if c != 0 {
			return false
		}
	}
	return true
}

// nextMonth returns the first day of the month after d's.
func nextMonth(d doraflow.Date) doraflow.Date {
	return doraflow.DateOf(time.Date(d.Year, d.Month+1, 1, 12, 0, 0, 0, time.UTC), time.UTC)
}

// unixDay returns the number of days from 1970-01-01 to d, by Howard
// Hinnant's days_from_civil: integer arithmetic only, as it runs once per
// deployment cell.
func unixDay(d doraflow.Date) int64 {
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
