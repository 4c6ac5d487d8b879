package pipeline

import (
	"context"
	"fmt"

	"doraflow"
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

// Sync runs one incremental pass: every configured extractor, then
// promote. Custom blocks need no extraction: their records are staged as
// they arrive.
func (p *Pipeline) Sync(ctx context.Context, opts SyncOptions) (SyncResult, error) {
	var res SyncResult
	if opts.Block != "" {
		if _, ok := p.cfg.DeploymentBlock(opts.Block); !ok {
			if _, ok := p.cfg.IncidentBlock(opts.Block); !ok {
				return res, fmt.Errorf("sync: no block named %q in the config", opts.Block)
			}
		}
	}
	for _, b := range append(append([]blockRef{}, refs(p.cfg.Deployments)...), refs(p.cfg.Incidents)...) {
		if b.method == doraflow.MethodCustom || (opts.Block != "" && b.name != opts.Block) {
			continue
		}
		return res, fmt.Errorf("sync: block %q uses method %s, whose extractor is not part of this build yet", b.name, b.method)
	}
	var err error
	res.Promote, err = p.Promote(ctx, PromoteOptions{})
	return res, err
}
