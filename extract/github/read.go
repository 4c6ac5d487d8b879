package github

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"doraflow"
)

// maxBatchRows bounds a batch: once it holds this many deployments and
// changes it goes to the sink. A deployment and its changes are never
// split, so one shipping more changes makes a larger batch.
const maxBatchRows = 1000

// Read reads one deployment block for the deployments with deployed_at in
// [since, until), in every repository the block names, and calls sink
// with bounded batches: fact sets of deployments, the changes they ship
// (each deployment's in the same batch as it, each change once, with all
// its fields), ship sets and commits. Repositories are read in parallel,
// up to Options.Concurrency; each one streams its pages into batches.
//
// A repository that cannot be read (404, 403, a malformed answer, retries
// exhausted) is logged as one warning naming it and the block, recorded in
// Stats.Failed, and the others go on; Read then returns an error wrapping
// ErrRepositories. A refused token ends the read at once with an error
// wrapping ErrUnauthorized; an error from sink or hist ends it and is
// returned as is.
//
// hist answers the previous deployment of the first one of each
// repository and environment in the read (methods other than merged_pr);
// nil means there is none.
func (s *Source) Read(ctx context.Context, block doraflow.Block, since, until time.Time, hist History, sink func(context.Context, doraflow.FactSet) error) (st Stats, err error) {
	return s.read(ctx, block, since, until, hist, nil, sink)
}

// read is Read, and with pv Preview.
func (s *Source) read(ctx context.Context, block doraflow.Block, since, until time.Time, hist History, pv *preview, sink func(context.Context, doraflow.FactSet) error) (st Stats, err error) {
	began := s.now()
	if err := checkBlock(block); err != nil {
		return st, err
	}
	if until.Before(since) {
		return st, fmt.Errorf("github: block %s: until %s is before since %s", block.Name, until.Format(time.RFC3339), since.Format(time.RFC3339))
	}
	cnt := &counters{}
	ctx, cancel := context.WithCancel(withCounters(ctx, cnt))
	defer cancel()
	defer func() {
		st.Requests, st.NotModified, st.Points = int(cnt.requests.Load()), int(cnt.notModified.Load()), int(cnt.points.Load())
	}()

	repos, failed, err := s.expand(ctx, block.Repositories)
	if err != nil {
		return st, unwrapStop(err)
	}
	st.Repositories = len(repos)
	out := &batcher{s: s, sink: sink}
	r := &reader{s: s, block: block, window: window{since.UTC(), until.UTC()}, hist: hist, out: out, cancel: cancel, pv: pv}
	for _, f := range failed {
		r.failed(f.Repo, f.Err)
	}
	if !r.searchMergedPRs(ctx, repos) {
		r.run(ctx, repos)
	}
	if r.fatal == nil {
		r.fatal = out.flush(ctx)
	}
	st.Deployments, st.Changes, st.Failed = out.deployments, out.changes, r.failures
	if r.fatal != nil {
		return st, unwrapStop(r.fatal)
	}
	ev, msg := s.log.Info(), "read deployments"
	if pv != nil {
		// A preview delivers nothing: its counts are the funnel's, which
		// the caller prints; zero deployments here would only mislead.
		ev, msg = s.log.Debug(), "read deployments for a preview"
	} else {
		ev = ev.Int("deployments", st.Deployments).Int("changes", st.Changes)
	}
	ev.Str("source", string(doraflow.SourceGitHub)).Str("block", block.Name).Str("method", string(block.Method)).
		Time("since", since).Time("until", until).Int("repos", st.Repositories).Int("failed", len(st.Failed)).
		Int64("requests", cnt.requests.Load()).Int64("not_modified", cnt.notModified.Load()).Int64("graphql_points", cnt.points.Load()).
		Dur("took", s.now().Sub(began).Round(time.Millisecond)).Msg(msg)
	if len(st.Failed) > 0 {
		return st, repositoriesError(block.Name, st.Repositories+len(failed), st.Failed)
	}
	return st, nil
}

// repositoriesError sums up the failed repositories (and owner globs) of
// total, naming the first few.
func repositoriesError(block string, total int, failed []RepoError) error {
	const named = 3
	parts := make([]string, 0, named+1)
	for i, f := range failed {
		if i == named {
			parts = append(parts, fmt.Sprintf("and %d more", len(failed)-named))
			break
		}
		parts = append(parts, f.Repo+": "+f.Err.Error())
	}
	return fmt.Errorf("%w: block %s: %d of %d: %s", ErrRepositories, block, len(failed), total, strings.Join(parts, "; "))
}

// reader is the state of one Read shared by its repositories.
type reader struct {
	s      *Source
	block  doraflow.Block
	window window
	hist   History
	out    *batcher
	cancel context.CancelFunc
	pv     *preview // nil unless previewing

	mu       sync.Mutex
	failures []RepoError
	fatal    error // the first error that ends the read
}

// run reads the repositories with up to Concurrency workers.
func (r *reader) run(ctx context.Context, repos []string) {
	work := make(chan string)
	var wg sync.WaitGroup
	for range min(r.s.conc, len(repos)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for full := range work {
				if err := r.readRepo(ctx, full); err != nil {
					r.handle(ctx, full, err)
				}
			}
		}()
	}
	for _, full := range repos {
		if ctx.Err() != nil {
			break
		}
		work <- full
	}
	close(work)
	wg.Wait()
	if r.fatal == nil && ctx.Err() != nil {
		r.fatal = fmt.Errorf("github: block %s: %w", r.block.Name, ctx.Err())
	}
}

// handle sorts a repository's error: fatal ones end the read, others are
// that repository's failure.
func (r *reader) handle(ctx context.Context, full string, err error) {
	if !fatal(err) && ctx.Err() == nil {
		r.failed(full, err)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fatal == nil {
		r.fatal = err
		r.cancel()
	}
}

// failed records and logs, once, a repository the read goes on without.
func (r *reader) failed(repo string, err error) {
	r.mu.Lock()
	r.failures = append(r.failures, RepoError{Repo: repo, Err: err})
	r.mu.Unlock()
	r.s.log.Warn().Str("source", string(doraflow.SourceGitHub)).Str("block", r.block.Name).Str("repo", repo).Err(err).
		Msg("cannot read the repository: the block's other repositories are read")
}

// stopError marks an error that is not GitHub's (the sink's, History's):
// it ends the read and is returned as is.
type stopError struct{ err error }

func (e stopError) Error() string { return e.err.Error() }
func (e stopError) Unwrap() error { return e.err }

func unwrapStop(err error) error {
	var se stopError
	if errors.As(err, &se) {
		return se.err
	}
	return err
}

// fatal reports whether err ends a whole read rather than one repository.
func fatal(err error) bool {
	var se stopError
	return errors.Is(err, ErrUnauthorized) || errors.Is(err, context.Canceled) ||
		errors.Is(err, context.DeadlineExceeded) || errors.As(err, &se)
}

// repoRead is the reading of one repository for one block.
type repoRead struct {
	*reader
	full, owner, name string
	memos             *memoSet  // nil without an ETagStore
	watches           *watchSet // nil without a PendingStore
	idx               *prIndex  // the pull requests behind merge commits, paged as needed
}

func (r *reader) readRepo(ctx context.Context, full string) error {
	owner, name, err := splitRepo(full)
	if err != nil {
		return err
	}
	rr := &repoRead{reader: r, full: full, owner: owner, name: name}
	if r.pv == nil {
		// A preview must see every object: no conditional requests; and
		// it stores nothing.
		rr.memos = rr.loadMemos(ctx)
		rr.watches = rr.loadWatches(ctx)
	}
	if r.block.Method == doraflow.MethodMergedPR {
		err = rr.readMergedPRs(ctx)
	} else {
		rr.idx = rr.newPRIndex(r.window.since.Add(-indexLookback))
		var deps []doraflow.Deployment
		switch r.block.Method {
		case doraflow.MethodWorkflowRun:
			deps, err = rr.listRuns(ctx)
		case doraflow.MethodRelease:
			deps, err = rr.listReleases(ctx)
		case doraflow.MethodDeployment:
			deps, err = rr.listDeployments(ctx)
		}
		switch {
		case err != nil:
		case r.pv != nil:
			// A preview shows what matched, not what it ships.
			for _, d := range deps {
				r.pv.match(d)
			}
		default:
			err = rr.ship(ctx, deps)
		}
	}
	if err != nil {
		return err
	}
	var memos map[string]string
	if rr.memos != nil {
		memos = rr.memos.fresh
	}
	return r.out.commit(ctx, memos, rr.watches.writes())
}

// endpoint names a call under the repository: "GET /repos/o/r" + path.
func (rr *repoRead) endpoint(path string) string { return "GET /repos/" + rr.full + path }

// deployment is a deployment row of the block in this repository. kind
// and id make its id (owner/repo#kind-id).
func (rr *repoRead) deployment(kind string, id int64, environment, sha string, at time.Time) doraflow.Deployment {
	return doraflow.Deployment{
		ID:          rr.full + "#" + kind + "-" + strconv.FormatInt(id, 10),
		Source:      doraflow.SourceGitHub,
		Method:      rr.block.Method,
		Block:       rr.block.Name,
		Service:     rr.block.Service,
		Environment: environment,
		Repository:  rr.full,
		SHA:         sha,
		DeployedAt:  at.UTC(),
		Status:      doraflow.StatusSuccess,
	}
}

// blockEnvironment is the environment of the block's deployments (the
// deployment method's come from GitHub instead).
func (rr *repoRead) blockEnvironment() string {
	if rr.block.Environment != "" {
		return rr.block.Environment
	}
	return doraflow.EnvironmentProduction
}

// ship works out what each deployment ships and emits it: per
// environment, oldest first, each deployment against the previous one of
// the same environment in this read, the first one against History's.
func (rr *repoRead) ship(ctx context.Context, deps []doraflow.Deployment) error {
	slices.SortFunc(deps, func(a, b doraflow.Deployment) int {
		if c := strings.Compare(a.Environment, b.Environment); c != 0 {
			return c
		}
		if c := a.DeployedAt.Compare(b.DeployedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	prev := map[string]string{} // environment -> sha of the previous deployment
	q := rr.newShipQueue()
	for _, d := range deps {
		base, known := prev[d.Environment]
		if !known && rr.hist != nil {
			sha, ok, err := rr.hist.PreviousSHA(ctx, rr.full, d.Environment, d.DeployedAt)
			if err != nil {
				return stopError{fmt.Errorf("github: %w", err)}
			}
			if ok {
				base = sha
			}
		}
		if err := q.push(ctx, d, base); err != nil {
			return err
		}
		if d.SHA != "" {
			prev[d.Environment] = d.SHA
		}
	}
	return q.flush(ctx)
}

// batcher gathers deployments with their changes into bounded batches for
// the sink, and saves memos once the batches holding their items were
// accepted. Repositories share it; it calls the sink one batch at a time.
type batcher struct {
	s    *Source
	sink func(context.Context, doraflow.FactSet) error

	mu      sync.Mutex
	b       doraflow.FactSet // deployments, changes, ships and commits; no incidents
	inBatch map[string]bool  // change ids in b
	rows    int
	// memos and watches to save after the next flush
	dueMemos, dueWatches map[string]string
	// deployments and changes count the rows delivered.
	deployments, changes int
}

// add puts a deployment, the changes it ships and the commits that made
// them (nil when not compared) into the batch.
func (o *batcher) add(ctx context.Context, d doraflow.Deployment, changes []doraflow.Change, commits map[string][]string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.inBatch == nil {
		o.inBatch = map[string]bool{}
		o.b.Ships = map[string][]string{}
		o.b.Commits = map[string]map[string][]string{}
	}
	if len(commits) > 0 {
		o.b.Commits[d.ID] = commits
	}
	o.b.Deployments = append(o.b.Deployments, d)
	ids := make([]string, 0, len(changes))
	for _, c := range changes {
		ids = append(ids, c.ID)
		if !o.inBatch[c.ID] {
			o.inBatch[c.ID] = true
			o.b.Changes = append(o.b.Changes, c)
		}
	}
	o.b.Ships[d.ID] = ids
	o.rows += 1 + len(changes)
	if o.rows < maxBatchRows {
		return nil
	}
	return o.flushLocked(ctx)
}

// commit saves a repository's memos and watches once every batch holding
// its items has been accepted: now if nothing is pending, else after the
// next flush.
func (o *batcher) commit(ctx context.Context, memos, watches map[string]string) error {
	if len(memos) == 0 && len(watches) == 0 {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.rows == 0 {
		return o.save(ctx, memos, watches)
	}
	if o.dueMemos == nil {
		o.dueMemos, o.dueWatches = map[string]string{}, map[string]string{}
	}
	maps.Copy(o.dueMemos, memos)
	maps.Copy(o.dueWatches, watches)
	return nil
}

// flush hands what is gathered to the sink.
func (o *batcher) flush(ctx context.Context) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.flushLocked(ctx)
}

func (o *batcher) flushLocked(ctx context.Context) error {
	if o.rows > 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("github: delivering deployments: %w", err)
		}
		batch := o.b
		o.b, o.inBatch, o.rows = doraflow.FactSet{}, nil, 0
		if err := o.sink(ctx, batch); err != nil {
			return stopError{err}
		}
		o.deployments += len(batch.Deployments)
		o.changes += len(batch.Changes)
	}
	if o.dueMemos != nil {
		memos, watches := o.dueMemos, o.dueWatches
		o.dueMemos, o.dueWatches = nil, nil
		if err := o.save(ctx, memos, watches); err != nil {
			return stopError{err}
		}
	}
	return nil
}

// save stores memos and watches. A failure to save memos only costs the
// next read its 304s, so it is a warning; one to save watches would lose
// the runs and deployments no later listing shows, so it is an error.
func (o *batcher) save(ctx context.Context, memos, watches map[string]string) error {
	if len(memos) > 0 {
		if err := o.s.etags.Save(ctx, memos); err != nil {
			o.s.log.Warn().Str("source", string(doraflow.SourceGitHub)).Err(err).
				Msg("cannot save the ETags of this read: the next read asks for these pages in full")
		}
	}
	if len(watches) > 0 {
		if err := o.s.pending.Save(ctx, watches); err != nil {
			return fmt.Errorf("github: saving the runs and deployments to check again: %w", err)
		}
	}
	return nil
}
