package pagerduty_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"doraflow/internal/fakeapi"
)

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
			other := fakeapi.NewRecorder(`{"incidents":[],"service":{"id":"PAPI001"},"incident":{"id":"QAPINONELOW002"}}`)
			defer other.Close()
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+"/stolen"+r.URL.Path, http.StatusFound)
			}))
			t.Cleanup(api.Close)
			src := newSource(t, api.URL, newClock(), nil)
			_, err := op.run(src)
			for _, req := range other.Requests() {
				if strings.Contains(strings.ToLower(req), "authorization") || strings.Contains(req, testToken) {
					t.Errorf("the other host received credentials:\n%s", req)
				}
			}
			if n := len(other.Requests()); n != 0 {
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
