package pipeline

import (
	"context"
	"fmt"
	"strings"
	"time"

	"doraflow"
)

// extractorOf returns the extractor of b's source. A block no source reads
// (custom: recorded, not read) gives ok false and no error; a source the
// pipeline was not given an error that says what to set.
func (p *Pipeline) extractorOf(b doraflow.Block) (x doraflow.Extractor, ok bool, err error) {
	src := p.cfg.Methods.SourceOf(b.Method)
	switch {
	case src == doraflow.SourceCustom:
		return nil, false, nil
	case src == "":
		return nil, false, fmt.Errorf("block %s: method %q: no source reads it", b.Name, b.Method)
	}
	if x, ok := p.extractors[src]; ok {
		return x, true, nil
	}
	return nil, false, fmt.Errorf("%w: block %s: %s is not configured: set %s.token (and %s.base_url for another host or region)", ErrNotConfigured, b.Name, src, src, src)
}

// extract reads block b of source src over [since, until) through x and
// stages what it finds; sync marks an incremental pass (see
// doraflow.Extraction). It returns the API requests made.
func (p *Pipeline) extract(ctx context.Context, x doraflow.Extractor, src doraflow.Source, b doraflow.Block, since, until time.Time, sync bool, w *pass) (int, error) {
	st, err := x.Extract(ctx, doraflow.Extraction{
		Block: b, Since: since, Until: until,
		Sync: sync, Lookback: p.cfg.Schedule.Lookback,
		Sink:  func(ctx context.Context, f doraflow.FactSet) error { return p.stageBatch(ctx, p.tag(b, f), w) },
		Known: known{p: p, w: w, source: src, block: b.Name},
	})
	return st.Requests, err
}

// tag puts the rows a block's source found into the block, and gives each
// its doraflow service (by repository for deployments, by the source's
// own service for incidents; the block's service overrides both) and that
// service's team.
func (p *Pipeline) tag(b doraflow.Block, f doraflow.FactSet) doraflow.FactSet {
	for i := range f.Deployments {
		d := &f.Deployments[i]
		d.Block = b.Name
		d.Service = p.catalog.ServiceForRepository(b.Service, d.Repository)
		d.Team = p.catalog.TeamOf(d.Service)
	}
	for i := range f.Incidents {
		in := &f.Incidents[i]
		in.Block = b.Name
		in.Service = p.catalog.ServiceForPagerDuty(b.Service, in.SourceService, in.SourceServiceName)
		in.Team = p.catalog.TeamOf(in.Service)
	}
	return f
}

// known is doraflow.Known for one block of one source, over the store and
// under the pass's lease.
type known struct {
	p      *Pipeline
	w      *pass
	source doraflow.Source
	block  string
}

func (k known) Marks(ctx context.Context) (map[string]string, error) {
	prefix := sourceMarks(string(k.source), k.block)
	entries, err := k.p.store.StatePrefix(ctx, prefix)
	if err != nil {
		return nil, err
	}
	marks := make(map[string]string, len(entries))
	for _, e := range entries {
		marks[strings.TrimPrefix(e.Key, prefix)] = e.Value
	}
	return marks, nil
}

func (k known) SetMarks(ctx context.Context, marks map[string]string) error {
	if len(marks) == 0 {
		return nil
	}
	prefix := sourceMarks(string(k.source), k.block)
	keyed := make(map[string]string, len(marks))
	for key, v := range marks {
		keyed[prefix+key] = v
	}
	if err := k.w.fence(ctx); err != nil {
		return err
	}
	return k.p.store.SetState(ctx, keyed)
}

func (k known) OpenIncidents(ctx context.Context) ([]string, error) {
	return k.p.store.OpenIncidents(ctx, k.source)
}

func (k known) PreviousSHA(ctx context.Context, repo, environment string, before time.Time) (string, bool, error) {
	return k.p.store.PreviousSHA(ctx, repo, environment, before)
}
