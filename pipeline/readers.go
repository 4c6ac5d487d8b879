package pipeline

import (
	"context"
	"fmt"
	"time"

	"doraflow"
)

// reader is how the pipeline reads the blocks of one source. read
// extracts a block's window and stages what it finds, returning the
// number of API requests it made; with incremental (a sync) it also
// re-reads what is still open and keeps finer watermarks where the source
// has them. preview lists what a block would match, storing nothing.
//
// Each source the pipeline is given registers its reader under its name
// (WithGitHub, WithPagerDuty); the config's registry says which source
// reads a block's method.
type reader interface {
	read(ctx context.Context, b doraflow.Block, since, until time.Time, incremental bool, w *pass) (requests int, err error)
	preview(ctx context.Context, b doraflow.Block, since, until time.Time, funnel doraflow.Funnel) ([]PreviewMatch, error)
}

// readerOf returns the reader of b's source. A block no source reads
// (custom: recorded, not read) gives ok false and no error; a source the
// pipeline was not given an error that says what to set.
func (p *Pipeline) readerOf(b doraflow.Block) (r reader, ok bool, err error) {
	src := p.cfg.Methods.SourceOf(b.Method)
	switch {
	case src == doraflow.SourceCustom:
		return nil, false, nil
	case src == "":
		return nil, false, fmt.Errorf("block %s: method %q: no source reads it", b.Name, b.Method)
	}
	if r, ok := p.readers[src]; ok {
		return r, true, nil
	}
	return nil, false, fmt.Errorf("%w: block %s: %s is not configured: set %s.token (and %s.base_url for another host or region)", ErrNotConfigured, b.Name, src, src, src)
}
