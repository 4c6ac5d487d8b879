package githubfake

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
	"github.com/jonboulle/clockwork"

	"doraflow/internal/fakeapi"
)

// conditionalGet asks for path with If-None-Match set (when etag is
// non-empty), the way a caching extractor would with go-github.
func conditionalGet(t *testing.T, gh *github.Client, path, etag string) (*github.Response, error) {
	t.Helper()
	req, err := gh.NewRequest("GET", path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	var v any
	return gh.Do(context.Background(), req, &v)
}

func TestETagNotModifiedIsFree(t *testing.T) {
	f := newFixture(t)
	s, gh := serve(t, f.org, Options{Budget: 10})
	resp, err := conditionalGet(t, gh, "repos/acme/api/pulls?state=all", "")
	if err != nil {
		t.Fatal(err)
	}
	etag := resp.Header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) || resp.Rate.Remaining != 9 || resp.Rate.Limit != 10 {
		t.Fatalf("first response: ETag %s, rate %+v", etag, resp.Rate)
	}
	for _, tc := range []struct {
		name   string
		header string
	}{
		{"same tag", etag},
		{"weak form of the tag", "W/" + etag},
		{"one of a list", `"other", ` + etag},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := conditionalGet(t, gh, "repos/acme/api/pulls?state=all", tc.header)
			// go-github reports a 304 as an *ErrorResponse; the response
			// still carries the rate, which must not have moved.
			if !isStatus(err, http.StatusNotModified) {
				t.Fatalf("got %v, want 304", err)
			}
			if resp.Rate.Remaining != 9 || resp.Header.Get("ETag") != etag {
				t.Errorf("304 consumed budget or lost its ETag: %+v %s", resp.Rate, resp.Header.Get("ETag"))
			}
		})
	}
	resp, err = conditionalGet(t, gh, "repos/acme/api/pulls?state=all", `"stale"`)
	if err != nil || resp.Rate.Remaining != 8 {
		t.Errorf("stale ETag: %v, remaining %d; want a full answer that costs one", err, resp.Rate.Remaining)
	}
	// Another page has another body, so another ETag.
	resp, err = conditionalGet(t, gh, "repos/acme/api/pulls?state=all&per_page=1", etag)
	if err != nil || resp.Header.Get("ETag") == etag {
		t.Errorf("a different page matched the first page's ETag: %v", err)
	}
	if st := s.Stats(); st.NotModified != 3 || st.Charged != 3 {
		t.Errorf("stats %+v, want 3 not-modified and 3 charged", st)
	}
}

func TestPrimaryRateLimit(t *testing.T) {
	f := newFixture(t)
	clock := clockwork.NewFakeClockAt(at(100))
	s, gh := serve(t, f.org, Options{Budget: 3, ResetEvery: time.Hour, Now: clock.Now})
	ctx := context.Background()
	for i := range 3 {
		_, resp, err := gh.Repositories.Get(ctx, "acme", "api")
		if err != nil {
			t.Fatal(err)
		}
		if resp.Rate.Remaining != 2-i || resp.Header.Get("X-RateLimit-Used") != itoa(int64(i+1)) || resp.Header.Get("X-RateLimit-Resource") != "core" {
			t.Fatalf("request %d: rate %+v used %s", i, resp.Rate, resp.Header.Get("X-RateLimit-Used"))
		}
		if !resp.Rate.Reset.Time.Equal(at(101)) {
			t.Fatalf("reset %v, want %v", resp.Rate.Reset, at(101))
		}
	}
	_, _, err := gh.Repositories.Get(ctx, "acme", "api")
	var rle *github.RateLimitError
	if !errors.As(err, &rle) {
		t.Fatalf("got %v, want *github.RateLimitError", err)
	}
	if rle.Rate.Remaining != 0 || !strings.HasPrefix(rle.Message, "API rate limit exceeded for ") || rle.Response.StatusCode != 403 {
		t.Errorf("rate-limit error: %+v", rle)
	}
	// /rate_limit is free and reports the exhausted budget.
	limits, _, err := gh.RateLimit.Get(ctx)
	if err != nil || limits.Core.Remaining != 0 || limits.Core.Limit != 3 {
		t.Errorf("rate_limit: %v %+v", err, limits)
	}
	// Once the clock passes the reset, the budget is back. (The reset
	// lies in the real past, so go-github does not hold the call back.)
	clock.Advance(time.Hour)
	_, resp, err := gh.Repositories.Get(ctx, "acme", "api")
	if err != nil || resp.Rate.Remaining != 2 || !resp.Rate.Reset.Time.Equal(at(102)) {
		t.Fatalf("after the reset: %v, rate %+v", err, resp.Rate)
	}
	if st := s.Stats(); st.RateLimited != 1 || st.Charged != 4 {
		t.Errorf("stats %+v", st)
	}
}

func TestSecondaryRateLimit(t *testing.T) {
	f := newFixture(t)
	clock := clockwork.NewFakeClockAt(at(100))
	s, gh := serve(t, f.org, Options{SecondaryEvery: 3, SecondaryRetryAfter: 30 * time.Second, Now: clock.Now})
	ctx := context.Background()
	for range 2 {
		if _, _, err := gh.Repositories.Get(ctx, "acme", "api"); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := gh.Repositories.Get(ctx, "acme", "api")
	var abuse *github.AbuseRateLimitError
	if !errors.As(err, &abuse) {
		t.Fatalf("got %v, want *github.AbuseRateLimitError", err)
	}
	if abuse.RetryAfter == nil || *abuse.RetryAfter != 30*time.Second || !strings.Contains(abuse.Message, "secondary rate limit") {
		t.Errorf("abuse error: retry after %v, message %q", abuse.RetryAfter, abuse.Message)
	}
	// go-github now waits out Retry-After by the real clock on its own, so
	// look at the penalty window with plain HTTP.
	get := func() *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", s.URL()+"repos/acme/api", nil)
		req.Header.Set("Authorization", "token "+testToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	clock.Advance(20 * time.Second)
	if res := get(); res.StatusCode != 403 || res.Header.Get("Retry-After") != "10" {
		t.Errorf("inside the penalty: %d, Retry-After %s", res.StatusCode, res.Header.Get("Retry-After"))
	}
	clock.Advance(10 * time.Second)
	if res := get(); res.StatusCode != 200 {
		t.Errorf("after the penalty: %d", res.StatusCode)
	}
	if st := s.Stats(); st.SecondaryLimited != 2 || st.Charged != 3 {
		t.Errorf("stats %+v: secondary refusals must not cost budget", st)
	}
}

func TestSecondaryRateLimit429(t *testing.T) {
	f := newFixture(t)
	_, gh := serve(t, f.org, Options{SecondaryEvery: 1, SecondaryStatus: http.StatusTooManyRequests})
	_, resp, err := gh.Repositories.Get(context.Background(), "acme", "api")
	if !isStatus(err, 429) || resp.Header.Get("Retry-After") != "60" {
		t.Errorf("got %v, Retry-After %q; want 429 with 60", err, resp.Header.Get("Retry-After"))
	}
}

func TestAuthentication(t *testing.T) {
	f := newFixture(t)
	s, _ := serve(t, f.org, Options{})
	for _, tc := range []struct {
		name   string
		header string
		status int
	}{
		{"bearer", "Bearer " + testToken, 200},
		{"token scheme", "token " + testToken, 200},
		{"wrong token", "Bearer nope", 401},
		{"no header", "", 401},
		{"basic", "Basic " + testToken, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", s.URL()+"repos/acme/api", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if tc.status == 401 && !strings.Contains(string(body), `"message":"Bad credentials"`) {
				t.Errorf("body %s", body)
			}
			if res.Header.Get("X-RateLimit-Limit") == "" {
				t.Error("no rate-limit headers")
			}
		})
	}
	gh := newClient(t, s.URL(), "wrong")
	_, _, err := gh.Repositories.Get(context.Background(), "acme", "api")
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != 401 || er.Message != "Bad credentials" {
		t.Errorf("go-github with a bad token: %v", err)
	}
	if st := s.Stats(); st.Unauthorized != 4 || st.Charged != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestInjectedServerErrors(t *testing.T) {
	f := newFixture(t)
	s, gh := serve(t, f.org, Options{Faults: fakeapi.FailAt(fakeapi.Fault{Status: 503}, 2)})
	ctx := context.Background()
	s.FailNext(fakeapi.Fault{Status: 502}, 1)
	for _, want := range []int{502, 503, 200} {
		_, resp, err := gh.Repositories.Get(ctx, "acme", "api")
		if got := resp.StatusCode; got != want {
			t.Fatalf("status %d (%v), want %d", got, err, want)
		}
		if want != 200 {
			var er *github.ErrorResponse
			if !errors.As(err, &er) || er.Message == "" {
				t.Errorf("%d: error %v has no message", want, err)
			}
		}
	}
	if st := s.Stats(); st.Faults != 2 || st.Charged != 1 {
		t.Errorf("stats %+v: faults must not cost budget", st)
	}
}

func TestDroppedConnection(t *testing.T) {
	f := newFixture(t)
	s, gh := serve(t, f.org, Options{})
	cut := fakeapi.Fault{Truncate: true}
	s.FailNext(cut, 1)
	ctx := context.Background()
	_, _, err := gh.PullRequests.List(ctx, "acme", "api", nil)
	if err == nil {
		t.Fatal("a dropped connection gave no error")
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) {
		t.Errorf("got an API error %v, want a transport or decode error", err)
	}
	if _, _, err := gh.PullRequests.List(ctx, "acme", "api", nil); err != nil {
		t.Errorf("the next request failed too: %v", err)
	}
	log := s.Requests()
	if log[0].Fault != cut || log[0].Status != 0 {
		t.Errorf("log %+v", log[0])
	}
}

func TestSlowResponsesHonourTheContext(t *testing.T) {
	f := newFixture(t)
	s, gh := serve(t, f.org, Options{})
	slow := fakeapi.Fault{Delay: time.Minute}
	s.FailNext(slow, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := gh.Repositories.Get(ctx, "acme", "api")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want the context's deadline", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %s", took)
	}
	// A server closing while a response is held does not hang either.
	s.FailNext(slow, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _, _ = gh.Repositories.Get(context.Background(), "acme", "api")
	}()
	for s.seq.Load() < 2 { // the second request has arrived and is held
		time.Sleep(time.Millisecond)
	}
	s.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close left a slow request hanging")
	}
}

func TestDelayedResponses(t *testing.T) {
	f := newFixture(t)
	_, gh := serve(t, f.org, Options{Latency: 3 * time.Millisecond})
	start := time.Now()
	if _, _, err := gh.Repositories.Get(context.Background(), "acme", "api"); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 3*time.Millisecond {
		t.Errorf("answered in %s, before the delay", took)
	}
}

// TestFaultRateIsDeterministic replays the same requests against two
// servers with the same seed: the same requests fail, and a retry of a
// failed URL can succeed.
func TestFaultRateIsDeterministic(t *testing.T) {
	o := Generate(3, Size{Repos: 6, PRsPerRepo: 300})
	outcomes := func() []int {
		s, gh := serve(t, o, Options{Faults: fakeapi.FailRatePerURL(7, 0.3, fakeapi.Fault{Status: 502}, fakeapi.Fault{Status: 503})})
		var got []int
		for page := 1; page <= 10; page++ {
			for range 2 { // each page twice: a retry is a new draw
				_, resp, _ := gh.PullRequests.List(context.Background(), "acme", "api", &github.PullRequestListOptions{State: "all", ListOptions: github.ListOptions{Page: page}})
				got = append(got, resp.StatusCode)
			}
		}
		if st := s.Stats(); st.Faults == 0 || st.Faults == st.Total {
			t.Errorf("%d faults in %d requests at rate 0.3", st.Faults, st.Total)
		}
		return got
	}
	a, b := outcomes(), outcomes()
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different outcomes:\n%v\n%v", a, b)
	}
}
