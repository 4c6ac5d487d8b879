package doraflow

import (
	"context"
	"time"
)

// Extractor reads the blocks of one outside system (GitHub, PagerDuty)
// for the pipeline: the seam between the order of work and the sources.
// Each extract package exports one; the command line hands them to the
// pipeline under their Source name, and the config's Registry says which
// Source reads a block's method. Adding a source means writing an
// Extractor, never changing the pipeline.
//
// (Source names the outside system, as every stored row says; the
// interface that reads it is therefore an Extractor.)
type Extractor interface {
	// Extract reads one block's window and hands what it finds to the
	// extraction's Sink in batches. An error from the Sink or from Known
	// ends it and is returned as is (wrapped or not); the others name the
	// block. It returns the API requests it made, even on error.
	Extract(ctx context.Context, x Extraction) (ExtractStats, error)
	// Preview lists what block would match over [since, until), oldest
	// first, storing nothing, and counts every object it lists and what
	// each filter removes into funnel.
	Preview(ctx context.Context, block Block, since, until time.Time, funnel Funnel) ([]Match, error)
}

// Extraction is one read of a block, as the pipeline asks it of an
// Extractor.
type Extraction struct {
	Block        Block
	Since, Until time.Time
	// Sync marks an incremental read (doraflow sync, the daemon) rather
	// than a chunk of a backfill. An Extractor may then start each part
	// of the block (GitHub: each repository) from where its own marks say
	// it got to, less Lookback, and re-read the objects the facts still
	// hold as open wherever they lie in time (PagerDuty: open incidents),
	// so that their resolution is not missed. A backfill reads exactly
	// [Since, Until).
	Sync     bool
	Lookback time.Duration
	// Sink stages a batch. The pipeline tags its rows with their service
	// and team and checks its lease before each write.
	Sink func(context.Context, FactSet) error
	// Known is what doraflow already holds for this block and source.
	Known Known
}

// Known is what doraflow already holds that an extraction builds on. The
// pipeline implements it over its store, scoped to one block of one
// source, and checks its lease before each write.
type Known interface {
	// Marks returns the marks the source set for this block, by the
	// source's own keys; empty before the first.
	Marks(ctx context.Context) (map[string]string, error)
	// SetMarks stores marks for this block, replacing those of the same
	// keys. The values are the source's: doraflow only keeps them.
	SetMarks(ctx context.Context, marks map[string]string) error
	// OpenIncidents returns the ids of the source's incidents that the
	// facts hold as open (not resolved, not merged).
	OpenIncidents(ctx context.Context) ([]string, error)
	// PreviousSHA returns the sha of the latest successful deployment of
	// repo (owner/name) to environment with deployed_at before before; ok
	// is false when there is none.
	PreviousSHA(ctx context.Context, repo, environment string, before time.Time) (sha string, ok bool, err error)
}

// ExtractStats tell what one Extract cost at the source.
type ExtractStats struct {
	// Requests counts the API requests sent, retries included where the
	// source counts them.
	Requests int
}

// Match is one object a previewed block matched.
type Match struct {
	ID  string
	At  time.Time // deployed_at or created_at
	URL string
}
