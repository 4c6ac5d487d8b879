package pagerdutyfake

import (
	"crypto/subtle"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"doraflow/internal/fakeapi"
)

// DefaultToken is the API token a server accepts when Options.Token is empty.
const DefaultToken = "pagerdutyfake-token"

// Endpoint names, as they appear in Request.Endpoint and Stats.ByEndpoint.
const (
	EndpointListIncidents  = "GET /incidents"
	EndpointGetIncident    = "GET /incidents/{id}"
	EndpointListServices   = "GET /services"
	EndpointGetService     = "GET /services/{id}"
	EndpointListTeams      = "GET /teams"
	EndpointGetTeam        = "GET /teams/{id}"
	EndpointListPriorities = "GET /priorities"
	EndpointMergeIncidents = "PUT /incidents/{id}/merge"
	EndpointUnknown        = "unknown"
)

// Options configures a Server. The zero value gives a well-behaved server
// that accepts DefaultToken, like PagerDuty on a good day.
type Options struct {
	// Token is the REST API key the server accepts, in
	// "Authorization: Token token=<Token>" only. Empty means DefaultToken.
	Token string
	// OAuthToken is a scoped OAuth token the server accepts, in
	// "Authorization: Bearer <OAuthToken>" only; empty accepts none.
	// PagerDuty documents the two schemes apart (REST API
	// "Authentication", PagerDuty/developer-docs
	// docs/REST-API/02-Authentication.md: API keys as "Token token=",
	// OAuth access tokens as "Bearer"), so a credential sent in the
	// other's scheme gets the 401 a wrong token gets.
	OAuthToken string
	// JSONAuthError makes a 401 carry PagerDuty's documented JSON error
	// ({"error":{"message":"Authentication failed","code":2006}}). By default
	// the 401 is text/plain, as the live API has been observed to answer
	// (go-pagerduty issues #469 and #553): clients must classify it by
	// status, not by error code.
	JSONAuthError bool
	// Now is the server's clock, used for the default since/until window
	// and the rate-limit windows. Nil means time.Now.
	Now func() time.Time
	// Subdomain is the account's subdomain in html_url links
	// ("https://<Subdomain>.pagerduty.com/incidents/<id>"). Empty means
	// "doraflow".
	Subdomain string
	// TimeZone is the account's time zone: the zone results are rendered in
	// when a request has no time_zone, and the zone of since/until values
	// that carry no offset. Empty means UTC.
	TimeZone string
	// MaxRange is the widest since/until span GET /incidents accepts; a
	// wider one is refused with 400, code 2001. Zero means 180 days:
	// PagerDuty documents "6 months", and 180 days is the widest span that
	// is under 6 months whatever the calendar.
	MaxRange time.Duration
	// DefaultRange is the window GET /incidents reads when since, until or
	// both are missing (and date_range is not "all"): the last DefaultRange
	// before now, the DefaultRange after since, or the DefaultRange before
	// until. Zero means 30 days, PagerDuty's documented default.
	DefaultRange time.Duration
	// ExactTimes makes GET /incidents honour since and until to the
	// second. By default the fake widens them to whole UTC days, since to
	// the midnight before it and until to the midnight after it (unless
	// already midnight), and returns every incident in those days: a
	// PagerDuty user reports that /incidents honours since and until only
	// to the day ("only honours the date part of since and until",
	// PagerDuty/pagerduty-mcp-server#47). A client must keep what lies
	// outside its exact window out itself, and cannot split a window
	// finer than a day to get under the offset cap.
	ExactTimes bool
	// MaxOffset caps classic pagination: a request whose offset+limit
	// exceeds it is refused with 400, code 2002. Zero means 10,000, as
	// PagerDuty.
	MaxOffset int
	// RateLimit is the number of requests allowed per RateWindow; the next
	// ones get 429 until the window ends. Zero means no limit. When set,
	// every authenticated response carries ratelimit-limit,
	// ratelimit-remaining and ratelimit-reset headers, as PagerDuty's do.
	RateLimit int
	// RateWindow is the length of a rate-limit window, aligned to multiples
	// of itself on the Now clock. Zero means one minute.
	RateWindow time.Duration
	// Latency delays every response by this much (ending early when the
	// client gives up).
	Latency time.Duration
	// Faults decides which requests fail and how; nil means none. Faults
	// apply before authentication, as at PagerDuty's edge: a Status fault
	// answers 500 with PagerDuty's JSON error (code 2000), 502/503/504 with
	// an HTML page as PagerDuty's edge sends, 408 with code 2016, anything
	// else with a JSON error of code 2000; Truncate serves the request and
	// cuts its body.
	Faults fakeapi.Policy
}

// Request is one entry of the server's request log.
type Request struct {
	Seq       int64         // number of the request on this server, from 1
	At        time.Time     // when it arrived, on the Now clock
	Method    string        // HTTP method
	Path      string        // URL path, e.g. "/incidents"
	Query     url.Values    // decoded query string (keys keep their "[]")
	Endpoint  string        // one of the Endpoint constants
	Accept    string        // Accept header the client sent
	UserAgent string        // User-Agent header the client sent
	Status    int           // status sent; 0 when the connection was dropped, 499 when the client went away first
	Fault     fakeapi.Fault // the injected fault, zero for none
}

// Stats counts the requests a server has seen since it started or was last
// reset.
type Stats struct {
	Total       int            // all requests
	ByEndpoint  map[string]int // by Endpoint constant
	ByStatus    map[int]int    // by status sent (0: dropped, 499: client went away)
	Faults      int            // requests that got an injected fault
	RateLimited int            // requests refused with 429
}

// Server is a fake PagerDuty REST API v2 over a Data. It is an http.Handler;
// Start runs it on a local httptest server. Safe for concurrent use.
type Server struct {
	data *Data
	opts Options
	loc  *time.Location
	web  string

	seq atomic.Int64

	mu          sync.Mutex
	log         []Request
	stats       Stats
	windowStart time.Time
	windowCount int

	ts *httptest.Server
}

// NewServer returns a server over d with the given options. It panics when
// Options.TimeZone is not a time zone name Go knows, a programming error.
func NewServer(d *Data, opts Options) *Server {
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Subdomain == "" {
		opts.Subdomain = "doraflow"
	}
	if opts.MaxRange <= 0 {
		opts.MaxRange = 180 * day
	}
	if opts.DefaultRange <= 0 {
		opts.DefaultRange = 30 * day
	}
	if opts.MaxOffset <= 0 {
		opts.MaxOffset = 10_000
	}
	if opts.RateWindow <= 0 {
		opts.RateWindow = time.Minute
	}
	loc := time.UTC
	if opts.TimeZone != "" {
		l, err := time.LoadLocation(opts.TimeZone)
		if err != nil {
			panic(fmt.Sprintf("pagerdutyfake: Options.TimeZone %q: %v", opts.TimeZone, err))
		}
		loc = l
	}
	s := &Server{data: d, opts: opts, loc: loc, web: "https://" + opts.Subdomain + ".pagerduty.com"}
	s.stats = newStats()
	return s
}

func newStats() Stats {
	return Stats{ByEndpoint: map[string]int{}, ByStatus: map[int]int{}}
}

// Start serves the API on a new local httptest server. Calling it again
// does nothing.
func (s *Server) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ts == nil {
		s.ts = httptest.NewServer(s)
	}
}

// URL is the base URL of the started server (for
// pagerduty.WithAPIEndpoint), or "" before Start.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ts == nil {
		return ""
	}
	return s.ts.URL
}

// HTTPClient returns an *http.Client for the started server, whose idle
// connections Close shuts; nil before Start.
func (s *Server) HTTPClient() *http.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ts == nil {
		return nil
	}
	return s.ts.Client()
}

// Close shuts the started server down, waiting for requests in flight. It
// is safe to call more than once, and without Start.
func (s *Server) Close() {
	s.mu.Lock()
	ts := s.ts
	s.mu.Unlock()
	if ts != nil {
		ts.Close()
	}
}

// Requests returns a copy of the request log, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.log))
	for i, r := range s.log {
		r.Query = cloneValues(r.Query)
		out[i] = r
	}
	slices.SortFunc(out, func(a, b Request) int { return int(a.Seq - b.Seq) })
	return out
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.ByEndpoint = maps.Clone(s.stats.ByEndpoint)
	st.ByStatus = maps.Clone(s.stats.ByStatus)
	return st
}

// Reset clears the request log, the counters and the rate-limit window, and
// numbers requests from 1 again.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
	s.stats = newStats()
	s.windowStart = time.Time{}
	s.windowCount = 0
	s.seq.Store(0)
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// response is what a handler produces; ServeHTTP writes it.
type response struct {
	status      int
	body        []byte
	contentType string // default application/json; charset=utf-8
}

func jsonResponse(status int, body []byte) response {
	return response{status: status, body: body}
}

// Canonical PagerDuty errors.
func errInvalidInput(errs ...string) response {
	return jsonResponse(http.StatusBadRequest, errorBody(2001, "Invalid Input Provided", errs))
}

func errArguments(errs ...string) response {
	return jsonResponse(http.StatusBadRequest, errorBody(2002, "Arguments Caused Error", errs))
}

func errNotFound() response {
	return jsonResponse(http.StatusNotFound, errorBody(2100, "Not Found", nil))
}

// ServeHTTP answers one API request: faults and latency first (they happen
// at PagerDuty's edge), then authentication, the rate limit, and the
// endpoint itself.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	seq := s.seq.Add(1)
	endpoint, id := route(r.Method, r.URL.Path)
	if endpoint != EndpointUnknown && endpoint != EndpointMergeIncidents && r.Method != http.MethodGet {
		endpoint = r.Method + strings.TrimPrefix(endpoint, http.MethodGet)
	}
	rec := Request{
		Seq:       seq,
		At:        s.opts.Now(),
		Method:    r.Method,
		Path:      r.URL.Path,
		Query:     r.URL.Query(),
		Endpoint:  endpoint,
		Accept:    r.Header.Get("Accept"),
		UserAgent: r.Header.Get("User-Agent"),
	}
	// Recorded even when a fault aborts the handler with a panic.
	defer s.record(&rec)

	ctx := r.Context()
	if !fakeapi.Sleep(ctx, s.opts.Latency, nil) {
		rec.Status = fakeapi.StatusClientClosed
		return
	}
	var f fakeapi.Fault
	if s.opts.Faults != nil {
		f = s.opts.Faults(seq, r)
	}
	rec.Fault = f
	if !fakeapi.Sleep(ctx, f.Delay, nil) {
		rec.Status = fakeapi.StatusClientClosed
		return
	}
	if f.Drop {
		rec.Status = 0
		fakeapi.Drop()
	}
	if f.Status != 0 {
		rec.Status = f.Status
		s.write(w, seq, faultResponse(f.Status), false)
		return
	}
	if !s.authorized(r) {
		rec.Status = http.StatusUnauthorized
		s.write(w, seq, s.unauthorized(), false)
		return
	}
	if s.opts.RateLimit > 0 {
		limited := s.rateHeaders(w.Header(), rec.At)
		if limited {
			s.mu.Lock()
			s.stats.RateLimited++
			s.mu.Unlock()
			rec.Status = http.StatusTooManyRequests
			s.write(w, seq, jsonResponse(http.StatusTooManyRequests, errorBody(2020, "Rate Limit Exceeded", nil)), false)
			return
		}
	}
	var resp response
	switch {
	case endpoint == EndpointUnknown:
		resp = errNotFound()
	case endpoint == EndpointMergeIncidents:
		resp = s.mergeIncidents(r, id, rec.At)
	case r.Method != http.MethodGet:
		w.Header().Set("Allow", http.MethodGet)
		resp = jsonResponse(http.StatusMethodNotAllowed, errorBody(2100, "Method Not Allowed", []string{"The fake PagerDuty API is read-only."}))
	default:
		resp = s.dispatch(r, endpoint, id)
	}
	rec.Status = resp.status
	s.write(w, seq, resp, f.Truncate)
}

// route maps a request's method and URL path to its endpoint name and the
// id in it, if any.
func route(method, path string) (endpoint, id string) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) == 1:
		switch parts[0] {
		case "incidents":
			return EndpointListIncidents, ""
		case "services":
			return EndpointListServices, ""
		case "teams":
			return EndpointListTeams, ""
		case "priorities":
			return EndpointListPriorities, ""
		}
	case len(parts) == 3 && parts[0] == "incidents" && parts[1] != "" && parts[2] == "merge" && method == http.MethodPut:
		return EndpointMergeIncidents, parts[1]
	case len(parts) == 2 && parts[1] != "":
		switch parts[0] {
		case "incidents":
			return EndpointGetIncident, parts[1]
		case "services":
			return EndpointGetService, parts[1]
		case "teams":
			return EndpointGetTeam, parts[1]
		}
	}
	return EndpointUnknown, ""
}

func (s *Server) dispatch(r *http.Request, endpoint, id string) response {
	v, bad := s.newView(r)
	if bad != nil {
		return *bad
	}
	switch endpoint {
	case EndpointListIncidents:
		return s.listIncidents(r, v)
	case EndpointGetIncident:
		return s.getIncident(id, v)
	case EndpointListServices:
		return s.listServices(r, v)
	case EndpointGetService:
		return s.getService(id, v)
	case EndpointListTeams:
		return s.listTeams(r, v)
	case EndpointGetTeam:
		return s.getTeam(id, v)
	case EndpointListPriorities:
		return s.listPriorities(r, v)
	}
	return errNotFound()
}

// write sends resp. With truncate, it announces the whole body but sends
// half of it and drops the connection.
func (s *Server) write(w http.ResponseWriter, seq int64, resp response, truncate bool) {
	w.Header().Set("X-Request-Id", "pdfake-"+strconv.FormatInt(seq, 10))
	if truncate {
		fakeapi.Cut(w, resp.status, resp.contentType, resp.body) // does not return
	}
	fakeapi.Write(w, resp.status, resp.contentType, resp.body)
}

func (s *Server) record(rec *Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, *rec)
	s.stats.Total++
	s.stats.ByEndpoint[rec.Endpoint]++
	s.stats.ByStatus[rec.Status]++
	if !rec.Fault.IsZero() {
		s.stats.Faults++
	}
}

// authorized checks the Authorization header: the API key in the Token
// scheme, the OAuth token in the Bearer scheme.
func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	var got, want string
	switch {
	case strings.HasPrefix(h, "Token token="):
		got, want = strings.Trim(strings.TrimPrefix(h, "Token token="), `"`), s.opts.Token
	case strings.HasPrefix(h, "Bearer "):
		got, want = strings.TrimPrefix(h, "Bearer "), s.opts.OAuthToken
	}
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func (s *Server) unauthorized() response {
	body := errorBody(2006, "Authentication failed", nil)
	if s.opts.JSONAuthError {
		return jsonResponse(http.StatusUnauthorized, body)
	}
	return response{status: http.StatusUnauthorized, body: []byte("401 Unauthorized\n"), contentType: "text/plain; charset=utf-8"}
}

// rateHeaders counts the request against the current window, sets the
// ratelimit-* headers and reports whether the request is over the limit.
func (s *Server) rateHeaders(h http.Header, now time.Time) (limited bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	start := now.Truncate(s.opts.RateWindow)
	if !start.Equal(s.windowStart) {
		s.windowStart, s.windowCount = start, 0
	}
	s.windowCount++
	remaining := max(s.opts.RateLimit-s.windowCount, 0)
	reset := start.Add(s.opts.RateWindow).Sub(now)
	secs := int64((reset + time.Second - 1) / time.Second)
	h.Set("ratelimit-limit", strconv.Itoa(s.opts.RateLimit))
	h.Set("ratelimit-remaining", strconv.Itoa(remaining))
	h.Set("ratelimit-reset", strconv.FormatInt(max(secs, 1), 10))
	return s.windowCount > s.opts.RateLimit
}

// faultResponse is the answer to an injected status.
func faultResponse(status int) response {
	switch status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		text := strconv.Itoa(status) + " " + http.StatusText(status)
		return response{
			status:      status,
			body:        []byte("<html><head><title>" + text + "</title></head><body><center><h1>" + text + "</h1></center></body></html>\n"),
			contentType: "text/html",
		}
	case http.StatusRequestTimeout:
		return jsonResponse(status, errorBody(2016, "The request took too long to process", nil))
	case http.StatusInternalServerError:
		return jsonResponse(status, errorBody(2000, "An internal error has occurred. PagerDuty team has been notified.", nil))
	}
	return jsonResponse(status, errorBody(2000, http.StatusText(status), nil))
}
