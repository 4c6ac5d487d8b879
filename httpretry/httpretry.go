// Package httpretry provides an http.RoundTripper that retries what an API
// client should retry — 429, 5xx, dropped connections and bodies cut
// short — with bounded, jittered exponential backoff, honours Retry-After,
// lets a source add its own rules (GitHub's rate-limit reset, say), and
// caps the requests in flight. The extractors wrap their API clients'
// transports with it.
package httpretry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// Decision is what to do with a response (or a transport error).
type Decision struct {
	Retry bool
	// Wait, when not zero, is how long to wait before the next attempt,
	// instead of the backoff (a rate-limit reset, a Retry-After).
	Wait time.Duration
	// Reason names the cause in logs and errors, e.g. "HTTP 503".
	Reason string
}

// Transport retries idempotent requests. The zero value is not usable;
// use New.
type Transport struct {
	base        http.RoundTripper
	maxAttempts int
	minBackoff  time.Duration
	maxBackoff  time.Duration
	maxWait     time.Duration
	classify    func(*http.Response, error) Decision
	sleep       func(context.Context, time.Duration) error
	onRetry     func(req *http.Request, attempt int, wait time.Duration, d Decision)
	slots       chan struct{}

	mu  sync.Mutex
	rng *rand.Rand
}

// Options configure a Transport; zero fields take the defaults.
type Options struct {
	Base        http.RoundTripper // default http.DefaultTransport
	MaxAttempts int               // attempts per request in all, default 5
	MinBackoff  time.Duration     // first backoff, default 500ms
	MaxBackoff  time.Duration     // backoff cap, default 30s
	// MaxWait caps one wait asked for by the server (Retry-After, a
	// rate-limit reset); a longer wait fails the request instead. Default 1h.
	MaxWait time.Duration
	// Classify decides about a response or error before the default rules
	// (see Default); return a zero Decision to fall through to them.
	Classify func(*http.Response, error) Decision
	// Sleep waits; tests inject a fake clock. Default: a timer that ends
	// early when ctx does.
	Sleep func(context.Context, time.Duration) error
	// OnRetry is told about every retry, for logs and counters.
	OnRetry func(req *http.Request, attempt int, wait time.Duration, d Decision)
	// MaxInFlight caps concurrent requests through this transport; 0 means
	// no cap.
	MaxInFlight int
	// Seed makes the jitter deterministic in tests; 0 seeds from the clock.
	Seed uint64
}

// New returns a retrying transport.
func New(o Options) *Transport {
	t := &Transport{
		base: o.Base, maxAttempts: o.MaxAttempts, minBackoff: o.MinBackoff, maxBackoff: o.MaxBackoff,
		maxWait: o.MaxWait, classify: o.Classify, sleep: o.Sleep, onRetry: o.OnRetry,
	}
	if t.base == nil {
		t.base = http.DefaultTransport
	}
	if t.maxAttempts <= 0 {
		t.maxAttempts = 5
	}
	if t.minBackoff <= 0 {
		t.minBackoff = 500 * time.Millisecond
	}
	if t.maxBackoff <= 0 {
		t.maxBackoff = 30 * time.Second
	}
	if t.maxWait <= 0 {
		t.maxWait = time.Hour
	}
	if t.sleep == nil {
		t.sleep = Sleep
	}
	if o.MaxInFlight > 0 {
		t.slots = make(chan struct{}, o.MaxInFlight)
	}
	seed := o.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.rng = rand.New(rand.NewPCG(seed, seed>>1|1))
	return t
}

// Sleep waits for d or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// RoundTrip sends req, retrying as the rules say. Only requests that can
// be sent again are retried: GET, HEAD, or any request with GetBody.
//
// The body of a response that is not retried is read whole here, inside
// the loop, and handed on from memory: a connection closed mid-body (an
// unexpected EOF, a reset) is then one more failed attempt, retried like
// a 5xx, instead of an error the API client meets after the retries are
// over. API pages are small, so holding one in memory costs little.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if t.slots != nil {
		select {
		case t.slots <- struct{}{}:
			defer func() { <-t.slots }()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	replayable := req.Body == nil || req.GetBody != nil || req.Method == http.MethodGet || req.Method == http.MethodHead
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r = req.Clone(ctx)
			r.Body = body
		}
		resp, err := t.base.RoundTrip(r)
		d := t.decide(resp, err)
		if !d.Retry && err == nil && replayable {
			if err = readWhole(resp); err != nil {
				resp = nil
				d = Default(nil, err)
				if d.Retry {
					d.Reason = "response body cut short"
				}
			}
		}
		if !d.Retry || !replayable || ctx.Err() != nil {
			return resp, err
		}
		if attempt >= t.maxAttempts {
			if err != nil {
				return nil, &Error{msg: fmt.Sprintf("%s %s: gave up after %d attempts: %v", req.Method, redactedURL(req), attempt, err), err: err}
			}
			return resp, nil
		}
		wait := d.Wait
		if wait == 0 {
			wait = t.backoff(attempt)
		}
		if wait > t.maxWait {
			if err != nil {
				return nil, &Error{msg: fmt.Sprintf("%s %s: %s asks to wait %s, more than the %s allowed: %v", req.Method, redactedURL(req), d.Reason, wait, t.maxWait, err), err: err}
			}
			return resp, nil
		}
		if resp != nil {
			// Drain a little so the connection can be reused.
			_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
			resp.Body.Close()
		}
		if t.onRetry != nil {
			t.onRetry(req, attempt, wait, d)
		}
		if err := t.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// readWhole replaces resp.Body with its content read into memory. On a
// failed read the body is closed and the error, naming what failed, is
// returned: the response is then of no use.
func readWhole(resp *http.Response) error {
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("failed to read response body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return nil
}

// decide applies the source's rules, then the defaults.
func (t *Transport) decide(resp *http.Response, err error) Decision {
	if t.classify != nil {
		if d := t.classify(resp, err); d.Retry || d.Reason != "" {
			return d
		}
	}
	return Default(resp, err)
}

// Default is the rule every API shares: retry transport errors (a dropped
// or reset connection, a timeout), 429 and 5xx other than 501, waiting
// for Retry-After when the server sends one.
func Default(resp *http.Response, err error) Decision {
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return Decision{}
		}
		return Decision{Retry: true, Reason: "connection error"}
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests,
		resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		return Decision{Retry: true, Wait: RetryAfter(resp.Header, time.Now()), Reason: "HTTP " + strconv.Itoa(resp.StatusCode)}
	}
	return Decision{}
}

// RetryAfter reads a Retry-After header (seconds or an HTTP date); 0 when
// absent or unreadable.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

// backoff returns the wait before attempt+1: exponential with full jitter,
// so many clients that failed together do not retry together.
func (t *Transport) backoff(attempt int) time.Duration {
	ceiling := t.minBackoff << min(attempt-1, 20)
	if ceiling > t.maxBackoff || ceiling <= 0 {
		ceiling = t.maxBackoff
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.minBackoff/2 + time.Duration(t.rng.Int64N(int64(ceiling)))
}

// Error is a request the Transport gave up on. Its message names the
// request (the method and the URL without its query) and the last error.
type Error struct {
	msg string
	err error
}

func (e *Error) Error() string { return e.msg }

// Unwrap returns the error of the last attempt.
func (e *Error) Unwrap() error { return e.err }

// Unrepeated returns err without the *url.Error that http.Client puts
// around every transport error when the error inside is the Transport's
// own, which names the request already: otherwise one failure reads
// 'Get "URL?query": GET URL: gave up…', naming the URL twice (and its
// query, which redactedURL leaves out). Any other err is returned as is.
func Unrepeated(err error) error {
	var own *Error
	if ue, ok := err.(*url.Error); ok && errors.As(ue.Err, &own) {
		return ue.Err
	}
	return err
}

// redactedURL is the request URL without its query, which may carry
// credentials for some APIs.
func redactedURL(req *http.Request) string {
	u := *req.URL
	u.RawQuery, u.User = "", nil
	return u.String()
}
