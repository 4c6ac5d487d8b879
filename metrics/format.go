package metrics

import (
	"cmp"
	"math"
	"strconv"
	"strings"
)

// keyNames returns the names of the grouping key fields of a report
// grouped by groupBy, as the JSON and CSV output name them.
func keyNames(groupBy string) []string {
	switch groupBy {
	case GroupService:
		return []string{"service", "team"}
	case GroupTeam:
		return []string{"team"}
	case GroupRepository:
		return []string{"repository"}
	case GroupEnvironment:
		return []string{"environment"}
	}
	return nil
}

// keyValues returns r's grouping key fields in the order of keyNames.
func keyValues(r *Row, groupBy string) []string {
	switch groupBy {
	case GroupService:
		return []string{r.Service, r.Team}
	case GroupTeam:
		return []string{r.Team}
	case GroupRepository:
		return []string{r.Repository}
	case GroupEnvironment:
		return []string{r.Environment}
	}
	return nil
}

// Every number doraflow prints in JSON and CSV follows one rule
// (docs/metrics.md, "Numbers in JSON and CSV"): durations in seconds are
// rounded to the millisecond, ratios and rates to 4 decimals, both half
// away from zero and always with a decimal point; counts are integers.
// Only the output is rounded: levels and comparisons use exact values.
const (
	secondsPlaces = 3
	ratioPlaces   = 4
)

// formatSeconds prints a number of seconds rounded to the millisecond
// ("51840.0", "8.1", "18533.333").
func formatSeconds(v float64) string { return formatDecimal(v, secondsPlaces) }

// formatRatio prints a ratio or rate rounded to 4 decimals ("0.4615"), as
// the contract's example does.
func formatRatio(v float64) string { return formatDecimal(v, ratioPlaces) }

// formatDecimal prints v rounded to places decimals, half away from zero,
// without trailing zeros but always with a decimal point, so that it reads
// as the float it is. It rounds the shortest decimal that reads back as v
// (what strconv prints), not v times a power of ten in binary: 1.0005
// becomes 1.001, as a reader of "1.0005" expects, and no value is too
// large to scale. Zero has no sign ("0.0", also for -0.0001 at 3
// places). NaN and infinities, which no metric produces, print as strconv
// prints them; jsonNumber refuses them.
func formatDecimal(v float64, places int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	whole, frac, _ := strings.Cut(strconv.FormatFloat(math.Abs(v), 'f', -1, 64), ".")
	if len(frac) > places {
		up := frac[places] >= '5' // a 5 with nothing after it is the half: away from zero
		frac = frac[:places]
		if up {
			whole, frac = incrementDecimal(whole, frac)
		}
	}
	s := whole + "." + cmp.Or(strings.TrimRight(frac, "0"), "0")
	if math.Signbit(v) && s != "0.0" {
		s = "-" + s
	}
	return s
}

// incrementDecimal adds one unit of the last digit of frac to the decimal
// whole.frac, carrying into whole ("9.999" → "10.000").
func incrementDecimal(whole, frac string) (string, string) {
	digits := []byte(whole + frac)
	i := len(digits) - 1
	for ; i >= 0 && digits[i] == '9'; i-- {
		digits[i] = '0'
	}
	if i < 0 {
		digits = append([]byte{'1'}, digits...)
	} else {
		digits[i]++
	}
	cut := len(digits) - len(frac)
	return string(digits[:cut]), string(digits[cut:])
}
