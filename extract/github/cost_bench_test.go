package github_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"doraflow"
	"doraflow/extract/github"
	"doraflow/extract/github/githubfake"
	"doraflow/internal/logtest"

	"github.com/vektah/gqlparser/v2/ast"
)

// costSizesEnv names the organisation sizes BenchmarkCost measures
// (comma-separated entity counts); make bench sets it.
const costSizesEnv = "DORAFLOW_BENCH_COST_SIZES"

// hourlyBudget is GitHub's primary budget for a token: 5,000 REST
// requests an hour, and apart from it 5,000 GraphQL points an hour
// (docs.github.com "Rate limits for the REST API", "Rate limits and node
// limits for the GraphQL API").
const hourlyBudget = 5000

// BenchmarkCost measures what a first backfill of a year costs on
// GitHub's budgets, through the REST API (github.api: rest) and through
// GraphQL (github.api: graphql), on the same generated organisations:
// githubfake.SizeFor(n) with its activity spread over the year the
// backfill reads. Each API reads, with a fresh Source, the benchmark's
// blocks in config order (benchBlocks: every merged pull request, then
// deploy.yml runs on main) over [Now-365d, Now), through the real
// extractor; the costs are the Reads' own Stats (Requests, Points), the
// GraphQL queries among Requests moved to the points column.
//
//	DORAFLOW_TEST_GITHUB_GRAPHQL_SCHEMA=$(scripts/graphql-schema.sh fetch) \
//	  go test -run '^$' -bench BenchmarkCost -benchtime 1x -timeout 60m ./extract/github/
//
// DORAFLOW_BENCH_COST_SIZES picks the sizes (default 10000,100000). Each
// size logs one line of docs/benchmarks.md's cost table and reports:
//
//   - rest-req/1k-PRs, gql-rest-req/1k-PRs, gql-points/1k-PRs: the
//     merged_pr block's cost per 1,000 merged pull requests it delivered;
//   - rest-req/1k-deploys, gql-rest-req/1k-deploys,
//     gql-points/1k-deploys: the workflow_run block's, per 1,000
//     deployments (after the merged_pr block, which leaves each pull
//     request's start and first review known, as a config with both
//     blocks reads them);
//   - rest-hours, gql-hours: the backfill's wall time at the budget
//     (backfillHours);
//   - gql/rest: the GraphQL backfill's cost (REST requests plus points)
//     over the REST backfill's requests; issue #19's target is ≤ 0.1.
func BenchmarkCost(b *testing.B) {
	schema := needSchema(b)
	sizes := []int{10_000, 100_000}
	if env := os.Getenv(costSizesEnv); env != "" {
		sizes = sizes[:0]
		for _, s := range strings.Split(env, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n <= 0 {
				b.Fatalf("%s=%q: want comma-separated entity counts, such as 10000,100000", costSizesEnv, env)
			}
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		b.Run("entities="+strconv.Itoa(n), func(b *testing.B) {
			_, srv, since, until := yearFake(b, githubfake.SizeFor(n), schema)
			var rest, gql []blockCost
			b.ResetTimer()
			for range b.N {
				rest = backfillCost(b, srv, github.APIREST, since, until)
				gql = backfillCost(b, srv, github.APIGraphQL, since, until)
			}
			b.StopTimer()
			reportCost(b, n, rest, gql)
		})
	}
}

// blockCost is what one block of a backfill delivered and spent: REST
// requests (charged to the REST budget; GraphQL queries left out) and
// GraphQL points.
type blockCost struct {
	deployments, rest, points int
}

// backfillCost reads the benchmark's blocks over [since, until) through
// api with a fresh Source, as a first backfill does, and returns each
// block's cost, in benchBlocks' order.
func backfillCost(b *testing.B, srv *githubfake.Server, api string, since, until time.Time) []blockCost {
	b.Helper()
	src, err := github.New(github.Options{BaseURL: srv.URL(), Token: testToken, API: api})
	if err != nil {
		b.Fatal(err)
	}
	sink := func(context.Context, doraflow.FactSet) error { return nil }
	var out []blockCost
	for _, blk := range benchBlocks() {
		srv.ResetLog()
		st, err := src.Read(context.Background(), blk, since, until, nil, sink)
		if err != nil {
			b.Fatalf("%s: block %s: %v", api, blk.Name, err)
		}
		queries := int(srv.Stats().ByEndpoint[githubfake.EndpointGraphQL])
		if api == github.APIREST && (queries != 0 || st.Points != 0) {
			b.Fatalf("the REST read sent %d GraphQL queries (%d points)", queries, st.Points)
		}
		if st.Deployments == 0 {
			b.Fatalf("%s: block %s delivered no deployments: the measure would prove nothing", api, blk.Name)
		}
		// By endpoint, for extract/github/README.md's account of where a
		// deployment's requests go.
		b.Logf("%s, block %s: %d deployments; requests by endpoint %v", api, blk.Name, st.Deployments, srv.Stats().ByEndpoint)
		out = append(out, blockCost{deployments: st.Deployments, rest: st.Requests - queries, points: st.Points})
	}
	return out
}

// backfillHours is a backfill's wall time at GitHub's budgets: doraflow
// reads blocks one after another, and each block waits on the budget it
// spends (the REST requests and the GraphQL points are separate budgets
// of 5,000 an hour, so a block that spends both is held by the larger),
// so the blocks' hours add up. The fake answers at once; against
// github.com the budget, not doraflow, sets the pace of a backfill this
// large.
func backfillHours(blocks []blockCost) float64 {
	h := 0.0
	for _, c := range blocks {
		h += float64(max(c.rest, c.points)) / hourlyBudget
	}
	return h
}

// reportCost reports the metrics BenchmarkCost documents and logs the
// size's row of docs/benchmarks.md's cost table.
func reportCost(b *testing.B, entities int, rest, gql []blockCost) {
	b.Helper()
	per1k := func(cost, of int) float64 { return 1000 * float64(cost) / float64(of) }
	pr, dep := 0, 1 // benchBlocks' order
	if rest[pr].deployments != gql[pr].deployments || rest[dep].deployments != gql[dep].deployments {
		b.Fatalf("REST delivered %d merged PRs and %d deployments, GraphQL %d and %d", rest[pr].deployments, rest[dep].deployments,
			gql[pr].deployments, gql[dep].deployments)
	}
	total := func(cs []blockCost) (n int) {
		for _, c := range cs {
			n += c.rest + c.points
		}
		return n
	}
	ratio := float64(total(gql)) / float64(total(rest))
	restH, gqlH := backfillHours(rest), backfillHours(gql)
	b.ReportMetric(per1k(rest[pr].rest, rest[pr].deployments), "rest-req/1k-PRs")
	b.ReportMetric(per1k(gql[pr].rest, gql[pr].deployments), "gql-rest-req/1k-PRs")
	b.ReportMetric(per1k(gql[pr].points, gql[pr].deployments), "gql-points/1k-PRs")
	b.ReportMetric(per1k(rest[dep].rest, rest[dep].deployments), "rest-req/1k-deploys")
	b.ReportMetric(per1k(gql[dep].rest, gql[dep].deployments), "gql-rest-req/1k-deploys")
	b.ReportMetric(per1k(gql[dep].points, gql[dep].deployments), "gql-points/1k-deploys")
	b.ReportMetric(restH, "rest-hours")
	b.ReportMetric(gqlH, "gql-hours")
	b.ReportMetric(ratio, "gql/rest")
	met := "no"
	if ratio <= 0.1 {
		met = "yes"
	}
	b.Logf("| %d | %d | %d | %d | %.0f | %.0f + %.0f pt | %.0f | %.0f + %.0f pt | %d | %d + %d pt | %.1f h | %.1f h | %.3f | %s |",
		entities, rest[pr].deployments, rest[dep].deployments,
		rest[pr].rest+rest[dep].rest,
		per1k(rest[pr].rest, rest[pr].deployments), per1k(gql[pr].rest, gql[pr].deployments), per1k(gql[pr].points, gql[pr].deployments),
		per1k(rest[dep].rest, rest[dep].deployments), per1k(gql[dep].rest, gql[dep].deployments), per1k(gql[dep].points, gql[dep].deployments),
		gql[pr].rest+gql[dep].rest, gql[pr].points, gql[dep].points,
		restH, gqlH, ratio, met)
}

// BenchmarkMergedPRListing weighs, for issue #19, listing an
// organisation's merged pull requests with one search across it
// (search(type: ISSUE, query: "org:X is:pr is:merged merged:A..B"))
// against listing them per repository. It reads a year of a merged_pr
// block over acme/* through the real extractor, which chooses between
// the two (graphql_search.go; searched is 1 when it searched; queries
// and points are the chosen path's, the probe included), and computes
// what a search that halves on spent pages, without the probe, would
// cost on the same organisation (searchQueries: GitHub returns at
// most 1,000 results a search, so a range holding more is halved, the
// probe that found out spent). Both page 100 pull requests with the same
// fragment, so a query costs the same 3 points either way by the
// documented formula (1 for the 100 pull requests, 100 for each of the
// three connections inside, /100).
//
//	DORAFLOW_TEST_GITHUB_GRAPHQL_SCHEMA=$(scripts/graphql-schema.sh fetch) \
//	  go test -run '^$' -bench BenchmarkMergedPRListing -benchtime 1x ./extract/github/
func BenchmarkMergedPRListing(b *testing.B) {
	schema := needSchema(b)
	shapes := []struct {
		name string
		size githubfake.Size
	}{
		{"SizeFor(10000)", githubfake.SizeFor(10_000)},
		{"SizeFor(100000)", githubfake.SizeFor(100_000)},
		// Many repositories with a few merged pull requests a year each:
		// the shape where one query per repository dominates.
		{"400 repos of 12 PRs", githubfake.Size{Repos: 400, PRsPerRepo: 12, RunsPerRepo: 4}},
		{"100 repos of 60 PRs", githubfake.Size{Repos: 100, PRsPerRepo: 60, RunsPerRepo: 4}},
	}
	for _, sh := range shapes {
		b.Run(sh.name, func(b *testing.B) {
			org, srv, since, until := yearFake(b, sh.size, schema)
			var st github.Stats
			var queries int64
			var logs logtest.Buffer
			for range b.N {
				logs = logtest.Buffer{}
				src, err := github.New(github.Options{BaseURL: srv.URL(), Token: testToken, API: github.APIGraphQL, Log: logs.Logger()})
				if err != nil {
					b.Fatal(err)
				}
				srv.ResetLog()
				st, err = src.Read(context.Background(), benchBlocks()[0], since, until, nil, func(context.Context, doraflow.FactSet) error { return nil })
				if err != nil {
					b.Fatal(err)
				}
				queries = srv.Stats().ByEndpoint[githubfake.EndpointGraphQL]
			}
			var merged []time.Time
			for _, r := range org.Repos {
				for _, p := range r.PRs {
					if p.Merged() && !p.MergedAt.Before(since) && p.MergedAt.Before(until) {
						merged = append(merged, p.MergedAt)
					}
				}
			}
			if len(merged) != st.Deployments {
				b.Fatalf("the organisation has %d pull requests merged in the year, the read delivered %d", len(merged), st.Deployments)
			}
			search := searchQueries(merged, since, until)
			b.ReportMetric(float64(len(org.Repos)), "repos")
			b.ReportMetric(float64(st.Deployments), "merged-PRs")
			searched := 0.0
			if strings.Contains(logs.String(), bySearch) {
				searched = 1
			}
			b.ReportMetric(searched, "searched")
			b.ReportMetric(float64(queries), "queries")
			b.ReportMetric(float64(st.Points), "points")
			b.ReportMetric(float64(search), "search-queries")
			// 3 points a query: the benchmark's block has no paths.
			b.ReportMetric(3*float64(search), "search-points")
		})
	}
}

// searchQueries is how many queries a search over [since, until) of the
// merge times takes at 100 results a page, when every range holding more
// than GitHub's 1,000 search results is halved after the query that found
// out (docs.github.com "About searching on GitHub": "search results are
// limited to 1,000"). The ranges are merged:A..B with both ends
// inclusive, in whole seconds.
func searchQueries(merged []time.Time, since, until time.Time) int {
	const cap = 1000
	n := 0
	for _, t := range merged {
		if !t.Before(since) && t.Before(until) {
			n++
		}
	}
	if n <= cap || until.Sub(since) <= time.Second {
		return max(1, (n+99)/100)
	}
	mid := since.Add(until.Sub(since) / 2).Truncate(time.Second)
	return 1 + searchQueries(merged, since, mid) + searchQueries(merged, mid, until)
}

// TestSearchQueries checks the count BenchmarkMergedPRListing's search
// column rests on, on merge times placed by hand.
func TestSearchQueries(t *testing.T) {
	since := time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)
	until := since.Add(1000 * time.Hour)
	// spread places n merges one a second from start.
	spread := func(start time.Time, n int) []time.Time {
		out := make([]time.Time, n)
		for i := range out {
			out[i] = start.Add(time.Duration(i) * time.Second)
		}
		return out
	}
	mid := since.Add(500 * time.Hour)
	cases := []struct {
		name   string
		merged []time.Time
		want   int
	}{
		{"none: one query says so", nil, 1},
		{"250: three pages", spread(since, 250), 3},
		{"1,000: ten pages, under the cap", spread(since, 1000), 10},
		{"outside the window: not counted", spread(until, 5000), 1},
		{"1,001 in two halves: the spent query, then 5 and 6 pages", append(spread(since, 500), spread(mid, 501)...), 1 + 5 + 6},
		// 2,000 in the first half: the whole (spent), the first half
		// (spent), its two quarters of 1,000 each (10 pages each), and the
		// empty second half (1).
		{"2,000 in the first half", append(spread(since, 1000), spread(since.Add(250*time.Hour), 1000)...), 1 + 1 + 10 + 10 + 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := searchQueries(tc.merged, since, until); got != tc.want {
				t.Errorf("searchQueries = %d, want %d", got, tc.want)
			}
		})
	}
}

// yearFake serves a year of an organisation of size, with budgets no
// read spends and a log of one request (the counts are the server's
// stats), and returns the organisation and the year's window.
func yearFake(b *testing.B, size githubfake.Size, schema *ast.Schema) (org *githubfake.Org, srv *githubfake.Server, since, until time.Time) {
	b.Helper()
	size.Days = 365
	org = githubfake.Generate(1, size)
	srv = githubfake.NewServer(org, githubfake.Options{Token: testToken, Budget: 1 << 30, GraphQLBudget: 1 << 30,
		LogSize: 1, GraphQLSchema: schema})
	srv.Start()
	b.Cleanup(srv.Close)
	return org, srv, org.Now.AddDate(0, 0, -365), org.Now
}
