package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"doraflow/load/clickhouse"
	"doraflow/transform"
)

const (
	// lateness is how far before its watermark each promote re-reads
	// staging. A writer stamps a row's version before its insert lands, so
	// a slow insert can become visible after a promote has moved past its
	// version; re-reading is harmless because promotion is idempotent.
	lateness = uint64(10 * time.Minute)
	// factsPerBatch bounds how many fact rows are held in memory at once
	// while events are recomputed: services are recomputed in batches up to
	// this size (a larger service alone).
	factsPerBatch = 10_000
	// promoteLeaseTTL bounds how long a crashed promote blocks the next one.
	promoteLeaseTTL = 10 * time.Minute
)

// PromoteOptions adjust a promote.
type PromoteOptions struct {
	// Rebuild recomputes the events of every service, not only of those
	// the new staging rows touch. Promote rebuilds by itself when a
	// setting that shapes the events (shape.go: time zone, attribution
	// window, rework labels, services, blocks) changed since the last.
	Rebuild bool
	// Wait is how long to wait for another process's promote to finish;
	// default 2 minutes.
	Wait time.Duration
}

// PromoteResult tells what a promote did.
type PromoteResult struct {
	FactRows map[string]uint64 // fact rows written per fact table
	Services int               // services whose events were recomputed
	Events   int               // metric events written
	Rebuilt  bool
	// Changed names the settings of the config that differed from those
	// the stored events were built from, and made this promote rebuild.
	Changed []string
	// Retagged counts the facts staged again with a new service or team.
	Retagged int
}

// Promote merges what is new or changed in staging into the durable fact
// tables, then recomputes the metric events of every service the new facts
// touch and writes the events that changed. It is idempotent: promoting
// again, or again after a crash at any point, writes nothing new and
// leaves the metrics as they were. Watermarks move only once all of it
// succeeded. It logs what it did at debug level: its callers, record and
// the promote command, print their own summary, which a JSON log line at
// the default level would only repeat.
func (p *Pipeline) Promote(ctx context.Context, opts PromoteOptions) (PromoteResult, error) {
	return p.promote(ctx, opts, zerolog.DebugLevel)
}

// promote is Promote, logging what it did at level: info for the promotes
// of sync and the daemon, which print nothing else.
func (p *Pipeline) promote(ctx context.Context, opts PromoteOptions, level zerolog.Level) (PromoteResult, error) {
	res := PromoteResult{FactRows: map[string]uint64{}}
	if opts.Wait == 0 {
		opts.Wait = 2 * time.Minute
	}
	waitCtx, cancel := context.WithTimeout(ctx, opts.Wait)
	lease, err := p.store.AcquireLease(waitCtx, "promote", promoteLeaseTTL, 250*time.Millisecond)
	cancel()
	if err != nil {
		return res, fmt.Errorf("promote: %w", err)
	}
	defer lease.Release(context.WithoutCancel(ctx))

	shape := p.shape()
	recorded, _, err := p.store.State(ctx, rulesStateKey)
	if err != nil {
		return res, fmt.Errorf("promote: %w", err)
	}
	res.Changed = shape.changedSince(recorded)
	if len(res.Changed) > 0 {
		p.log.Warn().Strs("changed", res.Changed).Msg("config changed since the metric events were built; rebuilding them")
	}
	if reshapes(res.Changed) {
		if err := p.reshape(ctx, lease, &res); err != nil {
			return res, fmt.Errorf("promote: rebuild the facts for the new %s: %w", strings.Join(res.Changed, ", "), err)
		}
	}

	high, err := p.store.StagingHigh(ctx)
	if err != nil {
		return res, fmt.Errorf("promote: %w", err)
	}
	ranges := map[string]clickhouse.Range{}
	marks := map[string]string{}
	for table, hi := range high {
		key := promoteKey(table)
		raw, _, err := p.store.State(ctx, key)
		if err != nil {
			return res, fmt.Errorf("promote: %w", err)
		}
		wm, _ := strconv.ParseUint(raw, 10, 64)
		lo := uint64(0)
		if wm > lateness {
			lo = wm - lateness
		}
		ranges[table] = clickhouse.Range{Lo: lo, Hi: hi}
		if hi > wm {
			marks[key] = strconv.FormatUint(hi, 10)
		}
	}

	fingerprint := shape.String()
	res.Rebuilt = opts.Rebuild || recorded != fingerprint

	var services []string
	if !res.Rebuilt {
		// Before the facts change: the current facts name the services an
		// object is moving away from.
		if services, err = p.store.AffectedServices(ctx, ranges); err != nil {
			return res, fmt.Errorf("promote: %w", err)
		}
	}
	written, err := p.store.PromoteFacts(ctx, lease, ranges, p.blockOrder(), p.store.NextVersion())
	if err != nil {
		return res, fmt.Errorf("promote: %w", err)
	}
	for table, n := range written {
		res.FactRows[table] += n
	}
	if res.Rebuilt {
		if services, err = p.store.AllServices(ctx); err != nil {
			return res, fmt.Errorf("promote: %w", err)
		}
	}
	res.Services = len(services)
	batches, err := p.serviceBatches(ctx, services)
	if err != nil {
		return res, fmt.Errorf("promote: %w", err)
	}
	for _, batch := range batches {
		n, err := p.recompute(ctx, lease, batch)
		if err != nil {
			return res, fmt.Errorf("promote: recompute events of %s: %w", strings.Join(batch, ", "), err)
		}
		res.Events += n
	}
	if recorded != fingerprint {
		// Recorded only now that every event follows it: a promote that
		// fails before here rebuilds again next time.
		marks[rulesStateKey] = fingerprint
	}
	if err := lease.Check(ctx); err != nil {
		return res, fmt.Errorf("promote: %w", err)
	}
	if err := p.store.SetState(ctx, marks); err != nil {
		return res, fmt.Errorf("promote: %w", err)
	}
	p.log.WithLevel(level).Interface("fact_rows", res.FactRows).Int("services", res.Services).Int("events", res.Events).Bool("rebuilt", res.Rebuilt).Int("retagged", res.Retagged).Msg("promoted")
	return res, nil
}

// reshape rebuilds the facts that a change of blocks or services makes
// wrong, before promote goes on: with new blocks, every staged row is
// promoted again so that each object is kept by the first block that now
// matches it; with new services, facts whose service or team differs are
// staged again (retag), for the promote to pick up with the rest.
func (p *Pipeline) reshape(ctx context.Context, lease *clickhouse.Lease, res *PromoteResult) error {
	if slices.Contains(res.Changed, settingBlocks) {
		high, err := p.store.StagingHigh(ctx)
		if err != nil {
			return err
		}
		all := map[string]clickhouse.Range{}
		for table, hi := range high {
			all[table] = clickhouse.Range{Hi: hi}
		}
		written, err := p.store.PromoteFacts(ctx, lease, all, p.blockOrder(), p.store.NextVersion())
		if err != nil {
			return err
		}
		for table, n := range written {
			res.FactRows[table] += n
		}
	}
	services, err := p.store.AllServices(ctx)
	if err != nil {
		return err
	}
	n, err := p.retag(ctx, lease.Check, services)
	res.Retagged += n
	return err
}

// serviceBatches groups services so that each group holds at most
// factsPerBatch fact rows, or is a single service.
func (p *Pipeline) serviceBatches(ctx context.Context, services []string) ([][]string, error) {
	if len(services) == 0 {
		return nil, nil
	}
	sizes, err := p.store.ServiceSizes(ctx, services)
	if err != nil {
		return nil, err
	}
	var batches [][]string
	var cur []string
	var rows uint64
	for _, svc := range services {
		if len(cur) > 0 && rows+sizes[svc] > factsPerBatch {
			batches = append(batches, cur)
			cur, rows = nil, 0
		}
		cur = append(cur, svc)
		rows += sizes[svc]
	}
	return append(batches, cur), nil
}

// recompute derives the events of services from their current facts and
// writes those that differ from the stored ones.
func (p *Pipeline) recompute(ctx context.Context, lease *clickhouse.Lease, services []string) (int, error) {
	facts, err := p.store.ServiceFacts(ctx, services)
	if err != nil {
		return 0, err
	}
	old, active, err := p.store.ServiceEvents(ctx, services)
	if err != nil {
		return 0, err
	}
	updates := transform.Diff(old, active, transform.Events(services, facts, p.rules()))
	if len(updates) == 0 {
		return 0, nil
	}
	// The previous state written with each update must be the stored
	// state; only the lease holder may write (Check renews it too).
	if err := lease.Check(ctx); err != nil {
		return 0, err
	}
	return len(updates), p.store.InsertEvents(ctx, updates)
}
