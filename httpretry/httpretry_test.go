package httpretry

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeSleep records waits instead of sleeping.
type fakeSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (f *fakeSleep) sleep(_ context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waits = append(f.waits, d)
	return nil
}

// cut, as a status in TestRetries, answers 200 with half the body it
// announces, then closes the connection.
const cut = -1

// wholeBody is the body every answer of TestRetries carries.
const wholeBody = `{"incidents":[{"id":"Q1"}],"more":false}`

func TestRetries(t *testing.T) {
	cases := []struct {
		name      string
		responses []int // status per attempt; 0 drops the connection, cut sends half a 200 body
		header    http.Header
		wantCalls int
		wantCode  int
		wantErr   string        // part of the error, when one is wanted
		wantWait  time.Duration // first wait, when the server names it
	}{
		{name: "ok at once", responses: []int{200}, wantCalls: 1, wantCode: 200},
		{name: "503 then ok", responses: []int{503, 200}, wantCalls: 2, wantCode: 200},
		{name: "429 with Retry-After", responses: []int{429, 200}, header: http.Header{"Retry-After": {"7"}}, wantCalls: 2, wantCode: 200, wantWait: 7 * time.Second},
		{name: "dropped then ok", responses: []int{0, 200}, wantCalls: 2, wantCode: 200},
		{name: "404 is final", responses: []int{404}, wantCalls: 1, wantCode: 404},
		{name: "501 is final", responses: []int{501}, wantCalls: 1, wantCode: 501},
		{name: "bounded", responses: []int{502, 502, 502, 502, 502, 502}, wantCalls: 3, wantCode: 502},
		{name: "bounded drops", responses: []int{0, 0, 0, 0}, wantCalls: 3, wantErr: "gave up after 3 attempts"},
		{name: "body cut then ok", responses: []int{cut, 200}, wantCalls: 2, wantCode: 200},
		{name: "bounded cuts", responses: []int{cut, cut, cut, cut}, wantCalls: 3, wantErr: "gave up after 3 attempts: failed to read response body: unexpected EOF"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := calls.Add(1)
				code := c.responses[min(int(n), len(c.responses))-1]
				switch code {
				case 0:
					hj, _ := w.(http.Hijacker)
					conn, _, _ := hj.Hijack()
					conn.Close()
					return
				case cut:
					// The length of the whole body is announced, half of it
					// sent, then the connection closes.
					w.Header().Set("Content-Length", strconv.Itoa(len(wholeBody)))
					w.WriteHeader(http.StatusOK)
					_, _ = w.Write([]byte(wholeBody[:len(wholeBody)/2]))
					w.(http.Flusher).Flush()
					hj, _ := w.(http.Hijacker)
					conn, _, _ := hj.Hijack()
					conn.Close()
					return
				}
				for k, v := range c.header {
					w.Header()[k] = v
				}
				w.WriteHeader(code)
				_, _ = w.Write([]byte(wholeBody))
			}))
			defer srv.Close()
			fs := &fakeSleep{}
			// A fresh connection each attempt, so a drop reaches the transport.
			base := &http.Transport{DisableKeepAlives: true}
			client := &http.Client{Transport: New(Options{Base: base, MaxAttempts: 3, Sleep: fs.sleep, Seed: 1})}
			resp, err := client.Get(srv.URL)
			if (c.wantErr != "") != (err != nil) || err != nil && !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want error %q", err, c.wantErr)
			}
			if err == nil {
				body, readErr := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != c.wantCode {
					t.Fatalf("status %d, want %d", resp.StatusCode, c.wantCode)
				}
				if readErr != nil || string(body) != wholeBody {
					t.Fatalf("body %q (%v), want %q", body, readErr, wholeBody)
				}
			}
			if got := calls.Load(); got != int64(c.wantCalls) {
				t.Fatalf("calls = %d, want %d", got, c.wantCalls)
			}
			if c.wantWait != 0 && (len(fs.waits) == 0 || fs.waits[0] != c.wantWait) {
				t.Fatalf("waits = %v, want first %s", fs.waits, c.wantWait)
			}
			for _, w := range fs.waits {
				if w <= 0 || w > 30*time.Second {
					t.Fatalf("wait %s outside the backoff bounds", w)
				}
			}
		})
	}
}

func TestClassifyAndMaxWait(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	}))
	defer srv.Close()
	fs := &fakeSleep{}
	classify := func(resp *http.Response, err error) Decision {
		if resp != nil && resp.StatusCode == http.StatusForbidden {
			return Decision{Retry: true, Wait: 2 * time.Hour, Reason: "rate limit"}
		}
		return Decision{}
	}
	client := &http.Client{Transport: New(Options{Classify: classify, Sleep: fs.sleep})}
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Two hours is over the one-hour cap: the 403 comes back unretried.
	if resp.StatusCode != http.StatusForbidden || len(fs.waits) != 0 {
		t.Fatalf("status %d waits %v, want 403 and no wait", resp.StatusCode, fs.waits)
	}
}

func TestMaxInFlight(t *testing.T) {
	t.Parallel()
	var now, peak atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := now.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		now.Add(-1)
	}))
	defer srv.Close()
	client := &http.Client{Transport: New(Options{MaxInFlight: 2})}
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp, err := client.Get(srv.URL); err == nil {
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 2 {
		t.Fatalf("peak in flight = %d, want at most 2", p)
	}
}

func TestCancelledContextStops(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	sleep := func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	_, err := (&http.Client{Transport: New(Options{Sleep: sleep})}).Do(req)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestRetryAfterDate(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	h := http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}
	if got := RetryAfter(h, now); got != 90*time.Second {
		t.Fatalf("RetryAfter = %s, want 90s", got)
	}
}

// TestUnrepeatedNamesTheURLOnce gives up on a server that drops every
// connection and checks that the error, without http.Client's *url.Error,
// names the URL once and never its query, and still unwraps to the cause.
func TestUnrepeatedNamesTheURLOnce(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		conn.Close()
	}))
	defer srv.Close()
	fs := &fakeSleep{}
	client := &http.Client{Transport: New(Options{Base: &http.Transport{DisableKeepAlives: true}, MaxAttempts: 2, Sleep: fs.sleep, Seed: 1})}
	_, err := client.Get(srv.URL + "/incidents?since=2024-01-01")
	if err == nil {
		t.Fatal("no error from a server that drops every connection")
	}
	var own *Error
	if !errors.As(err, &own) {
		t.Fatalf("%v: not an *httpretry.Error", err)
	}
	cases := []struct {
		name  string
		err   error
		times int // how often the URL appears
	}{
		{"as http.Client returns it", err, 2},
		{"unrepeated", Unrepeated(err), 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg := c.err.Error()
			if n := strings.Count(msg, srv.URL+"/incidents"); n != c.times {
				t.Errorf("the URL appears %d times, want %d: %s", n, c.times, msg)
			}
			if !errors.Is(c.err, io.EOF) && !strings.Contains(msg, "EOF") && !strings.Contains(msg, "reset") {
				t.Errorf("the cause is lost: %s", msg)
			}
		})
	}
	if msg := Unrepeated(err).Error(); strings.Contains(msg, "since=") || !strings.HasPrefix(msg, "GET "+srv.URL+"/incidents: gave up after 2 attempts: ") {
		t.Errorf("unrepeated error = %q, want GET URL (no query): gave up after 2 attempts: …", msg)
	}
	other := errors.New("not ours")
	if got := Unrepeated(other); got != other {
		t.Errorf("Unrepeated changed an error that is not httpretry's: %v", got)
	}
}
