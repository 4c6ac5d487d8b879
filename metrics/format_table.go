package metrics

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"
)

// null is how the table shows a null value or an empty name.
const null = "—"

// WriteTable writes r as a table for a terminal: a title with the window
// and grouping, then one aligned line per row with the headline numbers
// (lead times, their stages' medians and times to restore as short
// durations such as "14h24m", rates as percentages, nulls as "—"), or a line saying there is no data.
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
	incidents := "INCIDENTS"
	if r.GroupBy == GroupRepository {
		incidents += "*" // see repositoryFootnote
	}
	header = append(header, "DEPLOYS", "DEPLOY DAYS", "PER DAY", "CHANGES", "LEAD P50", "LEAD P90",
		"CODING P50", "PICKUP P50", "REVIEW P50", "DEPLOY P50", "CFR", incidents, "RESTORED", "TTR P50", "REWORK", "LEVEL")
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for i := range r.Rows {
		row := &r.Rows[i]
		var cells []string
		for _, k := range keyValues(row, r.GroupBy) {
			cells = append(cells, orNull(Text(k)))
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
			Seconds(row.CodingTimeMedian),
			Seconds(row.PickupTimeMedian),
			Seconds(row.ReviewTimeMedian),
			Seconds(row.DeployTimeMedian),
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
	if r.GroupBy == GroupRepository {
		// A CFR beside INCIDENTS 0 reads as a contradiction; it is not one.
		fmt.Fprintln(&buf, repositoryFootnote)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// repositoryFootnote explains, under a table by repository, why CFR can be
// above zero where INCIDENTS is 0 (docs/metrics.md, "Grouping").
const repositoryFootnote = "* incidents belong to services, not repositories, so INCIDENTS is 0 here; CFR counts the deployments an incident was attributed to."

// tableTitle says what the table shows, e.g. "DORA metrics from 2024-01-01
// to 2024-03-31 (Europe/Berlin), by service, per week" (see Window).
func tableTitle(r Report) string {
	var grouping string
	switch r.GroupBy {
	case GroupNone:
		grouping = "all together"
	default:
		grouping = "by " + r.GroupBy
	}
	title := fmt.Sprintf("DORA metrics %s, %s", Window(r.From, r.To), grouping)
	if r.Period != PeriodNone {
		title += ", per " + r.Period
	}
	return title
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

// Text makes a name, id or title safe to print in a terminal: every
// control character (C0, DEL, C1, the line and paragraph separators), every
// bidirectional formatting character (U+061C, U+200E, U+200F, U+202A to
// U+202E, U+2066 to U+2069) and every byte that is not UTF-8 is written as
// a Go escape (\x1b, \t, \u202e, \x9b), so that text from a source or
// a caller can neither send escape sequences to the terminal, nor break a
// table's columns or lines, nor show its characters in another order than
// they are stored. Printable text, backslashes included, is left as it is:
// the table is for reading, and JSON and CSV carry the exact value. Every
// text cell of the terminal output, here and in explain and status, goes
// through it.
func Text(s string) string {
	if !strings.ContainsFunc(s, unsafeRune) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// unsafeRune reports whether r would act on a terminal, or on the order
// text is shown in, instead of showing itself. extract/custom refuses the
// same runes in ids and names.
func unsafeRune(r rune) bool {
	switch {
	case unicode.IsControl(r), r == '\u2028', r == '\u2029':
		return true
	case r == '\u061c', r == '\u200e', r == '\u200f', r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}

func orNull(s string) string {
	if s == "" {
		return null
	}
	return s
}
