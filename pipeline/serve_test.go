package pipeline_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/config"
	"doraflow/extract/custom"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/pipeline"
	"doraflow/pipeline/pipelinetest"
	"doraflow/sources"
)

// The HTTP server of `doraflow run`, and its tests, are in cmd/doraflow
// (server.go): these test the work the pipeline does behind it.

// TestStartWorkNamesABadSchedule starts the work with a schedule.sync
// that is no cron: the error names the key and its value.
func TestStartWorkNamesABadSchedule(t *testing.T) {
	cfg := config.Default()
	cfg.Methods = sources.Registry()
	cfg.Schedule.Sync = "every night"
	p := pipeline.New(cfg, nil, zerolog.Nop())
	w, err := p.StartWork(context.Background(), pipeline.WorkOptions{Clock: clockwork.NewFakeClock()})
	if err == nil {
		w.Stop(context.Background())
		t.Fatal("the work started on schedule.sync \"every night\"")
	}
	if want := `schedule.sync "every night"`; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q, want it to name %s", err, want)
	}
}

// TestWorkPromotesRecords stages records through the work's recorder, as
// the write API does: the promoter promotes them shortly, the health
// check answers, and Stop returns at once when nothing runs.
func TestWorkPromotesRecords(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		w, err := h.P.StartWork(h.Ctx, pipeline.WorkOptions{Clock: clockwork.NewFakeClock(), PromoteDelay: 10 * time.Millisecond})
		must(t, err)
		rec := custom.DeploymentRecord{ID: "d1", Service: "api", DeployedAt: "2024-01-02T10:00:00Z"}
		for i, want := range []bool{true, false} {
			if _, created, err := w.Recorder().StageDeploymentRecord(h.Ctx, rec); err != nil || created != want {
				t.Fatalf("record #%d: created %v, %v; want created %v", i+1, created, err, want)
			}
		}
		pipelinetest.Eventually(t, func() bool {
			n, err := h.Store.RowCount(h.Ctx, "deployments")
			return err == nil && n == 1
		})
		must(t, h.P.Health(h.Ctx))
		began := time.Now()
		w.Stop(h.Ctx)
		if took := time.Since(began); took > 5*time.Second {
			t.Fatalf("Stop took %s with nothing running", took)
		}
	})
}

// TestWorkRebuildsAtStartWhenTheConfigChanged starts the work with a
// config whose time zone differs from the one the events were built
// with: it rebuilds at once, without waiting for the scheduled sync (the
// fake clock never reaches it).
func TestWorkRebuildsAtStartWhenTheConfigChanged(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		h.Stage(doraflow.FactSet{Deployments: []doraflow.Deployment{dep("d", "api", day(2))}})
		h.Promote()
		cfg := *h.Cfg
		la, err := time.LoadLocation("America/Los_Angeles")
		must(t, err)
		cfg.Location, cfg.Timezone = la, la.String()
		p := pipeline.New(&cfg, h.Store, zerolog.Nop())
		stale, err := p.StaleSettings(h.Ctx)
		must(t, err)
		if len(stale) != 1 || stale[0] != "timezone" {
			t.Fatalf("stale %v before the work starts, want timezone", stale)
		}
		w, err := p.StartWork(h.Ctx, pipeline.WorkOptions{Clock: clockwork.NewFakeClock(), PromoteDelay: 10 * time.Millisecond})
		must(t, err)
		defer w.Stop(h.Ctx)
		pipelinetest.Eventually(t, func() bool {
			stale, err := p.StaleSettings(h.Ctx)
			return err == nil && len(stale) == 0
		})
	})
}
