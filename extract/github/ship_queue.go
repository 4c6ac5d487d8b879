package github

import (
	"context"

	"doraflow"
)

// shipQueue holds a repository's deployments between their compare and
// their collapse, so that the GraphQL API can look up the pull requests of
// many deployments' commits in one query (graphql_commit_prs.go). Over
// REST it holds none: each deployment is collapsed and emitted as it is
// pushed. Either way deployments are emitted in the order pushed, each
// collapsed with the index and answers as the one before left them.
type shipQueue struct {
	rr      *repoRead
	batch   int // commits to gather before collapsing; 0 collapses each push
	pending []queuedShip
	want    []string  // commits prOf may ask about
	also    []*prInfo // pull requests the index placed commits in
}

// queuedShip is a deployment and the commits it ships, not yet collapsed.
type queuedShip struct {
	d       doraflow.Deployment
	commits []commitInfo
}

func (rr *repoRead) newShipQueue() *shipQueue {
	q := &shipQueue{rr: rr}
	if rr.s.api == APIGraphQL {
		q.batch = commitLookupBatch
	}
	return q
}

// push compares a deployment with its base (shipped) and queues it. A
// failed compare first emits what is queued, as the deployments before
// it would have been emitted one by one.
func (q *shipQueue) push(ctx context.Context, d doraflow.Deployment, base string) error {
	var commits []commitInfo
	if d.SHA != "" {
		var err error
		if commits, err = q.rr.rangeOf(ctx, base, d.SHA); err != nil {
			if ferr := q.flush(ctx); ferr != nil {
				return ferr
			}
			return err
		}
	}
	q.pending = append(q.pending, queuedShip{d: d, commits: commits})
	if q.batch == 0 {
		return q.flush(ctx)
	}
	want, known, err := q.rr.lookAhead(ctx, commits)
	if err != nil {
		return err
	}
	q.want, q.also = append(q.want, want...), append(q.also, known...)
	if len(q.want) >= q.batch {
		return q.flush(ctx)
	}
	return nil
}

// flush looks up what the queued deployments' commits may need (GraphQL),
// then collapses and emits them in order.
func (q *shipQueue) flush(ctx context.Context) error {
	if len(q.want) > 0 || len(q.also) > 0 {
		if err := q.rr.lookUp(ctx, q.want, q.also); err != nil {
			return err
		}
	}
	pending := q.pending
	q.pending, q.want, q.also = nil, nil, nil
	for _, p := range pending {
		var changes []doraflow.Change
		var commits map[string][]string
		if len(p.commits) > 0 {
			var err error
			if changes, commits, err = q.rr.collapse(ctx, p.commits); err != nil {
				return err
			}
		}
		if err := q.rr.out.add(ctx, p.d, changes, commits); err != nil {
			return err
		}
	}
	return nil
}
