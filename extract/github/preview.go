package github

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"doraflow"
)

// Preview reads one block like Read, for deployed_at in [since, until),
// but stores nothing and asks GitHub for no more than a preview needs: it
// neither loads nor saves ETags (a 304 would hide the objects a preview
// must count), works out no changes (no compare or commit calls), and
// sends no filter to GitHub as a query parameter, so that every filter is
// applied, and counted into funnel, by the same checks Read applies. It
// returns the matching deployments, oldest first.
func (s *Source) Preview(ctx context.Context, block doraflow.Block, since, until time.Time, funnel doraflow.Funnel) ([]doraflow.Match, error) {
	if funnel == nil {
		return nil, fmt.Errorf("github: block %s: preview without a funnel", block.Name)
	}
	for _, name := range filterNames(block) {
		funnel.Filter(name)
	}
	var (
		mu      sync.Mutex // repositories are read in parallel
		matches []doraflow.Match
	)
	pv := &preview{funnel: funnel, match: func(d doraflow.Deployment) {
		mu.Lock()
		defer mu.Unlock()
		matches = append(matches, doraflow.Match{ID: d.ID, At: d.DeployedAt, URL: d.URL})
	}}
	_, err := s.read(ctx, block, since, until, nil, pv, func(context.Context, doraflow.FactSet) error { return nil })
	slices.SortFunc(matches, func(a, b doraflow.Match) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return matches, err
}

// preview is a Read's preview mode: nil in a normal Read.
type preview struct {
	funnel doraflow.Funnel
	match  func(doraflow.Deployment)
}

// listed counts an object in the window; a no-op outside a preview.
func (p *preview) listed() {
	if p != nil {
		p.funnel.Listed()
	}
}

// check is one filter of a block: name says what it removes, keep whether
// an object passes it.
type check[T any] struct {
	name string
	keep func(context.Context, T) (bool, error)
}

// passes applies the checks in order: Read and Preview filter through it,
// and in a preview the first check that fails is counted in the funnel.
func passes[T any](ctx context.Context, pv *preview, checks []check[T], item T) (bool, error) {
	for _, c := range checks {
		ok, err := c.keep(ctx, item)
		if err != nil || !ok {
			if err == nil && pv != nil {
				pv.funnel.Removed(c.name)
			}
			return false, err
		}
	}
	return true, nil
}

// names returns the checks' names in order.
func names[T any](checks []check[T]) []string {
	out := make([]string, len(checks))
	for i, c := range checks {
		out[i] = c.name
	}
	return out
}

// filterNames lists the block's filters as its method applies them, for
// Preview to declare them in order.
func filterNames(b doraflow.Block) []string {
	rr := &repoRead{reader: &reader{block: b}}
	switch b.Method {
	case doraflow.MethodMergedPR:
		return names(rr.prChecks(rr.changesPaths))
	case doraflow.MethodWorkflowRun:
		return names(rr.runChecks(nil))
	case doraflow.MethodRelease:
		return names(rr.releaseChecks())
	case doraflow.MethodDeployment:
		return append(names(rr.deploymentChecks()), noSuccessFilter)
	}
	return nil
}
