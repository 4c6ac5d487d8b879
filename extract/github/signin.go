package github

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	jwt "github.com/golang-jwt/jwt/v4"

	"doraflow"
)

// Signing in.
//
// signIn is the layer under httpretry that puts the credential on each
// attempt, so that every attempt can use another one:
//
//   - several tokens (github.token, github.tokens) are used in turn: one
//     serves until its budget is spent (X-RateLimit-Remaining reaches 0,
//     or a primary-limit refusal), then the next takes over at once; only
//     when all are spent does a refusal reach httpretry, carrying the
//     earliest reset, so doraflow waits for the first budget to return;
//   - the REST API's budget (core) and GraphQL's points are apart on
//     GitHub, so each has its own turn: a GraphQL query (marked by
//     Source.graphql, see forGraphQL) goes out on the credential whose
//     GraphQL budget is in use, and a spent GraphQL budget, which GitHub
//     answers with HTTP 200 and an error of type RATE_LIMITED
//     (docs.github.com "Rate limits and node limits for the GraphQL API",
//     "Exceeding the rate limit"), hands the query to the next credential
//     at once; only when every GraphQL budget is spent does the refusal
//     reach Source.graphql, carrying the earliest reset, to wait for;
//   - a GitHub App (github.app) signs in with installation tokens from
//     ghinstallation, renewed a minute before they expire on the Source's
//     clock, and at once when GitHub refuses one (401): the attempt is
//     repeated with the new token, so a renewal never fails a read.
//
// GitHub counts the primary budget per user or installation, not per
// token: tokens of one user share one budget, so only tokens of different
// accounts add to it.

// App is GitHub App sign-in: the App's ID, the installation on the
// organisation, and the App's RSA private key in PEM.
type App struct {
	ID, InstallationID int64
	PrivateKey         []byte
}

// credential is one way to sign requests in, with its budget.
type credential struct {
	label     string // Budget.Label
	configKey string // what to check when it is refused, e.g. "github.tokens[0]"
	token     string // a token; "" for an App
	app       *appTokens

	// budgets are the credential's budgets by resource, guarded by
	// signIn.mu.
	budgets [numResources]budget
}

// resource is one of the rate-limit budgets GitHub keeps apart per user
// or installation that signIn takes turns on: the REST API's and
// GraphQL's.
type resource int

const (
	resourceCore    resource = iota // the REST API's requests
	resourceGraphQL                 // the GraphQL API's points
	numResources
)

// String is the resource's name in X-RateLimit-Resource and Budget.
func (r resource) String() string { return [...]string{"core", "graphql"}[r] }

type resourceKey struct{}

// forGraphQL marks a request's context as a GraphQL query's, for signIn
// to sign it in with the credential whose GraphQL budget is in use.
func forGraphQL(ctx context.Context) context.Context {
	return context.WithValue(ctx, resourceKey{}, resourceGraphQL)
}

// resourceOf is the budget a request spends: core unless forGraphQL.
func resourceOf(ctx context.Context) resource {
	r, _ := ctx.Value(resourceKey{}).(resource)
	return r
}

// budget is one rate-limit budget of a credential, as GitHub's last
// answer said.
type budget struct {
	known            bool
	limit, remaining int
	reset            time.Time
	// refused is a refusal in this window: a GraphQL query that costs
	// more than the points left is refused with some left, and nothing
	// more goes on the budget until its reset.
	refused bool
}

// take records an answer's budget: a later window replaces it, and of
// answers of one window, which come back out of order, the lowest count
// is the latest.
func (b *budget) take(limit, remaining int, reset time.Time) {
	switch {
	case !b.known || reset.After(b.reset):
		*b = budget{known: true, limit: limit, remaining: remaining, reset: reset}
	case reset.Equal(b.reset):
		b.remaining = min(b.remaining, remaining)
	}
}

// authorization returns the Authorization header value of an attempt
// and the token in it.
func (c *credential) authorization(ctx context.Context) (header, token string, err error) {
	if c.app == nil {
		return "Bearer " + c.token, c.token, nil
	}
	tok, err := c.app.token(ctx)
	if err != nil {
		return "", "", err
	}
	return "Bearer " + tok, tok, nil
}

// available reports whether the budget may have some left at now.
func (b *budget) available(now time.Time) bool {
	return !b.known || b.remaining > 0 && !b.refused || !now.Before(b.reset)
}

// signIn is the RoundTripper that signs attempts in (see above). With no
// credentials requests go anonymous.
type signIn struct {
	next  http.RoundTripper
	now   func() time.Time
	creds []*credential
	// identity names the credentials in ETag keys (see identity).
	identity string

	mu  sync.Mutex
	cur [numResources]int // the credential in use, per resource, while it has budget
}

// newSignIn builds the credentials of opts: Token, then Tokens, or App.
// exchange is the transport that installation tokens are asked for
// through; apiRoot the API's URL without its trailing slash.
func newSignIn(opts Options, now func() time.Time, next, exchange http.RoundTripper, apiRoot string) (*signIn, error) {
	s := &signIn{next: next, now: now, identity: "anonymous"}
	if opts.App != nil {
		if opts.Token != "" || len(opts.Tokens) > 0 {
			return nil, errors.New("github: both a GitHub App and tokens are given: sign in one way")
		}
		app, err := newAppTokens(*opts.App, now, exchange, apiRoot)
		if err != nil {
			return nil, err
		}
		label := "app installation " + strconv.FormatInt(opts.App.InstallationID, 10)
		s.creds = []*credential{{label: label, configKey: "github.app (" + label + ")", app: app}}
		// Keyed by installation: its tokens change every hour, and an
		// ETag that does not depend on the token keeps matching.
		s.identity = "app-" + strconv.FormatInt(opts.App.InstallationID, 10)
		return s, nil
	}
	var tokens []string
	if opts.Token != "" {
		tokens = append(tokens, opts.Token)
	}
	tokens = append(tokens, opts.Tokens...)
	for i, t := range tokens {
		if t == "" {
			return nil, fmt.Errorf("github: token %d is empty", i+1)
		}
		key := "github.token"
		switch {
		case opts.Token == "":
			key = fmt.Sprintf("github.tokens[%d]", i)
		case i > 0:
			key = fmt.Sprintf("github.tokens[%d]", i-1)
		}
		s.creds = append(s.creds, &credential{label: "token " + strconv.Itoa(i+1), configKey: key, token: t})
	}
	if len(tokens) > 0 {
		s.identity = "tokens-" + tokensHash(tokens)
	}
	return s, nil
}

// tokensHash names a set of tokens without revealing them: a truncated
// SHA-256 over each token's SHA-256.
func tokensHash(tokens []string) string {
	h := sha256.New()
	for _, t := range tokens {
		sum := sha256.Sum256([]byte(t))
		h.Write(sum[:])
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// RoundTrip signs req in with the credential in use and sends it; see
// the top of this file for when it sends it again with another.
func (s *signIn) RoundTrip(req *http.Request) (*http.Response, error) {
	if len(s.creds) == 0 {
		return s.next.RoundTrip(req)
	}
	ctx := req.Context()
	res := resourceOf(ctx)
	replayable := req.Body == nil || req.GetBody != nil
	renewals := 0
	for switched := 0; ; {
		c := s.pick(res)
		header, tok, err := c.authorization(ctx)
		if err != nil {
			return nil, err
		}
		r := req.Clone(ctx)
		r.Header.Set("Authorization", header)
		if req.GetBody != nil && (renewals > 0 || switched > 0) {
			if r.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
		resp, err := s.next.RoundTrip(r)
		if err != nil {
			return nil, err
		}
		again := false
		switch {
		case resp.StatusCode == http.StatusUnauthorized && c.app != nil && renewals < maxRenewals && replayable:
			// Expired early (clocks differ) or revoked: renew. Twice at
			// most: the first renewal may hand over the token another
			// request renewed just before the revocation, refused too;
			// the second drops that one and asks for a token after it.
			c.app.renew(tok)
			renewals++
			again = true
		case resp.StatusCode == http.StatusUnauthorized:
			discard(resp)
			return nil, &signInError{err: fmt.Errorf("%w (HTTP 401) — check %s", ErrUnauthorized, c.configKey)}
		default:
			switchCredential, err := s.observe(c, resp)
			if err != nil {
				return nil, err
			}
			again = switchCredential && replayable && switched < len(s.creds)
			if again {
				switched++
			}
		}
		if !again {
			return resp, nil
		}
		discard(resp)
	}
}

// maxRenewals bounds the renewals of an installation token one request
// makes after 401s (see RoundTrip).
const maxRenewals = 2

// discard drains and closes a response that is not handed up.
func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// pick returns the credential in use for res while its budget of res may
// have some left, else the next whose may, else (all spent) the one whose
// budget of res returns first.
func (s *signIn) pick(res resource) *credential {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	n := len(s.creds)
	for i := range n {
		if c := s.creds[(s.cur[res]+i)%n]; c.budgets[res].available(now) {
			s.cur[res] = (s.cur[res] + i) % n
			return c
		}
	}
	return s.earliest(res)
}

// earliest is the credential whose budget of res returns first; s.mu is
// held.
func (s *signIn) earliest(res resource) *credential {
	best := s.creds[0]
	for _, c := range s.creds[1:] {
		if c.budgets[res].reset.Before(best.budgets[res].reset) {
			best = c
		}
	}
	return best
}

// observe takes c's budget from resp's rate-limit headers. For a
// primary-limit refusal — 403 or 429 with X-RateLimit-Remaining 0 for
// the REST API, a 200 with a RATE_LIMITED error for GraphQL — it reports
// whether another credential may take over; when none can, it sets the
// refusal's reset to the earliest of all, which is when the retry layer
// (REST) or Source.graphql then tries again. err is a GraphQL answer's
// body that could not be read, for httpretry to retry.
func (s *signIn) observe(c *credential, resp *http.Response) (switchCredential bool, err error) {
	h := resp.Header
	var res resource
	switch h.Get("X-RateLimit-Resource") {
	case "", "core":
		res = resourceCore
	case "graphql":
		res = resourceGraphQL
	default:
		return false, nil // another budget (search, …) than the ones tracked
	}
	remaining, err1 := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	limit, err2 := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	resetSecs, err3 := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return false, nil
	}
	reset := time.Unix(resetSecs, 0).UTC()
	var refused bool
	if res == resourceGraphQL {
		if refused, err = graphqlRateLimited(resp); err != nil {
			return false, err
		}
	} else {
		refused = (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests) && remaining == 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := &c.budgets[res]
	b.take(limit, remaining, reset)
	if !refused {
		return false, nil
	}
	b.refused = true
	now := s.now()
	for _, o := range s.creds {
		if o != c && o.budgets[res].available(now) {
			return true, nil
		}
	}
	h.Set("X-RateLimit-Reset", strconv.FormatInt(s.earliest(res).budgets[res].reset.Unix(), 10))
	return false, nil
}

// graphqlRateLimited reports whether a GraphQL answer is the refusal of
// a spent budget: HTTP 200 with an error of type RATE_LIMITED. It reads
// the body, which it puts back for the layers above.
func graphqlRateLimited(resp *http.Response) (bool, error) {
	if resp.StatusCode != http.StatusOK || resp.Body == nil {
		return false, nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return false, fmt.Errorf("failed to read response body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if !bytes.Contains(body, []byte(`"RATE_LIMITED"`)) {
		return false, nil // the common case, without decoding the data
	}
	var r struct {
		Errors []gqlError `json:"errors"`
	}
	if json.Unmarshal(body, &r) != nil {
		return false, nil // Source.graphql names a body it cannot decode
	}
	return rateLimited(r.Errors), nil
}

// budgets returns every credential's budgets, in order: core always,
// graphql once known.
func (s *signIn) budgets() []doraflow.Budget {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]doraflow.Budget, 0, len(s.creds))
	for _, c := range s.creds {
		for res, b := range c.budgets {
			if res == int(resourceCore) || b.known {
				out = append(out, doraflow.Budget{Label: c.label, Resource: resource(res).String(), Known: b.known, Limit: b.limit, Remaining: b.remaining, Reset: b.reset})
			}
		}
	}
	return out
}

// check asks GitHub for each credential's budget with GET /rate_limit,
// which costs none of it, and returns every budget. A credential GitHub
// refuses is named in the error; the others are still asked.
func (s *signIn) check(ctx context.Context, apiRoot string) ([]doraflow.Budget, error) {
	var errs []error
	for _, c := range s.creds {
		header, _, err := c.authorization(ctx)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, apiRoot+"/rate_limit", nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", header)
		req.Header.Set("Accept", "application/vnd.github+json")
		resp, err := s.next.RoundTrip(req)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: GET /rate_limit: %w", c.label, err))
			continue
		}
		_, _ = s.observe(c, resp) // a core answer: its body is not read
		if resp.StatusCode == http.StatusOK {
			s.observeGraphQL(c, resp.Body)
		}
		discard(resp)
		if resp.StatusCode != http.StatusOK {
			errs = append(errs, fmt.Errorf("%s: GET /rate_limit: HTTP %d — check %s", c.label, resp.StatusCode, c.configKey))
		}
	}
	return s.budgets(), errors.Join(errs...)
}

// observeGraphQL takes c's GraphQL budget from a /rate_limit answer's
// body (resources.graphql), which its headers, the core budget's, do not
// carry. An answer without it changes nothing.
func (s *signIn) observeGraphQL(c *credential, body io.Reader) {
	var rl struct {
		Resources struct {
			GraphQL *struct {
				Limit     int   `json:"limit"`
				Remaining int   `json:"remaining"`
				Reset     int64 `json:"reset"`
			} `json:"graphql"`
		} `json:"resources"`
	}
	if json.NewDecoder(io.LimitReader(body, 1<<20)).Decode(&rl) != nil || rl.Resources.GraphQL == nil {
		return
	}
	g := rl.Resources.GraphQL
	s.mu.Lock()
	defer s.mu.Unlock()
	c.budgets[resourceGraphQL].take(g.Limit, g.Remaining, time.Unix(g.Reset, 0).UTC())
}

// signInError is a failure to sign in: a refused credential (wrapping
// ErrUnauthorized) or an installation token that could not be had. The
// retry layer does not repeat it, and callError hands it up as it is.
type signInError struct{ err error }

func (e *signInError) Error() string { return e.err.Error() }
func (e *signInError) Unwrap() error { return e.err }

// appTokens keeps a GitHub App installation's token. ghinstallation signs
// the JWT, asks for the token and caches it until a minute before it
// expires on the wall clock; appTokens also drops it at that time on the
// Source's clock (tests move theirs) and when GitHub refuses it.
type appTokens struct {
	atr          *ghinstallation.AppsTransport
	installation int64
	apiRoot      string
	now          func() time.Time

	mu   sync.Mutex
	tr   *ghinstallation.Transport // nil: ask for a new token
	last string                    // the token tr gave last
}

func newAppTokens(app App, now func() time.Time, exchange http.RoundTripper, apiRoot string) (*appTokens, error) {
	if app.ID <= 0 || app.InstallationID <= 0 {
		return nil, fmt.Errorf("github: GitHub App id %d, installation %d: both must be set", app.ID, app.InstallationID)
	}
	key, err := jwt.ParseRSAPrivateKeyFromPEM(app.PrivateKey)
	if err != nil {
		// Not wrapped: the parser's message could quote the key.
		return nil, errors.New("github: the GitHub App's private key is not a PEM RSA private key: use the .pem file GitHub generated for the App")
	}
	atr, err := ghinstallation.NewAppsTransportWithOptions(exchange, app.ID, ghinstallation.WithSigner(&clockSigner{key: key, now: now}))
	if err != nil {
		return nil, fmt.Errorf("github: GitHub App: %w", err)
	}
	atr.BaseURL = apiRoot
	return &appTokens{atr: atr, installation: app.InstallationID, apiRoot: apiRoot, now: now}, nil
}

// token returns the installation token, asking for a new one when there
// is none or it is due for renewal on the Source's clock.
func (a *appTokens) token(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tr != nil {
		if _, refreshAt, err := a.tr.Expiry(); err == nil && !a.now().Before(refreshAt) {
			a.tr = nil
		}
	}
	if a.tr == nil {
		a.tr = ghinstallation.NewFromAppsTransport(a.atr, a.installation)
		a.tr.BaseURL = a.apiRoot
	}
	tok, err := a.tr.Token(ctx)
	if err != nil {
		a.tr = nil
		return "", a.failure(ctx, err)
	}
	a.last = tok
	return tok, nil
}

// renew drops the token refused, unless another request renewed it
// meanwhile.
func (a *appTokens) renew(refused string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.last == refused {
		a.tr = nil
	}
}

// failure describes a failed token request, naming what to check. A
// refusal wraps ErrUnauthorized, so the read stops at once.
func (a *appTokens) failure(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	what := fmt.Sprintf("github: cannot get a token for GitHub App installation %d", a.installation)
	var he *ghinstallation.HTTPError
	if !errors.As(err, &he) || he.Response == nil {
		return &signInError{err: fmt.Errorf("%s: %w", what, errors.Unwrap(err))}
	}
	status := he.Response.StatusCode
	body, _ := io.ReadAll(io.LimitReader(he.Response.Body, 64<<10))
	he.Response.Body.Close()
	msg := http.StatusText(status)
	if m := githubMessage(body); m != "" {
		msg = m
	}
	switch status {
	case http.StatusUnauthorized:
		return &signInError{err: fmt.Errorf("%s: HTTP 401: %s: %w — check github.app.id and the App's private key", what, msg, ErrUnauthorized)}
	case http.StatusForbidden, http.StatusNotFound:
		return &signInError{err: fmt.Errorf("%s: HTTP %d: %s: %w — check github.app.installation_id, and that the App is installed on the organisation and not suspended", what, status, msg, ErrUnauthorized)}
	}
	return &signInError{err: fmt.Errorf("%s: HTTP %d: %s", what, status, msg)}
}

// githubMessage is the message of a GitHub error document, "" if none.
func githubMessage(body []byte) string {
	var doc struct{ Message string }
	_ = json.Unmarshal(body, &doc)
	return doc.Message
}

// clockSigner signs the App's JWTs with ghinstallation's claims, but its
// times taken from the Source's clock (ghinstallation reads the wall
// clock): issued 30 seconds back against clock drift, expiring two
// minutes later, well inside GitHub's 10-minute limit.
type clockSigner struct {
	key *rsa.PrivateKey
	now func() time.Time
}

// Sign implements ghinstallation.Signer.
func (s *clockSigner) Sign(claims jwt.Claims) (string, error) {
	if rc, ok := claims.(*jwt.RegisteredClaims); ok {
		iat := s.now().Add(-30 * time.Second).Truncate(time.Second)
		rc.IssuedAt = jwt.NewNumericDate(iat)
		rc.ExpiresAt = jwt.NewNumericDate(iat.Add(2 * time.Minute))
	}
	return jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(s.key)
}
