package custom

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"doraflow"
)

// TestAuthorizedAcceptsOnlyAConfiguredToken checks the bearer check with
// tokens of every length around the configured ones. The handler compares
// SHA-256 digests of the tokens with subtle.ConstantTimeCompare, so the
// time a refusal takes tells nothing about a token's length or its first
// bytes; a timing measurement would be too noisy to test that, so this
// test pins what the digests make sure of: only an exact token passes.
func TestAuthorizedAcceptsOnlyAConfiguredToken(t *testing.T) {
	h := NewHandler(nil, []string{"good-token", "a-second-token-much-longer-than-the-first", ""}, zerolog.Nop())
	for _, c := range []struct {
		header string
		want   bool
	}{
		{"Bearer good-token", true},
		{"Bearer a-second-token-much-longer-than-the-first", true},
		{"Bearer good-toke", false},            // a prefix: shorter
		{"Bearer good-token-", false},          // longer
		{"Bearer good-tokengood-token", false}, // twice as long
		{"Bearer g", false},
		{"Bearer " + strings.Repeat("good-token", 1000), false},
		{"Bearer a-second-token-much-longer-than-the-firs", false},
		{"bearer good-token", true}, // the scheme is case-insensitive (RFC 9110 §11.1)
		{"BEARER good-token", true},
		{"bEaReR good-token", true},
		{"Bearer GOOD-TOKEN", false}, // the token is not
		{"Bearerx good-token", false},
		{"Bear good-token", false},
		{"Bearer  good-token", false},
		{"Bearer good-token ", false},
		{"Bearer ", false}, // the empty configured token opens nothing
		{"Bearer", false},
		{"", false},
		{"good-token", false},
		{"Basic good-token", false},
		{"Token token=good-token", false},
	} {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/deployments", nil)
		if c.header != "" {
			r.Header.Set("Authorization", c.header)
		}
		if got := h.authorized(r); got != c.want {
			t.Errorf("Authorization %.40q: authorized = %v, want %v", c.header, got, c.want)
		}
	}
}

// TestBodyLimit checks the 1 MiB limit at its edge, with and without a
// Content-Length: a body of exactly MaxBody bytes is read, one byte more
// is refused with 413 before it is stored.
func TestBodyLimit(t *testing.T) {
	mem := &memory{deployments: map[string]doraflow.Deployment{}, incidents: map[string]doraflow.Incident{}}
	mux := http.NewServeMux()
	NewHandler(mem, []string{"tok"}, zerolog.Nop()).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	body := func(size int) string {
		const record = `{"service":"api"}`
		return record + strings.Repeat(" ", size-len(record)) // JSON allows trailing white space
	}
	for _, c := range []struct {
		name    string
		body    string
		chunked bool // no Content-Length: the limit must hold while reading
		want    int
	}{
		{"exactly 1 MiB", body(MaxBody), false, http.StatusCreated},
		{"one byte over", body(MaxBody + 1), false, http.StatusRequestEntityTooLarge},
		{"exactly 1 MiB, chunked", body(MaxBody), true, http.StatusCreated},
		{"one byte over, chunked", body(MaxBody + 1), true, http.StatusRequestEntityTooLarge},
		{"not an object", `[{"service":"api"}]`, false, http.StatusBadRequest},
	} {
		var r io.Reader = strings.NewReader(c.body)
		if c.chunked {
			r = io.MultiReader(r) // hides the length from net/http
		}
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/deployments", r)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want || !strings.HasPrefix(string(answer), "{") {
			t.Errorf("%s: %d %s, want %d with a JSON body", c.name, resp.StatusCode, answer, c.want)
		}
	}
	if len(mem.deployments) != 2 {
		t.Fatalf("stored %d deployments, want the 2 bodies within the limit", len(mem.deployments))
	}
}
