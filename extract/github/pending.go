package github

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"

	"doraflow"
)

// Runs and deployments that finish late.
//
// A workflow run gated by an environment's required reviewers can wait up
// to 30 days for approval, and a wait timer up to 30 days more (GitHub
// docs, "Managing environments for deployment", "Deployment protection
// rules"); a failed run can be re-run up to 30 days after it first ran,
// and the re-run keeps the run's id and created_at while run_started_at,
// updated_at and run_attempt move ("Re-running workflows and jobs"). A
// GitHub deployment can get its success status at any time, and whether
// that changes the deployment object (its page's ETag) is not documented.
// A listing by creation, which is all GitHub offers, therefore cannot find
// them once their creation lies behind the window.
//
// So a Read remembers, in the PendingStore, every run and deployment of
// the block it listed that may still count later: runs not completed
// (waiting, queued, in_progress, requested, pending), runs completed with
// another conclusion than the block's (a re-run may change it), runs and
// deployments that finished at or after until (a later window counts
// them), and deployments whose latest status is not final (none yet,
// pending, queued, in_progress). Every later Read of the block checks each
// one again with one conditional request (a 304 is free) until it counts
// or can no longer: a run 35 days after its latest attempt started (GitHub
// cancels a run then, waiting included: "Usage limits", "Workflow run
// time"), a deployment 30 days after its creation (doraflow's bound; GitHub
// sets none). Expiry goes by the clock, so a backfill of old history finds
// every watch expired: an expired watch is therefore judged once more, in
// full (no ETag), counted when it finished in the window, kept when it
// finished after it, and forgotten otherwise.
//
// Keys are "github/<block fingerprint>/repos/<owner>/<repo>/runs/<id>" and
// ".../deployments/<id>"; values "p1 EXPIRY ETAG" (EXPIRY in Unix seconds,
// ETAG of the last answer, possibly empty). Changes are saved, like memos,
// only once the sink accepted the repository's deployments.

const (
	// runLife bounds a run's watch: GitHub cancels a run 35 days after
	// its attempt started, time waiting for approval included.
	runLife = 35 * 24 * time.Hour
	// deploymentWatch bounds a GitHub deployment's watch.
	deploymentWatch = 30 * 24 * time.Hour
	// pendingVersion prefixes encoded watches.
	pendingVersion = "p1"
	// Kinds of watched objects, the path segment of their keys.
	kindRuns        = "runs"
	kindDeployments = "deployments"
)

// watch is what is remembered of a run or deployment checked again later.
type watch struct {
	expires time.Time
	etag    string // of the object's last answer; "" for none
}

func (w watch) String() string {
	return pendingVersion + " " + strconv.FormatInt(w.expires.Unix(), 10) + " " + w.etag
}

// parseWatch decodes String's form; ok is false for anything else, which
// is then forgotten.
func parseWatch(s string) (watch, bool) {
	f := strings.SplitN(s, " ", 3)
	if len(f) != 3 || f[0] != pendingVersion {
		return watch{}, false
	}
	unix, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return watch{}, false
	}
	return watch{expires: time.Unix(unix, 0).UTC(), etag: f[2]}, true
}

// watchSet is one repository's watches for one block during a Read: those
// loaded, those this Read listed itself (seen), and the changes to save. A
// repository is read by one goroutine, so it needs no lock.
type watchSet struct {
	prefix string // "github/<fingerprint>/repos/<owner>/<repo>/"
	old    map[string]watch
	seen   map[string]bool
	fresh  map[string]string
}

// loadWatches reads a repository's watches for the block; nil without a
// PendingStore. A store that fails is a warning: the read goes on, and
// what it lists is remembered again.
func (rr *repoRead) loadWatches(ctx context.Context) *watchSet {
	s := rr.s
	if s.pending == nil {
		return nil
	}
	ws := &watchSet{prefix: "github/" + blockFingerprint(rr.block) + "/repos/" + rr.full + "/",
		old: map[string]watch{}, seen: map[string]bool{}, fresh: map[string]string{}}
	stored, err := s.pending.Load(ctx, ws.prefix)
	if err != nil {
		s.log.Warn().Str("source", string(doraflow.SourceGitHub)).Str("block", rr.block.Name).Str("repo", rr.full).Err(err).
			Msg("cannot load the runs and deployments left pending by earlier reads: they are checked again once listed")
		return ws
	}
	for k, v := range stored {
		key := strings.TrimPrefix(k, ws.prefix)
		if w, ok := parseWatch(v); ok {
			ws.old[key] = w
		} else {
			ws.fresh[k] = ""
		}
	}
	return ws
}

func watchKey(kind string, id int64) string { return kind + "/" + strconv.FormatInt(id, 10) }

// listed notes that the listing showed the object: it is judged there, and
// not checked again in the same read. Safe on a nil set.
func (ws *watchSet) listed(kind string, id int64) {
	if ws != nil {
		ws.seen[watchKey(kind, id)] = true
	}
}

// keep remembers the object until expires. Safe on a nil set.
func (ws *watchSet) keep(kind string, id int64, w watch) {
	if ws == nil {
		return
	}
	key := watchKey(kind, id)
	old, ok := ws.old[key]
	if ok && w.etag == "" && old.expires.Equal(w.expires) {
		w.etag = old.etag // listed again, unchanged: its ETag still holds
	}
	if ok && old == w {
		delete(ws.fresh, ws.prefix+key)
		return
	}
	ws.fresh[ws.prefix+key] = w.String()
}

// done forgets the object, if it was remembered. Safe on a nil set.
func (ws *watchSet) done(kind string, id int64) {
	if ws == nil {
		return
	}
	key := watchKey(kind, id)
	if _, ok := ws.old[key]; ok {
		ws.fresh[ws.prefix+key] = ""
	} else {
		delete(ws.fresh, ws.prefix+key)
	}
}

// due returns the remembered objects of kind that the listing did not
// show, by id, each with its watch.
func (ws *watchSet) due(kind string) []dueWatch {
	if ws == nil {
		return nil
	}
	var out []dueWatch
	for key, w := range ws.old {
		k, idText, ok := strings.Cut(key, "/")
		id, err := strconv.ParseInt(idText, 10, 64)
		if !ok || k != kind || err != nil || ws.seen[key] {
			continue
		}
		out = append(out, dueWatch{id: id, watch: w})
	}
	slices.SortFunc(out, func(a, b dueWatch) int { return int(a.id - b.id) })
	return out
}

// writes are the changes to save, nil for none.
func (ws *watchSet) writes() map[string]string {
	if ws == nil || len(ws.fresh) == 0 {
		return nil
	}
	return maps.Clone(ws.fresh)
}

// dueWatch is a remembered object to check again.
type dueWatch struct {
	id int64
	watch
}

// conditional is a probe that asks for the object unless it is unchanged
// since etag.
func conditional(ctx context.Context, etag string) context.Context {
	return withProbe(ctx, &probe{etag: func(string) string { return etag }})
}

// notModified reports whether a call was answered 304.
func notModified(resp *github.Response) bool {
	return resp != nil && resp.Response != nil && resp.StatusCode == http.StatusNotModified
}

// etagOf is the ETag of an answer, "" without one.
func etagOf(resp *github.Response) string {
	if resp == nil || resp.Response == nil {
		return ""
	}
	return resp.Header.Get("ETag")
}

// runWatch is how long a run may still change: 35 days after its latest
// attempt started.
func runWatch(run *github.WorkflowRun, etag string) watch {
	started := run.GetRunStartedAt().Time
	if started.IsZero() {
		started = run.GetCreatedAt().Time
	}
	return watch{expires: started.Add(runLife).UTC().Truncate(time.Second), etag: etag}
}

// recheckRuns checks again the runs earlier reads left pending, adding
// those whose latest attempt now completed with the block's conclusion
// before until, whatever their age, to out; filters are the block's
// checks but conclusion.
func (rr *repoRead) recheckRuns(ctx context.Context, filters []check[*github.WorkflowRun], out *[]doraflow.Deployment) error {
	now := rr.s.now()
	for _, w := range rr.watches.due(kindRuns) {
		// A watch past its expiry can change no more, but it is still
		// judged once, unconditionally: a backfill of old history reads
		// runs whose watches expired long ago by the clock, and one that
		// finished after the window that listed it counts in a later one.
		expired := now.After(w.expires)
		reqCtx := conditional(ctx, w.etag)
		if expired {
			reqCtx = ctx
		}
		endpoint := rr.endpoint("/actions/runs/" + strconv.FormatInt(w.id, 10))
		run, resp, err := rr.s.gh.Actions.GetWorkflowRunByID(reqCtx, rr.owner, rr.name, w.id)
		switch {
		case notModified(resp):
			continue
		case httpStatus(err) == http.StatusNotFound:
			rr.watches.done(kindRuns, w.id) // deleted
			continue
		case err != nil:
			return callError(ctx, endpoint, err)
		}
		if ok, err := passes(ctx, nil, filters, run); err != nil || !ok {
			rr.watches.done(kindRuns, w.id)
			if err != nil {
				return err
			}
			continue
		}
		d, counts := rr.completedRun(run)
		if counts && d.DeployedAt.Before(rr.window.until) {
			*out = append(*out, d)
			rr.watches.done(kindRuns, w.id)
			continue
		}
		if expired && !counts {
			rr.watches.done(kindRuns, w.id)
			continue
		}
		rr.watches.keep(kindRuns, w.id, runWatch(run, etagOf(resp)))
	}
	return nil
}

// completedRun is the deployment a run makes if its latest attempt
// completed with the block's conclusion; counts is false otherwise.
func (rr *repoRead) completedRun(run *github.WorkflowRun) (d doraflow.Deployment, counts bool) {
	if run.GetStatus() != "completed" || run.GetConclusion() != rr.conclusion() {
		return d, false
	}
	d = rr.deployment("run", run.GetID(), rr.blockEnvironment(), run.GetHeadSHA(), run.GetUpdatedAt().Time)
	d.URL, d.Author = run.GetHTMLURL(), run.GetActor().GetLogin()
	d.Title = run.GetDisplayTitle()
	if d.Title == "" {
		d.Title = run.GetName()
	}
	return d, true
}

// recheckDeployments checks again the GitHub deployments earlier reads
// left pending, adding those whose first success status is now known and
// before until, whatever its age, to out.
func (rr *repoRead) recheckDeployments(ctx context.Context, out *[]doraflow.Deployment) error {
	now := rr.s.now()
	checks := rr.deploymentChecks()
	for _, w := range rr.watches.due(kindDeployments) {
		// As for runs: an expired watch is judged once more, in full.
		expired := now.After(w.expires)
		etag := w.etag
		if expired {
			etag = ""
		}
		sts, err := rr.statuses(ctx, w.id, etag)
		switch {
		case err != nil && httpStatus(err) == http.StatusNotFound:
			rr.watches.done(kindDeployments, w.id)
			continue
		case err != nil:
			return err
		case sts.unchanged:
			continue
		}
		if sts.first == nil || !sts.first.GetCreatedAt().Before(rr.window.until) {
			// A success at or after until counts in a later window;
			// without one, a final status or an expired watch ends it.
			if sts.first == nil && (sts.final() || expired) {
				rr.watches.done(kindDeployments, w.id)
			} else {
				rr.watches.keep(kindDeployments, w.id, watch{expires: w.expires, etag: sts.etag})
			}
			continue
		}
		endpoint := rr.endpoint("/deployments/" + strconv.FormatInt(w.id, 10))
		gd, _, err := rr.s.gh.Repositories.GetDeployment(ctx, rr.owner, rr.name, w.id)
		if httpStatus(err) == http.StatusNotFound {
			rr.watches.done(kindDeployments, w.id)
			continue
		}
		if err != nil {
			return callError(ctx, endpoint, err)
		}
		rr.watches.done(kindDeployments, w.id)
		if ok, err := passes(ctx, nil, checks, gd); err != nil || !ok {
			if err != nil {
				return err
			}
			continue
		}
		*out = append(*out, rr.githubDeployment(gd, sts.first))
	}
	return nil
}
