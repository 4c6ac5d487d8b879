package pagerduty_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// elsewhere is a server on another origin that records what reaches it, to
// show that no credentials do.
type elsewhere struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string // each request's method, URL, headers and body, as sent
}

func newElsewhere(t *testing.T) *elsewhere {
	t.Helper()
	e := &elsewhere{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var b strings.Builder
		b.WriteString(r.Method + " " + r.URL.String() + "\n")
		_ = r.Header.Write(&b)
		b.Write(body)
		e.mu.Lock()
		e.seen = append(e.seen, b.String())
		e.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"incidents":[],"service":{"id":"PAPI001"},"incident":{"id":"QAPINONELOW002"}}`))
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *elsewhere) requests() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.seen...)
}

// TestRedirectToAnotherHost: an API answer that redirects elsewhere is
// refused, for each of the extractor's calls: the other server gets no
// request, so never the token, and the call fails naming the redirect and
// where credentials go. Before, go-pagerduty set the header on the request
// and Go's http.Client kept it on a redirect to the same host name, port
// and scheme aside, so a redirect to another port (or from https to http)
// took the token along.
func TestRedirectToAnotherHost(t *testing.T) {
	for _, op := range operations {
		t.Run(op.name, func(t *testing.T) {
			other := newElsewhere(t)
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+"/stolen"+r.URL.Path, http.StatusFound)
			}))
			t.Cleanup(api.Close)
			src := newSource(t, api.URL, newClock(), nil)
			_, err := op.run(src)
			for _, req := range other.requests() {
				if strings.Contains(strings.ToLower(req), "authorization") || strings.Contains(req, testToken) {
					t.Errorf("the other host received credentials:\n%s", req)
				}
			}
			if n := len(other.requests()); n != 0 {
				t.Errorf("the other host received %d requests, want none", n)
			}
			if err == nil {
				t.Fatal("the call succeeded through a redirect to another host")
			}
			path := strings.TrimPrefix(op.endpoint, "GET ")
			want := "refused a redirect to another host (" + other.URL + "/stolen" + path +
				"): credentials are sent only to " + api.URL
			if !strings.HasPrefix(err.Error(), "pagerduty: "+op.endpoint) || !strings.Contains(err.Error(), want) {
				t.Errorf("error %q\ndoes not name %s and say %q", err, op.endpoint, want)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("the token leaked into %q", err)
			}
		})
	}
}
