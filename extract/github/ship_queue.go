package github

import (
	"context"

	"doraflow"
)

// shipQueue holds a repository's deployments between their compare and
// their collapse, so that the GraphQL API can look up the pull requests of
// many deployments' commits in one query (graphql_commit_prs.go), and
// before their compare, so that it can read many deployments' ranges in
// one query (graphql_history.go). Over REST it holds none: each deployment
// is compared, collapsed and emitted as it is pushed. Either way
// deployments are compared and emitted in the order pushed, each
// collapsed with the index and answers as the one before left them.
type shipQueue struct {
	rr      *repoRead
	batch   int // commits to gather before collapsing; 0 collapses each push
	ranges  []queuedRange
	pending []queuedShip
	want    []string  // commits prOf may ask about
	also    []*prInfo // pull requests the index placed commits in
}

// queuedRange is a deployment whose range is not read yet.
type queuedRange struct {
	d    doraflow.Deployment
	base string
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

// push compares a deployment with its base (shipped) and queues it; over
// GraphQL a range between two commits waits until historyBatch wait. A
// failed compare first emits what is queued before it, as the
// deployments before it would have been emitted one by one.
func (q *shipQueue) push(ctx context.Context, d doraflow.Deployment, base string) error {
	if q.batch > 0 && base != "" && d.SHA != base && isOID(d.SHA) && isOID(base) {
		q.ranges = append(q.ranges, queuedRange{d: d, base: base})
		if len(q.ranges) < historyBatch {
			return nil
		}
		return q.readRanges(ctx)
	}
	if err := q.readRanges(ctx); err != nil {
		return err
	}
	var commits []commitInfo
	if d.SHA != "" {
		var err error
		if commits, err = q.rr.rangeOf(ctx, base, d.SHA); err != nil {
			return q.failed(ctx, err)
		}
	}
	return q.queue(ctx, d, commits)
}

// readRanges reads the waiting ranges: the linear ones through GraphQL,
// the others through REST's compare, and queues them in order.
func (q *shipQueue) readRanges(ctx context.Context) error {
	if len(q.ranges) == 0 {
		return nil
	}
	waiting := q.ranges
	q.ranges = nil
	asked := make([]commitRange, len(waiting))
	for i, r := range waiting {
		asked[i] = commitRange{base: r.base, head: r.d.SHA}
	}
	linear, err := q.rr.linearRanges(ctx, asked)
	if err != nil {
		return q.failed(ctx, err)
	}
	for i, r := range waiting {
		commits := linear[i]
		if commits == nil {
			if commits, err = q.rr.rangeOf(ctx, r.base, r.d.SHA); err != nil {
				return q.failed(ctx, err)
			}
		}
		if err := q.queue(ctx, r.d, commits); err != nil {
			return err
		}
	}
	return nil
}

// failed emits what is queued, then returns err.
func (q *shipQueue) failed(ctx context.Context, err error) error {
	if ferr := q.emit(ctx); ferr != nil {
		return ferr
	}
	return err
}

// queue queues a deployment with its commits, and collapses and emits
// what is queued once enough commits may be asked about (or at once over
// REST).
func (q *shipQueue) queue(ctx context.Context, d doraflow.Deployment, commits []commitInfo) error {
	q.pending = append(q.pending, queuedShip{d: d, commits: commits})
	if q.batch == 0 {
		return q.emit(ctx)
	}
	want, known, err := q.rr.lookAhead(ctx, commits)
	if err != nil {
		return err
	}
	q.want, q.also = append(q.want, want...), append(q.also, known...)
	if len(q.want) >= q.batch {
		return q.emit(ctx)
	}
	return nil
}

// flush reads the waiting ranges, then collapses and emits every
// deployment queued.
func (q *shipQueue) flush(ctx context.Context) error {
	if err := q.readRanges(ctx); err != nil {
		return err
	}
	return q.emit(ctx)
}

// isOID reports whether s is a full commit sha, all GraphQL's GitObjectID
// takes in a query's variables without failing the query.
func isOID(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// emit looks up what the queued deployments' commits may need (GraphQL),
// then collapses and emits them in order.
func (q *shipQueue) emit(ctx context.Context) error {
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
