package faults

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/vektah/gqlparser/v2/ast"

	"doraflow"
	"doraflow/config"
	"doraflow/extract/github"
	"doraflow/extract/github/githubfake"
	"doraflow/extract/pagerduty"
	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/internal/fakeapi"
	"doraflow/load/clickhouse"
	"doraflow/pipeline"
)

// upstreams lists the upstream systems the suite runs the scenarios
// against, each in turn being the one that misbehaves while the others
// behave. A source joins the suite by adding its entry here.
//
// An entry may be another way of reading a system that an entry before
// it reads (system names it): a run reads each system one way, the
// misbehaving entry's or else the first entry's. GitHub is read through
// GraphQL, the default, in every scenario, and through REST in the
// scenarios of restScenarios (faults/README.md says why not all).
var upstreams = []upstreamEntry{
	{name: "pagerduty", new: newPagerDuty, hold: 10},
	{name: "github", new: newGitHub(github.APIGraphQL), hold: 50},
	{name: "github-rest", system: "github", new: newGitHub(github.APIREST), hold: 120, only: restScenarios, oneEngine: true},
}

// restScenarios are the scenarios run with GitHub read through REST: the
// ones where REST and GraphQL take other paths (retries of 5xx and cut
// bodies, the primary limit's 403 against GraphQL's RATE_LIMITED, 304s
// for a backfill run again). The others exercise the pipeline and
// ClickHouse, which do not depend on the API, and GraphQL runs them.
var restScenarios = []string{"10% of requests 5xx or dropped", "rate limit exhausted mid-backfill", "same backfill run twice"}

// upstreamEntry is one entry of upstreams.
type upstreamEntry struct {
	name string
	// system is the upstream system the entry reads, when another entry
	// before it reads it too: "" for the entry's name.
	system string
	new    func() upstream
	// hold is the request at which the process scenarios strike, about a
	// third into the backfill's 31 chunks: PagerDuty makes one request a
	// chunk, GitHub through REST a dozen or so (runs, pull requests,
	// compares), through GraphQL about four (runs and compares over REST,
	// the pull requests of shipped commits batched in one query).
	hold int64
	// only names the scenarios the entry misbehaves in; nil: all.
	only []string
	// oneEngine runs the entry on the suite's last engine only (the
	// current one in make test): what it tests is the extractor, which
	// does not depend on the engine, and the engines run side by side,
	// so the suite takes as long as its longest engine.
	oneEngine bool
}

// of is the system the entry reads.
func (u upstreamEntry) of() string { return cmp.Or(u.system, u.name) }

// runs reports whether the entry misbehaves in scenario on an engine,
// last telling whether it is the suite's last.
func (u upstreamEntry) runs(scenario string, last bool) bool {
	return (u.only == nil || slices.Contains(u.only, scenario)) && (!u.oneEngine || last)
}

// runUpstreams are the entries a run reads: faulty's, and the first
// entry of every other system.
func runUpstreams(faulty string) []upstreamEntry {
	var faultySystem string
	for _, u := range upstreams {
		if u.name == faulty {
			faultySystem = u.of()
		}
	}
	var out []upstreamEntry
	seen := map[string]bool{}
	for _, u := range upstreams {
		sys := u.of()
		if seen[sys] || sys == faultySystem && u.name != faulty {
			continue
		}
		seen[sys] = true
		out = append(out, u)
	}
	return out
}

// holdAt is the request of source at which the process scenarios strike.
func holdAt(source string) int64 {
	for _, src := range upstreams {
		if src.name == source {
			return src.hold
		}
	}
	panic("faults: no source " + source)
}

// upstream is one source's system, faked, holding the organisation's data
// there.
type upstream interface {
	// config returns the source's part of the config for a fake at url.
	config(url string) sourceConfig
	// handler serves the data as the source's API does, misbehaving as f
	// says; injected tells how many requests got a fault (a 5xx, a
	// dropped connection, a 429) out of how many.
	handler(f fault) (h http.Handler, injected func() (faults, requests int))
	// option builds the source for an in-process pipeline reading cfg and
	// keeping its state in store, waiting with sleep between retries.
	option(cfg *config.Config, store *clickhouse.Store, sleep func(context.Context, time.Duration) error) (pipeline.Option, error)
	// deleteTenth makes a tenth of the source's objects vanish upstream,
	// the newest (open) one included, and returns their ids.
	deleteTenth() ([]string, error)
}

// sourceConfig is a source's part of the config file.
type sourceConfig struct {
	section     string            // top-level YAML: the connection, with its token as a ${VAR}
	deployments []string          // deployment mapping blocks, as YAML flow mappings
	incidents   []string          // incident mapping blocks
	env         map[string]string // the values of the ${VAR}s it uses
}

// fault is what a scenario makes one source do; each source maps it onto
// the knobs of its fake.
type fault struct {
	// failRate is the share of requests answered with a 5xx or a dropped
	// connection.
	failRate float64
	// rateLimit is the number of requests allowed per minute of clock;
	// those past it get 429 with the time the budget refills.
	rateLimit int
	clock     clockwork.Clock
	// holdAt holds the source's nth request until the scenario lets it go
	// (see gate).
	holdAt int64
}

// pagerDutyToken is the API token of the fake PagerDuty account.
const pagerDutyToken = "faults-pagerduty-token"

// pagerDutyFake is the organisation's PagerDuty account: incidents of its
// services (PAPI001, PWEB001, PPAY001) and of one doraflow has no entry
// for (legacy-batch, PLEG001), over the 90 days before end, the last three
// still open.
type pagerDutyFake struct{ data *pagerdutyfake.Data }

func newPagerDuty() upstream {
	size := pagerdutyfake.Size{Services: len(services) + 1, Teams: 2, Incidents: 240, Span: 90 * 24 * time.Hour, End: end}
	return &pagerDutyFake{data: pagerdutyfake.Generate(seed, size)}
}

func (p *pagerDutyFake) config(url string) sourceConfig {
	return sourceConfig{
		section:   fmt.Sprintf("pagerduty:\n  base_url: %s\n  token: ${FAULTS_PAGERDUTY_TOKEN}\n", url),
		incidents: []string{"{name: pagerduty, method: pagerduty}"},
		env:       map[string]string{"FAULTS_PAGERDUTY_TOKEN": pagerDutyToken},
	}
}

// failures are the ways a failing request fails, taken in turn.
var failures = []fakeapi.Fault{{Status: 500}, {Drop: true}, {Status: 502}, {Status: 503}, {Drop: true}, {Status: 504}}

func (p *pagerDutyFake) handler(f fault) (http.Handler, func() (int, int)) {
	opts := pagerdutyfake.Options{Token: pagerDutyToken}
	if f.failRate > 0 {
		fails := fakeapi.FailRate(seed, f.failRate, fakeapi.Fault{Drop: true})
		var n atomic.Int64
		opts.Faults = func(seq int64, r *http.Request) fakeapi.Fault {
			if fails(seq, r).IsZero() {
				return fakeapi.Fault{}
			}
			return failures[(n.Add(1)-1)%int64(len(failures))]
		}
	}
	if f.rateLimit > 0 {
		opts.RateLimit, opts.RateWindow, opts.Now = f.rateLimit, time.Minute, f.clock.Now
	}
	srv := pagerdutyfake.NewServer(p.data, opts)
	return srv, func() (int, int) {
		st := srv.Stats()
		return st.Faults + st.RateLimited, st.Total
	}
}

func (p *pagerDutyFake) option(cfg *config.Config, _ *clickhouse.Store, sleep func(context.Context, time.Duration) error) (pipeline.Option, error) {
	src, err := pagerduty.New(pagerduty.Options{BaseURL: cfg.PagerDuty.BaseURL, Token: cfg.PagerDuty.Token.Value(), Sleep: sleep})
	if err != nil {
		return nil, err
	}
	return pipeline.WithExtractor(doraflow.SourcePagerDuty, src), nil
}

func (p *pagerDutyFake) deleteTenth() ([]string, error) {
	all := p.data.Incidents()
	var gone []string
	for i := len(all) - 1; i >= 0; i -= 10 {
		if err := p.data.Delete(all[i].ID); err != nil {
			return gone, err
		}
		gone = append(gone, all[i].ID)
	}
	return gone, nil
}

// gitHubToken is the API token of the fake GitHub organisation.
const gitHubToken = "faults-github-token"

// gitHubFake is the organisation's GitHub: a small generated organisation
// (acme: api, web and the generator's other repositories) over the 90 days
// before end. doraflow reads two of its repositories: acme/api deploys
// with each successful deploy.yml run, acme/web with each merged pull
// request labelled deploy.
//
// api is how doraflow reads it, github.api: through GraphQL, acme/web's
// merged pull requests come from GitHub's GraphQL API, which the fake
// serves with GitHub's schema (graphqlSchema), and the faults hit its
// queries as they hit REST requests.
type gitHubFake struct {
	org *githubfake.Org
	api string
	srv *githubfake.Server // the server of the run, for deleteTenth
	now func() time.Time   // the clock the fake's rate limit runs on, when it has one
}

func newGitHub(api string) func() upstream {
	return func() upstream {
		size := githubfake.Size{Repos: 6, PRsPerRepo: 80, RunsPerRepo: 100, Now: end}
		return &gitHubFake{org: githubfake.Generate(seed, size), api: api}
	}
}

// graphqlSchema is GitHub's GraphQL schema, which the fake needs to
// answer GraphQL: DORAFLOW_TEST_GITHUB_GRAPHQL_SCHEMA names it (make
// test-faults sets it to what scripts/graphql-schema.sh fetch prints).
var graphqlSchema = sync.OnceValues(func() (*ast.Schema, error) {
	path := os.Getenv(githubfake.SchemaEnv)
	if path == "" {
		return nil, fmt.Errorf("%s is not set: the fault suite reads GitHub through GraphQL, which the fake answers only with GitHub's schema; make test-faults sets it, or set it to the path scripts/graphql-schema.sh fetch prints", githubfake.SchemaEnv)
	}
	return githubfake.LoadSchema(path)
})

func (g *gitHubFake) config(url string) sourceConfig {
	return sourceConfig{
		section: fmt.Sprintf("github:\n  base_url: %s\n  api: %s\n  token: ${FAULTS_GITHUB_TOKEN}\n", url, g.api),
		deployments: []string{
			"{name: api-deploys, method: workflow_run, repositories: [acme/api], environment: production, filters: {workflow: deploy.yml, conclusion: success}}",
			"{name: web-merges, method: merged_pr, repositories: [acme/web], environment: production, filters: {labels: [deploy]}}",
		},
		env: map[string]string{"FAULTS_GITHUB_TOKEN": gitHubToken},
	}
}

func (g *gitHubFake) handler(f fault) (http.Handler, func() (int, int)) {
	// No budget to speak of unless the scenario limits it: the fake's
	// default 5,000 an hour is not the fault under test.
	opts := githubfake.Options{Token: gitHubToken, Budget: 1 << 30}
	if g.api == github.APIGraphQL {
		// TestFaults checked it loads.
		opts.GraphQLSchema, _ = graphqlSchema()
	}
	if f.failRate > 0 {
		// 502, 503 and connections dropped mid-body, drawn per request
		// and URL so a retry is a new draw; GraphQL queries alike (the
		// fake injects faults before it routes).
		opts.Faults = fakeapi.FailRatePerURL(seed, f.failRate, fakeapi.Fault{Status: 502}, fakeapi.Fault{Status: 503}, fakeapi.Fault{Truncate: true})
	}
	if f.rateLimit > 0 {
		// The primary limit: 403 with X-RateLimit-Remaining 0 and the
		// reset, as GitHub answers; GraphQL's, as many points a minute,
		// 200 with a RATE_LIMITED error.
		opts.Budget, opts.GraphQLBudget, opts.ResetEvery, opts.Now = f.rateLimit, f.rateLimit, time.Minute, f.clock.Now
		g.now = f.clock.Now
	}
	g.srv = githubfake.NewServer(g.org, opts)
	return g.srv, func() (int, int) {
		st := g.srv.Stats()
		return int(st.Faults + st.RateLimited + st.SecondaryLimited), int(st.Total)
	}
}

func (g *gitHubFake) option(cfg *config.Config, store *clickhouse.Store, sleep func(context.Context, time.Duration) error) (pipeline.Option, error) {
	src, err := github.New(github.Options{BaseURL: cfg.GitHub.BaseURL, API: cfg.GitHub.API, Token: cfg.GitHub.Token.Value(), Concurrency: cfg.GitHub.Concurrency,
		Sleep: sleep, Now: g.now, ETags: pipeline.NewETags(store), Pending: pipeline.NewPending(store)})
	if err != nil {
		return nil, err
	}
	return pipeline.WithExtractor(doraflow.SourceGitHub, src), nil
}

// graphqlInjected counts the GraphQL queries that got a fault or a
// RATE_LIMITED answer, out of all; ok is false when the run read GitHub
// through REST.
func (g *gitHubFake) graphqlInjected() (faults, queries int, ok bool) {
	if g.api != github.APIGraphQL {
		return 0, 0, false
	}
	for _, r := range g.srv.Requests() {
		if r.Endpoint != githubfake.EndpointGraphQL {
			continue
		}
		queries++
		if !r.Fault.IsZero() || r.RateLimited {
			faults++
		}
	}
	return faults, queries, true
}

// deleteTenth deletes every tenth workflow run, pull request and release
// of every repository, counting from the newest.
func (g *gitHubFake) deleteTenth() ([]string, error) {
	var gone []string
	g.srv.Update(func(o *githubfake.Org) {
		for _, repo := range o.Repos {
			name := repo.FullName()
			for i := len(repo.Runs) - 1; i >= 0; i -= 10 {
				gone = append(gone, fmt.Sprintf("%s/runs/%d", name, repo.Runs[i].ID))
				repo.Runs = append(repo.Runs[:i], repo.Runs[i+1:]...)
			}
			for i := len(repo.PRs) - 1; i >= 0; i -= 10 {
				gone = append(gone, fmt.Sprintf("%s#pr-%d", name, repo.PRs[i].Number))
				repo.PRs = append(repo.PRs[:i], repo.PRs[i+1:]...)
			}
			for i := len(repo.Releases) - 1; i >= 0; i -= 10 {
				gone = append(gone, fmt.Sprintf("%s/releases/%d", name, repo.Releases[i].ID))
				repo.Releases = append(repo.Releases[:i], repo.Releases[i+1:]...)
			}
		}
	})
	return gone, nil
}

// gate holds the nth request it sees until released, so that a scenario
// acts while the pipeline is provably mid-backfill: the chunks before are
// staged and checkpointed, the one asking is not.
type gate struct {
	next    http.Handler
	n       int64
	seen    atomic.Int64
	reached chan struct{} // closed when the nth request arrives
	release chan struct{} // closed by the scenario to let it through
}

func newGate(next http.Handler, n int64) *gate {
	return &gate{next: next, n: n, reached: make(chan struct{}), release: make(chan struct{})}
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.seen.Add(1) == g.n {
		close(g.reached)
		select {
		case <-g.release:
		case <-r.Context().Done(): // the client is gone (killed)
			return
		}
	}
	g.next.ServeHTTP(w, r)
}
