package pipeline_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"doraflow"
	"doraflow/config"
	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/pipeline"
)

func TestBackfillResumesAfterAnInterruption(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		fill := func(h *pdHarness) {
			for d := 1; d <= 28; d += 3 {
				h.add(pagerdutyfake.Incident{ServiceID: "PAPI", CreatedAt: day(d).Add(time.Hour), ResolvedAt: day(d).Add(3 * time.Hour)})
			}
		}
		blocks := []config.Block{{Name: "all", Method: doraflow.MethodPagerDuty}}
		opts := pipeline.BackfillOptions{From: day(1), To: day(29), Chunk: 5 * 24 * time.Hour}

		clean := newPDHarness(t, blocks)
		fill(clean)
		_, err := clean.p.Backfill(clean.ctx, opts)
		must(t, err)
		want, _ := clean.snapshot()

		h := newPDHarness(t, blocks)
		fill(h)
		ctx, cancel := context.WithCancel(h.ctx)
		stopped := opts
		stopped.Progress = func(p pipeline.Progress) {
			if p.Done == 2 {
				cancel() // as if killed after two chunks
			}
		}
		if _, err := h.p.Backfill(ctx, stopped); err == nil {
			t.Fatal("an interrupted backfill reported success")
		}
		var resumed int
		resume := opts
		resume.Progress = func(p pipeline.Progress) { resumed = p.Resumed }
		_, err = h.p.Backfill(h.ctx, resume)
		must(t, err)
		if resumed != 2 {
			t.Fatalf("resumed %d chunks, want the 2 finished before the interruption", resumed)
		}
		got, _ := h.snapshot()
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("resumed backfill differs from an uninterrupted one:\nclean: %s\ngot:   %s", js(want[0]), js(got[0]))
		}
		if n, _ := h.store.RowCount(h.ctx, "incidents"); n != 10 {
			t.Fatalf("incident facts = %d, want 10: none duplicated", n)
		}
		marks, err := h.store.StatePrefix(h.ctx, "watermark/")
		must(t, err)
		if len(marks) != 0 {
			t.Fatalf("backfill moved watermarks: %+v", marks)
		}
	})
}

func TestBackfillReadsOpenIncidentsOnlyInTheirChunk(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := newPDHarness(t, []config.Block{{Name: "all", Method: doraflow.MethodPagerDuty}})
		h.add(pagerdutyfake.Incident{ServiceID: "PAPI", CreatedAt: day(2).Add(time.Hour)})
		h.sync() // the incident is open in the facts now
		res, err := h.p.Backfill(h.ctx, pipeline.BackfillOptions{From: day(1), To: day(15), Chunk: 24 * time.Hour})
		must(t, err)
		// A sync re-reads open incidents to see them resolved; a backfill
		// doing so in each of its 14 chunks would stage this one 15 times.
		if res.Incidents != 1 {
			t.Fatalf("backfill staged %d incidents, want 1", res.Incidents)
		}
	})
}
