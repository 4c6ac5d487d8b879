package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"

	"doraflow/metrics"
	"doraflow/pipeline"
)

func cmdBackfill(ctx context.Context, e *env, args []string) error {
	fs := e.flags("backfill", "backfill --from DATE --to DATE [--source github|pagerduty] [--block NAME] [--chunk DURATION]")
	fromFlag := fs.String("from", "", "start of the window, inclusive (required)")
	toFlag := fs.String("to", "", "end of the window, exclusive (required)")
	source := fs.String("source", "", "only this source: github or pagerduty")
	block := fs.String("block", "", "only this mapping block")
	chunk := fs.Duration("chunk", 7*24*time.Hour, "span of one checkpointed step")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if *fromFlag == "" || *toFlag == "" {
		return usageErr("backfill: --from and --to are required (YYYY-MM-DD or RFC 3339)")
	}
	if *chunk < time.Hour {
		return usageErr("backfill: --chunk %s: want at least 1h", *chunk)
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	from, to, err := window(*fromFlag, *toFlag, cfg.Location, time.Now())
	if err != nil {
		return usageErr("backfill: %v", err)
	}
	p, store, _, err := e.pipeline(ctx, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	log, _ := e.logger()
	started := time.Now()
	var bar *progressbar.ProgressBar
	report := func(pr pipeline.Progress) {
		if bar == nil && isTerminal(e) {
			bar = progressbar.NewOptions(pr.Chunks, progressbar.OptionSetWriter(e.stderr), progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(true), progressbar.OptionShowElapsedTimeOnFinish(), progressbar.OptionClearOnFinish())
		}
		desc := fmt.Sprintf("%s/%s: %s", pr.Source, pr.Block, stagedCounts(pr.Deployments, pr.Changes, pr.Incidents))
		if bar != nil {
			bar.Describe(desc)
			_ = bar.Set(pr.Done)
			return
		}
		eta := time.Duration(0)
		if fresh := pr.Done - pr.Resumed; fresh > 0 {
			eta = time.Since(started) / time.Duration(fresh) * time.Duration(pr.Chunks-pr.Done)
		}
		log.Info().Int("chunks_done", pr.Done).Int("chunks", pr.Chunks).Int("resumed", pr.Resumed).Str("source", pr.Source).Str("block", pr.Block).
			Int("deployments", pr.Deployments).Int("changes", pr.Changes).Int("incidents", pr.Incidents).Dur("eta", eta.Round(time.Second)).Msg("backfill progress")
	}
	res, err := p.Backfill(ctx, pipeline.BackfillOptions{From: from, To: to, Source: *source, Block: *block, Chunk: *chunk, Progress: report})
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backfilled %s: %s staged; %s changed\n",
		metrics.Window(from, to), stagedCounts(res.Deployments, res.Changes, res.Incidents), metrics.Plural(res.Promote.Events, "metric event"))
	return nil
}

// isTerminal reports whether stderr is a terminal, where progress is drawn
// as a bar rather than logged.
func isTerminal(e *env) bool {
	f, ok := e.stderr.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}
