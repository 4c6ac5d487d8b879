// Package pipeline orders doraflow's work: it runs the extractors, stages
// what they return, promotes staging into the durable facts and keeps the
// metric events in step with the facts. It decides the order and the
// bookkeeping (leases, watermarks); the stages themselves live in extract,
// transform and load.
package pipeline

import (
	"time"

	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/config"
	"doraflow/load/clickhouse"
	"doraflow/transform"
)

// Pipeline runs the stages for one config against one store.
type Pipeline struct {
	cfg     *config.Config
	store   *clickhouse.Store
	log     zerolog.Logger
	catalog *transform.Catalog
	now     func() time.Time

	// extractors read the blocks of each source the pipeline was given;
	// GitHub's also looks up what custom deployments ship.
	extractors map[doraflow.Source]doraflow.Extractor
	telemetry  *Telemetry
}

// Option configures a Pipeline.
type Option func(*Pipeline)

// WithExtractor sets the extractor that reads the blocks of source (the
// config's registry says which source reads a block's method). An
// extractor of GitHub that can also say what a commit range ships
// (Shipped) works out the changes of custom deployments too.
func WithExtractor(source doraflow.Source, x doraflow.Extractor) Option {
	return func(p *Pipeline) { p.extractors[source] = x }
}

// WithTelemetry counts the pipeline's work in t.
func WithTelemetry(t *Telemetry) Option { return func(p *Pipeline) { p.telemetry = t } }

// WithClock sets the clock; tests use a fixed one.
func WithClock(now func() time.Time) Option { return func(p *Pipeline) { p.now = now } }

// New returns a pipeline for cfg writing to store.
func New(cfg *config.Config, store *clickhouse.Store, log zerolog.Logger, opts ...Option) *Pipeline {
	p := &Pipeline{cfg: cfg, store: store, log: log, catalog: transform.NewCatalog(cfg.Services), now: time.Now, extractors: map[doraflow.Source]doraflow.Extractor{}}
	for _, o := range opts {
		o(p)
	}
	return p
}

// rules returns the config settings the metric events depend on.
func (p *Pipeline) rules() transform.Rules {
	return transform.Rules{
		Location:          p.cfg.Location,
		AttributionWindow: p.cfg.Attribution.Window,
		ReworkLabels:      p.cfg.Rework.Labels,
	}
}

// blockOrder lists the block names in config order: deployment blocks,
// then incident blocks. Promote keeps the first block that matched an
// object.
func (p *Pipeline) blockOrder() []string {
	out := make([]string, 0, len(p.cfg.Deployments)+len(p.cfg.Incidents))
	for _, b := range p.cfg.Deployments {
		out = append(out, b.Name)
	}
	for _, b := range p.cfg.Incidents {
		out = append(out, b.Name)
	}
	return out
}

// customBlock returns the name of the first custom block in blocks, or
// "custom" when the config has none: recording by hand works without
// configuring a block for it.
func customBlock(blocks []doraflow.Block) string {
	for _, b := range blocks {
		if b.Method == doraflow.MethodCustom {
			return b.Name
		}
	}
	return string(doraflow.MethodCustom)
}
