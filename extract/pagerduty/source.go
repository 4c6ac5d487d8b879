// Package pagerduty is doraflow's extractor for PagerDuty incidents: it
// reads the incidents an incident block of method pagerduty matches, from
// the REST API v2 through github.com/PagerDuty/go-pagerduty, and hands them
// on as they are in PagerDuty (service id and name included), for the
// transform step to map to doraflow services.
//
// Two limits of GET /incidents shape the reading: a since/until span may
// not exceed 6 months, and offset+limit may not exceed 10,000; and
// PagerDuty honours since and until only to the day. Read splits its
// range into spans the API accepts, splits any span that holds more
// incidents than offsets can reach at midnights, and reads a day that
// still holds too many service by service, so neither limit is ever hit;
// it keeps only the incidents created in its exact window. Refresh
// re-reads incidents by id, so that one still open at the last sync gets
// its resolution. See README.md for the API calls and their cost.
package pagerduty

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"
	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/httpretry"
	"doraflow/sameorigin"
)

const (
	// defaultMaxRange is the widest span under 6 months on any calendar:
	// PagerDuty refuses a since/until span over "6 months".
	defaultMaxRange = 180 * 24 * time.Hour
	// defaultMaxOffset is PagerDuty's cap on offset+limit.
	defaultMaxOffset = 10_000
	// pageLimit is the largest page PagerDuty serves.
	pageLimit = 100
	// maxBatch bounds the incidents of one sink call, so a loader's insert
	// stays small whatever the window holds.
	maxBatch = 1000
	// minRange is the narrowest MaxRange accepted.
	minRange = time.Minute
	// day is the finest time split of a window: PagerDuty honours since
	// and until only to the day (see reader.split).
	day = 24 * time.Hour
	// headerTimeout bounds the wait for a response's headers, so a server
	// that accepts a connection and never answers counts as a dropped
	// connection (which httpretry retries) instead of hanging a sync.
	headerTimeout = time.Minute
)

// Options configure a Source. BaseURL and Token are required; zero values
// of the others take the defaults noted on each.
type Options struct {
	// BaseURL is the REST API's root: https://api.pagerduty.com, or
	// https://api.eu.pagerduty.com for the EU region.
	BaseURL string
	// Token is the REST API token. It is sent in the Authorization header
	// only, and only to BaseURL's scheme, host and port: a redirect
	// anywhere else is refused. Never logged, never part of an error.
	Token string
	// OAuth says Token is a scoped OAuth token (pagerduty.token_type:
	// bearer), sent as "Authorization: Bearer …" through go-pagerduty's
	// WithOAuth; false sends it as a REST API key, "Token token=…".
	// PagerDuty refuses either in the other's scheme.
	OAuth bool
	// HTTPClient sends the requests. Nil means a client whose transport is
	// httpretry's, retrying 429, 5xx and dropped connections a bounded
	// number of times. A client given here keeps its transport (Sleep is
	// then unused): it should retry on its own. Either way the Source
	// sends through a copy whose transport and redirect policy refuse any
	// origin other than BaseURL's, so the token goes nowhere else.
	HTTPClient *http.Client
	// Base, when set, is the transport under the default client's retry
	// layer, e.g. one that counts requests; nil means a fresh clone of
	// http.DefaultTransport.
	Base http.RoundTripper
	// Sleep waits between retries of the default client; tests inject a
	// fake clock. Nil means a real timer that ends early with ctx.
	Sleep func(context.Context, time.Duration) error
	// Log receives warnings (unknown service ids), retries and one summary
	// line per Read or Refresh. The zero Logger discards everything.
	Log zerolog.Logger
	// MaxRange is the widest since/until span of one request, default 180
	// days (PagerDuty refuses spans over 6 months). At least a minute.
	MaxRange time.Duration
	// MaxOffset caps offset+limit, default 10,000 as PagerDuty does. At
	// least 100, one page.
	MaxOffset int
	// Now is the clock used to time reads in the log; nil means time.Now.
	Now func() time.Time
}

// Source reads incidents from one PagerDuty account. It is safe for
// concurrent use; build it with New.
type Source struct {
	client    *pd.Client
	log       zerolog.Logger
	maxRange  time.Duration
	maxOffset int
	now       func() time.Time

	mu sync.Mutex
	// services caches whether PagerDuty knows a service id, so each id a
	// block names costs one GET /services/{id} per Source.
	services map[string]*serviceCheck
	// warned holds the (block, service id) pairs already warned about, so a
	// daemon syncing every night does not repeat the same warning.
	warned map[[2]string]bool
}

// serviceCheck is the cached answer for one service id. sem is held by the
// one caller asking PagerDuty; checked and exists are read and written only
// while holding it.
type serviceCheck struct {
	sem     chan struct{}
	checked bool
	exists  bool
}

// New returns a Source for the account that opts.Token belongs to.
func New(opts Options) (*Source, error) {
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("pagerduty: base URL %q is not an absolute http(s) URL: use https://api.pagerduty.com or https://api.eu.pagerduty.com", opts.BaseURL)
	}
	if opts.Token == "" {
		return nil, errors.New("pagerduty: no API token: set pagerduty.token")
	}
	s := &Source{
		log:       opts.Log,
		maxRange:  opts.MaxRange,
		maxOffset: opts.MaxOffset,
		now:       opts.Now,
		services:  map[string]*serviceCheck{},
		warned:    map[[2]string]bool{},
	}
	switch {
	case s.maxRange == 0:
		s.maxRange = defaultMaxRange
	case s.maxRange < minRange:
		return nil, fmt.Errorf("pagerduty: MaxRange %s is shorter than %s", s.maxRange, minRange)
	}
	switch {
	case s.maxOffset == 0:
		s.maxOffset = defaultMaxOffset
	case s.maxOffset < pageLimit:
		return nil, fmt.Errorf("pagerduty: MaxOffset %d is smaller than one page of %d", s.maxOffset, pageLimit)
	}
	if s.now == nil {
		s.now = time.Now
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = s.retryingClient(opts.Base, opts.Sleep)
	}
	clientOpts := []pd.ClientOptions{pd.WithAPIEndpoint(strings.TrimRight(opts.BaseURL, "/"))}
	if opts.OAuth {
		clientOpts = append(clientOpts, pd.WithOAuth())
	}
	s.client = pd.NewClient(opts.Token, clientOpts...)
	// go-pagerduty sets Authorization on each request itself (hence ""),
	// and Go's http.Client keeps it on a redirect to the same host name
	// whatever the port or scheme: the guard refuses any redirect or
	// request off the base URL's origin.
	s.client.HTTPClient = guardedClient{sameorigin.Guard(hc, sameorigin.Of(u), "")}
	return s, nil
}

// guardedClient is the HTTP client go-pagerduty calls. go-pagerduty
// flattens a transport error into its own message with %v, so it gets a
// refused redirect as sameorigin's error alone: within http.Client's
// *url.Error, the message would name the target twice.
type guardedClient struct{ *http.Client }

func (c guardedClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.Client.Do(req)
	var refused *sameorigin.Error
	if errors.As(err, &refused) {
		// resp, when there is one, is the redirect, its body closed.
		return nil, refused
	}
	// Nor does a request httpretry gave up on need the *url.Error: its
	// error names the request.
	return resp, httpretry.Unrepeated(err)
}

// retryingClient is the default HTTP client: its own connection pool (so
// a Source shares no state with others) behind httpretry.
func (s *Source) retryingClient(base http.RoundTripper, sleep func(context.Context, time.Duration) error) *http.Client {
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = headerTimeout
		base = t
	}
	log := s.log
	return &http.Client{Transport: httpretry.New(httpretry.Options{
		Base:     base,
		Classify: classifyRateLimit,
		Sleep:    sleep,
		OnRetry: func(req *http.Request, attempt int, wait time.Duration, d httpretry.Decision) {
			log.Info().Str("source", string(doraflow.SourcePagerDuty)).Str("method", req.Method).Str("path", req.URL.Path).
				Int("attempt", attempt).Dur("wait", wait.Round(time.Millisecond)).Str("reason", d.Reason).Msg("retrying PagerDuty request")
		},
	})}
}

// rateLimitFallbackWait is how long a 429 without ratelimit-reset waits.
// PagerDuty may send a 429 without its ratelimit-* headers (issue 17);
// its REST budgets are per minute ("REST API Rate Limits",
// https://support.pagerduty.com/docs/rest-api-rate-limits), so a minute
// outlasts any budget's window, where a short backoff would only spend
// retries on more 429s.
const rateLimitFallbackWait = time.Minute

// classifyRateLimit waits out PagerDuty's rate limit exactly: a 429 says
// when the budget refills in ratelimit-reset (seconds), not in
// Retry-After. Without that header it waits rateLimitFallbackWait, or a
// longer Retry-After. Anything else falls through to httpretry's
// defaults. The decision rests on the status alone: PagerDuty's error
// code for 429 is not documented reliably.
func classifyRateLimit(resp *http.Response, err error) httpretry.Decision {
	if err != nil || resp.StatusCode != http.StatusTooManyRequests {
		return httpretry.Decision{}
	}
	if secs, convErr := strconv.Atoi(resp.Header.Get("ratelimit-reset")); convErr == nil && secs > 0 {
		return httpretry.Decision{Retry: true, Wait: time.Duration(secs) * time.Second, Reason: "HTTP 429"}
	}
	wait := max(rateLimitFallbackWait, httpretry.RetryAfter(resp.Header, time.Now()))
	return httpretry.Decision{Retry: true, Wait: wait, Reason: "HTTP 429 without ratelimit-reset"}
}

// Incident is an incident as PagerDuty has it, before service mapping:
// the transform step maps ServiceID and ServiceName to a doraflow service
// (and its team), so Service and Team of the embedded row stay "".
type Incident struct {
	// Incident holds the PagerDuty id, Source pagerduty, the block's name,
	// created_at, resolved_at (zero while open), title, html_url, the first
	// assignee's name, urgency and priority name ("" without one).
	doraflow.Incident
	// ServiceID is the PagerDuty service id, e.g. PAPI001.
	ServiceID string
	// ServiceName is the PagerDuty service's name, the fallback doraflow
	// service name.
	ServiceName string
	// Status is triggered, acknowledged or resolved.
	Status string
}

// Stats describe one Read or Refresh.
type Stats struct {
	// Requests counts the API calls made (retries inside one call not
	// counted; the retry log line tells those).
	Requests int
	// Incidents counts the incidents handed to the sink.
	Incidents int
	// Windows counts the since/until windows paged through to the end,
	// after any splitting.
	Windows int
	// Missing lists the ids Refresh asked for that PagerDuty answered 404
	// for: deleted upstream. Their facts stay in doraflow. (A merged
	// incident is not deleted: it comes back with MergedInto set.)
	Missing []string
	// UnknownServices lists the block's service ids PagerDuty does not
	// know; Read reads the others.
	UnknownServices []string
}

// toIncident converts PagerDuty's document into the extractor's row.
func toIncident(block string, in pd.Incident) (Incident, error) {
	created, err := parseTime(in.CreatedAt)
	if err != nil {
		return Incident{}, fmt.Errorf("incident %s: created_at: %w", in.ID, err)
	}
	// resolved_at is the resolution; PagerDuty leaves it out of some
	// documents, where last_status_change_at of a resolved incident is the
	// same instant.
	at := in.ResolvedAt
	if at == "" && in.Status == "resolved" {
		at = in.LastStatusChangeAt
	}
	var resolved time.Time
	if at != "" {
		if resolved, err = parseTime(at); err != nil {
			return Incident{}, fmt.Errorf("incident %s: resolved_at: %w", in.ID, err)
		}
	}
	title := in.Title
	if title == "" {
		title = in.Summary
	}
	var assignee string
	if len(in.Assignments) > 0 {
		assignee = in.Assignments[0].Assignee.Summary
	}
	return Incident{
		Incident: doraflow.Incident{
			ID:         in.ID,
			Source:     doraflow.SourcePagerDuty,
			Block:      block,
			CreatedAt:  created,
			ResolvedAt: resolved,
			Title:      title,
			URL:        in.HTMLURL,
			Assignee:   assignee,
			Urgency:    in.Urgency,
			Priority:   priorityName(in),
			MergedInto: mergedInto(in),
		},
		ServiceID:   in.Service.ID,
		ServiceName: in.Service.Summary,
		Status:      in.Status,
	}, nil
}

// mergeResolveReason is the resolve_reason type of an incident merged into
// another, the only type PagerDuty documents (the incident object's
// resolve_reason, https://developer.pagerduty.com/api-reference/).
const mergeResolveReason = "merge_resolve_reason"

// mergedInto returns the id of the incident in was merged into, "" when it
// was not merged. A merged incident stays in GET /incidents, resolved at
// the merge: docs/metrics.md makes it part of the incident it was merged into.
func mergedInto(in pd.Incident) string {
	if in.ResolveReason.Type != mergeResolveReason {
		return ""
	}
	return in.ResolveReason.Incident.ID
}

// parseTime reads PagerDuty's ISO 8601 times (with an offset, as the API
// always renders them) into UTC.
func parseTime(v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", v)
	}
	return t.UTC(), nil
}

// batcher hands incidents to a sink in batches of at most maxBatch. Each
// batch is a fresh slice, so a sink may keep it.
type batcher struct {
	sink      func(context.Context, []Incident) error
	buf       []Incident
	delivered int
}

func (b *batcher) add(ctx context.Context, in Incident) error {
	b.buf = append(b.buf, in)
	if len(b.buf) < maxBatch {
		return nil
	}
	return b.flush(ctx)
}

// flush delivers what is buffered. A sink's error is the caller's own (a
// loader's, say) and is returned as is.
func (b *batcher) flush(ctx context.Context) error {
	if len(b.buf) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pagerduty: delivering incidents: %w", err)
	}
	batch := b.buf
	b.buf = nil
	if err := b.sink(ctx, batch); err != nil {
		return err
	}
	b.delivered += len(batch)
	return nil
}

// serviceExists reports whether PagerDuty knows the service id, asking
// GET /services/{id} the first time only. Concurrent callers for the same
// id wait for the first one's answer rather than asking again.
func (s *Source) serviceExists(ctx context.Context, id string, st *Stats) (bool, error) {
	s.mu.Lock()
	c := s.services[id]
	if c == nil {
		c = &serviceCheck{sem: make(chan struct{}, 1)}
		s.services[id] = c
	}
	s.mu.Unlock()
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return false, callError(ctx, "GET /services/"+id, ctx.Err())
	}
	defer func() { <-c.sem }()
	if c.checked {
		return c.exists, nil
	}
	st.Requests++
	_, err := s.client.GetServiceWithContext(ctx, url.PathEscape(id), &pd.GetServiceOptions{})
	switch {
	case err == nil:
		c.checked, c.exists = true, true
	case httpStatus(err) == http.StatusNotFound && ctx.Err() == nil:
		c.checked, c.exists = true, false
	default:
		// Not cached: a failure says nothing about the service.
		return false, callError(ctx, "GET /services/"+id, err)
	}
	return c.exists, nil
}

// firstWarning reports whether the (block, service id) pair has not been
// warned about yet by this Source, and marks it.
func (s *Source) firstWarning(block, serviceID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := [2]string{block, serviceID}
	if s.warned[k] {
		return false
	}
	s.warned[k] = true
	return true
}
