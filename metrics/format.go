package metrics

import (
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

// formatSeconds prints a number of seconds in full, always with a decimal
// point ("51840.0", "2.5", "8.1") so that it reads as the float it is.
func formatSeconds(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// formatRatio prints a ratio rounded to 4 decimals (half away from zero),
// as the contract's example does ("0.4615"). Only the output is rounded:
// levels are computed on exact values.
func formatRatio(v float64) string {
	return formatSeconds(math.Round(v*1e4) / 1e4)
}
