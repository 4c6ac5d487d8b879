package github

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/httpretry"
)

// Reasons the retry layer reports for GitHub's limits.
const (
	reasonRateLimit = "rate limit"
	reasonSecondary = "secondary rate limit"
)

// Secondary limits. GitHub's docs ("Rate limits for the REST API",
// "Exceeding the rate limit" and "Best practices") say: a secondary limit
// answers 403 or 429; with retry-after, wait that long; else, with
// x-ratelimit-remaining 0, wait until x-ratelimit-reset; else wait at
// least a minute, exponentially longer while it keeps failing; and make
// requests serially, not concurrently, to avoid it.
const (
	// minSecondaryWait is the first wait after a secondary limit that
	// names none; each hit in a row doubles it, up to maxSecondaryWait.
	minSecondaryWait = time.Minute
	maxSecondaryWait = time.Hour
	// serialAfter is how long requests stay serial after the wait of a
	// secondary limit ends; a hit after that starts a new streak.
	serialAfter = 10 * time.Minute
)

// rateLimits holds the rules for GitHub's limits, which the retry layer
// applies before its defaults, remembers which reset it last logged, and,
// after a secondary limit, holds every request back until its wait ends
// and lets them through one at a time for a while (its RoundTrip, a layer
// under the retry layer).
//
// GitHub answers an exhausted primary budget with 403 (sometimes 429) and
// X-RateLimit-Remaining: 0; the budget comes back at X-RateLimit-Reset. A
// secondary limit is a 403 or 429 with Retry-After, or without it but with
// "secondary rate limit" in the message; a 429 is always a limit. GitHub's
// docs order the checks that way: Retry-After first, then the reset, then
// a minute or more.
type rateLimits struct {
	log   zerolog.Logger
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
	next  http.RoundTripper
	one   chan struct{} // the one slot of serial mode

	mu     sync.Mutex
	logged time.Time // the reset last logged, so each is logged once
	// notBefore holds requests back until a secondary limit's wait ends;
	// serialUntil keeps them serial until then; hits counts the secondary
	// limits in a row, for the doubling waits.
	notBefore, serialUntil time.Time
	hits                   int
}

// newRateLimits returns the rules, with next the transport under them.
func newRateLimits(log zerolog.Logger, now func() time.Time, sleep func(context.Context, time.Duration) error, next http.RoundTripper) *rateLimits {
	if sleep == nil {
		sleep = httpretry.Sleep
	}
	return &rateLimits{log: log, now: now, sleep: sleep, next: next, one: make(chan struct{}, 1)}
}

// classify is httpretry's Classify. A 403 that is no limit (no access to
// a repository) gets a zero Decision and is not retried; the defaults
// handle 5xx and dropped connections.
func (l *rateLimits) classify(resp *http.Response, err error) httpretry.Decision {
	// A failure to sign in is final: repeating it changes nothing, and
	// the token request had its own retries.
	var signInErr *signInError
	if errors.As(err, &signInErr) {
		return httpretry.Decision{Reason: "sign-in"}
	}
	if err != nil || resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return httpretry.Decision{}
	}
	now := l.now()
	secondary := secondaryMessage(resp)
	if wait := httpretry.RetryAfter(resp.Header, now); wait > 0 {
		l.secondary(now, wait)
		return httpretry.Decision{Retry: true, Wait: wait, Reason: reasonSecondary}
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if secs, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			reset := time.Unix(secs, 0).UTC()
			// The reset is whole seconds; one more keeps the next request
			// from landing just before it on a clock a little behind.
			wait := max(reset.Sub(now)+time.Second, time.Second)
			if secondary {
				l.secondary(now, wait)
			}
			l.waiting(reset, wait)
			return httpretry.Decision{Retry: true, Wait: wait, Reason: reasonRateLimit}
		}
	}
	if secondary || resp.StatusCode == http.StatusTooManyRequests {
		return httpretry.Decision{Retry: true, Wait: l.secondary(now, 0), Reason: reasonSecondary}
	}
	return httpretry.Decision{}
}

// secondary notes a secondary limit met at now: requests wait until wait
// has passed (0: a minute, doubled for each hit in a row) and then go one
// at a time for serialAfter. It returns the wait.
func (l *rateLimits) secondary(now time.Time, wait time.Duration) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.After(l.serialUntil) {
		l.hits = 0 // calm since the last streak
	}
	l.hits++
	if wait == 0 {
		wait = min(minSecondaryWait<<min(l.hits-1, 10), maxSecondaryWait)
	}
	if end := now.Add(wait); end.After(l.notBefore) {
		l.notBefore = end
	}
	if until := now.Add(wait + serialAfter); until.After(l.serialUntil) {
		l.serialUntil = until
	}
	return wait
}

// RoundTrip sends req once the wait of a secondary limit has passed, alone
// while requests are serial.
func (l *rateLimits) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	l.mu.Lock()
	notBefore, serialUntil := l.notBefore, l.serialUntil
	l.mu.Unlock()
	now := l.now()
	if wait := notBefore.Sub(now); wait > 0 {
		if err := l.sleep(ctx, wait); err != nil {
			return nil, err
		}
		now = l.now()
	}
	if now.Before(serialUntil) {
		select {
		case l.one <- struct{}{}:
			defer func() { <-l.one }()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return l.next.RoundTrip(req)
}

// waiting logs a wait for a reset, once per reset: every request in
// flight meets the same exhausted budget.
func (l *rateLimits) waiting(reset time.Time, wait time.Duration) {
	l.mu.Lock()
	first := !reset.Equal(l.logged)
	if first {
		l.logged = reset
	}
	l.mu.Unlock()
	if first {
		l.log.Warn().Str("source", string(doraflow.SourceGitHub)).Time("reset", reset).Dur("wait", wait.Round(time.Millisecond)).
			Msg("GitHub API rate limit exhausted: waiting for the reset")
	}
}

// secondaryMessage reports whether an error document speaks of the
// secondary limit. The body was read whole by wire, so it can be read
// here and put back for go-github.
func secondaryMessage(resp *http.Response) bool {
	if resp.Body == nil {
		return false
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return strings.Contains(strings.ToLower(string(body)), "secondary rate limit")
}
