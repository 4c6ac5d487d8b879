package metrics

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"
)

// WriteJSON writes r in the shape of `doraflow metrics --format json`
// (docs/metrics.md): the window in RFC 3339 UTC, then one object per row with
// its grouping key under its own name, period_start when there is a
// period, the metrics in the contract's order and their levels. Nulls are
// null, never 0.
func WriteJSON(w io.Writer, r Report) error {
	doc := jsonReport{
		From:    r.From.UTC().Format(time.RFC3339Nano),
		To:      r.To.UTC().Format(time.RFC3339Nano),
		GroupBy: r.GroupBy,
		Period:  r.Period,
		Rows:    make([]jsonRow, 0, len(r.Rows)), // [] rather than null
	}
	for i := range r.Rows {
		doc.Rows = append(doc.Rows, newJSONRow(&r.Rows[i], r.GroupBy))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // names such as "R&D" stay readable
	return enc.Encode(doc)   // a single Write
}

// jsonReport is the document WriteJSON writes; field order is output order.
type jsonReport struct {
	From    string    `json:"from"`
	To      string    `json:"to"`
	GroupBy string    `json:"group_by"`
	Period  string    `json:"period"`
	Rows    []jsonRow `json:"rows"`
}

// jsonRow is one row of the contract. The key fields are pointers so that
// only the grouping's keys appear, even when their value is "".
type jsonRow struct {
	Service     *string `json:"service,omitempty"`
	Team        *string `json:"team,omitempty"`
	Repository  *string `json:"repository,omitempty"`
	Environment *string `json:"environment,omitempty"`
	PeriodStart *string `json:"period_start,omitempty"`

	Deployments       int64     `json:"deployments"`
	DeploymentDays    int64     `json:"deployment_days"`
	DeploymentsPerDay jsonRatio `json:"deployments_per_day"`

	Changes        int64        `json:"changes"`
	LeadTimeMedian *JSONSeconds `json:"lead_time_median_seconds"`
	LeadTimeP90    *JSONSeconds `json:"lead_time_p90_seconds"`
	LeadTimeMean   *JSONSeconds `json:"lead_time_mean_seconds"`

	CodingTimeMedian *JSONSeconds `json:"coding_time_median_seconds"`
	PickupTimeMedian *JSONSeconds `json:"pickup_time_median_seconds"`
	ReviewTimeMedian *JSONSeconds `json:"review_time_median_seconds"`
	DeployTimeMedian *JSONSeconds `json:"deploy_time_median_seconds"`

	FailedDeployments int64      `json:"failed_deployments"`
	ChangeFailureRate *jsonRatio `json:"change_failure_rate"`

	Incidents           int64        `json:"incidents"`
	RestoredIncidents   int64        `json:"restored_incidents"`
	TimeToRestoreMedian *JSONSeconds `json:"time_to_restore_median_seconds"`
	TimeToRestoreP90    *JSONSeconds `json:"time_to_restore_p90_seconds"`
	TimeToRestoreMean   *JSONSeconds `json:"time_to_restore_mean_seconds"`

	ReworkDeployments int64      `json:"rework_deployments"`
	ReworkRate        *jsonRatio `json:"rework_rate"`

	Levels Levels `json:"levels"`
}

func newJSONRow(r *Row, groupBy string) jsonRow {
	j := jsonRow{
		Deployments:         r.Deployments,
		DeploymentDays:      r.DeploymentDays,
		DeploymentsPerDay:   jsonRatio(r.DeploymentsPerDay),
		Changes:             r.Changes,
		LeadTimeMedian:      (*JSONSeconds)(r.LeadTimeMedian),
		LeadTimeP90:         (*JSONSeconds)(r.LeadTimeP90),
		LeadTimeMean:        (*JSONSeconds)(r.LeadTimeMean),
		CodingTimeMedian:    (*JSONSeconds)(r.CodingTimeMedian),
		PickupTimeMedian:    (*JSONSeconds)(r.PickupTimeMedian),
		ReviewTimeMedian:    (*JSONSeconds)(r.ReviewTimeMedian),
		DeployTimeMedian:    (*JSONSeconds)(r.DeployTimeMedian),
		FailedDeployments:   r.FailedDeployments,
		ChangeFailureRate:   (*jsonRatio)(r.ChangeFailureRate),
		Incidents:           r.Incidents,
		RestoredIncidents:   r.RestoredIncidents,
		TimeToRestoreMedian: (*JSONSeconds)(r.TimeToRestoreMedian),
		TimeToRestoreP90:    (*JSONSeconds)(r.TimeToRestoreP90),
		TimeToRestoreMean:   (*JSONSeconds)(r.TimeToRestoreMean),
		ReworkDeployments:   r.ReworkDeployments,
		ReworkRate:          (*jsonRatio)(r.ReworkRate),
		Levels:              r.Levels,
	}
	switch groupBy {
	case GroupService:
		j.Service, j.Team = &r.Service, &r.Team
	case GroupTeam:
		j.Team = &r.Team
	case GroupRepository:
		j.Repository = &r.Repository
	case GroupEnvironment:
		j.Environment = &r.Environment
	}
	if r.PeriodStart != nil {
		p := r.PeriodStart.String()
		j.PeriodStart = &p
	}
	return j
}

// JSONSeconds is a duration in seconds as doraflow prints it in JSON and
// CSV: rounded to the millisecond, with a decimal point (formatSeconds).
// It is exported for explain (package pipeline), whose durations must
// print as metrics' do.
type JSONSeconds float64

// MarshalJSON implements json.Marshaler.
func (s JSONSeconds) MarshalJSON() ([]byte, error) {
	return jsonNumber(float64(s), formatSeconds)
}

// String prints s as a CSV cell, as MarshalJSON does.
func (s JSONSeconds) String() string { return formatSeconds(float64(s)) }

// jsonRatio is a ratio or rate, printed rounded to 4 decimals
// (formatRatio).
type jsonRatio float64

// MarshalJSON implements json.Marshaler.
func (r jsonRatio) MarshalJSON() ([]byte, error) { return jsonNumber(float64(r), formatRatio) }

// jsonNumber prints v with format, refusing what JSON cannot hold as
// encoding/json does for a plain float.
func jsonNumber(v float64, format func(float64) string) ([]byte, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, fmt.Errorf("metrics: %v is not a number JSON can hold", v)
	}
	return []byte(format(v)), nil
}
