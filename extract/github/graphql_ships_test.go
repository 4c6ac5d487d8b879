package github_test

import (
	"testing"
	"time"

	"doraflow"
	"doraflow/extract/github"
	"doraflow/extract/github/githubfake"
)

// TestGraphQLShipsMatchREST reads the deployment blocks of a generated
// organisation (workflow runs, releases, GitHub deployments) through both
// APIs and requires the same rows, changes, ships and commits included:
// through GraphQL the pull requests of shipped commits come from batched
// Commit.associatedPullRequests lookups (and the pull requests' starts and
// first reviews from batched pullRequest reads) instead of REST's
// GET /commits/{sha}/pulls, /pulls/{n}/commits and /pulls/{n}/reviews. A
// case reads the merged_pr block first, as a config with both does, so
// that starts and first reviews are known.
func TestGraphQLShipsMatchREST(t *testing.T) {
	schema := needSchema(t)
	now := time.Date(2026, time.March, 1, 0, 0, 0, 0, time.UTC)
	org := githubfake.Generate(11, githubfake.Size{PRsPerRepo: 250, Now: now})
	// Both reads of every case from one budget: REST's are large.
	srv := startFake(t, org, githubfake.Options{GraphQLSchema: schema, Budget: 1 << 30, GraphQLBudget: 1 << 30})
	since, until := now.AddDate(0, 0, -90), now
	all := []string{"acme/*"}
	runs := doraflow.Block{Name: "runs", Method: doraflow.MethodWorkflowRun, Repositories: all, Environment: doraflow.EnvironmentProduction,
		Filters: doraflow.Filters{"workflow": "deploy.yml", "branch": "main", "conclusion": "success"}}
	merged := doraflow.Block{Name: "prs", Method: doraflow.MethodMergedPR, Repositories: all, Environment: doraflow.EnvironmentProduction}
	cases := []struct {
		name   string
		before *doraflow.Block // read first by the same Sources
		block  doraflow.Block
		// What the GraphQL read must no longer send over REST.
		noREST []string
		// The GraphQL read's queries and points: the lookups of 100
		// commits a point, the ranges of 9 deployments a point, and
		// without the merged_pr block before it the pull requests'
		// reads, 3 points per 100.
		queries, points int
		// The GraphQL read's compares: the ranges its heads' histories
		// did not prove linear (graphql_history.go).
		compares int64
	}{
		{name: "workflow runs", block: runs, queries: 29, points: 45, compares: 68,
			noREST: []string{"GET /repos/{owner}/{repo}/commits/{sha}/pulls", "GET /repos/{owner}/{repo}/pulls/{number}/reviews"}},
		{name: "workflow runs after merged_pr", before: &merged, block: runs, queries: 17, points: 17, compares: 68,
			noREST: []string{"GET /repos/{owner}/{repo}/commits/{sha}/pulls", "GET /repos/{owner}/{repo}/pulls/{number}/commits"}},
		{name: "releases", block: doraflow.Block{Name: "releases", Method: doraflow.MethodRelease, Repositories: all,
			Environment: doraflow.EnvironmentProduction}, queries: 23, points: 35, compares: 25,
			noREST: []string{"GET /repos/{owner}/{repo}/commits/{sha}/pulls"}},
		{name: "deployments", block: doraflow.Block{Name: "deployments", Method: doraflow.MethodDeployment, Repositories: all,
			Filters: doraflow.Filters{"environment": "production"}}, queries: 27, points: 44, compares: 41,
			noREST: []string{"GET /repos/{owner}/{repo}/commits/{sha}/pulls"}},
	}
	compare := "GET /repos/{owner}/{repo}/compare/{basehead...}"
	saved := int64(0) // compares the GraphQL reads did not send
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rest := newSource(t, srv.URL(), nil, func(o *github.Options) { o.API = github.APIREST })
			gql := newSource(t, srv.URL(), nil, func(o *github.Options) { o.API = github.APIGraphQL })
			if tc.before != nil {
				read(t, rest, *tc.before, since, until, nil)
				read(t, gql, *tc.before, since, until, nil)
			}
			srv.ResetLog()
			restRows, restSt := read(t, rest, tc.block, since, until, nil)
			restBy := srv.Stats().ByEndpoint
			srv.ResetLog()
			gqlRows, gqlSt := read(t, gql, tc.block, since, until, nil)
			fs := srv.Stats()
			if len(restRows.deployments) == 0 || len(restRows.changes) == 0 || len(restRows.commits) == 0 {
				t.Fatalf("REST read %d deployments, %d changes, commits of %d: the case proves nothing",
					len(restRows.deployments), len(restRows.changes), len(restRows.commits))
			}
			pulls := "GET /repos/{owner}/{repo}/commits/{sha}/pulls"
			if restBy[pulls] == 0 {
				t.Fatalf("the REST read sent no %s: the case proves nothing", pulls)
			}
			diffRows(t, restRows, gqlRows)
			for _, e := range tc.noREST {
				if n := fs.ByEndpoint[e]; n != 0 {
					t.Errorf("the GraphQL read sent %d × %s (REST: %d)", n, e, restBy[e])
				}
			}
			queries := fs.ByEndpoint[githubfake.EndpointGraphQL]
			if queries != int64(tc.queries) || gqlSt.Points != tc.points || int64(gqlSt.Points) != fs.Points {
				t.Errorf("GraphQL read: %d queries, %d points by its count, %d by the fake's; want %d and %d",
					queries, gqlSt.Points, fs.Points, tc.queries, tc.points)
			}
			if restSt.Points != 0 {
				t.Errorf("REST read counted %d GraphQL points", restSt.Points)
			}
			if gqlREST := gqlSt.Requests - int(queries); gqlREST >= restSt.Requests {
				t.Errorf("GraphQL read sent %d REST requests, REST %d: nothing saved", gqlREST, restSt.Requests)
			}
			// Some ranges hold a merge commit: REST compares them.
			if n := fs.ByEndpoint[compare]; n != tc.compares || n == 0 || n > restBy[compare] {
				t.Errorf("the GraphQL read sent %d × %s, want %d (REST: %d)", n, compare, tc.compares, restBy[compare])
			}
			saved += restBy[compare] - fs.ByEndpoint[compare]
			t.Logf("%d deployments, %d changes: REST %d requests (%d commit lookups, %d compares); GraphQL %d REST requests (%d compares), %d queries, %d points",
				len(restRows.deployments), len(restRows.changes), restSt.Requests, restBy[pulls], restBy[compare], gqlSt.Requests-int(queries), fs.ByEndpoint[compare], queries, gqlSt.Points)
		})
	}
	if saved == 0 {
		t.Errorf("no GraphQL read saved a compare: no range was read through Commit.history")
	}
}
