package main

import (
	"context"
	"fmt"

	"doraflow/pipeline"
)

// warnStale prints one line on stderr when the config differs, in a
// setting that shapes the metric events, from the config they were built
// from: the numbers a reader prints then follow the old config until
// promote rebuilds them. Readers must not write, so it only warns.
func (e *env) warnStale(ctx context.Context, p *pipeline.Pipeline) error {
	changed, err := p.StaleSettings(ctx)
	if err != nil {
		return err
	}
	if len(changed) > 0 {
		fmt.Fprintln(e.stderr, pipeline.StaleWarning(changed))
	}
	return nil
}
