package pipeline_test

import (
	"errors"
	"testing"
	"time"

	"doraflow"
	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/pipeline"
	"doraflow/pipeline/pipelinetest"
)

func TestPagerDutyServiceMappingAndDedup(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.NewPagerDuty(t, []doraflow.Block{
			{Name: "high", Method: doraflow.MethodPagerDuty, Filters: doraflow.Filters{"urgency": "high"}},
			{Name: "db-override", Method: doraflow.MethodPagerDuty, Service: "database", Filters: doraflow.Filters{"services": []string{"PDB"}}},
			{Name: "everything", Method: doraflow.MethodPagerDuty},
		})
		h.Add(pagerdutyfake.Incident{ServiceID: "PAPI", Urgency: "high", CreatedAt: day(2)})
		h.Add(pagerdutyfake.Incident{ServiceID: "PWEB", Urgency: "low", CreatedAt: day(3)})
		h.Add(pagerdutyfake.Incident{ServiceID: "PDB", Urgency: "low", CreatedAt: day(4)})
		h.Add(pagerdutyfake.Incident{ServiceID: "PDB", Urgency: "high", CreatedAt: day(5)})
		h.Sync()
		q := window(1, 20)
		r := h.Metrics(q)
		// api (services: entry), web (services: entry, via the catch-all block),
		// the low db incident keeps the override of block db-override, and the
		// high one is claimed first by block high, which has no override: its
		// PagerDuty name, "db".
		want := map[string]int64{"api": 1, "web": 1, "database": 1, "db": 1}
		if len(r.Rows) != len(want) {
			t.Fatalf("rows %s, want %v", pipelinetest.JSON(r), want)
		}
		for svc, n := range want {
			if got := pipelinetest.Row(t, r, svc).Incidents; got != n {
				t.Errorf("%s incidents = %d, want %d", svc, got, n)
			}
		}
		// Matched by two or three blocks, still four incidents.
		n, err := h.Store.RowCount(h.Ctx, "incidents")
		must(t, err)
		if n != 4 {
			t.Fatalf("incident facts = %d, want 4", n)
		}
	})
}

func TestPagerDutyResolvedLaterDeletedUpstreamAndRerun(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.NewPagerDuty(t, []doraflow.Block{{Name: "all", Method: doraflow.MethodPagerDuty}})
		open := h.Add(pagerdutyfake.Incident{ServiceID: "PAPI", CreatedAt: day(2)})
		gone := h.Add(pagerdutyfake.Incident{ServiceID: "PWEB", CreatedAt: day(3), ResolvedAt: day(3).Add(time.Hour)})
		h.Sync()
		before := h.Metrics(window(1, 20))
		if got := pipelinetest.Row(t, before, "api"); got.Incidents != 1 || got.RestoredIncidents != 0 {
			t.Fatalf("api before: %+v", got)
		}
		// Ten days on, the open incident is resolved (long before the sync's
		// lookback), and PagerDuty forgets the web incident.
		must(t, h.Data.Resolve(open, day(4)))
		must(t, h.Data.Delete(gone))
		h.Now = day(30)
		h.Sync()
		after := h.Metrics(window(1, 20))
		if got := pipelinetest.Row(t, after, "api"); got.RestoredIncidents != 1 || !eqPtr(got.TimeToRestoreMedian, f(2*86400)) {
			t.Fatalf("api after: restored %d ttr %v, want 1 and 172800", got.RestoredIncidents, show(got.TimeToRestoreMedian))
		}
		if got := pipelinetest.Row(t, after, "web"); got.Incidents != 1 || got.RestoredIncidents != 1 {
			t.Fatalf("web after deletion upstream: %+v, want the incident kept", got)
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

func TestSyncMovesWatermarksForwardOnly(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.NewPagerDuty(t, []doraflow.Block{{Name: "all", Method: doraflow.MethodPagerDuty}})
		h.Sync()
		marks, err := h.Store.StatePrefix(h.Ctx, "watermark/")
		must(t, err)
		if len(marks) != 1 || marks[0].Key != "watermark/pagerduty/all" {
			t.Fatalf("watermarks = %+v", marks)
		}
		first := marks[0].Value
		h.Now = day(10) // a clock that went backwards
		h.Sync()
		marks, err = h.Store.StatePrefix(h.Ctx, "watermark/")
		must(t, err)
		if marks[0].Value != first {
			t.Fatalf("watermark moved from %s to %s, want it kept", first, marks[0].Value)
		}
		runs, err := h.Store.RecentRuns(h.Ctx, 10)
		must(t, err)
		// One sync of the block (the second found the clock behind the
		// watermark and read nothing) and two promotes, all ok.
		if len(runs) != 3 {
			t.Fatalf("runs = %+v, want 3", runs)
		}
		for _, r := range runs {
			if r.Status != "ok" || r.Finished.IsZero() {
				t.Fatalf("run %+v, want ok and finished", r)
			}
		}
	})
}

func TestSyncLeaseKeepsTwoSyncsApart(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.NewPagerDuty(t, []doraflow.Block{{Name: "all", Method: doraflow.MethodPagerDuty}})
		other, err := h.Store.TryLease(h.Ctx, "sync", time.Minute)
		must(t, err)
		if _, err := h.P.Sync(h.Ctx, pipeline.SyncOptions{}); !errors.Is(err, pipeline.ErrBusy) {
			t.Fatalf("sync while another holds the lease: %v, want ErrBusy", err)
		}
		must(t, other.Release(h.Ctx))
		h.Sync()
	})
}

func TestSyncSelection(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.NewPagerDuty(t, []doraflow.Block{{Name: "all", Method: doraflow.MethodPagerDuty}, {Name: "manual", Method: doraflow.MethodCustom}})
		for _, c := range []struct {
			opts pipeline.SyncOptions
			ok   bool
		}{
			{pipeline.SyncOptions{Block: "all"}, true},
			{pipeline.SyncOptions{Block: "manual"}, true},
			{pipeline.SyncOptions{Source: "pagerduty"}, true},
			{pipeline.SyncOptions{Block: "nope"}, false},
			{pipeline.SyncOptions{Source: "jira"}, false},
		} {
			_, err := h.P.Sync(h.Ctx, c.opts)
			if (err == nil) != c.ok {
				t.Errorf("%+v: err %v, want ok=%v", c.opts, err, c.ok)
			}
		}
	})
}
