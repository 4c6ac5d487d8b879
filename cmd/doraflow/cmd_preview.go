package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"doraflow"
	"doraflow/config"
	"doraflow/metrics"
	"doraflow/pipeline"
)

// defaultPreviewDays is how far back preview reads by default.
const defaultPreviewDays = 30

func cmdPreview(ctx context.Context, e *env, args []string) error {
	fs := e.flags("preview", "preview --block NAME [--days 30]")
	block := fs.String("block", "", "the mapping block to preview (required)")
	days := fs.Int("days", defaultPreviewDays, "how many days back to read")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if *block == "" {
		return usageErr("preview: --block is required")
	}
	if *days < 1 {
		return usageErr("preview: --days %d: must be at least 1", *days)
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	res, err := e.preview(ctx, cfg, *block, *days)
	switch {
	// A block that is not there, that reads no source, or whose source
	// has no credentials is the config's or the command line's fault, not
	// a failure of the work.
	case errors.Is(err, pipeline.ErrUnknownBlock), errors.Is(err, pipeline.ErrNothingToPreview), errors.Is(err, pipeline.ErrNotConfigured):
		return &exitError{code: 2, err: fmt.Errorf("preview: %w", err)}
	case err != nil:
		return fmt.Errorf("preview: %w", err)
	}
	printPreview(e.stdout, res)
	return nil
}

// preview runs pipeline.Preview with the config's sources. It does not
// connect to ClickHouse: a preview stores nothing, and the sources'
// ETag store, which needs the database, is never used by a preview.
func (e *env) preview(ctx context.Context, cfg *config.Config, block string, days int) (pipeline.PreviewResult, error) {
	// sources reads GitHub anonymously without a token (60 requests an
	// hour), too few for a preview worth trusting.
	if cfg.GitHub.Token == "" && slices.ContainsFunc(cfg.Deployments, func(b doraflow.Block) bool {
		return b.Name == block && cfg.Methods.SourceOf(b.Method) == doraflow.SourceGitHub
	}) {
		return pipeline.PreviewResult{}, fmt.Errorf("%w: github.token is not set: set it (e.g. token: ${GITHUB_TOKEN}), and github.base_url for GitHub Enterprise Server", pipeline.ErrNotConfigured)
	}
	log, err := e.logger()
	if err != nil {
		return pipeline.PreviewResult{}, err
	}
	opts, err := extractors(cfg, nil, log, nil)
	if err != nil {
		return pipeline.PreviewResult{}, err
	}
	return pipeline.New(cfg, nil, log, append(opts, pipeline.WithClock(e.now))...).Preview(ctx, block, days)
}

// printPreview writes the funnel, the first matches and the warnings.
func printPreview(w io.Writer, r pipeline.PreviewResult) {
	fmt.Fprintf(w, "block %s (method %s), %s to %s:\n", r.Block.Name, r.Block.Method,
		r.Since.Format(time.DateOnly), r.Until.Format(time.DateOnly))
	fmt.Fprintf(w, "  listed: %d%s\n", r.Funnel.Listed, listedScope(r.Block))
	for _, f := range r.Funnel.Filters {
		fmt.Fprintf(w, "  %s: %d removed\n", f.Filter, f.Removed)
	}
	fmt.Fprintf(w, "  matched: %d\n", r.Funnel.Matched)
	if len(r.Matches) > 0 {
		fmt.Fprintf(w, "first %d:\n", len(r.Matches))
		for _, m := range r.Matches {
			fmt.Fprintf(w, "  %s  %s  %s\n", m.At.UTC().Format(time.RFC3339), metrics.Text(m.ID), metrics.Text(m.URL))
		}
	}
	if r.Funnel.Matched == 0 {
		fmt.Fprintf(w, "warning: block %s matches nothing in the last %d days: check its repositories and filters\n",
			r.Block.Name, int(r.Until.Sub(r.Since).Hours()/24))
	}
	for _, o := range r.Overlaps {
		// Not "listed first": listed is the funnel's first line.
		fmt.Fprintf(w, "warning: block %s, earlier in the config, also matches %d of these %d; the first block that matches an object wins\n",
			o.Block, o.Shared, r.Funnel.Matched)
	}
}

// listedScope says what the funnel's listed line counts: the block's
// repositories, or its PagerDuty services. The source is asked for these
// only, so they are no filter line of the funnel (one would always say
// 0 removed).
func listedScope(b doraflow.Block) string {
	switch {
	case len(b.Repositories) > 0:
		return " in " + strings.Join(b.Repositories, ", ")
	case b.Method == doraflow.MethodPagerDuty && len(b.Filters.List("services")) > 0:
		return " of services " + strings.Join(b.Filters.List("services"), ", ")
	}
	return ""
}
