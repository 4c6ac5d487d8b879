package pipeline_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/config"
	"doraflow/extract/pagerduty"
	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/pipeline"
)

// pdHarness is a pipeline reading incidents from a fake PagerDuty.
type pdHarness struct {
	*harness
	data *pagerdutyfake.Data
	now  time.Time
}

// newPDHarness serves data with services PAPI (api), PWEB (web) and
// PDB ("db" in PagerDuty, not listed in services:), and syncs with blocks.
func newPDHarness(t *testing.T, blocks []config.Block) *pdHarness {
	t.Helper()
	data := pagerdutyfake.New()
	for _, s := range []pagerdutyfake.Service{{ID: "PAPI", Name: "api in PagerDuty"}, {ID: "PWEB", Name: "web in PagerDuty"}, {ID: "PDB", Name: "db"}} {
		must(t, data.AddService(s))
	}
	must(t, data.AddPriority(pagerdutyfake.Priority{ID: "PP1", Name: "P1"}))
	h := &pdHarness{data: data, now: day(20)}
	src := h.fastSource(t)
	h.harness = newHarness(t, func(c *config.Config) {
		c.Services[0].PagerDutyServices = []string{"PAPI"}
		c.Services[1].PagerDutyServices = []string{"PWEB"}
		c.Incidents = blocks
		c.Schedule.InitialWindow = 30 * 24 * time.Hour
	})
	h.p = pipeline.New(h.cfg, h.store, zerolog.Nop(), pipeline.WithPagerDuty(src), pipeline.WithClock(func() time.Time { return h.now }))
	return h
}

// fastSource is a PagerDuty source on a fresh fake server for h.data,
// retrying without waiting.
func (h *pdHarness) fastSource(t *testing.T) *pagerduty.Source {
	t.Helper()
	srv := pagerdutyfake.NewServer(h.data, pagerdutyfake.Options{})
	srv.Start()
	t.Cleanup(srv.Close)
	src, err := pagerduty.New(pagerduty.Options{BaseURL: srv.URL(), Token: pagerdutyfake.DefaultToken,
		Sleep: func(context.Context, time.Duration) error { return nil }})
	must(t, err)
	return src
}

func (h *pdHarness) add(in pagerdutyfake.Incident) string {
	h.t.Helper()
	got, err := h.data.AddIncident(in)
	must(h.t, err)
	return got.ID
}

func (h *pdHarness) sync() pipeline.SyncResult {
	h.t.Helper()
	res, err := h.p.Sync(h.ctx, pipeline.SyncOptions{})
	must(h.t, err)
	return res
}

func TestPagerDutyServiceMappingAndDedup(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := newPDHarness(t, []config.Block{
			{Name: "high", Method: doraflow.MethodPagerDuty, Filters: config.Filters{Urgency: "high"}},
			{Name: "db-override", Method: doraflow.MethodPagerDuty, Service: "database", Filters: config.Filters{Services: []string{"PDB"}}},
			{Name: "everything", Method: doraflow.MethodPagerDuty},
		})
		h.add(pagerdutyfake.Incident{ServiceID: "PAPI", Urgency: "high", CreatedAt: day(2)})
		h.add(pagerdutyfake.Incident{ServiceID: "PWEB", Urgency: "low", CreatedAt: day(3)})
		h.add(pagerdutyfake.Incident{ServiceID: "PDB", Urgency: "low", CreatedAt: day(4)})
		h.add(pagerdutyfake.Incident{ServiceID: "PDB", Urgency: "high", CreatedAt: day(5)})
		h.sync()
		q := window(1, 20)
		r := h.metrics(q)
		// api (services: entry), web (services: entry, via the catch-all block),
		// the low db incident keeps the override of block db-override, and the
		// high one is claimed first by block high, which has no override: its
		// PagerDuty name, "db".
		want := map[string]int64{"api": 1, "web": 1, "database": 1, "db": 1}
		if len(r.Rows) != len(want) {
			t.Fatalf("rows %s, want %v", js(r), want)
		}
		for svc, n := range want {
			if got := row(t, r, svc).Incidents; got != n {
				t.Errorf("%s incidents = %d, want %d", svc, got, n)
			}
		}
		// Matched by two or three blocks, still four incidents.
		n, err := h.store.RowCount(h.ctx, "incidents")
		must(t, err)
		if n != 4 {
			t.Fatalf("incident facts = %d, want 4", n)
		}
	})
}

func TestPagerDutyResolvedLaterDeletedUpstreamAndRerun(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := newPDHarness(t, []config.Block{{Name: "all", Method: doraflow.MethodPagerDuty}})
		open := h.add(pagerdutyfake.Incident{ServiceID: "PAPI", CreatedAt: day(2)})
		gone := h.add(pagerdutyfake.Incident{ServiceID: "PWEB", CreatedAt: day(3), ResolvedAt: day(3).Add(time.Hour)})
		h.sync()
		before := h.metrics(window(1, 20))
		if got := row(t, before, "api"); got.Incidents != 1 || got.RestoredIncidents != 0 {
			t.Fatalf("api before: %+v", got)
		}
		// Ten days on, the open incident is resolved (long before the sync's
		// lookback), and PagerDuty forgets the web incident.
		must(t, h.data.Resolve(open, day(4)))
		must(t, h.data.Delete(gone))
		h.now = day(30)
		h.sync()
		after := h.metrics(window(1, 20))
		if got := row(t, after, "api"); got.RestoredIncidents != 1 || !eqPtr(got.TimeToRestoreMedian, f(2*86400)) {
			t.Fatalf("api after: restored %d ttr %v, want 1 and 172800", got.RestoredIncidents, show(got.TimeToRestoreMedian))
		}
		if got := row(t, after, "web"); got.Incidents != 1 || got.RestoredIncidents != 1 {
			t.Fatalf("web after deletion upstream: %+v, want the incident kept", got)
		}
		// A re-run changes nothing.
		reports, counts := h.snapshot()
		h.sync()
		again, againCounts := h.snapshot()
		if js(reports) != js(again) || js(counts) != js(againCounts) {
			t.Fatalf("re-run changed the store: %v -> %v", counts, againCounts)
		}
	})
}

func TestSyncMovesWatermarksForwardOnly(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := newPDHarness(t, []config.Block{{Name: "all", Method: doraflow.MethodPagerDuty}})
		h.sync()
		marks, err := h.store.StatePrefix(h.ctx, "watermark/")
		must(t, err)
		if len(marks) != 1 || marks[0].Key != "watermark/pagerduty/all" {
			t.Fatalf("watermarks = %+v", marks)
		}
		first := marks[0].Value
		h.now = day(10) // a clock that went backwards
		h.sync()
		marks, err = h.store.StatePrefix(h.ctx, "watermark/")
		must(t, err)
		if marks[0].Value != first {
			t.Fatalf("watermark moved from %s to %s, want it kept", first, marks[0].Value)
		}
		runs, err := h.store.RecentRuns(h.ctx, 10)
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
		h := newPDHarness(t, []config.Block{{Name: "all", Method: doraflow.MethodPagerDuty}})
		other, err := h.store.TryLease(h.ctx, "sync", time.Minute)
		must(t, err)
		if _, err := h.p.Sync(h.ctx, pipeline.SyncOptions{}); !errors.Is(err, pipeline.ErrBusy) {
			t.Fatalf("sync while another holds the lease: %v, want ErrBusy", err)
		}
		must(t, other.Release(h.ctx))
		h.sync()
	})
}

func TestSyncSelection(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := newPDHarness(t, []config.Block{{Name: "all", Method: doraflow.MethodPagerDuty}, {Name: "manual", Method: doraflow.MethodCustom}})
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
			_, err := h.p.Sync(h.ctx, c.opts)
			if (err == nil) != c.ok {
				t.Errorf("%+v: err %v, want ok=%v", c.opts, err, c.ok)
			}
		}
	})
}
