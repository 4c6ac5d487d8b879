package pipeline_test

import (
	"testing"
	"time"

	"doraflow"
	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/pipeline"
	"doraflow/pipeline/pipelinetest"
)

// TestPagerDutyMergedIncidents: "An incident merged into another (resolved
// with resolve_reason.type = merge_resolve_reason) is not an incident of
// its own: it is part of the one it was merged into." An incident synced
// open and merged later stops counting at the next sync; one merged before
// the first sync never counts; the facts keep both, marked.
func TestPagerDutyMergedIncidents(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.NewPagerDuty(t, []doraflow.Block{{Name: "all", Method: doraflow.MethodPagerDuty}})
		h.Stage(doraflow.FactSet{Deployments: []doraflow.Deployment{dep("d1", "api", day(2))}})
		target := h.Add(pagerdutyfake.Incident{ServiceID: "PAPI", CreatedAt: day(3)})
		dup := h.Add(pagerdutyfake.Incident{ServiceID: "PAPI", CreatedAt: day(3).Add(5 * time.Minute)})
		early := h.Add(pagerdutyfake.Incident{ServiceID: "PAPI", CreatedAt: day(3).Add(10 * time.Minute)})
		must(t, h.Data.Merge(target, []string{early}, day(3).Add(20*time.Minute)))
		h.Sync()
		got := pipelinetest.Row(t, h.Metrics(window(1, 20)), "api")
		if got.Incidents != 2 || got.RestoredIncidents != 0 || got.FailedDeployments != 1 {
			t.Fatalf("api before the merge: incidents %d restored %d failed %d, want 2, 0 (the early merge left out) and 1",
				got.Incidents, got.RestoredIncidents, got.FailedDeployments)
		}
		views(t, h, 2)

		// Upstream, the open duplicate is merged into the target, which is
		// then resolved; the next sync sees both.
		must(t, h.Data.Merge(target, []string{dup}, day(4)))
		must(t, h.Data.Resolve(target, day(4).Add(time.Hour)))
		h.Now = day(30)
		h.Sync()
		got = pipelinetest.Row(t, h.Metrics(window(1, 20)), "api")
		if got.Incidents != 1 || got.RestoredIncidents != 1 || !eqPtr(got.TimeToRestoreMedian, f(25*3600)) ||
			got.FailedDeployments != 1 || !eqPtr(got.ChangeFailureRate, f(1)) {
			t.Fatalf("api after the merge: %s, want 1 incident restored in 25h, 1 failed deployment", pipelinetest.JSON(got))
		}
		views(t, h, 1)
		items, err := h.P.Explain(h.Ctx, pipeline.ExplainQuery{What: pipeline.ExplainIncidents, From: day(1), To: day(20)})
		must(t, err)
		if len(items) != 1 || items[0].ID != target {
			t.Fatalf("explain incidents: %s, want %s alone", pipelinetest.JSON(items), target)
		}

		// The facts keep every incident; the merged ones say where they went.
		facts, err := h.Store.FactsByID(h.Ctx, nil, nil, []string{target, dup, early})
		must(t, err)
		into := map[string]string{}
		for _, in := range facts.Incidents {
			into[in.ID] = in.MergedInto
		}
		if len(into) != 3 || into[target] != "" || into[dup] != target || into[early] != target {
			t.Fatalf("facts: merged_into %v, want %s and %s into %s", into, dup, early, target)
		}

		// A re-run changes nothing.
		reports, counts := snapshot(h)
		h.Sync()
		again, againCounts := snapshot(h)
		if pipelinetest.JSON(reports) != pipelinetest.JSON(again) || pipelinetest.JSON(counts) != pipelinetest.JSON(againCounts) {
			t.Fatalf("re-run changed the store: %v -> %v", counts, againCounts)
		}
	})
}

// views checks that the dora_incidents view, read by the BI tools, lists
// the incidents of their own only.
func views(t *testing.T, h *pipelinetest.Harness, want uint64) {
	t.Helper()
	n, err := h.Store.RowCount(h.Ctx, "dora_incidents")
	must(t, err)
	if n != want {
		t.Errorf("dora_incidents has %d rows, want %d", n, want)
	}
}
