package metrics

import (
	"encoding/csv"
	"io"
	"strconv"
)

// csvColumn is a metric column of WriteCSV.
type csvColumn struct {
	name  string
	value func(*Row) string
}

// csvColumns returns the metric columns of WriteCSV, named and ordered as
// the JSON fields, with the levels flattened to level_*.
func csvColumns() []csvColumn {
	return []csvColumn{
		{"deployments", func(r *Row) string { return itoa(r.Deployments) }},
		{"deployment_days", func(r *Row) string { return itoa(r.DeploymentDays) }},
		{"deployments_per_day", func(r *Row) string { return formatRatio(r.DeploymentsPerDay) }},
		{"changes", func(r *Row) string { return itoa(r.Changes) }},
		{"lead_time_median_seconds", func(r *Row) string { return csvSeconds(r.LeadTimeMedian) }},
		{"lead_time_p90_seconds", func(r *Row) string { return csvSeconds(r.LeadTimeP90) }},
		{"lead_time_mean_seconds", func(r *Row) string { return csvSeconds(r.LeadTimeMean) }},
		{"coding_time_median_seconds", func(r *Row) string { return csvSeconds(r.CodingTimeMedian) }},
		{"pickup_time_median_seconds", func(r *Row) string { return csvSeconds(r.PickupTimeMedian) }},
		{"review_time_median_seconds", func(r *Row) string { return csvSeconds(r.ReviewTimeMedian) }},
		{"deploy_time_median_seconds", func(r *Row) string { return csvSeconds(r.DeployTimeMedian) }},
		{"failed_deployments", func(r *Row) string { return itoa(r.FailedDeployments) }},
		{"change_failure_rate", func(r *Row) string { return csvRatio(r.ChangeFailureRate) }},
		{"incidents", func(r *Row) string { return itoa(r.Incidents) }},
		{"restored_incidents", func(r *Row) string { return itoa(r.RestoredIncidents) }},
		{"time_to_restore_median_seconds", func(r *Row) string { return csvSeconds(r.TimeToRestoreMedian) }},
		{"time_to_restore_p90_seconds", func(r *Row) string { return csvSeconds(r.TimeToRestoreP90) }},
		{"time_to_restore_mean_seconds", func(r *Row) string { return csvSeconds(r.TimeToRestoreMean) }},
		{"rework_deployments", func(r *Row) string { return itoa(r.ReworkDeployments) }},
		{"rework_rate", func(r *Row) string { return csvRatio(r.ReworkRate) }},
		{"level_deployment_frequency", func(r *Row) string { return csvLevel(r.Levels.DeploymentFrequency) }},
		{"level_lead_time", func(r *Row) string { return csvLevel(r.Levels.LeadTime) }},
		{"level_change_failure_rate", func(r *Row) string { return csvLevel(r.Levels.ChangeFailureRate) }},
		{"level_time_to_restore", func(r *Row) string { return csvLevel(r.Levels.TimeToRestore) }},
		{"level_overall", func(r *Row) string { return csvLevel(r.Levels.Overall) }},
	}
}

// WriteCSV writes r as CSV: a header, then one record per row with the
// grouping key columns first, period_start when there is a period, and one
// column per metric and level. Nulls are empty cells.
func WriteCSV(w io.Writer, r Report) error {
	cw := csv.NewWriter(w)
	columns := csvColumns()
	header := keyNames(r.GroupBy)
	if r.Period != PeriodNone {
		header = append(header, "period_start")
	}
	for _, c := range columns {
		header = append(header, c.name)
	}
	// Write errors are sticky in csv.Writer: checking once after Flush is
	// enough.
	_ = cw.Write(header)
	for i := range r.Rows {
		row := &r.Rows[i]
		rec := keyValues(row, r.GroupBy)
		if r.Period != PeriodNone {
			rec = append(rec, csvDate(row.PeriodStart))
		}
		for _, c := range columns {
			rec = append(rec, c.value(row))
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func csvSeconds(v *float64) string {
	if v == nil {
		return ""
	}
	return formatSeconds(*v)
}

func csvRatio(v *float64) string {
	if v == nil {
		return ""
	}
	return formatRatio(*v)
}

func csvLevel(l *Level) string {
	if l == nil {
		return ""
	}
	return string(*l)
}

func csvDate(d *Date) string {
	if d == nil {
		return ""
	}
	return d.String()
}
