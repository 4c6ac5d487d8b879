package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"doraflow/load/clickhouse"
)

// BackfillOptions say what to re-read.
type BackfillOptions struct {
	From, To time.Time
	Source   string // "github", "pagerduty" or "" for all
	Block    string // one block, or "" for all
	// Chunk is the span of one checkpointed step, default 7 days.
	Chunk time.Duration
	// Progress, when set, is told after every chunk.
	Progress func(Progress)
}

// Progress reports how far a backfill is.
type Progress struct {
	Chunks, Done                    int // chunks in all (for every block), and finished
	Source, Block                   string
	Deployments, Changes, Incidents int // rows staged so far
	Resumed                         int // chunks skipped because an earlier run finished them
}

// Backfill re-reads [From, To) for every selected block in chunks, staging
// what it finds, checkpointing each finished chunk, and promotes at the end.
// Run again after an interruption (even kill -9) it resumes after the last
// checkpoint; a chunk cut short is read again, which duplicates nothing
// because staging and promote are idempotent. It never moves the nightly
// watermarks.
func (p *Pipeline) Backfill(ctx context.Context, opts BackfillOptions) (SyncResult, error) {
	var res SyncResult
	if !opts.From.Before(opts.To) {
		return res, fmt.Errorf("backfill: --from %s is not before --to %s", opts.From.Format(time.RFC3339), opts.To.Format(time.RFC3339))
	}
	if opts.Chunk <= 0 {
		opts.Chunk = 7 * 24 * time.Hour
	}
	w := &pass{res: &res}
	jobs, err := p.jobs(SyncOptions{Source: opts.Source, Block: opts.Block}, false, w)
	if err != nil {
		return res, fmt.Errorf("backfill: %w", err)
	}
	if w.lease, err = p.syncLease(ctx); errors.Is(err, clickhouse.ErrLeaseHeld) {
		return res, fmt.Errorf("backfill: %w (%v)", ErrBusy, err)
	}
	if err != nil {
		return res, err
	}
	defer w.lease.Release(context.WithoutCancel(ctx))

	prog := Progress{Chunks: len(jobs) * chunks(opts.From, opts.To, opts.Chunk)}
	for _, j := range jobs {
		key := backfillKey(j.source, j.block.Name, opts.From, opts.To)
		start, err := p.checkpoint(ctx, key, opts.From)
		if err != nil {
			return res, resumable(fmt.Sprintf("backfill %s", j.block.Name), err)
		}
		for since := opts.From; since.Before(opts.To); since = since.Add(opts.Chunk) {
			until := minTime(since.Add(opts.Chunk), opts.To)
			prog.Source, prog.Block = j.source, j.block.Name
			if !until.After(start) {
				prog.Done++
				prog.Resumed++
				continue
			}
			chunk := fmt.Sprintf("backfill %s %s..%s", j.block.Name, since.Format(time.RFC3339), until.Format(time.RFC3339))
			if err := p.ledger(ctx, "backfill", j, since, until, &res); err != nil {
				return res, resumable(chunk, err)
			}
			if err := w.fence(ctx); err != nil {
				return res, resumable(chunk, err)
			}
			if err := p.store.SetState(ctx, map[string]string{key: unixValue(until)}); err != nil {
				return res, resumable(chunk, err)
			}
			prog.Done++
			prog.Deployments, prog.Changes, prog.Incidents = res.Deployments, res.Changes, res.Incidents
			if opts.Progress != nil {
				opts.Progress(prog)
			}
		}
	}
	res.Promote, err = p.promoteLogged(ctx, "backfill")
	if err != nil {
		return res, resumable("backfill", err)
	}
	return res, nil
}

// resumable says that what failed (a chunk, a checkpoint, the promote at
// the end) is resumed by running the same backfill again: whatever fails
// once a backfill has started (a source, ClickHouse gone, the lease
// lost), its checkpoints let the next run go on from the last chunk done.
func resumable(what string, err error) error {
	return fmt.Errorf("%s: %w (run it again to resume)", what, err)
}

// checkpoint returns where an earlier run of the same backfill stopped, or
// from when there was none.
func (p *Pipeline) checkpoint(ctx context.Context, key string, from time.Time) (time.Time, error) {
	raw, ok, err := p.store.State(ctx, key)
	if err != nil || !ok {
		return from, err
	}
	if t, ok := parseUnix(raw); ok {
		return t, nil
	}
	return from, nil
}

func chunks(from, to time.Time, chunk time.Duration) int {
	n := int(to.Sub(from) / chunk)
	if to.Sub(from)%chunk != 0 {
		n++
	}
	return n
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
