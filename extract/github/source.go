// Package github is doraflow's GitHub extractor: it reads the deployments
// that a deployment block of method merged_pr, workflow_run, release or
// deployment matches, with the changes each one ships, from the GitHub REST
// API (github.com or GitHub Enterprise Server) through go-github, and hands
// them to a sink in bounded batches (docs/metrics.md defines both).
//
// Three things keep the request count near the floor the definitions
// impose:
//
//   - conditional requests: every list page that yields deployments is
//     remembered with its ETag in an ETagStore, together with the window it
//     was read for, so a later read of an unchanged page costs a free 304
//     (etag.go);
//   - lead-time inputs are shared: the earliest commit of a merged pull
//     request never changes, so a Source remembers it across reads, and the
//     pull request behind a merge or squash commit is found in one listing
//     of the repository's recently updated pull requests rather than by one
//     call per commit (changes.go);
//   - a retry layer under go-github waits out rate limits and retries
//     failures, so go-github itself never sees them (ratelimit.go).
//
// See README.md for the calls each method makes and what they cost.
package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/httpretry"
	"doraflow/sameorigin"
)

const (
	// defaultConcurrency is github.concurrency's default.
	defaultConcurrency = 4
	// perPage is the largest page GitHub serves.
	perPage = 100
	// headerTimeout bounds the wait for a response's headers, so a server
	// that accepts a connection and never answers counts as a dropped
	// connection (which httpretry retries) instead of hanging a sync.
	headerTimeout = time.Minute
	// maxRateWait is the longest wait for a rate-limit reset: GitHub's
	// primary window is an hour, and the retry layer adds a second.
	maxRateWait = time.Hour + time.Minute
)

// Options configure a Source. BaseURL is required; zero values of the
// others take the defaults noted on each.
type Options struct {
	// BaseURL is the REST API root: https://api.github.com/ or, for GitHub
	// Enterprise Server, https://HOST/api/v3/.
	BaseURL string
	// Token is sent as a bearer token in the Authorization header only,
	// and only to BaseURL's scheme, host and port: a redirect anywhere else
	// is refused. Never logged, never part of an error. Empty, with no
	// Tokens and no App, means anonymous requests (60 an hour on
	// github.com).
	Token string
	// Tokens are used after Token, in turn: when one's budget is spent
	// the next takes over (signin.go). They are sent and kept like Token.
	Tokens []string
	// App signs in as a GitHub App installation instead of with tokens;
	// New refuses both.
	App *App
	// API is how merged pull requests are read: APIGraphQL, or APIREST.
	// The zero value is APIREST, which every method reads through; the
	// config's github.api defaults to graphql and cmd passes it. The
	// GraphQL endpoint is derived from BaseURL (graphqlURL).
	API string
	// Concurrency caps the requests in flight and the repositories read at
	// once (github.concurrency), default 4.
	Concurrency int
	// Base is the transport under the retry layer (the pipeline passes one
	// that counts requests); nil means a clone of http.DefaultTransport.
	Base http.RoundTripper
	// Sleep waits between retries and for rate-limit resets; tests pass a
	// fake clock's. Nil means a real timer that ends early with ctx.
	Sleep func(context.Context, time.Duration) error
	// Now is the clock rate-limit resets are measured on; nil means
	// time.Now.
	Now func() time.Time
	// Log receives one warning per repository that cannot be read, one per
	// rate-limit reset waited for, retries, and a summary line per Read.
	// The zero Logger discards everything.
	Log zerolog.Logger
	// ETags, when set, remembers list pages across runs so that unchanged
	// pages are asked for conditionally (free 304s); nil means none.
	ETags ETagStore
	// Pending, when set, remembers across reads the workflow runs and
	// GitHub deployments that were not final when read (waiting for an
	// approval, in progress, pending), so that later reads check them
	// again until they finish (pending.go); nil means none, and a read
	// then finds only what finishes within a day of its creation.
	Pending PendingStore
}

// ETagStore remembers the ETags of list pages across runs (the pipeline
// implements it over ClickHouse). The values are opaque strings the
// extractor writes: an ETag plus what it needs to know about the page.
type ETagStore interface {
	// Load returns key -> value for the keys that start with prefix.
	Load(ctx context.Context, prefix string) (map[string]string, error)
	// Save stores the values, replacing those of the same keys.
	Save(ctx context.Context, etags map[string]string) error
}

// PendingStore remembers, across reads, the runs and deployments a block
// must check again (the pipeline implements it over ClickHouse). The values
// are opaque strings the extractor writes; an empty value forgets its key.
type PendingStore interface {
	// Load returns key -> value for the keys that start with prefix,
	// leaving out forgotten ones.
	Load(ctx context.Context, prefix string) (map[string]string, error)
	// Save stores the values, replacing those of the same keys; "" forgets.
	Save(ctx context.Context, values map[string]string) error
}

// History answers the previous successful deployment of a repository and
// environment, from doraflow's facts (the pipeline implements it).
type History interface {
	// PreviousSHA returns the sha of the latest successful deployment of
	// repo (owner/name) to environment with deployed_at before before;
	// ok is false when there is none. Its errors name the repository and
	// environment.
	PreviousSHA(ctx context.Context, repo, environment string, before time.Time) (sha string, ok bool, err error)
}

// Stats describe one Read.
type Stats struct {
	// Requests counts the HTTP requests sent, retries included, GraphQL
	// queries among them; NotModified those answered 304 (free on
	// GitHub's budget).
	Requests, NotModified int
	// Points are the GraphQL points the read spent (GitHub's
	// rateLimit.cost of each query), from a budget apart from the REST
	// API's requests.
	Points int
	// Repositories counts the repositories the block named, after glob
	// expansion, including those that failed.
	Repositories int
	// Deployments and Changes count the rows handed to the sink.
	Deployments, Changes int
	// Failed lists the repositories (or owner globs) that could not be
	// read; the others were.
	Failed []RepoError
}

// RepoError is a repository that could not be read, and why.
type RepoError struct {
	Repo string // owner/name, or the owner/* glob that could not be listed
	Err  error  // what failed, naming the endpoint
}

// ErrUnauthorized means GitHub refused the token or the GitHub App (HTTP
// 401, or no installation token to be had). Errors that wrap it name the
// config key to check; match with errors.Is.
var ErrUnauthorized = errors.New("github: the token was refused")

// ErrRepositories means some repositories of a block could not be read;
// the others were, and Stats.Failed says which failed and why.
var ErrRepositories = errors.New("github: some repositories could not be read")

// Source reads deployments and changes from one GitHub instance. It is
// safe for concurrent use; build it with New.
type Source struct {
	gh      *github.Client
	log     zerolog.Logger
	now     func() time.Time
	conc    int
	etags   ETagStore
	pending PendingStore
	// started remembers the started_at of merged pull requests across
	// reads: a merged pull request's commits never change, and both a
	// merged_pr block and a workflow_run block need it.
	started *startCache
	// reviewed remembers, likewise, the first review by someone other
	// than the author of each merged pull request (reviews.go).
	reviewed *startCache
	limits   *rateLimits
	apiRoot  string // the API's URL without its trailing slash
	signIn   *signIn
	// api is Options.API; gqlURL the GraphQL endpoint and gqlHC the
	// client that reaches it (the REST stack under go-github, without
	// front: GraphQL answers need their rate-limit headers whole).
	api    string
	gqlURL string
	gqlHC  *http.Client
	sleep  func(context.Context, time.Duration) error
	// runsCap is how many runs a filtered runs listing reaches: GitHub's
	// 1,000 (runsSearchCap); tests lower it.
	runsCap int
}

// New returns a Source for the GitHub instance at opts.BaseURL.
func New(opts Options) (*Source, error) {
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("github: base URL %q is not an absolute http(s) URL: use https://api.github.com/ or, for GitHub Enterprise Server, https://HOST/api/v3/", opts.BaseURL)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	conc := opts.Concurrency
	switch {
	case conc == 0:
		conc = defaultConcurrency
	case conc < 0:
		return nil, fmt.Errorf("github: concurrency %d: must be at least 1", conc)
	}
	switch opts.API {
	case "", APIREST, APIGraphQL:
	default:
		return nil, fmt.Errorf("github: API %q: use %q or %q (github.api)", opts.API, APIGraphQL, APIREST)
	}
	s := &Source{
		log:      opts.Log,
		now:      opts.Now,
		conc:     conc,
		etags:    opts.ETags,
		pending:  opts.Pending,
		started:  newStartCache(startCacheGeneration),
		reviewed: newStartCache(startCacheGeneration),
		runsCap:  runsSearchCap,
		api:      opts.API,
		gqlURL:   graphqlURL(u),
		sleep:    opts.Sleep,
	}
	if s.sleep == nil {
		s.sleep = httpretry.Sleep
	}
	if s.now == nil {
		s.now = time.Now
	}
	base := opts.Base
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = headerTimeout
		t.MaxIdleConnsPerHost = conc
		base = t
	}
	log := s.log
	// Installation tokens are asked for through a retry layer of their
	// own, without the cap on requests in flight: the request that needs
	// a token holds one of those slots while it waits for it.
	exchange := sameorigin.Guard(&http.Client{Transport: httpretry.New(httpretry.Options{Base: wire{base: base}, Sleep: opts.Sleep, MaxWait: maxRateWait})},
		sameorigin.Of(u), "").Transport
	s.apiRoot = strings.TrimSuffix(u.String(), "/")
	si, err := newSignIn(opts, s.now, wire{base: base}, exchange, s.apiRoot)
	if err != nil {
		return nil, err
	}
	s.signIn = si
	// Secondary limits hold requests before a credential is chosen for
	// them; the sign-in layer then picks the token with budget left.
	s.limits = newRateLimits(s.log, s.now, opts.Sleep, si)
	retry := httpretry.New(httpretry.Options{
		Base:        s.limits,
		Classify:    s.limits.classify,
		Sleep:       opts.Sleep,
		MaxInFlight: conc,
		MaxWait:     maxRateWait,
		OnRetry: func(req *http.Request, attempt int, wait time.Duration, d httpretry.Decision) {
			// Rate-limit waits are logged once per reset by classify.
			ev := log.Info()
			if d.Reason == reasonRateLimit {
				ev = log.Debug()
			}
			ev.Str("source", string(doraflow.SourceGitHub)).Str("method", req.Method).Str("path", req.URL.Path).
				Int("attempt", attempt).Dur("wait", wait.Round(time.Millisecond)).Str("reason", d.Reason).Msg("retrying GitHub request")
		},
	})
	// The credential is set by signIn, under httpretry (transport.go), and
	// not by go-github's WithAuthToken: that one sets it on every request
	// the client makes, wherever a redirect points, because Go drops
	// Authorization on a redirect to another host only when the caller's
	// request carried it. sameorigin's guard, over front, refuses every
	// request and redirect off the API's origin before it gets there.
	hc := sameorigin.Guard(&http.Client{Transport: &front{next: retry, basePath: u.Path, cache: newBodyCache(bodyCacheBytes)}},
		sameorigin.Of(u), "")
	s.gqlHC = sameorigin.Guard(&http.Client{Transport: retry}, sameorigin.Of(u), "")
	gh := github.NewClient(hc)
	gh.BaseURL = u
	gh.UserAgent = "doraflow"
	s.gh = gh
	return s, nil
}

// checkBlock refuses blocks Read cannot serve, and bad globs in its
// filters (the config loader checks them too; a block built in code may
// not have been loaded).
func checkBlock(b doraflow.Block) error {
	if !slices.ContainsFunc(Methods(), func(m doraflow.MethodSpec) bool { return m.Method == b.Method }) {
		return fmt.Errorf("github: block %s has method %q: the GitHub extractor reads merged_pr, workflow_run, release and deployment blocks", b.Name, b.Method)
	}
	for _, p := range filtersOf(b).Paths {
		if err := checkGlob(p); err != nil {
			return fmt.Errorf("github: block %s: filters.paths: %w", b.Name, err)
		}
	}
	if err := checkGlob(filtersOf(b).TagPattern); err != nil {
		return fmt.Errorf("github: block %s: filters.tag_pattern: %w", b.Name, err)
	}
	return nil
}

// apiError is the failure of one API call, naming the endpoint. The token
// travels only in the Authorization header, which neither go-github's
// errors nor httpretry's include, so the message cannot leak it.
type apiError struct {
	endpoint string // e.g. "GET /repos/acme/api/pulls (page 2)"
	status   int    // HTTP status, 0 for a transport or decoding failure
	err      error
}

func (e *apiError) Error() string {
	if e.status == 0 {
		// go-github returns http.Client's *url.Error, which would repeat
		// the URL httpretry's error names.
		return fmt.Sprintf("github: %s: %v", e.endpoint, httpretry.Unrepeated(e.err))
	}
	// GitHub's message without go-github's rendering, which repeats the
	// URL.
	var msg string
	var er *github.ErrorResponse
	var rl *github.RateLimitError
	var ab *github.AbuseRateLimitError
	switch {
	case errors.As(e.err, &er):
		msg = er.Message
	case errors.As(e.err, &rl):
		msg = rl.Message
	case errors.As(e.err, &ab):
		msg = ab.Message
	}
	if msg == "" {
		msg = http.StatusText(e.status)
	}
	return fmt.Sprintf("github: %s: HTTP %d: %s", e.endpoint, e.status, msg)
}

func (e *apiError) Unwrap() error { return e.err }

// callError describes a failed call to endpoint: a refused token becomes
// ErrUnauthorized, a cancelled context its own error, a redirect off the
// API's origin sameorigin's error.
func callError(ctx context.Context, endpoint string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("github: %s: %w", endpoint, ctxErr)
	}
	// A refused redirect names the request and the target itself;
	// go-github's *url.Error around it would repeat the target.
	var refused *sameorigin.Error
	if errors.As(err, &refused) {
		return fmt.Errorf("github: %w", refused)
	}
	// A refused credential or a token that could not be had says what to
	// check itself.
	var signInErr *signInError
	if errors.As(err, &signInErr) {
		return signInErr
	}
	status := httpStatus(err)
	if status == http.StatusUnauthorized {
		return fmt.Errorf("%w (HTTP 401) — check github.token", ErrUnauthorized)
	}
	return &apiError{endpoint: endpoint, status: status, err: err}
}

// httpStatus is the status of a failed call's response, 0 when there was
// none (a transport or decoding failure).
func httpStatus(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.status
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	var rl *github.RateLimitError
	if errors.As(err, &rl) && rl.Response != nil {
		return rl.Response.StatusCode
	}
	var ab *github.AbuseRateLimitError
	if errors.As(err, &ab) && ab.Response != nil {
		return ab.Response.StatusCode
	}
	return 0
}

// splitRepo splits "owner/name".
func splitRepo(full string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(full, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("github: repository %q is not owner/name", full)
	}
	return owner, name, nil
}

// Budgets returns each credential's primary rate-limit budget, as
// GitHub's last answer with it said (doraflow status, /metrics); none
// for anonymous requests.
func (s *Source) Budgets() []doraflow.Budget { return s.signIn.budgets() }

// CheckBudgets asks GitHub for every credential's budget (GET
// /rate_limit, which costs none of it) and returns them all, for
// `doraflow status`. Anonymous reading has no credential: none.
func (s *Source) CheckBudgets(ctx context.Context) ([]doraflow.Budget, error) {
	return s.signIn.check(ctx, s.apiRoot)
}
