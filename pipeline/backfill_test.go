package pipeline_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"doraflow"
	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/pipeline"
	"doraflow/pipeline/pipelinetest"
)

func TestBackfillResumesAfterAnInterruption(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		fill := func(h *pipelinetest.Harness) {
			for d := 1; d <= 28; d += 3 {
				h.Add(pagerdutyfake.Incident{ServiceID: "PAPI", CreatedAt: day(d).Add(time.Hour), ResolvedAt: day(d).Add(3 * time.Hour)})
			}
		}
		blocks := []doraflow.Block{{Name: "all", Method: doraflow.MethodPagerDuty}}
		opts := pipeline.BackfillOptions{From: day(1), To: day(29), Chunk: 5 * 24 * time.Hour}

		clean := pipelinetest.NewPagerDuty(t, blocks)
		fill(clean)
		_, err := clean.P.Backfill(clean.Ctx, opts)
		must(t, err)
		want, _ := snapshot(clean)

		h := pipelinetest.NewPagerDuty(t, blocks)
		fill(h)
		ctx, cancel := context.WithCancel(h.Ctx)
		stopped := opts
		stopped.Progress = func(p pipeline.Progress) {
			if p.Done == 2 {
				cancel() // as if killed after two chunks
			}
		}
		if _, err := h.P.Backfill(ctx, stopped); err == nil {
			t.Fatal("an interrupted backfill reported success")
		}
		var resumed int
		resume := opts
		resume.Progress = func(p pipeline.Progress) { resumed = p.Resumed }
		_, err = h.P.Backfill(h.Ctx, resume)
		must(t, err)
		if resumed != 2 {
			t.Fatalf("resumed %d chunks, want the 2 finished before the interruption", resumed)
		}
		got, _ := snapshot(h)
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("resumed backfill differs from an uninterrupted one:\nclean: %s\ngot:   %s", pipelinetest.JSON(want[0]), pipelinetest.JSON(got[0]))
		}
		if n, _ := h.Store.RowCount(h.Ctx, "incidents"); n != 10 {
			t.Fatalf("incident facts = %d, want 10: none duplicated", n)
		}
		marks, err := h.Store.StatePrefix(h.Ctx, "watermark/")
		must(t, err)
		if len(marks) != 0 {
			t.Fatalf("backfill moved watermarks: %+v", marks)
		}
	})
}

func TestBackfillReadsOpenIncidentsOnlyInTheirChunk(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.NewPagerDuty(t, []doraflow.Block{{Name: "all", Method: doraflow.MethodPagerDuty}})
		h.Add(pagerdutyfake.Incident{ServiceID: "PAPI", CreatedAt: day(2).Add(time.Hour)})
		h.Sync() // the incident is open in the facts now
		res, err := h.P.Backfill(h.Ctx, pipeline.BackfillOptions{From: day(1), To: day(15), Chunk: 24 * time.Hour})
		must(t, err)
		// A sync re-reads open incidents to see them resolved; a backfill
		// doing so in each of its 14 chunks would stage this one 15 times.
		if res.Incidents != 1 {
			t.Fatalf("backfill staged %d incidents, want 1", res.Incidents)
		}
	})
}
