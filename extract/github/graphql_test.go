package github_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"doraflow"
	"doraflow/extract/github"
	"doraflow/extract/github/githubfake"
	"doraflow/internal/logtest"
)

// graphqlSchema is GitHub's GraphQL schema, which the fake validates the
// extractor's queries against: DORAFLOW_TEST_GITHUB_GRAPHQL_SCHEMA names
// it (make test fetches it, scripts/graphql-schema.sh). Without the
// variable GraphQL tests skip; naming a missing file fails them.
var graphqlSchema = sync.OnceValues(func() (*ast.Schema, error) {
	return githubfake.LoadSchema(os.Getenv(githubfake.SchemaEnv))
})

func needSchema(t testing.TB) *ast.Schema {
	t.Helper()
	if os.Getenv(githubfake.SchemaEnv) == "" {
		t.Skipf("%s is not set: run make test, or set it to the path scripts/graphql-schema.sh fetch prints", githubfake.SchemaEnv)
	}
	s, err := graphqlSchema()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestGraphQLMatchesREST reads merged_pr blocks of a generated
// organisation through both APIs and requires the same rows, and counts
// what each costs: REST requests against GraphQL points (README.md).
func TestGraphQLMatchesREST(t *testing.T) {
	schema := needSchema(t)
	now := time.Date(2026, time.March, 1, 0, 0, 0, 0, time.UTC)
	org := githubfake.Generate(11, githubfake.Size{PRsPerRepo: 250, Now: now})
	srv := startFake(t, org, githubfake.Options{GraphQLSchema: schema})
	since, until := now.AddDate(0, 0, -90), now
	cases := []struct {
		name    string
		filters doraflow.Filters
		repos   []string
		points  int // what the GraphQL read costs
	}{
		// 18 listings of 3 points, and the 1-point count of the
		// organisation-wide search that found them cheaper
		// (graphql_search.go); one repository is never searched.
		{name: "all merged", repos: []string{"acme/*"}, points: 55},
		{name: "base branch and labels", repos: []string{"acme/*"}, points: 55,
			filters: doraflow.Filters{"base_branch": "main", "labels": []string{"deploy"}, "exclude_labels": []string{"skip-deploy"}}},
		{name: "paths", repos: []string{"acme/platform"}, points: 12,
			filters: doraflow.Filters{"paths": []string{"services/a/**"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := doraflow.Block{Name: "prs", Method: doraflow.MethodMergedPR, Repositories: tc.repos,
				Environment: doraflow.EnvironmentProduction, Filters: tc.filters}
			rest := newSource(t, srv.URL(), nil, func(o *github.Options) { o.API = github.APIREST })
			gql := newSource(t, srv.URL(), nil, func(o *github.Options) { o.API = github.APIGraphQL })
			srv.ResetLog()
			restRows, restSt := read(t, rest, b, since, until, nil)
			if n := srv.Stats().ByEndpoint[githubfake.EndpointGraphQL]; n != 0 {
				t.Errorf("the REST read sent %d GraphQL queries", n)
			}
			srv.ResetLog()
			gqlRows, gqlSt := read(t, gql, b, since, until, nil)
			fs := srv.Stats()
			if len(restRows.deployments) == 0 || len(restRows.changes) != len(restRows.deployments) {
				t.Fatalf("REST read %d deployments and %d changes: the case proves nothing", len(restRows.deployments), len(restRows.changes))
			}
			diffRows(t, restRows, gqlRows)
			if gqlSt.Points != tc.points || int(fs.Points) != tc.points {
				t.Errorf("GraphQL read spent %d points by its count, %d by the fake's; want %d", gqlSt.Points, fs.Points, tc.points)
			}
			if restSt.Points != 0 {
				t.Errorf("REST read counted %d GraphQL points", restSt.Points)
			}
			if fs.ByEndpoint[githubfake.EndpointGraphQL] == 0 || fs.Charged != int64(gqlSt.Requests)-fs.ByEndpoint[githubfake.EndpointGraphQL] {
				t.Errorf("GraphQL read: %d queries, %d REST requests charged, %d requests in all", fs.ByEndpoint[githubfake.EndpointGraphQL], fs.Charged, gqlSt.Requests)
			}
			t.Logf("%d merged pull requests: REST %d requests; GraphQL %d queries, %d points, %d REST requests",
				len(restRows.deployments), restSt.Requests, fs.ByEndpoint[githubfake.EndpointGraphQL], gqlSt.Points, fs.Charged)
		})
	}
}

// TestGraphQLLongPullRequest reads a pull request with more than 100
// commits and labels: its further pages come in a query of their own, and
// the rows still match REST's, started_at the earliest of all commits.
func TestGraphQLLongPullRequest(t *testing.T) {
	schema := needSchema(t)
	f := handMade(t)
	r := f.org.Repo("api")
	var labels []string
	for i := range 120 {
		labels = append(labels, "area-"+strconv.Itoa(i))
	}
	times := make([]time.Time, 150)
	for i := range times {
		// The earliest author date is the 101st commit's, on the second page.
		times[i] = at(20 + float64(i)/10)
	}
	times[100] = at(16)
	long := r.AddPR(githubfake.PRSpec{Title: "Big refactor", Labels: labels, Commits: 150, CommitTimes: times,
		CreatedAt: at(36), Merge: githubfake.MergeSquash, MergedAt: at(37)})
	srv := startFake(t, f.org, githubfake.Options{GraphQLSchema: schema})
	b := block(doraflow.MethodMergedPR, doraflow.Filters{"labels": []string{"area-110"}})
	restRows, _ := read(t, newSource(t, srv.URL(), nil, func(o *github.Options) { o.API = github.APIREST }), b, monthSince, monthUntil, nil)
	srv.ResetLog()
	gqlSrc := newSource(t, srv.URL(), nil, func(o *github.Options) { o.API = github.APIGraphQL })
	gqlRows, st := read(t, gqlSrc, b, monthSince, monthUntil, nil)
	want := "acme/api#pr-" + strconv.Itoa(long.Number)
	// The points spent show beside the REST budget (status, /metrics).
	gqlRate := srv.GraphQLRate()
	if bs := gqlSrc.Budgets(); len(bs) != 2 || bs[1].Resource != "graphql" || !bs[1].Known || bs[1].Remaining != gqlRate.Remaining || bs[1].Limit != gqlRate.Limit {
		t.Errorf("Budgets() = %+v, want token 1's core and graphql budgets, graphql at the fake's %+v", bs, gqlRate)
	}
	if got := gqlRows.deploymentIDs(); !reflect.DeepEqual(got, []string{want}) {
		t.Fatalf("GraphQL read deployments %v, want %v", got, []string{want})
	}
	if !reflect.DeepEqual(restRows, gqlRows) {
		t.Errorf("GraphQL rows differ from REST's:\nREST    %+v\nGraphQL %+v", restRows.changes, gqlRows.changes)
	}
	if got := gqlRows.changes[want].StartedAt; !got.Equal(at(16)) {
		t.Errorf("started_at %s, want the 101st commit's author date %s", got, at(16))
	}
	// One listing (3 points: pull requests, and their labels, commits
	// and reviews) and one query for the second pages of labels and
	// commits (1 + 1 requests: 1 point).
	if queries := srv.Stats().ByEndpoint[githubfake.EndpointGraphQL]; queries != 2 || st.Points != 4 || st.Requests != 2 {
		t.Errorf("%d queries, %d points, %d requests; want 2, 4, 2", queries, st.Points, st.Requests)
	}
}

// TestGraphQLRateLimited spends the GraphQL budget: the next query is
// answered RATE_LIMITED, and the extractor waits for the reset, says so
// in its log, and reads on.
func TestGraphQLRateLimited(t *testing.T) {
	schema := needSchema(t)
	f := handMade(t)
	clk := newClock(monthUntil)
	srv := startFake(t, f.org, githubfake.Options{GraphQLSchema: schema, GraphQLBudget: 3, Now: clk.Now})
	var logs logtest.Buffer
	src := newSource(t, srv.URL(), clk, func(o *github.Options) { o.API = github.APIGraphQL; o.Log = logs.Logger() })
	b := block(doraflow.MethodMergedPR, nil)
	first, _ := read(t, src, b, monthSince, monthUntil, nil)
	second, st := read(t, src, b, monthSince, monthUntil, nil)
	if len(first.deployments) != 4 || !reflect.DeepEqual(first, second) {
		t.Fatalf("reads gave %d and %d deployments, want the same 4", len(first.deployments), len(second.deployments))
	}
	waits := clk.Waits()
	if len(waits) != 1 || waits[0] < 59*time.Minute || waits[0] > time.Hour+time.Second {
		t.Errorf("waits %v, want one until the reset an hour on", waits)
	}
	if st.Requests != 2 || st.Points != 3 {
		t.Errorf("second read: %d requests, %d points; want 2 (one refused), 3", st.Requests, st.Points)
	}
	if n := strings.Count(logs.String(), "GitHub GraphQL rate limit exhausted"); n != 1 {
		t.Errorf("%d rate-limit warnings in the log, want 1:\n%s", n, logs.String())
	}
	if fs := srv.Stats(); fs.RateLimited != 1 || fs.Points != 6 {
		t.Errorf("fake: %d refused, %d points charged; want 1, 6", fs.RateLimited, fs.Points)
	}
}

// TestGraphQLFakeLimits holds the fake to GitHub's node limits and cost
// formula (docs.github.com "Rate limits and node limits for the GraphQL
// API") and to its schema.
func TestGraphQLFakeLimits(t *testing.T) {
	schema := needSchema(t)
	srv := startFake(t, handMade(t).org, githubfake.Options{GraphQLSchema: schema})
	cases := []gqlCase{
		{name: "cost and nodes", query: `{ rateLimit { cost nodeCount } repository(owner: "acme", name: "api") {
			pullRequests(first: 100) { nodes { commits(first: 100) { totalCount } labels(first: 10) { totalCount } } } } }`,
			// 1 + 100 + 100 requests = 2 points; 100 + 10,000 + 1,000 nodes
			wantData: `"rateLimit":{"cost":2,"nodeCount":11100}`},
		{name: "minimum cost", query: `{ rateLimit { cost } repository(owner: "acme", name: "api") { name } }`,
			wantData: `"rateLimit":{"cost":1}`},
		{name: "first over 100", query: `{ repository(owner: "acme", name: "api") { pullRequests(first: 101) { totalCount } } }`,
			wantType: "EXCESSIVE_PAGINATION", wantMsg: "exceeds the `first` limit of 100 records"},
		{name: "no first", query: `{ repository(owner: "acme", name: "api") { pullRequests { totalCount } } }`,
			wantType: "MISSING_PAGINATION_BOUNDARIES", wantMsg: "You must provide a `first` or `last` value"},
		{name: "node limit", query: `{ repository(owner: "acme", name: "api") { pullRequests(first: 100) { nodes {
			labels(first: 100) { nodes { pullRequests(first: 100) { totalCount } } } } } } }`,
			wantType: "MAX_NODE_LIMIT_EXCEEDED", wantMsg: "1010100 possible nodes"},
		{name: "not in the schema", query: `{ repository(owner: "acme", name: "api") { deployFrequency } }`,
			wantMsg: `Cannot query field "deployFrequency" on type "Repository"`},
		{name: "unknown repository", query: `{ repository(owner: "acme", name: "nope") { name } }`,
			wantType: "NOT_FOUND", wantMsg: "Could not resolve to a Repository with the name 'acme/nope'.", wantData: `"repository":null`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, srv) })
	}
}

// gqlAnswer is a GraphQL answer as a test reads it.
type gqlAnswer struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct{ Type, Message string }
}

// gqlCase is a query sent to the fake as is, and what its answer must
// hold.
type gqlCase struct {
	name, query string
	wantType    string // the error's type; "" for none
	wantMsg     string // part of the error message; "" for no error
	wantData    string // part of the data
}

// check sends the case's query to srv and checks the answer.
func (tc gqlCase) check(t *testing.T, srv *githubfake.Server) {
	t.Helper()
	got := postGraphQL(t, srv, tc.query)
	switch {
	case tc.wantMsg == "" && len(got.Errors) > 0:
		t.Errorf("errors %+v, want none", got.Errors)
	case tc.wantMsg != "" && (len(got.Errors) != 1 || got.Errors[0].Type != tc.wantType || !strings.Contains(got.Errors[0].Message, tc.wantMsg)):
		t.Errorf("errors %+v, want one of type %q saying %q", got.Errors, tc.wantType, tc.wantMsg)
	}
	if !strings.Contains(string(got.Data), tc.wantData) {
		t.Errorf("data %s, want it to hold %s", got.Data, tc.wantData)
	}
}

// postGraphQL sends query to the fake with the test token and checks the
// answer is GitHub's form: 200, on the graphql rate-limit resource.
func postGraphQL(t *testing.T, srv *githubfake.Server, query string) gqlAnswer {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"graphql", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got gqlAnswer
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d, %v", resp.StatusCode, err)
	}
	if resp.Header.Get("X-RateLimit-Resource") != "graphql" {
		t.Errorf("X-RateLimit-Resource %q, want graphql", resp.Header.Get("X-RateLimit-Resource"))
	}
	return got
}

// TestGraphQLFakeHistory pins the fake's Commit.history: git log's order
// from the commit down (a merge commit's two parents counted), paged by
// first and after, costed by the formula (1 + a parents connection per
// commit listed).
func TestGraphQLFakeHistory(t *testing.T) {
	schema := needSchema(t)
	f := handMade(t)
	srv := startFake(t, f.org, githubfake.Options{GraphQLSchema: schema})
	query := func(first int, after string) string {
		return fmt.Sprintf(`{ rateLimit { cost nodeCount } repository(owner: "acme", name: "api") { object(oid: %q) { ... on Commit {
			history(first: %d, after: %q) { nodes { oid parents(first: 2) { totalCount } } pageInfo { hasNextPage endCursor } } } } } }`,
			f.squash5.String(), first, after)
	}
	type page struct {
		RateLimit  struct{ Cost, NodeCount int }
		Repository struct {
			Object struct {
				History struct {
					Nodes []struct {
						OID     string
						Parents struct{ TotalCount int }
					}
					PageInfo struct {
						HasNextPage bool
						EndCursor   string
					}
				}
			}
		}
	}
	read := func(first int, after string) page {
		t.Helper()
		got := postGraphQL(t, srv, query(first, after))
		if len(got.Errors) > 0 {
			t.Fatalf("errors %+v", got.Errors)
		}
		var p page
		if err := json.Unmarshal(got.Data, &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := read(3, "")
	h := first.Repository.Object.History
	want := []struct {
		oid     githubfake.SHA
		parents int
	}{{f.squash5, 1}, {f.lone2, 1}, {f.merge2, 2}}
	if len(h.Nodes) != len(want) || !h.PageInfo.HasNextPage {
		t.Fatalf("first page %+v, want %d commits and more", h, len(want))
	}
	for i, w := range want {
		if n := h.Nodes[i]; n.OID != w.oid.String() || n.Parents.TotalCount != w.parents {
			t.Errorf("commit %d: %s with %d parents, want %s with %d", i, n.OID, n.Parents.TotalCount, w.oid, w.parents)
		}
	}
	// 1 + 3 requests: 1 point; 3 commits and 3 × 2 parents.
	if rl := first.RateLimit; rl.Cost != 1 || rl.NodeCount != 9 {
		t.Errorf("cost %d, nodes %d; want 1 and 9", rl.Cost, rl.NodeCount)
	}
	two := read(2, "").Repository.Object.History
	next := read(1, two.PageInfo.EndCursor).Repository.Object.History
	if len(next.Nodes) != 1 || next.Nodes[0].OID != f.merge2.String() {
		t.Errorf("the page after the first two: %+v, want %s", next.Nodes, f.merge2)
	}
}
