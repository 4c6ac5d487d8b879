package metrics

import (
	"fmt"
	"strconv"
	"time"
)

// StampLayout is the one way the terminal outputs (metrics, explain,
// report) print an instant: to the minute, in the window's time zone,
// which the header names once. JSON and CSV carry RFC 3339 instead.
const StampLayout = "2006-01-02 15:04"

// Window says which days a window covers, the same way in the metrics
// table, explain and the report: "from 2026-11-07 to 2026-12-06 (UTC)",
// both days included, because that is how people read a range of days
// (the query's end, 2026-12-07 00:00, is exclusive). A window that does
// not start and end at midnight is given to the minute with "until", its
// end excluded: "from 2024-01-01 00:00 until 2024-01-08 12:30
// (Europe/Berlin)".
func Window(from, to time.Time) string {
	zone := from.Location().String()
	if midnight(from) && midnight(to) && to.After(from) {
		last := to.AddDate(0, 0, -1)
		return fmt.Sprintf("from %s to %s (%s)", from.Format(time.DateOnly), last.Format(time.DateOnly), zone)
	}
	return fmt.Sprintf("from %s until %s (%s)", from.Format(StampLayout), to.Format(StampLayout), zone)
}

func midnight(t time.Time) bool {
	return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
}

// Plural prints a count with its noun, singular for one: "1 row",
// "3 rows", "0 incidents". Nouns whose plural is not noun+"s" are not
// printed with counts in doraflow, so this stays this small.
func Plural[N int | int64 | uint64](n N, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.FormatInt(int64(n), 10) + " " + noun + "s"
}
