package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"doraflow"
)

// The APIs Options.API chooses between for pull requests.
const (
	// APIREST reads everything through the REST API.
	APIREST = "rest"
	// APIGraphQL reads merged pull requests, with their commits, labels
	// and (for a paths filter) changed files, through the GraphQL API:
	// about 2 points per 100 pull requests where REST spends about 100
	// requests; and the pull requests of the commits deployments ship,
	// 100 commits a point where REST spends a request per commit
	// (README.md, "GraphQL").
	APIGraphQL = "graphql"
)

// maxRateLimited bounds the RATE_LIMITED answers in a row one GraphQL
// query waits out: each wait lasts until the budget's reset, so more
// than a few means the budget is not coming back.
const maxRateLimited = 3

// graphqlURL is the GraphQL endpoint beside a REST API root: GitHub
// Enterprise Server serves https://HOST/api/graphql beside
// https://HOST/api/v3/, github.com https://api.github.com/graphql
// (docs.github.com "Forming calls with GraphQL", "The GraphQL endpoint").
func graphqlURL(rest *url.URL) string {
	g := *rest
	if p, ok := strings.CutSuffix(g.Path, "/v3/"); ok {
		g.Path = p + "/graphql"
	} else {
		g.Path = strings.TrimSuffix(g.Path, "/") + "/graphql"
	}
	return g.String()
}

// gqlResponse is a GraphQL answer: data, and errors beside it (GitHub
// answers 200 with errors for invalid queries, limits and partial
// results).
type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// gqlError is one of a GraphQL answer's errors.
type gqlError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	Path    []any  `json:"path"`
}

// gqlRateLimit is the rateLimit { cost remaining resetAt } every query
// asks for.
type gqlRateLimit struct {
	Cost      int       `json:"cost"`
	Remaining int       `json:"remaining"`
	ResetAt   time.Time `json:"resetAt"`
}

// graphqlError is a GraphQL query that answered errors: what, and the
// errors GitHub gave.
type graphqlError struct {
	query  string
	errors []gqlError
}

func (e *graphqlError) Error() string {
	msgs := make([]string, 0, len(e.errors))
	for _, ge := range e.errors {
		m := ge.Message
		if ge.Type != "" {
			m = ge.Type + ": " + m
		}
		msgs = append(msgs, m)
	}
	return fmt.Sprintf("github: POST /graphql (%s): %s", e.query, strings.Join(msgs, "; "))
}

// graphql sends one query (named name, for logs and errors) and decodes
// its data into out. The request goes through the REST client's stack
// below go-github (sign-in, rate limits, retries, the origin guard).
// GraphQL's own primary limit answers 200 with a RATE_LIMITED error and
// x-ratelimit-remaining 0 (docs.github.com "Rate limits and node limits
// for the GraphQL API", "Exceeding the rate limit"): signIn sends the
// query again with the next credential whose GraphQL budget is not spent;
// a RATE_LIMITED answer that reaches here means every one is, and is
// waited out until x-ratelimit-reset (the earliest of all), logged, and
// the query sent again. Any other
// error, with data or without, fails the query: a partial answer would
// hand the sink rows with gaps.
func (s *Source) graphql(ctx context.Context, name, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return fmt.Errorf("github: encoding GraphQL query %s: %w", name, err)
	}
	endpoint := "POST /graphql (" + name + ")"
	qctx := forGraphQL(ctx) // signed in with the GraphQL budget's credential
	for limited := 0; ; limited++ {
		req, err := http.NewRequestWithContext(qctx, http.MethodPost, s.gqlURL, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("github: %s: %w", endpoint, err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", "doraflow")
		resp, err := s.gqlHC.Do(req)
		if err != nil {
			return callError(ctx, endpoint, err)
		}
		var r gqlResponse
		decodeErr := json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			msg := ""
			if len(r.Errors) > 0 {
				msg = r.Errors[0].Message
			}
			return callError(ctx, endpoint, &apiError{endpoint: endpoint, status: resp.StatusCode, err: errors.New(msg)})
		}
		if decodeErr != nil {
			return callError(ctx, endpoint, fmt.Errorf("decoding the answer: %w", decodeErr))
		}
		if rateLimited(r.Errors) {
			if limited == maxRateLimited {
				return &graphqlError{query: name, errors: r.Errors}
			}
			if err := s.waitGraphQLReset(ctx, resp.Header); err != nil {
				return callError(ctx, endpoint, err)
			}
			continue
		}
		if len(r.Errors) > 0 {
			return &graphqlError{query: name, errors: r.Errors}
		}
		if err := json.Unmarshal(r.Data, out); err != nil {
			return callError(ctx, endpoint, fmt.Errorf("decoding the answer: %w", err))
		}
		return nil
	}
}

func rateLimited(errs []gqlError) bool {
	for _, e := range errs {
		if e.Type == "RATE_LIMITED" {
			return true
		}
	}
	return false
}

// waitGraphQLReset waits, logged, until the GraphQL budget's reset that
// h names (a minute when it names none), plus a second for clocks. With
// several credentials h names the earliest of their resets (signIn).
func (s *Source) waitGraphQLReset(ctx context.Context, h http.Header) error {
	now := s.now()
	wait := time.Minute
	reset := now.Add(wait)
	if secs, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
		reset = time.Unix(secs, 0).UTC()
		wait = max(reset.Sub(now)+time.Second, time.Second)
	}
	s.log.Warn().Str("source", string(doraflow.SourceGitHub)).Str("resource", "graphql").Time("reset", reset).Dur("wait", wait).
		Msg("GitHub GraphQL rate limit exhausted: waiting for the reset")
	return s.sleep(ctx, wait)
}

// spent notes a query's cost in the Read's counters and logs it.
func (s *Source) spent(ctx context.Context, name string, rl gqlRateLimit) {
	if c := countersFrom(ctx); c != nil {
		c.points.Add(int64(rl.Cost))
	}
	s.log.Debug().Str("source", string(doraflow.SourceGitHub)).Str("query", name).Int("cost", rl.Cost).
		Int("remaining", rl.Remaining).Time("reset", rl.ResetAt).Msg("GraphQL query")
}
