package github

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"

	"doraflow"
)

// Conditional list pages.
//
// Every list page that yields deployments is remembered in the ETagStore
// under a key naming the block and the request ("github/<block
// fingerprint>/repos/acme/api/pulls?direction=desc&page=1&…"). The value
// is a memo: the page's ETag, whether paging went on after it, and the
// window of deployed_at that its items were read for. A later Read sends
// If-None-Match only when that window covers its own: then a 304 means the
// page holds the same items, and every one of them that falls in the new
// window was staged before, so it is skipped. Items the old window left
// out (older than its since, or at or after its until) narrow the memo's
// window, so a backfill of an older range never mistakes a 304 for "done".
//
// The block's fingerprint is in the key because filters decide which
// items of a page count: a changed block starts afresh.
//
// The credentials' identity is in the key too ("github/<identity>/<block
// fingerprint>/…"), because GitHub's ETags are specific to the
// credential: a conditional request with another token's ETag must not
// be taken for a match, and what one token may see another may not. The
// identity is a hash of the tokens (never a token), or the App
// installation, whose hourly tokens share it (signin.go). Memos under an
// older identity, or of the time before identities, are never loaded
// again: harmless.
//
// Memos are saved only after the sink accepted every item of the
// repository (batcher.commit): a crash repeats pages instead of losing them.

// window is the [since, until) of a Read.
type window struct{ since, until time.Time }

// coverage tracks, while a page's items are read, whether some of them
// were left out for lying outside the window.
type coverage struct {
	w            window
	below, above bool
}

// in reports whether t is in the window, noting it when it is not.
func (c *coverage) in(t time.Time) bool {
	switch {
	case t.Before(c.w.since):
		c.below = true
		return false
	case !t.Before(c.w.until):
		c.above = true
		return false
	}
	return true
}

// skipOlder notes that items older than the window were left unread.
func (c *coverage) skipOlder() { c.below = true }

// memo is what is remembered of a list page. lo and hi bound the
// deployed_at its items were read for; zero means unbounded (no item was
// left out on that side).
type memo struct {
	etag   string
	lo, hi time.Time
	more   bool // paging went on after this page
}

// covers reports whether everything of the page that w needs was read
// when the memo was made.
func (m memo) covers(w window) bool {
	return (m.lo.IsZero() || !w.since.Before(m.lo)) && (m.hi.IsZero() || !w.until.After(m.hi))
}

// merge widens m by an older memo of the same page content: two reads of
// the same items over overlapping windows read their union.
func (m memo) merge(old memo) memo {
	if old.etag != m.etag || !overlaps(m, old) {
		return m
	}
	if old.lo.IsZero() || (!m.lo.IsZero() && old.lo.Before(m.lo)) {
		m.lo = old.lo
	}
	if old.hi.IsZero() || (!m.hi.IsZero() && old.hi.After(m.hi)) {
		m.hi = old.hi
	}
	return m
}

func overlaps(a, b memo) bool {
	aBeforeB := !a.hi.IsZero() && !b.lo.IsZero() && a.hi.Before(b.lo)
	bBeforeA := !b.hi.IsZero() && !a.lo.IsZero() && b.hi.Before(a.lo)
	return !aBeforeB && !bBeforeA
}

// memoVersion prefixes encoded memos, so a format change can be told.
const memoVersion = "m1"

// String encodes the memo: "m1 LO HI MORE ETAG", times in Unix
// nanoseconds or "-" when unbounded. The ETag goes last as it may hold
// any character.
func (m memo) String() string {
	t := func(x time.Time) string {
		if x.IsZero() {
			return "-"
		}
		return strconv.FormatInt(x.UnixNano(), 10)
	}
	return strings.Join([]string{memoVersion, t(m.lo), t(m.hi), strconv.FormatBool(m.more), m.etag}, " ")
}

// parseMemo decodes String's form; ok is false for anything else, which
// is then ignored (an unconditional request is always safe).
func parseMemo(s string) (memo, bool) {
	f := strings.SplitN(s, " ", 5)
	if len(f) != 5 || f[0] != memoVersion || f[4] == "" {
		return memo{}, false
	}
	t := func(v string) (time.Time, bool) {
		if v == "-" {
			return time.Time{}, true
		}
		n, err := strconv.ParseInt(v, 10, 64)
		return time.Unix(0, n).UTC(), err == nil
	}
	lo, ok1 := t(f[1])
	hi, ok2 := t(f[2])
	more, err := strconv.ParseBool(f[3])
	if !ok1 || !ok2 || err != nil {
		return memo{}, false
	}
	return memo{etag: f[4], lo: lo, hi: hi, more: more}, true
}

// memoSet is one repository's memos for one block during a Read: those
// loaded from the store, and those made by this Read, to save once the
// repository's items are staged. A repository is read by one goroutine,
// so it needs no lock.
type memoSet struct {
	prefix string // "github/<identity>/<fingerprint>/"
	window window
	old    map[string]memo
	fresh  map[string]string
}

// loadMemos reads a repository's memos for the block. A store that fails
// is only a warning: the read goes on unconditionally.
func (rr *repoRead) loadMemos(ctx context.Context) *memoSet {
	s := rr.s
	if s.etags == nil {
		return nil
	}
	ms := &memoSet{prefix: "github/" + s.signIn.identity + "/" + blockFingerprint(rr.block) + "/", window: rr.window, old: map[string]memo{}, fresh: map[string]string{}}
	stored, err := s.etags.Load(ctx, ms.prefix+"repos/"+rr.full+"/")
	if err != nil {
		s.log.Warn().Str("source", string(doraflow.SourceGitHub)).Str("block", rr.block.Name).Str("repo", rr.full).Err(err).
			Msg("cannot load the ETags of earlier reads: reading every page in full")
		return ms
	}
	for k, v := range stored {
		if m, ok := parseMemo(v); ok {
			ms.old[strings.TrimPrefix(k, ms.prefix)] = m
		}
	}
	return ms
}

// condition is a probe's etag function: the ETag to send for the key, if
// its memo covers this Read's window.
func (ms *memoSet) condition(key string) string {
	if m, ok := ms.old[key]; ok && m.covers(ms.window) {
		return m.etag
	}
	return ""
}

// remember records a page read in full.
func (ms *memoSet) remember(key, etag string, cov coverage, more bool) {
	m := memo{etag: etag, more: more}
	if cov.below {
		m.lo = ms.window.since
	}
	if cov.above {
		m.hi = ms.window.until
	}
	if old, ok := ms.old[key]; ok {
		m = m.merge(old)
	}
	ms.fresh[ms.prefix+key] = m.String()
}

// afterNotModified decides where paging goes after a 304 on the page of
// key: the page number to fetch next, 0 to stop. On a listing where any
// change shows on the first page (top), an unchanged page means an
// unchanged listing, so the following pages need no request as long as
// their memos cover this window; the first that does not is fetched.
func (ms *memoSet) afterNotModified(key string, page int, top bool) int {
	m := ms.old[key]
	for m.more {
		page++
		if !top {
			return page
		}
		key = pageKey(key, page)
		next, ok := ms.old[key]
		if !ok || !next.covers(ms.window) {
			return page
		}
		m = next
	}
	return 0
}

// pageKey is key with its page parameter set to page, encoded as go-github
// encodes queries (url.Values.Encode).
func pageKey(key string, page int) string {
	path, query, _ := strings.Cut(key, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return key + "&page=" + strconv.Itoa(page) // matches no memo: the page is fetched
	}
	q.Set("page", strconv.Itoa(page))
	return path + "?" + q.Encode()
}

// blockFingerprint names a block's configuration in memo keys: its name,
// method, environment, service and filters (not its line in the file).
func blockFingerprint(b doraflow.Block) string {
	f := filtersOf(b)
	desc := fmt.Sprintf("%q %q %q %q|%q %q %q %q|%q %q %q %q|%q %t|%q",
		b.Name, b.Method, b.Environment, b.Service,
		f.BaseBranch, f.Labels, f.ExcludeLabels, f.Paths,
		f.Workflow, f.Branch, f.Event, f.Conclusion,
		f.TagPattern, f.Prerelease, f.Environment)
	sum := sha256.Sum256([]byte(desc))
	return hex.EncodeToString(sum[:8])
}

// probe carries a call's conditional-request state to front through the
// request context.
type probe struct {
	// etag returns the ETag to send for the request's key, "" for none.
	etag func(key string) string
	// cache asks front to keep the body and answer a 304 from it (small
	// listings read whole every time; see bodyCache).
	cache bool
	// key is set by front: the request's key.
	key string
}

type probeKey struct{}

func withProbe(ctx context.Context, p *probe) context.Context {
	return context.WithValue(ctx, probeKey{}, p)
}

func probeFrom(ctx context.Context) *probe {
	p, _ := ctx.Value(probeKey{}).(*probe)
	return p
}

// listing describes a paged list endpoint for pageThrough.
type listing struct {
	endpoint string // "GET /repos/acme/api/pulls", for errors
	// memos, when set, makes the pages conditional (see above); top says
	// that any change to the listing changes its first page (it is sorted
	// by update time, or every page carries the total count).
	memos *memoSet
	top   bool
	// cache keeps the bodies in front's bodyCache (small listings).
	cache bool
	// window is the Read's, which visit's coverage tests items against.
	window window
	// start is the first page to fetch (default 1), for listings paged
	// lazily a stretch at a time.
	start int
}

// fetchFunc asks for one page (1-based) of a listing.
type fetchFunc[T any] func(ctx context.Context, page int) ([]T, *github.Response, error)

// pageThrough is the one paging loop: it fetches pages in turn and hands
// each one's items to visit, until visit says no more or the listing
// ends. With memos, pages are asked for conditionally and unchanged ones
// skipped; visit notes in cov which items it left out for the window.
func pageThrough[T any](ctx context.Context, l listing, fetch fetchFunc[T], visit func(items []T, cov *coverage) (more bool, err error)) error {
	for page := max(l.start, 1); page > 0; {
		endpoint := fmt.Sprintf("%s (page %d)", l.endpoint, page)
		if err := ctx.Err(); err != nil {
			return callError(ctx, endpoint, err)
		}
		p := &probe{cache: l.cache}
		if l.memos != nil {
			p.etag = l.memos.condition
		}
		items, resp, err := fetch(withProbe(ctx, p), page)
		if l.memos != nil && resp != nil && resp.Response != nil && resp.StatusCode == 304 {
			page = l.memos.afterNotModified(p.key, page, l.top)
			continue
		}
		if err != nil {
			return callError(ctx, endpoint, err)
		}
		cov := coverage{w: l.window}
		more, err := visit(items, &cov)
		if err != nil {
			return err
		}
		more = more && resp.NextPage > page
		if l.memos != nil {
			if etag := resp.Header.Get("ETag"); etag != "" {
				l.memos.remember(p.key, etag, cov, more)
			}
		}
		if !more {
			return nil
		}
		page = resp.NextPage
	}
	return nil
}
