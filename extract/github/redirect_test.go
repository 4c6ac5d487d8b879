package github_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"doraflow/internal/fakeapi"

	"doraflow"
	"doraflow/extract/github"
	"doraflow/extract/github/githubfake"
)

// TestRedirectToAnotherHost: an API answer that redirects to another host
// (or to another port or scheme of the same one) is refused, whatever the
// redirect's status: the other host gets no request, so never the token,
// and the read fails naming the redirect and where credentials go. Before,
// go-github's WithAuthToken set the header inside the transport, below the
// http.Client, so Go's stripping of Authorization on a redirect to another
// host never applied and the token went along.
func TestRedirectToAnotherHost(t *testing.T) {
	tests := []struct {
		name   string
		status int
	}{
		{"302 Found", http.StatusFound},
		{"301, as for a renamed repository", http.StatusMovedPermanently},
		{"307, as for a transferred repository", http.StatusTemporaryRedirect},
		{"308", http.StatusPermanentRedirect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := fakeapi.NewRecorder(`[]`)
			defer other.Close()
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+"/stolen"+r.URL.Path, tt.status)
			}))
			t.Cleanup(api.Close)
			src := newSource(t, api.URL+"/", nil, nil)
			b := block(doraflow.MethodRelease, doraflow.Filters{})
			b.Repositories = []string{"acme/api"}
			_, err := src.Read(context.Background(), b, monthSince, monthUntil, nil, newCollector(t).sink)
			for _, req := range other.Requests() {
				if strings.Contains(strings.ToLower(req), "authorization") || strings.Contains(req, testToken) {
					t.Errorf("the other host received credentials:\n%s", req)
				}
			}
			if n := len(other.Requests()); n != 0 {
				t.Errorf("the other host received %d requests, want none", n)
			}
			if !errors.Is(err, github.ErrRepositories) {
				t.Fatalf("error %v, want one wrapping ErrRepositories", err)
			}
			want := "github: GET " + api.URL + "/repos/acme/api/releases: refused a redirect to another host (" +
				other.URL + "/stolen/repos/acme/api/releases): credentials are sent only to " + api.URL
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q\ndoes not say %q", err, want)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("the token leaked into %q", err)
			}
		})
	}
}

// TestRedirectWithinTheHost: GitHub answers 301 or 307 for a renamed or
// transferred repository, with a Location on the same host; those are
// followed, with the token, and the read succeeds.
func TestRedirectWithinTheHost(t *testing.T) {
	for _, status := range []int{http.StatusMovedPermanently, http.StatusTemporaryRedirect} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			fake := githubfake.NewServer(handMade(t).org, githubfake.Options{Token: testToken})
			// acme/old is acme/api's former name.
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if rest, ok := strings.CutPrefix(r.URL.Path, "/repos/acme/old/"); ok {
					u := *r.URL
					u.Path = "/repos/acme/api/" + rest
					http.Redirect(w, r, u.String(), status)
					return
				}
				fake.ServeHTTP(w, r)
			}))
			t.Cleanup(api.Close)
			src := newSource(t, api.URL+"/", nil, nil)
			b := block(doraflow.MethodRelease, doraflow.Filters{})
			b.Repositories = []string{"acme/old"}
			r, _ := read(t, src, b, monthSince, monthUntil, nil)
			// The fake answers 401 without the token, so rows mean the
			// redirected request carried it.
			if len(r.deployments) == 0 {
				t.Fatal("no releases read through the redirect")
			}
		})
	}
}
