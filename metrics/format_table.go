package metrics

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// null is how the table shows a null value or an empty name.
const null = "—"

// WriteTable writes r as a table for a terminal: a title with the window
// and grouping, then one aligned line per row with the headline numbers
// (lead times and times to restore as short durations such as "14h24m",
// rates as percentages, nulls as "—"), or a line saying there is no data.
func WriteTable(w io.Writer, r Report) error {
	var buf bytes.Buffer
	fmt.Fprintln(&buf, tableTitle(r))
	if len(r.Rows) == 0 {
		fmt.Fprintln(&buf, "no data in this window")
		_, err := w.Write(buf.Bytes())
		return err
	}
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	var header []string
	for _, k := range keyNames(r.GroupBy) {
		header = append(header, strings.ToUpper(k))
	}
	if r.Period != PeriodNone {
		header = append(header, "PERIOD")
	}
	header = append(header, "DEPLOYS", "DEPLOY DAYS", "PER DAY", "CHANGES", "LEAD P50", "LEAD P90",
		"CFR", "INCIDENTS", "RESTORED", "TTR P50", "REWORK", "LEVEL")
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for i := range r.Rows {
		row := &r.Rows[i]
		var cells []string
		for _, k := range keyValues(row, r.GroupBy) {
			cells = append(cells, orNull(k))
		}
		if r.Period != PeriodNone {
			cells = append(cells, csvDate(row.PeriodStart))
		}
		cells = append(cells,
			itoa(row.Deployments),
			itoa(row.DeploymentDays),
			strconv.FormatFloat(row.DeploymentsPerDay, 'f', 2, 64),
			itoa(row.Changes),
			Seconds(row.LeadTimeMedian),
			Seconds(row.LeadTimeP90),
			Percent(row.ChangeFailureRate),
			itoa(row.Incidents),
			itoa(row.RestoredIncidents),
			Seconds(row.TimeToRestoreMedian),
			Percent(row.ReworkRate),
			tableLevel(row.Levels.Overall),
		)
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	// Writes to a bytes.Buffer cannot fail: the only error is w's.
	_ = tw.Flush()
	_, err := w.Write(buf.Bytes())
	return err
}

// tableTitle says what the table shows, e.g. "DORA metrics from 2024-01-01
// to 2024-04-01 (Europe/Berlin), by service, per week".
func tableTitle(r Report) string {
	var grouping string
	switch r.GroupBy {
	case GroupNone:
		grouping = "all together"
	default:
		grouping = "by " + r.GroupBy
	}
	title := fmt.Sprintf("DORA metrics from %s to %s (%s), %s",
		humanInstant(r.From), humanInstant(r.To), r.From.Location(), grouping)
	if r.Period != PeriodNone {
		title += ", per " + r.Period
	}
	return title
}

// humanInstant prints t as a date when it is a midnight, as the window's
// bounds usually are, and with the time of day otherwise.
func humanInstant(t time.Time) string {
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.DateTime)
}

// Seconds prints a duration in seconds compactly, to two units at
// most, rounded to the smaller one: "45s", "12m30s", "14h24m", "3d 2h";
// "—" for null. The report and explain print durations with it too.
func Seconds(v *float64) string {
	if v == nil {
		return null
	}
	s := int64(math.Round(*v))
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return twoUnits(s/60, "m", s%60, "s")
	}
	// Pick the units after rounding: 23h59m45s reads as 1d, not 23h60m.
	if m := (s + 30) / 60; m < 24*60 {
		return twoUnits(m/60, "h", m%60, "m")
	}
	h := (s + 1800) / 3600 // from seconds: rounding twice would make 1h29m30s 2h
	return twoUnits(h/24, "d ", h%24, "h")
}

// twoUnits prints "<a><unitA><b><unitB>", leaving out a zero b.
func twoUnits(a int64, unitA string, b int64, unitB string) string {
	if b == 0 {
		return strconv.FormatInt(a, 10) + strings.TrimSpace(unitA)
	}
	return strconv.FormatInt(a, 10) + unitA + strconv.FormatInt(b, 10) + unitB
}

// Percent prints a ratio as a percentage with one decimal ("—" for null).
func Percent(v *float64) string {
	if v == nil {
		return null
	}
	return strconv.FormatFloat(*v*100, 'f', 1, 64) + "%"
}

func tableLevel(l *Level) string {
	if l == nil {
		return null
	}
	return string(*l)
}

func orNull(s string) string {
	if s == "" {
		return null
	}
	return s
}
