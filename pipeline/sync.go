package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"doraflow"
	"doraflow/load/clickhouse"
)

// SyncOptions narrow a sync.
type SyncOptions struct {
	Source string // "github", "pagerduty" or "" for all
	Block  string // one block's name, or "" for all
}

// SyncResult tells what a sync did.
type SyncResult struct {
	Deployments, Changes, Incidents int // rows staged
	Promote                         PromoteResult
}

// job is the extraction of one mapping block.
type job struct {
	source string // github or pagerduty
	block  doraflow.Block
	// read extracts [since, until), stages what it finds and returns the
	// number of API requests it made.
	read func(ctx context.Context, since, until time.Time) (requests int, err error)
}

// ErrBusy is returned by Sync when another process is syncing the same
// database.
var ErrBusy = errors.New("another doraflow process is syncing this database")

// syncLeaseTTL bounds how long a crashed sync blocks the next; a running
// sync renews its lease after every block.
const syncLeaseTTL = 30 * time.Minute

// Sync runs one incremental pass: each selected block reads from its
// watermark (less schedule.lookback) up to now, or over
// schedule.initial_window the first time, and stages what it finds; then
// everything is promoted. A failing block is reported and the others go
// on; what they staged is promoted all the same. Custom blocks need no
// extraction: their records are staged as they arrive.
func (p *Pipeline) Sync(ctx context.Context, opts SyncOptions) (SyncResult, error) {
	var res SyncResult
	w := &pass{res: &res}
	jobs, err := p.jobs(opts, true, w)
	if err != nil {
		return res, err
	}
	if w.lease, err = p.syncLease(ctx); errors.Is(err, clickhouse.ErrLeaseHeld) {
		return res, fmt.Errorf("%w (%v)", ErrBusy, err)
	}
	if err != nil {
		return res, err
	}
	defer w.lease.Release(context.WithoutCancel(ctx))
	now := p.now().UTC().Truncate(time.Second)
	var failed []error
	for _, j := range jobs {
		err := p.syncJob(ctx, j, now, w)
		if ferr := w.fence(ctx); err == nil {
			// Renews the lease between blocks, or says it is lost.
			err = ferr
		}
		if errors.Is(err, clickhouse.ErrLeaseLost) {
			return res, fmt.Errorf("sync: %w", err)
		}
		if err != nil {
			if ctx.Err() != nil {
				return res, err
			}
			p.log.Error().Str("source", j.source).Str("block", j.block.Name).Err(err).Msg("block failed; the others go on")
			failed = append(failed, fmt.Errorf("block %s: %w", j.block.Name, err))
		}
	}
	if opts.Source == "" || opts.Source == string(doraflow.SourceGitHub) {
		if err := p.shipCustom(ctx, w); err != nil {
			failed = append(failed, err)
		}
	}
	res.Promote, err = p.promoteLogged(ctx, "sync")
	if err != nil {
		failed = append(failed, err)
	}
	return res, errors.Join(failed...)
}

// drainWait bounds how long a sync or backfill waits for the last queries
// of a holder that is gone (killed, say) to end on the server.
const drainWait = time.Minute

// syncLease takes the lease of syncs and backfills: at once, or, when its
// holder is gone but its last queries still run on the server, as soon as
// they end, within drainWait. A live holder means busy, at once.
func (p *Pipeline) syncLease(ctx context.Context) (*clickhouse.Lease, error) {
	deadline := time.Now().Add(drainWait)
	for {
		l, err := p.store.TryLease(ctx, "sync", syncLeaseTTL)
		if !errors.Is(err, clickhouse.ErrLeaseDraining) || time.Now().After(deadline) {
			return l, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// pass is one sync or backfill under way: what it has staged so far, and
// the lease it must still hold before each write that matters (a staging
// batch, a watermark, a checkpoint).
type pass struct {
	res   *SyncResult
	lease *clickhouse.Lease
}

// fence returns an error wrapping clickhouse.ErrLeaseLost once the pass
// no longer holds its lease, and renews the lease when it is due.
func (w *pass) fence(ctx context.Context) error { return w.lease.Check(ctx) }

// syncJob reads one block from its watermark and moves the watermark, never
// backwards, once everything read is staged.
func (p *Pipeline) syncJob(ctx context.Context, j job, now time.Time, w *pass) error {
	key := watermarkKey(j.source, j.block.Name)
	raw, ok, err := p.store.State(ctx, key)
	if err != nil {
		return err
	}
	since := now.Add(-p.cfg.Schedule.InitialWindow)
	var mark time.Time
	if ok {
		mark, _ = parseUnix(raw)
		since = mark.Add(-p.cfg.Schedule.Lookback)
	}
	if !since.Before(now) {
		// The clock is behind the watermark (it went backwards): nothing to read.
		p.log.Warn().Str("block", j.block.Name).Time("watermark", mark).Time("now", now).Msg("clock is behind the block's watermark; skipping it")
		return nil
	}
	if err := p.ledger(ctx, "sync", j, since, now, w.res); err != nil {
		return err
	}
	if now.After(mark) {
		if err := w.fence(ctx); err != nil {
			return err
		}
		return p.store.SetState(ctx, map[string]string{key: unixValue(now)})
	}
	return nil
}

// jobs returns the extraction jobs the options select. refreshOpen marks a
// sync rather than a backfill: a job then also re-reads the objects still
// open in the facts, wherever they lie in time (a sync must see their
// resolution; a backfill would re-read them once per chunk for nothing),
// and GitHub jobs keep a watermark per repository.
func (p *Pipeline) jobs(opts SyncOptions, refreshOpen bool, w *pass) ([]job, error) {
	var read []string
	for _, src := range p.cfg.Methods.Sources() {
		if src != doraflow.SourceCustom {
			read = append(read, string(src))
		}
	}
	if opts.Source != "" && !slices.Contains(read, opts.Source) {
		return nil, fmt.Errorf("sync: unknown source %q: use %s", opts.Source, strings.Join(read, " or "))
	}
	found := opts.Block == ""
	var jobs []job
	for _, b := range slices.Concat(p.cfg.Deployments, p.cfg.Incidents) {
		if opts.Block != "" && b.Name != opts.Block {
			continue
		}
		found = true
		source := p.cfg.Methods.SourceOf(b.Method)
		if opts.Source != "" && opts.Source != string(source) {
			continue
		}
		x, ok, err := p.extractorOf(b)
		switch {
		case err != nil:
			// Reported when the block runs, beside the others.
			jobs = append(jobs, job{source: string(source), block: b, read: func(context.Context, time.Time, time.Time) (int, error) { return 0, err }})
		case ok:
			jobs = append(jobs, job{source: string(source), block: b, read: func(ctx context.Context, since, until time.Time) (int, error) {
				return p.extract(ctx, x, source, b, since, until, refreshOpen, w)
			}})
		}
	}
	if !found {
		return nil, fmt.Errorf("sync: no block named %q in the config", opts.Block)
	}
	return jobs, nil
}
