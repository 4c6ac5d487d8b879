package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/rs/zerolog"

	"doraflow/load/clickhouse"
)

// ledger runs one block's extraction over [since, until) and records it
// in the run ledger, the log and the telemetry.
func (p *Pipeline) ledger(ctx context.Context, kind string, j job, since, until time.Time, res *SyncResult) error {
	before := *res
	run := clickhouse.Run{ID: runID(), Job: kind, Source: j.source, Block: j.block.Name, From: since, To: until, Started: p.now(), Status: "running"}
	if err := p.store.RecordRun(ctx, run); err != nil {
		return err
	}
	requests, err := j.read(ctx, since, until)
	run.Finished = p.now()
	run.Status, run.Requests = "ok", uint64(requests)
	run.Deployments = uint64(res.Deployments - before.Deployments)
	run.Changes = uint64(res.Changes - before.Changes)
	run.Incidents = uint64(res.Incidents - before.Incidents)
	if err != nil {
		run.Status, run.Error = "failed", err.Error()
	}
	p.telemetry.run(kind, j.source, run.Finished.Sub(run.Started), err)
	ev := p.log.Info()
	if err != nil {
		ev = p.log.Warn().Err(err)
	}
	ev.Str("job", kind).Str("source", j.source).Str("block", j.block.Name).Time("since", since).Time("until", until).
		Uint64("deployments", run.Deployments).Uint64("changes", run.Changes).Uint64("incidents", run.Incidents).
		Int("requests", requests).Dur("took", run.Finished.Sub(run.Started).Round(time.Millisecond)).Msg(kind + " " + run.Status)
	// The ledger is bookkeeping: failing to write it must not hide the
	// outcome of the work itself.
	if lerr := p.store.RecordRun(context.WithoutCancel(ctx), run); lerr != nil && err == nil {
		p.log.Warn().Err(lerr).Msg("could not record the run in the ledger")
	}
	return err
}

// promoteLogged promotes and records the promote in the ledger.
func (p *Pipeline) promoteLogged(ctx context.Context, after string) (PromoteResult, error) {
	run := clickhouse.Run{ID: runID(), Job: "promote", Source: after, Started: p.now(), Status: "running"}
	res, err := p.promote(ctx, PromoteOptions{}, zerolog.InfoLevel)
	run.Finished, run.Status = p.now(), "ok"
	run.Deployments, run.Changes, run.Incidents = res.FactRows["deployments"], res.FactRows["changes"], res.FactRows["incidents"]
	if err != nil {
		run.Status, run.Error = "failed", err.Error()
	}
	p.telemetry.run("promote", "promote", run.Finished.Sub(run.Started), err)
	if lerr := p.store.RecordRun(context.WithoutCancel(ctx), run); lerr != nil {
		p.log.Warn().Err(lerr).Msg("could not record the run in the ledger")
	}
	return res, err
}

func runID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:4])
}
