package github_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"doraflow"
	"doraflow/extract/github"
	"doraflow/extract/github/githubfake"
	"doraflow/internal/logtest"
)

// The log lines that say which listing a GraphQL read of merged pull
// requests chose (graphql_search.go).
const (
	bySearch      = "listing merged pull requests by an organisation-wide search"
	byRepository  = "listing merged pull requests per repository"
	searchWarning = "cannot search the owner's merged pull requests"
)

// TestGraphQLSearchMatchesREST reads merged_pr blocks of an organisation
// of many small repositories, where the organisation-wide search is the
// cheaper listing, and requires the rows of the REST API's
// per-repository read: the search keeps only the block's repositories
// (a glob matching some of the owner's) and applies every filter as the
// per-repository path does. The whole window holds more than 1,000
// merged pull requests, so its merged: range is split.
func TestGraphQLSearchMatchesREST(t *testing.T) {
	schema := needSchema(t)
	now := time.Date(2026, time.March, 1, 0, 0, 0, 0, time.UTC)
	org := githubfake.Generate(5, githubfake.Size{Repos: 40, PRsPerRepo: 40, RunsPerRepo: 2, ReleasesPerRepo: 1,
		DeploymentsPerRepo: 1, LoneCommitsPerRepo: 1, Now: now})
	srv := startFake(t, org, githubfake.Options{GraphQLSchema: schema, Budget: 1 << 30, GraphQLBudget: 1 << 30})
	since, until := now.AddDate(0, 0, -90), now
	merged := 0
	for _, r := range org.Repos {
		for _, p := range r.PRs {
			if p.Merged() && !p.MergedAt.Before(since) && p.MergedAt.Before(until) {
				merged++
			}
		}
	}
	if merged <= 1000 {
		t.Fatalf("the organisation merged %d pull requests in the window: the case needs more than a search pages (1,000)", merged)
	}
	cases := []struct {
		name    string
		repos   []string
		filters doraflow.Filters
		days    int // the window, up to now; 0: 90 days
		rows    int // deployments the block delivers, when known
		points  int // what the GraphQL read costs
	}{
		{name: "all merged, split range", repos: []string{"acme/*"}, rows: merged, points: 47},
		// The search pages the whole organisation's merges: for a few of
		// its repositories it is cheaper over a short window only.
		{name: "a glob matching some repositories", repos: []string{"acme/service-1*"}, days: 7, points: 4},
		{name: "a list", repos: []string{"acme/api", "acme/web", "acme/service-7", "acme/Service-8"}, days: 7, points: 4},
		{name: "base branch and labels", repos: []string{"acme/*"}, points: 44,
			filters: doraflow.Filters{"base_branch": "main", "labels": []string{"deploy"}, "exclude_labels": []string{"skip-deploy"}}},
		{name: "paths", repos: []string{"acme/*"}, points: 62,
			filters: doraflow.Filters{"paths": []string{"services/a/**", "src/**"}}},
	}
	// Points: the probe (1), one more count per halving (1 each), and
	// the pages (3 each, 4 with paths): 1,390 merged pull requests take
	// two ranges and 15 pages.
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := doraflow.Block{Name: "prs", Method: doraflow.MethodMergedPR, Repositories: tc.repos,
				Environment: doraflow.EnvironmentProduction, Filters: tc.filters}
			since := since
			if tc.days != 0 {
				since = until.AddDate(0, 0, -tc.days)
			}
			var logs logtest.Buffer
			rest := newSource(t, srv.URL(), nil, func(o *github.Options) { o.API = github.APIREST })
			gql := newSource(t, srv.URL(), nil, func(o *github.Options) { o.API = github.APIGraphQL; o.Log = logs.Logger() })
			restRows, _ := read(t, rest, b, since, until, nil)
			srv.ResetLog()
			gqlRows, gqlSt := read(t, gql, b, since, until, nil)
			fs := srv.Stats()
			if len(restRows.deployments) == 0 || len(restRows.changes) != len(restRows.deployments) {
				t.Fatalf("REST read %d deployments and %d changes: the case proves nothing", len(restRows.deployments), len(restRows.changes))
			}
			if tc.rows != 0 && len(restRows.deployments) != tc.rows {
				t.Errorf("REST read %d deployments, want %d", len(restRows.deployments), tc.rows)
			}
			if !strings.Contains(logs.String(), bySearch) || strings.Contains(logs.String(), byRepository) {
				t.Fatalf("the GraphQL read did not choose the search; log:\n%s", logs.String())
			}
			diffRows(t, restRows, gqlRows)
			if gqlSt.Points != tc.points || int(fs.Points) != tc.points {
				t.Errorf("the search spent %d points by its count, %d by the fake's; want %d", gqlSt.Points, fs.Points, tc.points)
			}
			t.Logf("%d merged pull requests: search %d queries, %d points, %d REST requests",
				len(gqlRows.deployments), fs.ByEndpoint[githubfake.EndpointGraphQL], gqlSt.Points, fs.Charged)
		})
	}
}

// TestGraphQLSearchNotChosen reads a year of merged pull requests of the
// generated organisation shapes the benchmark measures search to be
// dearer on (README.md, "Organisation-wide search"): the probe counts
// them and the read goes per repository, paying the probe's one point
// more than the per-repository listing alone.
func TestGraphQLSearchNotChosen(t *testing.T) {
	schema := needSchema(t)
	size := githubfake.SizeFor(10_000)
	size.Days = 365
	org := githubfake.Generate(1, size)
	srv := startFake(t, org, githubfake.Options{GraphQLSchema: schema, Budget: 1 << 30, GraphQLBudget: 1 << 30})
	since, until := org.Now.AddDate(0, 0, -365), org.Now
	var logs logtest.Buffer
	src := newSource(t, srv.URL(), nil, func(o *github.Options) { o.API = github.APIGraphQL; o.Log = logs.Logger() })
	b := doraflow.Block{Name: "prs", Method: doraflow.MethodMergedPR, Repositories: []string{"acme/*"}, Environment: doraflow.EnvironmentProduction}
	_, st := read(t, src, b, since, until, nil)
	if !strings.Contains(logs.String(), byRepository) || strings.Contains(logs.String(), bySearch) {
		t.Fatalf("the read did not go per repository; log:\n%s", logs.String())
	}
	// 54 per-repository queries of 3 points (BenchmarkMergedPRListing)
	// and the probe.
	if want := 54*3 + 1; st.Points != want {
		t.Errorf("the read spent %d points, want %d", st.Points, want)
	}
	if st.Deployments != 4649 {
		t.Errorf("the read delivered %d merged pull requests, want the benchmark's 4,649", st.Deployments)
	}
}

// TestGraphQLFakeSearch holds the fake's search to GitHub's: the
// qualifiers' matches counted in issueCount, at most 1,000 of them paged,
// sort:created-asc, the documented cost, and terms it does not model
// refused by name rather than answered with made-up matches.
func TestGraphQLFakeSearch(t *testing.T) {
	schema := needSchema(t)
	now := time.Date(2026, time.March, 1, 0, 0, 0, 0, time.UTC)
	org := githubfake.Generate(5, githubfake.Size{Repos: 40, PRsPerRepo: 40, RunsPerRepo: 2, ReleasesPerRepo: 1,
		DeploymentsPerRepo: 1, LoneCommitsPerRepo: 1, Now: now})
	srv := startFake(t, org, githubfake.Options{GraphQLSchema: schema, GraphQLBudget: 1 << 30})
	from, to := now.AddDate(0, 0, -30), now.Add(-time.Second)
	all, inRange, onMain := 0, 0, 0
	var first time.Time // the earliest created of those in range
	for _, r := range org.Repos {
		for _, p := range r.PRs {
			if !p.Merged() {
				continue
			}
			all++
			if p.MergedAt.Before(from) || p.MergedAt.After(to) {
				continue
			}
			inRange++
			if p.Base == "main" {
				onMain++
			}
			if first.IsZero() || p.CreatedAt.Before(first) {
				first = p.CreatedAt
			}
		}
	}
	if all <= 1000 || inRange == 0 || onMain == inRange {
		t.Fatalf("%d merged, %d in range, %d of them on main: the cases prove nothing", all, inRange, onMain)
	}
	rng := " merged:" + from.Format("2006-01-02T15:04:05+00:00") + ".." + to.Format("2006-01-02T15:04:05+00:00")
	search := func(q, sel string) string {
		return `{ rateLimit { cost } search(query: "` + q + `", type: ISSUE, first: 100) { ` + sel + ` } }`
	}
	cases := []gqlCase{
		{name: "count in a range", query: search("org:acme is:pr is:merged"+rng, "issueCount"),
			wantData: `"search":{"issueCount":` + strconv.Itoa(inRange) + `}`},
		{name: "base branch", query: search("org:acme is:pr is:merged base:main"+rng, "issueCount"),
			wantData: `"search":{"issueCount":` + strconv.Itoa(onMain) + `}`},
		{name: "oldest created first", query: search("org:acme is:pr is:merged sort:created-asc"+rng, "nodes { ... on PullRequest { createdAt } }"),
			wantData: `"nodes":[{"createdAt":"` + first.UTC().Format(time.RFC3339) + `"}`},
		// 1 for the search's 100 results, 100 each for their labels and
		// commits: 201 /100, rounded.
		{name: "cost", query: search("org:acme is:pr is:merged",
			"nodes { ... on PullRequest { labels(first: 100) { totalCount } commits(first: 100) { totalCount } } }"),
			wantData: `"rateLimit":{"cost":2}`},
		{name: "a term not modelled", query: search("org:acme is:pr is:merged label:deploy", "issueCount"),
			wantMsg: `does not model the search term "label:deploy"`},
		// The docs give user: for a user and org: for an organisation;
		// the other way round the fake finds nothing (the dangerous
		// answer), on a user as on an organisation.
		{name: "user: on an organisation", query: search("user:acme is:pr is:merged"+rng, "issueCount"),
			wantData: `"search":{"issueCount":0}`},
		// The probe: repositoryOwner is no connection, so the query
		// still costs 1 point.
		{name: "owner kind beside the count", query: `{ rateLimit { cost } repositoryOwner(login: "ACME") { __typename } search(query: "org:acme is:pr is:merged` + rng + `", type: ISSUE, first: 1) { issueCount } }`,
			wantData: `{"rateLimit":{"cost":1},"repositoryOwner":{"__typename":"Organization"},"search":{"issueCount":` + strconv.Itoa(inRange) + `}}`},
		{name: "an owner GitHub does not resolve", query: `{ repositoryOwner(login: "other") { __typename } }`,
			wantData: `"repositoryOwner":null`},
		{name: "another owner", query: search("org:other is:pr is:merged", "issueCount"),
			wantType: "INVALID", wantMsg: "cannot be searched", wantData: `"search":null`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, srv) })
	}
	t.Run("1,000 results paged", func(t *testing.T) {
		paged, after := 0, "null"
		for page := 0; ; page++ {
			if page > 10 {
				t.Fatalf("more than 10 pages of 100")
			}
			got := postGraphQL(t, srv, `{ search(query: "org:acme is:pr is:merged", type: ISSUE, first: 100, after: `+after+`) {
				issueCount pageInfo { hasNextPage endCursor } nodes { ... on PullRequest { number } } } }`)
			var data struct {
				Search struct {
					IssueCount int
					PageInfo   struct {
						HasNextPage bool
						EndCursor   string
					}
					Nodes []struct{ Number int }
				}
			}
			if err := json.Unmarshal(got.Data, &data); err != nil || len(got.Errors) > 0 {
				t.Fatalf("%v %+v", err, got.Errors)
			}
			if data.Search.IssueCount != all {
				t.Fatalf("issueCount %d, want every match, %d", data.Search.IssueCount, all)
			}
			paged += len(data.Search.Nodes)
			if !data.Search.PageInfo.HasNextPage {
				break
			}
			after = strconv.Quote(data.Search.PageInfo.EndCursor)
		}
		if paged != 1000 {
			t.Errorf("paged %d results, want GitHub's cap of 1,000", paged)
		}
	})
}

// searchShortWarning is the warning of a search that delivered fewer
// pull requests than it counted (graphql_search.go, perRepository).
const searchShortWarning = "the search delivered fewer merged pull requests than it counted"

// TestGraphQLSearchIncomplete reads merged_pr blocks through a search
// that leaves merged pull requests out of its pages while issueCount
// counts them (githubfake.Options.SearchIncomplete, GitHub's incomplete
// results): the read notices the shortfall, says so in one warning, and
// reads the block per repository, so the rows, repeats collapsed by id as
// staging's key collapses them, equal the REST read's. The repeats are
// counted in Stats (rows handed to the sink), and a preview counts each
// pull request once.
func TestGraphQLSearchIncomplete(t *testing.T) {
	schema := needSchema(t)
	now := time.Date(2026, time.March, 1, 0, 0, 0, 0, time.UTC)
	org := githubfake.Generate(5, githubfake.Size{Repos: 40, PRsPerRepo: 40, RunsPerRepo: 2, ReleasesPerRepo: 1,
		DeploymentsPerRepo: 1, LoneCommitsPerRepo: 1, Now: now})
	const left = 3 // pull requests each search leaves out
	srv := startFake(t, org, githubfake.Options{GraphQLSchema: schema, Budget: 1 << 30, GraphQLBudget: 1 << 30, SearchIncomplete: left})
	since, until := now.AddDate(0, 0, -7), now
	merged := 0
	for _, r := range org.Repos {
		for _, p := range r.PRs {
			if p.Merged() && !p.MergedAt.Before(since) && p.MergedAt.Before(until) {
				merged++
			}
		}
	}
	if merged <= left || merged > 1000 {
		t.Fatalf("%d merged pull requests in the window: the case needs more than %d and one range", merged, left)
	}
	b := doraflow.Block{Name: "prs", Method: doraflow.MethodMergedPR, Repositories: []string{"acme/*"}, Environment: doraflow.EnvironmentProduction}
	rest := newSource(t, srv.URL(), nil, func(o *github.Options) { o.API = github.APIREST })
	restRows, _ := read(t, rest, b, since, until, nil)
	if len(restRows.deployments) != merged {
		t.Fatalf("REST read %d deployments, want %d", len(restRows.deployments), merged)
	}

	t.Run("read", func(t *testing.T) {
		var logs logtest.Buffer
		gql := newSource(t, srv.URL(), nil, func(o *github.Options) { o.API = github.APIGraphQL; o.Log = logs.Logger() })
		c := newCollector(t)
		st, err := gql.Read(context.Background(), b, since, until, nil, c.sink)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		got := c.rows()
		if !reflect.DeepEqual(restRows, got) {
			t.Fatalf("after an incomplete search the read has %d deployments and %d changes, REST %d and %d",
				len(got.deployments), len(got.changes), len(restRows.deployments), len(restRows.changes))
		}
		// The search delivered all but left, then the per-repository
		// read delivered every one again.
		if want := merged - left + merged; st.Deployments != want || st.Changes != want {
			t.Errorf("Stats: %d deployments, %d changes handed over; want %d each", st.Deployments, st.Changes, want)
		}
		log := logs.String()
		if !strings.Contains(log, bySearch) || strings.Count(log, searchShortWarning) != 1 {
			t.Fatalf("want the search chosen and one shortfall warning; log:\n%s", log)
		}
		var warning struct {
			Level, Block, Range string
			IssueCount          int `json:"issue_count"`
			Nodes               int
		}
		for _, line := range strings.Split(log, "\n") {
			if strings.Contains(line, searchShortWarning) {
				if err := json.Unmarshal([]byte(line), &warning); err != nil {
					t.Fatal(err)
				}
			}
		}
		wantRange := since.Format("2006-01-02T15:04:05+00:00") + ".." + until.Add(-time.Second).Format("2006-01-02T15:04:05+00:00")
		if warning.Level != "warn" || warning.Block != "prs" || warning.Range != wantRange || warning.IssueCount != merged || warning.Nodes != merged-left {
			t.Errorf("warning %+v, want level warn, block prs, range %s, issue_count %d, nodes %d", warning, wantRange, merged, merged-left)
		}
	})

	t.Run("preview", func(t *testing.T) {
		counts := func(api string) (*countFunnel, int) {
			t.Helper()
			src := newSource(t, srv.URL(), nil, func(o *github.Options) { o.API = api })
			f := &countFunnel{removed: map[string]int{}}
			ms, err := src.Preview(context.Background(), b, since, until, f)
			if err != nil {
				t.Fatalf("Preview through %s: %v", api, err)
			}
			return f, len(ms)
		}
		restF, restMatches := counts(github.APIREST)
		gqlF, gqlMatches := counts(github.APIGraphQL)
		if restMatches != merged || gqlMatches != merged {
			t.Errorf("previews matched %d (REST) and %d (after an incomplete search), want %d", restMatches, gqlMatches, merged)
		}
		if gqlF.listed != merged || !reflect.DeepEqual(restF.removed, gqlF.removed) {
			t.Errorf("preview after an incomplete search listed %d and removed %v; want %d listed and REST's %v removed",
				gqlF.listed, gqlF.removed, merged, restF.removed)
		}
	})
}

// countFunnel is a doraflow.Funnel that counts.
type countFunnel struct {
	mu      sync.Mutex
	listed  int
	removed map[string]int
}

func (f *countFunnel) Filter(string) {}
func (f *countFunnel) Listed() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listed++
}
func (f *countFunnel) Removed(filter string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed[filter]++
}

// TestGraphQLSearchUserOwner reads a merged_pr block of a personal
// account's repositories: the probe learns the owner is a User, the
// search uses user: (the fake, like the docs, gives org: nothing for a
// user: 0 results), and the rows equal the REST read's, for one point
// more than an organisation's search (the count with user:).
func TestGraphQLSearchUserOwner(t *testing.T) {
	schema := needSchema(t)
	now := time.Date(2026, time.March, 1, 0, 0, 0, 0, time.UTC)
	org := githubfake.Generate(5, githubfake.Size{Owner: "octocat", Repos: 40, PRsPerRepo: 40, RunsPerRepo: 2, ReleasesPerRepo: 1,
		DeploymentsPerRepo: 1, LoneCommitsPerRepo: 1, Now: now})
	org.User = true
	srv := startFake(t, org, githubfake.Options{GraphQLSchema: schema, Budget: 1 << 30, GraphQLBudget: 1 << 30})
	since, until := now.AddDate(0, 0, -7), now
	b := doraflow.Block{Name: "prs", Method: doraflow.MethodMergedPR, Repositories: []string{"octocat/*"}, Environment: doraflow.EnvironmentProduction}
	var logs logtest.Buffer
	rest := newSource(t, srv.URL(), nil, func(o *github.Options) { o.API = github.APIREST })
	gql := newSource(t, srv.URL(), nil, func(o *github.Options) { o.API = github.APIGraphQL; o.Log = logs.Logger() })
	restRows, _ := read(t, rest, b, since, until, nil)
	srv.ResetLog()
	gqlRows, st := read(t, gql, b, since, until, nil)
	if len(restRows.deployments) == 0 {
		t.Fatal("REST read no deployments: the case proves nothing")
	}
	if !strings.Contains(logs.String(), bySearch) || !strings.Contains(logs.String(), `"owner_type":"User"`) {
		t.Fatalf("the read did not search a user's repositories; log:\n%s", logs.String())
	}
	if !reflect.DeepEqual(restRows, gqlRows) {
		t.Fatalf("the search of a user's repositories read %d deployments and %d changes, REST %d and %d",
			len(gqlRows.deployments), len(gqlRows.changes), len(restRows.deployments), len(restRows.changes))
	}
	// The probe (1), the count with user: (1) and one page of 3 points.
	if fs := srv.Stats(); st.Points != 5 || fs.Points != 5 || fs.ByEndpoint[githubfake.EndpointGraphQL] != 3 {
		t.Errorf("the search spent %d points by its count, %d by the fake's, in %d queries; want 5 in 3",
			st.Points, fs.Points, fs.ByEndpoint[githubfake.EndpointGraphQL])
	}
}
