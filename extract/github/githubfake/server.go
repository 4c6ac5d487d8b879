package githubfake

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"doraflow/internal/fakeapi"
)

// Options configure a Server. The zero value is a github.com lookalike with
// no token check, the standard 5,000 requests an hour, and no faults.
type Options struct {
	// Token, when set, must arrive as "Authorization: Bearer TOKEN" or
	// "Authorization: token TOKEN"; anything else is 401 Bad credentials.
	Token string
	// Tokens are more accepted tokens, each of another user and so with
	// its own budget: GitHub counts the primary limit per user, not per
	// token ("Rate limits for requests from personal accounts",
	// https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api).
	// With Token, Token is user 1 and Tokens[i] user i+2.
	Tokens []string
	// App, when set, makes the server issue installation tokens to a
	// GitHub App (see App); they are accepted until they expire, and
	// each installation has its own budget.
	App *App
	// Budget is the primary rate limit: requests per window (default
	// 5000), per user or installation. Conditional requests answered 304
	// and GET /rate_limit are free, as on GitHub.
	Budget int
	// ResetEvery is the length of a rate-limit window (default 1h). A
	// window starts at the first request after the previous one ended.
	ResetEvery time.Duration
	// Now is the clock for rate-limit windows, Retry-After and the request
	// log (default time.Now). Inject a fake clock's Now (clockwork's) to
	// test resets without sleeping.
	Now func() time.Time

	// SecondaryEvery makes every Nth request that reaches the check (past
	// the token check and injected faults; /rate_limit and requests refused
	// during a penalty do not count) hit the secondary rate limit; 0 never
	// does. After a hit, every request is refused until
	// SecondaryRetryAfter has passed on the clock.
	SecondaryEvery int
	// SecondaryRetryAfter is the Retry-After of a secondary-limit answer
	// (default 60s).
	SecondaryRetryAfter time.Duration
	// SecondaryStatus is 403 (default; the status go-github turns into
	// *github.AbuseRateLimitError) or 429 (which GitHub also sends, and
	// go-github v62 reports as a plain *github.ErrorResponse).
	SecondaryStatus int

	// Faults decides which requests fail and how; nil means none (see
	// fakeapi's FailAt, FailRatePerURL and the like). Faults apply after
	// the token check, cost no budget, and come before the secondary
	// limit. A Status fault answers with GitHub's JSON error document; a
	// Truncate fault sends 200 with half a page without serving the
	// request. Server.FailNext queues faults that come first.
	Faults fakeapi.Policy
	// Latency holds every response this long (for timeout and concurrency
	// tests). Waits, Latency's and faults' alike, end early when the
	// request's context ends or the server closes, so tests never hang on
	// them.
	Latency time.Duration

	// BaseURLPath serves the API under a prefix: "/api/v3" mimics GitHub
	// Enterprise Server. Default: the root, as api.github.com.
	BaseURLPath string
	// HTMLURL is the web root used in html_url fields (default
	// https://github.com).
	HTMLURL string
	// LogSize bounds the request log, which keeps the most recent entries
	// (default 100,000). Counters in Stats are always exact.
	LogSize int
	// RunsSearchLimit is how many workflow runs a filtered runs listing
	// reaches (default 1000, GitHub's limit when actor, branch,
	// check_suite_id, created, event, head_sha or status is given); a
	// negative value removes the limit.
	RunsSearchLimit int
	// RunsFullTotalCount makes a capped runs listing's total_count the
	// full count of matching runs. By default it says at most
	// RunsSearchLimit: GitHub documents the cap ("List workflow runs for a
	// repository": "up to 1,000 results for each search") but not what
	// total_count then holds, so an extractor must not count on it
	// exceeding the cap.
	RunsFullTotalCount bool
	// ReleasesListLimit is how many releases GET /releases pages reach
	// (default 1000): a page that starts past them is refused with 422
	// "Only the first 1000 results are available."; a negative value
	// removes the limit.
	ReleasesListLimit int

	// GraphQLSchema, when set, makes the server answer GraphQL (POST
	// /graphql, or /api/graphql beside BaseURLPath /api/v3), validating
	// every query against it (LoadSchema; graphql.go). Without it GraphQL
	// requests are 404.
	GraphQLSchema *ast.Schema
	// GraphQLBudget is the GraphQL API's primary rate limit in points per
	// window (default 5000), per user or installation, apart from Budget.
	GraphQLBudget int
	// SearchIncomplete makes every search leave this many of its matches
	// (the most recently merged) out of its pages while issueCount still
	// counts them: GitHub's search may answer incomplete results ("Timeouts
	// and incomplete results",
	// https://docs.github.com/en/rest/search/search#timeouts-and-incomplete-results;
	// GraphQL's search has no incomplete_results flag to say so). 0, the
	// default, pages every match.
	SearchIncomplete int
}

// Request is one entry of the request log.
type Request struct {
	Seq      int64 // 1-based arrival order
	Time     time.Time
	Method   string
	Path     string // without BaseURLPath
	Query    string // raw query
	Endpoint string // route pattern, e.g. "GET /repos/{owner}/{repo}/pulls"
	// Account is the user or installation whose budget the request used,
	// as GitHub's rate-limit messages name it ("user 2"); "" when the
	// server checks no credential or refused this one.
	Account string
	Status  int // 0 when the connection was dropped
	// NotModified is a 304 answer to a conditional request.
	NotModified bool
	// RateLimited is a 403 for an exhausted primary budget;
	// SecondaryLimited a secondary-limit refusal.
	RateLimited      bool
	SecondaryLimited bool
	Fault            fakeapi.Fault // the injected fault, zero for none
}

// Stats are counters over every request since the server started (or the
// last ResetLog).
type Stats struct {
	Total            int64
	Charged          int64 // requests that consumed primary budget
	Points           int64 // GraphQL points charged
	NotModified      int64
	RateLimited      int64
	SecondaryLimited int64
	Unauthorized     int64
	NotFound         int64
	Faults           int64 // requests a fault failed (a delay alone does not count)
	// ByEndpoint counts requests per route pattern (as in
	// Request.Endpoint), whatever their outcome.
	ByEndpoint map[string]int64
}

// Endpoint names used in Request.Endpoint and Stats.ByEndpoint besides the
// route patterns.
const (
	// EndpointUnknown is a path no route matches (answered 404).
	EndpointUnknown = "unknown"
	// EndpointRateLimit is GET /rate_limit, which costs no budget.
	EndpointRateLimit = "GET /rate_limit"
)

// Server is a fake GitHub REST API over an Org. It is an http.Handler and
// safe for concurrent use.
type Server struct {
	opts    Options
	prefix  string
	htmlURL string
	now     func() time.Time
	mux     *http.ServeMux
	closing chan struct{}
	closed  sync.Once
	bufs    sync.Pool

	// mu guards the organisation and its indexes: requests read under
	// RLock, Update writes under Lock.
	mu  sync.RWMutex
	org *Org
	idx []*repoIndex

	seq      atomic.Int64
	failNext fakeapi.Queue
	faults   fakeapi.Policy // failNext, then Options.Faults

	// lmu guards the rate-limit state, the installation tokens, the log
	// and the counters.
	lmu sync.Mutex
	// windows are the primary rate-limit windows by account (see
	// account): "" when no credential is checked.
	windows map[string]*rateWindow
	// gqlWindows are the GraphQL API's windows, in points.
	gqlWindows map[string]*rateWindow
	// installTokens are the installation tokens issued, with when each
	// expires; issued counts them.
	installTokens map[string]time.Time
	issued        int
	secCount      int64
	secUntil      time.Time
	log           []Request
	logHead       int // index of the oldest entry once the ring is full
	stats         Stats

	ts *httptest.Server
}

// NewServer returns a server over org. The server indexes org at once;
// change org afterwards only through Update.
func NewServer(org *Org, opts Options) *Server {
	if opts.Budget <= 0 {
		opts.Budget = 5000
	}
	if opts.ResetEvery <= 0 {
		opts.ResetEvery = time.Hour
	}
	if opts.SecondaryRetryAfter <= 0 {
		opts.SecondaryRetryAfter = time.Minute
	}
	if opts.SecondaryStatus == 0 {
		opts.SecondaryStatus = http.StatusForbidden
	}
	if opts.LogSize <= 0 {
		opts.LogSize = 100_000
	}
	if opts.GraphQLBudget <= 0 {
		opts.GraphQLBudget = graphqlBudget
	}
	if opts.RunsSearchLimit == 0 {
		opts.RunsSearchLimit = 1000
	}
	if opts.ReleasesListLimit == 0 {
		opts.ReleasesListLimit = 1000
	}
	s := &Server{
		opts:    opts,
		prefix:  strings.TrimSuffix(opts.BaseURLPath, "/"),
		htmlURL: strings.TrimSuffix(opts.HTMLURL, "/"),
		now:     opts.Now,
		closing: make(chan struct{}),
		org:     org,
		stats:   Stats{ByEndpoint: map[string]int64{}},

		windows:       map[string]*rateWindow{},
		gqlWindows:    map[string]*rateWindow{},
		installTokens: map[string]time.Time{},
	}
	if opts.App != nil && opts.App.TokenLife <= 0 {
		a := *opts.App
		a.TokenLife = time.Hour
		s.opts.App = &a
	}
	if s.prefix != "" && !strings.HasPrefix(s.prefix, "/") {
		s.prefix = "/" + s.prefix
	}
	if s.htmlURL == "" {
		s.htmlURL = "https://github.com"
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.faults = fakeapi.First(s.failNext.Next, opts.Faults)
	s.bufs.New = func() any { b := make([]byte, 0, 64<<10); return &b }
	s.reindex()
	s.routes()
	return s
}

// Start serves on a local port (httptest) and returns the API base URL with
// its trailing slash, e.g. http://127.0.0.1:PORT/ or, with BaseURLPath,
// http://127.0.0.1:PORT/api/v3/ — what go-github's BaseURL wants.
func (s *Server) Start() string {
	s.lmu.Lock()
	if s.ts == nil {
		s.ts = httptest.NewServer(s)
	}
	s.lmu.Unlock()
	return s.URL()
}

// URL is the API base URL of a started server ("" before Start).
func (s *Server) URL() string {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	if s.ts == nil {
		return ""
	}
	return s.ts.URL + s.prefix + "/"
}

// Close stops a started server, ending delayed responses at once.
func (s *Server) Close() {
	s.closed.Do(func() { close(s.closing) })
	s.lmu.Lock()
	ts := s.ts
	s.lmu.Unlock()
	if ts != nil {
		ts.Close()
	}
}

// Update changes the organisation while the server runs (a test adding
// the pull requests of "the next sync"), then reindexes it. No request
// sees a half-made change.
func (s *Server) Update(fn func(o *Org)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s.org)
	s.reindex()
}

// FailNext makes the next n requests (past the token check) get the
// fault, before Options.Faults is asked.
func (s *Server) FailNext(f fakeapi.Fault, n int) { s.failNext.Add(f, n) }

// Requests returns a copy of the request log in arrival order (by Seq).
// Entries are logged when a request ends, so concurrent or dropped
// requests can be logged out of order; the copy is sorted back.
func (s *Server) Requests() []Request {
	s.lmu.Lock()
	out := make([]Request, 0, len(s.log))
	out = append(out, s.log[s.logHead:]...)
	out = append(out, s.log[:s.logHead]...)
	s.lmu.Unlock()
	slices.SortFunc(out, func(a, b Request) int { return cmp.Compare(a.Seq, b.Seq) })
	return out
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	st := s.stats
	st.ByEndpoint = make(map[string]int64, len(s.stats.ByEndpoint))
	for k, v := range s.stats.ByEndpoint {
		st.ByEndpoint[k] = v
	}
	return st
}

// ResetLog empties the request log and zeroes the counters; the rate-limit
// state is left alone.
func (s *Server) ResetLog() {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	s.log, s.logHead = nil, 0
	s.stats = Stats{ByEndpoint: map[string]int64{}}
}

// Rate is the primary rate-limit state as the next response would report
// it.
type Rate struct {
	Limit     int
	Remaining int
	Used      int
	Reset     time.Time
}

// Rate returns the current primary rate-limit state of Options.Token's
// user (or of everyone, when the server checks no credential).
func (s *Server) Rate() Rate {
	acct := ""
	if s.checksCredentials() {
		acct = userAccount(1)
	}
	return s.charge(acct, s.now(), false)
}

// RateOf returns the primary rate-limit state of the user or
// installation a credential belongs to: a token of Options.Token or
// Tokens, or an installation token. ok is false for a credential the
// server does not know.
func (s *Server) RateOf(credential string) (r Rate, ok bool) {
	acct, known := s.account(credential)
	if !known {
		return Rate{}, false
	}
	return s.charge(acct, s.now(), false), true
}

// rateWindow is one account's primary rate-limit window.
type rateWindow struct {
	used    int
	resetAt time.Time
}

// chargeOK rolls acct's rate-limit window forward when the clock has
// passed its reset, then takes one request from its budget when take is
// set. ok is false when the budget is spent (nothing is taken then).
func (s *Server) chargeOK(acct string, now time.Time, take bool) (Rate, bool) {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	w := s.windows[acct]
	if w == nil {
		w = &rateWindow{}
		s.windows[acct] = w
	}
	if w.resetAt.IsZero() || !now.Before(w.resetAt) {
		w.used = 0
		w.resetAt = now.Add(s.opts.ResetEvery)
	}
	ok := true
	if take {
		if w.used >= s.opts.Budget {
			ok = false
		} else {
			w.used++
			s.stats.Charged++
		}
	}
	return Rate{Limit: s.opts.Budget, Remaining: s.opts.Budget - w.used, Used: w.used, Reset: w.resetAt}, ok
}

// charge is chargeOK for callers that only want the state.
func (s *Server) charge(acct string, now time.Time, take bool) Rate {
	r, _ := s.chargeOK(acct, now, take)
	return r
}

// secondary reports whether the request hits the secondary rate limit and
// the seconds to tell the client to wait.
func (s *Server) secondary(now time.Time) (bool, int) {
	if s.opts.SecondaryEvery <= 0 {
		return false, 0
	}
	s.lmu.Lock()
	defer s.lmu.Unlock()
	if now.Before(s.secUntil) {
		return true, ceilSeconds(s.secUntil.Sub(now))
	}
	s.secCount++
	if s.secCount%int64(s.opts.SecondaryEvery) != 0 {
		return false, 0
	}
	s.secUntil = now.Add(s.opts.SecondaryRetryAfter)
	return true, ceilSeconds(s.opts.SecondaryRetryAfter)
}

func ceilSeconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}

func (s *Server) record(rec *Request) {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	st := &s.stats
	st.Total++
	st.ByEndpoint[rec.Endpoint]++
	switch {
	case rec.NotModified:
		st.NotModified++
	case rec.RateLimited:
		st.RateLimited++
	case rec.SecondaryLimited:
		st.SecondaryLimited++
	case rec.Status == http.StatusUnauthorized:
		st.Unauthorized++
	case rec.Status == http.StatusNotFound:
		st.NotFound++
	}
	if rec.Fault.Fails() {
		st.Faults++
	}
	if len(s.log) < s.opts.LogSize {
		s.log = append(s.log, *rec)
		return
	}
	s.log[s.logHead] = *rec
	s.logHead = (s.logHead + 1) % len(s.log)
}

// checksCredentials reports whether the server requires a credential.
func (s *Server) checksCredentials() bool {
	return s.opts.Token != "" || len(s.opts.Tokens) > 0 || s.opts.App != nil
}

// authorized checks the credential the way GitHub accepts one and
// returns the account whose budget the request uses.
func (s *Server) authorized(r *http.Request) (acct string, ok bool) {
	if !s.checksCredentials() {
		return "", true
	}
	a := r.Header.Get("Authorization")
	for _, scheme := range []string{"Bearer ", "bearer ", "token ", "Token "} {
		if tok, found := strings.CutPrefix(a, scheme); found {
			return s.account(tok)
		}
	}
	return "", false
}

// account names the user or installation a token belongs to: "user N"
// or "installation N", as GitHub's rate-limit message says. An
// installation token is known until it expires on the server's clock:
// then GitHub answers 401 Bad credentials ("Installation access tokens
// expire one hour from the time you create them",
// https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app-installation).
func (s *Server) account(tok string) (string, bool) {
	if tok == "" {
		return "", false
	}
	if tok == s.opts.Token {
		return userAccount(1), true
	}
	for i, t := range s.opts.Tokens {
		if tok == t {
			return userAccount(i + 2), true
		}
	}
	if s.opts.App == nil {
		return "", false
	}
	s.lmu.Lock()
	exp, found := s.installTokens[tok]
	s.lmu.Unlock()
	if !found || !s.now().Before(exp) {
		return "", false
	}
	return "installation " + strconv.FormatInt(s.opts.App.InstallationID, 10), true
}

func userAccount(n int) string { return "user " + strconv.Itoa(n) }

// ServeHTTP strips BaseURLPath and routes the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == s.graphqlPath() {
		s.serve(w, r, EndpointGraphQL, hGraphQL)
		return
	}
	if s.prefix != "" {
		rest, ok := strings.CutPrefix(r.URL.Path, s.prefix)
		if !ok || !strings.HasPrefix(rest, "/") {
			s.serve(w, r, EndpointUnknown, notFound)
			return
		}
		r2 := r.WithContext(r.Context())
		u := *r.URL
		u.Path = rest
		if u.RawPath != "" {
			u.RawPath = strings.TrimPrefix(u.RawPath, s.prefix)
		}
		r2.URL = &u
		r = r2
	}
	s.mux.ServeHTTP(w, r)
}

// endpoint is a route: the pattern it was registered with names it in the
// log and the counters.
type endpoint struct {
	s    *Server
	name string
	h    handler
}

// ServeHTTP runs the request through the server's pipeline under this
// route's name.
func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.s.serve(w, r, e.name, e.h) }

const (
	docsRoot      = "https://docs.github.com/rest"
	docsRateLimit = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-rate-limits"
	// go-github recognises a secondary limit by this suffix of
	// documentation_url.
	docsSecondary = "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)

// serve is the pipeline every request goes through, in GitHub's order:
// delay, credentials, injected faults, secondary limit, the handler, the
// conditional-request check (a 304 is free), then the primary budget.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, name string, h handler) {
	now := s.now()
	seq := s.seq.Add(1)
	rec := Request{Seq: seq, Time: now, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Endpoint: name}
	// A request is logged just before it is answered, so that a client
	// that asks again as soon as it has an answer (or a closed
	// connection) finds the earlier request in the log. The deferred call
	// logs the requests that end unanswered (a client gone during a
	// delay or a slow fault).
	logged := false
	logNow := func() {
		if !logged {
			logged = true
			s.record(&rec)
		}
	}
	defer logNow()
	hdr := w.Header()
	hdr.Set("Server", "github.com")
	hdr.Set("X-GitHub-Request-Id", strconv.FormatInt(seq, 16)+":FAKE")
	hdr.Set("X-GitHub-Api-Version-Selected", "2022-11-28")
	hdr.Set("X-GitHub-Media-Type", "github.v3; format=json")

	ctx := r.Context()
	if d := s.opts.Latency; d > 0 && !fakeapi.Sleep(ctx, d, s.closing) {
		rec.Status = fakeapi.StatusClientClosed
		return
	}
	free := name == EndpointRateLimit
	acct, ok := s.authorized(r)
	if !ok {
		rec.Status = http.StatusUnauthorized
		s.rateHeaders(hdr, s.charge("", now, false))
		logNow()
		s.writeMessage(w, rec.Status, "Bad credentials", docsRoot)
		return
	}
	rec.Account = acct
	if f := s.faults(seq, r); !f.IsZero() {
		rec.Fault = f
		if f.Delay > 0 && !fakeapi.Sleep(ctx, f.Delay, s.closing) {
			rec.Status = fakeapi.StatusClientClosed
			return
		}
		switch {
		case f.Drop:
			logNow()
			fakeapi.Drop()
		case f.Truncate:
			logNow()
			fakeapi.Cut(w, http.StatusOK, "", cutPage)
		case f.Status != 0:
			rec.Status = f.Status
			msg := http.StatusText(f.Status)
			if f.Status == http.StatusBadGateway {
				msg = "Server Error"
			}
			s.rateHeaders(hdr, s.charge(acct, now, false))
			logNow()
			s.writeMessage(w, rec.Status, msg, "")
			return
		}
	}
	if !free {
		if limited, after := s.secondary(now); limited {
			rec.Status, rec.SecondaryLimited = s.opts.SecondaryStatus, true
			s.rateHeaders(hdr, s.charge(acct, now, false))
			hdr.Set("Retry-After", strconv.Itoa(after))
			logNow()
			s.writeMessage(w, rec.Status, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID "+hdr.Get("X-GitHub-Request-Id")+".", docsSecondary)
			return
		}
	}

	bp := s.bufs.Get().(*[]byte)
	c := &call{s: s, r: r, q: r.URL.Query(), now: now, budget: acct}
	c.w.Reset(*bp)
	c.api = "http://" + r.Host + s.prefix
	if r.TLS != nil {
		c.api = "https://" + r.Host + s.prefix
	}
	status := s.render(c, h)
	body := c.w.Bytes()
	defer func() {
		if cap(body) <= 4<<20 { // let rare huge pages go to the GC
			*bp = body[:0]
			s.bufs.Put(bp)
		}
	}()

	if status == http.StatusOK && name != EndpointGraphQL {
		sum := sha256.Sum256(body)
		etag := `"` + hex.EncodeToString(sum[:16]) + `"`
		hdr.Set("ETag", etag)
		// Set before the 304 check: a 304 carries the Cache-Control and
		// Vary its 200 would (RFC 9110 §15.4.5), as GitHub's do.
		hdr.Set("Cache-Control", "private, max-age=60, s-maxage=60")
		hdr.Set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
		if etagMatch(r.Header.Get("If-None-Match"), etag) {
			rec.Status, rec.NotModified = http.StatusNotModified, true
			s.rateHeaders(hdr, s.charge(acct, now, false))
			logNow()
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	if c.gqlRate != nil {
		// The GraphQL handler charged its points itself; a spent budget
		// is its 200 with a RATE_LIMITED error.
		s.rateHeaders(hdr, *c.gqlRate)
		hdr.Set("X-RateLimit-Resource", "graphql")
		rec.Status = status
		rec.RateLimited = strings.Contains(string(body), `"RATE_LIMITED"`)
		logNow()
		fakeapi.Write(w, status, "", body)
		return
	}
	rate, ok := s.chargeOK(acct, now, !free)
	s.rateHeaders(hdr, rate)
	if !ok {
		rec.Status, rec.RateLimited = http.StatusForbidden, true
		hdr.Del("ETag")
		hdr.Del("Cache-Control")
		hdr.Del("Vary")
		who := strings.Replace(acct, " ", " ID ", 1)
		if acct == "" {
			who = hostOnly(r.RemoteAddr)
		}
		logNow()
		s.writeMessage(w, rec.Status, "API rate limit exceeded for "+who+". If you reach out to GitHub Support for help, please include the request ID "+hdr.Get("X-GitHub-Request-Id")+".", docsRateLimit)
		return
	}
	rec.Status = status
	if c.link != "" {
		hdr.Set("Link", c.link)
	}
	logNow()
	fakeapi.Write(w, status, "", body)
}

func hostOnly(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i > 0 {
		return strings.Trim(addr[:i], "[]")
	}
	return addr
}

// etagMatch applies If-None-Match's weak comparison: a list of tags or *,
// W/ prefixes ignored.
func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

func (s *Server) rateHeaders(h http.Header, r Rate) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(r.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(r.Remaining))
	h.Set("X-RateLimit-Used", strconv.Itoa(r.Used))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(r.Reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
}

// writeMessage answers with GitHub's error document.
func (s *Server) writeMessage(w http.ResponseWriter, status int, msg, docs string) {
	var j fakeapi.JSON
	errorDoc(&j, status, msg, docs)
	fakeapi.Write(w, status, "", j.Bytes())
}

// errorDoc writes GitHub's error document: message, documentation_url
// (left out when docs is "") and status.
func errorDoc(w *fakeapi.JSON, status int, msg, docs string) {
	w.Object()
	w.Key("message").Str(msg)
	if docs != "" {
		w.Key("documentation_url").Str(docs)
	}
	w.Key("status").Str(strconv.Itoa(status))
	w.EndObject()
}

// cutPage is the page a Truncate fault sends half of: the start of a pull
// request listing, so the client fails while decoding it.
var cutPage = []byte(`[{"id":1,"node_id":"PR_kwDOAAABAAAAAQ","url":"https://api.github.com/repos/acme/api/pulls/1","number":1}]`)

// render runs a handler under the read lock, after resolving the
// repository of /repos/{owner}/{repo}/... routes.
func (s *Server) render(c *call, h handler) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c.org = s.org
	if owner := c.r.PathValue("owner"); owner != "" {
		repo := s.org.Repo(c.r.PathValue("repo"))
		if repo == nil || !strings.EqualFold(owner, s.org.Login) {
			return c.notFound()
		}
		c.repo, c.ix = repo, s.idx[repo.ordinal]
		c.rapi = c.api + "/repos/" + repo.Owner + "/" + repo.Name
		c.rhtml = s.htmlURL + "/" + repo.Owner + "/" + repo.Name
	}
	return h(c)
}
