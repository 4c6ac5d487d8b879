package github

import (
	"bytes"
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

// defaultSecondaryWait is how long to wait after a secondary limit that
// gives no Retry-After: GitHub asks for "at least one minute".
const defaultSecondaryWait = time.Minute

// rateLimits holds the rules for GitHub's limits, which the retry layer
// applies before its defaults, and remembers which reset it last logged.
//
// GitHub answers an exhausted primary budget with 403 (sometimes 429) and
// X-RateLimit-Remaining: 0; the budget comes back at X-RateLimit-Reset. A
// secondary limit is a 403 or 429 with Retry-After, or without it but with
// "secondary rate limit" in the message. GitHub's docs order the checks
// that way: Retry-After first, then the reset.
type rateLimits struct {
	log zerolog.Logger
	now func() time.Time

	mu     sync.Mutex
	logged time.Time // the reset last logged, so each is logged once
}

// classify is httpretry's Classify. A 403 that is no limit (no access to
// a repository) gets a zero Decision and is not retried; the defaults
// handle 429s without a hint, 5xx and dropped connections.
func (l *rateLimits) classify(resp *http.Response, err error) httpretry.Decision {
	if err != nil || resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return httpretry.Decision{}
	}
	now := l.now()
	if wait := httpretry.RetryAfter(resp.Header, now); wait > 0 {
		return httpretry.Decision{Retry: true, Wait: wait, Reason: reasonSecondary}
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if secs, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			reset := time.Unix(secs, 0).UTC()
			// The reset is whole seconds; one more keeps the next request
			// from landing just before it on a clock a little behind.
			wait := max(reset.Sub(now)+time.Second, time.Second)
			l.waiting(reset, wait)
			return httpretry.Decision{Retry: true, Wait: wait, Reason: reasonRateLimit}
		}
	}
	if secondaryMessage(resp) {
		return httpretry.Decision{Retry: true, Wait: defaultSecondaryWait, Reason: reasonSecondary}
	}
	return httpretry.Decision{}
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
		l.log.Warn().Str("source", string(doraflow.SourceGitHub)).Time("reset", reset).Dur("wait", wait).
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
