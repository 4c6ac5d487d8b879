package github

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// limitClock is a clock the waits of rateLimits advance.
type limitClock struct {
	now   time.Time
	waits []time.Duration
}

func (c *limitClock) Now() time.Time { return c.now }

func (c *limitClock) Sleep(_ context.Context, d time.Duration) error {
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	return nil
}

// limited is a GitHub answer: status, headers ("K: V" pairs), body.
func limited(status int, body string, headers ...string) *http.Response {
	h := http.Header{}
	for _, kv := range headers {
		k, v, _ := strings.Cut(kv, ": ")
		h.Set(k, v)
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body))}
}

const secondaryBody = `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}`

// TestSecondaryLimitWaits follows GitHub's order ("Rate limits for the REST
// API", "Exceeding the rate limit"): retry-after when given, else the reset
// when nothing remains, else a minute, doubled for each hit in a row, and
// a minute again once calm.
func TestSecondaryLimitWaits(t *testing.T) {
	start := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	reset := strconv.FormatInt(start.Add(90*time.Second).Unix(), 10)
	for _, tc := range []struct {
		name  string
		resps []*http.Response // in a row, a second apart
		want  []time.Duration  // the decisions' waits; 0 means not retried here
	}{
		{"403 with retry-after", []*http.Response{limited(403, secondaryBody, "Retry-After: 30")}, []time.Duration{30 * time.Second}},
		{"429 with retry-after", []*http.Response{limited(429, "", "Retry-After: 7")}, []time.Duration{7 * time.Second}},
		{"429, nothing remaining: the reset", []*http.Response{limited(429, "", "X-RateLimit-Remaining: 0", "X-RateLimit-Reset: "+reset)}, []time.Duration{91 * time.Second}},
		{"403, the message only: a minute, doubling", []*http.Response{
			limited(403, secondaryBody), limited(403, secondaryBody), limited(403, secondaryBody), limited(403, secondaryBody)},
			[]time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute}},
		{"429 without a hint: a minute", []*http.Response{limited(429, `{"message":"Too Many Requests"}`)}, []time.Duration{time.Minute}},
		{"403 without a limit: no retry here", []*http.Response{limited(403, `{"message":"Resource not accessible by integration"}`)}, []time.Duration{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &limitClock{now: start}
			l := newRateLimits(zerolog.Nop(), clk.Now, clk.Sleep, nil)
			for i, resp := range tc.resps {
				d := l.classify(resp, nil)
				if d.Wait != tc.want[i] || d.Retry != (tc.want[i] != 0) {
					t.Errorf("answer %d: retry %v wait %s, want %s", i+1, d.Retry, d.Wait, tc.want[i])
				}
				clk.now = clk.now.Add(time.Second)
			}
		})
	}
	t.Run("calm again after the serial period: a minute", func(t *testing.T) {
		clk := &limitClock{now: start}
		l := newRateLimits(zerolog.Nop(), clk.Now, clk.Sleep, nil)
		l.classify(limited(403, secondaryBody), nil)
		l.classify(limited(403, secondaryBody), nil)
		clk.now = clk.now.Add(2*time.Minute + serialAfter + time.Second)
		if d := l.classify(limited(403, secondaryBody), nil); d.Wait != time.Minute {
			t.Errorf("wait %s after a calm spell, want a minute", d.Wait)
		}
	})
}

// slotProbe is the transport under rateLimits: it records, per request,
// whether the serial slot was held while it was sent.
type slotProbe struct {
	l    *rateLimits
	held []bool
}

func (p *slotProbe) RoundTrip(*http.Request) (*http.Response, error) {
	p.held = append(p.held, len(p.l.one) == 1)
	return limited(200, "{}"), nil
}

// TestSecondaryLimitHoldsAndSerialises checks that after a secondary limit
// no request leaves before its wait ends, and requests then hold the one
// serial slot until serialAfter has passed.
func TestSecondaryLimitHoldsAndSerialises(t *testing.T) {
	start := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	clk := &limitClock{now: start}
	probe := &slotProbe{}
	l := newRateLimits(zerolog.Nop(), clk.Now, clk.Sleep, probe)
	probe.l = l
	send := func() {
		t.Helper()
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://api.example/x", nil)
		if _, err := l.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
	}
	send() // before any limit: concurrent
	l.classify(limited(403, secondaryBody, "Retry-After: 45"), nil)
	send() // held for 45s, then alone
	clk.now = clk.now.Add(serialAfter - time.Second)
	send() // still alone
	clk.now = clk.now.Add(2 * time.Second)
	send() // concurrent again
	if want := []bool{false, true, true, false}; !slices.Equal(probe.held, want) {
		t.Errorf("serial slot held per request %v, want %v", probe.held, want)
	}
	if len(clk.waits) != 1 || clk.waits[0] != 45*time.Second {
		t.Errorf("waits %v, want one of 45s before the request after the limit", clk.waits)
	}
}
