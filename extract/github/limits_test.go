package github_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"doraflow"
	"doraflow/extract/github"
	"doraflow/extract/github/githubfake"
	"doraflow/internal/fakeapi"
	"doraflow/internal/logtest"
)

// future is a fake clock start later than any real clock running these
// tests: were go-github to learn a rate-limit reset measured on it, it
// would refuse every later call by itself, without a request.
var future = time.Date(2031, time.January, 6, 12, 0, 0, 0, time.UTC)

// generatedBlocks are a merged_pr and a workflow_run block over every
// repository of a generated organisation.
func generatedBlocks() []doraflow.Block {
	pr := block(doraflow.MethodMergedPR, doraflow.Filters{})
	run := block(doraflow.MethodWorkflowRun, doraflow.Filters{"workflow": "deploy.yml", "branch": "main"})
	pr.Repositories, run.Repositories = []string{"acme/*"}, []string{"acme/*"}
	return []doraflow.Block{pr, run}
}

// reference reads the blocks from an unlimited, faultless server.
func reference(t *testing.T, org *githubfake.Org, b doraflow.Block, since, until time.Time) rows {
	t.Helper()
	srv := startFake(t, org, githubfake.Options{})
	got, _ := read(t, newSource(t, srv.URL(), newClock(until), nil), b, since, until, nil)
	return got
}

func TestRateLimitWaitsForTheReset(t *testing.T) {
	org := githubfake.Generate(5, githubfake.Size{Repos: 6, PRsPerRepo: 20, RunsPerRepo: 30, Now: future})
	since, until := org.Now.AddDate(0, 0, -60), org.Now
	for _, b := range generatedBlocks() {
		t.Run(string(b.Method), func(t *testing.T) {
			want := reference(t, org, b, since, until)
			clk := newClock(future)
			srv := startFake(t, org, githubfake.Options{Budget: 25, ResetEvery: time.Hour, Now: clk.Now})
			var logs logtest.Buffer
			src := newSource(t, srv.URL(), clk, func(o *github.Options) { o.Log = logs.Logger() })
			got, _ := read(t, src, b, since, until, nil)
			if !sameRows(got, want) {
				t.Errorf("rows differ from an unlimited read: %d deployments, want %d", len(got.deployments), len(want.deployments))
			}
			fs := srv.Stats()
			if fs.RateLimited == 0 {
				t.Fatal("the budget was never exhausted: the test proves nothing")
			}
			long := 0
			for _, w := range clk.Waits() {
				if w > 50*time.Minute && w <= time.Hour+time.Second {
					long++
				}
			}
			if long == 0 {
				t.Errorf("waits %v: none until a reset", clk.Waits())
			}
			// One warning per reset, however many requests met it.
			resets := map[string]bool{}
			for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				var e struct{ Message, Reset string }
				if json.Unmarshal([]byte(line), &e) == nil && strings.Contains(e.Message, "rate limit exhausted") {
					if resets[e.Reset] {
						t.Errorf("reset %s logged twice", e.Reset)
					}
					resets[e.Reset] = true
				}
			}
			if len(resets) == 0 {
				t.Error("the wait for the reset was not logged")
			}
		})
	}
}

func TestSecondaryLimitHonoursRetryAfter(t *testing.T) {
	org := githubfake.Generate(6, githubfake.Size{Repos: 6, PRsPerRepo: 15, RunsPerRepo: 20, Now: future})
	since, until := org.Now.AddDate(0, 0, -60), org.Now
	b := generatedBlocks()[0]
	want := reference(t, org, b, since, until)
	for _, status := range []int{http.StatusForbidden, http.StatusTooManyRequests} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			clk := newClock(future)
			srv := startFake(t, org, githubfake.Options{SecondaryEvery: 9, SecondaryRetryAfter: 37 * time.Second, SecondaryStatus: status, Now: clk.Now})
			// One request at a time: with more, requests that arrived
			// before the clock jumped are told to wait longer, rightly.
			src := newSource(t, srv.URL(), clk, func(o *github.Options) { o.Concurrency = 1 })
			got, _ := read(t, src, b, since, until, nil)
			if !sameRows(got, want) {
				t.Error("rows differ from an unlimited read")
			}
			if srv.Stats().SecondaryLimited == 0 {
				t.Fatal("no secondary limit was hit")
			}
			for _, w := range clk.Waits() {
				if w > 37*time.Second {
					t.Errorf("waited %s, Retry-After said 37s", w)
				}
			}
			if !containsDuration(clk.Waits(), 37*time.Second) {
				t.Errorf("waits %v, want Retry-After's 37s", clk.Waits())
			}
		})
	}
	t.Run("message only: a minute", func(t *testing.T) {
		f := handMade(t)
		fake := githubfake.NewServer(f.org, githubfake.Options{Token: testToken})
		var refused atomic.Bool
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/pulls") && !refused.Swap(true) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusForbidden)
				_, _ = w.Write([]byte(`{"message":"You have exceeded a secondary rate limit and have been temporarily blocked from content creation."}`))
				return
			}
			fake.ServeHTTP(w, r)
		}))
		t.Cleanup(ts.Close)
		clk := newClock(monthUntil)
		got, _ := read(t, newSource(t, ts.URL+"/", clk, nil), block(doraflow.MethodMergedPR, doraflow.Filters{}), monthSince, monthUntil, nil)
		if len(got.deployments) != 4 || !containsDuration(clk.Waits(), time.Minute) {
			t.Errorf("%d deployments, waits %v; want 4 after a one-minute wait", len(got.deployments), clk.Waits())
		}
	})
}

func containsDuration(ds []time.Duration, want time.Duration) bool {
	for _, d := range ds {
		if d == want {
			return true
		}
	}
	return false
}

func TestRetriesFailures(t *testing.T) {
	org := githubfake.Generate(8, githubfake.Size{Repos: 6, PRsPerRepo: 15, RunsPerRepo: 20})
	since, until := org.Now.AddDate(0, 0, -60), org.Now
	tests := []struct {
		name   string
		faults []fakeapi.Fault
	}{
		{"502 and 503", []fakeapi.Fault{{Status: 502}, {Status: 503}}},
		{"connections dropped mid-body", []fakeapi.Fault{{Truncate: true}}},
	}
	for _, b := range generatedBlocks() {
		want := reference(t, org, b, since, until)
		for _, tt := range tests {
			t.Run(string(b.Method)+"/"+tt.name, func(t *testing.T) {
				srv := startFake(t, org, githubfake.Options{Faults: fakeapi.FailRatePerURL(3, 0.15, tt.faults...)})
				clk := newClock(until)
				got, _ := read(t, newSource(t, srv.URL(), clk, nil), b, since, until, nil)
				if !sameRows(got, want) {
					t.Error("rows differ from a faultless read")
				}
				if srv.Stats().Faults == 0 || len(clk.Waits()) == 0 {
					t.Error("no fault was injected and retried")
				}
			})
		}
	}
	t.Run("retries are bounded", func(t *testing.T) {
		f := handMade(t)
		srv := startFake(t, f.org, githubfake.Options{})
		srv.FailNext(fakeapi.Fault{Status: 503}, 100)
		_, err := newSource(t, srv.URL(), nil, nil).Read(context.Background(), block(doraflow.MethodMergedPR, doraflow.Filters{}), monthSince, monthUntil, nil, newCollector(t).sink)
		if !errors.Is(err, github.ErrRepositories) || !strings.Contains(err.Error(), "GET /repos/acme/api/pulls") || !strings.Contains(err.Error(), "503") {
			t.Errorf("error %v, want a 503 naming GET /repos/acme/api/pulls", err)
		}
		if n := srv.Stats().Total; n != 5 {
			t.Errorf("%d attempts, want 5", n)
		}
	})
}

// inFlight is a Base transport that records the most requests in flight.
type inFlight struct {
	base     http.RoundTripper
	mu       sync.Mutex
	cur, max int
}

func (f *inFlight) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.cur++
	f.max = max(f.max, f.cur)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.cur--
		f.mu.Unlock()
	}()
	return f.base.RoundTrip(req)
}

func TestConcurrencyIsCapped(t *testing.T) {
	org := githubfake.Generate(9, githubfake.Size{Repos: 8, PRsPerRepo: 6, RunsPerRepo: 10})
	srv := startFake(t, org, githubfake.Options{Latency: 3 * time.Millisecond})
	for _, conc := range []int{1, 3} {
		rt := &inFlight{base: http.DefaultTransport}
		src := newSource(t, srv.URL(), newClock(org.Now), func(o *github.Options) { o.Concurrency, o.Base = conc, rt })
		b := generatedBlocks()[0]
		read(t, src, b, org.Now.AddDate(0, 0, -60), org.Now, nil)
		if rt.max != conc {
			t.Errorf("concurrency %d: at most %d requests in flight, want exactly %d (repositories read in parallel, never more)", conc, rt.max, conc)
		}
	}
}

func TestCancelStopsPromptly(t *testing.T) {
	f := handMade(t)
	srv := startFake(t, f.org, githubfake.Options{Latency: time.Minute})
	src := newSource(t, srv.URL(), nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err := src.Read(ctx, block(doraflow.MethodWorkflowRun, doraflow.Filters{}), monthSince, monthUntil, nil, newCollector(t).sink)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want the context's", err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("Read took %s after its context ended", took)
	}
}
