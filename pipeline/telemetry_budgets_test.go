package pipeline

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"doraflow"
)

// TestWatchBudgets: each known budget shows under its credential's label
// and its resource; one not yet reported on does not.
func TestWatchBudgets(t *testing.T) {
	tel := NewTelemetry()
	reset := time.Date(2031, 1, 6, 13, 0, 0, 0, time.UTC)
	tel.WatchBudgets("github", func() []doraflow.Budget {
		return []doraflow.Budget{
			{Label: "token 1", Resource: "core", Known: true, Limit: 5000, Remaining: 0, Reset: reset},
			{Label: "token 1", Resource: "graphql", Known: true, Limit: 5000, Remaining: 4990, Reset: reset},
			{Label: "token 2", Resource: "core", Known: true, Limit: 5000, Remaining: 4321, Reset: reset.Add(time.Minute)},
			{Label: "token 3", Resource: "core"},
		}
	})
	want := `
# HELP doraflow_api_budget_remaining Requests left in the current rate-limit window, by source, credential and resource, as the source's last answer said.
# TYPE doraflow_api_budget_remaining gauge
doraflow_api_budget_remaining{credential="token 1",resource="core",source="github"} 0
doraflow_api_budget_remaining{credential="token 1",resource="graphql",source="github"} 4990
doraflow_api_budget_remaining{credential="token 2",resource="core",source="github"} 4321
# HELP doraflow_api_budget_reset_timestamp_seconds When the current rate-limit window ends (Unix time), by source, credential and resource.
# TYPE doraflow_api_budget_reset_timestamp_seconds gauge
doraflow_api_budget_reset_timestamp_seconds{credential="token 1",resource="core",source="github"} 1.9254708e+09
doraflow_api_budget_reset_timestamp_seconds{credential="token 1",resource="graphql",source="github"} 1.9254708e+09
doraflow_api_budget_reset_timestamp_seconds{credential="token 2",resource="core",source="github"} 1.92547086e+09
`
	if err := testutil.GatherAndCompare(tel.Registry, strings.NewReader(want), "doraflow_api_budget_remaining", "doraflow_api_budget_reset_timestamp_seconds"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(tel.Registry, "doraflow_api_budget_limit"); err != nil || n != 3 {
		t.Errorf("%d limit series (%v), want 3", n, err)
	}
	var nilTel *Telemetry
	nilTel.WatchBudgets("github", nil) // counts nothing, and does not panic
}
