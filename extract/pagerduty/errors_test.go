package pagerduty_test

import (
	"context"
	"doraflow"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"doraflow/extract/pagerduty"
	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/internal/fakeapi"
)

// operations are the three ways the extractor calls PagerDuty, for tests
// that must hold for each: the list, the service check and the refresh.
var operations = []struct {
	name     string
	endpoint string
	run      func(*pagerduty.Source) (pagerduty.Stats, error)
}{
	{"Read", "GET /incidents", func(s *pagerduty.Source) (pagerduty.Stats, error) {
		return s.Read(context.Background(), block(doraflow.Filters{}), decSince, decUntil, (&collector{}).sink)
	}},
	{"Read with services", "GET /services/PAPI001", func(s *pagerduty.Source) (pagerduty.Stats, error) {
		return s.Read(context.Background(), block(doraflow.Filters{"services": []string{"PAPI001"}}), decSince, decUntil, (&collector{}).sink)
	}},
	{"Refresh", "GET /incidents/QAPINONELOW002", func(s *pagerduty.Source) (pagerduty.Stats, error) {
		return s.Refresh(context.Background(), block(doraflow.Filters{}), []string{"QAPINONELOW002"}, (&collector{}).sink)
	}},
}

func TestUnauthorized(t *testing.T) {
	const wrong = "wrong-token-Zk81"
	tests := []struct {
		name    string
		token   string
		opts    pagerdutyfake.Options
		status  int
		wantMsg string
	}{
		{name: "401 in text/plain, as the live API answers", token: wrong, status: 401,
			wantMsg: "pagerduty: the API token was refused (HTTP 401) — check pagerduty.token and pagerduty.token_type (token for a REST API key, bearer for an OAuth token)"},
		{name: "401 with the documented JSON error", token: wrong, opts: pagerdutyfake.Options{JSONAuthError: true}, status: 401,
			wantMsg: "pagerduty: the API token was refused (HTTP 401) — check pagerduty.token and pagerduty.token_type (token for a REST API key, bearer for an OAuth token)"},
		{name: "403", token: testToken, opts: pagerdutyfake.Options{Faults: fakeapi.FailEvery(1, fakeapi.Fault{Status: 403})}, status: 403,
			wantMsg: "pagerduty: the API token was refused (HTTP 403) — check pagerduty.token and pagerduty.token_type (token for a REST API key, bearer for an OAuth token)"},
	}
	for _, tt := range tests {
		for _, op := range operations {
			t.Run(tt.name+"/"+op.name, func(t *testing.T) {
				srv := startFake(t, handMade(t), tt.opts)
				clk := newClock()
				src := newSource(t, srv.URL(), clk, func(o *pagerduty.Options) { o.Token = tt.token })
				_, err := op.run(src)
				if !errors.Is(err, pagerduty.ErrUnauthorized) {
					t.Fatalf("error %v does not wrap ErrUnauthorized", err)
				}
				if err.Error() != tt.wantMsg {
					t.Errorf("error %q, want %q", err, tt.wantMsg)
				}
				if strings.Contains(err.Error(), tt.token) || strings.Contains(err.Error(), testToken) {
					t.Errorf("the token leaked into %q", err)
				}
				// A refused token is not worth retrying.
				if n := srv.Stats().Total; n != 1 || len(clk.Waits()) != 0 {
					t.Errorf("%d requests, %d waits: want 1 and none", n, len(clk.Waits()))
				}
			})
		}
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name     string
		opts     pagerdutyfake.Options
		wantWait time.Duration // a wait that must have happened; 0 for any
	}{
		{name: "500s", opts: pagerdutyfake.Options{Faults: fakeapi.FailAt(fakeapi.Fault{Status: 500}, 1, 2, 4)}},
		{name: "HTML 502/503/504 from the edge", opts: pagerdutyfake.Options{Faults: fakeapi.First(
			fakeapi.FailAt(fakeapi.Fault{Status: 502}, 1),
			fakeapi.FailAt(fakeapi.Fault{Status: 503}, 3),
			fakeapi.FailAt(fakeapi.Fault{Status: 504}, 5))}},
		// Request 1 opens a fresh connection, so net/http cannot retry it
		// silently; the drops after it hit reused connections in a row.
		{name: "dropped connections", opts: pagerdutyfake.Options{Faults: fakeapi.FailAt(fakeapi.Fault{Drop: true}, 1, 3, 4)}},
		// A body cut short (the connection closed mid-body) is retried
		// like a 5xx: issue 17 measured backfills failing on it.
		{name: "bodies cut short", opts: pagerdutyfake.Options{Faults: fakeapi.FailAt(fakeapi.Fault{Truncate: true}, 1, 3, 4)}},
		// PagerDuty may send a 429 without its ratelimit-* headers (issue
		// 17): with the fake's rate limit off, an injected 429 has none.
		{name: "429 without ratelimit headers: waits a minute", opts: pagerdutyfake.Options{Faults: fakeapi.FailAt(fakeapi.Fault{Status: 429}, 1, 3)},
			wantWait: time.Minute},
		{name: "rate limited: waits for ratelimit-reset", opts: pagerdutyfake.Options{RateLimit: 2, RateWindow: time.Minute}, wantWait: time.Minute},
	}
	for _, tt := range tests {
		for _, op := range operations {
			t.Run(tt.name+"/"+op.name, func(t *testing.T) {
				clk := newClock()
				tt.opts.Now = clk.Now
				srv := startFake(t, handMade(t), tt.opts)
				src := newSource(t, srv.URL(), clk, nil)
				// Three calls, so a budget of two per minute is exceeded.
				for range 3 {
					if _, err := op.run(src); err != nil {
						t.Fatalf("%s failed despite retries: %v", op.name, err)
					}
				}
				waits := clk.Waits()
				if len(waits) == 0 {
					t.Fatal("nothing was retried")
				}
				if tt.wantWait != 0 && !containsDuration(waits, tt.wantWait) {
					t.Errorf("waits %v, want one of %v", waits, tt.wantWait)
				}
			})
		}
	}

	t.Run("bounded", func(t *testing.T) {
		clk := newClock()
		srv := startFake(t, handMade(t), pagerdutyfake.Options{Faults: fakeapi.FailEvery(1, fakeapi.Fault{Status: 503})})
		src := newSource(t, srv.URL(), clk, nil)
		_, err := src.Read(context.Background(), block(doraflow.Filters{}), decSince, decUntil, (&collector{}).sink)
		if err == nil || !strings.Contains(err.Error(), "GET /incidents") || !strings.Contains(err.Error(), "503") {
			t.Fatalf("error %v, want a 503 naming GET /incidents", err)
		}
		if n := srv.Stats().Total; n != 5 || len(clk.Waits()) != 4 {
			t.Errorf("%d attempts and %d waits, want 5 and 4", n, len(clk.Waits()))
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

// TestMalformedResponses checks that a response the extractor cannot read
// is an error naming the endpoint, never a panic or a silent gap.
func TestMalformedResponses(t *testing.T) {
	truncate := fakeapi.Fault{Truncate: true}
	for _, op := range operations {
		t.Run("truncated body/"+op.name, func(t *testing.T) {
			path := strings.TrimPrefix(op.endpoint, "GET ")
			srv := startFake(t, handMade(t), pagerdutyfake.Options{Faults: fakeapi.ForPath(path, fakeapi.FailEvery(1, truncate))})
			src := newSource(t, srv.URL(), newClock(), nil)
			_, err := op.run(src)
			if err == nil || !strings.Contains(err.Error(), "pagerduty: "+op.endpoint) {
				t.Fatalf("error %v, want one naming %s", err, op.endpoint)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("the token leaked into %q", err)
			}
		})
	}

	tests := []struct {
		name, contentType, body, want string
	}{
		{"cut JSON", "application/json", `{"incidents":[{"id":"Q1","created_at":"2024-12-01T10:00:00Z"`, "unexpected end of JSON input"},
		{"not JSON", "text/html", "<html>maintenance</html>", "invalid character"},
		{"wrong shape", "application/json", `{"incidents":{"id":"Q1"}}`, "cannot unmarshal"},
		{"unreadable created_at", "application/json", `{"incidents":[{"id":"Q1","created_at":"yesterday","service":{"id":"PAPI001"}}],"limit":100,"more":false,"total":1}`, "created_at"},
		{"unreadable resolved_at", "application/json", `{"incidents":[{"id":"Q1","created_at":"2024-12-01T10:00:00Z","status":"resolved","resolved_at":"soon"}],"limit":100,"more":false,"total":1}`, "resolved_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The fake serves everything but the list, which answers with
			// the broken body.
			fake := pagerdutyfake.NewServer(handMade(t), pagerdutyfake.Options{Token: testToken})
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/incidents" {
					fake.ServeHTTP(w, r)
					return
				}
				w.Header().Set("Content-Type", tt.contentType)
				_, _ = w.Write([]byte(tt.body))
			}))
			t.Cleanup(ts.Close)
			src := newSource(t, ts.URL, newClock(), nil)
			_, err := src.Read(context.Background(), block(doraflow.Filters{}), decSince, decUntil, (&collector{}).sink)
			if err == nil || !strings.Contains(err.Error(), "pagerduty: GET /incidents") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one naming GET /incidents and saying %q", err, tt.want)
			}
		})
	}
}

// TestTokenTypes: PagerDuty takes a REST API key as "Token token=KEY" and
// a scoped OAuth token as "Bearer TOKEN" (pagerduty.token_type), and
// refuses either in the other's scheme with its 401.
func TestTokenTypes(t *testing.T) {
	const oauthToken = "pd-oauth-token-Lm40"
	tests := []struct {
		name   string
		token  string
		oauth  bool
		wantOK bool
	}{
		{name: "API key as Token token=", token: testToken, wantOK: true},
		{name: "OAuth token as Bearer", token: oauthToken, oauth: true, wantOK: true},
		{name: "API key as Bearer", token: testToken, oauth: true},
		{name: "OAuth token as Token token=", token: oauthToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startFake(t, handMade(t), pagerdutyfake.Options{OAuthToken: oauthToken})
			src := newSource(t, srv.URL(), newClock(), func(o *pagerduty.Options) { o.Token, o.OAuth = tt.token, tt.oauth })
			got, err := src.Read(context.Background(), block(doraflow.Filters{}), decSince, decUntil, (&collector{}).sink)
			if tt.wantOK {
				if err != nil || got.Incidents != 6 {
					t.Fatalf("read %d incidents, error %v; want 6 and none", got.Incidents, err)
				}
				return
			}
			if !errors.Is(err, pagerduty.ErrUnauthorized) || srv.Stats().ByStatus[http.StatusUnauthorized] != 1 {
				t.Fatalf("error %v, %d 401s: want the one 401 of a refused token", err, srv.Stats().ByStatus[http.StatusUnauthorized])
			}
			if strings.Contains(err.Error(), tt.token) {
				t.Errorf("the token leaked into %q", err)
			}
		})
	}
}
