package openapitest

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// EnvGitHub names the environment variable with the path of GitHub's
// REST API description (api.github.com.json of the npm package
// @octokit/openapi, which scripts/openapi.sh fetches and `make test`
// passes).
const EnvGitHub = "DORAFLOW_TEST_GITHUB_OPENAPI"

// GitHub returns GitHub's REST API description with the rules GitHub
// documents for every operation; see FromEnv for when it skips or fails.
func GitHub(t testing.TB) *Description {
	t.Helper()
	return FromEnv(t, EnvGitHub, "scripts/openapi.sh fetch", GitHubRules())
}

// GitHubRules are what GitHub documents for all of its REST API rather
// than per operation.
func GitHubRules() Rules {
	return Rules{
		// Any request can be refused for credentials, rate limits or a
		// server error, with the error document the description calls
		// basic-error:
		// https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api
		// (401 "Bad credentials"),
		// https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
		// (403 or 429 for the primary and secondary limits).
		Anywhere: map[int]string{
			http.StatusUnauthorized:        "basic-error",
			http.StatusForbidden:           "basic-error",
			http.StatusNotFound:            "basic-error",
			http.StatusTooManyRequests:     "basic-error",
			http.StatusInternalServerError: "basic-error",
			http.StatusBadGateway:          "basic-error",
			http.StatusServiceUnavailable:  "basic-error",
		},
		Extra: gitHubHeaders,
		// The description declares the runs listings' created a
		// date-time; GitHub documents it as a search qualifier (a date
		// or date-time, >=, <=, >, < or A..B):
		// https://docs.github.com/en/rest/actions/workflow-runs#list-workflow-runs-for-a-repository
		// https://docs.github.com/en/search-github/getting-started-with-searching-on-github/understanding-the-search-syntax#query-for-dates
		Params: map[string]func(string) error{"query created": searchDate},
	}
}

// searchDate checks a date qualifier of GitHub's search syntax.
func searchDate(v string) error {
	parts := []string{v}
	if a, b, ok := strings.Cut(v, ".."); ok {
		parts = []string{a, b}
	} else {
		for _, op := range []string{">=", "<=", ">", "<"} {
			if rest, ok := strings.CutPrefix(v, op); ok {
				parts = []string{rest}
				break
			}
		}
	}
	for _, p := range parts {
		if p == "*" && len(parts) == 2 {
			continue
		}
		if _, err := time.Parse(time.DateOnly, p); err == nil {
			continue
		}
		if _, err := time.Parse(time.RFC3339, p); err != nil {
			return fmt.Errorf("%q is neither a date nor a date-time of GitHub's search syntax", p)
		}
	}
	return nil
}

// rateLimitHeaders are on every response GitHub sends, integers all but
// the resource name:
// https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#checking-the-status-of-your-rate-limit
var rateLimitHeaders = []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Used", "X-RateLimit-Reset"}

// gitHubHeaders checks the headers GitHub documents for all responses.
func gitHubHeaders(ex Exchange) []error {
	var errs []error
	for _, h := range rateLimitHeaders {
		v := ex.Header.Get(h)
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			errs = append(errs, fmt.Errorf("header %s = %q, want an integer on every response", h, v))
		}
	}
	if ex.Header.Get("X-RateLimit-Resource") == "" {
		errs = append(errs, errors.New("no X-RateLimit-Resource header, which is on every response"))
	}
	// Conditional requests: GitHub sends an ETag with every 200 of a
	// GET and answers If-None-Match with it:
	// https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate
	if ex.Method == http.MethodGet && ex.Status == http.StatusOK && ex.Header.Get("ETag") == "" {
		errs = append(errs, errors.New("200 without an ETag"))
	}
	// GitHub's 200s carry Cache-Control and Vary, so its 304s must too
	// (RFC 9110 §15.4.5): a cache keys the stored page by Vary.
	if ex.Status == http.StatusNotModified {
		for _, h := range []string{"Cache-Control", "Vary"} {
			if ex.Header.Get(h) == "" {
				errs = append(errs, fmt.Errorf("304 without the %s header its 200 carries (RFC 9110 §15.4.5)", h))
			}
		}
	}
	return errs
}
