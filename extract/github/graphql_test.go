package github_test

import (
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"doraflow"
	"doraflow/extract/github"
	"doraflow/extract/github/githubfake"
)

// graphqlSchema is GitHub's GraphQL schema, which the fake validates the
// extractor's queries against: DORAFLOW_TEST_GITHUB_GRAPHQL_SCHEMA names
// it (make test fetches it, scripts/graphql-schema.sh). Without the
// variable GraphQL tests skip; naming a missing file fails them.
var graphqlSchema = sync.OnceValues(func() (*ast.Schema, error) {
	return githubfake.LoadSchema(os.Getenv(githubfake.SchemaEnv))
})

func needSchema(t *testing.T) *ast.Schema {
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
		{name: "all merged", repos: []string{"acme/*"}, points: 36},
		{name: "base branch and labels", repos: []string{"acme/*"}, points: 36,
			filters: doraflow.Filters{"base_branch": "main", "labels": []string{"deploy"}, "exclude_labels": []string{"skip-deploy"}}},
		{name: "paths", repos: []string{"acme/platform"}, points: 9,
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
			if !reflect.DeepEqual(restRows, gqlRows) {
				for id, d := range restRows.deployments {
					if !reflect.DeepEqual(d, gqlRows.deployments[id]) {
						t.Errorf("deployment %s:\nREST    %+v\nGraphQL %+v", id, d, gqlRows.deployments[id])
					}
				}
				for id, c := range restRows.changes {
					if !reflect.DeepEqual(c, gqlRows.changes[id]) {
						t.Errorf("change %s:\nREST    %+v\nGraphQL %+v", id, c, gqlRows.changes[id])
					}
				}
				t.Fatalf("GraphQL read %d deployments and %d changes, REST %d and %d", len(gqlRows.deployments), len(gqlRows.changes),
					len(restRows.deployments), len(restRows.changes))
			}
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
