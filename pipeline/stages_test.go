package pipeline_test

import (
	"reflect"
	"testing"
	"time"

	"doraflow"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/metrics"
	"doraflow/pipeline"
	"doraflow/pipeline/pipelinetest"
	"doraflow/transform"
)

// staged returns pull request c opened, first reviewed by someone other
// than its author (zero: nobody else reviewed it, as the extractor reports
// a pull request only its author reviewed) and merged at the given times.
func staged(c doraflow.Change, opened, review, merged time.Time) doraflow.Change {
	c.OpenedAt, c.FirstReviewAt, c.MergedAt = opened, review, merged
	return c
}

// TestStagesOfLeadTime: docs/metrics.md, "Stages": coding = opened −
// started, pickup = first review by someone else − opened, review =
// merged − that review, deploy = first deployment − merged; without such
// a review no pickup and no review; a lone commit has only deploy. Each
// median is over the changes that have the stage. The harness checks that
// the rollup (dora_stages_daily) and the events agree.
func TestStagesOfLeadTime(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		h1 := time.Hour
		// api ships on Jan 3:
		//   r  reviewed: coding 2h = 7200, pickup 3h = 10800, review 19h =
		//      68400, deploy 1d = 86400;
		//   a  reviewed by its author only: coding 4h = 14400, deploy 12h
		//      = 43200, no pickup, no review;
		//   l  a lone commit of Jan 2 12:00: deploy = lead time = 43200.
		// web ships on Jan 3 only a pull request nobody else reviewed.
		r := staged(pr("r", day(1)), day(1).Add(2*h1), day(1).Add(5*h1), day(2))
		a := staged(pr("a", day(1)), day(1).Add(4*h1), time.Time{}, day(2).Add(12*h1))
		l := doraflow.Change{ID: "l", Kind: doraflow.ChangeCommit, StartedAt: day(2).Add(12 * h1)}
		w := staged(pr("w", day(1)), day(1).Add(h1), time.Time{}, day(2))
		h.Stage(doraflow.FactSet{
			Deployments: []doraflow.Deployment{dep("d", "api", day(3)), dep("dw", "web", day(3))},
			Changes:     []doraflow.Change{r, a, l, w},
			Ships:       map[string][]string{"d": {"r", "a", "l"}, "dw": {"w"}},
		})
		h.Promote()
		q := window(1, 8)
		q.GroupBy = metrics.GroupService
		rep := h.Metrics(q)
		api := pipelinetest.Row(t, rep, "api")
		// coding: median of 7200 and 14400 = 10800; pickup and review: r
		// alone; deploy: median of 86400, 43200, 43200 = 43200.
		if api.Changes != 3 || !eqPtr(api.CodingTimeMedian, f(10800)) || !eqPtr(api.PickupTimeMedian, f(10800)) ||
			!eqPtr(api.ReviewTimeMedian, f(68400)) || !eqPtr(api.DeployTimeMedian, f(43200)) {
			t.Fatalf("api: changes %d coding %v pickup %v review %v deploy %v, want 3, 10800, 10800, 68400, 43200",
				api.Changes, show(api.CodingTimeMedian), show(api.PickupTimeMedian), show(api.ReviewTimeMedian), show(api.DeployTimeMedian))
		}
		// web: coding 1h, deploy 1d; pickup and review are null, not 0.
		wr := pipelinetest.Row(t, rep, "web")
		if wr.Changes != 1 || !eqPtr(wr.CodingTimeMedian, f(3600)) || wr.PickupTimeMedian != nil || wr.ReviewTimeMedian != nil ||
			!eqPtr(wr.DeployTimeMedian, f(86400)) {
			t.Fatalf("web: changes %d coding %v pickup %v review %v deploy %v, want 1, 3600, null, null, 86400",
				wr.Changes, show(wr.CodingTimeMedian), show(wr.PickupTimeMedian), show(wr.ReviewTimeMedian), show(wr.DeployTimeMedian))
		}

		// explain changes lists each change with the stages the medians
		// count, null where the change has no such stage.
		items, err := h.P.Explain(h.Ctx, pipeline.ExplainQuery{What: pipeline.ExplainChanges, From: q.From, To: q.To})
		must(t, err)
		n := func(v int64) *int64 { return &v }
		wantStages := map[string]transform.Stages{
			"r": {Coding: n(7200), Pickup: n(10800), Review: n(68400), Deploy: n(86400)},
			"a": {Coding: n(14400), Deploy: n(43200)},
			"l": {Deploy: n(43200)},
			"w": {Coding: n(3600), Deploy: n(86400)},
		}
		if len(items) != len(wantStages) {
			t.Fatalf("explain changes lists %d changes, want %d", len(items), len(wantStages))
		}
		for _, it := range items {
			want := wantStages[it.ID]
			if it.Stages == nil || !reflect.DeepEqual(*it.Stages, want) {
				t.Errorf("explain: change %s has stages %s, want %s", it.ID, pipelinetest.JSON(it.Stages), pipelinetest.JSON(want))
			}
		}

		// A later sync finds a review of w by someone else, 30 minutes
		// after it was opened: w is promoted again and web gains pickup
		// 1800 and review 81000 (Jan 2 − Jan 1 01:30), nothing counted twice.
		h.Stage(doraflow.FactSet{Changes: []doraflow.Change{staged(pr("w", day(1)), day(1).Add(h1), day(1).Add(90*time.Minute), day(2))}})
		h.Promote()
		wr = pipelinetest.Row(t, h.Metrics(q), "web")
		if wr.Changes != 1 || !eqPtr(wr.CodingTimeMedian, f(3600)) || !eqPtr(wr.PickupTimeMedian, f(1800)) ||
			!eqPtr(wr.ReviewTimeMedian, f(81000)) || !eqPtr(wr.DeployTimeMedian, f(86400)) {
			t.Fatalf("web after the review: changes %d coding %v pickup %v review %v deploy %v, want 1, 3600, 1800, 81000, 86400",
				wr.Changes, show(wr.CodingTimeMedian), show(wr.PickupTimeMedian), show(wr.ReviewTimeMedian), show(wr.DeployTimeMedian))
		}
	})
}
