package github_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"doraflow"
	"doraflow/extract/github"
	"doraflow/extract/github/githubfake"
	"doraflow/internal/logtest"
)

const (
	appID          = 4242
	installationID = 777
)

// appKey is a GitHub App's private key and its PEM.
type appKey struct {
	key *rsa.PrivateKey
	pem []byte
}

func newAppKey(t *testing.T) appKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return appKey{key: k, pem: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})}
}

// ticking is a transport under the retry layer that moves the clock by
// tick after each read request, so a read of a few dozen requests outlives a token of
// a few minutes without anyone waiting; before it sends request n
// (1-based) it calls at(req, n), when set.
type ticking struct {
	clk  *clock
	tick time.Duration
	n    atomic.Int64
	at   func(req *http.Request, n int64)
}

func (tk *ticking) RoundTrip(req *http.Request) (*http.Response, error) {
	n := tk.n.Add(1)
	if tk.at != nil {
		tk.at(req, n)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if req.Method == http.MethodGet { // the time between two reads; a token request takes none
		tk.clk.Advance(tk.tick)
	}
	return resp, err
}

// appSource is a Source signed in as the App of srv with key, conc
// requests in flight (0: the default).
func appSource(t *testing.T, srv *githubfake.Server, clk *clock, key []byte, base http.RoundTripper, conc int) *github.Source {
	t.Helper()
	return newSource(t, srv.URL(), clk, func(o *github.Options) {
		o.Token, o.Base, o.Concurrency = "", base, conc
		o.App = &github.App{ID: appID, InstallationID: installationID, PrivateKey: key}
	})
}

// TestAppTokensRenewed reads with a GitHub App whose installation tokens
// last minutes, over a read many times longer (the clock moves after each
// request): the rows are those of a token read, the tokens are renewed
// before they expire (no request is refused), and when GitHub revokes
// the token mid-read the 401 is answered by a renewal, not an error.
func TestAppTokensRenewed(t *testing.T) {
	k := newAppKey(t)
	org := githubfake.Generate(3, githubfake.Size{Repos: 6, PRsPerRepo: 20, RunsPerRepo: 30, Now: future})
	since, until := org.Now.AddDate(0, 0, -60), org.Now
	b := generatedBlocks()[1] // workflow_run: runs, compares, pull requests
	want := reference(t, org, b, since, until)
	tests := []struct {
		name       string
		conc       int
		tick, life time.Duration
		revokeAt   int64 // revoke every token before the first read request from this one on; 0 never
		// 401s the fake answers: none while tokens are renewed in time;
		// after a revocation, one per request in flight at most.
		minUnauthorized, maxUnauthorized int64
	}{
		{"renewed before expiry", 1, 2 * time.Minute, 10 * time.Minute, 0, 0, 0},
		{"revoked mid-read", 1, 2 * time.Minute, 10 * time.Minute, 20, 1, 1},
		// Short ticks: the three other requests that end while one is in
		// flight must not outlast the minute a token is renewed early,
		// nor a JWT's 90 seconds.
		{"revoked mid-read, 4 requests in flight", 4, 10 * time.Second, 90 * time.Second, 20, 1, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock(future)
			srv := startFake(t, org, githubfake.Options{Now: clk.Now,
				App: &githubfake.App{ID: appID, PublicKey: &k.key.PublicKey, InstallationID: installationID, TokenLife: tt.life}})
			tk := &ticking{clk: clk, tick: tt.tick}
			if tt.revokeAt > 0 {
				var done atomic.Bool
				tk.at = func(req *http.Request, n int64) {
					// A read request, which then carries the revoked token.
					if n >= tt.revokeAt && req.Method == http.MethodGet && done.CompareAndSwap(false, true) {
						srv.RevokeInstallationTokens()
					}
				}
			}
			src := appSource(t, srv, clk, k.pem, tk, tt.conc)
			got, st := read(t, src, b, since, until, nil)
			if !sameRows(got, want) {
				t.Errorf("rows differ from a token read: %d deployments, want %d", len(got.deployments), len(want.deployments))
			}
			fs := srv.Stats()
			took := time.Duration(tk.n.Load()-fs.ByEndpoint[githubfake.EndpointAccessTokens]) * tt.tick
			if took < 5*tt.life {
				t.Fatalf("the read took %s of the clock, not five times a token's life: the test proves nothing", took)
			}
			// A token serves until a minute before it ends: one at least
			// per life, at most one per (life - 1 minute - a tick), and
			// one after a revocation.
			issued := srv.InstallationTokensIssued()
			if lo, hi := int(took/tt.life), int(took/(tt.life-time.Minute-tt.tick))+2; issued < lo || issued > hi {
				t.Errorf("%d installation tokens for a read of %s, want %d to %d", issued, took, lo, hi)
			}
			if fs.Unauthorized < tt.minUnauthorized || fs.Unauthorized > tt.maxUnauthorized {
				t.Errorf("%d requests refused with 401, want %d to %d", fs.Unauthorized, tt.minUnauthorized, tt.maxUnauthorized)
			}
			if int64(st.Requests) != tk.n.Load() {
				t.Errorf("Stats.Requests = %d, want every request sent (%d), token requests included", st.Requests, tk.n.Load())
			}
			budgets := src.Budgets()
			if len(budgets) != 1 || budgets[0].Label != "app installation 777" || !budgets[0].Known || budgets[0].Limit != 5000 {
				t.Errorf("Budgets() = %+v, want app installation 777 with GitHub's limit", budgets)
			}
		})
	}
}

// TestAppSignInRefused: a wrong key, App or installation ends the read at
// once with ErrUnauthorized and a message naming what to check; the key
// never shows.
func TestAppSignInRefused(t *testing.T) {
	k, other := newAppKey(t), newAppKey(t)
	f := handMade(t)
	tests := []struct {
		name string
		app  githubfake.App
		want string
	}{
		{"another key", githubfake.App{ID: appID, PublicKey: &other.key.PublicKey, InstallationID: installationID},
			"github: cannot get a token for GitHub App installation 777: HTTP 401: A JSON web token could not be decoded: github: the token was refused — check github.app.id and the App's private key"},
		{"another App", githubfake.App{ID: appID + 1, PublicKey: &k.key.PublicKey, InstallationID: installationID},
			"github: cannot get a token for GitHub App installation 777: HTTP 401: 'Issuer' claim ('iss') must be the App's ID: github: the token was refused — check github.app.id and the App's private key"},
		{"another installation", githubfake.App{ID: appID, PublicKey: &k.key.PublicKey, InstallationID: installationID + 1},
			"github: cannot get a token for GitHub App installation 777: HTTP 404: Not Found: github: the token was refused — check github.app.installation_id, and that the App is installed on the organisation and not suspended"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock(monthUntil)
			srv := startFake(t, f.org, githubfake.Options{App: &tt.app, Now: clk.Now})
			src := appSource(t, srv, clk, k.pem, nil, 0)
			_, err := src.Read(context.Background(), block(doraflow.MethodRelease, doraflow.Filters{}), monthSince, monthUntil, nil, newCollector(t).sink)
			if !errors.Is(err, github.ErrUnauthorized) || err.Error() != tt.want {
				t.Fatalf("error %q\nwant   %q wrapping ErrUnauthorized", err, tt.want)
			}
			if strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Errorf("the key shows in %q", err)
			}
			// Not retried: one token request.
			if n := srv.Stats().ByEndpoint[githubfake.EndpointAccessTokens]; n != 1 {
				t.Errorf("%d token requests, want 1", n)
			}
		})
	}
}

// TestAppAndTokensExclusive: New refuses a Source given both.
func TestAppAndTokensExclusive(t *testing.T) {
	_, err := github.New(github.Options{BaseURL: "https://api.github.com/", Token: "t", App: &github.App{ID: 1, InstallationID: 2, PrivateKey: newAppKey(t).pem}})
	if err == nil || !strings.Contains(err.Error(), "both a GitHub App and tokens") {
		t.Fatalf("error %v, want both refused", err)
	}
}

// TestTokensTakeOver: with three tokens of 10 requests each, a read uses
// one until its budget is spent and then the next, without waiting; only
// when all are spent does it wait, until the earliest reset.
func TestTokensTakeOver(t *testing.T) {
	f := handMade(t)
	tokens := []string{testToken, "ghp_second0000000", "ghp_third00000000"}
	b := block(doraflow.MethodWorkflowRun, doraflow.Filters{"workflow": "deploy.yml"})
	b.Repositories = []string{"acme/api", "acme/legacy"}
	want := reference(t, f.org, b, monthSince, monthUntil)
	tests := []struct {
		name   string
		budget int
		waits  int // waits for a reset
	}{
		{"the next token takes over", 9, 0},
		{"all spent: wait for the earliest reset", 5, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock(future)
			srv := startFake(t, f.org, githubfake.Options{Token: tokens[0], Tokens: tokens[1:], Budget: tt.budget, Now: clk.Now})
			src := newSource(t, srv.URL(), clk, func(o *github.Options) { o.Tokens, o.Concurrency = tokens[1:], 1 })
			got, st := read(t, src, b, monthSince, monthUntil, nil)
			if !sameRows(got, want) {
				t.Errorf("rows differ from an unlimited read: %d deployments, want %d", len(got.deployments), len(want.deployments))
			}
			fs := srv.Stats()
			if n := int(fs.Charged); n <= 2*tt.budget+tt.waits*tt.budget || n > 3*tt.budget+tt.waits*3*tt.budget {
				t.Fatalf("%d requests charged on budgets of %d: the test proves nothing", n, tt.budget)
			}
			if st.Requests != int(fs.Total) {
				t.Errorf("Stats.Requests = %d, the fake answered %d", st.Requests, fs.Total)
			}
			var long []time.Duration
			for _, w := range clk.Waits() {
				if w > time.Minute {
					long = append(long, w)
				}
			}
			if len(long) != tt.waits {
				t.Fatalf("waits %v: want %d for a reset", clk.Waits(), tt.waits)
			}
			// Each token is used until GitHub says it has none left, so
			// only the refusals that meet every budget spent are sent.
			if fs.RateLimited != int64(tt.waits) {
				t.Errorf("%d requests refused for the rate limit, want %d", fs.RateLimited, tt.waits)
			}
			budgets := src.Budgets()
			if len(budgets) != 3 {
				t.Fatalf("Budgets() = %+v, want 3", budgets)
			}
			for i, bu := range budgets {
				if want := "token " + string(rune('1'+i)); bu.Label != want || !bu.Known || bu.Limit != tt.budget {
					t.Errorf("budget %d = %+v, want %s known, of %d", i, bu, want, tt.budget)
				}
				for _, tok := range tokens {
					if strings.Contains(bu.Label, tok) {
						t.Errorf("budget label %q shows a token", bu.Label)
					}
				}
			}
			if tt.waits == 0 {
				third, _ := srv.RateOf(tokens[2])
				if budgets[0].Remaining != 0 || budgets[1].Remaining != 0 || budgets[2].Remaining != third.Remaining || third.Used == 0 {
					t.Errorf("budgets %+v: want tokens 1 and 2 spent, in turn, and token 3 in use (%+v)", budgets, third)
				}
				return
			}
			// Every window began within the read's first seconds on the
			// clock, so the earliest reset is an hour and a second away.
			if long[0] < time.Hour-time.Minute || long[0] > time.Hour+time.Second {
				t.Errorf("waited %s, not until the earliest reset", long[0])
			}
		})
	}
}

// TestETagsPerCredential: memos are keyed by the credentials' identity,
// never the token: another token starts afresh (no 304 from an ETag of
// another), the same tokens again get 304s, and an App's memos survive
// its hourly tokens.
func TestETagsPerCredential(t *testing.T) {
	f := handMade(t)
	k := newAppKey(t)
	b := block(doraflow.MethodMergedPR, doraflow.Filters{})
	// In the future: ghinstallation takes a token that expired on the
	// wall clock for one to renew at every request.
	clk := newClock(future)
	srv := startFake(t, f.org, githubfake.Options{Token: testToken, Tokens: []string{"ghp_otherUSER00001"}, Now: clk.Now,
		App: &githubfake.App{ID: appID, PublicKey: &k.key.PublicKey, InstallationID: installationID}})
	store := newMemStore()
	withStore := func(edit func(o *github.Options)) func(o *github.Options) {
		return func(o *github.Options) { o.ETags = store; edit(o) }
	}
	sources := []struct {
		name        string
		edit        func(o *github.Options)
		notModified bool // the read gets 304s
		prefix      string
	}{
		{"token", func(o *github.Options) {}, false, "github/tokens-"},
		{"the same token", func(o *github.Options) {}, true, "github/tokens-"},
		{"another token", func(o *github.Options) { o.Token = "ghp_otherUSER00001" }, false, "github/tokens-"},
		{"the App", func(o *github.Options) {
			o.Token, o.App = "", &github.App{ID: appID, InstallationID: installationID, PrivateKey: k.pem}
		}, false, "github/app-777/"},
		{"the App, an hour later with a new token", func(o *github.Options) {
			o.Token, o.App = "", &github.App{ID: appID, InstallationID: installationID, PrivateKey: k.pem}
		}, true, "github/app-777/"},
	}
	for _, s := range sources {
		t.Run(s.name, func(t *testing.T) {
			clk.Advance(time.Hour)
			src := newSource(t, srv.URL(), clk, withStore(s.edit))
			_, st := read(t, src, b, monthSince, monthUntil, nil)
			if got := st.NotModified > 0; got != s.notModified {
				t.Errorf("%d of %d requests answered 304, want 304s: %t", st.NotModified, st.Requests, s.notModified)
			}
			store.mu.Lock()
			defer store.mu.Unlock()
			if last := store.loaded[len(store.loaded)-1]; !strings.HasPrefix(last, s.prefix) {
				t.Errorf("memos loaded under %q, want %s…", last, s.prefix)
			}
			for key := range store.m {
				if strings.Contains(key, testToken) || strings.Contains(key, "ghp_otherUSER") {
					t.Errorf("a memo key shows a token: %s", key)
				}
			}
		})
	}
	if n := srv.InstallationTokensIssued(); n != 2 {
		t.Errorf("%d installation tokens, want one per App read", n)
	}
}

// TestCheckBudgets: CheckBudgets asks GitHub for each credential's budget
// without spending it (GET /rate_limit is free), labels each without the
// token, and names a refused credential by its config key.
func TestCheckBudgets(t *testing.T) {
	f := handMade(t)
	tokens := []string{testToken, "ghp_second0000000"}
	clk := newClock(future)
	srv := startFake(t, f.org, githubfake.Options{Token: tokens[0], Tokens: tokens[1:], Budget: 50, GraphQLBudget: 300, Now: clk.Now})
	src := newSource(t, srv.URL(), clk, func(o *github.Options) { o.Tokens = tokens[1:] })
	b := block(doraflow.MethodWorkflowRun, doraflow.Filters{"workflow": "deploy.yml"})
	read(t, src, b, monthSince, monthUntil, nil)
	used, _ := srv.RateOf(tokens[0])
	if used.Used == 0 {
		t.Fatal("the read spent nothing of token 1: the test proves nothing")
	}
	charged := srv.Stats().Charged
	budgets, err := src.CheckBudgets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Stats().Charged; got != charged {
		t.Errorf("CheckBudgets was charged %d requests, want none", got-charged)
	}
	// GraphQL's points come from /rate_limit's body, as GitHub gives them.
	want := []doraflow.Budget{
		{Label: "token 1", Resource: "core", Known: true, Limit: 50, Remaining: used.Remaining},
		{Label: "token 1", Resource: "graphql", Known: true, Limit: 300, Remaining: 300},
		{Label: "token 2", Resource: "core", Known: true, Limit: 50, Remaining: 50},
		{Label: "token 2", Resource: "graphql", Known: true, Limit: 300, Remaining: 300},
	}
	if len(budgets) != len(want) {
		t.Fatalf("CheckBudgets = %+v, want %d budgets", budgets, len(want))
	}
	for i, bu := range budgets {
		bu.Reset = time.Time{}
		if bu != want[i] {
			t.Errorf("budget %d = %+v, want %+v", i, bu, want[i])
		}
	}

	refused := newSource(t, srv.URL(), clk, func(o *github.Options) { o.Tokens = []string{"ghp_nosuchtoken000"} })
	_, err = refused.CheckBudgets(context.Background())
	if err == nil || !strings.Contains(err.Error(), "token 2") || !strings.Contains(err.Error(), "github.tokens[0]") || strings.Contains(err.Error(), "ghp_nosuch") {
		t.Errorf("a refused token: error %v, want it named as token 2 (github.tokens[0]) without the token", err)
	}
}

// TestTokensTakeOverGraphQL: GraphQL's points are a budget of their own,
// per user. With two tokens of a few points each, a query goes out on the
// token in use until its GraphQL budget is spent (used up, or a
// RATE_LIMITED refusal of a query costing more than is left) and then on
// the other at once; only when both are spent does the read wait, once,
// logged, until the earliest reset. A read of the block's two
// repositories of one owner is a search: its probe costs 1 point, the
// search query 3.
func TestTokensTakeOverGraphQL(t *testing.T) {
	schema := needSchema(t)
	f := handMade(t)
	tokens := []string{testToken, "ghp_second0000000"}
	b := block(doraflow.MethodMergedPR, nil)
	b.Repositories = []string{"acme/api", "acme/legacy"}
	// served is one GraphQL query as the fake saw it: the user whose
	// budget it went on, and whether it was refused.
	type served struct {
		account string
		refused bool
	}
	ok1, ok2 := served{"user 1", false}, served{"user 2", false}
	tests := []struct {
		name   string
		budget int // GraphQL points per token
		reads  int
		want   []served
		waits  int // waits for a reset
		// remaining are the GraphQL budgets Budgets() shows, token 1's
		// and 2's, which must be the fake's.
		remaining [2]int
	}{
		{name: "spent: the next token serves the next query", budget: 4, reads: 2,
			want: []served{ok1, ok1, ok2, ok2}, remaining: [2]int{0, 0}},
		{name: "refused: the next token serves the query again", budget: 6, reads: 2,
			want: []served{ok1, ok1, ok1, {"user 1", true}, ok2}, remaining: [2]int{1, 3}},
		// The third read finds both spent: token 1 is refused, the read
		// waits, and token 2 serves it after the reset; the fourth goes
		// to token 1 again.
		{name: "all spent: wait for the earliest reset", budget: 4, reads: 4,
			want: []served{ok1, ok1, ok2, ok2, {"user 1", true}, ok2, ok2, ok1, ok1}, waits: 1, remaining: [2]int{0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock(monthUntil)
			srv := startFake(t, f.org, githubfake.Options{Token: tokens[0], Tokens: tokens[1:], GraphQLSchema: schema, GraphQLBudget: tt.budget, Now: clk.Now})
			var logs logtest.Buffer
			src := newSource(t, srv.URL(), clk, func(o *github.Options) {
				o.Tokens, o.Concurrency, o.API, o.Log = tokens[1:], 1, github.APIGraphQL, logs.Logger()
			})
			var first rows
			for i := range tt.reads {
				got, _ := read(t, src, b, monthSince, monthUntil, nil)
				if i == 0 {
					first = got
				} else if !reflect.DeepEqual(got, first) {
					t.Errorf("read %d differs from the first", i+1)
				}
			}
			if len(first.deployments) != 4 {
				t.Fatalf("read %d deployments, want 4", len(first.deployments))
			}
			var got []served
			for _, r := range srv.Requests() {
				if r.Endpoint == githubfake.EndpointGraphQL {
					got = append(got, served{r.Account, r.RateLimited})
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("GraphQL queries served (user, refused) %v, want %v", got, tt.want)
			}
			var long []time.Duration
			for _, w := range clk.Waits() {
				if w > time.Minute {
					long = append(long, w)
				}
			}
			if len(long) != tt.waits {
				t.Fatalf("waits %v: want %d for a reset", clk.Waits(), tt.waits)
			}
			logged := strings.Count(logs.String(), "GitHub GraphQL rate limit exhausted")
			if logged != tt.waits {
				t.Errorf("%d rate-limit warnings, want %d:\n%s", logged, tt.waits, logs.String())
			}
			if tt.waits > 0 {
				// Both windows began at the read's start: the earliest
				// reset is an hour on, and the log says when.
				reset := monthUntil.Add(time.Hour).UTC().Format(time.RFC3339)
				if long[0] < time.Hour || long[0] > time.Hour+time.Second || !strings.Contains(logs.String(), `"reset":"`+reset) {
					t.Errorf("waited %s, logged %s: want until the reset at %s", long[0], logs.String(), reset)
				}
			}
			var gql []doraflow.Budget
			for _, bu := range src.Budgets() {
				if bu.Resource == "graphql" {
					gql = append(gql, bu)
				}
			}
			if len(gql) != 2 {
				t.Fatalf("Budgets() = %+v, want both tokens' graphql budgets", src.Budgets())
			}
			for i, bu := range gql {
				fake, _ := srv.GraphQLRateOf(tokens[i])
				if want := "token " + strconv.Itoa(i+1); bu.Label != want || !bu.Known || bu.Limit != tt.budget ||
					bu.Remaining != tt.remaining[i] || fake.Remaining != tt.remaining[i] || !bu.Reset.Equal(fake.Reset) {
					t.Errorf("graphql budget %d = %+v, want %s's: %d of %d left, the fake's %+v", i, bu, want, tt.remaining[i], tt.budget, fake)
				}
			}
		})
	}
}
